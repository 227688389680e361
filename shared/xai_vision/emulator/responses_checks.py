"""Responses request checks: accept or reject a ``POST /v1/responses`` body the way xAI does.

The body's ``input`` items (with ``instructions``, and the stored conversation a
``previous_response_id`` continues) become the same chat messages chat completions receives,
and its fields the same chat-shaped parameters (``text.format`` -> ``response_format``,
``reasoning.effort`` -> ``reasoning_effort``, ``max_output_tokens`` -> ``max_tokens``, flat
function tools -> chat tools); :func:`~xai_vision.emulator.checks.check_call` then applies the
checks both endpoints share, so the answer, its tokens and its image rules are chat
completions' own. What only this endpoint has (unknown fields, its input item shapes,
``include``, ``store``, ``previous_response_id``) is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xai_vision.emulator.checks import (
    DESERIALIZE,
    ChatCall,
    Fetcher,
    FieldNames,
    check_call,
    check_known_fields,
)
from xai_vision.emulator.config import EmulatorSettings
from xai_vision.emulator.documents import FileReader
from xai_vision.emulator.response_store import ResponseStore, StoredResponse
from xai_vision.emulator.validation import Rejection, spec_schema, spec_validator
from xai_vision.tokens import DETAILS

__all__ = ["ENCRYPTED_REASONING", "RESPONSES_FIELDS", "ResponsesCall", "check_responses_request"]

#: The one ``include`` value xAI supports: the reasoning, encrypted, for a later turn.
ENCRYPTED_REASONING = "reasoning.encrypted_content"
#: How the shared checks name this endpoint's fields.
RESPONSES_FIELDS = FieldNames(
    messages="input",
    tool="tools[{i}]",
    reasoning_effort="reasoning.effort",
    max_tokens="max_output_tokens",
)
_ROLES = ("user", "system", "developer", "assistant")
_PART_TYPES = ("input_text", "output_text", "input_image", "input_file")


@dataclass
class ResponsesCall:
    """A responses request that passed every check: the shared checks' result on its
    chat-shaped form (``call.body["messages"]`` is the whole conversation) and what only this
    endpoint has."""

    call: ChatCall
    #: The request as received.
    body: dict[str, Any]
    store: bool
    #: ``include`` asks for the reasoning's ``encrypted_content``.
    encrypted_reasoning: bool
    #: The stored response this request continues, if any.
    previous: StoredResponse | None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "sequence"
    if value is None:
        return "null"
    return type(value).__name__


def _invalid(where: str, value: Any, expected: str) -> Rejection:
    return Rejection(
        422, f"{DESERIALIZE}: {where}: invalid type: {_kind(value)}, expected {expected}"
    )


def _missing(where: str, name: str) -> Rejection:
    return Rejection(422, f"{DESERIALIZE}: {where}: missing field `{name}`")


def _unknown_variant(where: str, value: Any, variants: Sequence[str]) -> Rejection:
    expected = ", ".join(f"`{v}`" for v in variants)
    return Rejection(
        422, f"{DESERIALIZE}: {where}: unknown variant `{value}`, expected one of {expected}"
    )


def _string(item: Mapping[str, Any], name: str, where: str) -> str:
    if name not in item:
        raise _missing(where, name)
    value = item[name]
    if not isinstance(value, str):
        raise _invalid(f"{where}.{name}", value, "a string")
    return value


def _content_part(part: Any, where: str) -> dict[str, Any]:
    """One content part as a chat part (text or image_url)."""
    if not isinstance(part, dict):
        raise _invalid(where, part, "a content part")
    kind = part.get("type")
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": _string(part, "text", where)}
    if kind == "refusal":  # an earlier output's refusal, sent back
        return {"type": "text", "text": _string(part, "refusal", where)}
    if kind == "input_file":
        return _input_file(part, where)
    if kind != "input_image":
        raise _unknown_variant(f"{where}.type", kind, _PART_TYPES)
    url = _string(part, "image_url", where)  # the spec requires it, file_id or not
    if not url:
        raise Rejection(400, f"{where}.image_url: a url is required (file_id is not supported)")
    detail = part.get("detail")
    if detail is not None and detail not in DETAILS:
        raise _unknown_variant(f"{where}.detail", detail, DETAILS)
    image: dict[str, Any] = {"url": url}
    if detail is not None:
        image["detail"] = detail
    return {"type": "image_url", "image_url": image}


def _input_file(part: Mapping[str, Any], where: str) -> dict[str, Any]:
    """An ``input_file`` as a chat ``file`` part (``file_url`` as ``url``); exactly one source."""
    given = [key for key in ("file_id", "file_data", "file_url") if part.get(key) is not None]
    if len(given) != 1:
        raise Rejection(400, f"{where}: give exactly one of file_id, file_data or file_url")
    key = given[0]
    file: dict[str, Any] = {"url" if key == "file_url" else key: _string(part, key, where)}
    if key == "file_data":
        file["filename"] = part.get("filename") or "document"
    return {"type": "file", "file": file}


def _message(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A message item as a chat message (``developer`` is a system message)."""
    role = item["role"]
    if role not in _ROLES:
        raise _unknown_variant(f"{where}.role", role, _ROLES)
    content = item.get("content")
    if "content" not in item:
        raise _missing(where, "content")
    if isinstance(content, list):
        content = [_content_part(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
    elif not isinstance(content, str):
        raise _invalid(f"{where}.content", content, "a string or an array of content parts")
    message: dict[str, Any] = {
        "role": "system" if role == "developer" else role,
        "content": content,
    }
    if isinstance(item.get("name"), str):
        message["name"] = item["name"]
    return message


def _carries_tool_images(message: Mapping[str, Any], before: list[dict[str, Any]]) -> bool:
    """A user message with images right after tool results: how a tool's images travel on the
    responses endpoint (``function_call_output`` is a string), so a model reads it as part of
    the results, not as a new question."""
    content = message.get("content")
    return (
        message.get("role") == "user"
        and bool(before)
        and before[-1]["role"] == "tool"
        and isinstance(content, list)
        and any(part.get("type") in ("image_url", "file") for part in content)
    )


def _attach_to_tool_result(tool: dict[str, Any], parts: list[dict[str, Any]]) -> None:
    """Add ``parts`` (text and images) to a tool message's content, as chat completions has it."""
    content = tool["content"]
    existing = [{"type": "text", "text": content}] if isinstance(content, str) else content
    tool["content"] = [*existing, *parts]


def input_messages(value: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """``input`` (a string, or a list of items) as chat messages, with each message's path.

    A function call joins the assistant message just before it (or starts one); a function
    call's output is a tool message (its ``output`` a string only), and a user message with
    images right after tool results joins the last of them (a tool's images travel that way on
    this endpoint); reasoning items are accepted and left out (the emulator's answer does not
    depend on them).
    """
    if isinstance(value, str):
        return [{"role": "user", "content": value}], ["input"]
    if not isinstance(value, list):
        raise _invalid("input", value, "a string or an array of input items")
    messages: list[dict[str, Any]] = []
    paths: list[str] = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise _invalid(where, item, "an input item")
        kind = item.get("type")
        if "role" in item and kind in (None, "message"):
            message = _message(item, where)
            if _carries_tool_images(message, messages):
                _attach_to_tool_result(messages[-1], message["content"])
                continue
            messages.append(message)
            paths.append(where)
        elif kind == "function_call":
            call = {
                "id": _string(item, "call_id", where),
                "type": "function",
                "function": {
                    "name": _string(item, "name", where),
                    "arguments": _string(item, "arguments", where),
                },
            }
            if messages and messages[-1]["role"] == "assistant":
                messages[-1].setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
                paths.append(where)
        elif kind == "function_call_output":
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": _string(item, "call_id", where),
                    "content": _string(item, "output", where),
                }
            )
            paths.append(where)
        elif kind == "reasoning":
            continue
        elif kind is None:
            raise _missing(where, "role")
        else:
            raise Rejection(
                400,
                f"{where}: input items of type {kind!r} are not supported by the emulator; "
                "send messages, function_call, function_call_output or reasoning items",
            )
    return messages, paths


def _tools(body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    tools = body.get("tools")
    if tools is None:
        return None
    chat_tools: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        if tool["type"] != "function":
            raise Rejection(
                400,
                f"tools[{i}]: {tool['type']} tools are not supported by the emulator "
                "(function tools only)",
            )
        function = {key: value for key, value in tool.items() if key != "type"}
        chat_tools.append({"type": "function", "function": function})
    return chat_tools


def _tool_choice(choice: Any) -> Any:
    if not isinstance(choice, dict):
        return choice
    if choice.get("type") != "function":
        raise Rejection(
            400,
            'tool_choice: expected "none", "auto", "required" or {"type": "function", "name": ...}',
        )
    return {"type": "function", "function": {"name": choice["name"]}}


def _response_format(text: Any) -> dict[str, Any] | None:
    fmt = text.get("format") if isinstance(text, dict) else None
    if fmt is None:
        return None
    if fmt["type"] != "json_schema":
        return {"type": fmt["type"]}
    return {
        "type": "json_schema",
        "json_schema": {key: value for key, value in fmt.items() if key != "type"},
    }


def _include(body: Mapping[str, Any]) -> bool:
    include = body.get("include") or []
    for i, value in enumerate(include):
        if value != ENCRYPTED_REASONING:
            raise Rejection(
                400,
                f"include[{i}]: unsupported value {value!r}; the only supported value is "
                f"{ENCRYPTED_REASONING!r}",
            )
    return bool(include)


def _previous(
    body: Mapping[str, Any], responses: ResponseStore, owner: bytes
) -> StoredResponse | None:
    previous_id = body.get("previous_response_id")
    if previous_id is None:
        return None
    if body.get("instructions") is not None:
        raise Rejection(
            400,
            "instructions cannot be used together with previous_response_id (the stored "
            "conversation's system prompt is used)",
        )
    stored = responses.get(owner, previous_id)
    if stored is None:
        raise Rejection(404, f"Response with id {previous_id!r} not found.")
    return stored


async def check_responses_request(
    body: Any,
    settings: EmulatorSettings,
    fetch: Fetcher,
    responses: ResponseStore,
    owner: bytes,
    read_file: FileReader | None = None,
) -> ResponsesCall:
    """Validate ``body`` like xAI; raise Rejection if not. ``owner`` is the caller's
    :func:`~xai_vision.emulator.response_store.owner_of` (for ``previous_response_id``)."""
    if not isinstance(body, dict):
        raise _invalid("the body", body, "struct ModelRequest")
    check_known_fields(body, "ModelRequest")
    if "input" not in body:
        raise Rejection(422, f"{DESERIALIZE}: missing field `input`")
    new_messages, new_paths = input_messages(body["input"])
    problem = spec_validator().first_error(body, spec_schema("ModelRequest"))
    if problem is not None:
        raise Rejection(422, f"{DESERIALIZE}: {problem}")
    if "model" not in body:
        raise Rejection(422, f"{DESERIALIZE}: missing field `model`")
    if body.get("background"):
        raise Rejection(400, "background: processing in the background is not supported")

    previous = _previous(body, responses, owner)
    messages: list[dict[str, Any]] = []
    paths: list[str] = []
    if previous is not None:
        messages += [dict(m) for m in previous.conversation]
        paths += [f"previous_response[{i}]" for i in range(len(previous.conversation))]
    instructions = body.get("instructions")
    if instructions is not None:
        messages.append({"role": "system", "content": instructions})
        paths.append("instructions")
    messages += new_messages
    paths += new_paths

    chat_body: dict[str, Any] = {"model": body["model"], "messages": messages}
    tools = _tools(body)
    if tools is not None:
        chat_body["tools"] = tools
    if body.get("tool_choice") is not None:
        chat_body["tool_choice"] = _tool_choice(body["tool_choice"])
    if body.get("parallel_tool_calls") is not None:
        chat_body["parallel_tool_calls"] = body["parallel_tool_calls"]
    response_format = _response_format(body.get("text"))
    if response_format is not None:
        chat_body["response_format"] = response_format
    effort = (body.get("reasoning") or {}).get("effort")
    if effort is not None:
        chat_body["reasoning_effort"] = effort
    if body.get("max_output_tokens") is not None:
        chat_body["max_tokens"] = body["max_output_tokens"]

    encrypted_reasoning = _include(body)
    stream = bool(body.get("stream"))
    call = await check_call(
        chat_body,
        settings,
        fetch,
        stream=stream,
        include_usage=stream,
        fields=RESPONSES_FIELDS,
        message_paths=paths,
        read_file=read_file,
        inline_documents=True,
    )
    store = body.get("store") is not False
    if store and call.images and settings.strict_image_store:
        raise Rejection(
            400,
            "store: storing a response with images is not supported; send store: false "
            "(strict_image_store)",
        )
    return ResponsesCall(
        call=call,
        body=body,
        store=store,
        encrypted_reasoning=encrypted_reasoning,
        previous=previous,
    )
