"""Image blocks in every LangChain form read into one (source, detail), and the block helper."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models._utils import _normalize_messages
from langchain_core.messages import HumanMessage
from PIL import Image
from xai_vision.errors import ImageDecodeError, ImageSourceError, RequestValidationError
from xai_vision.images import parse_data_uri

from langchain_xai_vision import image_block
from langchain_xai_vision.images import ImageReference, image_reference, is_image_block

URL = "https://example.com/cat.png"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "image_url", "image_url": {"url": URL, "detail": "high"}}, (URL, "high")),
        ({"type": "image_url", "image_url": {"url": URL}}, (URL, None)),
        ({"type": "image_url", "image_url": URL}, (URL, None)),
        ({"type": "image", "url": URL, "detail": "low"}, (URL, "low")),
        ({"type": "image", "url": URL, "extras": {"detail": "high"}}, (URL, "high")),
        ({"type": "image", "source_type": "url", "url": URL, "detail": "low"}, (URL, "low")),
        ({"type": "image", "source": {"type": "url", "url": URL}, "detail": "auto"}, (URL, "auto")),
        ({"type": "input_image", "image_url": URL, "detail": "low"}, (URL, "low")),
    ],
)
def test_url_forms_keep_url_and_detail(block: dict[str, Any], expected: tuple[str, str]) -> None:
    assert is_image_block(block)
    assert image_reference(block) == ImageReference(*expected)


def test_base64_forms_become_data_uris_with_detail(image_bytes: Callable[..., bytes]) -> None:
    png = image_bytes()
    data = _b64(png)
    blocks = [
        {"type": "image", "base64": data, "mime_type": "image/png", "detail": "high"},
        {
            "type": "image",
            "source_type": "base64",
            "data": data,
            "mime_type": "image/png",
            "detail": "high",
        },
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": data},
            "detail": "high",
        },
    ]
    for block in blocks:
        ref = image_reference(block)
        assert ref.detail == "high"
        assert isinstance(ref.source, str)
        assert parse_data_uri(ref.source) == ("image/png", png)


def test_base64_without_mime_type_is_decoded_to_bytes(image_bytes: Callable[..., bytes]) -> None:
    jpeg = image_bytes(fmt="JPEG")
    assert image_reference({"type": "image", "base64": _b64(jpeg)}).source == jpeg


def test_detail_survives_langchain_v0_to_v1_normalisation() -> None:
    """langchain-core moves v0 extras (like detail) into ``extras``; the detail must survive."""
    message = HumanMessage(
        content=[{"type": "image", "source_type": "url", "url": URL, "detail": "high"}]
    )
    (normalised,) = _normalize_messages([message])
    block = normalised.content[0]
    assert isinstance(block, dict)
    assert "source_type" not in block
    assert image_reference(block) == ImageReference(URL, "high")


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "file_id": "file-123"},
        {"type": "image", "source_type": "id", "id": "file-123"},
        {"type": "image", "source": {"type": "file", "file_id": "file-123"}},
        {"type": "image_url", "image_url": {"file_id": "file-123"}},
    ],
)
def test_file_id_forms_are_refused_clearly(block: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError, match="file id"):
        image_reference(block, where="message 0, block 2")


def test_errors_name_the_block() -> None:
    with pytest.raises(
        RequestValidationError, match=r"message 3, block 1: detail must be .*'huge'"
    ):
        image_reference(
            {"type": "image_url", "image_url": {"url": URL, "detail": "huge"}},
            where="message 3, block 1",
        )


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": "/etc/passwd"}},
        {"type": "image", "url": "file:///etc/passwd"},
        {"type": "image", "source": {"type": "url", "url": "~/secret.png"}},
    ],
)
def test_local_paths_in_blocks_are_refused(block: dict[str, Any]) -> None:
    """A block may come from untrusted input: it must never make us read a local file."""
    with pytest.raises(ImageSourceError, match="http"):
        image_reference(block)


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image"},
        {"type": "image", "source": "not an object"},
        {"type": "image", "source": {"type": "s3", "bucket": "x"}},
        {"type": "image", "source_type": "text", "url": URL},
        {"type": "image_url"},
        {"type": "image_url", "image_url": {"url": ""}},
    ],
)
def test_malformed_image_blocks_raise_typed_errors(block: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError):
        image_reference(block)


def test_invalid_base64_raises_before_sending() -> None:
    with pytest.raises(ImageSourceError, match="not valid base64"):
        image_reference({"type": "image", "base64": "***not base64***"})


def test_image_block_from_path_bytes_pil_and_url(
    png_path: Callable[..., str], image_bytes: Callable[..., bytes]
) -> None:
    path = png_path(color="blue", size=(32, 32))
    from_path = image_block(path, detail="low")
    assert from_path["type"] == "image_url"
    assert from_path["image_url"]["detail"] == "low"
    mime, data = parse_data_uri(from_path["image_url"]["url"])
    assert mime == "image/png"
    assert Image.open(io.BytesIO(data)).size == (32, 32)

    jpeg = image_bytes(fmt="JPEG")
    assert parse_data_uri(image_block(jpeg)["image_url"]["url"])[0] == "image/jpeg"
    assert "detail" not in image_block(jpeg)["image_url"]

    pil = Image.new("RGB", (20, 10), "green")
    assert parse_data_uri(image_block(pil, detail="high")["image_url"]["url"])[0].startswith(
        "image/"
    )
    assert image_block(URL, detail="auto") == {
        "type": "image_url",
        "image_url": {"url": URL, "detail": "auto"},
    }
    # The helper's output is itself a block the adapter reads back unchanged.
    assert image_reference(from_path) == ImageReference(from_path["image_url"]["url"], "low")


def test_image_block_rejects_non_images_naming_the_source(tmp_path: Any) -> None:
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is text, not a picture")
    with pytest.raises(ImageDecodeError, match=r"notes\.png"):
        image_block(str(bad))


@pytest.mark.parametrize("payload", ["YWJj=", "YQ==YQ==", "YWJjZA", "YWJj\nZA=="])
def test_malformed_base64_padding_or_whitespace_is_refused(payload: str) -> None:
    with pytest.raises(ImageSourceError, match="not valid base64"):
        image_reference({"type": "image", "base64": payload})


@pytest.mark.parametrize("claimed", ["image/jpg", "image/png; charset=x", "text/plain", "png"])
def test_a_wrong_or_odd_claimed_type_never_breaks_a_block(
    image_bytes: Callable[..., bytes], claimed: str
) -> None:
    """The core's one base64 rule: a type it does not name is not spliced into the URI."""
    png = image_bytes()
    ref = image_reference({"type": "image", "base64": _b64(png), "mime_type": claimed})
    assert isinstance(ref.source, str)
    assert ref.source.startswith("data:application/octet-stream;base64,")
    block = image_block(ref.source)
    assert parse_data_uri(block["image_url"]["url"]) == ("image/png", png)


def test_misshapen_base64_with_a_type_is_refused_naming_the_block() -> None:
    with pytest.raises(ImageSourceError, match="not valid base64") as info:
        image_reference(
            {"type": "image", "base64": "YWJj=", "mime_type": "image/png"}, where="message 1"
        )
    assert info.value.source == "message 1"
