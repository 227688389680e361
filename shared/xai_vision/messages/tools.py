"""Function tools, ``tool_choice`` and ``response_format``: builders, and the checks a request runs.

:func:`normalise_tool_choice` is the one translation of a tool choice (a mode, a tool's name
or a function-choice dict) both adapters call, each after mapping its framework's own spellings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from xai_vision.errors import RequestValidationError

MAX_TOOLS = 128
#: The ``tool_choice`` strings xAI takes: call no tool, decide, or call at least one.
TOOL_CHOICE_MODES: tuple[str, ...] = ("none", "auto", "required")
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def function_tool(
    name: str,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``{"type": "function", "function": {...}}`` tool; parameters is a JSON Schema object."""
    if not isinstance(name, str) or _TOOL_NAME.fullmatch(name) is None:
        raise RequestValidationError(
            f"tool name {name!r} must be 1-64 characters of letters, digits, '_' or '-'"
        )
    schema: dict[str, Any] = (
        dict(parameters) if parameters is not None else {"type": "object", "properties": {}}
    )
    if not isinstance(parameters, (Mapping, type(None))) or schema.get("type") != "object":
        raise RequestValidationError(
            f"tool {name!r}: parameters must be a JSON Schema with type 'object'"
        )
    function: dict[str, Any] = {"name": name}
    if description is not None:
        if not isinstance(description, str):
            raise RequestValidationError(f"tool {name!r}: description must be a str")
        function["description"] = description
    function["parameters"] = schema
    return {"type": "function", "function": function}


def json_schema_response_format(
    schema: Mapping[str, Any], name: str = "response", strict: bool | None = None
) -> dict[str, Any]:
    """``response_format`` asking for JSON that matches ``schema`` (structured output)."""
    if not isinstance(schema, Mapping) or not schema:
        raise RequestValidationError("response_format: schema must be a non-empty JSON Schema dict")
    if not isinstance(name, str) or _TOOL_NAME.fullmatch(name) is None:
        raise RequestValidationError(
            f"response_format: name {name!r} must be 1-64 letters, digits, '_' or '-'"
        )
    json_schema: dict[str, Any] = {"name": name, "schema": dict(schema)}
    if strict is not None:
        json_schema["strict"] = strict
    return {"type": "json_schema", "json_schema": json_schema}


def normalise_tool_choice(
    choice: object, tool_names: Sequence[str] | None = None
) -> str | Mapping[str, Any]:
    """xAI's ``tool_choice`` for a mode, a tool's name or a function-choice dict.

    A mode (:data:`TOOL_CHOICE_MODES`) and a dict are kept as they are (the request checks the
    dict's shape); any other string names the one tool to call, and must be one of
    ``tool_names`` when they are given. Anything else is a RequestValidationError.
    """
    if isinstance(choice, str):
        if choice in TOOL_CHOICE_MODES:
            return choice
        if tool_names is not None and choice not in tool_names:
            raise RequestValidationError(
                f"tool_choice {choice!r} names no bound tool; bound tools: {list(tool_names)}"
            )
        return {"type": "function", "function": {"name": choice}}
    if isinstance(choice, Mapping):
        return choice
    raise RequestValidationError(
        f"tool_choice must be {', '.join(map(repr, TOOL_CHOICE_MODES))}, a tool name or a dict; "
        f"got {choice!r}"
    )


def check_tools(tools: object) -> tuple[Mapping[str, Any], ...]:
    """``tools`` as a tuple of function tools (at most :data:`MAX_TOOLS`), or an error."""
    if isinstance(tools, Mapping) or not isinstance(tools, Sequence):
        raise RequestValidationError("tools must be a list of tool dicts")
    if len(tools) > MAX_TOOLS:
        raise RequestValidationError(f"at most {MAX_TOOLS} tools are allowed, got {len(tools)}")
    for i, tool in enumerate(tools):
        if not _names_a_function(tool):
            raise RequestValidationError(
                f"tools[{i}] must be {{'type': 'function', 'function': {{'name': ...}}}}"
                " (see function_tool)"
            )
    return tuple(tools)


def check_tool_choice(choice: object) -> None:
    """A mode, or ``{"type": "function", "function": {"name": ...}}``."""
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_MODES:
            raise RequestValidationError(
                f"tool_choice must be 'none', 'auto', 'required' or a function, got {choice!r}"
            )
        return
    if not _names_a_function(choice):
        raise RequestValidationError(
            "tool_choice must be 'none', 'auto', 'required' or "
            "{'type': 'function', 'function': {'name': ...}}"
        )


def _names_a_function(value: object) -> bool:
    """Whether ``value`` is ``{"type": "function", "function": {"name": <str>, ...}, ...}``."""
    if not isinstance(value, Mapping) or value.get("type") != "function":
        return False
    function = value.get("function")
    return isinstance(function, Mapping) and isinstance(function.get("name"), str)


def check_response_format(fmt: object) -> None:
    """``text``, ``json_object``, or ``json_schema`` with a schema object."""
    if not isinstance(fmt, Mapping) or fmt.get("type") not in (
        "text",
        "json_object",
        "json_schema",
    ):
        raise RequestValidationError(
            "response_format type must be 'text', 'json_object' or 'json_schema'"
        )
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
            raise RequestValidationError(
                "response_format json_schema needs {'name': ..., 'schema': {...}} "
                "(see json_schema_response_format)"
            )
