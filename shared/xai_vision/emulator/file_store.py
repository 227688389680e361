"""Files uploaded through ``POST /v1/files``: what the other ``/v1/files`` endpoints read,
and what a handler resolving a ``file_id`` (a chat ``file`` part) reads with
:meth:`FileStore.get` (through :func:`~xai_vision.emulator.documents.file_reader`).

Each file is kept under the digest of the API key that uploaded it (never the key; see
:func:`~xai_vision.emulator.response_store.owner_of`): another key does not find it, as another
xAI team would not. The ``max_entries`` most recent are kept (the oldest forgotten first) until
:meth:`FileStore.clear` (``Emulator.reset()``).
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any

from xai_vision.emulator.bounded import BoundedMap

__all__ = ["DEFAULT_MAX_FILES", "FileStore", "StoredFile"]

#: Files kept at once.
DEFAULT_MAX_FILES = 1024


@dataclass(frozen=True)
class StoredFile:
    """One uploaded file: its metadata and bytes."""

    id: str
    owner: bytes
    filename: str
    purpose: str
    created_at: int
    data: bytes
    expires_at: int | None = None
    #: Upload order (ties in ``created_at`` sort by it).
    sequence: int = 0

    def to_json(self) -> dict[str, Any]:
        """xAI's ``File`` object."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
        }


class FileStore(BoundedMap[str, StoredFile]):
    """A thread-safe, bounded map of file id -> :class:`StoredFile`, each of one owner."""

    def __init__(self, max_entries: int = DEFAULT_MAX_FILES) -> None:
        super().__init__(max_entries)
        self._sequence = itertools.count()

    def put(
        self,
        owner: bytes,
        filename: str,
        purpose: str,
        data: bytes,
        *,
        expires_after: int | None = None,
    ) -> StoredFile:
        """Keep a new file (the oldest goes when full) and return it with its new id."""
        now = int(time.time())
        stored = StoredFile(
            id=f"file_{uuid.uuid4()}",
            owner=owner,
            filename=filename,
            purpose=purpose,
            created_at=now,
            data=data,
            expires_at=now + expires_after if expires_after is not None else None,
            sequence=next(self._sequence),
        )
        with self._lock:
            self._entries[stored.id] = stored
            self._drop_oldest()
        return stored

    def get(self, owner: bytes, file_id: str) -> StoredFile | None:
        """The file, or None (never uploaded, deleted, expired, forgotten, another key's)."""
        with self._lock:
            stored = self._entries.get(file_id)
        if stored is None or stored.owner != owner:
            return None
        if stored.expires_at is not None and stored.expires_at <= time.time():
            return None
        return stored

    def owned_by(self, owner: bytes) -> list[StoredFile]:
        """``owner``'s files, oldest first."""
        with self._lock:
            files = list(self._entries.values())
        return [f for f in files if self.get(owner, f.id) is not None]

    def delete(self, owner: bytes, file_id: str) -> bool:
        """Forget one of ``owner``'s files; False when that key has no such file."""
        with self._lock:
            stored = self._entries.get(file_id)
            if stored is None or stored.owner != owner:
                return False
            del self._entries[file_id]
            return True

    def forget(self, file_id: str) -> bool:
        """Forget a file whoever uploaded it (a test making xAI lose it); False if unknown."""
        with self._lock:
            return self._entries.pop(file_id, None) is not None
