"""ChatXAIVision refuses more images in a message than xAI takes, before sending anything."""

from __future__ import annotations

import io

import pytest
from langchain_core.messages import HumanMessage
from PIL import Image
from xai_vision.emulator import Emulator
from xai_vision.errors import BadRequestError, TooManyImagesError

from langchain_xai_vision import ChatXAIVision, image_block


def question(n: int) -> HumanMessage:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "green").save(buf, "PNG")
    return HumanMessage(
        content=[{"type": "text", "text": "Count."}, *[image_block(buf.getvalue())] * n]
    )


def test_eleven_images_in_a_message_fail_before_any_request(xai_emulator: Emulator) -> None:
    model = ChatXAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    with pytest.raises(TooManyImagesError, match="carries 11 images; at most 10"):
        model.invoke([question(11)])
    assert xai_emulator.requests == []
    assert "I see 10 images." in str(model.invoke([question(10)]).content)


def test_the_limit_is_a_field(xai_emulator: Emulator) -> None:
    lifted = ChatXAIVision(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, max_images_per_message=None
    )
    with pytest.raises(BadRequestError):  # the emulator, like xAI's stricter source, says 400
        lifted.invoke([question(11)])
    tight = ChatXAIVision(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, max_images_per_message=2
    )
    with pytest.raises(TooManyImagesError):
        tight.invoke([question(3)])
