"""``POST /v1/responses`` over HTTP: the same answers, tools, structured output, tokens and
image rules as chat completions, in xAI's response and event shapes (checked against the spec),
stored responses, unknown fields refused on both endpoints, and the injected faults."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from xai_errors import assert_rejected
from xai_vision.emulator import Emulator, EmulatorSettings
from xai_vision.emulator.validation import spec_schema, spec_validator

from tests.conftest import SchemaValidator
from tests.unit_tests.emulator.conftest import split_events

MODEL = "grok-4-fast-non-reasoning"
ImageFactory = Callable[..., bytes]
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
ADD = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def respond(client: httpx.Client, input_: Any, **fields: Any) -> httpx.Response:
    """POST a responses request (``model`` defaults to MODEL)."""
    return client.post("/responses", json={"model": MODEL, "input": input_, **fields})


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def chat(client: httpx.Client, messages: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A chat completion for the same request, to compare with."""
    return ok(
        client.post("/chat/completions", json={"model": MODEL, "messages": messages, **fields})
    )


def text_of(response: dict[str, Any]) -> str:
    """The output text of a response object (its message items' output_text parts)."""
    return "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
    )


def function_tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A responses function tool (flat: no nested ``function``)."""
    return {"type": "function", "name": name, "description": description, "parameters": parameters}


def chat_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """The same tool in chat completions' form."""
    return {"type": "function", "function": {k: v for k, v in tool.items() if k != "type"}}


def validate_response(xai_schema: SchemaValidator, response: dict[str, Any]) -> None:
    xai_schema("ModelResponse").validate(response)
    for item in response["output"]:
        xai_schema("ModelOutput").validate(item)


# --------------------------------------------------------------------------- answers


