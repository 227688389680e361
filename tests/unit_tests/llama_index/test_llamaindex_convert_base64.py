"""LlamaIndex's stored base64 reaches the wire without a decode/re-encode round trip when it can.

ImageBlock, ImageNode and MediaResource keep image bytes as base64; the adapter hands that text
to the core as a data URI, so a right MIME type means the block's own base64 is what is sent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock
from llama_index.core.schema import Document, ImageNode, MediaResource
from xai_vision.errors import ImageDecodeError, ImageSourceError, RequestValidationError
from xai_vision.images import parse_data_uri
from xai_vision.messages import ImageCollector

from llama_index_xai_vision._convert import image_input_source, to_wire_messages

ImageFactory = Callable[..., bytes]


def wire_url(block: ImageBlock) -> str:
    """The data URI the adapter puts on the wire for one block."""
    [message] = to_wire_messages([ChatMessage(role="user", blocks=[block])], ImageCollector())
    content: Any = message["content"]
    url = content[0]["image_url"]["url"]
    assert isinstance(url, str)
    return url


def test_block_base64_is_sent_as_it_is_stored(image_bytes: ImageFactory) -> None:
    jpeg = image_bytes(fmt="JPEG", size=(48, 32))
    block = ImageBlock(image=jpeg, image_mimetype="image/jpeg")
    assert isinstance(block.image, bytes)
    assert wire_url(block) == "data:image/jpeg;base64," + block.image.decode()


@pytest.mark.parametrize("claimed", ["image/png", "text/plain", None])
def test_a_wrong_or_missing_claimed_type_is_corrected_from_the_bytes(
    image_bytes: ImageFactory, claimed: str | None
) -> None:
    jpeg = image_bytes(fmt="JPEG", size=(20, 10))
    block = ImageBlock(image=jpeg)
    block.image_mimetype = claimed
    assert parse_data_uri(wire_url(block)) == ("image/jpeg", jpeg)


def test_node_and_resource_base64_become_data_uris(image_bytes: ImageFactory) -> None:
    png = image_bytes(fmt="PNG")
    encoded = base64.b64encode(png).decode()
    node = ImageNode(image=encoded, image_mimetype="image/png")
    assert image_input_source(node, "here")[0] == "data:image/png;base64," + encoded
    document = Document(image_resource=MediaResource(data=png, mimetype="image/png"))
    assert image_input_source(document, "here")[0] == "data:image/png;base64," + encoded


@pytest.mark.parametrize(
    ("stored", "reason"),
    [(b"abcde", "5 characters"), ("YWJj\u00e9===", "not ASCII"), (b"\xffabc", "non-ASCII bytes")],
)
def test_misshapen_base64_is_refused_naming_the_block(stored: bytes | str, reason: str) -> None:
    node = ImageNode(image="AAAA")
    node.__dict__["image"] = stored  # past the model's validation, as a stale object could be
    with pytest.raises(
        RequestValidationError, match=rf"^here: image data is not valid base64.*{reason}"
    ):
        image_input_source(node, "here")


def test_bad_base64_characters_are_refused_by_the_core() -> None:
    block = ImageBlock(image=b"AAAA")
    block.__dict__["image"] = b"AA$A"  # past the model's validation (ChatMessage would redo it)
    source, _ = image_input_source(block, "here")
    with pytest.raises(
        ImageSourceError, match=r"bad base64 in data URI: unexpected character '\$'"
    ):
        ImageCollector().add(source)


def test_valid_base64_of_a_broken_image_is_a_decode_error(image_bytes: ImageFactory) -> None:
    jpeg = image_bytes(fmt="JPEG", size=(64, 64))
    block = ImageBlock(image=jpeg[: len(jpeg) - 40], image_mimetype="image/jpeg")
    with pytest.raises(ImageDecodeError, match="truncated"):
        wire_url(block)
