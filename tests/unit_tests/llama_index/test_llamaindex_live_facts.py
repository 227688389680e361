"""The LlamaIndex classes with xAI's live model facts, against an emulator serving models the
project has never seen: ``count_tokens`` equals what is billed (and what
``TokenCountingHandler`` reads), the cost is in ``raw`` and ``additional_kwargs``, and a
text-only model is refused before sending."""

from __future__ import annotations

import io
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, MessageRole, TextBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from PIL import Image
from unseen_models import UNSEEN_MODELS
from xai_vision.emulator import Emulator, EmulatorSettings
from xai_vision.errors import RequestValidationError

from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

MODELS = (*UNSEEN_MODELS,)


def png(size: tuple[int, int] = (900, 500)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def messages(image: bool = True) -> list[ChatMessage]:
    blocks: list[Any] = [TextBlock(text="What is this?")]
    if image:
        blocks.append(ImageBlock(image=png()))
    return [
        ChatMessage(role=MessageRole.SYSTEM, content="Answer briefly."),
        ChatMessage(role=MessageRole.USER, blocks=blocks),
    ]


@pytest.fixture
def emulator(unseen_models_emulator: Emulator) -> Emulator:
    return unseen_models_emulator


def llm_for(emulator: Emulator, model: str = "grok-9-vision", **fields: Any) -> XAIVision:
    return XAIVision(model=model, api_key=emulator.api_key, base_url=emulator.base_url, **fields)


@pytest.mark.parametrize(("model", "image"), [("grok-9-vision", True), ("grok-9-text", False)])
def test_count_tokens_equals_the_billed_and_the_handlers_counts(
    emulator: Emulator, model: str, image: bool
) -> None:
    counter = TokenCountingHandler(tokenizer=str.split)  # would count words if usage were lost
    llm = llm_for(emulator, model, callback_manager=CallbackManager([counter]))
    counted = llm.count_tokens(messages(image))
    assert counted.text_exact
    response = llm.chat(messages(image))
    assert counted.total == response.raw["usage"]["prompt_tokens"]
    [event] = counter.llm_token_counts
    assert event.prompt_token_count == counted.total
    assert event.completion_token_count == response.raw["usage"]["completion_tokens"]
    if image:
        assert (
            counted.messages[1].image_tokens
            == response.raw["usage"]["prompt_tokens_details"]["image_tokens"]
        )


async def test_acount_tokens_matches_and_the_multimodal_class_counts_too(
    emulator: Emulator,
) -> None:
    llm = llm_for(emulator)
    multi = XAIVisionMultiModal(
        model="grok-9-vision", api_key=emulator.api_key, base_url=emulator.base_url
    )
    counted = llm.count_tokens(messages())
    assert await llm.acount_tokens(messages()) == counted
    assert multi.count_tokens(messages()) == counted


def test_the_cost_is_in_raw_and_additional_kwargs(emulator: Emulator) -> None:
    llm = llm_for(emulator)
    response = llm.chat(messages())
    reported = response.raw["usage"]["cost_in_usd_ticks"]
    assert response.raw["cost_in_usd_ticks"] == reported
    assert response.raw["cost_usd"] == pytest.approx(reported * 1e-10)
    assert response.additional_kwargs["cost_usd"] == pytest.approx(reported * 1e-10)
    assert "cost_computed" not in response.raw
    final = list(llm.stream_chat(messages()))[-1]
    assert final.raw["cost_in_usd_ticks"] == reported


def test_a_cost_xai_did_not_report_is_computed() -> None:
    with Emulator(settings=EmulatorSettings(models=MODELS, report_cost=False)) as emulator:
        llm = llm_for(emulator)
        response = llm.chat(messages())
        completion = llm.complete("What is this?")
    usage = response.raw["usage"]
    assert "cost_in_usd_ticks" not in usage  # xAI's own object, untouched
    image = usage["prompt_tokens_details"]["image_tokens"]
    expected = (
        (usage["prompt_tokens"] - image) * 4_000
        + image * 9_000
        + usage["completion_tokens"] * 20_000
    )
    assert (response.raw["cost_in_usd_ticks"], response.raw["cost_computed"]) == (expected, True)
    assert response.additional_kwargs["cost_in_usd_ticks"] == expected
    assert completion.raw["cost_computed"] and completion.additional_kwargs["cost_usd"] > 0


def test_a_text_only_model_is_refused_before_sending(emulator: Emulator) -> None:
    llm = llm_for(emulator, "grok-9-text")
    with pytest.raises(RequestValidationError, match="'grok-9-text' does not take images"):
        llm.chat(messages())
    assert "/v1/chat/completions" not in [r.path for r in emulator.requests]
