"""xAI's Files API (``/v1/files``) on the existing clients: ``client.files``.

:class:`Files` (on :class:`~xai_vision.client.XAIClient`) and :class:`AsyncFiles` (on
:class:`~xai_vision.client.AsyncXAIClient`) have the same methods: ``upload``, ``list``,
``get``, ``content``, ``delete`` and ``file_id_for``. They go through their client's one
connection pool, key, timeout, retries and typed errors.

An upload is a multipart body with a Content-Length, streamed from disk in chunks (a file is
never read whole into memory) and re-read from the start when a retry resends it. The size
limit (:data:`MAX_FILE_BYTES`) is checked before anything is sent.

``file_id_for(data, filename)`` is content-addressed: the same bytes (by SHA-256) are uploaded
once per client, concurrent callers of the same bytes share one upload, and a
:class:`FileIdCache` with a path remembers the ids across processes (a JSON file keyed by base
URL, written atomically, holding no key). An id read from that file is checked with ``GET
/v1/files/{id}`` on its first use in a cache object; one xAI no longer has is uploaded again.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import hashlib
import logging
import mimetypes
import os
import secrets
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from xai_vision import _json
from xai_vision.errors import (
    FileTooLargeError,
    NotFoundError,
    RequestValidationError,
    ResponseParseError,
)
from xai_vision.models import parse_model

if TYPE_CHECKING:
    import httpx

    from xai_vision.client import AsyncXAIClient, XAIClient

__all__ = [
    "MAX_FILE_BYTES",
    "AsyncFiles",
    "FileDeleted",
    "FileIdCache",
    "FileObject",
    "FileSource",
    "Files",
    "ProgressCallback",
]

#: The largest file the Files API takes, in bytes (xAI's sources say 48 MB or 50 MB: the
#: stricter one).
MAX_FILE_BYTES: Final = 48_000_000
#: Bytes read from disk (and handed to the connection) at a time.
UPLOAD_CHUNK_BYTES: Final = 512 * 1024
#: Files asked for per page when listing (xAI's maximum).
_PAGE_SIZE: Final = 100
_CACHE_VERSION: Final = 1

#: A path (str or PathLike) streamed from disk, or the bytes themselves.
FileSource = str | os.PathLike[str] | bytes | bytearray | memoryview
#: ``on_progress(sent_bytes, total_bytes)``: the file's bytes handed to the connection so far.
ProgressCallback = Callable[[int, int], None]

logger = logging.getLogger("xai_vision")


# --------------------------------------------------------------------------- wire objects


class FileObject(BaseModel):
    """A stored file, as xAI describes it (``GET /v1/files/{id}``, an upload's answer)."""

    model_config = ConfigDict(frozen=True)

    id: str
    filename: str
    bytes: int
    created_at: int
    object: str = "file"
    purpose: str | None = None
    #: Unix seconds when xAI forgets the file; None when it is kept until deleted.
    expires_at: int | None = None


class FileDeleted(BaseModel):
    """The answer to ``DELETE /v1/files/{id}``."""

    model_config = ConfigDict(frozen=True)

    id: str
    deleted: bool
    object: str = "file"


def _file_list(data: Any) -> tuple[builtins.list[FileObject], str | None]:
    if not isinstance(data, dict) or not isinstance(data.get("data"), builtins.list):
        raise ResponseParseError(f"the file list has no 'data' array: {str(data)[:200]}")
    token = data.get("pagination_token")
    files = [parse_model(FileObject, item, "a listed file") for item in data["data"]]
    return files, token if isinstance(token, str) and token else None


class _Pages:
    """The walk through ``GET /v1/files`` pages: the next page's path (None when done) and
    the files gathered so far; a repeated token ends it."""

    def __init__(self) -> None:
        self.files: builtins.list[FileObject] = []
        self._token: str | None = None
        self._seen: set[str] = set()
        self._done = False

    def next_path(self) -> str | None:
        if self._done:
            return None
        path = f"/files?limit={_PAGE_SIZE}"
        if self._token is not None:
            path += f"&pagination_token={quote(self._token, safe='')}"
        return path

    def add(self, data: Any) -> None:
        page, self._token = _file_list(data)
        self.files += page
        token = self._token
        self._done = len(page) < _PAGE_SIZE or token is None or token in self._seen
        if token is not None:
            self._seen.add(token)


# --------------------------------------------------------------------------- the upload body


@dataclass(frozen=True)
class _Upload:
    """One file to send: where its bytes are, what it is called, and the multipart framing."""

    label: str
    filename: str
    size: int
    path: Path | None
    data: bytes | None
    head: bytes
    tail: bytes

    @property
    def length(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def changed(self) -> RequestValidationError:
        return RequestValidationError(
            f"file {self.label} changed while it was being uploaded (expected {self.size} bytes)"
        )


def check_filename(filename: Any, where: str = "filename") -> str:
    """``filename`` as xAI's Files API takes it: a non-empty name without path separators or
    control characters (:class:`~xai_vision.errors.RequestValidationError` otherwise)."""
    if not isinstance(filename, str) or not filename.strip():
        raise RequestValidationError(f"{where} must be a non-empty str, got {filename!r}")
    if not filename.isprintable() or "/" in filename or "\\" in filename:
        raise RequestValidationError(
            f"{where}={filename!r} is invalid: a file name without path separators or"
            " control characters"
        )
    return filename


def _check_purpose(purpose: Any) -> str:
    if not isinstance(purpose, str) or not purpose.isprintable():
        raise RequestValidationError(f"purpose must be a printable str, got {purpose!r}")
    return purpose


def _quoted(text: str) -> str:
    """A multipart header parameter value (the escaping browsers and httpx use)."""
    return text.replace("\\", "\\\\").replace('"', "%22")


def _framing(filename: str, mime_type: str, purpose: str) -> tuple[bytes, bytes, str]:
    """The multipart head (the ``purpose`` field, then the ``file`` part's headers), its tail
    and the request's Content-Type."""
    boundary = f"xai-vision-{secrets.token_hex(16)}"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="purpose"\r\n\r\n'
        f"{purpose}\r\n"
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{_quoted(filename)}"\r\n'
        f"Content-Type: {mime_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, f"multipart/form-data; boundary={boundary}"


def _mime_type(filename: str, mime_type: str | None) -> str:
    if mime_type is None:
        return mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if not isinstance(mime_type, str) or "/" not in mime_type or not mime_type.isprintable():
        raise RequestValidationError(f"mime_type={mime_type!r} is invalid: expected e.g. 'a/b'")
    return mime_type


def _bytes_of(data: Any, where: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise RequestValidationError(
        f"{where} has type {type(data).__name__}: expected bytes, bytearray or memoryview"
    )


def _prepare(
    source: Any, filename: str | None, mime_type: str | None, purpose: str
) -> tuple[_Upload, str]:
    """The upload of ``source`` and its Content-Type; every check before anything is sent."""
    purpose = _check_purpose(purpose)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = str(path)
        try:
            info = path.stat()
        except OSError as exc:
            raise RequestValidationError(f"file {label} cannot be read: {exc.strerror}") from exc
        if not path.is_file():
            raise RequestValidationError(f"file {label} is not a regular file")
        size, data = info.st_size, None
        name = check_filename(filename if filename is not None else path.name)
    else:
        data = _bytes_of(source, "source")
        size, path = len(data), None
        if filename is None:
            raise RequestValidationError(
                f"filename is needed to upload bytes[{size}]: xAI records the file's name"
            )
        name = check_filename(filename)
        label = f"{name} (bytes[{size}])"
    if size > MAX_FILE_BYTES:
        raise FileTooLargeError(label, size, MAX_FILE_BYTES)
    head, tail, content_type = _framing(name, _mime_type(name, mime_type), purpose)
    return _Upload(label, name, size, path, data, head, tail), content_type


def _body(upload: _Upload, on_progress: ProgressCallback | None) -> Iterator[bytes]:
    """The multipart body in pieces: the file read a chunk at a time (a fresh walk per call,
    so a retry resends it from the start)."""
    yield upload.head
    sent = 0
    if upload.data is not None:
        for start in range(0, upload.size, UPLOAD_CHUNK_BYTES):
            chunk = upload.data[start : start + UPLOAD_CHUNK_BYTES]
            yield chunk
            sent += len(chunk)
            if on_progress is not None:
                on_progress(sent, upload.size)
    else:
        assert upload.path is not None
        with upload.path.open("rb") as file:
            while sent < upload.size:
                chunk = file.read(min(UPLOAD_CHUNK_BYTES, upload.size - sent))
                if not chunk:
                    raise upload.changed()
                yield chunk
                sent += len(chunk)
                if on_progress is not None:
                    on_progress(sent, upload.size)
            if file.read(1):
                raise upload.changed()
    if upload.size == 0 and on_progress is not None:
        on_progress(0, 0)
    yield upload.tail


async def _abody(upload: _Upload, on_progress: ProgressCallback | None) -> AsyncIterator[bytes]:
    """:func:`_body` for an async client: disk reads run in a worker thread."""
    if upload.path is None:
        for piece in _body(upload, on_progress):
            yield piece
        return
    yield upload.head
    sent = 0
    file: IO[bytes] = await asyncio.to_thread(upload.path.open, "rb")
    try:
        while sent < upload.size:
            want = min(UPLOAD_CHUNK_BYTES, upload.size - sent)
            chunk = await asyncio.to_thread(file.read, want)
            if not chunk:
                raise upload.changed()
            yield chunk
            sent += len(chunk)
            if on_progress is not None:
                on_progress(sent, upload.size)
        if await asyncio.to_thread(file.read, 1):
            raise upload.changed()
    finally:
        await asyncio.to_thread(file.close)
    if upload.size == 0 and on_progress is not None:
        on_progress(0, 0)
    yield upload.tail


def resource_path(collection: str, name: str, resource_id: Any, suffix: str = "") -> str:
    """``/{collection}/{id}{suffix}`` (a file, a batch), the id escaped; RequestValidationError
    naming ``name`` when it is no id (empty, not text, or holding a path, query, space or
    control character), before any request."""
    if (
        not isinstance(resource_id, str)
        or not resource_id
        or not resource_id.isprintable()
        or any(c in resource_id for c in "/\\?# ")
    ):
        raise RequestValidationError(
            f"{name}={resource_id!r} is invalid: expected an id like {name.removesuffix('_id')}_…"
        )
    return f"/{collection}/{quote(resource_id, safe='')}{suffix}"


def _file_path(file_id: str, suffix: str = "") -> str:
    return resource_path("files", "file_id", file_id, suffix)


# --------------------------------------------------------------------------- the id cache


@dataclass
class _CachedId:
    file_id: str
    #: Whether this process has seen xAI hold the id (uploaded here, or checked once).
    verified: bool


class FileIdCache:
    """Which bytes are already uploaded, per base URL: SHA-256 of the bytes -> file id.

    In memory only (``FileIdCache()``), or also in the JSON file at ``path``, read on first
    use and rewritten atomically (a temporary file renamed over it) after each new upload, so
    later processes reuse the ids. The file holds base URLs, digests, ids, names and sizes:
    never a key. Ids read from it are marked unverified until ``client.files`` has checked
    them once. Thread-safe; share one object between clients to share what it knows.
    Processes writing the same file at once may each lose the other's newest entry: those
    bytes are then uploaded once more, never given a wrong id.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise RequestValidationError(
                f"file cache path has type {type(path).__name__}: expected a str or PathLike"
            )
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _CachedId] = {}
        self._loaded = self.path is None

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "memory"
        return f"FileIdCache({where}, {len(self._entries)} ids)"

    def lookup(self, base_url: str, digest: str) -> tuple[str, bool] | None:
        """``(file id, verified)`` for the bytes with this SHA-256 hex digest, else None."""
        with self._lock:
            self._load()
            entry = self._entries.get((base_url, digest))
            return None if entry is None else (entry.file_id, entry.verified)

    def mark_verified(self, base_url: str, digest: str, file_id: str) -> None:
        """Note that xAI still holds ``file_id`` (no further check in this object)."""
        with self._lock:
            entry = self._entries.get((base_url, digest))
            if entry is not None and entry.file_id == file_id:
                entry.verified = True

    def remember(self, base_url: str, digest: str, file: FileObject) -> None:
        """Keep the id of bytes just uploaded (and write the file, when there is one)."""
        with self._lock:
            self._load()
            self._entries[(base_url, digest)] = _CachedId(file.id, verified=True)
            entry = {
                "id": file.id,
                "filename": file.filename,
                "bytes": file.bytes,
                "stored_at": int(time.time()),
            }
            self._write(lambda data: data.setdefault(base_url, {}).__setitem__(digest, entry))

    def forget(self, base_url: str, file_id: str) -> None:
        """Drop every entry naming ``file_id`` (deleted, or gone from xAI)."""
        with self._lock:
            self._load()
            gone = [
                k for k, v in self._entries.items() if k[0] == base_url and v.file_id == file_id
            ]
            for key in gone:
                del self._entries[key]
            if gone:

                def drop(data: dict[str, dict[str, Any]]) -> None:
                    entries = data.get(base_url, {})
                    for digest in [d for d, e in entries.items() if e.get("id") == file_id]:
                        del entries[digest]

                self._write(drop)

    # ---------------------------------------------------------------- the file

    def _read(self) -> dict[str, dict[str, Any]]:
        """The file's ``files`` map; empty (with a warning) when it is missing or unreadable:
        a cache never stops an upload."""
        assert self.path is not None
        try:
            data = _json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, _json.JSONDecodeError) as exc:
            logger.warning("file id cache %s is unreadable (%s): starting empty", self.path, exc)
            return {}
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict) or data.get("version") != _CACHE_VERSION:
            logger.warning("file id cache %s has an unknown shape: starting empty", self.path)
            return {}
        return {
            str(url): {str(d): e for d, e in entries.items() if isinstance(e, dict)}
            for url, entries in files.items()
            if isinstance(entries, dict)
        }

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for base_url, entries in self._read().items():
            for digest, entry in entries.items():
                file_id = entry.get("id")
                if isinstance(file_id, str) and (base_url, digest) not in self._entries:
                    self._entries[(base_url, digest)] = _CachedId(file_id, verified=False)

    def _write(self, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
        """Apply ``change`` to the file as it is now (other processes' entries kept) and
        replace it atomically; a failure to write is logged, never raised."""
        if self.path is None:
            return
        data = self._read()
        change(data)
        payload = _json.dumps({"version": _CACHE_VERSION, "files": data})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(payload)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            logger.warning("file id cache %s could not be written: %s", self.path, exc)


def resolve_file_cache(value: Any) -> FileIdCache:
    """A client's ``file_cache`` argument as a :class:`FileIdCache` (None: memory only)."""
    if value is None:
        return FileIdCache()
    if isinstance(value, FileIdCache):
        return value
    if isinstance(value, (str, os.PathLike)):
        return FileIdCache(value)
    raise RequestValidationError(
        f"file_cache has type {type(value).__name__}: expected a path or a FileIdCache"
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- the namespaces


class _FilesBase:
    """What both namespaces share: each request's URL and headers, each answer's parsing and
    the id cache's bookkeeping, so a method of either is its I/O alone."""

    def __init__(self, client: XAIClient | AsyncXAIClient, cache: FileIdCache) -> None:
        self._client = client
        self.cache = cache

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._client.base_url!r}, cache={self.cache!r})"

    def _headers(
        self,
        *,
        content_type: str | None = None,
        length: int | None = None,
        accept: str = "application/json",
    ) -> dict[str, str]:
        headers = self._client._call_headers(None)
        headers["Accept"] = accept
        if content_type is not None:
            headers["Content-Type"] = content_type
            headers["Content-Length"] = str(length)
        return headers

    def _upload_parts(
        self, source: Any, filename: str | None, mime_type: str | None, purpose: str
    ) -> tuple[_Upload, str, dict[str, str]]:
        upload, content_type = _prepare(source, filename, mime_type, purpose)
        headers = self._headers(content_type=content_type, length=upload.length)
        logger.debug(
            "POST %s/files %s bytes=%d", self._client.base_url, upload.filename, upload.size
        )
        return upload, self._client._api_url("/files"), headers

    def _uploaded(self, response: httpx.Response) -> FileObject:
        return parse_model(FileObject, self._json(response, "/files"), "the upload's answer")

    @staticmethod
    def _file(data: Any) -> FileObject:
        return parse_model(FileObject, data, "the file")

    def _content_request(self, file_id: str) -> tuple[str, dict[str, str]]:
        url = self._client._api_url(_file_path(file_id, "/content"))
        return url, self._headers(accept="application/octet-stream, */*")

    def _delete_url(self, file_id: str) -> str:
        return self._client._api_url(_file_path(file_id))

    def _deleted(self, response: httpx.Response, file_id: str) -> FileDeleted:
        """The deletion's answer; the id is forgotten in the cache."""
        data = self._json(response, _file_path(file_id))
        deleted = parse_model(FileDeleted, data, "the deletion")
        self.cache.forget(self._client.base_url, file_id)
        return deleted

    @staticmethod
    def _payload(data: Any, filename: Any) -> tuple[bytes, str]:
        payload = _bytes_of(data, "data")
        name = check_filename(filename)
        if len(payload) > MAX_FILE_BYTES:
            raise FileTooLargeError(f"{name} (bytes[{len(payload)}])", len(payload), MAX_FILE_BYTES)
        return payload, name

    def _cached(self, digest: str) -> tuple[str, bool] | None:
        """``(file id, verified)`` the cache holds for these bytes, else None."""
        return self.cache.lookup(self._client.base_url, digest)

    def _kept(self, digest: str, file_id: str, still_there: bool) -> bool:
        """Note in the cache whether xAI still holds ``file_id``; True when it does."""
        if still_there:
            self.cache.mark_verified(self._client.base_url, digest, file_id)
        else:
            self.cache.forget(self._client.base_url, file_id)
        return still_there

    def _remembered(self, digest: str, file: FileObject) -> str:
        self.cache.remember(self._client.base_url, digest, file)
        return file.id

    @staticmethod
    def _gone(file_id: str) -> bool:
        logger.info("cached file id %s is gone from xAI: uploading again", file_id)
        return False

    def _json(self, response: httpx.Response, path: str) -> Any:
        return self._client._parse_json(response, self._client._api_url(path))


class Files(_FilesBase):
    """``XAIClient.files``: xAI's Files API through the client's pool, retries and errors."""

    _client: XAIClient

    def __init__(self, client: XAIClient, cache: FileIdCache) -> None:
        super().__init__(client, cache)
        #: digest -> (the lock of its upload, the callers holding or waiting for it)
        self._flights: dict[str, tuple[threading.Lock, int]] = {}
        self._flights_lock = threading.Lock()

    def upload(
        self,
        source: FileSource,
        *,
        filename: str | None = None,
        purpose: str = "assistants",
        mime_type: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> FileObject:
        """Upload a path (streamed from disk) or bytes; ``filename`` defaults to the path's
        name (bytes need one). ``on_progress(sent, total)`` follows the file's bytes."""
        upload, url, headers = self._upload_parts(source, filename, mime_type, purpose)
        return self._uploaded(
            self._client._send("POST", url, lambda: _body(upload, on_progress), headers)
        )

    def list(self) -> builtins.list[FileObject]:
        """Every file of the key's team (all pages of ``GET /v1/files``)."""
        pages = _Pages()
        while (path := pages.next_path()) is not None:
            pages.add(self._client.get_json(path))
        return pages.files

    def get(self, file_id: str) -> FileObject:
        """One file's metadata; NotFoundError when xAI has no such file."""
        return self._file(self._client.get_json(_file_path(file_id)))

    def content(self, file_id: str) -> bytes:
        """The file's bytes (``GET /v1/files/{id}/content``)."""
        url, headers = self._content_request(file_id)
        return self._client._send("GET", url, lambda: None, headers).content

    def delete(self, file_id: str) -> FileDeleted:
        """Delete a file (and forget it in the id cache); NotFoundError when there is none."""
        url = self._delete_url(file_id)
        response = self._client._send("DELETE", url, lambda: None, self._headers())
        return self._deleted(response, file_id)

    def file_id_for(self, data: bytes, filename: str, *, mime_type: str | None = None) -> str:
        """The id of a file holding ``data``: uploaded once per client (by SHA-256), reused
        from the cache (an id from disk checked once; uploaded again when xAI lost it)."""
        payload, name = self._payload(data, filename)
        digest = _digest(payload)
        with self._flight(digest):
            found = self._cached(digest)
            if found is not None:
                file_id, verified = found
                if self._kept(digest, file_id, verified or self._still_there(file_id)):
                    return file_id
            return self._remembered(
                digest, self.upload(payload, filename=name, mime_type=mime_type)
            )

    def _still_there(self, file_id: str) -> bool:
        try:
            self.get(file_id)
        except NotFoundError:
            return self._gone(file_id)
        return True

    @contextlib.contextmanager
    def _flight(self, digest: str) -> Iterator[None]:
        """One caller at a time for the same bytes (threads share one upload); the lock is
        dropped when its last caller leaves."""
        with self._flights_lock:
            lock, users = self._flights.get(digest, (threading.Lock(), 0))
            self._flights[digest] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._flights_lock:
                lock, users = self._flights[digest]
                if users == 1:
                    del self._flights[digest]
                else:
                    self._flights[digest] = (lock, users - 1)


class AsyncFiles(_FilesBase):
    """``AsyncXAIClient.files``: :class:`Files` as coroutines."""

    _client: AsyncXAIClient

    def __init__(self, client: AsyncXAIClient, cache: FileIdCache) -> None:
        super().__init__(client, cache)
        self._flights: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Task[str]]] = {}

    async def upload(
        self,
        source: FileSource,
        *,
        filename: str | None = None,
        purpose: str = "assistants",
        mime_type: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> FileObject:
        """Upload a path (streamed from disk) or bytes; ``filename`` defaults to the path's
        name (bytes need one). ``on_progress(sent, total)`` follows the file's bytes."""
        upload, url, headers = self._upload_parts(source, filename, mime_type, purpose)
        return self._uploaded(
            await self._client._send("POST", url, lambda: _abody(upload, on_progress), headers)
        )

    async def list(self) -> builtins.list[FileObject]:
        """Every file of the key's team (all pages of ``GET /v1/files``)."""
        pages = _Pages()
        while (path := pages.next_path()) is not None:
            pages.add(await self._client.get_json(path))
        return pages.files

    async def get(self, file_id: str) -> FileObject:
        """One file's metadata; NotFoundError when xAI has no such file."""
        return self._file(await self._client.get_json(_file_path(file_id)))

    async def content(self, file_id: str) -> bytes:
        """The file's bytes (``GET /v1/files/{id}/content``)."""
        url, headers = self._content_request(file_id)
        return (await self._client._send("GET", url, lambda: None, headers)).content

    async def delete(self, file_id: str) -> FileDeleted:
        """Delete a file (and forget it in the id cache); NotFoundError when there is none."""
        url = self._delete_url(file_id)
        response = await self._client._send("DELETE", url, lambda: None, self._headers())
        return self._deleted(response, file_id)

    async def file_id_for(self, data: bytes, filename: str, *, mime_type: str | None = None) -> str:
        """The id of a file holding ``data``: uploaded once per client (by SHA-256; callers
        of the same bytes at once share one upload), reused from the cache (an id from disk
        checked once; uploaded again when xAI lost it)."""
        payload, name = self._payload(data, filename)
        digest = (
            await asyncio.to_thread(_digest, payload)
            if len(payload) > UPLOAD_CHUNK_BYTES
            else _digest(payload)
        )
        loop = asyncio.get_running_loop()
        flight = self._flights.get(digest)
        if flight is None or flight[0] is not loop or flight[1].done():
            task = loop.create_task(self._resolve(payload, name, digest, mime_type))
            self._flights[digest] = (loop, task)
            task.add_done_callback(lambda done: self._landed(digest, done))
            flight = (loop, task)
        return await asyncio.shield(flight[1])

    def _landed(self, digest: str, task: asyncio.Task[str]) -> None:
        if not task.cancelled():
            task.exception()  # retrieved: every waiter got it already
        if self._flights.get(digest, (None, None))[1] is task:
            del self._flights[digest]

    async def _resolve(self, payload: bytes, name: str, digest: str, mime_type: str | None) -> str:
        found = self._cached(digest)
        if found is not None:
            file_id, verified = found
            if self._kept(digest, file_id, verified or await self._still_there(file_id)):
                return file_id
        return self._remembered(
            digest, await self.upload(payload, filename=name, mime_type=mime_type)
        )

    async def _still_there(self, file_id: str) -> bool:
        try:
            await self.get(file_id)
        except NotFoundError:
            return self._gone(file_id)
        return True
