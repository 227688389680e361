"""The emulator's HTTP/1.1 server: asyncio streams and a small hand-written request parser.

No web framework: one coroutine per connection, keep-alive, Content-Length or chunked request
bodies, and chunked ``text/event-stream`` responses. It runs on an event loop in a background
thread (``Emulator``) or in the foreground (:func:`serve`, used by the CLI and subprocess mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import signal
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from xai_vision import _json
from xai_vision.emulator.answers import build_answer, completion_body, stream_chunks
from xai_vision.emulator.catalog import LISTED_MODELS, resolve_model
from xai_vision.emulator.checks import ChatCall, check_chat_request
from xai_vision.emulator.config import EmulatorSettings
from xai_vision.emulator.faults import EmulatorState, RecordedRequest, ScriptedReply, redact_headers
from xai_vision.emulator.prompt_cache import prompt_prefixes
from xai_vision.emulator.validation import Rejection

__all__ = ["EmulatorServer", "serve"]

_HEAD_LIMIT = 64 * 1024
_CHAT_PATH = "/v1/chat/completions"
_CONTROL_PREFIX = "/_emulator/"


@dataclass
class _Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class _BadRequestError(Exception):
    """The bytes on the wire are not a valid HTTP/1.1 request: answer and close."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def _mask_key(key: str) -> str:
    """xAI's way of naming a wrong key: the first and last two characters only."""
    return f"{key[:2]}***{key[-2:]}" if len(key) > 4 else "***"


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
    lines = [f"HTTP/1.1 {status} {phrase}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _bearer_key(request: _Request) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, or None when there is none."""
    scheme, _, key = request.headers.get("authorization", "").strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


class EmulatorServer:
    """The asyncio server; all methods except :meth:`control` run on its event loop."""

    def __init__(self, settings: EmulatorSettings, state: EmulatorState) -> None:
        self.settings = settings
        self.state = state
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._http: httpx.AsyncClient | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        """Bind and start accepting; returns the bound port (ephemeral when ``port`` is 0)."""
        self._server = await asyncio.start_server(
            self._connection, host, port, limit=_HEAD_LIMIT, backlog=2048, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def close(self) -> None:
        """Stop accepting, drop open connections and close the image fetcher."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ------------------------------------------------------------------ connections

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await self._read_request(reader, writer)
                except _BadRequestError as exc:
                    await self._send_json(
                        writer,
                        exc.status,
                        {"code": "Client specified an invalid argument", "error": str(exc)},
                        keep_alive=False,
                    )
                    return
                if request is None:
                    return
                keep_alive = self._keep_alive(request)
                keep_alive = await self._dispatch(request, writer, keep_alive)
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        except (asyncio.LimitOverrunError, ValueError, UnicodeError):
            return  # unparseable bytes mid-body (a broken chunked encoding): drop the connection
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    def _keep_alive(request: _Request) -> bool:
        connection = request.headers.get("connection", "").lower()
        if request.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> _Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise _BadRequestError(400, "incomplete HTTP request head") from None
            return None
        except asyncio.LimitOverrunError:
            raise _BadRequestError(431, "request head too large") from None
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequestError(400, f"malformed request line {lines[0][:80]!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequestError(400, f"malformed header line {line[:80]!r}")
            key = name.lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await self._read_body(reader, headers)
        return _Request(method, target, version, headers, body)

    async def _read_body(self, reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        limit = self.settings.max_body_bytes
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts: list[bytes] = []
            total = 0
            while True:
                size_line = await reader.readuntil(b"\r\n")
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise _BadRequestError(400, "malformed chunk size") from None
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    return b"".join(parts)
                total += size
                if total > limit:
                    raise _BadRequestError(
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
            raise _BadRequestError(400, f"invalid Content-Length {length_text!r}") from None
        if length < 0:
            raise _BadRequestError(400, f"invalid Content-Length {length_text!r}")
        if length > limit:
            raise _BadRequestError(413, "Failed to buffer the request body: length limit exceeded")
        return await reader.readexactly(length) if length else b""

    # ------------------------------------------------------------------ responses

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        keep_alive: bool = True,
    ) -> None:
        fields = [("content-type", content_type), ("content-length", str(len(body)))]
        fields += list((headers or {}).items())
        if not keep_alive:
            fields.append(("connection", "close"))
        writer.write(_head(status, fields) + body)
        await writer.drain()

    async def _send_json(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        payload: Any,
        *,
        headers: dict[str, str] | None = None,
        keep_alive: bool = True,
    ) -> None:
        await self._send(
            writer, status, _json.dumps(payload), headers=headers, keep_alive=keep_alive
        )

    async def _reject(
        self, writer: asyncio.StreamWriter, rejection: Rejection, keep_alive: bool
    ) -> None:
        await self._send_json(
            writer,
            rejection.status,
            rejection.body(),
            headers=rejection.headers,
            keep_alive=keep_alive,
        )

    # ------------------------------------------------------------------ routing

    async def _dispatch(
        self, request: _Request, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> bool:
        path = request.path
        if path.startswith(_CONTROL_PREFIX):
            await self._control_route(request, writer, keep_alive)
            return keep_alive
        body: Any = None
        if request.body:
            try:
                body = _json.loads(request.body)
            except _json.JSONDecodeError:
                body = None
        self.state.record(
            RecordedRequest(
                method=request.method,
                path=request.target,
                headers=redact_headers(request.headers),
                body=body,
                body_size=len(request.body),
            )
        )
        try:
            if path == _CHAT_PATH:
                if request.method != "POST":
                    raise Rejection(
                        405,
                        f"Method {request.method} is not allowed on {path}; use POST",
                        headers={"allow": "POST"},
                    )
                self._authenticate(request)
                return await self._chat(request, writer, keep_alive)
            if path == "/v1/models" or path.startswith("/v1/models/"):
                if request.method != "GET":
                    raise Rejection(
                        405,
                        f"Method {request.method} is not allowed on {path}; use GET",
                        headers={"allow": "GET"},
                    )
                self._authenticate(request)
                await self._send_json(writer, 200, self._models(path), keep_alive=keep_alive)
                return keep_alive
            raise Rejection(404, f"No such endpoint: {request.method} {path}")
        except Rejection as rejection:
            await self._reject(writer, rejection, keep_alive)
            return keep_alive
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # an emulator bug: answer 500 rather than drop the connection
            await self._reject(
                writer, Rejection(500, f"emulator error: {type(exc).__name__}: {exc}"), False
            )
            return False

    def _authenticate(self, request: _Request) -> None:
        header = request.headers.get("authorization")
        if header is None or not header.strip():
            raise Rejection(401, "No credentials presented.")
        key = _bearer_key(request)
        if key is None:
            raise Rejection(401, "Invalid credentials: expected 'Authorization: Bearer <API key>'.")
        settings = self.settings
        if key in settings.invalid_keys or (
            settings.valid_keys is not None and key not in settings.valid_keys
        ):
            raise Rejection(
                400,
                f"Incorrect API key provided: {_mask_key(key)}. You can obtain an API key from "
                "https://console.x.ai.",
                code="Client specified an invalid argument",
            )

    @staticmethod
    def _models(path: str) -> dict[str, Any]:
        def entry(model_id: str, created: int) -> dict[str, Any]:
            return {"id": model_id, "created": created, "object": "model", "owned_by": "xai"}

        if path == "/v1/models":
            return {"data": [entry(m, c) for m, c in LISTED_MODELS], "object": "list"}
        requested = path[len("/v1/models/") :]
        info = resolve_model(requested)
        if info is None or not requested:
            raise Rejection(404, f"The model {requested} does not exist (model not found).")
        created = dict(LISTED_MODELS).get(info.name, 1743724800)
        return entry(info.name, created)

    # ------------------------------------------------------------------ chat completions

    async def _fetch_image(self, url: str) -> bytes:
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=self.settings.fetch_timeout, trust_env=False, follow_redirects=False
            )
        limit = self.settings.max_image_bytes
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise Rejection(
                        400, f"Failed to fetch image from {url}: HTTP status {response.status_code}"
                    )
                chunks: list[bytes] = []
                total = 0
                async for part in response.aiter_bytes():
                    total += len(part)
                    if total > limit:
                        raise Rejection(
                            400, f"Failed to fetch image from {url}: larger than {limit} bytes"
                        )
                    chunks.append(part)
                return b"".join(chunks)
        except httpx.TimeoutException:
            raise Rejection(
                400,
                f"Failed to fetch image from {url}: "
                f"timed out after {self.settings.fetch_timeout} s",
            ) from None
        except httpx.HTTPError as exc:
            raise Rejection(
                400, f"Failed to fetch image from {url}: {type(exc).__name__}"
            ) from None

    async def _chat(
        self, request: _Request, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> bool:
        latency = self.state.latency if self.state.latency is not None else self.settings.latency
        connection_faults = self.state.take_connection_faults()
        latency += connection_faults.delay
        if latency > 0:
            await asyncio.sleep(latency)
        if connection_faults.reset:
            _reset(writer)
            return False
        fault = self.state.take_fault()
        if fault is not None:
            raise Rejection(fault.status, fault.message, headers=fault.headers())
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not request.body or content_type != "application/json":
            raise Rejection(415, "Expected request with `Content-Type: application/json`")
        try:
            body = _json.loads(request.body)
        except _json.JSONDecodeError as exc:
            raise Rejection(400, f"Failed to parse the request body as JSON: {exc}") from None
        call = await check_chat_request(body, self.settings, self._fetch_image)
        scripted = self.state.take_reply()
        if scripted is not None and scripted.status is not None:
            payload = (
                scripted.body
                if scripted.body is not None
                else {
                    "code": scripted.code or Rejection(scripted.status, "").code,
                    "error": scripted.error or f"Scripted error {scripted.status}",
                }
            )
            await self._send_json(
                writer, scripted.status, payload, headers=scripted.headers, keep_alive=keep_alive
            )
            return keep_alive
        answer = build_answer(call, scripted, cached_tokens=self._cached_tokens(request, call))
        if not call.stream:
            data = _json.dumps(completion_body(answer))
            if self.state.take_malformed_json():
                data = data[: max(1, len(data) // 2)]
            if self.state.take_truncated_json():
                fields = [("content-type", "application/json"), ("content-length", str(len(data)))]
                writer.write(_head(200, fields) + data[: len(data) // 2])
                await writer.drain()
                _reset(writer)
                return False
            await self._send(writer, 200, data, keep_alive=keep_alive)
            return keep_alive
        chunks = stream_chunks(
            answer, include_usage=call.include_usage, mode=self.settings.stream_tool_calls
        )
        return await self._stream(writer, chunks, keep_alive)

    def _cached_tokens(self, request: _Request, call: ChatCall) -> int:
        """The request's text tokens read from the prompt cache (0 when it is off); the
        request's own prefixes are remembered for the next one."""
        settings = self.settings
        if not settings.prompt_cache or call.text_tokens < settings.prompt_cache_min_tokens:
            return 0
        prefixes = prompt_prefixes(_bearer_key(request) or "", call.model.name, call.body)
        return self.state.prompt_cache.lookup_and_store(prefixes, settings.prompt_cache_min_tokens)

    async def _stream(
        self, writer: asyncio.StreamWriter, chunks: list[dict[str, Any]], keep_alive: bool
    ) -> bool:
        cut_after, reset, malformed = self.state.take_stream_faults()
        delay = (
            self.state.chunk_delay
            if self.state.chunk_delay is not None
            else self.settings.chunk_delay
        )
        frames = [b"data: " + _json.dumps(chunk) + b"\n\n" for chunk in chunks]
        frames.append(b"data: [DONE]\n\n")
        if malformed:
            broken = min(1, len(frames) - 1)
            frames[broken] = frames[broken][: max(8, len(frames[broken]) // 2)] + b"\n\n"
        fields = [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
            ("transfer-encoding", "chunked"),
        ]
        if not keep_alive:
            fields.append(("connection", "close"))
        writer.write(_head(200, fields))
        for i, frame in enumerate(frames):
            if cut_after is not None and i >= cut_after:
                await writer.drain()
                if reset:
                    _reset(writer)
                else:
                    writer.transport.abort()
                return False
            writer.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
            if delay > 0:
                await writer.drain()
                await asyncio.sleep(delay)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return keep_alive

    # ------------------------------------------------------------------ control endpoint

    async def _control_route(
        self, request: _Request, writer: asyncio.StreamWriter, keep_alive: bool
    ) -> None:
        op = request.path[len(_CONTROL_PREFIX) :]
        try:
            args = _json.loads(request.body) if request.body else {}
            result = self.control(op, args if isinstance(args, dict) else {})
        except (TypeError, ValueError, KeyError, _json.JSONDecodeError) as exc:
            await self._send_json(
                writer,
                400,
                {"code": "Client specified an invalid argument", "error": f"control {op}: {exc}"},
                keep_alive=keep_alive,
            )
            return
        await self._send_json(writer, 200, {"result": result}, keep_alive=keep_alive)

    def control(self, op: str, args: dict[str, Any]) -> Any:
        """Run one state operation by name (what the subprocess-mode client calls)."""
        state = self.state
        if op == "requests":
            return [r.to_json() for r in state.requests()]
        if op == "clear_requests":
            state.clear_requests()
        elif op == "reset":
            state.reset()
        elif op == "queue_reply":
            reply_args = dict(args)
            reply_args["tool_calls"] = tuple(reply_args.get("tool_calls") or ())
            reply_args["headers"] = dict(reply_args.get("headers") or {})
            state.queue_reply(ScriptedReply(**reply_args))
        elif op == "fail_next":
            state.fail_next(**args)
        elif op == "cut_stream":
            state.cut_stream(**args)
        elif op == "malformed_next":
            state.malformed_next(**args)
        elif op == "set_latency":
            state.set_latency(**args)
        elif op == "reset_next":
            state.reset_next(**args)
        elif op == "truncate_next":
            state.truncate_next(**args)
        elif op == "slow_next":
            state.slow_next(**args)
        elif op == "set_fault_rate":
            state.set_fault_rate(**args)
        elif op == "fault_counts":
            return state.fault_counts()
        else:
            raise KeyError(f"unknown operation {op!r}")
        return None


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), as a crashed proxy would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    settings: EmulatorSettings | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run the emulator in the foreground until interrupted (Ctrl-C or SIGTERM).

    ``on_ready`` receives the base URL (``http://host:port/v1``) once the port is bound.
    """

    async def main() -> None:
        chosen = settings or EmulatorSettings()
        state = EmulatorState(prompt_cache_entries=chosen.prompt_cache_entries)
        server = EmulatorServer(chosen, state)
        bound = await server.start(host, port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        if on_ready is not None:
            on_ready(base_url(host, bound))
        try:
            await stop.wait()
        finally:
            await server.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def base_url(host: str, port: int) -> str:
    """``http://host:port/v1`` (IPv6 hosts bracketed)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"
