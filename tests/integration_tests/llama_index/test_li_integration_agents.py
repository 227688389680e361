"""LlamaIndex agents that look closer: FunctionAgent and AgentWorkflow over XAIVision with
look_closer_tool, against the emulator.

The scene (a poster whose small corner label only a crop shows) is tests/support/poster_agent.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, MessageRole, TextBlock
from llama_index.core.memory import Memory
from poster_agent import QUESTION, TOOL_TEXT, poster_png
from xai_vision import LookCloser
from xai_vision.emulator import Emulator
from xai_vision.endpoints import endpoint_for
from xai_vision.errors import ImageDecodeError

from llama_index_xai_vision import XAIVision, look_closer_tool

ANSWER = [
    f"Tool look_closer returned: {TOOL_TEXT}",
    "I see 2 images.",
    "Image 1: 800x600 png, detail auto, landscape, bright, mostly white.",
    "Image 2: 80x60 png, detail high, landscape, bright, mostly magenta.",
    f"You asked: {QUESTION}",
]


@pytest.fixture
def poster() -> bytes:
    return poster_png()


@pytest.fixture
def question(poster: bytes) -> ChatMessage:
    return ChatMessage(role="user", blocks=[TextBlock(text=QUESTION), ImageBlock(image=poster)])


@pytest.fixture
def llm(xai_emulator: Emulator) -> XAIVision:
    return XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)


def image_urls(content: Any) -> list[dict[str, Any]]:
    """The ``image_url`` objects of a wire message's content (none for a string)."""
    if not isinstance(content, list):
        return []
    return [part["image_url"] for part in content if part.get("type") == "image_url"]


