"""The request: :class:`ChatRequest`, validated on construction, and :data:`CHAT_REQUEST_PARAMS`.

Endpoint-neutral: it holds the model, the wire messages and the parameters; each endpoint (wire
form) serialises it. Nothing here knows about HTTP or a particular endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from xai_vision._base64 import b64decode_strict
from xai_vision.catalog import DEFAULT_MODEL, model_facts
from xai_vision.errors import RequestValidationError, TooManyImagesError
from xai_vision.images import ImageOptions
from xai_vision.messages.parts import CheckedPDFBase64, FileRef, ImageURL
from xai_vision.messages.tools import check_response_format, check_tool_choice, check_tools
from xai_vision.messages.wire import WireMessage, check_message

#: The values xAI documents (its spec: "low" or "high").
REASONING_EFFORTS: tuple[str, ...] = ("low", "high")
_RESERVED = frozenset({"model", "messages", "stream", "stream_options"})
#: :class:`ChatRequest` fields that are not chat-completions body parameters but that
#: :meth:`ChatRequest.build` takes from ``options`` too (each endpoint sends them its way).
REQUEST_SETTINGS: tuple[str, ...] = ("conversation_id", "store", "previous_response_id")
#: Uploads a checked PDF and answers its ``file_id`` (the client's ``files.file_id_for``).
Uploader = Callable[[bytes, str], str]
AsyncUploader = Callable[[bytes, str], Awaitable[str]]
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
            check_message(message, i)
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
        if self.response_format is not None:
            check_response_format(self.response_format)
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
            object.__setattr__(self, "tools", check_tools(self.tools))
        if self.tool_choice is not None:
            check_tool_choice(self.tool_choice)

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
        return cast("list[ImageURL]", self._part_objects("image_url"))

    def documents(self) -> list[FileRef]:
        """Every ``file`` object in the messages, in order."""
        return cast("list[FileRef]", self._part_objects("file"))

    def _part_objects(self, kind: str) -> list[Any]:
        """The object of every ``kind`` part in the messages (``part[kind]``), in order."""
        return [
            part[kind]  # type: ignore[typeddict-item]
            for message in self.messages
            if isinstance(content := message.get("content"), list)
            for part in content
            if part.get("type") == kind
        ]

    def has_inline_documents(self) -> bool:
        """Whether a document travels as inline bytes (chat completions must upload it first)."""
        return any("file_data" in ref for ref in self.documents())

    def with_uploaded_documents(self, upload: Uploader) -> ChatRequest:
        """This request with each inline document replaced by the ``file_id`` ``upload`` gives.

        The resolve step chat completions needs (its ``file`` part takes only ``file_id`` or
        ``url``); the same bytes are uploaded once per request, and the uploader may cache.
        """
        ids: dict[str, str] = {}
        for ref in self.documents():
            data = ref.get("file_data")
            if data is not None and data not in ids:
                ids[data] = upload(_pdf_bytes(data), ref.get("filename", "document.pdf"))
        return self._with_file_ids(ids)

    async def awith_uploaded_documents(self, upload: AsyncUploader) -> ChatRequest:
        """:meth:`with_uploaded_documents` with an async uploader."""
        ids: dict[str, str] = {}
        for ref in self.documents():
            data = ref.get("file_data")
            if data is not None and data not in ids:
                ids[data] = await upload(_pdf_bytes(data), ref.get("filename", "document.pdf"))
        return self._with_file_ids(ids)

    def _with_file_ids(self, ids: Mapping[str, str]) -> ChatRequest:
        if not ids:
            return self
        messages: list[Any] = []
        for message in self.messages:
            content: Any = message.get("content")
            if isinstance(content, list) and any(p.get("type") == "file" for p in content):
                parts = [_uploaded_file(part, ids) for part in content]
                messages.append({**message, "content": parts})
            else:
                messages.append(message)
        return replace(self, messages=tuple(messages))


def _pdf_bytes(file_data: str) -> bytes:
    """The PDF an inline ``file_data`` holds: the checked bytes it carries, else decoded."""
    if isinstance(file_data, CheckedPDFBase64):
        return file_data.pdf
    return b64decode_strict(file_data)


def _uploaded_file(part: Mapping[str, Any], ids: Mapping[str, str]) -> Any:
    """A ``file`` part with inline data as the uploaded ``file_id``; any other part as it is."""
    if part.get("type") != "file" or "file_data" not in part["file"]:
        return part
    return {"type": "file", "file": {"file_id": ids[part["file"]["file_data"]]}}


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RequestValidationError(
            f"{name} must be a number from {low:g} to {high:g}, got {value!r}"
        )
