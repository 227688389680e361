"""Property tests: data-URI parsing round trips, and message building keeps order and content."""

from __future__ import annotations

import base64
import io

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from xai_vision import _json
from xai_vision.errors import ImageError, ImageSourceError, RequestValidationError
from xai_vision.images import PreparedImage, parse_data_uri, prepare_image
from xai_vision.messages import ChatRequest, user_message

# RFC 6838 restricted names: a letter or digit first, then letters, digits and !#$&^_.+-
token = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,11}", fullmatch=True)
mime_types = st.builds(lambda a, b: f"{a}/{b}", token, token)


@given(mime_types, st.binary(min_size=1, max_size=512))
def test_data_uri_round_trip(mime: str, payload: bytes) -> None:
    uri = f"data:{mime};base64,{base64.b64encode(payload).decode()}"
    assert parse_data_uri(uri) == (mime.lower(), payload)


@given(st.text(max_size=80))
def test_data_uri_parsing_only_ever_raises_image_source_error(tail: str) -> None:
    try:
        mime, payload = parse_data_uri("data:" + tail)
    except ImageSourceError as exc:
        assert exc.reason  # the error always says why
    else:
        assert payload  # anything accepted decoded to something
        assert "/" in mime


@settings(max_examples=60)
@given(st.binary(max_size=256))
def test_arbitrary_bytes_give_an_image_error_or_an_image(data: bytes) -> None:
    try:
        prepared = prepare_image(data)
    except ImageError:
        return
    assert prepared.url.startswith("data:image/")


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


_IMAGES = [
    prepare_image(_png((i * 40, 0, 255 - i * 40)), detail=d)
    for i, d in enumerate(("low", "high", "auto", None))
]
items = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(_IMAGES)), min_size=1, max_size=8)


@given(items)
def test_user_message_keeps_every_item_in_order(content: list[str | PreparedImage]) -> None:
    message = user_message(content)
    parts = message["content"]
    assert isinstance(parts, list)
    assert len(parts) == len(content)
    for item, part in zip(content, parts, strict=True):
        if isinstance(item, str):
            assert part == {"type": "text", "text": item}
        else:
            assert part["type"] == "image_url"
            image_url = part["image_url"]  # type: ignore[typeddict-item]
            assert image_url["url"] == item.url
            assert image_url.get("detail") == item.detail


@given(items)
def test_building_twice_serialises_identically(content: list[str | PreparedImage]) -> None:
    first = _json.dumps(ChatRequest("grok-4", [user_message(content)]).to_body())
    second = _json.dumps(ChatRequest("grok-4", [user_message(list(content))]).to_body())
    assert first == second


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_temperature_is_accepted_exactly_within_zero_to_two(value: float) -> None:
    try:
        ChatRequest("grok-4", [user_message("x")], temperature=value)
    except RequestValidationError:
        assert not 0.0 <= value <= 2.0
    else:
        assert 0.0 <= value <= 2.0
