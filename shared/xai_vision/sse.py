"""Incremental ``text/event-stream`` parsing: bytes in, events out.

Follows the WHATWG rules that matter for xAI (``data:`` lines joined by newlines, comments
ignored, ``\\n`` / ``\\r\\n`` / ``\\r`` line ends, an event ends at a blank line) and reports a
frame cut off at the end of the stream as incomplete instead of silently dropping it.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

__all__ = ["DONE", "SSEDecoder", "SSEEvent", "aiter_sse", "iter_sse"]

#: The sentinel data payload that ends an OpenAI-compatible stream.
DONE = "[DONE]"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event. ``complete`` is False for a frame cut off by the end of the stream."""

    data: str
    event: str | None = None
    id: str | None = None
    complete: bool = True


class SSEDecoder:
    """Feed it byte chunks as they arrive; it returns the events each chunk completes."""

    __slots__ = ("_buffer", "_data", "_event", "_id")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None

    @property
    def pending(self) -> bool:
        """True while part of an event has been received but not yet dispatched."""
        return bool(self._buffer) or bool(self._data) or self._event is not None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Consume ``chunk`` and return every event it completed, in order."""
        buffer = self._buffer + chunk if self._buffer else chunk
        # A trailing "\r" may be the first half of "\r\n": keep it until the next chunk.
        work_end = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)
        cut = max(buffer.rfind(b"\n", 0, work_end), buffer.rfind(b"\r", 0, work_end))
        if cut < 0:
            self._buffer = buffer
            return []
        self._buffer = buffer[cut + 1 :]
        events: list[SSEEvent] = []
        data = self._data
        for line in buffer[: cut + 1].splitlines():
            if line.startswith(b"data: "):  # the common case, handled inline
                data.append(line[6:].decode("utf-8", errors="replace"))
            elif line or data:
                event = self._line(line)
                if event is not None:
                    events.append(event)
                    data = self._data
        return events

    def close(self) -> list[SSEEvent]:
        """End of stream: returns a last event cut off without its blank line, marked incomplete."""
        events: list[SSEEvent] = []
        buffer, self._buffer = self._buffer, b""
        # The buffer may still end with a held-back "\r", which did end its line.
        for line in buffer.splitlines():
            event = self._line(line)
            if event is not None:
                events.append(event)
        if self._data:
            events.append(SSEEvent("\n".join(self._data), self._event, self._id, complete=False))
            self._data = []
        self._event = None
        return events

    def _line(self, line: bytes) -> SSEEvent | None:
        if not line:
            if not self._data:
                self._event = None
                return None
            event = SSEEvent(
                self._data[0] if len(self._data) == 1 else "\n".join(self._data),
                self._event,
                self._id,
            )
            self._data = []
            self._event = None
            return event
        text = line.decode("utf-8", errors="replace")
        name, sep, value = text.partition(":")
        if not name:  # a ":" comment line
            return None
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        return None


def iter_sse(chunks: Iterable[bytes]) -> Iterator[SSEEvent]:
    """Events from an iterable of byte chunks, ending with any incomplete trailing frame."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    """Async twin of :func:`iter_sse`."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.close():
        yield event
