"""Batches of ``/v1/batches``: their requests waiting, their finished results, their counts.

Each batch is filed under a digest of the API key that created it (another key does not see
it, as another xAI team would not). Added requests wait in a queue that the batch's worker
(:mod:`xai_vision.emulator.handlers.batches`) answers one at a time, each no earlier than the
processing delay after it was added; finished results are kept in the order they finished, so
a page of them never changes once read. Thread-safe: tests drive it from their own thread
while the server's loop processes.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from xai_vision.emulator.config import EmulatorConfigError

__all__ = ["BatchStore", "PendingRequest", "StoredBatch"]

#: How long xAI keeps a batch's results.
_EXPIRY = timedelta(days=30)


def _timestamp(at: float) -> str:
    return datetime.fromtimestamp(at, tz=timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class PendingRequest:
    """A request added to a batch, not answered yet."""

    batch_request_id: str
    body: Any
    added_at: float


@dataclass
class StoredBatch:
    """One batch: its requests by state, its results, its cost so far."""

    batch_id: str
    name: str
    owner: bytes
    created_at: float
    cancelled_at: float | None = None
    ids: set[str] = field(default_factory=set)
    pending: deque[PendingRequest] = field(default_factory=deque)
    results: list[dict[str, Any]] = field(default_factory=list)
    num_success: int = 0
    num_error: int = 0
    num_cancelled: int = 0
    cost_ticks: int = 0
    #: Whether a worker is answering this batch's queue now.
    working: bool = False

    def to_json(self) -> dict[str, Any]:
        """The batch object, in xAI's shape."""
        body: dict[str, Any] = {
            "batch_id": self.batch_id,
            "name": self.name,
            "create_time": _timestamp(self.created_at),
            "expire_time": _timestamp(self.created_at + _EXPIRY.total_seconds()),
        }
        if self.cancelled_at is not None:
            body["cancel_time"] = _timestamp(self.cancelled_at)
        body["state"] = {
            "num_requests": len(self.ids),
            "num_pending": len(self.pending),
            "num_success": self.num_success,
            "num_error": self.num_error,
            "num_cancelled": self.num_cancelled,
        }
        body["cost_breakdown"] = {"total_cost_usd_ticks": self.cost_ticks}
        return body


class BatchStore:
    """Every batch, the processing delay, and the requests set to fail (control hooks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._batches: dict[str, StoredBatch] = {}
        #: Seconds between a request's arrival and its answer (None: the settings' delay).
        self.delay: float | None = None
        #: batch_request_id -> (code, message): those requests finish with this error.
        self._failing: dict[str, tuple[str, str]] = {}

    # ------------------------------------------------------------------ control hooks

    def set_delay(self, seconds: float | None) -> None:
        """Answer each request ``seconds`` after it was added (None: the configured delay)."""
        if seconds is not None and (not isinstance(seconds, int | float) or seconds < 0):
            raise EmulatorConfigError(f"batch delay must be >= 0 or None, got {seconds!r}")
        with self._lock:
            self.delay = seconds

    def fail_requests(
        self,
        ids: Iterable[str],
        *,
        code: str = "Internal error",
        message: str = "The request failed while the batch was processed",
    ) -> None:
        """Make the requests with these ``batch_request_id`` s finish with an error result."""
        with self._lock:
            for request_id in ids:
                self._failing[str(request_id)] = (code, message)

    def failure_for(self, batch_request_id: str) -> tuple[str, str] | None:
        """The error set for this request id, if any."""
        with self._lock:
            return self._failing.get(batch_request_id)

    def clear(self) -> None:
        """Forget every batch, the delay override and the failures set."""
        with self._lock:
            self._batches.clear()
            self._failing.clear()
            self.delay = None

    # ------------------------------------------------------------------ batches

    def create(self, owner: bytes, name: str) -> dict[str, Any]:
        """A new empty batch; its object."""
        batch = StoredBatch(f"batch_{uuid.uuid4()}", name, owner, time.time())
        with self._lock:
            self._batches[batch.batch_id] = batch
            return batch.to_json()

    def _find(self, owner: bytes, batch_id: str) -> StoredBatch | None:
        batch = self._batches.get(batch_id)
        return batch if batch is not None and batch.owner == owner else None

    def get(self, owner: bytes, batch_id: str) -> dict[str, Any] | None:
        """The batch object, or None (unknown, or another key's)."""
        with self._lock:
            batch = self._find(owner, batch_id)
            return None if batch is None else batch.to_json()

    def listing(self, owner: bytes) -> list[dict[str, Any]]:
        """The key's batches, newest first."""
        with self._lock:
            found = [b for b in self._batches.values() if b.owner == owner]
            return [b.to_json() for b in sorted(found, key=lambda b: -b.created_at)]

    def add(
        self, owner: bytes, batch_id: str, requests: list[tuple[str, Any]]
    ) -> tuple[str | None, bool]:
        """Queue ``requests`` (id, chat body); (a refusal's reason or None, whether the batch
        needs a worker started). Unknown batch: ("unknown", False)."""
        with self._lock:
            batch = self._find(owner, batch_id)
            if batch is None:
                return "unknown", False
            if batch.cancelled_at is not None:
                return f"The batch {batch_id} was cancelled: no requests can be added", False
            seen: set[str] = set()
            for request_id, _ in requests:
                if request_id in batch.ids or request_id in seen:
                    return (
                        f"batch_request_id {request_id} is already in the batch {batch_id}: "
                        "ids must be unique in a batch",
                        False,
                    )
                seen.add(request_id)
            now = time.time()
            for request_id, body in requests:
                batch.ids.add(request_id)
                batch.pending.append(PendingRequest(request_id, body, now))
            start = not batch.working
            batch.working = True
            return None, start

    def next_pending(self, batch_id: str) -> PendingRequest | None:
        """The oldest waiting request (left queued until :meth:`finish`), or None: then the
        worker stops (marked idle here, under the lock)."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                return None
            if not batch.pending:
                batch.working = False
                return None
            return batch.pending[0]

    def current_delay(self, configured: float) -> float:
        """The processing delay in force."""
        with self._lock:
            return configured if self.delay is None else self.delay

    def finish(self, batch_id: str, pending: PendingRequest, result: Mapping[str, Any]) -> None:
        """Record the result of ``pending`` (dropped when the batch was cancelled or forgotten
        meanwhile)."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None or not batch.pending or batch.pending[0] is not pending:
                return
            batch.pending.popleft()
            batch.results.append(dict(result))
            if "error" in result:
                batch.num_error += 1
            else:
                batch.num_success += 1
                usage = result["response"]["chat_get_completion"].get("usage") or {}
                batch.cost_ticks += int(usage.get("cost_in_usd_ticks") or 0)

    def results(
        self, owner: bytes, batch_id: str, start: int, size: int
    ) -> tuple[list[dict[str, Any]], int | None] | None:
        """Finished results ``start`` to ``start + size`` and where the next page starts (None:
        no more finished results for now); None for an unknown batch."""
        with self._lock:
            batch = self._find(owner, batch_id)
            if batch is None:
                return None
            page = batch.results[start : start + size]
            end = start + len(page)
            return page, (end if end < len(batch.results) else None)

    def cancel(self, owner: bytes, batch_id: str) -> dict[str, Any] | None:
        """Cancel the batch: its waiting requests are cancelled; its object (None: unknown)."""
        with self._lock:
            batch = self._find(owner, batch_id)
            if batch is None:
                return None
            if batch.cancelled_at is None:
                batch.cancelled_at = time.time()
                batch.num_cancelled += len(batch.pending)
                batch.pending.clear()
            return batch.to_json()
