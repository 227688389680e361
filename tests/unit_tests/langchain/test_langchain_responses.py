"""ChatXAIVision on both endpoints against the emulator: the same answers, usage and streams
whichever wire form carried them, and what only the responses endpoint does (store,
previous_response_id, tool images after function_call_output)."""

from __future__ import annotations

import base64
import functools
from typing import Any

import pytest
from endpoint_params import adapter_on, emulator_path
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel
from xai_vision.emulator import Emulator
from xai_vision.errors import RequestValidationError

from langchain_xai_vision import ChatXAIVision, image_block

#: ``ChatXAIVision`` on an emulator with ``use_responses_api`` and fields (no retries).
_model = functools.partial(adapter_on, ChatXAIVision, max_retries=0)


def _look(image: bytes, text: str = "What is in this picture?") -> HumanMessage:
    return HumanMessage([{"type": "text", "text": text}, image_block(image, detail="high")])


def test_the_same_answer_and_usage_on_both_endpoints(
    xai_emulator: Emulator, image_bytes: Any, responses: bool
) -> None:
    picture = image_bytes(color="red", size=(900, 500))
    chat = _model(xai_emulator, False).invoke([_look(picture)])
    answer = _model(xai_emulator, responses).invoke([_look(picture)])
    sent = xai_emulator.last_request
    assert sent.path == emulator_path(responses)
    assert answer.text == chat.text and "Image 1: 900x500 png, detail high" in answer.text
    assert answer.usage_metadata is not None and chat.usage_metadata is not None
    assert answer.usage_metadata["input_tokens"] == chat.usage_metadata["input_tokens"]
    details = answer.usage_metadata.get("input_token_details", {})
    assert details.get("image") == chat.usage_metadata.get("input_token_details", {}).get("image")
    assert answer.response_metadata.get("image_tokens_estimated", False) is responses
    if responses:
        part = sent.body["input"][0]["content"][1]
        assert part["type"] == "input_image" and part["detail"] == "high"
        assert sent.body["store"] is False  # an image: not stored by default
        assert answer.response_metadata["stored"] is False


async def test_streams_add_up_to_the_invoked_answer(
    xai_emulator: Emulator, image_bytes: Any, responses: bool
) -> None:
    model = _model(xai_emulator, responses)
    message = _look(image_bytes(color="blue"))
    whole = model.invoke([message])
    chunks = [chunk async for chunk in model.astream([message])]
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert total.text == whole.text and len(chunks) > 2
    assert total.usage_metadata == whole.usage_metadata
    assert xai_emulator.last_request.path == emulator_path(responses)
    assert xai_emulator.last_request.body["stream"] is True


def test_a_tool_that_returns_an_image(
    xai_emulator: Emulator, image_bytes: Any, responses: bool
) -> None:
    def zoom(region: str) -> str:
        """Zoom into a region of the picture."""
        return region

    model = _model(xai_emulator, responses).bind_tools([zoom], tool_choice="zoom")
    question = _look(image_bytes(color="green"), "Zoom in please")
    first = model.invoke([question])
    assert first.tool_calls and first.tool_calls[0]["name"] == "zoom"
    call_id = first.tool_calls[0]["id"]
    result = ToolMessage(
        [{"type": "text", "text": "the crop"}, image_block(image_bytes(color="white"))],
        tool_call_id=call_id,
    )
    second = _model(xai_emulator, responses).invoke([question, first, result])
    assert "I see 2 images." in second.text and "mostly white" in second.text  # the crop
    body = xai_emulator.last_request.body
    if responses:
        kinds = [item.get("type", "message") for item in body["input"]]
        assert kinds == ["message", "function_call", "function_call_output", "message"]
        assert body["input"][2] == {
            "type": "function_call_output",
            "call_id": call_id,
            "output": "the crop",
        }
        assert body["input"][3]["content"][1]["type"] == "input_image"
    else:
        assert body["messages"][2]["role"] == "tool"


class Colour(BaseModel):
    colour: str


def test_structured_output(xai_emulator: Emulator, image_bytes: Any, responses: bool) -> None:
    model = _model(xai_emulator, responses).with_structured_output(Colour)
    result = model.invoke([_look(image_bytes(color="red"), "Which colour?")])
    assert isinstance(result, Colour) and result.colour
    body = xai_emulator.last_request.body
    if responses:
        assert body["text"]["format"]["type"] == "json_schema"
    else:
        assert body["response_format"]["type"] == "json_schema"


def test_previous_response_id_chains_only_after_a_stored_answer(xai_emulator: Emulator) -> None:
    model = _model(xai_emulator, True, use_previous_response_id=True)
    history: list[Any] = [SystemMessage("Be brief."), HumanMessage("Hello")]
    first = model.invoke(history)
    assert first.response_metadata["stored"] is True  # text only: stored by default
    history += [first, HumanMessage("And again")]
    second = model.invoke(history)
    body = xai_emulator.last_request.body
    assert body["previous_response_id"] == first.response_metadata["id"]
    assert body["input"] == [{"role": "user", "content": "And again"}]
    assert "You asked: And again" in second.text
    keys = {r.body.get("prompt_cache_key") for r in xai_emulator.requests}
    assert len(keys) == 1 and None not in keys  # one conversation, one cache key

    unstored = AIMessage("no", response_metadata={"id": second.id, "stored": False})
    model.invoke([*history, second, HumanMessage("x"), unstored, HumanMessage("Last")])
    body = xai_emulator.last_request.body
    assert "previous_response_id" not in body and len(body["input"]) == 8


def test_chat_completions_routes_a_conversation_by_header(xai_emulator: Emulator) -> None:
    model = _model(xai_emulator, False)
    first = model.invoke([HumanMessage("Hi")])
    model.invoke([HumanMessage("Hi"), first, HumanMessage("More")])
    keys = [r.headers.get("x-grok-conv-id") for r in xai_emulator.requests]
    assert keys[0] and keys[0] == keys[1]
    fixed = _model(xai_emulator, False, conversation_id="mine")
    fixed.invoke([HumanMessage("Hi")])
    assert xai_emulator.last_request.headers.get("x-grok-conv-id") == "mine"


def test_what_responses_cannot_express_fails_before_sending(xai_emulator: Emulator) -> None:
    with pytest.raises(RequestValidationError, match="'stop'"):
        _model(xai_emulator, True, stop_sequences=["x"]).invoke("hi")
    assert xai_emulator.requests == []


def test_an_openai_style_data_uri_block_reaches_the_responses_endpoint(
    xai_emulator: Emulator, image_bytes: Any
) -> None:
    picture = image_bytes(color="red", size=(64, 48))
    uri = "data:image/png;base64," + base64.b64encode(picture).decode()
    message = HumanMessage([{"type": "image_url", "image_url": {"url": uri}}])
    answer = _model(xai_emulator, True).invoke([message])
    assert "64x48 png" in answer.text


def test_the_cache_key_stays_when_the_history_opens_with_two_system_messages(
    xai_emulator: Emulator,
) -> None:
    model = _model(xai_emulator, True, use_previous_response_id=True)
    history: list[Any] = [SystemMessage("Be brief."), SystemMessage("Be kind."), HumanMessage("Hi")]
    first = model.invoke(history)
    model.invoke([*history, first, HumanMessage("More")])
    first_key, second_key = (r.body["prompt_cache_key"] for r in xai_emulator.requests)
    assert "previous_response_id" in xai_emulator.last_request.body
    assert first_key == second_key
