"""``Emulator``: start and drive the local xAI stand-in from Python, in a thread or a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import inspect
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, cast

import httpx

from xai_vision import _json
from xai_vision.emulator.batch_store import BatchStore
from xai_vision.emulator.catalog import EmulatedModel
from xai_vision.emulator.config import (
    DEFAULT_API_KEY,
    EmulatorConfigError,
    EmulatorSettings,
    EmulatorStartError,
    ToolCallMode,
)
from xai_vision.emulator.control import STATE_CONTROLS
from xai_vision.emulator.faults import FaultInjector, check_error_status
from xai_vision.emulator.file_store import FileStore
from xai_vision.emulator.server import EmulatorServer, base_url
from xai_vision.emulator.state import EmulatorState, RecordedRequest

__all__ = ["Emulator"]

_READY_PREFIX = "xai-vision emulator listening on "

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _plain(value: Any) -> Any:
    """An argument as JSON carries it to a subprocess: any iterable but text and mappings a list
    (a set, a generator, ``dict.values()``), so both modes take what the state method takes."""
    if isinstance(value, str | bytes | Mapping):
        return value
    if isinstance(value, Iterable):
        return list(value)
    return value


def _control(
    operation: str, target: Callable[Concatenate[Any, _P], _R]
) -> Callable[Concatenate[Emulator, _P], _R]:
    """An :class:`Emulator` method that runs the state method ``target`` on the running server
    as the control ``operation`` (in a subprocess: posted as JSON to ``/_emulator/``).

    ``target`` is restated here for its static signature; it must be the method the server's
    table (:data:`~xai_vision.emulator.control.STATE_CONTROLS`) runs for ``operation``.
    """
    if STATE_CONTROLS[operation][1] is not target:
        raise TypeError(f"control {operation!r} runs another method on the server")
    signature = inspect.signature(target)

    @functools.wraps(target)
    def control(self: Emulator, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        arguments = signature.bind(None, *args, **kwargs).arguments
        arguments.pop(next(iter(signature.parameters)))  # the state object's own self
        return cast(_R, self._call(operation, **{k: _plain(v) for k, v in arguments.items()}))

    control.__name__, control.__qualname__ = operation, f"Emulator.{operation}"
    return control


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

    # The fault and state controls: each runs the state's own method (its signature,
    # defaults, checks and docstring, written once there) on the running server.
    fail_next = _control("fail_next", FaultInjector.fail_next)
    cut_stream = _control("cut_stream", FaultInjector.cut_stream)
    fail_stream = _control("fail_stream", FaultInjector.fail_stream)
    malformed_next = _control("malformed_next", FaultInjector.malformed_next)
    reset_next = _control("reset_next", FaultInjector.reset_next)
    truncate_next = _control("truncate_next", FaultInjector.truncate_next)
    slow_next = _control("slow_next", FaultInjector.slow_next)
    set_fault_rate = _control("set_fault_rate", FaultInjector.set_fault_rate)
    fault_counts = _control("fault_counts", FaultInjector.fault_counts)
    fail_model_endpoints = _control("fail_model_endpoints", EmulatorState.fail_model_endpoints)
    forget_file = _control("forget_file", FileStore.forget)
    set_latency = _control("set_latency", EmulatorState.set_latency)
    set_batch_delay = _control("set_batch_delay", BatchStore.set_delay)
    fail_batch_requests = _control("fail_batch_requests", BatchStore.fail_requests)
