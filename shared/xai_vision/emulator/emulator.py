"""``Emulator``: start and drive the local xAI stand-in from Python, in a thread or a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any, Literal

import httpx

from xai_vision import _json
from xai_vision.emulator.catalog import EmulatedModel
from xai_vision.emulator.config import (
    DEFAULT_API_KEY,
    EmulatorConfigError,
    EmulatorSettings,
    EmulatorStartError,
    ToolCallMode,
)
from xai_vision.emulator.faults import check_error_status
from xai_vision.emulator.server import EmulatorServer, base_url
from xai_vision.emulator.state import EmulatorState, RecordedRequest

__all__ = ["Emulator"]

_READY_PREFIX = "xai-vision emulator listening on "


class Emulator:
    """A local xAI API (chat completions, responses, models, files) on 127.0.0.1 (ephemeral port by
    default).

    ``with Emulator() as emu:`` then point a client at ``emu.base_url`` with any non-empty key
    (``emu.api_key`` is one). ``mode="thread"`` runs the server on an event loop in a
    background thread; ``mode="subprocess"`` runs ``python -m xai_vision.emulator`` (for
    benchmarks, so the server does not share the client's GIL). Scripted replies, faults and
    the request log work the same in both modes. ``log_requests=True`` prints one line per
    request on stderr (see :mod:`xai_vision.emulator.request_log`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        mode: Literal["thread", "subprocess"] = "thread",
        settings: EmulatorSettings | None = None,
        stream_tool_calls: ToolCallMode | None = None,
        invalid_keys: Sequence[str] | None = None,
        valid_keys: Sequence[str] | None = None,
        latency: float | None = None,
        max_images_per_message: int | Literal["default"] | None = "default",
        log_requests: bool | None = None,
        models: Sequence[EmulatedModel] | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        if mode not in ("thread", "subprocess"):
            raise EmulatorConfigError(f"mode must be 'thread' or 'subprocess', got {mode!r}")
        base = settings or EmulatorSettings()
        changes: dict[str, Any] = {}
        if stream_tool_calls is not None:
            changes["stream_tool_calls"] = stream_tool_calls
        if invalid_keys is not None:
            changes["invalid_keys"] = tuple(invalid_keys)
        if valid_keys is not None:
            changes["valid_keys"] = tuple(valid_keys)
        if latency is not None:
            changes["latency"] = latency
        if max_images_per_message != "default":
            changes["max_images_per_message"] = max_images_per_message
        if log_requests is not None:
            changes["log_requests"] = log_requests
        if models is not None:
            changes["models"] = tuple(models)
        self.settings = dataclasses.replace(base, **changes)
        self.host = host
        self.mode = mode
        self.api_key = DEFAULT_API_KEY
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self.port: int | None = None
        self._state = EmulatorState(prompt_cache_entries=self.settings.prompt_cache_entries)
        self._server: EmulatorServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[str] | None = None
        self._control: httpx.Client | None = None

    def __repr__(self) -> str:
        where = self.base_url if self.port is not None else "not started"
        return f"Emulator(mode={self.mode!r}, {where})"

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``; only valid once started."""
        if self.port is None:
            raise EmulatorStartError(
                "the emulator is not running; call start() or use it as a context manager"
            )
        return base_url(self.host, self.port)

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self.port is not None

    def start(self) -> Emulator:
        """Start serving; returns self. Raises RuntimeError if the server does not come up."""
        if self.port is not None:
            return self
        if self.mode == "thread":
            self._start_thread()
        else:
            self._start_subprocess()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        if self._thread is not None and self._loop is not None and self._server is not None:
            loop, server = self._loop, self._server
            future = asyncio.run_coroutine_threadsafe(server.close(), loop)
            with contextlib.suppress(Exception):  # shutting down: nothing to do with a failure
                future.result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=5)
        if self._control is not None:
            self._control.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
            if self._process.stdout is not None:
                self._process.stdout.close()
        self._thread = self._loop = self._server = None
        self._process = None
        self._control = None
        self.port = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _start_thread(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()
        server = EmulatorServer(self.settings, self._state)

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(server.start(self.host, self._requested_port))
            except BaseException as exc:  # reported to start() below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        thread = threading.Thread(target=run, name="xai-vision-emulator", daemon=True)
        thread.start()
        if not ready.wait(self._startup_timeout):
            raise EmulatorStartError("the emulator did not start in time")
        if failure:
            raise EmulatorStartError(f"the emulator could not start: {failure[0]}") from failure[0]
        self._thread, self._loop, self._server = thread, loop, server
        self.port = server.port

    def _start_subprocess(self) -> None:
        command = [
            sys.executable,
            "-m",
            "xai_vision.emulator",
            "--host",
            self.host,
            "--port",
            str(self._requested_port),
            "--settings-json",
            _json.dumps(self.settings.to_json()).decode(),
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            command, stdout=subprocess.PIPE, text=True, env=env
        )
        line: list[str] = []
        reader = threading.Thread(
            target=lambda: line.append(process.stdout.readline() if process.stdout else ""),
            daemon=True,
        )
        reader.start()
        reader.join(self._startup_timeout)
        if not line or not line[0].startswith(_READY_PREFIX):
            process.kill()
            process.wait(timeout=5)
            got = line[0].strip() if line else "nothing"
            raise EmulatorStartError(f"the emulator subprocess did not start (it printed {got!r})")
        url = line[0][len(_READY_PREFIX) :].strip()
        self._process = process
        self.port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        self._control = httpx.Client(
            base_url=f"{url.rsplit('/v1', 1)[0]}/_emulator/", timeout=10.0, trust_env=False
        )

    # ------------------------------------------------------------------ control

    def _call(self, op: str, **args: Any) -> Any:
        if self._server is not None:
            return self._server.control(op, args)
        if self._control is not None:
            response = self._control.post(op, content=_json.dumps(args))
            payload = _json.loads(response.content)
            if response.status_code != 200:
                raise EmulatorConfigError(payload.get("error", f"control {op} failed"))
            return payload["result"]
        if op == "requests":
            return []
        raise EmulatorStartError("the emulator is not running")

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (Authorization redacted, JSON bodies parsed, forms
        summarised: a file by name, size and SHA-256)."""
        return [RecordedRequest(**r) for r in self._call("requests")]

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request; IndexError if none arrived."""
        return self.requests[-1]

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._call("clear_requests")

    def reset(self) -> None:
        """Forget the request log, queued replies, faults, latency overrides, the prompt cache
        (so the next request reports ``cached_tokens: 0``), stored responses and files."""
        self._call("reset")

    def queue_reply(
        self,
        content: str | None = None,
        *,
        tool_calls: Sequence[dict[str, Any]] = (),
        reasoning_content: str | None = None,
        finish_reason: str | None = None,
        status: int | None = None,
        error: str | None = None,
        code: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next valid chat or responses request exactly so (replies are used in queue
        order).

        Text: ``queue_reply("Hi")``. Tool calls: ``queue_reply(tool_calls=[{"name": "f",
        "arguments": {"x": 1}}])``. An error: ``queue_reply(status=400, error="...")``
        (xAI's flat body), or ``body=`` to send any JSON verbatim.
        """
        if status is not None:
            check_error_status(status)
        for i, call in enumerate(tool_calls):
            if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                raise EmulatorConfigError(f"tool_calls[{i}] needs a 'name' string")
        self._call(
            "queue_reply",
            content=content,
            tool_calls=list(tool_calls),
            reasoning_content=reasoning_content,
            finish_reason=finish_reason,
            status=status,
            error=error,
            code=code,
            body=body,
            headers=dict(headers or {}),
        )

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``n`` requests answer ``status`` (429 by default; 500, 503, ...)."""
        self._call(
            "fail_next",
            n=n,
            status=status,
            retry_after=retry_after,
            retry_after_ms=retry_after_ms,
            message=message,
        )

    def cut_stream(self, after_frames: int, n: int = 1, *, reset: bool = False) -> None:
        """The next ``n`` streams drop the connection (``reset``: TCP RST) after ``after_frames``
        SSE frames."""
        self._call("cut_stream", after_frames=after_frames, n=n, reset=reset)

    def fail_stream(
        self, after_frames: int, n: int = 1, *, status: int = 500, message: str | None = None
    ) -> None:
        """The next ``n`` streams send ``after_frames`` frames, then an error inside the stream
        (chat completions: xAI's flat ``{"code", "error"}`` as a data frame; responses: an
        ``error`` event when ``after_frames`` is 0, else ``response.failed``), and end."""
        self._call("fail_stream", after_frames=after_frames, n=n, status=status, message=message)

    def malformed_next(self, kind: Literal["json", "sse"] = "json", n: int = 1) -> None:
        """The next ``n`` JSON answers (``"json"``) or streams (``"sse"``) are broken."""
        self._call("malformed_next", kind=kind, n=n)

    def reset_next(self, n: int = 1) -> None:
        """The next ``n`` requests get their connection reset (RST) before any byte."""
        self._call("reset_next", n=n)

    def truncate_next(self, n: int = 1) -> None:
        """The next ``n`` JSON answers stop halfway through their promised Content-Length."""
        self._call("truncate_next", n=n)

    def slow_next(self, seconds: float, n: int = 1) -> None:
        """The next ``n`` requests wait ``seconds`` before answering (or resetting)."""
        self._call("slow_next", seconds=seconds, n=n)

    def set_fault_rate(
        self,
        rate: float,
        *,
        statuses: Sequence[int] = (429, 503),
        seed: int = 0,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        """Answer a seeded random ``rate`` share of requests with one of ``statuses``."""
        self._call(
            "set_fault_rate",
            rate=rate,
            statuses=list(statuses),
            seed=seed,
            retry_after=retry_after,
            retry_after_ms=retry_after_ms,
        )

    def fault_counts(self) -> dict[str, int]:
        """Faults injected so far by kind: "429", "503", "reset", "slow", "cut_stream", ..."""
        counts: dict[str, int] = self._call("fault_counts")
        return counts

    def fail_model_endpoints(self, status: int | None = 503) -> None:
        """``/v1/language-models`` and ``/v1/tokenize-text`` answer ``status`` from now on (an
        outage of the model facts clients fetch on the side); None makes them work again."""
        self._call("fail_model_endpoints", status=status)

    def forget_file(self, file_id: str) -> bool:
        """Lose an uploaded file, whoever uploaded it (its id answers 404 from now on, as a file
        xAI expired would); False when there was no such file."""
        forgotten: bool = self._call("forget_file", file_id=file_id)
        return forgotten

    def set_latency(self, seconds: float | None, chunk_delay: float | None = None) -> None:
        """Delay each answer by ``seconds`` (and each frame by ``chunk_delay``); None resets."""
        self._call("set_latency", seconds=seconds, chunk_delay=chunk_delay)

    def set_batch_delay(self, seconds: float | None) -> None:
        """Answer each batch request ``seconds`` after it was added (None: the configured
        ``batch_delay``)."""
        self._call("set_batch_delay", seconds=seconds)

    def fail_batch_requests(
        self,
        ids: Sequence[str],
        *,
        code: str = "Internal error",
        message: str = "The request failed while the batch was processed",
    ) -> None:
        """Make the batch requests with these ``batch_request_id`` s finish with an error
        result (``{"code", "message"}``) instead of an answer."""
        self._call("fail_batch_requests", ids=list(ids), code=code, message=message)
