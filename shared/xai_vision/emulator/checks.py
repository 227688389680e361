"""Request checks: accept or reject a request the way xAI does.

:func:`check_chat_request` validates a chat-completions body against xAI's OpenAPI schema, then
:func:`check_call` (shared with the responses endpoint, which first turns its ``input`` items
into the same chat messages) checks the model's parameters, the tools and xAI's image rules.
Either returns a :class:`ChatCall` (what answer building needs) or raises
:class:`~xai_vision.emulator.validation.Rejection`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from xai_vision import _json
from xai_vision.emulator.catalog import ModelInfo, resolve_model
from xai_vision.emulator.config import EmulatorSettings
from xai_vision.emulator.describe import ImageFacts, inspect_pixels, is_animated
from xai_vision.emulator.documents import DocumentFacts, FileReader, check_documents
from xai_vision.emulator.validation import Rejection, spec_schema, spec_validator
from xai_vision.errors import ImageSourceError
from xai_vision.images import MIME_TYPES, detect_image_format, parse_data_uri
from xai_vision.tokens import (
    DETAILS,
    Detail,
    estimate_messages_text_tokens,
    estimate_text_tokens,
    estimate_tools_tokens,
    message_text,
)

__all__ = [
    "CHAT_FIELDS",
    "DESERIALIZE",
    "ChatCall",
    "Fetcher",
    "FieldNames",
    "check_call",
    "check_chat_request",
    "check_known_fields",
    "model_not_found",
]

#: Downloads an http(s) image URL (of the image part named by the second argument): returns its
#: bytes or raises Rejection. The server's is :meth:`ImageFetcher.fetch
#: <xai_vision.emulator.image_fetch.ImageFetcher.fetch>`.
Fetcher = Callable[[str, str], Awaitable[bytes]]

#: How xAI's 422 answers begin (its deserialiser's words).
DESERIALIZE = "Failed to deserialize the JSON body into the target type"
_CAMEL = {
    "stop": "stop",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "reasoning_effort": "reasoningEffort",
}


@dataclass
class ChatCall:
    """A chat request that passed every check, with what the answer needs."""

    body: dict[str, Any]
    model: ModelInfo
    images: list[ImageFacts]
    question: str
    text_tokens: int
    tools: list[dict[str, Any]]
    tool_results: list[tuple[str, str]]
    stream: bool
    include_usage: bool
    max_tokens: int | None
    stop: list[str]
    n: int
    #: The request's documents (file parts / input_file), read, in order.
    documents: list[DocumentFacts] = field(default_factory=list)

    @property
    def image_tokens(self) -> int:
        """Prompt tokens of all images."""
        return sum(image.tokens for image in self.images)


@dataclass(frozen=True)
class FieldNames:
    """How one endpoint names, in its rejections, the fields the shared checks look at."""

    #: The list of messages (``input`` on the responses endpoint).
    messages: str = "messages"
    #: The function of tool ``{i}``.
    tool: str = "tools[{i}].function"
    reasoning_effort: str = "reasoning_effort"
    max_tokens: str = "max_tokens"


#: Chat completions' own field names.
CHAT_FIELDS = FieldNames()


def model_not_found(model: object) -> Rejection:
    """xAI's 404 for a model name it does not serve (or the key's team cannot use)."""
    return Rejection(
        404,
        f"The model {model} does not exist or your team does not have access to it "
        "(model not found).",
    )


def _present(body: Mapping[str, Any], key: str) -> bool:
    return body.get(key) is not None


def check_known_fields(body: Mapping[str, Any], schema: str) -> None:
    """422 for a top-level field the spec's ``schema`` does not list (xAI's deserialiser
    refuses unknown fields; the spec's request schemas leave ``additionalProperties`` open)."""
    listed = spec_schema(schema)["properties"]
    for name in body:
        if name not in listed:
            expected = ", ".join(f"`{field}`" for field in listed)
            raise Rejection(
                422,
                f"{DESERIALIZE}: unknown field `{name}`, expected one of {expected}",
            )


async def check_chat_request(
    body: Any, settings: EmulatorSettings, fetch: Fetcher, read_file: FileReader | None = None
) -> ChatCall:
    """Validate ``body`` like xAI (schema, model, parameters, images, documents); raise
    Rejection if not. ``read_file`` reads the caller's uploaded files (``file_id`` parts)."""
    if not isinstance(body, dict):
        kind = "array" if isinstance(body, list) else type(body).__name__
        raise Rejection(422, f"{DESERIALIZE}: invalid type: {kind}, expected struct ChatRequest")
    check_known_fields(body, "ChatRequest")
    problem = spec_validator().first_error(body, spec_schema("ChatRequest"))
    if problem is not None:
        raise Rejection(422, f"{DESERIALIZE}: {problem}")
    for required in ("model", "messages"):
        if required not in body:
            raise Rejection(422, f"{DESERIALIZE}: missing field `{required}`")
    stream = bool(body.get("stream"))
    if _present(body, "stream_options") and not stream:
        raise Rejection(400, "stream_options: only allowed when stream is true")
    include_usage = stream and bool((body.get("stream_options") or {}).get("include_usage"))
    return await check_call(
        body, settings, fetch, stream=stream, include_usage=include_usage, read_file=read_file
    )


