"""The emulator's mutable state: the request log, scripted replies, latency overrides, the
prompt cache, stored responses, batches, uploaded files, and the faults queued for injection
(:class:`~.faults.FaultInjector`).

Everything here is touched from the server's event-loop thread and from test code, so a lock
guards it (the fault injector, the prompt cache, the response and file stores have their own). Every
operation takes JSON-friendly arguments, so the same operations can be driven over the control
endpoint when the emulator runs in a subprocess (:mod:`xai_vision.emulator.control`).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from xai_vision.emulator.batch_store import BatchStore
from xai_vision.emulator.config import EmulatorConfigError
from xai_vision.emulator.faults import FaultInjector, check_error_status
from xai_vision.emulator.file_store import FileStore
from xai_vision.emulator.prompt_cache import DEFAULT_MAX_ENTRIES, PromptCache
from xai_vision.emulator.response_store import ResponseStore

__all__ = ["EmulatorState", "RecordedRequest", "ScriptedReply", "redact_headers"]

_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})


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
    #: When the request arrived (``time.time()``, seconds): request rates are measured from it.
    received_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-friendly form (for the control endpoint)."""
        return asdict(self)


@dataclass(frozen=True)
class ScriptedReply:
    """An exact reply for one future request that asks for an answer (chat completions or
    responses).

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


class EmulatorState:
    """Everything one emulator remembers between requests; :meth:`reset` forgets it all."""

    def __init__(self, *, prompt_cache_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        #: Prompt prefixes seen so far (its own lock); emptied by :meth:`reset`.
        self.prompt_cache = PromptCache(prompt_cache_entries)
        #: Faults queued for the next requests, and counts of those injected (its own lock).
        self.faults = FaultInjector()
        #: Responses stored by ``POST /v1/responses`` (its own lock); emptied by :meth:`reset`.
        self.responses = ResponseStore()
        #: Batches of ``/v1/batches``, the processing delay and failures set (its own lock).
        self.batches = BatchStore()
        #: Files uploaded by ``POST /v1/files`` (its own lock): ``files.get(owner, id)`` is
        #: how a handler reads a referenced file; emptied by :meth:`reset`.
        self.files = FileStore()
        self._requests: list[RecordedRequest] = []
        self._replies: deque[ScriptedReply] = deque()
        self.latency: float | None = None
        self.chunk_delay: float | None = None
        #: Status ``/v1/language-models`` and ``/v1/tokenize-text`` answer instead (None: work).
        self.model_endpoints_status: int | None = None

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

    # ------------------------------------------------------------------ script and latency

    def queue_reply(self, reply: ScriptedReply) -> None:
        """Answer a future request with ``reply`` (replies are used in order)."""
        with self._lock:
            self._replies.append(reply)

    def take_reply(self) -> ScriptedReply | None:
        """The next scripted reply, if any (consumed)."""
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def set_latency(self, seconds: float | None, chunk_delay: float | None = None) -> None:
        """Override the configured latency (and delay between frames); None restores it."""
        if (seconds is not None and seconds < 0) or (chunk_delay is not None and chunk_delay < 0):
            raise EmulatorConfigError("latency and chunk_delay must be >= 0")
        with self._lock:
            self.latency = seconds
            self.chunk_delay = chunk_delay

    def fail_model_endpoints(self, status: int | None = 503) -> None:
        """Make the model-facts endpoints (language models, tokenize-text) answer ``status``
        until called with None (an outage of what clients fetch on the side)."""
        if status is not None:
            if isinstance(status, bool) or not isinstance(status, int):
                raise EmulatorConfigError(
                    f"status must be an HTTP error status or None, got {status!r}"
                )
            check_error_status(status)
        with self._lock:
            self.model_endpoints_status = status

    def reset(self) -> None:
        """Forget the log, queued replies and faults, latency overrides, cached prompts, stored
        responses, batches, uploaded files and a model-endpoint outage."""
        self.prompt_cache.clear()
        self.responses.clear()
        self.batches.clear()
        self.files.clear()
        self.faults.reset()
        with self._lock:
            self._requests.clear()
            self._replies.clear()
            self.latency = None
            self.chunk_delay = None
            self.model_endpoints_status = None
