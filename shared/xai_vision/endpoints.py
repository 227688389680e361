"""Endpoints: how a :class:`~xai_vision.messages.ChatRequest` becomes a request body (JSON
bytes in pieces), and how the answer (JSON or stream events) becomes :mod:`xai_vision.models`
types.

The client only moves bytes; everything specific to one xAI API lives behind the
:class:`Endpoint` protocol, so a Responses-API endpoint can be added without touching the
client or the adapters.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from xai_vision import _json
from xai_vision.errors import RequestValidationError, ResponseParseError, StreamError
from xai_vision.messages import CHAT_REQUEST_PARAMS
from xai_vision.models import ChatCompletion, ChatCompletionChunk, ToolCall, ToolCallDelta, Usage
from xai_vision.sse import DONE, SSEEvent

if TYPE_CHECKING:
    from xai_vision.messages import ChatRequest

__all__ = [
    "STREAM_DONE",
    "ChatCompletionsEndpoint",
    "Endpoint",
    "RequestBody",
    "StreamDone",
    "parse_usage",
]


class StreamDone:
    """Type of :data:`STREAM_DONE`, the marker an endpoint returns for the end-of-stream event."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "STREAM_DONE"


STREAM_DONE: Final = StreamDone()

#: Characters of a long string JSON-encoded at a time while a body is sent.
SLICE: Final = 256 * 1024
#: Image URLs longer than SLICE and adding up to at most this many characters are encoded
#: with the rest of the body in one piece (one orjson pass is faster, the copy small).
ONE_PIECE_MAX: Final = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True, eq=False)
class RequestBody:
    """A JSON request body as pieces, sent with a Content-Length and never joined.

    ``parts`` are JSON text (bytes) and long strings (str, e.g. an image's data URI) whose JSON
    encoding is made a slice at a time while sending, so no copy of a big image is ever whole.
    The pieces can be walked any number of times: a retry sends the same bytes.
    """

    parts: tuple[bytes | str, ...]
    #: Bytes in all: the Content-Length.
    length: int

    @classmethod
    def of(cls, data: bytes) -> RequestBody:
        """A body of one piece."""
        return cls((data,), len(data))

    def iter_bytes(self) -> Iterator[bytes]:
        """The body's bytes, piece by piece (a fresh iterator each call)."""
        for part in self.parts:
            if isinstance(part, bytes):
                yield part
            else:  # JSON escaping maps each character alone, so slices encode independently
                for at in range(0, len(part), SLICE):
                    yield _json.dumps(part[at : at + SLICE])[1:-1]

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """:meth:`iter_bytes` for an async HTTP client (httpx.AsyncClient takes async bodies)."""
        for piece in self.iter_bytes():
            yield piece

    @property
    def whole(self) -> bytes | None:
        """The body's bytes when it is one piece of JSON text, else None."""
        first = self.parts[0]
        return first if len(self.parts) == 1 and isinstance(first, bytes) else None

    def content(self) -> bytes | Iterator[bytes]:
        """What a sync httpx client sends: a one-piece body as its bytes (so event hooks can
        read ``request.content``), else :meth:`iter_bytes`."""
        whole = self.whole
        return self.iter_bytes() if whole is None else whole

    def acontent(self) -> bytes | AsyncIterator[bytes]:
        """:meth:`content` for an async httpx client."""
        whole = self.whole
        return self.aiter_bytes() if whole is None else whole

    def __repr__(self) -> str:
        return f"RequestBody(parts={len(self.parts)}, length={self.length})"


def _json_length(text: str) -> int:
    """Bytes in the JSON encoding of ``text`` without its quotes, counted a slice at a time."""
    return sum(len(_json.dumps(text[at : at + SLICE])) - 2 for at in range(0, len(text), SLICE))


def _long_image_urls(messages: list[Any]) -> list[tuple[int, int, str]]:
    """(message index, part index, URL) of each image URL over SLICE characters, in order."""
    found: list[tuple[int, int, str]] = []
    for i, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            if isinstance(part, Mapping) and part.get("type") == "image_url":
                image = part.get("image_url")
                url = image.get("url") if isinstance(image, Mapping) else None
                if isinstance(url, str) and len(url) > SLICE:
                    found.append((i, j, url))
    return found