async def check_call(
    body: dict[str, Any],
    settings: EmulatorSettings,
    fetch: Fetcher,
    *,
    stream: bool,
    include_usage: bool,
    fields: FieldNames = CHAT_FIELDS,
    message_paths: Sequence[str] | None = None,
    read_file: FileReader | None = None,
    inline_documents: bool = False,
) -> ChatCall:
    """The checks every endpoint shares, on a chat-shaped ``body`` (model, messages, tools,
    tool_choice, response_format, reasoning_effort, max_tokens): the model, its parameters,
    the tools, the images and the prompt's length.

    ``fields`` and ``message_paths`` (one path a message, e.g. ``input[2]``) name what a
    rejection points at, for an endpoint whose body was turned into this shape.
    ``read_file`` resolves ``file_id`` documents; ``inline_documents`` lets ``file_data`` in
    (responses' ``input_file``).
    """
    messages: list[dict[str, Any]] = body["messages"]
    if not messages:
        raise Rejection(400, f"{fields.messages}: at least one message is required")
    paths = list(message_paths or [f"messages[{i}]" for i in range(len(messages))])

    effort = body.get("reasoning_effort")
    model = resolve_model(
        body["model"], effort if isinstance(effort, str) else None, settings.models
    )
    if model is None:
        raise model_not_found(body["model"])
    _check_parameters(body, model, fields)
    tools = _check_tools(body, fields)

    images = await _check_images(messages, paths, model, settings, fetch)
    documents = await check_documents(messages, paths, read_file, inline=inline_documents)
    text_tokens = estimate_messages_text_tokens(messages)
    text_tokens += estimate_tools_tokens(body.get("tools") or [])
    if _present(body, "response_format"):
        text_tokens += estimate_text_tokens(_json.dumps(body["response_format"]).decode())
    prompt_tokens = text_tokens + sum(image.tokens for image in images)
    if prompt_tokens > model.context_window:
        raise Rejection(
            400,
            f"This model's maximum prompt length is {model.context_window} but the request "
            f"contains {prompt_tokens} tokens.",
        )

    users = [m for m in messages if m.get("role") == "user"]
    question = message_text(users[-1].get("content")) if users else ""
    limit = body.get("max_completion_tokens")
    if limit is None:
        limit = body.get("max_tokens")
    if limit is not None and limit < 1:
        raise Rejection(400, f"{fields.max_tokens}: must be at least 1, got {limit}")
    stop = body.get("stop") or []
    return ChatCall(
        body=body,
        model=model,
        images=images,
        question=question,
        text_tokens=text_tokens,
        tools=tools,
        tool_results=_tool_results(messages),
        stream=stream,
        include_usage=include_usage,
        max_tokens=limit,
        stop=[s for s in stop if s],
        n=body.get("n") or 1,
        documents=documents,
    )


def _check_parameters(body: Mapping[str, Any], model: ModelInfo, fields: FieldNames) -> None:
    for key in model.rejected_params:
        if _present(body, key):
            raise Rejection(400, f"Model {model.name} does not support parameter {_CAMEL[key]}.")
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in ("low", "high"):
        raise Rejection(400, f"{fields.reasoning_effort}: must be 'low' or 'high', got {effort!r}")


def _check_tools(body: Mapping[str, Any], fields: FieldNames) -> list[dict[str, Any]]:
    """The function tools, after checking names and tool_choice against them."""
    tools = [t["function"] for t in body.get("tools") or [] if t.get("type") == "function"]
    names = [t["name"] for t in tools]
    for i, name in enumerate(names):
        where = fields.tool.format(i=i)
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", name):
            raise Rejection(400, f"{where}.name: invalid function name {name!r}")
        if names.index(name) != i:
            raise Rejection(400, f"{where}.name: duplicate function name {name!r}")
        parameters = tools[i].get("parameters")
        if not isinstance(parameters, (dict, bool)):
            raise Rejection(400, f"{where}.parameters: must be a JSON schema object")
    choice = body.get("tool_choice")
    if isinstance(choice, str):
        if choice not in ("none", "auto", "required"):
            raise Rejection(
                400, f"tool_choice: unknown value {choice!r}; expected none, auto or required"
            )
        if choice == "required" and not tools:
            raise Rejection(400, "tool_choice: 'required' needs at least one tool")
    elif isinstance(choice, dict):
        function = choice.get("function") or {}
        name = function.get("name")
        if choice.get("type") != "function" or not isinstance(name, str):
            raise Rejection(
                400, 'tool_choice: expected {"type": "function", "function": {"name": ...}}'
            )
        if name not in names:
            raise Rejection(400, f"tool_choice: function {name!r} is not among the tools")
    return tools


