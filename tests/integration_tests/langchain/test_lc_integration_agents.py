"""LangChain agents that look closer: ``create_agent`` with ChatXAIVision and look_closer_tool.

The scene (a poster whose small corner label only a crop shows) is tests/support/poster_agent.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from poster_agent import CROP_LINE, QUESTION, TOOL_TEXT, poster_png
from xai_vision import LookCloser
from xai_vision.emulator import Emulator
from xai_vision.endpoints import endpoint_for
from xai_vision.errors import ImageSourceError
from xai_vision.tokens import estimate_image_tokens

from langchain_xai_vision import ChatXAIVision, image_block, look_closer_tool


def question(poster: bytes) -> HumanMessage:
    return HumanMessage(content=[{"type": "text", "text": QUESTION}, image_block(poster)])


def image_urls(content: Any) -> list[dict[str, Any]]:
    """The ``image_url`` objects of a message's content (none for a string)."""
    if not isinstance(content, list):
        return []
    return [part["image_url"] for part in content if part.get("type") == "image_url"]


@pytest.mark.parametrize("run", ["invoke", "ainvoke"])
async def test_create_agent_looks_closer_and_answers_from_the_crop(
    lc_params: dict[str, Any], emulator: Emulator, run: str
) -> None:
    poster = poster_png()
    agent = create_agent(ChatXAIVision(**lc_params), tools=[look_closer_tool({"poster": poster})])
    state = {"messages": [question(poster)]}
    result = agent.invoke(state) if run == "invoke" else await agent.ainvoke(state)
    messages: list[BaseMessage] = result["messages"]

    call = messages[1]
    assert isinstance(call, AIMessage)
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [
        ("look_closer", {"image": "poster", "box": [0.9, 0.9, 1, 1]})
    ]
    tool_result = messages[2]
    assert isinstance(tool_result, ToolMessage) and tool_result.status == "success"
    assert isinstance(tool_result.content, list)
    assert tool_result.content[0] == {"type": "text", "text": TOOL_TEXT}
    [crop] = image_urls(tool_result.content)
    assert crop["detail"] == "high" and crop["url"].startswith("data:image/png;base64,")

    # The tool the model was offered is the core's: its name, description and JSON schema.
    [offered] = emulator.requests[0].body["tools"]
    looker = LookCloser({"poster": poster})
    assert offered["function"] == {
        "name": "look_closer",
        "description": looker.description,
        "parameters": looker.parameters,
    }
    # The crop reached the model: a tool message with that very image part, after the call.
    first, second = (r.body["messages"] for r in emulator.requests)
    assert [m["role"] for m in first] == ["user"]
    assert [m["role"] for m in second] == ["user", "assistant", "tool"]
    assert second[2]["tool_call_id"] == call.tool_calls[0]["id"]
    assert second[2]["content"][0] == {"type": "text", "text": TOOL_TEXT}
    assert image_urls(second[2]["content"]) == [crop]

    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert final.text.splitlines() == [
        f"Tool look_closer returned: {TOOL_TEXT}",
        "I see 2 images.",
        "Image 1: 800x600 png, detail auto, landscape, bright, mostly white.",
        f"Image 2: {CROP_LINE}",
        f"You asked: {QUESTION}",
    ]
    assert final.usage_metadata is not None
    # Both pictures are billed: the poster (detail auto) and the crop (detail high).
    billed = estimate_image_tokens((800, 600), "auto") + estimate_image_tokens((80, 60), "high")
    assert final.usage_metadata["input_token_details"]["image"] == billed


