"""Documents in requests: chat ``file`` parts and responses ``input_file`` (as ``file`` parts).

Inline data (responses only) and ``file_id`` (the files store, by the caller's key) are read
with pypdfium2, so the answer can name the page count and quote the first page; a PDF PDFium
cannot read is a 400, as xAI answers. A ``file_url`` / ``url`` is never fetched (the emulator
reaches no document URL): the answer says so.
"""

from __future__ import annotations

import asyncio
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from xai_vision._base64 import b64decode_strict
from xai_vision.documents import read_pdf
from xai_vision.emulator.file_store import FileStore
from xai_vision.emulator.validation import Rejection
from xai_vision.errors import DocumentError

__all__ = ["DocumentFacts", "FileReader", "check_documents", "file_reader"]

#: Reads an uploaded file by id: its bytes and name (None: the caller's key has no such file).
FileReader = Callable[[str], tuple[bytes, str] | None]
_QUOTE_CHARS = 200


def file_reader(files: FileStore, owner: bytes) -> FileReader:
    """Reads ``owner``'s uploaded files (the caller's key), as a request's ``file_id`` does."""

    def read(file_id: str) -> tuple[bytes, str] | None:
        stored = files.get(owner, file_id)
        return None if stored is None else (stored.data, stored.filename)

    return read


@dataclass(frozen=True)
class DocumentFacts:
    """What the answer says about one document."""

    name: str
    page_count: int | None = None
    first_page_text: str = ""

    def describe(self) -> str:
        """``report.pdf, 3 pages; page 1 reads: "..."`` (a URL: not read)."""
        if self.page_count is None:
            return f"{self.name} (not read: the emulator fetches no document URLs)"
        pages = f"{self.page_count} page{'s' if self.page_count != 1 else ''}"
        quote = self.first_page_text[:_QUOTE_CHARS]
        return f'{self.name}, {pages}; page 1 reads: "{quote}"'


async def check_documents(
    messages: Sequence[dict[str, Any]],
    paths: Sequence[str],
    read_file: FileReader | None,
    *,
    inline: bool,
) -> list[DocumentFacts]:
    """The documents of ``messages`` in order, read; a Rejection for what xAI refuses.

    ``inline``: whether ``file_data`` may appear (responses' ``input_file``; chat completions'
    ``file`` part takes ``file_id`` or ``url`` only).
    """
    found: list[DocumentFacts] = []
    for i, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "file":
                where = f"{paths[i]}.content[{j}]"
                found.append(await _document(part.get("file"), where, read_file, inline=inline))
    return found


async def _document(
    file: Any, where: str, read_file: FileReader | None, *, inline: bool
) -> DocumentFacts:
    if not isinstance(file, dict):
        raise Rejection(422, f"{where}: a file part needs a `file` object")
    sources = [key for key in ("file_id", "url", "file_data") if file.get(key) is not None]
    if len(sources) != 1:
        raise Rejection(400, f"{where}: give exactly one of file_id, file_url or file_data")
    key = sources[0]
    value = file[key]
    if not isinstance(value, str) or not value:
        raise Rejection(422, f"{where}.{key}: expected a non-empty string")
    if key == "url":
        return DocumentFacts(value)
    if key == "file_data":
        if not inline:
            raise Rejection(
                400,
                f"{where}: file_data is not supported here: upload the file (POST /v1/files) "
                "and send its file_id",
            )
        try:
            data = b64decode_strict(value)
        except binascii.Error:
            raise Rejection(400, f"{where}.file_data: not valid base64") from None
        name = file.get("filename") or "document"
    else:
        stored = read_file(value) if read_file is not None else None
        if stored is None:
            raise Rejection(404, f"{where}: file {value} not found")
        data, name = stored
    return await asyncio.get_running_loop().run_in_executor(None, _read, data, str(name), where)


def _read(data: bytes, name: str, where: str) -> DocumentFacts:
    try:
        summary = read_pdf(data, source=name)
    except DocumentError as exc:
        reason = f"the file could not be read as a PDF: {exc.reason}"
        raise Rejection(400, f"{where}: {reason}") from None
    return DocumentFacts(name, summary.page_count, summary.first_page_text)
