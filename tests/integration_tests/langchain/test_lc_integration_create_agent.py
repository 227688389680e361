"""LangChain's own agent (``langchain.agents.create_agent``, on langgraph) driving ChatXAIVision
with an image in the user message and a tool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from xai_vision.emulator import Emulator

from langchain_xai_vision import ChatXAIVision, image_block


def test_create_agent_reads_an_image_calls_a_tool_and_answers(
    lc_params: dict[str, Any], image_bytes: Callable[..., bytes], emulator: Emulator
) -> None:
    @tool
    def stock_count(fruit: str) -> str:
        """How many of a fruit are in stock."""
        return f"There are 7 {fruit}s in stock."

    agent = create_agent(ChatXAIVision(**lc_params), tools=[stock_count])
    question = HumanMessage(
        content=[
            {"type": "text", "text": 'Use stock_count: how many "apple" are in stock?'},
            image_block(image_bytes("red", (60, 40)), detail="high"),
        ]
    )
    result = agent.invoke({"messages": [question]})
    messages = result["messages"]

    calls = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    assert calls and calls[0].tool_calls[0]["name"] == "stock_count"
    assert calls[0].tool_calls[0]["args"] == {"fruit": "apple"}
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.content for m in tool_results] == ["There are 7 apples in stock."]
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "There are 7 apples in stock." in final.text
    # the image went over the wire on the first call, with its detail
    first = emulator.requests[0].body["messages"][0]["content"]
    assert first[1]["image_url"]["detail"] == "high"
    assert first[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert final.usage_metadata is not None
    assert final.usage_metadata["input_token_details"]["image"] > 0
