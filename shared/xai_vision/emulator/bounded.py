"""The bounded map the emulator's stores share: thread-safe, oldest first, and never larger
than its ``max_entries`` (the oldest entries go first), so a long-running emulator's memory
stays bounded."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """At most ``max_entries`` entries under one lock; subclasses read and write
    ``_entries`` while holding ``_lock``."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def _drop_oldest(self) -> None:
        """Drop the oldest entries until the map is within its bound (``_lock`` held)."""
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
