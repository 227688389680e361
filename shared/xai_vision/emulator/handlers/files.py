"""The Files API: ``POST /v1/files`` (a multipart form: ``file``, optional ``purpose`` and
``expires_after``), ``GET /v1/files`` (paged), ``GET`` / ``DELETE /v1/files/{file_id}`` and
``GET /v1/files/{file_id}/content``.

Files are kept in ``state.files`` (:class:`~xai_vision.emulator.file_store.FileStore`) under
the uploading key. A file over :data:`~xai_vision.files.MAX_FILE_BYTES` is a 413; an id this
key does not have is a 404 in xAI's flat error body. Injected faults (``fail_next``, resets,
latency) apply here as they do to the answering endpoints, so clients' retries can be tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xai_vision.emulator.file_store import StoredFile
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.handlers.answering import inject_request_faults
from xai_vision.emulator.http11 import Exchange
from xai_vision.emulator.validation import Rejection
from xai_vision.files import MAX_FILE_BYTES

__all__ = ["delete_file", "get_file", "get_file_content", "list_files", "upload_file"]

#: ``expires_after`` bounds, in seconds (one hour to 30 days).
_EXPIRES_AFTER = (3600, 2_592_000)
_SORT_KEYS = {
    "created_at": lambda f: (f.created_at, f.sequence),
    "filename": lambda f: (f.filename, f.sequence),
    "size": lambda f: (len(f.data), f.sequence),
}


def _not_found(file_id: str) -> Rejection:
    return Rejection(404, f"File with id {file_id!r} not found.")


def _expires_after(text: str) -> int:
    try:
        seconds = int(text.strip())
    except ValueError:
        raise Rejection(400, f"expires_after must be an integer, got {text[:40]!r}") from None
    low, high = _EXPIRES_AFTER
    if not low <= seconds <= high:
        raise Rejection(400, f"expires_after must be between {low} and {high}, got {seconds}")
    return seconds


async def upload_file(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """Store the form's ``file`` part under its multipart file name; the ``File`` object."""
    if not await inject_request_faults(context, exchange):
        return
    request = exchange.request
    parts = request.form
    purpose = ""
    expires_after: int | None = None
    file = None
    for part in parts:
        if part.name == "file":
            file = part
        elif part.name == "purpose":
            purpose = part.data.decode("utf-8", errors="replace")
        elif part.name == "expires_after":
            if file is not None:
                raise Rejection(400, "expires_after must come before file in the multipart body")
            expires_after = _expires_after(part.data.decode("utf-8", errors="replace"))
    if file is None or not file.filename:
        raise Rejection(400, "Missing or unnamed `file` part in the multipart body")
    if len(file.data) > MAX_FILE_BYTES:
        raise Rejection(
            413,
            f"File too large: {len(file.data)} bytes; the limit is {MAX_FILE_BYTES} bytes.",
        )
    stored = context.state.files.put(
        exchange.request.owner(), file.filename, purpose, file.data, expires_after=expires_after
    )
    await exchange.send_json(200, stored.to_json())


def _page(files: list[StoredFile], query: Mapping[str, str]) -> dict[str, Any]:
    try:
        limit = int(query.get("limit", "100"))
    except ValueError:
        raise Rejection(400, f"limit must be an integer, got {query['limit']!r}") from None
    if not 1 <= limit <= 100:
        raise Rejection(400, f"limit must be between 1 and 100, got {limit}")
    order = query.get("order", "desc")
    sort_by = query.get("sort_by", "created_at")
    if order not in ("asc", "desc") or sort_by not in _SORT_KEYS:
        raise Rejection(
            400, f"order must be asc or desc and sort_by one of {', '.join(_SORT_KEYS)}"
        )
    ordered = sorted(files, key=_SORT_KEYS[sort_by], reverse=order == "desc")
    token = query.get("pagination_token") or query.get("after")
    start = 0
    if token:
        ids = [f.id for f in ordered]
        if token not in ids:
            raise Rejection(400, f"pagination_token {token[:80]!r} is not a file of this list")
        start = ids.index(token) + 1
    page = ordered[start : start + limit]
    return {
        "data": [f.to_json() for f in page],
        "pagination_token": page[-1].id if page else None,
    }


async def list_files(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """The key's files, a page at a time (``limit``, ``order``, ``sort_by``,
    ``pagination_token``: the last id of the previous page)."""
    if not await inject_request_faults(context, exchange):
        return
    files = context.state.files.owned_by(exchange.request.owner())
    await exchange.send_json(200, _page(files, exchange.request.query()))


def _stored(context: HandlerContext, exchange: Exchange, file_id: str) -> StoredFile:
    stored = context.state.files.get(exchange.request.owner(), file_id)
    if stored is None:
        raise _not_found(file_id)
    return stored


async def get_file(context: HandlerContext, exchange: Exchange, params: Mapping[str, str]) -> None:
    """One file's ``File`` object; 404 for an id this key does not have."""
    if not await inject_request_faults(context, exchange):
        return
    await exchange.send_json(200, _stored(context, exchange, params["file_id"]).to_json())


async def get_file_content(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """One file's bytes, as ``application/octet-stream``."""
    if not await inject_request_faults(context, exchange):
        return
    stored = _stored(context, exchange, params["file_id"])
    await exchange.send(200, stored.data, content_type="application/octet-stream")


async def delete_file(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """Forget a file (``{"id", "object": "file", "deleted": true}``); 404 when there is none."""
    if not await inject_request_faults(context, exchange):
        return
    file_id = params["file_id"]
    if not context.state.files.delete(exchange.request.owner(), file_id):
        raise _not_found(file_id)
    await exchange.send_json(200, {"id": file_id, "object": "file", "deleted": True})
