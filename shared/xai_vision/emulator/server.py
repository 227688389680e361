"""The emulator's HTTP server: accept connections, route each request, record it.

One coroutine per connection (keep-alive, pipelining); the wire format is in
:mod:`xai_vision.emulator.http11`, the endpoints in :mod:`xai_vision.emulator.routes`. It runs
on an event loop in a background thread (``Emulator``) or in the foreground (:func:`serve`,
used by the CLI and subprocess mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from typing import Any

from xai_vision import _json
from xai_vision.emulator.config import EmulatorSettings
from xai_vision.emulator.control import CONTROL_PREFIX, run_control
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.handlers.batches import stop_batch_workers
from xai_vision.emulator.http11 import (
    HEAD_LIMIT,
    BadRequestError,
    Exchange,
    HTTPRequest,
    read_request,
    write_response,
)
from xai_vision.emulator.image_fetch import ImageFetcher
from xai_vision.emulator.multipart import boundary_of, summarise_form
from xai_vision.emulator.request_log import log_to_stderr, request_line
from xai_vision.emulator.routes import find_route
from xai_vision.emulator.state import EmulatorState, RecordedRequest, redact_headers
from xai_vision.emulator.validation import Rejection

__all__ = ["EmulatorServer", "base_url", "serve"]


def _mask_key(key: str) -> str:
    """xAI's way of naming a wrong key: the first and last two characters only."""
    return f"{key[:2]}***{key[-2:]}" if len(key) > 4 else "***"


class EmulatorServer:
    """The asyncio server; all methods except :meth:`control` run on its event loop."""

    def __init__(
        self,
        settings: EmulatorSettings,
        state: EmulatorState,
        *,
        log: Callable[[str], None] = log_to_stderr,
    ) -> None:
        """``log`` receives the emulator's log lines: requests (with ``log_requests``) and
        stand-ins served."""
        self.settings = settings
        self.state = state
        self._log = log
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._fetcher = ImageFetcher(settings, log)
        self._context = HandlerContext(settings, state, self._fetcher.fetch)
        self.port = 0

    async def start(self, host: str, port: int) -> int:
        """Bind and start accepting; returns the bound port (ephemeral when ``port`` is 0)."""
        self._server = await asyncio.start_server(
            self._connection, host, port, limit=HEAD_LIMIT, backlog=2048, reuse_address=True
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
        await stop_batch_workers()
        await self._fetcher.aclose()

    def control(self, op: str, args: dict[str, Any]) -> Any:
        """Run one state operation by name (what the subprocess-mode client calls)."""
        return run_control(self.state, op, args)

    # ------------------------------------------------------------------ connections

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await read_request(reader, writer, self.settings.max_body_bytes)
                except BadRequestError as exc:
                    body = {"code": "Client specified an invalid argument", "error": str(exc)}
                    await write_response(writer, exc.status, _json.dumps(body), keep_alive=False)
                    return
                if request is None:
                    return
                exchange = Exchange(request, writer, keep_alive=request.keep_alive)
                await self._dispatch(exchange)
                if not exchange.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        except (asyncio.LimitOverrunError, ValueError, UnicodeError):
            return  # unparseable bytes mid-body (a broken chunked encoding): drop the connection
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _dispatch(self, exchange: Exchange) -> None:
        request = exchange.request
        if request.path.startswith(CONTROL_PREFIX):
            await self._control_route(exchange)
            return
        recorded = _recorded(request)
        self.state.record(recorded)
        try:
            route, params = find_route(request.method, request.path)
            self._authenticate(request)
            await route.handler(self._context, exchange, params)
        except Rejection as rejection:
            await exchange.reject(rejection)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # an emulator bug: answer 500 rather than drop the connection
            exchange.keep_alive = False
            await exchange.reject(Rejection(500, f"emulator error: {type(exc).__name__}: {exc}"))
        finally:
            if self.settings.log_requests:
                self._log(
                    request_line(
                        request.method,
                        request.path,
                        recorded.body,
                        exchange.status,
                        exchange.usage,
                        key=request.bearer_key(),
                    )
                )

    def _authenticate(self, request: HTTPRequest) -> None:
        header = request.headers.get("authorization")
        if header is None or not header.strip():
            raise Rejection(401, "No credentials presented.")
        key = request.bearer_key()
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

    async def _control_route(self, exchange: Exchange) -> None:
        request = exchange.request
        op = request.path[len(CONTROL_PREFIX) :]
        try:
            args = _json.loads(request.body) if request.body else {}
            result = self.control(op, args if isinstance(args, dict) else {})
        except (TypeError, ValueError, KeyError, _json.JSONDecodeError) as exc:
            await exchange.send_json(
                400,
                {"code": "Client specified an invalid argument", "error": f"control {op}: {exc}"},
            )
            return
        await exchange.send_json(200, {"result": result})


def _recorded(request: HTTPRequest) -> RecordedRequest:
    """The request as the log keeps it: credentials redacted, a JSON body parsed, a form
    summarised (its files by name, size and SHA-256, never their bytes), else None."""
    body: Any = None
    content_type = request.headers.get("content-type", "")
    if request.body and boundary_of(content_type) is not None:
        with contextlib.suppress(Rejection):  # not a valid form: logged without a body
            body = summarise_form(request.form)
    elif request.body:
        try:
            body = _json.loads(request.body)
        except _json.JSONDecodeError:
            body = None
    return RecordedRequest(
        method=request.method,
        path=request.target,
        headers=redact_headers(request.headers),
        body=body,
        body_size=len(request.body),
        received_at=time.time(),
    )


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
