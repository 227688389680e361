"""HTTP/1.1 on asyncio streams: read one request, write its answer (JSON, SSE, or a fault).

No web framework: the emulator needs byte-level control of what it sends (a stream cut after
K frames, a body shorter than its Content-Length, a TCP reset), which frameworks hide. Keep-alive,
Content-Length or chunked request bodies, and chunked ``text/event-stream`` answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import socket
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from xai_vision import _json
from xai_vision.emulator.multipart import FormPart, parse_form
from xai_vision.emulator.response_store import owner_of
from xai_vision.emulator.validation import Rejection

__all__ = [
    "HEAD_LIMIT",
    "BadRequestError",
    "Exchange",
    "HTTPRequest",
    "read_request",
    "write_response",
]

#: Largest request head (request line and headers) read; larger is a 431.
HEAD_LIMIT = 64 * 1024


@dataclass
class HTTPRequest:
    """One request as read from the wire (header names lower-cased, repeats joined)."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        """Whether the client wants the connection kept open after the answer."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    def bearer_key(self) -> str | None:
        """The key of an ``Authorization: Bearer <key>`` header, or None when there is none."""
        scheme, _, key = self.headers.get("authorization", "").strip().partition(" ")
        key = key.strip()
        return key if scheme.lower() == "bearer" and key else None

    def owner(self) -> bytes:
        """Whose stored files, responses and batches this request sees: its key's digest
        (:func:`~xai_vision.emulator.response_store.owner_of`)."""
        return owner_of(self.bearer_key() or "")

    def query(self) -> dict[str, str]:
        """The query string's parameters (a repeated one: its last value)."""
        return dict(parse_qsl(urlsplit(self.target).query))

    @cached_property
    def form(self) -> list[FormPart]:
        """The parts of a ``multipart/form-data`` body, parsed once (for the request log and
        the handler); 415 for another type, 400 when malformed."""
        return parse_form(self.body, self.headers.get("content-type", ""))


class BadRequestError(Exception):
    """The bytes on the wire are not a valid HTTP/1.1 request: answer and close."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


async def read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_body_bytes: int
) -> HTTPRequest | None:
    """The next request on the connection; None when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadRequestError(400, "incomplete HTTP request head") from None
        return None
    except asyncio.LimitOverrunError:
        raise BadRequestError(431, "request head too large") from None
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequestError(400, f"malformed request line {lines[0][:80]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequestError(400, f"malformed header line {line[:80]!r}")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = await _read_body(reader, headers, max_body_bytes)
    return HTTPRequest(method, target, version, headers, body)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str], limit: int) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BadRequestError(400, "malformed chunk size") from None
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                raise BadRequestError(
                    413, "Failed to buffer the request body: length limit exceeded"
                )
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length_text = headers.get("content-length")
    if length_text is None:
        return b""
    try:
        length = int(length_text)
    except ValueError:
        raise BadRequestError(400, f"invalid Content-Length {length_text!r}") from None
    if length < 0:
        raise BadRequestError(400, f"invalid Content-Length {length_text!r}")
    if length > limit:
        raise BadRequestError(413, "Failed to buffer the request body: length limit exceeded")
    return await reader.readexactly(length) if length else b""


def _head(status: int, headers: Sequence[tuple[str, str]]) -> bytes:
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
    lines = [f"HTTP/1.1 {status} {phrase}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def write_response(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    keep_alive: bool = True,
) -> None:
    """Write one whole answer with its Content-Length."""
    fields = [("content-type", content_type), ("content-length", str(len(body)))]
    fields += list((headers or {}).items())
    if not keep_alive:
        fields.append(("connection", "close"))
    writer.write(_head(status, fields) + body)
    await writer.drain()


class Exchange:
    """One request and the answer written for it.

    Handlers answer through it; the server reads back what was sent (``status``, and
    ``usage`` when a handler sets it) for its request log. ``keep_alive`` turns False once
    the connection must close (a reset, a cut stream, a truncated body).
    """

    def __init__(
        self, request: HTTPRequest, writer: asyncio.StreamWriter, *, keep_alive: bool
    ) -> None:
        self.request = request
        self.keep_alive = keep_alive
        #: The status of the answer sent; None until one is sent (and after a reset instead).
        self.status: int | None = None
        #: The ``usage`` object of the answer, for the request log (handlers set it).
        self.usage: Mapping[str, Any] | None = None
        self._writer = writer

    async def send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Send a whole answer."""
        self.status = status
        await write_response(
            self._writer,
            status,
            body,
            content_type=content_type,
            headers=headers,
            keep_alive=self.keep_alive,
        )

    async def send_json(
        self, status: int, payload: Any, *, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send ``payload`` as a JSON answer."""
        await self.send(status, _json.dumps(payload), headers=headers)

    async def reject(self, rejection: Rejection) -> None:
        """Send an error answer: xAI's flat body with the rejection's status and headers."""
        await self.send_json(rejection.status, rejection.body(), headers=rejection.headers)

    async def send_truncated(self, body: bytes) -> None:
        """Promise ``body`` in a 200 head, send half of it, then reset the connection."""
        self.status = 200
        fields = [("content-type", "application/json"), ("content-length", str(len(body)))]
        self._writer.write(_head(200, fields) + body[: len(body) // 2])
        await self._writer.drain()
        self.reset()

    async def send_events(
        self,
        frames: Sequence[bytes],
        *,
        delay: float = 0.0,
        cut_after: int | None = None,
        reset_on_cut: bool = False,
    ) -> None:
        """Stream ``frames`` as a chunked ``text/event-stream`` (``delay`` seconds apart).

        With ``cut_after`` the connection is dropped (``reset_on_cut``: reset) after that
        many frames, and the stream never ends.
        """
        self.status = 200
        fields = [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
            ("transfer-encoding", "chunked"),
        ]
        if not self.keep_alive:
            fields.append(("connection", "close"))
        writer = self._writer
        writer.write(_head(200, fields))
        for i, frame in enumerate(frames):
            if writer.transport.is_closing():  # the client went away mid-stream: stop writing
                self.keep_alive = False
                return
            if cut_after is not None and i >= cut_after:
                await writer.drain()
                if reset_on_cut:
                    self.reset()
                else:
                    writer.transport.abort()
                    self.keep_alive = False
                return
            writer.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
            if delay > 0:
                await writer.drain()
                await asyncio.sleep(delay)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    def reset(self) -> None:
        """Drop the connection with a TCP RST (SO_LINGER 0), as a crashed proxy would."""
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()
        self.keep_alive = False