def _marker() -> str:
    """A placeholder no request text can hold by chance (128 random bits)."""
    return secrets.token_hex(16)


def _json_body(body: dict[str, Any]) -> RequestBody:
    """``body`` (``messages`` a list, as ChatRequest.to_body gives) as JSON in pieces.

    The pieces join to exactly ``_json.dumps(body)``. Long image URLs (over SLICE characters,
    together over ONE_PIECE_MAX) stay apart: the rest is encoded with a placeholder in their
    place, then split there. Raises TypeError / ValueError for what cannot be encoded.
    """
    messages = body["messages"]
    found = _long_image_urls(messages)
    if sum(len(url) for _, _, url in found) <= ONE_PIECE_MAX:
        return RequestBody.of(_json.dumps(body))
    marker = _marker()
    swapped = list(messages)
    copied: dict[int, list[Any]] = {}
    for i, j, _ in found:  # copy only what leads to a long URL; the caller's dicts stay as they are
        content = copied.get(i)
        if content is None:
            content = copied[i] = list(messages[i]["content"])
            swapped[i] = {**messages[i], "content": content}
        part = content[j]
        content[j] = {**part, "image_url": {**part["image_url"], "url": marker}}
    text = _json.dumps({**body, "messages": swapped}).split(marker.encode("ascii"))
    if len(text) != len(found) + 1:  # the marker also occurs in the request's own text
        return RequestBody.of(_json.dumps(body))
    parts: list[bytes | str] = [text[0]]
    length = len(text[0])
    for (_, _, url), after in zip(found, text[1:], strict=True):
        parts += (url, after)
        length += _json_length(url) + len(after)
    return RequestBody(tuple(parts), length)


@runtime_checkable
class Endpoint(Protocol):
    """One xAI API: request body encoding and response / stream-event decoding."""

    #: Path under the base URL, e.g. ``"/chat/completions"``.
    path: str

    def build_body(
        self, request: ChatRequest, *, stream: bool = False, include_usage: bool = True
    ) -> RequestBody:
        """The request body as JSON in pieces; raises RequestValidationError for unusable input."""
        ...

    def parse_response(self, data: Any) -> ChatCompletion:
        """A decoded JSON response body as a ChatCompletion; ResponseParseError if malformed."""
        ...

    def parse_event(self, event: SSEEvent) -> ChatCompletionChunk | StreamDone | None:
        """One stream event: a chunk, STREAM_DONE at the end marker, or None to skip it.

        Raises StreamError for an error object, ResponseParseError for malformed data.
        """
        ...

    def describe(self, request: ChatRequest) -> str:
        """A one-line summary for debug logs: no key, no image payloads, no message text."""
        ...


# --------------------------------------------------------------------------- parsing helpers


_EMPTY: Final[dict[str, Any]] = {}


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def _str_or_none(value: Any) -> str | None:
    return value if type(value) is str else None


def _arguments(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    # Some OpenAI-compatible servers send arguments as an object; keep the JSON-text contract.
    return _json.dumps(value).decode("utf-8")


def parse_usage(raw: Mapping[str, Any]) -> Usage:
    """xAI's usage object as :class:`Usage` (total = prompt + completion + reasoning).

    A missing ``total_tokens`` is computed by xAI's rule; ``raw`` keeps the wire object.
    """
    prompt_details = raw.get("prompt_tokens_details")
    if not isinstance(prompt_details, dict):
        prompt_details = {}
    completion_details = raw.get("completion_tokens_details")
    if not isinstance(completion_details, dict):
        completion_details = {}
    prompt = _int(raw.get("prompt_tokens"))
    completion = _int(raw.get("completion_tokens"))
    reasoning = _int(completion_details.get("reasoning_tokens"))
    total = raw.get("total_tokens")
    text_tokens = prompt_details.get("text_tokens")
    cost = raw.get("cost_in_usd_ticks")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total if isinstance(total, int) else prompt + completion + reasoning,
        text_tokens=text_tokens if isinstance(text_tokens, int) else None,
        image_tokens=_int(prompt_details.get("image_tokens")),
        cached_tokens=_int(prompt_details.get("cached_tokens")),
        reasoning_tokens=reasoning,
        cost_in_usd_ticks=cost if isinstance(cost, int) and not isinstance(cost, bool) else None,
        raw=dict(raw),
    )


