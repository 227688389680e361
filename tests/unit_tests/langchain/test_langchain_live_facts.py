"""ChatXAIVision with xAI's live model facts, against an emulator serving models the project
has never seen: token counts from tokenize-text equal what is billed, text-only models are
refused before sending, and the cost is in ``response_metadata`` (reported or computed)."""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.tools import tool
from PIL import Image
from unseen_models import UNSEEN_MODELS
from xai_vision.emulator import Emulator, EmulatorSettings
from xai_vision.errors import RequestValidationError

from langchain_xai_vision import ChatXAIVision, image_block

MODELS = (*UNSEEN_MODELS,)


@tool
def look(where: str) -> str:
    """Look somewhere."""
    return where


def png(size: tuple[int, int] = (900, 500)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def image_messages() -> list[Any]:
    data = base64.b64encode(png()).decode()
    return [
        SystemMessage("Answer briefly."),
        HumanMessage(
            [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
                image_block(png((32, 32)), detail="low"),
            ]
        ),
    ]


@pytest.fixture
def emulator(unseen_models_emulator: Emulator) -> Emulator:
    return unseen_models_emulator


def model_for(emulator: Emulator, name: str = "grok-9-vision", **fields: Any) -> ChatXAIVision:
    return ChatXAIVision(model=name, api_key=emulator.api_key, base_url=emulator.base_url, **fields)


def tokenized(emulator: Emulator) -> list[str]:
    return [r.body["text"] for r in emulator.requests if r.path == "/v1/tokenize-text"]


def test_get_num_tokens_asks_xais_tokenizer_once_per_text(emulator: Emulator) -> None:
    model = model_for(emulator)
    assert model.get_num_tokens("abcdefghi") == 3  # the emulator's pieces of 4 characters
    assert model.get_num_tokens("abcdefghi") == 3
    assert tokenized(emulator) == ["abcdefghi"]
    assert emulator.requests[0].body["model"] == "grok-9-vision"


@pytest.mark.parametrize("with_images", [False, True])
def test_message_counts_equal_the_billed_prompt_tokens(
    emulator: Emulator, with_images: bool
) -> None:
    model = model_for(emulator) if with_images else model_for(emulator, "grok-9-text")
    messages = image_messages() if with_images else [SystemMessage("Be brief."), HumanMessage("Hi")]
    messages += [AIMessage("A red thing."), HumanMessage("And now?")]
    counted = model.get_num_tokens_from_messages(messages, tools=[look])
    answer = model.bind_tools([look], tool_choice="none").invoke(messages)
    assert answer.usage_metadata is not None
    assert counted == answer.usage_metadata["input_tokens"]
    detail = model.count_tokens(messages, tools=[look])
    assert detail.total == counted and detail.text_exact
    assert [m.role for m in detail.messages] == ["system", "user", "assistant", "user"]
    if with_images:
        assert (detail.messages[1].images, detail.messages[1].image_tokens) == (2, 7 * 256 + 256)
    assert "And now?" in tokenized(emulator)


def test_a_text_only_model_is_refused_before_sending(emulator: Emulator) -> None:
    model = model_for(emulator, "grok-9-text")
    with pytest.raises(RequestValidationError, match="'grok-9-text' does not take images"):
        model.invoke(image_messages())
    with pytest.raises(RequestValidationError, match="does not take images"):
        list(model.stream(image_messages()))
    assert "/v1/chat/completions" not in [r.path for r in emulator.requests]


async def test_the_cost_is_in_the_response_metadata(emulator: Emulator) -> None:
    model = model_for(emulator)
    answer = model.invoke(image_messages())
    metadata = answer.response_metadata
    reported = metadata["usage"]["cost_in_usd_ticks"]
    assert metadata["cost_in_usd_ticks"] == reported
    assert metadata["cost_usd"] == pytest.approx(reported * 1e-10)
    assert "cost_computed" not in metadata
    chunks = [chunk async for chunk in model.astream(image_messages())]
    final = chunks[0]
    for chunk in chunks[1:]:
        final = final + chunk
    assert isinstance(final, AIMessageChunk)
    assert final.response_metadata["cost_in_usd_ticks"] == reported


def test_a_cost_xai_did_not_report_is_computed_from_its_prices() -> None:
    settings = EmulatorSettings(models=MODELS, report_cost=False)
    with Emulator(settings=settings) as emulator:
        model = model_for(emulator)
        answer = model.invoke(image_messages())
        streamed = list(model.stream(image_messages()))
    metadata = answer.response_metadata
    usage = answer.usage_metadata
    assert usage is not None
    image = usage["input_token_details"]["image"]  # type: ignore[typeddict-item]
    expected = (
        (usage["input_tokens"] - image) * 4_000 + image * 9_000 + usage["output_tokens"] * 20_000
    )
    assert "cost_in_usd_ticks" not in metadata["usage"]  # xAI's usage as it came
    assert (metadata["cost_in_usd_ticks"], metadata["cost_computed"]) == (expected, True)
    assert metadata["cost_usd"] == pytest.approx(expected * 1e-10)
    assert streamed[-1].response_metadata["cost_in_usd_ticks"] == expected


def test_offline_counts_are_estimates_and_say_so(emulator: Emulator, caplog: Any) -> None:
    emulator.fail_model_endpoints(503)
    model = model_for(emulator, "grok-9-text")
    with caplog.at_level(logging.WARNING, logger="xai_vision"):
        assert model.get_num_tokens("abcdefghi") == 3  # 4 characters a token
    assert "token counts are estimates" in caplog.text
    detail = model.count_tokens([HumanMessage("Hello there")])
    assert not detail.text_exact and detail.note.startswith("estimate")
