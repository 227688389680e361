"""XAIVision and XAIVisionMultiModal on both endpoints against the emulator: the same answers,
streams and token counts, and previous_response_id after a stored answer."""

from __future__ import annotations

import functools
from typing import Any

from endpoint_params import adapter_on, emulator_path
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.schema import ImageDocument
from xai_vision.emulator import Emulator

from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

#: ``XAIVision`` on an emulator with ``use_responses_api`` and fields (no retries).
_llm = functools.partial(adapter_on, XAIVision, max_retries=0)


def _look(image: bytes) -> ChatMessage:
    return ChatMessage(
        role="user", blocks=[TextBlock(text="What is this?"), ImageBlock(image=image)]
    )


def test_chat_answers_and_counts_the_same(
    xai_emulator: Emulator, image_bytes: Any, responses: bool
) -> None:
    message = _look(image_bytes(color="red", size=(640, 480)))
    expected = _llm(xai_emulator, False).chat([message])
    counter = TokenCountingHandler()
    llm = _llm(xai_emulator, responses, callback_manager=CallbackManager([counter]))
    response = llm.chat([message])
    assert xai_emulator.last_request.path == emulator_path(responses)
    assert response.message.content == expected.message.content
    assert (
        response.additional_kwargs["prompt_tokens"] == expected.additional_kwargs["prompt_tokens"]
    )
    assert response.additional_kwargs["image_tokens"] == expected.additional_kwargs["image_tokens"]
    assert counter.prompt_llm_token_count == expected.additional_kwargs["prompt_tokens"]
    assert counter.completion_llm_token_count == expected.additional_kwargs["completion_tokens"]


async def test_streams_end_with_the_whole_answer_and_usage(
    xai_emulator: Emulator, image_bytes: Any, responses: bool
) -> None:
    llm = _llm(xai_emulator, responses)
    message = _look(image_bytes(color="blue"))
    whole = llm.chat([message])
    responses_seen = [response async for response in await llm.astream_chat([message])]
    last = responses_seen[-1]
    assert len(responses_seen) > 2 and last.message.content == whole.message.content
    assert last.additional_kwargs["prompt_tokens"] == whole.additional_kwargs["prompt_tokens"]


def test_previous_response_id_sends_only_the_new_messages(xai_emulator: Emulator) -> None:
    llm = _llm(xai_emulator, True, use_previous_response_id=True)
    history = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi"),
    ]
    first = llm.chat(history)
    assert first.message.additional_kwargs["stored"] is True
    second = llm.chat([*history, first.message, ChatMessage(role="user", content="More")])
    body = xai_emulator.last_request.body
    assert body["previous_response_id"] == first.message.additional_kwargs["response_id"]
    assert body["input"] == [{"role": "user", "content": "More"}]
    assert "You asked: More" in (second.message.content or "")


def test_the_multimodal_class_on_both_endpoints(
    xai_emulator: Emulator, png_path: Any, responses: bool
) -> None:
    llm = adapter_on(XAIVisionMultiModal, xai_emulator, responses)
    document = ImageDocument(image_path=png_path("green.png", color="green", size=(32, 32)))
    answer = llm.complete("Colour?", image_documents=[document])
    assert "32x32 png" in answer.text and "You asked: Colour?" in answer.text
    assert xai_emulator.last_request.path == emulator_path(responses)