def test_an_answer_is_the_chat_answer_as_a_model_response(
    client: httpx.Client, xai_schema: SchemaValidator, image_bytes: ImageFactory
) -> None:
    red = data_uri(image_bytes("red", (64, 48)))
    blue = data_uri(image_bytes("blue", (32, 32), "JPEG"), "image/jpeg")
    question = "What is in these images?"
    parts = [
        {"type": "input_text", "text": question},
        {"type": "input_image", "image_url": red, "detail": "high"},
        {"type": "input_image", "image_url": blue},
    ]
    response = ok(respond(client, [{"role": "user", "content": parts}]))
    validate_response(xai_schema, response)
    chat_parts = [
        {"type": "text", "text": question},
        {"type": "image_url", "image_url": {"url": red, "detail": "high"}},
        {"type": "image_url", "image_url": {"url": blue}},
    ]
    completion = chat(client, [{"role": "user", "content": chat_parts}])

    assert text_of(response) == completion["choices"][0]["message"]["content"]
    assert text_of(response).splitlines() == [
        "I see 2 images.",
        "Image 1: 64x48 png, detail high, landscape, bright, mostly red.",
        "Image 2: 32x32 jpeg, detail auto, square, dark, mostly blue.",
        "You asked: What is in these images?",
    ]
    assert str(uuid.UUID(response["id"])) == response["id"]  # a bare UUID, xAI's style
    assert (response["object"], response["status"], response["store"]) == (
        "response",
        "completed",
        True,
    )
    (message,) = response["output"]
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["id"] == f"msg_{response['id']}"
    chat_usage = completion["usage"]
    assert response["usage"] == {
        "input_tokens": chat_usage["prompt_tokens"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": chat_usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": chat_usage["total_tokens"],
        "num_sources_used": 0,
        "num_server_side_tools_used": 0,
        "cost_in_usd_ticks": chat_usage["cost_in_usd_ticks"],
    }
    assert chat_usage["prompt_tokens_details"]["image_tokens"] > 0  # counted in input_tokens


def test_input_may_be_a_string_and_instructions_are_a_system_message(
    client: httpx.Client,
) -> None:
    plain = ok(respond(client, "Say hi"))
    assert text_of(plain) == "I see no images.\nYou asked: Say hi"
    instructed = ok(respond(client, "Say hi", instructions="Be brief."))
    system = chat(
        client, [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi"}]
    )
    assert instructed["usage"]["input_tokens"] == system["usage"]["prompt_tokens"]
    assert instructed["instructions"] == "Be brief."
    developer = ok(
        respond(
            client,
            [
                {"role": "developer", "content": "Be brief."},
                {"type": "message", "role": "user", "content": "Say hi"},
            ],
        )
    )
    assert developer["usage"]["input_tokens"] == system["usage"]["prompt_tokens"]


def test_fields_xai_keeps_for_compatibility_are_accepted_and_echoed(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    response = ok(
        respond(
            client,
            "hi",
            metadata={"run": "7"},
            prompt_cache_key="conv-1",
            user="u-1",
            temperature=0.3,
            top_p=0.5,
            service_tier="auto",
            truncation="auto",
            max_turns=2,
        )
    )
    validate_response(xai_schema, response)
    assert response["metadata"] == {"run": "7"}
    assert response["prompt_cache_key"] == "conv-1"
    assert (response["user"], response["temperature"], response["top_p"]) == ("u-1", 0.3, 0.5)


def test_a_stream_is_named_events_ending_with_the_whole_response(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    response = client.post(
        "/responses", json={"model": MODEL, "input": "Describe nothing at all", "stream": True}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    events = split_events(response.text)
    names = [name for name, _ in events]
    deltas = names.count("response.output_text.delta")
    assert deltas > 1
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    started = events[0][1]["response"]
    xai_schema("ModelResponse").validate(started)
    assert started["status"] == "in_progress" and started["output"] == []
    done = events[-1][1]["response"]
    validate_response(xai_schema, done)
    text = "".join(data["delta"] for name, data in events if name.endswith("text.delta"))
    assert text == text_of(done) == "I see no images.\nYou asked: Describe nothing at all"
    assert events[-4][1]["text"] == text
    assert events[-2][1]["item"] == done["output"][0]
    assert {data["response"]["id"] for _, data in events if "response" in data} == {done["id"]}
    assert done["usage"]["output_tokens"] > 0


# --------------------------------------------------------------------------- reasoning


def test_a_reasoning_model_that_shows_reasoning_sends_it_as_the_summary(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    messages = [{"role": "user", "content": "Think about it"}]
    completion = chat(client, messages, model="grok-3-mini")
    response = ok(respond(client, messages, model="grok-3-mini", store=False))
    validate_response(xai_schema, response)
    reasoning, message = response["output"]
    assert reasoning["type"] == "reasoning" and "encrypted_content" not in reasoning
    assert message["type"] == "message"
    chat_message = completion["choices"][0]["message"]
    assert reasoning["summary"] == [
        {"type": "summary_text", "text": chat_message["reasoning_content"]}
    ]
    assert text_of(response) == chat_message["content"]
    usage, chat_usage = response["usage"], completion["usage"]
    reasoning_tokens = chat_usage["completion_tokens_details"]["reasoning_tokens"]
    assert reasoning_tokens > 0
    assert usage["output_tokens_details"]["reasoning_tokens"] == reasoning_tokens
    assert usage["output_tokens"] == chat_usage["completion_tokens"]  # reasoning left out
    assert usage["total_tokens"] == (
        usage["input_tokens"] + usage["output_tokens"] + reasoning_tokens
    )

    streamed = client.post(
        "/responses", json={"model": "grok-3-mini", "input": messages, "stream": True}
    )
    events = split_events(streamed.text)
    summary = "".join(
        data["delta"] for name, data in events if name == "response.reasoning_summary_text.delta"
    )
    assert summary == chat_message["reasoning_content"]
    (done,) = [data for name, data in events if name == "response.reasoning_summary_text.done"]
    assert done["text"] == summary and done["output_index"] == 0


def test_encrypted_reasoning_comes_when_included_and_is_accepted_back(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    model = "grok-4-fast-reasoning"  # hides its reasoning text, as on chat completions
    first = ok(
        respond(client, "Think", model=model, store=False, include=["reasoning.encrypted_content"])
    )
    reasoning = first["output"][0]
    assert reasoning["type"] == "reasoning" and reasoning["summary"] == []
    assert isinstance(reasoning["encrypted_content"], str) and reasoning["encrypted_content"]
    assert first["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    follow_up = [
        {"role": "user", "content": "Think"},
        reasoning,
        {"role": "assistant", "content": text_of(first)},
        {"role": "user", "content": "Again"},
    ]
    xai_schema("ModelRequest").validate({"model": model, "input": follow_up})
    second = ok(respond(client, follow_up, model=model, store=False))
    assert text_of(second).endswith("You asked: Again")
    assert_rejected(
        respond(client, "x", include=["message.output_text.logprobs"]), 400, "include[0]"
    )


def test_reasoning_effort_follows_the_chat_rules(client: httpx.Client) -> None:
    mini = ok(respond(client, "hi", model="grok-3-mini", reasoning={"effort": "high"}))
    assert mini["model"] == "grok-3-mini-high"
    assert mini["reasoning"] == {"effort": "high"}
    assert_rejected(
        respond(client, "hi", model="grok-4-fast-reasoning", reasoning={"effort": "high"}),
        400,
        "does not support parameter reasoningEffort",
    )
    assert_rejected(
        respond(client, "hi", model="grok-3-mini", reasoning={"effort": "medium"}),
        400,
        "reasoning.effort: must be 'low' or 'high'",
    )


# --------------------------------------------------------------------------- tools


def test_tools_are_called_as_on_chat_completions(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    add = function_tool("add", "Add two numbers", ADD)
    multiply = function_tool("multiply", "Multiply two numbers", ADD)
    question = [{"role": "user", "content": "Add and multiply the number 2 and 3"}]
    response = ok(respond(client, question, tools=[add, multiply]))
    validate_response(xai_schema, response)
    completion = chat(client, question, tools=[chat_tool(add), chat_tool(multiply)])
    chat_calls = completion["choices"][0]["message"]["tool_calls"]
    assert [item["type"] for item in response["output"]] == ["function_call", "function_call"]
    assert [(i["call_id"], i["name"], i["arguments"]) for i in response["output"]] == [
        (c["id"], c["function"]["name"], c["function"]["arguments"]) for c in chat_calls
    ]
    assert response["tools"] == [add, multiply] and response["tool_choice"] == "auto"

    forced = ok(
        respond(
            client,
            "Add 4 and 5",
            tools=[add, multiply],
            tool_choice={"type": "function", "name": "multiply"},
        )
    )
    (call,) = forced["output"]
    assert call["name"] == "multiply" and json.loads(call["arguments"]) == {"a": 4, "b": 5}
    assert forced["tool_choice"] == {"type": "function", "name": "multiply"}
    one = ok(respond(client, question, tools=[add, multiply], parallel_tool_calls=False))
    assert [item["name"] for item in one["output"]] == ["add"]
    assert one["parallel_tool_calls"] is False
    text = ok(respond(client, "Add 1 and 2", tools=[add], tool_choice="none"))
    assert text_of(text).endswith("You asked: Add 1 and 2")
    assert_rejected(
        respond(client, "hi", tools=[add], tool_choice={"type": "function", "name": "nope"}),
        400,
        "tool_choice: function 'nope' is not among the tools",
    )
    assert_rejected(
        respond(client, "hi", tools=[function_tool("bad name", "", ADD)]),
        400,
        "tools[0].name: invalid function name",
    )
    assert_rejected(
        respond(client, "hi", tools=[{"type": "web_search"}]), 400, "tools[0]: web_search"
    )


@pytest.mark.parametrize("mode", ["whole", "split"])
def test_a_streamed_call_sends_its_arguments_whole_or_in_pieces(mode: str) -> None:
    tool = function_tool("get_weather", "Weather in a city", WEATHER)
    with Emulator(stream_tool_calls=mode) as emulator:  # type: ignore[arg-type]
        response = httpx.post(
            f"{emulator.base_url}/responses",
            json={"model": MODEL, "input": "Weather in 'Oslo'", "tools": [tool], "stream": True},
            headers={"Authorization": f"Bearer {emulator.api_key}"},
            timeout=30,
        )
    events = split_events(response.text)
    names = [name for name, _ in events]
    assert "response.output_text.delta" not in names
    (added,) = [d for n, d in events if n == "response.output_item.added"]
    assert added["item"]["type"] == "function_call" and added["item"]["arguments"] == ""
    pieces = [d["delta"] for n, d in events if n == "response.function_call_arguments.delta"]
    (done,) = [d for n, d in events if n == "response.function_call_arguments.done"]
    assert "".join(pieces) == done["arguments"] == '{"city":"Oslo"}'
    assert len(pieces) == 1 if mode == "whole" else len(pieces) > 1
    assert events[-1][1]["response"]["output"][0]["arguments"] == done["arguments"]


def test_function_call_outputs_are_answered_like_tool_messages(client: httpx.Client) -> None:
    tool = function_tool("get_weather", "Weather in a city", WEATHER)
    items = [
        {"role": "user", "content": "What's the weather in Florence?"},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "40 C"},
    ]
    response = ok(respond(client, items, tools=[tool]))
    assert text_of(response).splitlines() == [
        "Tool get_weather returned: 40 C",
        "I see no images.",
        "You asked: What's the weather in Florence?",
    ]
    same_in_chat = chat(
        client,
        [
            items[0],
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "40 C"},
        ],
        tools=[chat_tool(tool)],
    )
    assert response["usage"]["input_tokens"] == same_in_chat["usage"]["prompt_tokens"]


@pytest.mark.parametrize("output", [{"temp": 40}, ["40 C"], 40])
def test_a_function_call_output_must_be_a_string(client: httpx.Client, output: Any) -> None:
    items = [
        {"role": "user", "content": "Weather?"},
        {"type": "function_call_output", "call_id": "call_1", "output": output},
    ]
    assert_rejected(
        respond(client, items),
        422,
        "Failed to deserialize the JSON body",
        "input[1].output: invalid type",
        "expected a string",
    )


# --------------------------------------------------------------------------- structured output


def test_text_format_gives_the_chat_structured_answers(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string"}, "count": {"type": "integer"}},
        "required": ["colour", "count"],
    }
    question = [{"role": "user", "content": "Give me 'red' and 3"}]
    fmt = {"type": "json_schema", "name": "thing", "schema": schema, "strict": True}
    response = ok(respond(client, question, text={"format": fmt}))
    validate_response(xai_schema, response)
    completion = chat(
        client,
        question,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "thing", "schema": schema, "strict": True},
        },
    )
    assert text_of(response) == completion["choices"][0]["message"]["content"]
    assert json.loads(text_of(response)) == {"colour": "red", "count": 3}
    assert response["text"] == {"format": fmt}
    assert response["usage"]["input_tokens"] == completion["usage"]["prompt_tokens"]
    keys = ok(
        respond(
            client,
            "A joke with 'setup' and 'punchline' keys",
            text={"format": {"type": "json_object"}},
        )
    )
    assert set(json.loads(text_of(keys))) == {"setup", "punchline"}


# --------------------------------------------------------------------------- max_output_tokens


def test_max_output_tokens_makes_the_response_incomplete(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    cut = ok(respond(client, "Say a lot", max_output_tokens=2))
    validate_response(xai_schema, cut)
    assert cut["status"] == "incomplete"
    assert cut["incomplete_details"] == {"reason": "max_output_tokens"}
    assert text_of(cut) == "I see no"  # 2 tokens of 4 characters, as on chat completions
    assert cut["output"][0]["status"] == "incomplete"
    assert cut["max_output_tokens"] == 2
    streamed = client.post(
        "/responses",
        json={"model": MODEL, "input": "Say a lot", "max_output_tokens": 2, "stream": True},
    )
    events = split_events(streamed.text)
    assert events[-1][0] == "response.incomplete"
    assert events[-1][1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert_rejected(
        respond(client, "x", max_output_tokens=0), 400, "max_output_tokens: must be at least 1"
    )


# --------------------------------------------------------------------------- images and input


def _image_item(*urls: str, detail: Any = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"type": "input_text", "text": "Look"}]
    for url in urls:
        part: dict[str, Any] = {"type": "input_image", "image_url": url}
        if detail is not None:
            part["detail"] = detail
        parts.append(part)
    return {"role": "user", "content": parts}


def test_image_rules_are_the_chat_rules_named_by_input_path(
    client: httpx.Client, image_bytes: ImageFactory
) -> None:
    png = data_uri(image_bytes("red", (16, 16)))
    assert_rejected(
        respond(client, [{"role": "user", "content": "hi"}, _image_item(*[png] * 11)]),
        400,
        "input[1]: too many images in one message (the maximum is 10)",
    )
    assert_rejected(
        respond(client, [_image_item(data_uri(b"not an image at all"))]),
        400,
        "input[0].content[1]: the bytes are not an image",
    )
    assert_rejected(
        respond(client, [_image_item(data_uri(image_bytes("red", (16, 16)), "image/jpeg"))]),
        400,
        "input[0].content[1]: the data URI says image/jpeg but the bytes are png",
    )
    assert_rejected(
        respond(client, [_image_item("ftp://example.com/a.png")]),
        400,
        "input[0].content[1].image_url: unsupported URL scheme",
    )
    assert_rejected(
        respond(client, [_image_item(png, detail="ultra")]),
        422,
        "input[0].content[1].detail: unknown variant `ultra`",
    )
    assert_rejected(
        respond(client, [_image_item(png)], model="grok-3-mini"),
        400,
        "does not support image inputs (input[0].content[1])",
    )
    assert_rejected(
        respond(client, [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]),
        422,
        "input[0].content[0]: missing field `image_url`",
    )
    low = ok(respond(client, [_image_item(png, detail="low")]))
    assert "detail low" in text_of(low)


def test_input_items_the_emulator_does_not_read_are_refused(client: httpx.Client) -> None:
    file_part = {"type": "input_file", "file_url": "https://example.com/a.pdf", "file_id": "f"}
    assert_rejected(
        respond(client, [{"role": "user", "content": [file_part]}]),
        400,
        "input[0].content[0]: give exactly one of file_id, file_data or file_url",
    )
    assert_rejected(
        respond(client, [{"role": "robot", "content": "hi"}]),
        422,
        "input[0].role: unknown variant `robot`",
    )
    assert_rejected(
        respond(client, [{"type": "web_search_call", "action": {"type": "search", "query": "x"}}]),
        400,
        "input[0]: input items of type 'web_search_call' are not supported",
    )
    assert_rejected(respond(client, []), 400, "input: at least one message is required")
    assert_rejected(client.post("/responses", json={"model": MODEL}), 422, "missing field `input`")
    assert_rejected(client.post("/responses", json={"input": "hi"}), 422, "missing field `model`")
    assert_rejected(respond(client, "hi", temperature=3), 422, "temperature: 3 is greater than")
    assert_rejected(
        respond(client, "hi", model="grok-nope"), 404, "The model grok-nope does not exist"
    )


# --------------------------------------------------------------------------- unknown fields


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/responses", {"model": MODEL, "input": "hi", "messages": []}, "messages"),
        ("/responses", {"model": MODEL, "input": "hi", "max_tokens": 5}, "max_tokens"),
        ("/responses", {"model": MODEL, "input": "hi", "stop": ["x"]}, "stop"),
        ("/responses", {"model": MODEL, "input": "hi", "response_format": {}}, "response_format"),
        (
            "/chat/completions",
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "metadata": {}},
            "metadata",
        ),
        (
            "/chat/completions",
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "store": False},
            "store",
        ),
    ],
)
def test_fields_the_spec_does_not_list_are_422_on_both_endpoints(
    client: httpx.Client, path: str, body: dict[str, Any], field: str
) -> None:
    assert_rejected(
        client.post(path, json=body),
        422,
        f"Failed to deserialize the JSON body into the target type: unknown field `{field}`",
        "expected one of `",
    )


# --------------------------------------------------------------------------- stored responses


def test_a_stored_response_is_fetched_and_deleted_by_its_key_only(
    xai_emulator: Emulator, client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    created = ok(respond(client, "Remember me"))
    fetched = ok(client.get(f"/responses/{created['id']}"))
    assert fetched == created
    validate_response(xai_schema, fetched)
    other_key = {"Authorization": "Bearer xai-another-team"}
    assert_rejected(
        client.get(f"/responses/{created['id']}", headers=other_key), 404, created["id"]
    )
    deleted = ok(client.delete(f"/responses/{created['id']}"))
    xai_schema("DeleteStoredCompletionResponse").validate(deleted)
    assert deleted == {"id": created["id"], "object": "response", "deleted": True}
    assert_rejected(client.get(f"/responses/{created['id']}"), 404, "not found")
    assert_rejected(client.delete(f"/responses/{created['id']}"), 404, "not found")
    assert_rejected(client.get("/responses/no-such-id"), 404, "'no-such-id' not found")
    assert_rejected(client.put(f"/responses/{created['id']}"), 405, "use GET or DELETE")

    unstored = ok(respond(client, "Forget me", store=False))
    assert unstored["store"] is False
    assert_rejected(client.get(f"/responses/{unstored['id']}"), 404)
    streamed = client.post("/responses", json={"model": MODEL, "input": "hi", "stream": True})
    completed = split_events(streamed.text)[-1][1]["response"]
    assert ok(client.get(f"/responses/{completed['id']}")) == completed
    kept = ok(respond(client, "Once more"))
    xai_emulator.reset()
    assert_rejected(client.get(f"/responses/{kept['id']}"), 404)


def test_previous_response_id_continues_the_stored_conversation(client: httpx.Client) -> None:
    first = ok(respond(client, "What colour is the sky?", instructions="Be brief."))
    second = ok(respond(client, "And the grass?", previous_response_id=first["id"]))
    assert text_of(second).endswith("You asked: And the grass?")
    assert second["previous_response_id"] == first["id"]
    whole = chat(
        client,
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What colour is the sky?"},
            {"role": "assistant", "content": text_of(first)},
            {"role": "user", "content": "And the grass?"},
        ],
    )
    assert second["usage"]["input_tokens"] == whole["usage"]["prompt_tokens"]
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"]
    third = ok(respond(client, "And snow?", previous_response_id=second["id"]))
    assert third["usage"]["input_tokens"] > second["usage"]["input_tokens"]

    assert_rejected(
        respond(client, "x", previous_response_id=first["id"], instructions="Other."),
        400,
        "instructions cannot be used together with previous_response_id",
    )
    assert_rejected(respond(client, "x", previous_response_id="nope"), 404, "'nope' not found")
    unstored = ok(respond(client, "Forget me", store=False))
    assert_rejected(respond(client, "x", previous_response_id=unstored["id"]), 404)


def test_a_tool_call_is_answered_in_the_next_turn_by_its_output(client: httpx.Client) -> None:
    tool = function_tool("get_weather", "Weather in a city", WEATHER)
    first = ok(respond(client, "Weather in 'Rome'?", tools=[tool]))
    (call,) = first["output"]
    result = {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}
    second = ok(respond(client, [result], tools=[tool], previous_response_id=first["id"]))
    assert text_of(second).splitlines() == [
        "Tool get_weather returned: sunny",
        "I see no images.",
        "You asked: Weather in 'Rome'?",
    ]


def test_images_are_stored_unless_the_strict_setting_refuses_them(
    client: httpx.Client, image_bytes: ImageFactory
) -> None:
    item = _image_item(data_uri(image_bytes("green", (20, 20))))
    stored = ok(respond(client, [item]))
    assert stored["store"] is True
    follow_up = ok(respond(client, "And now?", previous_response_id=stored["id"]))
    assert text_of(follow_up).startswith("I see 1 image.")  # the stored image is still there
    settings = EmulatorSettings(strict_image_store=True)
    with Emulator(settings=settings) as strict:
        headers = {"Authorization": f"Bearer {strict.api_key}"}
        with httpx.Client(base_url=strict.base_url, headers=headers, timeout=30) as http:
            assert_rejected(respond(http, [item]), 400, "store: storing a response with images")
            assert ok(respond(http, [item], store=False))["store"] is False
            assert ok(respond(http, "no image"))["store"] is True


# --------------------------------------------------------------------------- cache, script, log


def test_the_prompt_cache_counts_a_repeated_prefix(image_bytes: ImageFactory) -> None:
    settings = EmulatorSettings(prompt_cache_min_tokens=1)
    with Emulator(settings=settings) as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30) as http:
            first = ok(respond(http, "A long enough question", prompt_cache_key="conv-1"))
            again = ok(respond(http, "A long enough question", prompt_cache_key="conv-1"))
            in_chat = chat(http, [{"role": "user", "content": "A long enough question"}])
    assert first["usage"]["input_tokens_details"]["cached_tokens"] == 0
    cached = again["usage"]["input_tokens_details"]["cached_tokens"]
    assert cached == again["usage"]["input_tokens"] > 0  # text only: all of it
    # the same prompt on chat completions reads the same cache entry
    assert in_chat["usage"]["prompt_tokens_details"]["cached_tokens"] == cached


