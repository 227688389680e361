"""ChatXAIVision's token estimates against what the emulator bills (the same core rules)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from xai_vision.emulator import Emulator
from xai_vision.errors import ImageDecodeError

from langchain_xai_vision import ChatXAIVision, image_block
from tests.integration_tests.langchain.conftest import png


@tool
def look(where: str) -> str:
    """Look somewhere."""
    return where


def _model(lc_params: dict[str, Any]) -> ChatXAIVision:
    return ChatXAIVision(**lc_params)


def test_text_estimate_needs_no_tokenizer(lc_params: dict[str, Any]) -> None:
    model = _model(lc_params)
    assert model.get_num_tokens("abcdefghi") == 3


def test_message_estimate_equals_the_emulators_prompt_tokens(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    model = _model(lc_params)
    data = base64.b64encode(png("red", (900, 500))).decode()
    messages = [
        SystemMessage("Answer briefly."),
        HumanMessage(
            [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
                image_block(png("blue", (32, 32)), detail="low"),
            ]
        ),
        AIMessage("A red thing and a blue one."),
        HumanMessage("And now?"),
    ]
    estimate = model.get_num_tokens_from_messages(messages)
    answer = model.invoke(messages)
    assert answer.usage_metadata is not None
    assert estimate == answer.usage_metadata["input_tokens"]
    # 900x500 is 3x2 tiles (+1) and the low-detail image one tile: 7*256 + 256 image tokens.
    assert answer.usage_metadata["input_token_details"]["image"] == 8 * 256  # type: ignore[typeddict-item]


def test_tool_schemas_count_like_the_emulator_counts_them(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    model = _model(lc_params)
    messages: list[BaseMessage] = [HumanMessage("Where should I look?")]
    with_tools = model.get_num_tokens_from_messages(messages, tools=[look])
    assert with_tools > model.get_num_tokens_from_messages(messages)
    answer = model.bind_tools([look]).invoke(messages)
    assert answer.usage_metadata is not None
    assert with_tools == answer.usage_metadata["input_tokens"]


def test_url_images_count_as_the_most_an_image_costs(
    lc_params: dict[str, Any], image_server: str
) -> None:
    model = _model(lc_params)
    text_only = model.get_num_tokens_from_messages([HumanMessage("hi")])
    with_url = model.get_num_tokens_from_messages(
        [
            HumanMessage(
                ["hi", {"type": "image_url", "image_url": {"url": f"{image_server}/red.png"}}]
            )
        ]
    )
    # "hi" as one part instead of a string is the same text; the URL image adds 1,792.
    assert with_url - text_only == 1_792


def test_a_bad_image_fails_the_estimate_like_a_request(lc_params: dict[str, Any]) -> None:
    model = _model(lc_params)
    with pytest.raises(ImageDecodeError):
        model.get_num_tokens_from_messages(
            [HumanMessage([image_block(b"\x89PNG\r\n\x1a\nbroken")])]
        )