def _tool_results(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(tool name, result text) of the tool messages that end the conversation."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            names[call.get("id", "")] = call.get("function", {}).get("name", "tool")
    trailing: list[tuple[str, str]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        name = names.get(message.get("tool_call_id") or "", "tool")
        trailing.append((name, message_text(message.get("content"))))
    return trailing[::-1]


async def _check_images(
    messages: list[dict[str, Any]],
    paths: Sequence[str],
    model: ModelInfo,
    settings: EmulatorSettings,
    fetch: Fetcher,
) -> list[ImageFacts]:
    found: list[tuple[str, bytes, str | None, Detail]] = []
    for i, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        count = 0
        for j, part in enumerate(content):
            where = f"{paths[i]}.content[{j}]"
            kind = part.get("type")
            if kind == "text":
                if not isinstance(part.get("text"), str):
                    raise Rejection(422, f"{DESERIALIZE}: {where}: missing field `text`")
                continue
            if kind == "file":  # a document: check_documents reads it
                continue
            if kind != "image_url":
                raise Rejection(
                    400,
                    f"{where}: unsupported content part type {kind!r}; use text, image_url or file",
                )
            image_url = part.get("image_url")
            if not isinstance(image_url, dict):
                raise Rejection(422, f"{DESERIALIZE}: {where}: missing field `image_url`")
            detail = image_url.get("detail", "auto")
            if detail is None:
                detail = "auto"
            if detail not in DETAILS:
                raise Rejection(
                    422,
                    f"{DESERIALIZE}: {where}.image_url.detail: unknown variant `{detail}`, "
                    "expected one of `auto`, `low`, `high`",
                )
            url = image_url.get("url")
            if not isinstance(url, str) or not url:
                raise Rejection(
                    400, f"{where}.image_url: a url is required (file_id is not supported)"
                )
            count += 1
            limit = settings.max_images_per_message
            if limit is not None and count > limit:
                raise Rejection(
                    400, f"{paths[i]}: too many images in one message (the maximum is {limit})"
                )
            if not model.takes_images:
                raise Rejection(400, f"Model {model.name} does not support image inputs ({where}).")
            found.append((where, *await _image_bytes(url, where, fetch), cast(Detail, detail)))
    if not found:
        return []
    loop = asyncio.get_running_loop()
    return [
        await loop.run_in_executor(None, _inspect, where, data, mime, detail, settings)
        if len(data) > 256 * 1024
        else _inspect(where, data, mime, detail, settings)
        for where, data, mime, detail in found
    ]


async def _image_bytes(url: str, where: str, fetch: Fetcher) -> tuple[bytes, str | None]:
    if url[:5].lower() == "data:":
        try:
            mime, data = parse_data_uri(url)
        except ImageSourceError as exc:
            raise Rejection(400, f"{where}.image_url: {exc.reason}") from None
        return data, mime
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise Rejection(
            400, f"{where}.image_url: unsupported URL scheme; use https:// or a data: URI"
        )
    return await fetch(url, where), None


def _inspect(
    where: str, data: bytes, mime: str | None, detail: Detail, settings: EmulatorSettings
) -> ImageFacts:
    if len(data) > settings.max_image_bytes:
        raise Rejection(
            400,
            f"{where}: image is {len(data)} bytes; the maximum is {settings.max_image_bytes} bytes",
        )
    fmt = detect_image_format(data)
    if fmt is None:
        raise Rejection(400, f"{where}: the bytes are not an image in a known format")
    if fmt not in settings.image_formats:
        raise Rejection(
            400,
            f"{where}: unsupported image format {fmt}; supported: "
            f"{', '.join(settings.image_formats)}",
        )
    if (
        mime is not None
        and mime != MIME_TYPES.get(fmt)
        and not (fmt == "jpeg" and mime == "image/jpg")
    ):
        raise Rejection(
            400, f"{where}: the data URI says {mime} but the bytes are {fmt} ({MIME_TYPES[fmt]})"
        )
    if fmt == "gif" and is_animated(data):
        raise Rejection(400, f"{where}: animated GIFs are not supported")
    try:
        return inspect_pixels(data, fmt, detail)
    except ValueError as exc:
        raise Rejection(400, f"{where}: {exc}") from None
