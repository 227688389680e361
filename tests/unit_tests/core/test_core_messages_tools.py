"""Function tools, response formats and the one tool_choice rule both adapters call."""

from __future__ import annotations

from typing import Any

import pytest
from xai_vision.errors import RequestValidationError
from xai_vision.messages import (
    ChatRequest,
    function_tool,
    json_schema_response_format,
    normalise_tool_choice,
    user_message,
)


def test_function_tool_shape_and_validation() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    assert function_tool("weather", "Current weather", schema) == {
        "type": "function",
        "function": {"name": "weather", "description": "Current weather", "parameters": schema},
    }
    assert function_tool("noop")["function"] == {
        "name": "noop",
        "parameters": {"type": "object", "properties": {}},
    }
    with pytest.raises(RequestValidationError, match="1-64 characters"):
        function_tool("has space")
    with pytest.raises(RequestValidationError, match="type 'object'"):
        function_tool("f", "d", {"type": "string"})


def test_json_schema_response_format() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert json_schema_response_format(schema, "count", strict=True) == {
        "type": "json_schema",
        "json_schema": {"name": "count", "schema": schema, "strict": True},
    }
    assert "strict" not in json_schema_response_format(schema)["json_schema"]
    with pytest.raises(RequestValidationError, match="non-empty JSON Schema"):
        json_schema_response_format({})


NAMES = ["weather", "lookup"]


@pytest.mark.parametrize("mode", ["none", "auto", "required"])
def test_modes_are_kept(mode: str) -> None:
    assert normalise_tool_choice(mode) == mode
    assert normalise_tool_choice(mode, NAMES) == mode


def test_a_tool_name_becomes_a_function_choice_the_request_takes() -> None:
    choice = normalise_tool_choice("weather", NAMES)
    assert choice == {"type": "function", "function": {"name": "weather"}}
    assert normalise_tool_choice("anything") == {
        "type": "function",
        "function": {"name": "anything"},
    }
    request = ChatRequest(
        "a-model",
        [user_message("hi")],
        tools=[function_tool(name) for name in NAMES],
        tool_choice=choice,
    )
    assert request.to_body()["tool_choice"] == choice


def test_a_name_no_bound_tool_has_is_refused_listing_the_tools() -> None:
    with pytest.raises(RequestValidationError, match=r"'nope' names no bound tool.*weather"):
        normalise_tool_choice("nope", NAMES)


def test_a_dict_is_kept_for_the_request_to_check() -> None:
    choice = {"type": "function", "function": {"name": "lookup"}}
    assert normalise_tool_choice(choice, NAMES) is choice


@pytest.mark.parametrize("bad", [1, None, True, ["auto"]])
def test_anything_else_is_refused(bad: Any) -> None:
    with pytest.raises(RequestValidationError, match="tool_choice must be"):
        normalise_tool_choice(bad, NAMES)
