"""What every wire form shares: the request body in pieces (:class:`RequestBody`), the
:class:`Endpoint` protocol the client talks to, the end-of-stream marker and small parsing helpers.

An endpoint (:mod:`xai_vision.chat_completions`, :mod:`xai_vision.responses`) turns a
:class:`~xai_vision.messages.ChatRequest` into a body and the answer into
:mod:`xai_vision.models` types; the client only moves bytes.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from xai_vision import _json
from xai_vision.errors import ResponseParseError, StreamError
from xai_vision.models import ChatCompletion, ChatCompletionChunk
from xai_vision.sse import DONE, SSEEvent

if TYPE_CHECKING:
    from xai_vision.messages import ChatRequest

__all__ = [
    "STREAM_DONE",
    "Endpoint",
    "RequestBody",
    "StreamDone",
    "StreamParser",
    "json_body",
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


#: Where a wire form keeps an image's URL in a content part: read it (None for other parts),
#: and copy the part with another URL.
ImageURLOf = Callable[[Mapping[str, Any]], "str | None"]
WithImageURL = Callable[[Mapping[str, Any], str], dict[str, Any]]


def _long_image_urls(items: list[Any], url_of: ImageURLOf) -> list[tuple[int, int, str]]:
    """(item index, part index, URL) of each image URL over SLICE characters, in order."""
    found: list[tuple[int, int, str]] = []
    for i, item in enumerate(items):
        content = item.get("content") if isinstance(item, Mapping) else None
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            if isinstance(part, Mapping):
                url = url_of(part)
                if url is not None and len(url) > SLICE:
                    found.append((i, j, url))
    return found


def _marker() -> str:
    """A placeholder no request text can hold by chance (128 random bits)."""
    return secrets.token_hex(16)


def json_body(
    body: dict[str, Any], items_key: str, url_of: ImageURLOf, with_url: WithImageURL
) -> RequestBody:
    """``body`` as JSON in pieces; ``body[items_key]`` is the list of messages / input items
    whose ``content`` parts may hold images (found by ``url_of``, replaced by ``with_url``).

    The pieces join to exactly ``_json.dumps(body)``. Long image URLs (over SLICE characters,
    together over ONE_PIECE_MAX) stay apart: the rest is encoded with a placeholder in their
    place, then split there. Raises TypeError / ValueError for what cannot be encoded.
    """
    items = body[items_key]
    found = _long_image_urls(items, url_of) if isinstance(items, list) else []
    if sum(len(url) for _, _, url in found) <= ONE_PIECE_MAX:
        return RequestBody.of(_json.dumps(body))
    marker = _marker()
    swapped = list(items)
    copied: dict[int, list[Any]] = {}
    for i, j, _ in found:  # copy only what leads to a long URL; the caller's dicts stay as they are
        content = copied.get(i)
        if content is None:
            content = copied[i] = list(items[i]["content"])
            swapped[i] = {**items[i], "content": content}
        content[j] = with_url(content[j], marker)
    text = _json.dumps({**body, items_key: swapped}).split(marker.encode("ascii"))
    if len(text) != len(found) + 1:  # the marker also occurs in the request's own text
        return RequestBody.of(_json.dumps(body))
    parts: list[bytes | str] = [text[0]]
    length = len(text[0])
    for (_, _, url), after in zip(found, text[1:], strict=True):
        parts += (url, after)
        length += _json_length(url) + len(after)
    return RequestBody(tuple(parts), length)


@runtime_checkable
class StreamParser(Protocol):
    """Turns one stream's events into chunks; one per stream when the wire form has state."""

    def parse_event(self, event: SSEEvent) -> ChatCompletionChunk | StreamDone | None:
        """One stream event: a chunk, STREAM_DONE at the end marker, or None to skip it.

        Raises StreamError for an error object, ResponseParseError for malformed data.
        """
        ...


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

    def headers(self, request: ChatRequest) -> Mapping[str, str]:
        """Request headers this wire form adds for ``request`` (e.g. a cache-routing key)."""
        ...

    def parse_response(self, data: Any, request: ChatRequest | None = None) -> ChatCompletion:
        """A decoded JSON response body as a ChatCompletion; ResponseParseError if malformed."""
        ...

    def stream_parser(self, request: ChatRequest | None = None) -> StreamParser:
        """The parser for one stream of answers to ``request``."""
        ...

    def describe(self, request: ChatRequest) -> str:
        """A one-line summary for debug logs: no key, no image payloads, no message text."""
        ...


# --------------------------------------------------------------------------- parsing helpers


def as_int(value: Any) -> int:
    """``value`` if it is an int (not a bool), else 0."""
    return value if type(value) is int else 0


def object_or_empty(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object (a Mapping), else an empty one."""
    return value if isinstance(value, Mapping) else {}


def str_or_none(value: Any) -> str | None:
    """``value`` if it is a str, else None."""
    return value if type(value) is str else None


def arguments_text(value: Any) -> str | None:
    """Tool-call arguments as JSON text (some servers send an object)."""
    if value is None or isinstance(value, str):
        return value
    return _json.dumps(value).decode("utf-8")


def id_and_model(data: Any, what: str) -> tuple[str, str]:
    """The ``id`` and ``model`` every answer carries; ResponseParseError if missing."""
    if not isinstance(data, dict):
        raise ResponseParseError(f"{what} is not a JSON object", body=data)
    response_id = data.get("id")
    model = data.get("model")
    if not isinstance(response_id, str) or not isinstance(model, str):
        raise ResponseParseError(f"{what} lacks a string 'id' or 'model'", body=data)
    return response_id, model


def stream_error(data: Mapping[str, Any], error: Any = None) -> StreamError:
    """A StreamError for an error object sent inside a stream (xAI's flat form or OpenAI's)."""
    error = data.get("error") if error is None else error
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


#: An endpoint's headers when it adds none.
NO_HEADERS: Final[Mapping[str, str]] = {}


def event_json(event: SSEEvent) -> Any:
    """An event's decoded JSON; STREAM_DONE at ``[DONE]``; None for an empty frame."""
    data = event.data
    if data == DONE:
        return STREAM_DONE
    if not data or data.isspace():
        return None
    return decode_event_json(data)


def decode_event_json(data: str) -> Any:
    """An event's JSON data; ResponseParseError naming the frame if it is not JSON."""
    try:
        return _json.loads(data)
    except _json.JSONDecodeError as exc:
        raise ResponseParseError(
            f"a stream frame is not valid JSON ({exc}): {data[:200]!r}"
        ) from exc


def describe_request(request: ChatRequest) -> str:
    """Model, message / image counts and the set options; never text or image payloads."""
    from xai_vision.messages import CHAT_REQUEST_PARAMS, REQUEST_SETTINGS

    images = 0
    for message in request.messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list):
            images += sum(
                1
                for part in content
                if isinstance(part, Mapping) and part.get("type") == "image_url"
            )
    names = CHAT_REQUEST_PARAMS + REQUEST_SETTINGS
    options = [name for name in names if getattr(request, name) is not None]
    extra = sorted(request.extra) if request.extra else []
    return (
        f"model={request.model} messages={len(request.messages)} images={images}"
        f" options={options} extra={extra}"
    )
