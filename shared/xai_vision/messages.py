"""xAI chat-completions wire messages: plain dicts, built and checked by the functions here.

Builders return exactly the JSON shapes xAI takes (``text`` and ``image_url`` parts, in any
order, any number of images, in every role: xAI's ``Message`` schema gives system, user,
assistant and tool messages the same content type). :class:`ImageCollector` numbers a
request's images and enforces the per-request limit; :class:`ChatRequest` is the frozen,
validated request an endpoint serialises. Nothing here knows about HTTP or a particular endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeAlias, cast

from typing_extensions import NotRequired, TypedDict

from xai_vision import _json
from xai_vision.catalog import DEFAULT_MODEL, model_facts
from xai_vision.errors import RequestValidationError, TooManyImagesError
from xai_vision.images import ImageOptions, ImageSource, PreparedImage, prepare_image
from xai_vision.models import ToolCall
from xai_vision.tokens import (
    DETAILS,
    MAX_IMAGE_TOKENS,
    TOKENS_PER_TILE,
    Detail,
    estimate_messages_text_tokens,
    estimate_tools_tokens,
)

__all__ = [
    "CHAT_REQUEST_PARAMS",
    "REASONING_EFFORTS",
    "ROLES",
    "AssistantMessage",
    "ChatRequest",
    "ContentInput",
    "ContentPart",
    "ImageCollector",
    "ImagePart",
    "ImageURL",
    "SystemMessage",
    "TextPart",
    "ToolMessage",
    "UserMessage",
    "WireFunction",
    "WireMessage",
    "WireToolCall",
    "assistant_message",
    "estimate_prompt_tokens",
    "function_tool",
    "image_part",
    "json_schema_response_format",
    "system_message",
    "text_part",
    "tool_message",
    "user_message",
]

ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
#: The values xAI documents (its spec: "low" or "high").
REASONING_EFFORTS: tuple[str, ...] = ("low", "high")
MAX_TOOLS = 128
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class TextPart(TypedDict):
    """``{"type": "text", "text": ...}``"""

    type: Literal["text"]
    text: str


class ImageURL(TypedDict):
    """The ``image_url`` object: an http(s) URL or data URI, and the optional detail level."""

    url: str
    detail: NotRequired[Detail]


class ImagePart(TypedDict):
    """``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}``"""

    type: Literal["image_url"]
    image_url: ImageURL


ContentPart: TypeAlias = TextPart | ImagePart


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

#: What builders take as content: a string, or a sequence of strings, parts and prepared images.
ContentInput: TypeAlias = str | Sequence[str | TextPart | ImagePart | PreparedImage]


# --------------------------------------------------------------------------- parts


def text_part(text: str) -> TextPart:
    """A text content part."""
    if not isinstance(text, str):
        raise RequestValidationError(f"text part must be a str, got {type(text).__name__}")
    return {"type": "text", "text": text}


def image_part(image: PreparedImage) -> ImagePart:
    """An ``image_url`` content part for a prepared image (``detail`` only when set)."""
    if not isinstance(image, PreparedImage):
        raise RequestValidationError(
            f"image_part takes a PreparedImage (see prepare_image), got {type(image).__name__}"
        )
    image_url: ImageURL = {"url": image.url}
    if image.detail is not None:
        image_url["detail"] = image.detail
    return {"type": "image_url", "image_url": image_url}


class ImageCollector:
    """Prepares the images of one request: numbers them from 1 and enforces the per-request cap.

    Use one collector per request so image indices in errors match the request's order.
    """

    def __init__(self, options: ImageOptions | None = None) -> None:
        self.options = options if options is not None else ImageOptions()
        self._images: list[PreparedImage] = []

    @property
    def images(self) -> tuple[PreparedImage, ...]:
        """The images added so far, in order."""
        return tuple(self._images)

    def __len__(self) -> int:
        return len(self._images)

    @property
    def estimated_tokens(self) -> int:
        """Estimated image tokens of the inline images added so far (URLs cannot be sized)."""
        return sum(image.estimated_tokens or 0 for image in self._images)

    def add(
        self, source: ImageSource | PreparedImage, *, detail: Detail | None = None
    ) -> ImagePart:
        """Prepare ``source`` as the next image of the request and return its wire part.

        A :class:`PreparedImage` is renumbered (and given ``detail`` if one is passed) but not
        prepared again. Raises :class:`TooManyImagesError` before preparing an image over the cap.
        """
        index = len(self._images) + 1
        limit = self.options.max_images_per_request
        if limit is not None and index > limit:
            raise TooManyImagesError(
                f"image {index}: more than max_images_per_request={limit} images in one request"
            )
        if isinstance(source, PreparedImage):
            if detail is not None and detail not in DETAILS:
                raise RequestValidationError(
                    f"detail must be one of {', '.join(DETAILS)} or None, got {detail!r}"
                )
            prepared = replace(
                source, index=index, detail=detail if detail is not None else source.detail
            )
        else:
            prepared = prepare_image(source, detail=detail, options=self.options, index=index)
        self._images.append(prepared)
        return image_part(prepared)


def _part(item: object, where: str) -> ContentPart:
    """Check one content item and return it as a wire part."""
    if isinstance(item, str):
        return text_part(item)
    if isinstance(item, PreparedImage):
        return image_part(item)
    if isinstance(item, Mapping):
        kind = item.get("type")
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise RequestValidationError(f"{where}: a text part needs a str 'text'")
            return text_part(text)
        if kind == "image_url":
            return _checked_image_part(item.get("image_url"), where)
        raise RequestValidationError(
            f"{where}: unknown content part type {kind!r} (expected 'text' or 'image_url')"
        )
    raise RequestValidationError(
        f"{where}: content items must be str, a text/image_url part or a PreparedImage, "
        f"got {type(item).__name__}"
    )


def _checked_image_part(image_url: object, where: str) -> ImagePart:
    if not isinstance(image_url, Mapping) or not isinstance(image_url.get("url"), str):
        raise RequestValidationError(f"{where}: an image_url part needs {{'url': str}}")
    url = cast(str, image_url["url"])
    if not url.startswith(("http://", "https://", "data:")):
        raise RequestValidationError(
            f"{where}: image_url.url must be an http(s) URL or a data URI "
            "(use prepare_image or ImageCollector for other sources)"
        )
    out: ImageURL = {"url": url}
    detail = image_url.get("detail")
    if detail is not None:
        if detail not in DETAILS:
            raise RequestValidationError(
                f"{where}: detail must be one of {', '.join(DETAILS)}, got {detail!r}"
            )
        out["detail"] = cast(Detail, detail)
    unknown = set(image_url) - {"url", "detail"}
    if unknown:
        raise RequestValidationError(f"{where}: unknown image_url keys {sorted(unknown)}")
    return {"type": "image_url", "image_url": out}


def _content(content: ContentInput, where: str) -> str | list[ContentPart]:
    if isinstance(content, str):
        return content
    raw: object = content
    if isinstance(raw, (bytes, bytearray)) or not isinstance(raw, Sequence):
        raise RequestValidationError(
            f"{where}: content must be a str or a sequence of parts, got {type(content).__name__}"
        )
    if not content:
        raise RequestValidationError(f"{where}: content has no parts")
    return [_part(item, f"{where} part {i}") for i, item in enumerate(content)]


# --------------------------------------------------------------------------- messages


def _name(name: object, where: str) -> str:
    """A message's ``name`` (xAI: an end-user identifier), checked."""
    if not isinstance(name, str) or not name:
        raise RequestValidationError(f"{where}: name must be a non-empty str, got {name!r}")
    return name


