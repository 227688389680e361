"""Property tests filling the gaps left by tests/unit_tests/core (which cover the data-URI round
trip, one fixed SSE stream under any chunking, and user-message order):

- data URIs: parameters and case, MIME lies, and ``prepare_image`` on any ``data:`` string;
- SSE: generated events under any line ending and chunking, arbitrary bytes, and streams
  through ``XAIClient.stream`` cut at every byte (a cut stream raises, a whole one doesn't);
- messages: every builder and the image cap, with images and text in any order.
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from xai_vision import _json
from xai_vision.client import XAIClient
from xai_vision.errors import (
    ImageError,
    ImageSourceError,
    StreamInterruptedError,
    TooManyImagesError,
)
from xai_vision.images import ImageOptions, PreparedImage, parse_data_uri, prepare_image
from xai_vision.messages import (
    ChatRequest,
    ImageCollector,
    WireMessage,
    assistant_message,
    system_message,
    tool_message,
    user_message,
)
from xai_vision.sse import SSEDecoder, SSEEvent, iter_sse

# --------------------------------------------------------------------------- data URIs

_token = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,8}", fullmatch=True)
_param = st.builds(
    lambda k, v: f";{k}={v}", _token, st.from_regex(r"[A-Za-z0-9._-]{0,8}", fullmatch=True)
)


def _image(fmt: str, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(buffer, format=fmt)
    return buffer.getvalue()


_IMAGES = {fmt: _image(fmt, (12, 7)) for fmt in ("PNG", "JPEG", "WEBP")}


@given(
    _token, _token, st.lists(_param, max_size=3), st.binary(min_size=1, max_size=64), st.booleans()
)
def test_data_uri_parameters_and_case_are_accepted(
    kind: str, sub: str, params: list[str], payload: bytes, upper: bool
) -> None:
    scheme, marker = ("DATA:", ";BASE64,") if upper else ("data:", ";base64,")
    uri = f"{scheme}{kind}/{sub}{''.join(params)}{marker}{base64.b64encode(payload).decode()}"
    assert parse_data_uri(uri) == (f"{kind}/{sub}".lower(), payload)


@settings(max_examples=60)
@given(
    st.sampled_from(sorted(_IMAGES)),
    st.sampled_from(["image/png", "image/jpeg", "image/gif", "text/plain", "application/x-evil"]),
)
def test_the_bytes_decide_the_mime_type_never_the_claim(fmt: str, claimed: str) -> None:
    uri = f"data:{claimed};base64,{base64.b64encode(_IMAGES[fmt]).decode()}"
    # WebP as is: the property is about the claim, not the conversion xAI's WebP refusal needs
    prepared = prepare_image(uri, options=ImageOptions(send_webp_as_is=True))
    assert prepared.mime_type == f"image/{fmt.lower()}"
    assert prepared.url.startswith(f"data:image/{fmt.lower()};base64,")
    assert (prepared.width, prepared.height) == (12, 7)


@settings(max_examples=150)
@given(st.text(max_size=120))
def test_prepare_image_on_any_data_string_raises_only_image_errors(tail: str) -> None:
    try:
        prepared = prepare_image("data:" + tail)
    except ImageError as exc:
        assert exc.reason and "data:" in str(exc)
    else:
        assert prepared.url.startswith("data:image/")


@given(st.binary(min_size=1, max_size=48).map(lambda b: base64.b64encode(b).decode()))
def test_unpadded_or_url_safe_base64_is_refused(encoded: str) -> None:
    broken = encoded.rstrip("=")
    variants = [broken] if broken != encoded else []
    if "+" in encoded or "/" in encoded:
        variants.append(encoded.replace("+", "-").replace("/", "_"))
    for variant in variants:
        with pytest.raises(ImageSourceError):
            parse_data_uri(f"data:image/png;base64,{variant}")


# --------------------------------------------------------------------------- SSE

# Data lines: any text without line breaks (SSE cannot carry a raw CR or LF inside a line).
_line = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"),
    max_size=30,
)
_events = st.lists(st.lists(_line, min_size=1, max_size=3), min_size=1, max_size=6)


def _encode(events: list[list[str]], newline: str) -> bytes:
    frames = "".join(
        "".join(f"data: {line}{newline}" for line in lines) + newline for lines in events
    )
    return frames.encode()


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *sorted(min(c, len(data)) for c in cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=200)
@given(_events, st.sampled_from(["\n", "\r\n", "\r"]), st.lists(st.integers(0, 2000), max_size=10))
def test_generated_events_survive_any_line_ending_and_chunking(
    events: list[list[str]], newline: str, cuts: list[int]
) -> None:
    decoded = list(iter_sse(_split(_encode(events, newline), cuts)))
    assert [e.data for e in decoded] == ["\n".join(lines) for lines in events]
    assert all(e.complete for e in decoded)


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=40), max_size=8))
def test_arbitrary_bytes_never_break_the_decoder(chunks: list[bytes]) -> None:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    assert not decoder.pending
    assert all(isinstance(e.data, str) for e in events)
    # Feeding it all at once gives the same events.
    assert list(iter_sse([b"".join(chunks)])) == events


def _chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    body = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "grok-4",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + _json.dumps(body) + b"\n\n"


def _stream_body(pieces: list[str]) -> tuple[bytes, int]:
    """The SSE body for ``pieces``, and the offset where its finish chunk is complete."""
    body = b"".join(_chunk(p) for p in pieces) + _chunk(None, "stop")
    return body + b"data: [DONE]\n\n", len(body)


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


def _client_for(chunks: list[bytes]) -> XAIClient:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=_Chunks(chunks))

    http = httpx.Client(transport=httpx.MockTransport(answer))
    return XAIClient(api_key="k", base_url="http://x/v1", http_client=http, max_retries=0)


_pieces = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=6)
_REQUEST = ChatRequest("grok-4", [user_message("hi")])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_pieces, st.lists(st.integers(0, 4000), max_size=8), st.data())
def test_a_stream_cut_anywhere_raises_unless_its_finish_arrived(
    pieces: list[str], cuts: list[int], data: st.DataObject
) -> None:
    body, finished_at = _stream_body(pieces)
    end = data.draw(st.integers(0, len(body)), label="cut at byte")
    client = _client_for(_split(body[:end], cuts))
    received: list[str] = []
    try:
        for chunk in client.stream(_REQUEST, include_usage=False):
            received.append(chunk.content or "")
    except StreamInterruptedError:
        # Required before the finish chunk's JSON is whole (its blank line may be missing);
        # after the finish the answer is whole, even with [DONE] cut in half.
        assert end < finished_at - 2
    else:
        assert end >= finished_at - 2  # a stream missing its finish must raise
        assert "".join(received) == "".join(pieces)  # and a whole one is complete, once
    assert "".join(pieces).startswith("".join(received))  # never more, never out of order


def test_a_stream_cut_inside_done_after_its_finish_is_whole() -> None:
    body, finished_at = _stream_body(["Hello", " world"])
    client = _client_for([body[: finished_at + len("data: [")]])
    text = "".join(c.content or "" for c in client.stream(_REQUEST, include_usage=False))
    assert text == "Hello world"


def test_a_stream_ending_right_before_done_after_its_finish_is_whole() -> None:
    body, finished_at = _stream_body(["Hello", " world"])
    client = _client_for([body[:finished_at]])
    text = "".join(c.content or "" for c in client.stream(_REQUEST, include_usage=False))
    assert text == "Hello world"


# --------------------------------------------------------------------------- messages

_PREPARED = [prepare_image(_IMAGES["PNG"], detail=d) for d in ("low", "high", "auto", None)]
_content = st.lists(
    st.one_of(st.text(max_size=15), st.sampled_from(_PREPARED)), min_size=1, max_size=6
)


@given(_content, _content, _content, st.text(min_size=1, max_size=10))
def test_every_builder_keeps_parts_in_order_and_round_trips_json(
    system: list[str | PreparedImage],
    tool: list[str | PreparedImage],
    user: list[str | PreparedImage],
    call_id: str,
) -> None:
    messages: list[WireMessage] = [
        system_message(system),
        user_message(user),
        assistant_message(tool_calls=[{"id": call_id, "name": "f", "arguments": {"a": 1}}]),
        tool_message(call_id, tool),
    ]
    body = ChatRequest("grok-4", messages).to_body()
    decoded = _json.loads(_json.dumps(body))
    assert decoded["messages"] == body["messages"]
    for built, items in ((decoded["messages"][0], system), (decoded["messages"][3], tool)):
        parts = built["content"]
        assert [p["type"] for p in parts] == [
            "text" if isinstance(i, str) else "image_url" for i in items
        ]
    call = decoded["messages"][2]["tool_calls"][0]
    assert call["id"] == call_id and _json.loads(call["function"]["arguments"]) == {"a": 1}


@given(st.integers(1, 6), st.one_of(st.none(), st.integers(1, 6)))
def test_the_image_cap_is_exact_and_numbering_starts_at_one(n: int, limit: int | None) -> None:
    collector = ImageCollector(ImageOptions(max_images_per_request=limit))
    added = 0
    try:
        for _ in range(n):
            collector.add(_PREPARED[0])
            added += 1
    except TooManyImagesError as exc:
        assert limit is not None and n > limit and added == limit
        assert f"image {limit + 1}" in str(exc)
    else:
        assert limit is None or n <= limit
    assert [image.index for image in collector.images] == list(range(1, added + 1))
