"""Tool calls (non-streamed, streamed whole or split) and response_format, checked by schema."""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx
import jsonschema
from pydantic import BaseModel
from xai_vision.emulator import Emulator

from tests.conftest import SchemaValidator
from tests.unit_tests.emulator.conftest import post_stream

MODEL = "grok-4-fast-non-reasoning"

INT_PAIR = {
    "type": "object",
    "properties": {
        "a": {"type": "integer", "description": "first number"},
        "b": {"type": "integer", "description": "second number"},
    },
    "required": ["a", "b"],
}
WEATHER = {
    "type": "object",
    "properties": {
        "location": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location"],
    "additionalProperties": False,
}


def tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A function tool in wire form."""
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


ADD = tool("add", "Add two numbers", INT_PAIR)
MULTIPLY = tool("multiply", "Multiply two numbers", INT_PAIR)
GET_WEATHER = tool("get_weather", "Get weather information for a location", WEATHER)


def post(client: httpx.Client, text: str, **extra: Any) -> dict[str, Any]:
    """POST one user message; return the 200 JSON."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


# --------------------------------------------------------------------------- non-streamed


def test_parallel_calls_for_every_tool_the_prompt_names(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    payload = post(client, "Add and multiply the number 2 and 3", tools=[ADD, MULTIPLY])
    xai_schema("ChatResponse").validate(payload)
    choice = payload["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == ""
    calls = choice["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["add", "multiply"]
    for call in calls:
        assert set(call) == {"id", "function", "type"}
        assert call["id"].startswith("call_") and len(call["id"]) == 13
        assert json.loads(call["function"]["arguments"]) == {"a": 2, "b": 3}
    assert len({c["id"] for c in calls}) == 2


def test_parallel_tool_calls_false_makes_one_call(client: httpx.Client) -> None:
    payload = post(
        client, "Add and multiply 2 and 3", tools=[ADD, MULTIPLY], parallel_tool_calls=False
    )
    assert [c["function"]["name"] for c in payload["choices"][0]["message"]["tool_calls"]] == [
        "add"
    ]


def test_named_tool_choice_calls_that_tool(client: httpx.Client) -> None:
    choice = {"type": "function", "function": {"name": "multiply"}}
    payload = post(client, "Add 4 and 5", tools=[ADD, MULTIPLY], tool_choice=choice)
    (call,) = payload["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "multiply"
    assert json.loads(call["function"]["arguments"]) == {"a": 4, "b": 5}


def test_auto_falls_back_to_the_description_then_the_first_tool(client: httpx.Client) -> None:
    lookup = tool("lookup", "Get weather information for a location", WEATHER)
    by_description = post(client, "What is the weather like in Paris?", tools=[ADD, lookup])
    (call,) = by_description["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "lookup"
    unrelated = post(client, "Tell me something", tools=[MULTIPLY, GET_WEATHER])
    (first,) = unrelated["choices"][0]["message"]["tool_calls"]
    assert first["function"]["name"] == "multiply"


def test_arguments_validate_and_take_quoted_strings_and_first_enum(client: httpx.Client) -> None:
    payload = post(client, 'What is the weather in "Florence, Italy"?', tools=[GET_WEATHER])
    (call,) = payload["choices"][0]["message"]["tool_calls"]
    arguments = json.loads(call["function"]["arguments"])
    jsonschema.validate(arguments, WEATHER)
    assert arguments == {"location": "Florence, Italy", "unit": "celsius"}


def test_tool_choice_none_answers_in_text(client: httpx.Client) -> None:
    payload = post(client, "Add 1 and 2", tools=[ADD], tool_choice="none")
    message = payload["choices"][0]["message"]
    assert "tool_calls" not in message
    assert message["content"].endswith("You asked: Add 1 and 2")


def test_a_tool_result_gets_a_normal_answer_that_uses_it(client: httpx.Client) -> None:
    first = post(client, "What's the weather in Florence?", tools=[GET_WEATHER])
    call = first["choices"][0]["message"]["tool_calls"][0]
    messages = [
        {"role": "user", "content": "What's the weather in Florence?"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "40 C"},
    ]
    body = {"model": MODEL, "messages": messages, "tools": [GET_WEATHER]}
    second = client.post("/chat/completions", json=body).json()
    choice = second["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"].splitlines() == [
        "Tool get_weather returned: 40 C",
        "I see no images.",
        "You asked: What's the weather in Florence?",
    ]


class Pet(BaseModel):
    """A nested model: arrays of these must get at least one item."""

    name: str
    kind: Literal["cat", "dog"]
    age: int | None = None


class Household(BaseModel):
    """A pydantic schema with $defs, anyOf nulls, enums and an array of objects."""

    city: str
    people: int
    ratio: float
    pets: list[Pet]
    tags: list[str]
    verified: bool


def test_pydantic_schema_tool_arguments_validate(client: httpx.Client) -> None:
    schema = Household.model_json_schema()
    payload = post(
        client, 'Record "Lisbon" with 4 people and ratio 0.5', tools=[tool("record", "", schema)]
    )
    arguments = json.loads(
        payload["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    )
    jsonschema.validate(arguments, schema)
    household = Household.model_validate(arguments)
    assert household.city == "Lisbon"
    assert household.people == 4 and household.ratio == 0.5
    assert len(household.pets) >= 1 and household.pets[0].kind == "cat"


# --------------------------------------------------------------------------- streamed


def test_streamed_tool_calls_arrive_whole_one_chunk_per_call(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    chunks = post_stream(client, "Add and multiply 2 and 3", tools=[ADD, MULTIPLY])
    validator = xai_schema("ChatResponseChunk")
    for chunk in chunks:
        validator.validate(chunk)
    calls = [
        c["choices"][0]["delta"]["tool_calls"]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert [len(c) for c in calls] == [1, 1]
    for index, (call,) in enumerate(calls):
        assert list(call) == ["id", "function", "index", "type"]
        assert call["index"] == index and call["type"] == "function"
        assert json.loads(call["function"]["arguments"]) == {"a": 2, "b": 3}
    assert all("content" not in c["choices"][0]["delta"] for c in chunks if c["choices"])
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "tool_calls"}


def test_split_mode_streams_openai_style_fragments() -> None:
    with (
        Emulator(stream_tool_calls="split") as emulator,
        httpx.Client(
            base_url=emulator.base_url, headers={"authorization": "Bearer k"}, timeout=10
        ) as http,
    ):
        chunks = post_stream(http, "Add and multiply 2 and 3", tools=[ADD, MULTIPLY])
        whole = post(http, "Add and multiply 2 and 3", tools=[ADD, MULTIPLY])
    pieces = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assembled: dict[int, dict[str, str]] = {}
    for piece in pieces:
        entry = assembled.setdefault(piece["index"], {"id": "", "name": "", "arguments": ""})
        entry["id"] += piece.get("id", "")
        entry["name"] += piece.get("function", {}).get("name", "")
        entry["arguments"] += piece.get("function", {}).get("arguments", "")
    assert len(pieces) > 4, "arguments come in several fragments"
    assert "id" not in pieces[1] and "name" not in pieces[1]["function"]
    expected = whole["choices"][0]["message"]["tool_calls"]
    assert [assembled[i] for i in sorted(assembled)] == [
        {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
        for c in expected
    ]


# --------------------------------------------------------------------------- response_format


def test_json_object_answer_is_a_json_object(client: httpx.Client) -> None:
    payload = post(client, "Describe", response_format={"type": "json_object"})
    value = json.loads(payload["choices"][0]["message"]["content"])
    assert isinstance(value, dict)
    assert value["answer"].endswith("You asked: Describe")


def test_json_object_uses_the_keys_the_prompt_asks_for(client: httpx.Client) -> None:
    prompt = "Tell me a joke. Return JSON with 'setup' and 'punchline' keys."
    value = json.loads(
        post(client, prompt, response_format={"type": "json_object"})["choices"][0]["message"][
            "content"
        ]
    )
    assert list(value) == ["setup", "punchline"]
    assert value["setup"] == value["punchline"] == f"I see no images.\nYou asked: {prompt}"
    quoted_but_no_keys = post(client, "Say 'hello'", response_format={"type": "json_object"})
    assert list(json.loads(quoted_but_no_keys["choices"][0]["message"]["content"])) == ["answer"]


def test_json_schema_answer_validates_and_uses_the_prompt(client: httpx.Client) -> None:
    schema = Household.model_json_schema()
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "household", "schema": schema, "strict": True},
    }
    payload = post(
        client, 'A home in "Oslo" for 3 people, ratio 1.5', response_format=response_format
    )
    value = json.loads(payload["choices"][0]["message"]["content"])
    jsonschema.validate(value, schema)
    assert value["city"] == "Oslo" and value["people"] == 3 and value["ratio"] == 1.5


def test_json_schema_strings_fall_back_to_the_image_description(
    client: httpx.Client, image_bytes: Any
) -> None:
    import base64

    uri = "data:image/png;base64," + base64.b64encode(image_bytes("red", (9, 9), "PNG")).decode()
    schema = {
        "type": "object",
        "properties": {"caption": {"type": "string"}},
        "required": ["caption"],
    }
    body = {
        "model": MODEL,
        "messages": [
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": uri}}]}
        ],
        "response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": schema}},
    }
    content = client.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {"caption": "9x9 png, detail auto, square, bright, mostly red"}


def test_streamed_json_schema_reassembles_to_valid_json(client: httpx.Client) -> None:
    schema = Household.model_json_schema()
    response_format = {"type": "json_schema", "json_schema": {"name": "h", "schema": schema}}
    chunks = post_stream(client, 'A home in "Oslo"', response_format=response_format)
    pieces = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert len([p for p in pieces if p]) > 1
    jsonschema.validate(json.loads("".join(pieces)), schema)


def test_a_schema_with_a_remote_ref_is_400_naming_the_tool(client: httpx.Client) -> None:
    remote = {"type": "object", "properties": {"x": {"$ref": "https://example.com/s.json"}}}
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "go"}],
        "tools": [tool("fetcher", "", remote)],
    }
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 400
    assert "tool 'fetcher' parameters: invalid JSON schema" in response.json()["error"]
