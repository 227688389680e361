"""Fault injection: errors, delays, resets, cut, failed, malformed and truncated answers, queued
for the next requests (or a seeded random share of them) and counted as they are injected.

The server consumes them (``take_*``) while answering; tests queue them through ``Emulator``
(:meth:`~xai_vision.emulator.Emulator.fail_next` and the rest).
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from xai_vision.emulator.config import EmulatorConfigError
from xai_vision.emulator.validation import STATUS_CODES

__all__ = ["ConnectionFaults", "Fault", "FaultInjector", "StreamFailure", "StreamFaults"]

_FAULT_MESSAGES: dict[int, str] = {
    429: "Too many requests: the rate limit was exceeded (emulated fault)",
    500: "Internal error (emulated fault)",
    502: "Bad gateway (emulated fault)",
    503: "The service is currently unavailable (emulated fault)",
    504: "Gateway timeout (emulated fault)",
}


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


@dataclass(frozen=True)
class StreamFailure:
    """An error sent inside a stream after ``after_frames`` frames; the stream ends with it."""

    after_frames: int
    status: int
    message: str

    @property
    def code(self) -> str:
        """The gRPC status text xAI puts in ``code`` for ``status``."""
        return STATUS_CODES.get(self.status, "Unknown error")


@dataclass
class _StreamFaultQueue:
    cut_after: deque[tuple[int, bool]] = field(default_factory=deque)  # (frames, reset?)
    failures: deque[StreamFailure] = field(default_factory=deque)
    malformed_sse: int = 0
    malformed_json: int = 0
    truncate_json: int = 0


@dataclass(frozen=True)
class _RandomFaults:
    """Answer a seeded random share of requests with an error status."""

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


@dataclass(frozen=True)
class StreamFaults:
    """What goes wrong with one stream: cut after ``cut_after`` frames (``reset``: with a TCP
    RST), one ``malformed`` frame, and/or an error event (``failure``) that ends it."""

    cut_after: int | None = None
    reset: bool = False
    malformed: bool = False
    failure: StreamFailure | None = None


def check_error_status(status: int) -> None:
    """EmulatorConfigError unless ``status`` is an HTTP error status (400-599)."""
    if not 400 <= status <= 599:
        raise EmulatorConfigError(f"status must be an HTTP error status (400-599), got {status}")


def _error_text(status: int, message: str | None) -> str:
    """The message of an injected error answer (``status`` checked)."""
    check_error_status(status)
    return message or _FAULT_MESSAGES.get(status, f"Emulated error {status}")


class FaultInjector:
    """The faults queued for the next requests that ask for an answer (chat completions and
    responses), and counts of those injected so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._stream = _StreamFaultQueue()
        self._slow: deque[float] = deque()
        self._resets = 0
        self._random: _RandomFaults | None = None
        self._injected: Counter[str] = Counter()

    # ------------------------------------------------------------------ queueing

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``n`` requests answer ``status`` (429, 500, 503, ...) instead."""
        if n < 1:
            raise EmulatorConfigError(f"n must be at least 1, got {n}")
        text = _error_text(status, message)
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

    def fail_stream(
        self, after_frames: int, n: int = 1, *, status: int = 500, message: str | None = None
    ) -> None:
        """The next ``n`` streams send ``after_frames`` frames, then an error inside the stream
        (xAI's flat error object; on the responses endpoint an ``error`` event, or
        ``response.failed`` once the response was created), and end there."""
        if after_frames < 0 or n < 1:
            raise EmulatorConfigError("after_frames must be >= 0 and n >= 1")
        text = _error_text(status, message)
        with self._lock:
            self._stream.failures.extend([StreamFailure(after_frames, status, text)] * n)

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
        """The next ``n`` requests get their connection reset (TCP RST) before any byte."""
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
        """The next ``n`` requests wait ``seconds`` first (to outlast a client timeout)."""
        if not seconds >= 0 or n < 1:
            raise EmulatorConfigError(f"seconds must be >= 0 and n >= 1, got {seconds}, {n}")
        with self._lock:
            self._slow.extend([float(seconds)] * n)

    def set_fault_rate(
        self,
        rate: float,
        *,
        statuses: Sequence[int] = (429, 503),
        seed: int = 0,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        """Answer a random ``rate`` share (0-1) of requests with one of ``statuses``.

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

    def reset(self) -> None:
        """Forget every queued fault, the random rate and the counts."""
        with self._lock:
            self._faults.clear()
            self._stream = _StreamFaultQueue()
            self._slow.clear()
            self._resets = 0
            self._random = None
            self._injected.clear()

    # ------------------------------------------------------------------ consumed by the server

    def take_connection_faults(self) -> ConnectionFaults:
        """Extra delay and whether to reset, for the next request (consumed)."""
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

    def take_stream_faults(self) -> StreamFaults:
        """The faults of the next stream (consumed)."""
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
            failure = self._stream.failures.popleft() if self._stream.failures else None
            if failure is not None:
                self._injected["fail_stream"] += 1
            return StreamFaults(cut, reset, malformed, failure)

    def take_malformed_json(self) -> bool:
        """Whether the next JSON answer should be malformed (consumed)."""
        return self._take_json_fault("malformed_json")

    def take_truncated_json(self) -> bool:
        """Whether the next JSON answer should stop short of its Content-Length (consumed)."""
        return self._take_json_fault("truncate_json")

    def _take_json_fault(self, kind: Literal["malformed_json", "truncate_json"]) -> bool:
        """Consume one queued ``kind`` fault (counted under that name); False when none."""
        with self._lock:
            left: int = getattr(self._stream, kind)
            if left > 0:
                setattr(self._stream, kind, left - 1)
                self._injected[kind] += 1
                return True
            return False
