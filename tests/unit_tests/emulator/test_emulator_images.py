"""Image rules and the documented answer format: each image described from its pixels, in order."""

from __future__ import annotations

import base64
import contextlib
import http.server
import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from loopback import serving
from PIL import Image
from xai_errors import assert_rejected
from xai_vision.emulator import Emulator, EmulatorSettings
from xai_vision.tokens import estimate_image_tokens

MODEL = "grok-4-fast-non-reasoning"
ImageFactory = Callable[..., bytes]


def data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...`` for raw bytes."""
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image_part(url: str, detail: str | None = None) -> dict[str, Any]:
    """An ``image_url`` content part."""
    inner: dict[str, Any] = {"url": url}
    if detail is not None:
        inner["detail"] = detail
    return {"type": "image_url", "image_url": inner}


def ask(
    client: httpx.Client, parts: list[dict[str, Any]], text: str = "What is this?", **extra: Any
) -> httpx.Response:
    """Post one user message: ``text`` then ``parts``."""
    content = [{"type": "text", "text": text}, *parts]
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}], **extra}
    return client.post("/chat/completions", json=body)


def answer_of(response: httpx.Response) -> str:
    """The assistant's text, after checking the status."""
    assert response.status_code == 200, response.text
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


# --------------------------------------------------------------------------- the answer format


def test_two_images_are_described_in_order(client: httpx.Client, image_bytes: ImageFactory) -> None:
    red = data_uri(image_bytes("red", (64, 48), "PNG"), "image/png")
    blue = data_uri(image_bytes("blue", (32, 32), "JPEG"), "image/jpeg")
    response = ask(
        client, [image_part(red, "high"), image_part(blue)], text="What is in these images?"
    )
    assert answer_of(response) == (
        "I see 2 images.\n"
        "Image 1: 64x48 png, detail high, landscape, bright, mostly red.\n"
        "Image 2: 32x32 jpeg, detail auto, square, dark, mostly blue.\n"
        "You asked: What is in these images?"
    )


def test_order_follows_the_request(client: httpx.Client, image_bytes: ImageFactory) -> None:
    red = data_uri(image_bytes("red", (10, 20), "PNG"), "image/png")
    blue = data_uri(image_bytes("blue", (30, 20), "PNG"), "image/png")
    answer = answer_of(ask(client, [image_part(blue, "low"), image_part(red, "low")]))
    lines = answer.splitlines()
    assert lines[1] == "Image 1: 30x20 png, detail low, landscape, dark, mostly blue."
    assert lines[2] == "Image 2: 10x20 png, detail low, portrait, bright, mostly red."


def test_images_across_messages_are_numbered_in_order(
    client: httpx.Client, image_bytes: ImageFactory
) -> None:
    white = data_uri(image_bytes("white", (8, 8), "PNG"), "image/png")
    black = data_uri(image_bytes("black", (8, 8), "PNG"), "image/png")
    messages = [
        {"role": "user", "content": [image_part(white)]},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "and"},
                image_part(black),
                {"type": "text", "text": "this?"},
            ],
        },
    ]
    response = client.post("/chat/completions", json={"model": MODEL, "messages": messages})
    assert answer_of(response).splitlines() == [
        "I see 2 images.",
        "Image 1: 8x8 png, detail auto, square, bright, mostly white.",
        "Image 2: 8x8 png, detail auto, square, dark, mostly black.",
        "You asked: and this?",
    ]


def test_no_images_and_one_image_wording(client: httpx.Client, image_bytes: ImageFactory) -> None:
    assert answer_of(ask(client, [], text="Hello")) == "I see no images.\nYou asked: Hello"
    green = data_uri(image_bytes("green", (5, 5), "PNG"), "image/png")
    assert answer_of(ask(client, [image_part(green)])).startswith("I see 1 image.\n")


@pytest.mark.parametrize(
    ("fmt", "mime", "name"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpeg"),
        ("WEBP", "image/webp", "webp"),
        ("GIF", "image/gif", "gif"),
    ],
)
def test_each_supported_format_is_named_from_its_bytes(
    client: httpx.Client, image_bytes: ImageFactory, fmt: str, mime: str, name: str
) -> None:
    uri = data_uri(image_bytes("yellow", (40, 30), fmt), mime)
    assert f"Image 1: 40x30 {name}, detail auto, landscape, bright, mostly yellow." in answer_of(
        ask(client, [image_part(uri)])
    )


