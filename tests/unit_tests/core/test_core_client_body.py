"""Request bodies in pieces: they join to exactly the one-pass JSON encoding, a big image's data
URI is sent in slices with a Content-Length (never chunked), and retries resend the same bytes."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
from collections.abc import Iterator
from types import MappingProxyType

import pytest
from emulator_clients import async_emulator_client, emulator_client
from PIL import Image
from xai_vision import _json, _wire
from xai_vision.client import XAIClient
from xai_vision.emulator import Emulator
from xai_vision.endpoints import ChatCompletionsEndpoint, RequestBody
from xai_vision.errors import RequestValidationError
from xai_vision.images import PreparedImage, prepare_image
from xai_vision.messages import (
    ChatRequest,
    assistant_message,
    function_tool,
    image_part,
    json_schema_response_format,
    system_message,
    text_part,
    user_message,
)

ENDPOINT = ChatCompletionsEndpoint()
NOISE_SIZE = (1200, 1000)


@pytest.fixture(scope="module")
def big_image() -> PreparedImage:
    """A noise PNG whose data URI (about 4.6 MiB) is over the one-piece limit."""
    rng = random.Random(7)
    pixels = rng.randbytes(NOISE_SIZE[0] * NOISE_SIZE[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", NOISE_SIZE, pixels).save(buffer, "PNG", compress_level=1)
    image = prepare_image(buffer.getvalue())
    assert len(image.url) > _wire.ONE_PIECE_MAX
    return image


@pytest.fixture(params=["orjson", "stdlib"])
def json_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run once per JSON encoder: pieces and the one-pass body must agree under each."""
    if request.param == "stdlib":
        monkeypatch.setattr(_json, "dumps", _json.dumps_stdlib)
    elif _json.BACKEND != "orjson":  # pragma: no cover - orjson is in the dev setup
        pytest.skip("orjson is not installed")
    return str(request.param)


def joined(body: RequestBody) -> bytes:
    return b"".join(body.iter_bytes())


async def ajoined(body: RequestBody) -> bytes:
    return b"".join([piece async for piece in body.aiter_bytes()])


