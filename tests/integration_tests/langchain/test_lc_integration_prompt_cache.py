"""Prompt caching through ChatXAIVision: ``input_token_details.cache_read`` from xAI's
``cached_tokens``, against the emulator's prompt cache (offline only: it resets the cache)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from xai_vision.emulator import Emulator

from langchain_xai_vision import ChatXAIVision

#: About 1,250 text tokens: a prefix long enough to be cached (1,024 at least).
LONG = "The quick brown fox jumps over the lazy dog. " * 110


def _messages(question: str, *parts: dict[str, Any]) -> list[SystemMessage | HumanMessage]:
    content: list[str | dict[str, Any]] = [{"type": "text", "text": question}, *parts]
    return [SystemMessage(LONG), HumanMessage(content)]


def _streamed(model: ChatXAIVision, messages: list[Any]) -> AIMessageChunk:
    full: AIMessageChunk | None = None
    for chunk in model.stream(messages):
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


def test_cache_read_is_absent_until_a_prefix_repeats(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    model = ChatXAIVision(**lc_params)
    first = model.invoke(_messages("What is the fox doing?"))
    second = model.invoke(_messages("And the dog?"))
    assert first.usage_metadata is not None and second.usage_metadata is not None
    assert "cache_read" not in first.usage_metadata["input_token_details"]
    cache_read = second.usage_metadata["input_token_details"].get("cache_read")
    assert isinstance(cache_read, int) and 0 < cache_read < second.usage_metadata["input_tokens"]


def test_streamed_and_async_answers_carry_cache_read(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    model = ChatXAIVision(**lc_params)
    messages = _messages("What is the fox doing?")
    model.invoke(messages)
    streamed = _streamed(model, messages)
    assert streamed.usage_metadata is not None
    details = streamed.usage_metadata["input_token_details"]
    assert details.get("cache_read") == streamed.usage_metadata["input_tokens"]

    async def both() -> tuple[AIMessage, AIMessageChunk]:
        answer = await model.ainvoke(messages)
        full: AIMessageChunk | None = None
        async for chunk in model.astream(messages):
            full = chunk if full is None else full + chunk
        assert full is not None
        return answer, full

    for message in asyncio.run(both()):
        assert message.usage_metadata is not None
        assert message.usage_metadata["input_token_details"].get("cache_read", 0) > 0


def test_with_an_image_cache_read_and_image_tokens_stay_within_input_tokens(
    lc_params: dict[str, Any], emulator: Emulator, image_bytes: Callable[..., bytes]
) -> None:
    """Cached tokens are part of the text tokens: image + cache_read never exceed the input."""
    data = base64.b64encode(image_bytes("red", (640, 480))).decode()
    picture = {"type": "image", "base64": data, "mime_type": "image/png"}
    model = ChatXAIVision(**lc_params)
    model.invoke(_messages("Which colour?", picture))
    answer = model.invoke(_messages("Which colour?", picture))
    usage = answer.usage_metadata
    assert usage is not None
    details = usage["input_token_details"]
    assert details["image"] > 0
    assert details["cache_read"] == usage["input_tokens"] - details["image"]
    assert usage["input_tokens"] >= sum(v for v in details.values() if isinstance(v, int))
