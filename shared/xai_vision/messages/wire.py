"""Wire messages: the system, user, assistant and tool message dicts, their builders and check.

Every role takes text and images in any order (xAI's ``Message`` schema gives them all the same
content type); system, user and assistant messages take an optional ``name``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

from typing_extensions import NotRequired, TypedDict

from xai_vision import _json
from xai_vision.errors import RequestValidationError
from xai_vision.messages.parts import ContentInput, ContentPart, content_parts, wire_part
from xai_vision.models import ToolCall

ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


class WireFunction(TypedDict):
    """The ``function`` of a tool call: its name and JSON-encoded arguments."""

    name: str
    arguments: str


class WireToolCall(TypedDict):
    """One tool call in an assistant message."""

    id: str
    type: Literal["function"]
    function: WireFunction


class SystemMessage(TypedDict):
    """A system message: text, or parts with text and images in any order."""

    role: Literal["system"]
    content: str | list[ContentPart]
    name: NotRequired[str]


class UserMessage(TypedDict):
    """A user message: text, or parts with text and images in any order."""

    role: Literal["user"]
    content: str | list[ContentPart]
    name: NotRequired[str]


class AssistantMessage(TypedDict):
    """An earlier model turn (text and images); may carry tool calls and its reasoning."""

    role: Literal["assistant"]
    content: str | list[ContentPart] | None
    name: NotRequired[str]
    tool_calls: NotRequired[list[WireToolCall]]
    reasoning_content: NotRequired[str]
    #: The responses endpoint's encrypted reasoning for this turn (chat completions leaves it out).
    reasoning_encrypted_content: NotRequired[str]


class ToolMessage(TypedDict):
    """A tool's result for one tool call; content may include images."""

    role: Literal["tool"]
    tool_call_id: str
    content: str | list[ContentPart]


WireMessage: TypeAlias = SystemMessage | UserMessage | AssistantMessage | ToolMessage


def _name(name: object, where: str) -> str:
    """A message's ``name`` (xAI: an end-user identifier), checked."""
    if not isinstance(name, str) or not name:
        raise RequestValidationError(f"{where}: name must be a non-empty str, got {name!r}")
    return name


def system_message(content: ContentInput, *, name: str | None = None) -> SystemMessage:
    """A system message: a string, or text and images in any order; ``name`` if given."""
    message: SystemMessage = {"role": "system", "content": content_parts(content, "system message")}
    if name is not None:
        message["name"] = _name(name, "system message")
    return message


def user_message(content: ContentInput, *, name: str | None = None) -> UserMessage:
    """A user message: a string, or text and images (``PreparedImage`` or parts) in any order."""
    message: UserMessage = {"role": "user", "content": content_parts(content, "user message")}
    if name is not None:
        message["name"] = _name(name, "user message")
    return message


def assistant_message(
    content: ContentInput | None = None,
    *,
    tool_calls: Sequence[ToolCall | Mapping[str, Any]] | None = None,
    reasoning_content: str | None = None,
    name: str | None = None,
    reasoning_encrypted_content: str | None = None,
) -> AssistantMessage:
    """An earlier assistant turn: text and/or images, tool calls (``ToolCall`` or dicts), reasoning.

    Tool-call dicts may be the wire shape (``{"id", "type", "function": {...}}``) or flat
    (``{"id", "name", "arguments"}``); ``arguments`` may be a JSON string or a dict.
    """
    checked = None if content is None else content_parts(content, "assistant message")
    calls = [_tool_call(call, i) for i, call in enumerate(tool_calls or ())]
    if checked is None and not calls:
        raise RequestValidationError("assistant message: needs content or tool_calls")
    message: AssistantMessage = {"role": "assistant", "content": checked}
    if name is not None:
        message["name"] = _name(name, "assistant message")
    if calls:
        message["tool_calls"] = calls
    if reasoning_content is not None:
        if not isinstance(reasoning_content, str):
            raise RequestValidationError("assistant message: reasoning_content must be a str")
        message["reasoning_content"] = reasoning_content
    if reasoning_encrypted_content is not None:
        if not isinstance(reasoning_encrypted_content, str):
            raise RequestValidationError(
                "assistant message: reasoning_encrypted_content must be a str"
            )
        message["reasoning_encrypted_content"] = reasoning_encrypted_content
    return message


def _tool_call(call: ToolCall | Mapping[str, Any], i: int) -> WireToolCall:
    where = f"assistant message tool_calls[{i}]"
    call_id: object
    name: object
    arguments: object
    if isinstance(call, ToolCall):
        call_id, name, arguments = call.id, call.name, call.arguments
    elif isinstance(call, Mapping):
        function = call.get("function")
        source = function if isinstance(function, Mapping) else call
        call_id, name, arguments = call.get("id"), source.get("name"), source.get("arguments")
        if call.get("type", "function") != "function":
            raise RequestValidationError(f"{where}: type must be 'function'")
    else:
        raise RequestValidationError(
            f"{where}: expected a ToolCall or a dict, got {type(call).__name__}"
        )
    if not isinstance(call_id, str) or not call_id:
        raise RequestValidationError(f"{where}: needs a non-empty str 'id'")
    if not isinstance(name, str) or not name:
        raise RequestValidationError(f"{where}: needs a non-empty str function name")
    if isinstance(arguments, Mapping):
        arguments = _json.dumps(dict(arguments)).decode("utf-8")
    elif arguments is None:
        arguments = "{}"
    if not isinstance(arguments, str):
        raise RequestValidationError(f"{where}: arguments must be a JSON str or a dict")
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool_message(tool_call_id: str, content: ContentInput) -> ToolMessage:
    """A tool's result for ``tool_call_id``; content may mix text and images."""
    if not isinstance(tool_call_id, str) or not tool_call_id:
        raise RequestValidationError("tool message: tool_call_id must be a non-empty str")
    return {
        "role": "tool",
        "tool_call_id": tool_call_id,
        "content": content_parts(content, "tool message"),
    }


def check_message(message: object, i: int) -> None:
    """A message (``messages[i]``) must have a known role and the fields that role needs."""
    where = f"messages[{i}]"
    if not isinstance(message, Mapping):
        raise RequestValidationError(f"{where} must be a dict, got {type(message).__name__}")
    role = message.get("role")
    if role not in ROLES:
        raise RequestValidationError(
            f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}"
        )
    content = message.get("content")
    if role == "assistant":
        if content is None and not message.get("tool_calls"):
            raise RequestValidationError(f"{where}: assistant message needs content or tool_calls")
    elif content is None:
        raise RequestValidationError(f"{where}: {role} message needs content")
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise RequestValidationError(f"{where}: tool message needs a str tool_call_id")
    if message.get("name") is not None:
        if role == "tool":
            raise RequestValidationError(f"{where}: tool messages take no name")
        _name(message["name"], where)
    if content is not None and not isinstance(content, str):
        if not isinstance(content, list):
            raise RequestValidationError(f"{where}: content must be a str or a list of parts")
        for j, part in enumerate(content):
            wire_part(part, f"{where} part {j}")
