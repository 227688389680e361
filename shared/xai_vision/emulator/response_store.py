"""Stored responses (``store``, the default on ``POST /v1/responses``): what ``GET`` and
``DELETE /v1/responses/{id}`` and ``previous_response_id`` read.

Each response is kept with the conversation that produced it (its input, with whatever it
continued, then its output as one assistant message), under a digest of the API key that
created it (never the key): another key does not find it, as another xAI team would not. xAI
keeps responses for 30 days; the emulator keeps the ``max_entries`` most recent (the oldest are
forgotten first) until :meth:`ResponseStore.clear` (``Emulator.reset()``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xai_vision.emulator.bounded import BoundedMap

__all__ = ["DEFAULT_MAX_STORED", "ResponseStore", "StoredResponse", "owner_of"]

#: Responses kept at once (each holds its conversation, images included).
DEFAULT_MAX_STORED = 1024


def owner_of(api_key: str) -> bytes:
    """The digest stored responses are filed under for ``api_key``."""
    return hashlib.blake2b(api_key.encode(), digest_size=16).digest()


@dataclass(frozen=True)
class StoredResponse:
    """One stored response: the response object as answered and its whole conversation
    (chat-shaped messages), which a request naming it as ``previous_response_id`` continues."""

    response: Mapping[str, Any]
    conversation: Sequence[Mapping[str, Any]]


class ResponseStore(BoundedMap[tuple[bytes, str], StoredResponse]):
    """A thread-safe, bounded map of (owner, response id) -> :class:`StoredResponse`."""

    def __init__(self, max_entries: int = DEFAULT_MAX_STORED) -> None:
        super().__init__(max_entries)

    def put(self, owner: bytes, stored: StoredResponse) -> None:
        """Keep ``stored`` under its response id (the oldest entry goes when full)."""
        with self._lock:
            self._entries[(owner, str(stored.response["id"]))] = stored
            self._drop_oldest()

    def get(self, owner: bytes, response_id: str) -> StoredResponse | None:
        """The stored response, or None (never stored, deleted, forgotten, another key's)."""
        with self._lock:
            return self._entries.get((owner, response_id))

    def delete(self, owner: bytes, response_id: str) -> bool:
        """Forget one response; False when there was none."""
        with self._lock:
            return self._entries.pop((owner, response_id), None) is not None