def test_the_models_mistakes_are_told_to_it_and_the_agent_goes_on(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    poster = poster_png()
    agent = create_agent(ChatXAIVision(**lc_params), tools=[look_closer_tool({"poster": poster})])
    emulator.queue_reply(tool_calls=[{"name": "look_closer", "arguments": {"image": "label"}}])
    emulator.queue_reply(
        tool_calls=[
            {"name": "look_closer", "arguments": {"image": "poster", "box": [0.9, 0.9, 1.5, 1]}}
        ]
    )
    emulator.queue_reply(
        tool_calls=[
            {"name": "look_closer", "arguments": {"image": "poster", "box": [0.9, 0.9, 1, 1]}}
        ]
    )
    result = agent.invoke({"messages": [question(poster)]})
    tool_results = [m for m in result["messages"] if isinstance(m, ToolMessage)]

    assert [m.status for m in tool_results] == ["error", "error", "success"]
    assert tool_results[0].content == (
        "look_closer error: missing argument(s) 'box'; send 'image' (one of 'poster') and "
        "'box' [x0, y0, x1, y1]"
    )
    assert isinstance(tool_results[1].content, str)
    assert "got [0.9, 0.9, 1.5, 1]: outside 0-1" in tool_results[1].content
    # Each mistake went back to the model as the tool's text, with no image.
    requests = [r.body["messages"] for r in emulator.requests]
    assert len(requests) == 4
    assert requests[1][-1] == {
        "role": "tool",
        "tool_call_id": result["messages"][1].tool_calls[0]["id"],
        "content": tool_results[0].content,
    }
    assert requests[2][-1]["content"] == tool_results[1].content
    assert image_urls(requests[3][-1]["content"]) == image_urls(tool_results[2].content)
    assert f"Image 2: {CROP_LINE}" in result["messages"][-1].text


def test_an_unknown_image_name_is_told_to_the_model(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    poster = poster_png()
    agent = create_agent(ChatXAIVision(**lc_params), tools=[look_closer_tool([poster])])
    emulator.queue_reply(
        tool_calls=[{"name": "look_closer", "arguments": {"image": "poster", "box": [0, 0, 1, 1]}}]
    )
    result = agent.invoke({"messages": [question(poster)]})
    said = "look_closer error: image: no image named 'poster'; the images are '1'"
    assert result["messages"][2].content == said
    final = result["messages"][-1].text
    assert final.startswith(f"Tool look_closer returned: {said}\nI see 1 image.")


def test_the_crop_travels_on_the_responses_endpoint_after_the_tool_output(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    """The same agent run's conversation, as ``use_responses_api=True`` sends it: the tool's
    text in ``function_call_output``, then a user message with the crops of the run."""
    poster = poster_png()
    agent = create_agent(ChatXAIVision(**lc_params), tools=[look_closer_tool({"poster": poster})])
    emulator.queue_reply(
        tool_calls=[
            {"name": "look_closer", "arguments": {"image": "poster", "box": [0.9, 0.9, 1, 1]}},
            {"name": "look_closer", "arguments": {"image": "poster", "box": [0, 0, 0.5, 0.5]}},
        ]
    )
    messages = agent.invoke({"messages": [question(poster)]})["messages"]
    calls = messages[1].tool_calls
    crops = [image_urls(m.content)[0] for m in messages if isinstance(m, ToolMessage)]
    assert len(crops) == 2  # both calls ran, each returned its crop
    assert "Image 3: 400x300 png, detail high, landscape, bright, mostly white." in (
        messages[-1].text
    )

    model = ChatXAIVision(**lc_params, use_responses_api=True)
    request = model._build_request(messages[:-1], None, {})
    body = json.loads(b"".join(endpoint_for("responses").build_body(request).iter_bytes()))
    kinds = [item.get("type") or item["role"] for item in body["input"]]
    assert kinds == [
        "user",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
        "user",
    ]
    outputs = body["input"][3:5]
    assert [o["call_id"] for o in outputs] == [c["id"] for c in calls]
    assert outputs[0]["output"] == TOOL_TEXT
    images_after = body["input"][5]["content"]
    assert images_after[0] == {"type": "input_text", "text": "The images the tools returned:"}
    assert images_after[1:] == [
        {"type": "input_image", "image_url": crop["url"], "detail": "high"} for crop in crops
    ]


def test_an_image_it_cannot_crop_fails_when_the_tool_is_made() -> None:
    with pytest.raises(ImageSourceError, match="cannot be cropped"):
        look_closer_tool({"photo": "https://example.com/photo.jpg"})
