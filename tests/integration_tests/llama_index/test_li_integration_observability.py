"""Callbacks and instrumentation around both classes, against the emulator.

``TokenCountingHandler`` must count image-bearing calls from xAI's usage (streamed ones too);
every call must fire exactly one start and one end event; the API key must appear in none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.callbacks import CallbackManager, CBEventType, TokenCountingHandler
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
    LLMStructuredPredictEndEvent,
)
from llama_index.core.prompts import ChatPromptTemplate
from llama_index.core.rate_limiter import BaseRateLimiter
from llama_index.core.schema import ImageDocument
from llama_index_observers import CallbackRecorder, EventRecorder, recording_events
from pydantic import BaseModel
from xai_vision.emulator import Emulator
from xai_vision.tokens import estimate_image_tokens

from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

SECRET = "xai-observability-secret-9876543210"
SIZE = (64, 48)


@pytest.fixture
def recorder() -> Iterator[EventRecorder]:
    with recording_events() as events:
        yield events


@pytest.fixture
def image_path(png_path: Callable[..., str]) -> Path:
    return Path(png_path("seen.png", color="red", size=SIZE))


def _message(path: Path) -> ChatMessage:
    return ChatMessage(role="user", blocks=[TextBlock(text="What?"), ImageBlock(path=path)])


async def _drain(result: Any) -> Any:
    """The final response of any of the eight methods' results (awaited and iterated)."""
    if hasattr(result, "__await__"):
        result = await result
    if isinstance(result, AsyncIterator):
        return [item async for item in result][-1]
    if isinstance(result, Iterator):
        return list(result)[-1]
    return result


def _calls(llm: Any, path: Path) -> list[tuple[str, Callable[[], Any]]]:
    message = _message(path)
    if isinstance(llm, XAIVisionMultiModal):
        docs = [ImageDocument(image_path=str(path))]
        completion = [
            ("complete", lambda: llm.complete("What?", image_documents=docs)),
            ("stream_complete", lambda: llm.stream_complete("What?", image_documents=docs)),
            ("acomplete", lambda: llm.acomplete("What?", image_documents=docs)),
            ("astream_complete", lambda: llm.astream_complete("What?", image_documents=docs)),
        ]
    else:
        completion = [
            ("complete", lambda: llm.complete("What?")),
            ("stream_complete", lambda: llm.stream_complete("What?")),
            ("acomplete", lambda: llm.acomplete("What?")),
            ("astream_complete", lambda: llm.astream_complete("What?")),
        ]
    return [
        *completion,
        ("chat", lambda: llm.chat([message])),
        ("stream_chat", lambda: llm.stream_chat([message])),
        ("achat", lambda: llm.achat([message])),
        ("astream_chat", lambda: llm.astream_chat([message])),
    ]


@pytest.mark.parametrize("cls", [XAIVision, XAIVisionMultiModal])
async def test_one_start_and_one_end_event_per_call_and_no_key(
    cls: type[Any], xai_emulator: Emulator, recorder: EventRecorder, image_path: Path
) -> None:
    callbacks = CallbackRecorder()
    llm = cls(
        api_key=SECRET,
        base_url=xai_emulator.base_url,
        callback_manager=CallbackManager([callbacks]),
    )
    for name, call in _calls(llm, image_path):
        recorder.events.clear()
        callbacks.events.clear()
        final = await _drain(call())
        assert final is not None, name
        chat = name.endswith("chat")
        start = LLMChatStartEvent if chat else LLMCompletionStartEvent
        end = LLMChatEndEvent if chat else LLMCompletionEndEvent
        assert sum(isinstance(e, start) for e in recorder.events) == 1, name
        assert sum(isinstance(e, end) for e in recorder.events) == 1, name
        llm_starts = callbacks.count(CBEventType.LLM, "start")
        assert (llm_starts, callbacks.count(CBEventType.LLM, "end")) == (1, 1), name
        for event in recorder.events:
            assert SECRET not in event.model_dump_json(), (name, type(event).__name__)
        for payload in callbacks.payloads:
            assert SECRET not in repr(payload), name
    assert len(xai_emulator.requests) == 8


@pytest.mark.parametrize("cls", [XAIVision, XAIVisionMultiModal])
async def test_token_counting_handler_counts_image_calls(
    cls: type[Any], xai_emulator: Emulator, image_path: Path
) -> None:
    # A whitespace tokenizer: TokenCountingHandler's default would fetch tiktoken data.
    counter = TokenCountingHandler(tokenizer=str.split)
    llm = cls(
        api_key=xai_emulator.api_key,
        base_url=xai_emulator.base_url,
        callback_manager=CallbackManager([counter]),
    )
    image_tokens = estimate_image_tokens(SIZE)
    for name, call in _calls(llm, image_path):
        counter.reset_counts()
        final = await _drain(call())
        usage = final.raw["usage"]
        [event] = counter.llm_token_counts
        assert event.prompt_token_count == usage["prompt_tokens"], name
        assert event.completion_token_count == usage["completion_tokens"], name
        assert counter.total_llm_token_count == usage["prompt_tokens"] + usage["completion_tokens"]
        has_image = isinstance(llm, XAIVisionMultiModal) or name.endswith("chat")
        if has_image:
            assert usage["prompt_tokens_details"]["image_tokens"] == image_tokens, name
            assert event.prompt_token_count > image_tokens, name
        else:
            assert usage["prompt_tokens_details"]["image_tokens"] == 0, name


class CountingLimiter(BaseRateLimiter):
    """Counts how often the callback wrappers ask for permission."""

    def __init__(self) -> None:
        self.sync = 0
        self.asynchronous = 0

    def acquire(self, num_tokens: int = 0) -> None:
        self.sync += 1

    async def async_acquire(self, num_tokens: int = 0) -> None:
        self.asynchronous += 1


@pytest.mark.parametrize("cls", [XAIVision, XAIVisionMultiModal])
async def test_rate_limiter_is_consulted_once_per_call(
    cls: type[Any], xai_emulator: Emulator, image_path: Path
) -> None:
    limiter = CountingLimiter()
    llm = cls(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, rate_limiter=limiter)
    for _, call in _calls(llm, image_path):
        await _drain(call())
    assert (limiter.sync, limiter.asynchronous) == (4, 4)
    assert "rate_limiter" not in llm.to_dict()


class Shape(BaseModel):
    """A shape in a picture."""

    colour: str
    sides: int


async def test_structured_predict_events(
    xai_emulator: Emulator, recorder: EventRecorder, image_path: Path
) -> None:
    llm = XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    prompt = ChatPromptTemplate(message_templates=[_message(image_path)])
    for run in (
        lambda: llm.structured_predict(Shape, prompt),
        lambda: llm.astructured_predict(Shape, prompt),
    ):
        recorder.events.clear()
        result = await _drain(run())
        assert isinstance(result, Shape)
        names = [type(e).__name__ for e in recorder.events]
        assert names.count("LLMStructuredPredictStartEvent") == 1
        assert names.count("LLMStructuredPredictEndEvent") == 1
        assert names.count("LLMChatStartEvent") == 1
        assert names.count("LLMChatEndEvent") == 1
        end = next(e for e in recorder.events if isinstance(e, LLMStructuredPredictEndEvent))
        assert end.output == result
