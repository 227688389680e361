"""Prompt caching through both LlamaIndex classes: xAI's ``cached_tokens`` reaches
``raw["usage"]`` and ``additional_kwargs["cached_tokens"]``, streamed or not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.schema import ImageDocument
from xai_vision.emulator import Emulator
from xai_vision.tokens import estimate_messages_text_tokens

from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

#: About 1,250 text tokens: a prefix long enough to be cached (1,024 at least).
LONG = "The quick brown fox jumps over the lazy dog. " * 110


@pytest.fixture
def llm(xai_emulator: Emulator) -> XAIVision:
    return XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, max_retries=0)


def conversation(question: str) -> list[ChatMessage]:
    return [ChatMessage(role="system", content=LONG), ChatMessage(role="user", content=question)]


def cached_of(response: Any) -> int:
    """``cached_tokens`` as the response carries it, after checking both places agree."""
    raw = response.raw["usage"]["prompt_tokens_details"]["cached_tokens"]
    assert response.additional_kwargs["cached_tokens"] == raw
    value: int = raw
    return value


def test_chat_reports_the_cached_system_prompt(llm: XAIVision) -> None:
    first = llm.chat(conversation("What is the fox doing?"))
    second = llm.chat(conversation("And the dog?"))
    assert cached_of(first) == 0
    system = estimate_messages_text_tokens([{"role": "system", "content": LONG}])
    assert cached_of(second) == system
    assert second.additional_kwargs["prompt_tokens"] > system


def test_streamed_chat_and_completion_carry_cached_tokens_on_the_last_response(
    llm: XAIVision,
) -> None:
    llm.chat(conversation("What is the fox doing?"))
    *_, last = llm.stream_chat(conversation("What is the fox doing?"))
    assert cached_of(last) == last.additional_kwargs["prompt_tokens"] > 0

    llm.complete(LONG)
    *_, done = llm.stream_complete(LONG)
    assert cached_of(done) == done.additional_kwargs["prompt_tokens"] > 0


def test_async_chat_carries_cached_tokens(llm: XAIVision) -> None:
    async def twice() -> Any:
        await llm.achat(conversation("Q?"))
        return await llm.achat(conversation("Q?"))

    assert cached_of(asyncio.run(twice())) > 0


def test_images_count_as_image_tokens_never_as_cached_ones(
    llm: XAIVision, png_path: Callable[..., str]
) -> None:
    picture = ImageBlock(path=Path(png_path("red.png", color="red", size=(640, 480))))
    message = ChatMessage(role="user", blocks=[TextBlock(text=LONG), picture])
    llm.chat([message])
    response = llm.chat([message])
    kwargs = response.additional_kwargs
    assert kwargs["image_tokens"] > 0
    assert cached_of(response) == kwargs["prompt_tokens"] - kwargs["image_tokens"]


def test_multimodal_complete_reports_cached_tokens(
    xai_emulator: Emulator, png_path: Callable[..., str]
) -> None:
    mm = XAIVisionMultiModal(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    documents = [ImageDocument(image_path=png_path("blue.png", color="blue"))]
    mm.complete(LONG, image_documents=documents)
    response = mm.complete(LONG, image_documents=documents)
    assert cached_of(response) > 0


def test_token_counting_handler_still_counts_the_whole_prompt(xai_emulator: Emulator) -> None:
    """Cached tokens are inside prompt_tokens: counting them must not change the prompt count."""
    counter = TokenCountingHandler(tokenizer=str.split)
    llm = XAIVision(
        api_key=xai_emulator.api_key,
        base_url=xai_emulator.base_url,
        callback_manager=CallbackManager([counter]),
    )
    first = llm.chat(conversation("Q?"))
    second = llm.chat(conversation("Q?"))
    assert cached_of(second) > 0
    assert counter.prompt_llm_token_count == 2 * first.additional_kwargs["prompt_tokens"]
