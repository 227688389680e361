"""XAIVision refuses more images in a message than xAI takes, before sending anything."""

from __future__ import annotations

import io

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from PIL import Image
from xai_vision.emulator import Emulator
from xai_vision.errors import TooManyImagesError
from xai_vision.images import ImageOptions

from llama_index_xai_vision import XAIVision


def question(n: int) -> ChatMessage:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(buf, "PNG")
    blocks = [TextBlock(text="Count."), *[ImageBlock(image=buf.getvalue()) for _ in range(n)]]
    return ChatMessage(role="user", blocks=blocks)


def test_eleven_images_in_a_message_fail_before_any_request(xai_emulator: Emulator) -> None:
    llm = XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    with pytest.raises(TooManyImagesError, match="carries 11 images; at most 10"):
        llm.chat([question(11)])
    assert xai_emulator.requests == []
    assert "I see 10 images." in str(llm.chat([question(10)]).message.content)


def test_the_limit_comes_from_the_image_options(xai_emulator: Emulator) -> None:
    llm = XAIVision(
        api_key=xai_emulator.api_key,
        base_url=xai_emulator.base_url,
        image_options=ImageOptions(max_images_per_message=2),
    )
    with pytest.raises(TooManyImagesError):
        llm.chat([question(3)])
    assert xai_emulator.requests == []
