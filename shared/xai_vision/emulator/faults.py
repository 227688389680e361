"""Mutable emulator state: the request log, scripted replies and injected faults.

Everything here is touched from the server's event-loop thread and from test code, so one
lock guards it. Every operation takes JSON-friendly arguments, so the same operations can be
driven over the control endpoint when the emulator runs in a subprocess.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from xai_vision.emulator.config import EmulatorConfigError
from xai_vision.emulator.prompt_cache import DEFAULT_MAX_ENTRIES, PromptCache

__all__ = [
    "ConnectionFaults",
    "EmulatorState",
    "Fault",
    "RecordedRequest",
    "ScriptedReply",
    "redact_headers",
]

_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})

_FAULT_MESSAGES: dict[int, str] = {
    429: "Too many requests: the rate limit was exceeded (emulated fault)",
    500: "Internal error (emulated fault)",
    502: "Bad gateway (emulated fault)",
    503: "The service is currently unavailable (emulated fault)",
    504: "Gateway timeout (emulated fault)",
}


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credentials replaced (the scheme word is kept)."""
    redacted: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            redacted[name] = f"{scheme} [REDACTED]" if rest else "[REDACTED]"
        else:
            redacted[name] = value
    return redacted


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it (credentials redacted)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    body_size: int

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly form (for the control endpoint)."""
        return asdict(self)


@dataclass(frozen=True)
class ScriptedReply:
    """An exact reply for one future chat-completions request.

    With ``status`` set it is an error answer (``error``/``code`` in xAI's flat body, or
    ``body`` verbatim); otherwise a normal answer with this content, reasoning and tool calls
    (each ``{"name": ..., "arguments": dict | str, "id": optional}``).
    """

    content: str | None = None
    tool_calls: tuple[dict[str, Any], ...] = ()
    reasoning_content: str | None = None
    finish_reason: str | None = None
    status: int | None = None
    error: str | None = None
    code: str | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    """An error status answered instead of the real reply, optionally with Retry-After."""

    status: int
    message: str
    retry_after: float | None = None
    retry_after_ms: int | None = None

    def headers(self) -> dict[str, str]:
        """Retry-After (whole seconds when integral) and retry-after-ms, when set."""
        found: dict[str, str] = {}
        if self.retry_after is not None:
            seconds = self.retry_after
            found["retry-after"] = str(int(seconds)) if seconds == int(seconds) else str(seconds)
        if self.retry_after_ms is not None:
            found["retry-after-ms"] = str(self.retry_after_ms)
        return found


@dataclass
class _StreamFaults:
    cut_after: deque[tuple[int, bool]] = field(default_factory=deque)  # (frames, reset?)
    malformed_sse: int = 0
    malformed_json: int = 0
    truncate_json: int = 0


@dataclass(frozen=True)
class _RandomFaults:
    """Answer a seeded random share of chat requests with an error status."""

    rate: float
    statuses: tuple[int, ...]
    rng: random.Random
    retry_after: float | None
    retry_after_ms: int | None


@dataclass(frozen=True)
class ConnectionFaults:
    """What the server does to the connection itself before answering one request."""

    delay: float = 0.0
    reset: bool = False


class EmulatorState:
    """The request log, reply script, fault queues and prompt cache of one emulator."""

    def __init__(self, *, prompt_cache_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        #: Prompt prefixes seen so far (its own lock); emptied by :meth:`reset`.
        self.prompt_cache = PromptCache(prompt_cache_entries)
        self._requests: list[RecordedRequest] = []
        self._replies: deque[ScriptedReply] = deque()
        self._faults: deque[Fault] = deque()
        self._stream = _StreamFaults()
        self._slow: deque[float] = deque()
        self._resets = 0
        self._random: _RandomFaults | None = None
        self._injected: Counter[str] = Counter()
        self.latency: float | None = None
        self.chunk_delay: float | None = None

    # ------------------------------------------------------------------ log

    def record(self, request: RecordedRequest) -> None:
        """Append one received request to the log."""
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the log, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Empty the log."""
        with self._lock:
            self._requests.clear()

    # ------------------------------------------------------------------ script and faults

    def queue_reply(self, reply: ScriptedReply) -> None:
        """Answer a future request with ``reply`` (replies are used in order)."""
        with self._lock:
            self._replies.append(reply)

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``n`` chat requests answer ``status`` (429, 500, 503, ...) instead."""
        if n < 1:
            raise EmulatorConfigError(f"n must be at least 1, got {n}")
        if not 400 <= status <= 599:
            raise EmulatorConfigError(
                f"status must be an HTTP error status (400-599), got {status}"
            )
        text = message or _FAULT_MESSAGES.get(status, f"Emulated error {status}")
        with self._lock:
            for _ in range(n):
                self._faults.append(Fault(status, text, retry_after, retry_after_ms))

    def cut_stream(self, after_frames: int, n: int = 1, *, reset: bool = False) -> None:
        """The next ``n`` streams stop after ``after_frames`` frames: the connection is dropped,
        or with ``reset`` reset (TCP RST)."""
        if after_frames < 0 or n < 1:
            raise EmulatorConfigError("after_frames must be >= 0 and n >= 1")
        with self._lock:
            self._stream.cut_after.extend([(after_frames, bool(reset))] * n)

    def malformed_next(self, kind: Literal["json", "sse"] = "json", n: int = 1) -> None:
        """The next ``n`` JSON answers (``json``) or streams (``sse``) carry a broken payload."""
        if kind not in ("json", "sse"):
            raise EmulatorConfigError(f"kind must be 'json' or 'sse', got {kind!r}")
        if n < 1:
            raise EmulatorConfigError(f"n must be at least 1, got {n}")
        with self._lock:
            if kind == "json":
                self._stream.malformed_json += n
            else:
                self._stream.malformed_sse += n

    def reset_next(self, n: int = 1) -> None:
        """The next ``n`` chat requests get their connection reset (TCP RST) before any byte."""
        if n < 1:
            raise EmulatorConfigError(f"n must be at least 1, got {n}")
        with self._lock:
            self._resets += n

    def truncate_next(self, n: int = 1) -> None:
        """The next ``n`` JSON answers stop halfway through their promised Content-Length."""
        if n < 1:
            raise EmulatorConfigError(f"n must be at least 1, got {n}")
        with self._lock:
            self._stream.truncate_json += n

    def slow_next(self, seconds: float, n: int = 1) -> None:
        """The next ``n`` chat requests wait ``seconds`` first (to outlast a client timeout)."""
        if not seconds >= 0 or n < 1:
            raise EmulatorConfigError(f"seconds must be >= 0 and n >= 1, got {seconds}, {n}")
        with self._lock:
            self._slow.extend([float(seconds)] * n)

    def set_fault_rate(
        self,
        rate: float,
        *,
        statuses: tuple[int, ...] | list[int] = (429, 503),
        seed: int = 0,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        """Answer a random ``rate`` share (0-1) of chat requests with one of ``statuses``.

        Seeded, so a run is repeatable given the same request order; 0 turns it off.
        """
        if not 0.0 <= rate <= 1.0:
            raise EmulatorConfigError(f"rate must be between 0 and 1, got {rate}")
        codes = tuple(int(s) for s in statuses)
        if not codes or any(not 400 <= s <= 599 for s in codes):
            raise EmulatorConfigError(
                f"statuses must be HTTP error statuses (400-599), got {list(statuses)}"
            )
        with self._lock:
            self._random = (
                _RandomFaults(rate, codes, random.Random(seed), retry_after, retry_after_ms)
                if rate > 0
                else None
            )

    def fault_counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far ("429", "503", "reset", ...)."""
        with self._lock:
            return dict(self._injected)

    def set_latency(self, seconds: float | None, chunk_delay: float | None = None) -> None:
        """Override the configured latency (and delay between frames); None restores it."""
        if (seconds is not None and seconds < 0) or (chunk_delay is not None and chunk_delay < 0):
            raise EmulatorConfigError("latency and chunk_delay must be >= 0")
        with self._lock:
            self.latency = seconds
            self.chunk_delay = chunk_delay

    def reset(self) -> None:
        """Forget the log, queued replies and faults, latency overrides and cached prompts."""
        self.prompt_cache.clear()
        with self._lock:
            self._requests.clear()
            self._replies.clear()
            self._faults.clear()
            self._stream = _StreamFaults()
            self._slow.clear()
            self._resets = 0
            self._random = None
            self._injected.clear()
            self.latency = None
            self.chunk_delay = None

    # ------------------------------------------------------------------ consumed by the server

    def take_connection_faults(self) -> ConnectionFaults:
        """Extra delay and whether to reset, for the next chat request (consumed)."""
        with self._lock:
            delay = self._slow.popleft() if self._slow else 0.0
            reset = self._resets > 0
            if delay:
                self._injected["slow"] += 1
            if reset:
                self._resets -= 1
                self._injected["reset"] += 1
            return ConnectionFaults(delay, reset)

    def take_fault(self) -> Fault | None:
        """The next injected error fault, queued or random, if any (consumed)."""
        with self._lock:
            fault: Fault | None = None
            if self._faults:
                fault = self._faults.popleft()
            elif self._random is not None and self._random.rng.random() < self._random.rate:
                chosen = self._random
                status = chosen.statuses[chosen.rng.randrange(len(chosen.statuses))]
                text = _FAULT_MESSAGES.get(status, f"Emulated error {status}")
                fault = Fault(status, text, chosen.retry_after, chosen.retry_after_ms)
            if fault is not None:
                self._injected[str(fault.status)] += 1
            return fault

    def take_reply(self) -> ScriptedReply | None:
        """The next scripted reply, if any (consumed)."""
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def take_stream_faults(self) -> tuple[int | None, bool, bool]:
        """(cut after K frames or None, reset on the cut?, malformed SSE?) for the next stream."""
        with self._lock:
            cut, reset = (
                self._stream.cut_after.popleft() if self._stream.cut_after else (None, False)
            )
            malformed = self._stream.malformed_sse > 0
            if malformed:
                self._stream.malformed_sse -= 1
                self._injected["malformed_sse"] += 1
            if cut is not None:
                self._injected["reset_stream" if reset else "cut_stream"] += 1
            return cut, reset, malformed

    def take_malformed_json(self) -> bool:
        """Whether the next JSON answer should be malformed (consumed)."""
        with self._lock:
            if self._stream.malformed_json > 0:
                self._stream.malformed_json -= 1
                self._injected["malformed_json"] += 1
                return True
            return False

    def take_truncated_json(self) -> bool:
        """Whether the next JSON answer should stop short of its Content-Length (consumed)."""
        with self._lock:
            if self._stream.truncate_json > 0:
                self._stream.truncate_json -= 1
                self._injected["truncate_json"] += 1
                return True
            return False