def test_dominant_colour_is_the_majority(client: httpx.Client) -> None:
    image = Image.new("RGB", (100, 100), "blue")
    image.paste(Image.new("RGB", (100, 30), "white"), (0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    answer = answer_of(ask(client, [image_part(data_uri(buffer.getvalue(), "image/png"))]))
    assert "mostly blue" in answer


def test_transparent_pixels_count_as_white(client: httpx.Client, image_bytes: ImageFactory) -> None:
    clear = image_bytes((255, 0, 0, 0), (16, 16), "PNG", mode="RGBA")
    answer = answer_of(ask(client, [image_part(data_uri(clear, "image/png"))]))
    assert "bright, mostly white" in answer


def test_image_tokens_use_the_shared_rule(client: httpx.Client, image_bytes: ImageFactory) -> None:
    big = data_uri(image_bytes("red", (1000, 700), "PNG"), "image/png")
    small = data_uri(image_bytes("red", (100, 70), "JPEG"), "image/jpeg")
    usage = ask(client, [image_part(big, "high"), image_part(small, "low")]).json()["usage"]
    expected = estimate_image_tokens((1000, 700), "high") + estimate_image_tokens((100, 70), "low")
    assert usage["prompt_tokens_details"]["image_tokens"] == expected
    text = usage["prompt_tokens_details"]["text_tokens"]
    assert usage["prompt_tokens"] == text + expected


# --------------------------------------------------------------------------- rejections


def test_mime_must_agree_with_the_bytes(client: httpx.Client, image_bytes: ImageFactory) -> None:
    lying = data_uri(image_bytes("red", (8, 8), "JPEG"), "image/png")
    assert_rejected(
        ask(client, [image_part(lying)]),
        400,
        "messages[0].content[1]",
        "says image/png but the bytes are jpeg",
    )


def test_bad_base64_is_400(client: httpx.Client) -> None:
    response = ask(client, [image_part("data:image/png;base64,@@not-base64@@")])
    assert_rejected(response, 400, "messages[0].content[1].image_url", "base64")


def test_not_an_image_is_400(client: httpx.Client) -> None:
    response = ask(client, [image_part(data_uri(b"hello, world", "image/png"))])
    assert_rejected(response, 400, "not an image")


def test_unsupported_format_is_400(client: httpx.Client, image_bytes: ImageFactory) -> None:
    bmp = data_uri(image_bytes("red", (8, 8), "BMP"), "image/bmp")
    assert_rejected(ask(client, [image_part(bmp)]), 400, "unsupported image format bmp")


def test_formats_are_a_setting(image_bytes: ImageFactory) -> None:
    webp = data_uri(image_bytes("red", (8, 8), "WEBP"), "image/webp")
    with Emulator(settings=EmulatorSettings(image_formats=("jpeg", "png"))) as emulator:
        response = httpx.post(
            f"{emulator.base_url}/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": [image_part(webp)]}]},
            headers={"authorization": "Bearer k"},
            timeout=10,
        )
    assert_rejected(response, 400, "unsupported image format webp; supported: jpeg, png")


def test_animated_gif_is_400(client: httpx.Client) -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    response = ask(client, [image_part(data_uri(buffer.getvalue(), "image/gif"))])
    assert_rejected(response, 400, "animated GIF")


def test_truncated_image_is_400(client: httpx.Client, image_bytes: ImageFactory) -> None:
    data = image_bytes("red", (64, 64), "PNG")[:60]
    assert_rejected(
        ask(client, [image_part(data_uri(data, "image/png"))]), 400, "could not be decoded"
    )


def test_image_over_20_mib_is_400(client: httpx.Client) -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * (20 * 1024 * 1024)
    response = ask(client, [image_part(data_uri(data, "image/png"))])
    assert_rejected(response, 400, f"image is {len(data)} bytes; the maximum is 20971520 bytes")


def test_bad_detail_is_422(client: httpx.Client, image_bytes: ImageFactory) -> None:
    uri = data_uri(image_bytes(), "image/png")
    response = ask(client, [image_part(uri, "ultra")])
    assert_rejected(
        response, 422, "image_url.detail: unknown variant `ultra`", "`auto`, `low`, `high`"
    )


def test_images_per_message_limit(image_bytes: ImageFactory) -> None:
    uri = data_uri(image_bytes("red", (4, 4), "PNG"), "image/png")
    body = {"model": MODEL, "messages": [{"role": "user", "content": [image_part(uri)] * 3}]}
    with Emulator(max_images_per_message=2) as emulator:
        url = f"{emulator.base_url}/chat/completions"
        response = httpx.post(url, json=body, headers={"authorization": "Bearer k"}, timeout=10)
    assert_rejected(response, 400, "too many images", "maximum is 2")
    with Emulator() as emulator:  # the default is 10 a message
        url = f"{emulator.base_url}/chat/completions"
        ok = httpx.post(url, json=body, headers={"authorization": "Bearer k"}, timeout=10)
        eleven = {"model": MODEL, "messages": [{"role": "user", "content": [image_part(uri)] * 11}]}
        too_many = httpx.post(url, json=eleven, headers={"authorization": "Bearer k"}, timeout=10)
    assert ok.status_code == 200
    assert_rejected(too_many, 400, "maximum is 10")


@pytest.mark.parametrize("model", ["grok-3", "grok-3-mini", "grok-code-fast-1"])
def test_images_to_a_text_only_model_are_400(
    client: httpx.Client, image_bytes: ImageFactory, model: str
) -> None:
    uri = data_uri(image_bytes(), "image/png")
    response = ask(client, [image_part(uri)], model=model)
    assert_rejected(response, 400, "does not support image inputs")