def _tool_call(raw: Any, position: int) -> ToolCall:
    if not isinstance(raw, Mapping):
        raise ResponseParseError(f"tool_calls[{position}] is not an object")
    function = raw.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise ResponseParseError(f"tool_calls[{position}] lacks function.name")
    call_id = raw.get("id")
    return ToolCall(
        id=call_id if isinstance(call_id, str) else f"call_{position}",
        name=function["name"],
        arguments=_arguments(function.get("arguments")) or "",
        type=raw.get("type") or "function",
    )


def _tool_call_delta(raw: Any, position: int) -> ToolCallDelta:
    if not isinstance(raw, Mapping):
        raise ResponseParseError(f"delta.tool_calls[{position}] is not an object")
    function = raw.get("function")
    if not isinstance(function, Mapping):
        function = {}
    index = raw.get("index")
    return ToolCallDelta(
        index=index if isinstance(index, int) else position,
        id=_str_or_none(raw.get("id")),
        name=_str_or_none(function.get("name")),
        arguments=_arguments(function.get("arguments")),
        type=_str_or_none(raw.get("type")),
    )


def _first_choice(choices: Any) -> Mapping[str, Any] | None:
    if not isinstance(choices, list):
        raise ResponseParseError("'choices' is missing or not a list")
    if not choices:
        return None
    first = choices[0]
    if isinstance(first, dict) and first.get("index", 0) == 0:
        return first
    for choice in choices:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            return choice
    raise ResponseParseError("'choices' has no object with index 0")


def _id_and_model(data: Any, what: str) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise ResponseParseError(f"{what} is not a JSON object", body=data)
    response_id = data.get("id")
    model = data.get("model")
    if not isinstance(response_id, str) or not isinstance(model, str):
        raise ResponseParseError(f"{what} lacks a string 'id' or 'model'", body=data)
    return response_id, model


def _stream_error(data: Mapping[str, Any]) -> StreamError:
    error = data.get("error")
    code = data.get("code")
    status = data.get("status_code")
    if isinstance(error, Mapping):  # OpenAI style {"error": {"message", "code", ...}}
        message = str(error.get("message") or error)
        code = error.get("code") or error.get("type") or code
    else:
        message = str(error)
    return StreamError(
        f"error inside the stream: {message}",
        status_code=status if isinstance(status, int) else None,
        code=str(code) if code is not None else None,
        body=dict(data),
    )