def system_message(content: ContentInput, *, name: str | None = None) -> SystemMessage:
    """A system message: a string, or text and images in any order; ``name`` if given."""
    message: SystemMessage = {"role": "system", "content": _content(content, "system message")}
    if name is not None:
        message["name"] = _name(name, "system message")
    return message


def user_message(content: ContentInput, *, name: str | None = None) -> UserMessage:
    """A user message: a string, or text and images (``PreparedImage`` or parts) in any order."""
    message: UserMessage = {"role": "user", "content": _content(content, "user message")}
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
    checked = None if content is None else _content(content, "assistant message")
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
        "content": _content(content, "tool message"),
    }


# --------------------------------------------------------------------------- tools, formats


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


# --------------------------------------------------------------------------- estimates


def estimate_prompt_tokens(
    messages: Sequence[Mapping[str, Any]],
    images: Sequence[PreparedImage] = (),
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Estimated prompt tokens of a request, by the rule the emulator bills by.

    The text of ``messages`` and the JSON of ``tools`` by the text rule
    (:mod:`xai_vision.tokens`); each of ``images`` (an :class:`ImageCollector`'s) by the image rule,
    an image sent by URL (not sizeable offline) at the most an image costs at its detail.
    """
    total = estimate_messages_text_tokens(messages)
    if tools:
        total += estimate_tools_tokens(tools)
    for image in images:
        tokens = image.estimated_tokens
        if tokens is None:
            tokens = TOKENS_PER_TILE if image.detail == "low" else MAX_IMAGE_TOKENS
        total += tokens
    return total


# --------------------------------------------------------------------------- request

_RESERVED = frozenset({"model", "messages", "stream", "stream_options"})
#: :class:`ChatRequest` fields that are not chat-completions body parameters but that
#: :meth:`ChatRequest.build` takes from ``options`` too (each endpoint sends them its way).
REQUEST_SETTINGS: tuple[str, ...] = ("conversation_id", "store", "previous_response_id")
#: Default images-per-message limit (xAI's stricter source; :class:`ImageOptions` has the same).
MAX_IMAGES_PER_MESSAGE: int | None = ImageOptions().max_images_per_message
#: The :class:`ChatRequest` fields that are body parameters, in body order. The one list of them:
#: adapters route per-call options with it (see :meth:`ChatRequest.build`).
CHAT_REQUEST_PARAMS: tuple[str, ...] = (
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "reasoning_effort",
)
_PARAM_NAMES = frozenset(CHAT_REQUEST_PARAMS)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One validated chat request, endpoint-neutral: model, wire messages and parameters.

    ``extra`` carries further body fields as they are (a framework's ``model_kwargs``); it may
    not override ``model``, ``messages`` or the streaming fields, which the endpoint owns.
    """

    model: str
    messages: Sequence[WireMessage]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: str | Sequence[str] | None = None
    seed: int | None = None
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: str | Mapping[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: Mapping[str, Any] | None = None
    reasoning_effort: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: Not a body field: the most images one message may carry (None: no limit), checked here.
    max_images_per_message: int | None = MAX_IMAGES_PER_MESSAGE
    #: A stable key for one conversation, so its turns reach the same prompt cache: sent as the
    #: ``x-grok-conv-id`` header (chat completions) or ``prompt_cache_key`` (responses).
    conversation_id: str | None = None
    #: Responses only: keep the response on xAI's side (None: False when the request holds an
    #: image, as xAI advises, else xAI's default, True).
    store: bool | None = None
    #: Responses only: continue the stored response with this id (``messages`` are the new ones).
    previous_response_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise RequestValidationError("model must be a non-empty str")
        if isinstance(self.messages, (str, bytes, Mapping)) or not isinstance(
            self.messages, Sequence
        ):
            raise RequestValidationError("messages must be a sequence of message dicts")
        if not self.messages:
            raise RequestValidationError("messages must not be empty")
        object.__setattr__(self, "messages", tuple(self.messages))
        for i, message in enumerate(self.messages):
            _check_message(message, i)
        _check_number("temperature", self.temperature, 0.0, 2.0)
        _check_number("top_p", self.top_p, 0.0, 1.0)
        if self.max_tokens is not None and (
            isinstance(self.max_tokens, bool)
            or not isinstance(self.max_tokens, int)
            or self.max_tokens < 1
        ):
            raise RequestValidationError(
                f"max_tokens must be a positive int, got {self.max_tokens!r}"
            )
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise RequestValidationError(f"seed must be an int, got {self.seed!r}")
        self._check_stop()
        self._check_tools()
        if self.parallel_tool_calls is not None and not isinstance(self.parallel_tool_calls, bool):
            raise RequestValidationError("parallel_tool_calls must be a bool")
        self._check_response_format()
        if self.reasoning_effort is not None and self.reasoning_effort not in REASONING_EFFORTS:
            raise RequestValidationError(
                f"reasoning_effort must be one of {', '.join(REASONING_EFFORTS)}, "
                f"got {self.reasoning_effort!r}"
            )
        if not isinstance(self.extra, Mapping):
            raise RequestValidationError("extra must be a dict of body fields")
        owned = sorted(set(self.extra) & _RESERVED)
        if owned:
            raise RequestValidationError(f"extra may not set {', '.join(owned)}: the endpoint does")
        fields = sorted((_PARAM_NAMES | set(REQUEST_SETTINGS)).intersection(self.extra))
        if fields:
            raise RequestValidationError(
                f"extra may not set {', '.join(fields)}: use the ChatRequest fields"
            )
        object.__setattr__(self, "extra", dict(self.extra))
        self._check_images_per_message()
        self._check_model_takes_request()
        self._check_conversation()

    def _check_conversation(self) -> None:
        for name in ("conversation_id", "previous_response_id"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise RequestValidationError(f"{name} must be a non-empty str, got {value!r}")
        if self.store is not None and not isinstance(self.store, bool):
            raise RequestValidationError(f"store must be a bool, got {self.store!r}")

    def _check_images_per_message(self) -> None:
        limit = self.max_images_per_message
        if limit is None:
            return
        for i, message in enumerate(self.messages):
            content = message.get("content")
            if not isinstance(content, list):
                continue
            count = sum(1 for part in content if part.get("type") == "image_url")
            if count > limit:
                raise TooManyImagesError(
                    f"messages[{i}] carries {count} images; at most {limit} a message "
                    f"(max_images_per_message={limit}; xAI rejects more, per its stricter "
                    "source): split the images over several messages or raise the limit"
                )

    def _check_model_takes_request(self) -> None:
        """Refuse what a known model answers 400 to (images, reasoning-model parameters) here.

        Unknown model names are not checked: the catalogue never blocks a model it does not know.
        """
        facts = model_facts(self.model, self.reasoning_effort)
        if not facts.known:
            return
        if not facts.takes_images and self.images():
            raise RequestValidationError(
                f"model {self.model!r} does not take images (xAI rejects them); "
                f"use an image model such as {DEFAULT_MODEL!r}"
            )
        params = self.params()
        for name in facts.rejected_params:
            if params.get(name) is not None:
                raise RequestValidationError(
                    f"model {self.model!r} does not take the parameter {name!r} "
                    f"(xAI answers 400); drop it or use a model that takes it"
                )

    def _check_stop(self) -> None:
        stop = self.stop
        if stop is None or isinstance(stop, str):
            return
        if not isinstance(stop, Sequence) or not all(isinstance(s, str) for s in stop):
            raise RequestValidationError("stop must be a str or a list of str")
        object.__setattr__(self, "stop", tuple(stop))

    def _check_tools(self) -> None:
        if self.tools is not None:
            if isinstance(self.tools, Mapping) or not isinstance(self.tools, Sequence):
                raise RequestValidationError("tools must be a list of tool dicts")
            if len(self.tools) > MAX_TOOLS:
                raise RequestValidationError(
                    f"at most {MAX_TOOLS} tools are allowed, got {len(self.tools)}"
                )
            for i, tool in enumerate(self.tools):
                function = tool.get("function") if isinstance(tool, Mapping) else None
                if (
                    not isinstance(tool, Mapping)
                    or tool.get("type") != "function"
                    or not isinstance(function, Mapping)
                    or not isinstance(function.get("name"), str)
                ):
                    raise RequestValidationError(
                        f"tools[{i}] must be {{'type': 'function', 'function': {{'name': ...}}}}"
                        " (see function_tool)"
                    )
            object.__setattr__(self, "tools", tuple(self.tools))
        choice = self.tool_choice
        if choice is None:
            return
        if isinstance(choice, str):
            if choice not in ("none", "auto", "required"):
                raise RequestValidationError(
                    f"tool_choice must be 'none', 'auto', 'required' or a function, got {choice!r}"
                )
            return
        function = choice.get("function") if isinstance(choice, Mapping) else None
        if (
            not isinstance(choice, Mapping)
            or choice.get("type") != "function"
            or not isinstance(function, Mapping)
            or not isinstance(function.get("name"), str)
        ):
            raise RequestValidationError(
                "tool_choice must be 'none', 'auto', 'required' or "
                "{'type': 'function', 'function': {'name': ...}}"
            )

    def _check_response_format(self) -> None:
        fmt = self.response_format
        if fmt is None:
            return
        kind = fmt.get("type") if isinstance(fmt, Mapping) else None
        if kind not in ("text", "json_object", "json_schema"):
            raise RequestValidationError(
                "response_format type must be 'text', 'json_object' or 'json_schema'"
            )
        if kind == "json_schema":
            spec = fmt.get("json_schema")
            if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
                raise RequestValidationError(
                    "response_format json_schema needs {'name': ..., 'schema': {...}} "
                    "(see json_schema_response_format)"
                )

    def __repr__(self) -> str:
        # Never the messages themselves: one inline image is megabytes of base64.
        params = ", ".join(f"{k}={v!r}" for k, v in self.params().items() if k != "tools")
        tools = f", tools={len(self.tools)}" if self.tools else ""
        return (
            f"ChatRequest(model={self.model!r}, messages={len(self.messages)}, "
            f"images={len(self.images())}{tools}{', ' + params if params else ''})"
        )

    @classmethod
    def build(
        cls,
        model: str,
        messages: Sequence[WireMessage],
        options: Mapping[str, Any] | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        max_images_per_message: int | None = MAX_IMAGES_PER_MESSAGE,
    ) -> ChatRequest:
        """A request from loose options, as frameworks pass them (defaults merged with per-call).

        In ``options``, ``model`` and the :data:`CHAT_REQUEST_PARAMS` names set those fields and
        every other key becomes an extra body field (after ``extra``, a framework's
        ``model_kwargs``). Validated like the constructor: RequestValidationError if bad.
        """
        fields: dict[str, Any] = {}
        body_extra: dict[str, Any] = dict(extra) if extra is not None else {}
        for key, value in (options or {}).items():
            if key == "model":
                model = value
            elif key in _PARAM_NAMES or key in REQUEST_SETTINGS:
                fields[key] = value
            else:
                body_extra[key] = value
        return cls(
            model,
            messages,
            extra=body_extra,
            max_images_per_message=max_images_per_message,
            **fields,
        )

    def _set_params(self) -> dict[str, Any]:
        """The parameters that are set, in :data:`CHAT_REQUEST_PARAMS` order (tuples as lists)."""
        out: dict[str, Any] = {}
        for name in CHAT_REQUEST_PARAMS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out

    def params(self) -> dict[str, Any]:
        """The parameters that are set, in a fixed order, then ``extra`` (as body fields)."""
        out = self._set_params()
        out.update(self.extra)
        return out

    def to_body(self, **endpoint_fields: Any) -> dict[str, Any]:
        """The request body: model, messages, the set parameters, ``endpoint_fields``, ``extra``.

        The one body builder: an endpoint passes the fields it owns (``stream``,
        ``stream_options``), which ``extra`` can never set.
        """
        body: dict[str, Any] = {"model": self.model, "messages": list(self.messages)}
        body.update(self._set_params())
        body.update(endpoint_fields)
        body.update(self.extra)
        return body

    def images(self) -> list[ImageURL]:
        """Every ``image_url`` object in the messages, in order (for counting and estimates)."""
        found: list[ImageURL] = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, list):
                found.extend(
                    part["image_url"]  # type: ignore[typeddict-item]
                    for part in content
                    if part.get("type") == "image_url"
                )
        return found


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RequestValidationError(
            f"{name} must be a number from {low:g} to {high:g}, got {value!r}"
        )


def _check_message(message: object, i: int) -> None:
    """A message must have a known role and the fields that role needs."""
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
            _part(part, f"{where} part {j}")