@pytest.mark.parametrize(
    "model", ["grok-4", "grok-4-1-fast-non-reasoning", "grok-4.3", "grok-2-vision-1212"]
)
def test_vision_models_follow_the_name_rule(
    client: httpx.Client, image_bytes: ImageFactory, model: str
) -> None:
    uri = data_uri(image_bytes(), "image/png")
    assert ask(client, [image_part(uri)], model=model).status_code == 200


def test_unknown_part_type_and_file_id_are_400(client: httpx.Client) -> None:
    assert_rejected(ask(client, [{"type": "input_audio", "input_audio": {}}]), 400, "input_audio")
    file_part = {"type": "image_url", "image_url": {"file_id": "file-1"}}
    assert_rejected(ask(client, [file_part]), 400, "file_id")


# --------------------------------------------------------------------------- image URLs


class _ImageHandler(http.server.BaseHTTPRequestHandler):
    images: dict[str, bytes] = {}
    slow_seconds = 1.5

    def do_GET(self) -> None:
        if self.path == "/slow.png":
            time.sleep(self.slow_seconds)
        data = self.images.get(self.path)
        if data is None:
            self.send_response(404)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("content-type", "image/png")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        # The emulator may have given up waiting (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr log."""


@pytest.fixture
def image_server(image_bytes: ImageFactory) -> Iterator[str]:
    """A loopback HTTP server with /red.png, /blue.jpg and /slow.png; yields its base URL."""
    _ImageHandler.images = {
        "/red.png": image_bytes("red", (20, 10), "PNG"),
        "/blue.jpg": image_bytes("blue", (10, 20), "JPEG"),
        "/slow.png": image_bytes("red", (4, 4), "PNG"),
    }
    with serving(_ImageHandler) as url:
        yield url


def test_loopback_urls_are_fetched_and_described(client: httpx.Client, image_server: str) -> None:
    parts = [image_part(f"{image_server}/red.png"), image_part(f"{image_server}/blue.jpg", "low")]
    lines = answer_of(ask(client, parts)).splitlines()
    assert lines[1] == "Image 1: 20x10 png, detail auto, landscape, bright, mostly red."
    assert lines[2] == "Image 2: 10x20 jpeg, detail low, portrait, dark, mostly blue."


def test_localhost_name_is_loopback(client: httpx.Client, image_server: str) -> None:
    url = image_server.replace("127.0.0.1", "localhost") + "/red.png"
    assert "mostly red" in answer_of(ask(client, [image_part(url)]))


def test_missing_loopback_image_is_400(client: httpx.Client, image_server: str) -> None:
    response = ask(client, [image_part(f"{image_server}/gone.png")])
    assert_rejected(response, 400, "Failed to fetch image", "HTTP status 404")


def test_slow_loopback_image_times_out_as_400(image_server: str) -> None:
    settings = EmulatorSettings(fetch_timeout=0.3)
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": [image_part(f"{image_server}/slow.png")]}],
    }
    with Emulator(settings=settings) as emulator:
        url = f"{emulator.base_url}/chat/completions"
        response = httpx.post(url, json=body, headers={"authorization": "Bearer k"}, timeout=10)
    assert_rejected(response, 400, "timed out after 0.3 s")


@pytest.mark.parametrize(
    "url",
    ["https://example.com/cat.png", "http://10.0.0.1/x.png", "http://[2001:db8::1]/y.png"],
)
def test_non_loopback_urls_are_400_without_touching_the_network(
    client: httpx.Client, url: str
) -> None:
    started = time.monotonic()
    response = ask(client, [image_part(url)])
    assert_rejected(response, 400, "Failed to fetch image", "only loopback")
    assert time.monotonic() - started < 2  # refused up front, not after a connect attempt


def test_other_url_schemes_are_400(client: httpx.Client) -> None:
    assert_rejected(
        ask(client, [image_part("ftp://127.0.0.1/x.png")]), 400, "unsupported URL scheme"
    )


def _two_colour_png(red_rows: int, height: int = 40) -> bytes:
    """A 40-wide PNG: ``red_rows`` rows of red over white."""
    image = Image.new("RGB", (40, height), "white")
    image.paste((255, 0, 0), (0, 0, 40, red_rows))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("red_rows", "colours"),
    [(28, "mostly red, some white"), (12, "mostly white, some red"), (38, "mostly red")],
    ids=["70-30", "30-70", "95-5"],
)
def test_a_second_colour_is_named_when_it_covers_enough_of_the_picture(
    client: httpx.Client, red_rows: int, colours: str
) -> None:
    answer = answer_of(ask(client, [image_part(data_uri(_two_colour_png(red_rows), "image/png"))]))
    assert f"Image 1: 40x40 png, detail auto, square, bright, {colours}.\n" in answer
