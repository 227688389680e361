"""Agents over XAIVision against the emulator: a tool, and an image in the user message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from xai_vision.emulator import Emulator

from llama_index_xai_vision import XAIVision

calls: list[str] = []


def count_fruit(colour: str) -> str:
    """Count the fruit of one colour in stock."""
    calls.append(colour)
    return f"There are 7 {colour} apples in stock."


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


@pytest.fixture
def question(png_path: Callable[..., str]) -> ChatMessage:
    path = png_path("apple.png", color="red", size=(48, 48))
    return ChatMessage(
        role="user",
        blocks=[
            TextBlock(text='How many "red" fruit like this are in stock?'),
            ImageBlock(path=Path(path)),
        ],
    )


def _roles(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["role"], type(m["content"]).__name__) for m in body["messages"]]


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_calls_the_tool_and_sees_the_image(
    xai_emulator: Emulator, question: ChatMessage, streaming: bool
) -> None:
    llm = XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    agent = FunctionAgent(
        tools=[count_fruit], llm=llm, system_prompt="You help with fruit.", streaming=streaming
    )
    handler = agent.run(user_msg=question)
    kinds = [type(event).__name__ async for event in handler.stream_events()]
    result = await handler

    assert calls == ["red"]
    assert [c.tool_name for c in result.tool_calls] == ["count_fruit"]
    answer = (result.response.content or "").splitlines()
    assert answer == [
        "Tool count_fruit returned: There are 7 red apples in stock.",
        "I see 1 image.",
        "Image 1: 48x48 png, detail auto, square, bright, mostly red.",
        'You asked: How many "red" fruit like this are in stock?',
    ]
    assert ("AgentStream" in kinds) is streaming
    first, second = (r.body for r in xai_emulator.requests)
    assert _roles(first) == [("system", "str"), ("user", "list")]
    assert _roles(second) == [
        ("system", "str"),
        ("user", "list"),
        ("assistant", "str"),
        ("tool", "str"),
    ]
    assert second["messages"][2]["tool_calls"][0]["function"]["name"] == "count_fruit"
    assert first.get("stream", False) is streaming


async def test_react_agent_with_an_image(xai_emulator: Emulator, question: ChatMessage) -> None:
    llm = XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    # ReAct parses the model's text; scripted replies play a model that follows the format.
    xai_emulator.queue_reply(
        'Thought: I need the stock count.\nAction: count_fruit\nAction Input: {"colour": "red"}'
    )
    xai_emulator.queue_reply(
        "Thought: I can answer without using any more tools.\nAnswer: 7 red apples."
    )
    agent = ReActAgent(tools=[count_fruit], llm=llm)
    result = await agent.run(user_msg=question)

    assert calls == ["red"]
    assert result.response.content == "7 red apples."
    first, second = (r.body for r in xai_emulator.requests)
    assert ("user", "list") in _roles(first)
    images = [
        part
        for message in first["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "image_url"
    ]
    assert len(images) == 1
    assert any("There are 7 red apples in stock." in str(m["content"]) for m in second["messages"])