def odd_url(length: int) -> str:
    """A data: URL (only its prefix is checked) full of characters JSON must escape."""
    unit = 'data:"quoted" back\\slash\nnew line\ttab\x01 é ü 中文 😀 \u2028 '
    return (unit * (length // len(unit) + 1))[:length]


WEATHER = function_tool(
    "weather",
    "Wetter für eine Stadt — « météo »",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
SCHEMA = json_schema_response_format(
    {"type": "object", "properties": {"réponse": {"type": "string", "description": "« ok »"}}},
    name="reponse",
)


def requests(image: PreparedImage) -> dict[str, ChatRequest]:
    """Small and big requests, with tools, response formats, names and non-ASCII text."""
    big_part = image_part(image)
    read_only = MappingProxyType(
        {"type": "image_url", "image_url": MappingProxyType({"url": image.url, "detail": "low"})}
    )
    return {
        "small": ChatRequest("grok-4", [user_message("Olá, ça va? 😀")]),
        "small-tools": ChatRequest(
            "grok-4",
            [system_message("Réponds en français."), user_message("Weather in Zürich?")],
            tools=[WEATHER],
            tool_choice="auto",
            temperature=0.3,
        ),
        "big-image": ChatRequest(
            "grok-4", [user_message([text_part("Was ist das? «»"), big_part])]
        ),
        "big-image-tools-format": ChatRequest(
            "grok-4-fast-non-reasoning",
            [
                system_message(["Sieh genau hin — 看", big_part], name="sys"),
                assistant_message("Noted."),
                user_message([big_part, "and again", read_only], name="ü"),  # type: ignore[list-item]
            ],
            tools=[WEATHER],
            response_format=SCHEMA,
            max_tokens=50,
            extra={"user": "naïve", "metadata": {"k": 'v\n"q"'}},
        ),
        "big-odd-url": ChatRequest(
            "grok-4",
            [
                user_message(
                    [
                        {"type": "image_url", "image_url": {"url": odd_url(5_000_000)}},
                        "between",
                        {"type": "image_url", "image_url": {"url": odd_url(300_000)}},
                    ]  # type: ignore[list-item]
                )
            ],
        ),
    }


CASES = ["small", "small-tools", "big-image", "big-image-tools-format", "big-odd-url"]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("stream", [False, True])
def test_pieces_join_to_the_one_pass_encoding(
    big_image: PreparedImage, json_backend: str, name: str, stream: bool
) -> None:
    request = requests(big_image)[name]
    expected = _json.dumps(
        request.to_body(stream=True, stream_options={"include_usage": True})
        if stream
        else request.to_body()
    )
    body = ENDPOINT.build_body(request, stream=stream)
    assert joined(body) == expected
    assert body.length == len(expected)
    assert joined(body) == expected  # walked again: a retry sends the same bytes
    assert asyncio.run(ajoined(body)) == expected
    if name.startswith("small"):
        assert body.parts == (expected,)
    else:  # each long URL apart, between JSON text
        assert len(body.parts) >= 3 and len(body.parts) % 2 == 1


def test_a_big_data_uri_is_its_own_parts_sent_in_slices(big_image: PreparedImage) -> None:
    request = requests(big_image)["big-image-tools-format"]
    body = ENDPOINT.build_body(request)
    # Text, then each long URL apart (the caller's own string, not a copy), with text between.
    assert [type(part) for part in body.parts] == [bytes, str, bytes, str, bytes, str, bytes]
    assert all(part is big_image.url for part in body.parts[1::2])
    text = body.parts[0::2]
    assert sum(len(part) for part in text) < 2000  # type: ignore[misc]
    pieces = list(body.iter_bytes())
    assert max(len(piece) for piece in pieces) == _wire.SLICE
    assert len(pieces) == 4 + 3 * -(-len(big_image.url) // _wire.SLICE)


def test_urls_under_the_one_piece_limit_are_encoded_with_the_rest() -> None:
    url = "data:image/png;base64," + "A" * (_wire.ONE_PIECE_MAX - 40)
    request = ChatRequest(
        "grok-4", [user_message([{"type": "image_url", "image_url": {"url": url}}])]
    )  # type: ignore[list-item]
    body = ENDPOINT.build_body(request)
    assert len(body.parts) == 1 and body.parts[0] == _json.dumps(request.to_body())


def test_building_leaves_the_request_as_it_was(big_image: PreparedImage) -> None:
    request = requests(big_image)["big-image-tools-format"]
    before = json.dumps(request.to_body())
    ENDPOINT.build_body(request)
    assert json.dumps(request.to_body()) == before
    assert request.messages[0]["content"][1]["image_url"]["url"] is big_image.url  # type: ignore[index]


def test_a_lone_surrogate_in_a_big_url_is_refused_before_sending(json_backend: str) -> None:
    url = "data:image/png;base64," + "A" * (_wire.ONE_PIECE_MAX + 8) + "\ud800"
    part = {"type": "image_url", "image_url": {"url": url}}
    request = ChatRequest("grok-4", [user_message([part])])  # type: ignore[list-item]
    with pytest.raises(RequestValidationError, match="cannot be encoded as JSON"):
        ENDPOINT.build_body(request)


def test_text_holding_the_placeholder_falls_back_to_one_piece(
    big_image: PreparedImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The placeholder is 128 random bits; were it in the request's text, one piece is sent."""
    monkeypatch.setattr(_wire, "_marker", lambda: "Was ist")
    request = requests(big_image)["big-image"]
    body = ENDPOINT.build_body(request)
    assert body.parts == (_json.dumps(request.to_body()),)


# --------------------------------------------------------------------------- on the wire


@pytest.fixture
def big_request(big_image: PreparedImage) -> ChatRequest:
    return ChatRequest(
        "grok-4", [user_message([text_part("What is this?"), image_part(big_image)])]
    )


def assert_sent_with_a_length(emu: Emulator, request: ChatRequest, stream: bool) -> None:
    """Every recorded request: Content-Length, no Transfer-Encoding, the one-pass body."""
    body = ENDPOINT.build_body(request, stream=stream)
    flags = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    expected = json.loads(_json.dumps(request.to_body(**flags)))
    assert emu.requests
    for recorded in emu.requests:
        headers = {k.lower(): v for k, v in recorded.headers.items()}
        assert headers["content-length"] == str(body.length)
        assert "transfer-encoding" not in headers
        assert recorded.body_size == body.length
        assert recorded.body == expected


def described(text: str | None) -> None:
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "I see 1 image."
    assert lines[1].startswith(f"Image 1: {NOISE_SIZE[0]}x{NOISE_SIZE[1]} png")


@pytest.fixture
def client(xai_emulator: Emulator) -> Iterator[XAIClient]:
    with emulator_client(xai_emulator, timeout=30, sleep=lambda _: None) as c:
        yield c


@pytest.mark.parametrize("stream", [False, True])
def test_sync_client_sends_a_big_body_with_its_length_and_resends_it_on_retry(
    client: XAIClient, xai_emulator: Emulator, big_request: ChatRequest, stream: bool
) -> None:
    xai_emulator.fail_next(1, status=503)
    if stream:
        text = "".join(chunk.content or "" for chunk in client.stream(big_request))
    else:
        text = client.create(big_request).content or ""
    described(text)
    assert len(xai_emulator.requests) == 2  # the 503, then the retry
    assert_sent_with_a_length(xai_emulator, big_request, stream)


@pytest.mark.parametrize("stream", [False, True])
def test_async_client_sends_a_big_body_with_its_length_and_resends_it_on_retry(
    xai_emulator: Emulator, big_request: ChatRequest, stream: bool
) -> None:
    async def sleep(_: float) -> None:
        return None

    async def run() -> str:
        async with async_emulator_client(xai_emulator, timeout=30, sleep=sleep) as c:
            if stream:
                return "".join([chunk.content or "" async for chunk in c.stream(big_request)])
            return (await c.create(big_request)).content or ""

    xai_emulator.fail_next(1, status=429, retry_after_ms=1)
    described(asyncio.run(run()))
    assert len(xai_emulator.requests) == 2
    assert_sent_with_a_length(xai_emulator, big_request, stream)


def test_a_small_body_is_sent_with_its_length_too(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    request = ChatRequest("grok-4", [user_message("Say hi, ça va?")])
    client.create(request)
    assert_sent_with_a_length(xai_emulator, request, stream=False)


def test_debug_log_names_the_length_and_no_image_data(
    client: XAIClient,
    xai_emulator: Emulator,
    big_request: ChatRequest,
    big_image: PreparedImage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="xai_vision"):
        client.create(big_request)
    length = ENDPOINT.build_body(big_request).length
    assert f"bytes={length} " in caplog.text and "images=1" in caplog.text
    assert big_image.url[100:140] not in caplog.text
    assert xai_emulator.api_key not in caplog.text