def test_a_scripted_reply_answers_a_responses_request(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.queue_reply("scripted", tool_calls=[{"name": "f", "arguments": {"x": 1}}])
    response = ok(respond(client, "hi"))
    message, call = response["output"]
    assert message["content"][0]["text"] == "scripted"
    assert (call["name"], call["arguments"]) == ("f", '{"x":1}')
    xai_emulator.queue_reply(status=400, error="scripted failure")
    assert_rejected(respond(client, "hi"), 400, "scripted failure")


def test_the_request_log_shows_responses_tokens(
    capfd: pytest.CaptureFixture[str], image_bytes: ImageFactory
) -> None:
    model = "grok-4-fast-reasoning"
    with Emulator(log_requests=True) as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30) as http:
            response = ok(respond(http, [_image_item(data_uri(image_bytes()))], model=model))
    usage = response["usage"]
    (line,) = [line for line in capfd.readouterr().err.splitlines() if "/v1/responses" in line]
    assert line == (
        f"POST /v1/responses model={model} images=1 status=200 "
        f"input_tokens={usage['input_tokens']} output_tokens={usage['output_tokens']} "
        f"total_tokens={usage['total_tokens']} "
        f"reasoning_tokens={usage['output_tokens_details']['reasoning_tokens']}"
    )