class ChatCompletionsEndpoint:
    """``POST /chat/completions``: OpenAI-compatible chat completions with ``image_url`` parts."""

    path: str = "/chat/completions"

    def build_body(
        self, request: ChatRequest, *, stream: bool = False, include_usage: bool = True
    ) -> RequestBody:
        """The JSON body (:meth:`ChatRequest.to_body`) with the stream flags (:func:`_json_body`).

        The request validated itself when built, so only encoding can fail here.
        """
        if not stream:
            body = request.to_body()
        elif include_usage:
            body = request.to_body(stream=True, stream_options={"include_usage": True})
        else:
            body = request.to_body(stream=True)
        try:
            return _json_body(body)
        except (TypeError, ValueError) as exc:
            raise RequestValidationError(f"the request cannot be encoded as JSON: {exc}") from exc

    def parse_response(self, data: Any) -> ChatCompletion:
        """A ``chat.completion`` object as a ChatCompletion (choice 0)."""
        response_id, model = _id_and_model(data, "the response")
        choice = _first_choice(data.get("choices"))
        message: Mapping[str, Any] = {}
        finish_reason = None
        if choice is not None:
            raw_message = choice.get("message")
            if not isinstance(raw_message, Mapping):
                raise ResponseParseError("choices[0] lacks a 'message' object", body=data)
            message = raw_message
            finish_reason = _str_or_none(choice.get("finish_reason"))
        raw_calls = message.get("tool_calls")
        tool_calls = (
            [_tool_call(call, i) for i, call in enumerate(raw_calls)]
            if isinstance(raw_calls, list)
            else []
        )
        usage = data.get("usage")
        created = data.get("created")
        return ChatCompletion(
            id=response_id,
            model=model,
            created=created if isinstance(created, int) else None,
            content=_str_or_none(message.get("content")),
            reasoning_content=_str_or_none(message.get("reasoning_content")),
            refusal=_str_or_none(message.get("refusal")),
            tool_calls=tool_calls,
            finish_reason=finish_reason,
            system_fingerprint=_str_or_none(data.get("system_fingerprint")),
            usage=parse_usage(usage) if isinstance(usage, Mapping) else None,
            raw=data,
        )

    def parse_chunk(self, data: Any) -> ChatCompletionChunk:
        """A ``chat.completion.chunk`` object as a ChatCompletionChunk (choice 0)."""
        if isinstance(data, dict) and "error" in data:
            raise _stream_error(data)
        response_id, model = _id_and_model(data, "a stream chunk")
        choice = _first_choice(data.get("choices"))
        delta: dict[str, Any] = _EMPTY
        finish_reason = None
        if choice is not None:
            raw_delta = choice.get("delta")
            if isinstance(raw_delta, dict):
                delta = raw_delta
            finish_reason = _str_or_none(choice.get("finish_reason"))
        # Most chunks carry one or two delta keys (or none): skip the lookups when empty.
        role = content = reasoning = None
        tool_calls: list[ToolCallDelta] = []
        if delta:
            role = _str_or_none(delta.get("role"))
            content = _str_or_none(delta.get("content"))
            reasoning = _str_or_none(delta.get("reasoning_content"))
            raw_calls = delta.get("tool_calls")
            if isinstance(raw_calls, list):
                tool_calls = [_tool_call_delta(call, i) for i, call in enumerate(raw_calls)]
        usage = data.get("usage")
        created = data.get("created")
        return ChatCompletionChunk(
            id=response_id,
            model=model,
            created=created if type(created) is int else None,
            role=role,
            content=content,
            reasoning_content=reasoning,
            tool_calls=tool_calls,
            finish_reason=finish_reason,
            system_fingerprint=_str_or_none(data.get("system_fingerprint")),
            usage=parse_usage(usage) if isinstance(usage, dict) else None,
            raw=data,
        )

    def parse_event(self, event: SSEEvent) -> ChatCompletionChunk | StreamDone | None:
        """``[DONE]`` ends the stream; other frames are JSON chunks; empty frames are skipped."""
        data = event.data
        if data == DONE:
            return STREAM_DONE
        if not data or data.isspace():
            return None
        try:
            decoded = _json.loads(data)
        except _json.JSONDecodeError as exc:
            raise ResponseParseError(
                f"a stream frame is not valid JSON ({exc}): {data[:200]!r}"
            ) from exc
        return self.parse_chunk(decoded)

    def describe(self, request: ChatRequest) -> str:
        """Model, message / image counts and the set options; never text or image payloads."""
        images = 0
        for message in request.messages:
            content = message.get("content") if isinstance(message, Mapping) else None
            if isinstance(content, list):
                images += sum(
                    1
                    for part in content
                    if isinstance(part, Mapping) and part.get("type") == "image_url"
                )
        options = [name for name in CHAT_REQUEST_PARAMS if getattr(request, name) is not None]
        extra = sorted(request.extra) if request.extra else []
        return (
            f"model={request.model} messages={len(request.messages)} images={images}"
            f" options={options} extra={extra}"
        )

    def __repr__(self) -> str:
        return "ChatCompletionsEndpoint()"
