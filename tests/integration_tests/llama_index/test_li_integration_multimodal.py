"""XAIVisionMultiModal against the emulator: the eight methods, every image input, usage."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.schema import ImageDocument, ImageNode
from xai_vision.emulator import Emulator
from xai_vision.errors import BadRequestError

from llama_index_xai_vision import XAIVisionMultiModal

ImageFactory = Callable[..., bytes]


@pytest.fixture
def llm(xai_emulator: Emulator) -> XAIVisionMultiModal:
    return XAIVisionMultiModal(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)


@pytest.fixture
def documents(
    png_path: Callable[..., str], image_bytes: ImageFactory
) -> list[ImageDocument | ImageNode | ImageBlock]:
    """A red PNG document on disk, a blue JPEG node in base64, a green WebP block in bytes."""
    red = ImageDocument(image_path=png_path("red.png", color="red", size=(64, 48)))
    blue = ImageNode(
        image=base64.b64encode(image_bytes(color="blue", size=(32, 32), fmt="JPEG")).decode()
    )
    green = ImageBlock(image=image_bytes(color="green", size=(20, 40), fmt="WEBP"), detail="low")
    return [red, blue, green]


def _wire_images(emulator: Emulator) -> list[dict[str, Any]]:
    body = emulator.last_request.body
    return [
        part["image_url"]
        for message in body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "image_url"
    ]


EXPECTED = [
    "I see 3 images.",
    "Image 1: 64x48 png, detail auto, landscape, bright, mostly red.",
    "Image 2: 32x32 jpeg, detail auto, square, dark, mostly blue.",
    "Image 3: 20x40 png, detail low, portrait, dark, mostly green.",
    "You asked: What colours?",
]


def test_complete_with_document_node_and_block(
    llm: XAIVisionMultiModal, documents: list[Any], xai_emulator: Emulator
) -> None:
    response = llm.complete("What colours?", image_documents=documents)
    assert response.text.splitlines() == EXPECTED
    images = _wire_images(xai_emulator)
    assert [image["url"].split(";")[0] for image in images] == [
        "data:image/png",
        "data:image/jpeg",
        "data:image/png",  # the WebP, converted (xAI has refused WebP)
    ]
    assert [image.get("detail") for image in images] == [None, None, "low"]
    usage = response.raw["usage"]
    assert usage["prompt_tokens_details"]["image_tokens"] > 0
    assert (
        response.additional_kwargs["image_tokens"] == usage["prompt_tokens_details"]["image_tokens"]
    )
    assert response.additional_kwargs["prompt_tokens"] == usage["prompt_tokens"]


def test_instance_detail_applies_to_images_without_one(
    xai_emulator: Emulator, documents: list[Any]
) -> None:
    llm = XAIVisionMultiModal(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, detail="high"
    )
    llm.complete("What colours?", image_documents=documents)
    assert [image.get("detail") for image in _wire_images(xai_emulator)] == [
        "high",
        "high",
        "low",
    ]


def test_complete_without_images_as_chat_engines_call_it(llm: XAIVisionMultiModal) -> None:
    assert llm.complete("Condense this question.").text.splitlines() == [
        "I see no images.",
        "You asked: Condense this question.",
    ]


def test_stream_complete_accumulates_and_ends_with_usage(
    llm: XAIVisionMultiModal, documents: list[Any], xai_emulator: Emulator
) -> None:
    responses = list(llm.stream_complete("What colours?", image_documents=documents))
    assert len(responses) > 2
    assert responses[-1].text.splitlines() == EXPECTED
    assert "".join(r.delta or "" for r in responses) == responses[-1].text
    for before, after in itertools.pairwise(responses):
        assert after.text.startswith(before.text)
    assert (
        responses[-1].raw["usage"]["prompt_tokens"]
        == responses[-1].additional_kwargs["prompt_tokens"]
    )
    body = xai_emulator.last_request.body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_include_usage_can_be_turned_off(xai_emulator: Emulator) -> None:
    llm = XAIVisionMultiModal(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, include_usage=False
    )
    responses = list(llm.stream_complete("hi"))
    assert "stream_options" not in xai_emulator.last_request.body
    assert all("prompt_tokens" not in r.additional_kwargs for r in responses)


def test_chat_and_stream_chat_with_blocks(
    llm: XAIVisionMultiModal, image_bytes: ImageFactory
) -> None:
    message = ChatMessage(
        role="user",
        blocks=[TextBlock(text="Which one?"), ImageBlock(image=image_bytes(color="yellow"))],
    )
    messages = [ChatMessage(role="system", content="Be short."), message]
    chat = llm.chat(messages)
    assert "mostly yellow" in (chat.message.content or "")
    assert chat.message.role == "assistant"
    streamed = list(llm.stream_chat(messages))
    assert streamed[-1].message.content == chat.message.content
    assert "".join(r.delta or "" for r in streamed) == chat.message.content
    assert streamed[-1].additional_kwargs["total_tokens"] == chat.additional_kwargs["total_tokens"]


async def test_async_methods(llm: XAIVisionMultiModal, documents: list[Any]) -> None:
    completion = await llm.acomplete("What colours?", image_documents=documents)
    assert completion.text.splitlines() == EXPECTED

    streamed = [r async for r in await llm.astream_complete("What colours?", documents)]
    assert streamed[-1].text == completion.text
    assert "prompt_tokens" in streamed[-1].additional_kwargs

    message = ChatMessage(role="user", blocks=[TextBlock(text="What colours?"), documents[2]])
    chat = await llm.achat([message])
    assert "mostly green" in (chat.message.content or "")
    chunks = [r async for r in await llm.astream_chat([message])]
    assert chunks[-1].message.content == chat.message.content
    assert chunks[-1].raw["usage"]["prompt_tokens"] == chat.raw["usage"]["prompt_tokens"]


def test_image_url_is_sent_as_a_url_and_server_errors_surface_unchanged(
    llm: XAIVisionMultiModal, xai_emulator: Emulator
) -> None:
    # xAI fetches URL images itself; the emulator does too (loopback only), and fails here.
    node = ImageNode(image_url="http://127.0.0.1:9/unreachable.png")
    with pytest.raises(BadRequestError, match=r"unreachable\.png") as info:
        llm.complete("What?", image_documents=[node])
    assert info.value.status_code == 400
    assert xai_emulator.last_request.body["messages"][0]["content"][1]["image_url"] == {
        "url": "http://127.0.0.1:9/unreachable.png"
    }