# --------------------------------------------------------------------------- faults


def test_faults_apply_to_responses_requests(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.fail_next(status=429, retry_after=2)
    limited = respond(client, "hi")
    assert_rejected(limited, 429)
    assert limited.headers["retry-after"] == "2"
    xai_emulator.reset_next()
    with pytest.raises(httpx.TransportError):
        respond(client, "hi")
    xai_emulator.malformed_next("json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(respond(client, "hi").text)
    assert xai_emulator.fault_counts() == {"429": 1, "reset": 1, "malformed_json": 1}


def test_random_and_slow_faults_apply_too(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.set_fault_rate(1.0, statuses=(503,))
    assert_rejected(respond(client, "hi"), 503, "emulated fault")
    xai_emulator.set_fault_rate(0)
    xai_emulator.slow_next(5)
    with pytest.raises(httpx.ReadTimeout):
        client.post("/responses", json={"model": MODEL, "input": "hi"}, timeout=0.2)
    assert xai_emulator.fault_counts() == {"503": 1, "slow": 1}


def test_a_failed_stream_ends_with_an_error_or_a_failed_response(
    xai_emulator: Emulator, client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    body = {"model": MODEL, "input": "hi", "stream": True}
    xai_emulator.fail_stream(0, status=503)
    before_any = client.post("/responses", json=body).text
    assert before_any.startswith("event: error\ndata: ")
    assert "[DONE]" not in before_any
    error = json.loads(before_any.split("data: ", 1)[1])
    assert error["type"] == "error" and error["sequence_number"] == 0
    assert error["message"] == "The service is currently unavailable (emulated fault)"

    xai_emulator.fail_stream(3, message="the model crashed")
    frames = client.post("/responses", json=body).text.rstrip("\n").split("\n\n")
    assert len(frames) == 4 and frames[-1].startswith("event: response.failed\n")
    failed = json.loads(frames[-1].split("data: ", 1)[1])
    assert failed["sequence_number"] == 3
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "Internal error", "message": "the model crashed"}
    xai_schema("ModelResponse").validate(failed["response"])

    xai_emulator.fail_stream(2, message="chat broke")
    chat_body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    chat_frames = client.post("/chat/completions", json=chat_body).text.rstrip("\n").split("\n\n")
    assert len(chat_frames) == 3
    assert json.loads(chat_frames[-1][len("data: ") :]) == {
        "code": "Internal error",
        "error": "chat broke",
    }
    assert xai_emulator.fault_counts() == {"fail_stream": 3}


def test_a_cut_stream_stops_after_its_frames(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.cut_stream(after_frames=2)
    body = {"model": MODEL, "input": "hi", "stream": True}
    with client.stream("POST", "/responses", json=body) as response:
        received = b""
        with pytest.raises(httpx.RemoteProtocolError):
            for piece in response.iter_bytes():
                received += piece
    names = [line for line in received.decode().splitlines() if line.startswith("event: ")]
    assert names == ["event: response.created", "event: response.in_progress"]


# --------------------------------------------------------------------------- vs jsonschema

_REQUESTS: list[Any] = [
    {"model": MODEL, "input": "hi"},
    {
        "model": MODEL,
        "input": [
            {"role": "developer", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "a"},
                    {"type": "input_image", "image_url": "https://e.com/a.png", "detail": "low"},
                ],
            },
            {"type": "reasoning", "summary": [], "encrypted_content": "x"},
            {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c", "output": "r"},
        ],
        "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "f"},
        "text": {"format": {"type": "json_schema", "name": "n", "schema": {}}},
        "include": ["reasoning.encrypted_content"],
        "store": False,
    },
    {"model": MODEL, "input": 7},
    {"model": MODEL, "input": "hi", "temperature": 3},
    {"model": MODEL, "input": "hi", "tool_choice": {"type": "function"}},
    {"model": MODEL, "input": "hi", "text": {"format": {"type": "json_schema"}}},
    {"model": MODEL, "input": "hi", "tools": [{"type": "function", "name": "f"}]},
    {"model": MODEL, "input": [{"role": "user", "content": [{"type": "input_image"}]}]},
]


@pytest.mark.parametrize("body", _REQUESTS)
def test_builtin_validator_agrees_with_jsonschema_on_responses_requests(
    body: Any, xai_schema: SchemaValidator
) -> None:
    ours = spec_validator().first_error(body, spec_schema("ModelRequest")) is None
    assert ours == xai_schema("ModelRequest").is_valid(body)


def test_a_subprocess_emulator_serves_and_stores_responses_and_takes_fail_stream(
    image_bytes: ImageFactory,
) -> None:
    settings = EmulatorSettings(strict_image_store=True)
    with Emulator(mode="subprocess", settings=settings) as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30) as http:
            created = ok(respond(http, "hi"))
            assert ok(http.get(f"/responses/{created['id']}")) == created
            image = _image_item(data_uri(image_bytes()))
            assert_rejected(respond(http, [image]), 400, "store: storing")
            emulator.fail_stream(2)
            streamed = http.post("/responses", json={"model": MODEL, "input": "x", "stream": True})
            assert (
                streamed.text.rstrip("\n").split("\n\n")[-1].startswith("event: response.failed\n")
            )
            assert emulator.fault_counts() == {"fail_stream": 1}


def test_a_tools_images_after_its_output_are_part_of_the_results(
    client: httpx.Client, image_bytes: ImageFactory
) -> None:
    """The core sends a tool's images as a user message after function_call_output; the
    emulator reads them as that result (as chat completions' tool message with image parts),
    so with tools still offered it answers instead of calling the tool again."""
    crop = data_uri(image_bytes("white", (80, 60)))
    tool = {"type": "function", "name": "zoom", "parameters": {"type": "object"}}
    items = [
        {"role": "user", "content": "Zoom in please"},
        {"type": "function_call", "call_id": "c1", "name": "zoom", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "the crop"},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "The image the tool returned:"},
                {"type": "input_image", "image_url": crop},
            ],
        },
    ]
    answer = ok(respond(client, items, tools=[tool], tool_choice="auto", store=False))
    assert [item["type"] for item in answer["output"]] == ["message"]
    text = text_of(answer)
    assert "Tool zoom returned: the crop" in text
    assert "Image 1: 80x60 png" in text and "You asked: Zoom in please" in text
    same = chat(
        client,
        [
            {"role": "user", "content": "Zoom in please"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "zoom", "arguments": "{}"},
                    }
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": [
                    {"type": "text", "text": "the crop"},
                    {"type": "text", "text": "The image the tool returned:"},
                    {"type": "image_url", "image_url": {"url": crop}},
                ],
            },
        ],
        tools=[
            {"type": "function", "function": {"name": "zoom", "parameters": {"type": "object"}}}
        ],
    )
    assert text == same["choices"][0]["message"]["content"]