def crop_url(block: Any) -> str:
    """The data URI of the crop an ImageBlock holds (LlamaIndex keeps it base64-encoded)."""
    assert isinstance(block, ImageBlock) and block.image is not None
    return f"data:{block.image_mimetype};base64,{block.image.decode()}"


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_looks_closer_and_answers_from_the_crop(
    xai_emulator: Emulator, llm: XAIVision, question: ChatMessage, poster: bytes, streaming: bool
) -> None:
    agent = FunctionAgent(
        tools=[look_closer_tool({"poster": poster})],
        llm=llm,
        system_prompt="You read pictures carefully.",
        streaming=streaming,
    )
    result = await agent.run(user_msg=question)

    [call] = result.tool_calls
    assert (call.tool_name, call.tool_kwargs) == (
        "look_closer",
        {"image": "poster", "box": [0.9, 0.9, 1, 1]},
    )
    text, image = call.tool_output.blocks
    assert isinstance(text, TextBlock) and text.text == TOOL_TEXT
    assert isinstance(image, ImageBlock) and image.detail == "high"
    assert call.tool_output.content == TOOL_TEXT and not call.tool_output.is_error

    # The tool the model was offered is the core's (LlamaIndex drops additionalProperties).
    [offered] = xai_emulator.requests[0].body["tools"]
    looker = LookCloser({"poster": poster})
    parameters = looker.parameters
    del parameters["additionalProperties"]
    assert offered["function"] == {
        "name": "look_closer",
        "description": looker.description,
        "parameters": parameters,
    }
    # The crop reached the model: a tool message with that very image, at detail high.
    first, second = (r.body["messages"] for r in xai_emulator.requests)
    assert [m["role"] for m in first] == ["system", "user"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool"]
    assert second[3]["tool_call_id"] == call.tool_id
    assert second[3]["content"][0] == {"type": "text", "text": TOOL_TEXT}
    assert image_urls(second[3]["content"]) == [{"url": crop_url(image), "detail": "high"}]

    assert (result.response.content or "").splitlines() == ANSWER


async def test_agent_workflow_looks_closer(
    xai_emulator: Emulator, llm: XAIVision, question: ChatMessage, poster: bytes
) -> None:
    reader = FunctionAgent(
        name="reader",
        description="Reads pictures, looking closer at small print.",
        tools=[look_closer_tool({"poster": poster})],
        llm=llm,
    )
    workflow = AgentWorkflow(agents=[reader], root_agent="reader")
    handler = workflow.run(user_msg=question)
    events = [type(event).__name__ async for event in handler.stream_events()]
    result = await handler

    assert "ToolCallResult" in events
    assert [c.tool_name for c in result.tool_calls] == ["look_closer"]
    sent = xai_emulator.requests[-1].body["messages"][-1]
    assert sent["role"] == "tool"
    assert image_urls(sent["content"]) == [
        {"url": crop_url(result.tool_calls[0].tool_output.blocks[1]), "detail": "high"}
    ]
    assert (result.response.content or "").splitlines() == ANSWER


async def test_the_models_mistakes_are_told_to_it_and_the_agent_goes_on(
    xai_emulator: Emulator, llm: XAIVision, question: ChatMessage, poster: bytes
) -> None:
    agent = FunctionAgent(tools=[look_closer_tool({"poster": poster})], llm=llm)
    for arguments in (
        {"image": "label", "box": [0.9, 0.9, 1, 1]},
        {"image": "poster", "box": [0.9, 0.9, 1, 1.5]},
        {"image": "poster", "box": [0.9, 0.9, 1, 1]},
    ):
        xai_emulator.queue_reply(tool_calls=[{"name": "look_closer", "arguments": arguments}])
    result = await agent.run(user_msg=question)

    outputs = [c.tool_output for c in result.tool_calls]
    assert [len(o.blocks) for o in outputs] == [1, 1, 2]  # no crop for the two mistakes
    assert outputs[0].content == (
        "look_closer error: image: no image named 'label'; the images are 'poster'"
    )
    assert "got [0.9, 0.9, 1, 1.5]: outside 0-1" in outputs[1].content
    requests = [r.body["messages"] for r in xai_emulator.requests]
    assert len(requests) == 4
    assert requests[1][-1]["content"] == outputs[0].content  # the reason, as the tool's text
    assert requests[2][-1]["content"] == outputs[1].content
    assert image_urls(requests[3][-1]["content"]) == [
        {"url": crop_url(outputs[2].blocks[1]), "detail": "high"}
    ]
    assert ANSWER[3] in (result.response.content or "")


async def test_the_crop_travels_on_the_responses_endpoint_after_the_tool_output(
    xai_emulator: Emulator, llm: XAIVision, question: ChatMessage, poster: bytes
) -> None:
    """The agent's conversation, as ``use_responses_api=True`` sends it: the tool's text in
    ``function_call_output``, then a user message with the crop."""
    agent = FunctionAgent(tools=[look_closer_tool({"poster": poster})], llm=llm)
    memory = Memory.from_defaults(session_id="look-closer")
    result = await agent.run(user_msg=question, memory=memory)
    history = await memory.aget_all()
    assert [m.role for m in history] == [
        MessageRole.USER,
        MessageRole.ASSISTANT,
        MessageRole.TOOL,
        MessageRole.ASSISTANT,
    ]

    responses_llm = XAIVision(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, use_responses_api=True
    )
    request = responses_llm._chat_request(history[:-1], {})
    body = json.loads(b"".join(endpoint_for("responses").build_body(request).iter_bytes()))
    kinds = [item.get("type") or item["role"] for item in body["input"]]
    assert kinds == ["user", "function_call", "function_call_output", "user"]
    output = body["input"][2]
    assert output["call_id"] == result.tool_calls[0].tool_id
    assert output["output"] == TOOL_TEXT
    assert body["input"][3]["content"] == [
        {"type": "input_text", "text": "The image the tool returned:"},
        {
            "type": "input_image",
            "image_url": crop_url(result.tool_calls[0].tool_output.blocks[1]),
            "detail": "high",
        },
    ]


def test_a_broken_image_fails_when_the_tool_is_made() -> None:
    with pytest.raises(ImageDecodeError, match=r"image 2 \(bytes\[5\]\)"):
        look_closer_tool([poster_png(), b"GIF89"])
