"""Document (PDF) content blocks: every ``file`` form LangChain users write, read into one
checked :class:`~xai_vision.documents.PreparedDocument`.

Standard v1 ``{"type": "file", "base64" | "url" | "file_id", "mime_type"}``, legacy v0
(``source_type``) and the OpenAI chat-completions ``{"type": "file", "file": {"filename",
"file_data": "data:application/pdf;base64,...", "file_id"}}`` that langchain-tests sends. Inline
PDFs are opened with PDFium here (a typed DocumentError naming the block); URLs and file ids
are kept as references.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xai_vision._base64 import b64decode_strict
from xai_vision.documents import PDF_MIME_TYPE, PreparedDocument, prepare_document
from xai_vision.errors import DocumentSourceError, RequestValidationError
from xai_vision.images import is_data_uri, is_http_url, parse_data_uri

__all__ = ["document_reference", "is_document_block"]


def is_document_block(block: Mapping[str, Any]) -> bool:
    """Whether a content block is a ``file`` block (PDFs; other types are refused when read)."""
    return block.get("type") == "file"


def document_reference(block: Mapping[str, Any], *, where: str = "content") -> PreparedDocument:
    """Read a ``file`` block in any LangChain form into a checked document.

    ``where`` names the block in errors (e.g. ``"message 2, block 1"``). A MIME type other than
    ``application/pdf`` is a RequestValidationError; bad PDF bytes a DocumentError.
    """
    _check_mime(block.get("mime_type"), where)
    file = block.get("file")
    if isinstance(file, Mapping):
        return _openai_file(file, where)
    filename = _filename(block)
    if "source_type" in block:
        return _v0_file(block, filename, where)
    if block.get("base64") is not None:
        return _inline(block.get("base64"), filename, where)
    if block.get("url") is not None:
        return _url(block.get("url"), filename, where)
    if block.get("file_id") is not None:
        return prepare_document(file_id=block.get("file_id"), filename=filename)
    raise RequestValidationError(
        f"{where}: file block has none of 'base64', 'url', 'file_id' or 'file'"
    )


def _check_mime(mime_type: object, where: str) -> None:
    if mime_type is not None and mime_type != PDF_MIME_TYPE:
        raise RequestValidationError(
            f"{where}: file blocks of type {mime_type!r} cannot be sent; xAI reads PDF documents "
            f"({PDF_MIME_TYPE}) and images (image blocks)"
        )


def _filename(block: Mapping[str, Any]) -> str | None:
    for holder in (block, block.get("extras"), block.get("metadata")):
        if isinstance(holder, Mapping) and isinstance(holder.get("filename"), str):
            return str(holder["filename"])
    return None


def _openai_file(file: Mapping[str, Any], where: str) -> PreparedDocument:
    """OpenAI chat completions' ``{"file": {"filename", "file_data" (a data URI) | "file_id"}}``."""
    filename = file.get("filename") if isinstance(file.get("filename"), str) else None
    if file.get("file_id") is not None:
        return prepare_document(file_id=file.get("file_id"), filename=filename)
    data = file.get("file_data")
    if isinstance(data, str) and is_data_uri(data):
        try:
            mime, payload = parse_data_uri(data)
        except ValueError as exc:
            raise DocumentSourceError(f"malformed data URI: {exc}", source=where) from None
        _check_mime(mime, where)
        return _checked(payload, filename, where)
    if isinstance(data, str) and data:
        return _inline(data, filename, where)
    raise RequestValidationError(f"{where}: a 'file' object needs 'file_data' or 'file_id'")


def _v0_file(block: Mapping[str, Any], filename: str | None, where: str) -> PreparedDocument:
    """Legacy v0 ``{"type": "file", "source_type": "base64" | "url" | "id", ...}``."""
    source_type = block.get("source_type")
    if source_type == "base64":
        return _inline(block.get("data"), filename, where)
    if source_type == "url":
        return _url(block.get("url"), filename, where)
    if source_type == "id":
        return prepare_document(file_id=block.get("id"), filename=filename)
    raise RequestValidationError(
        f"{where}: file source_type {source_type!r} is not supported (use base64, url or id)"
    )


def _inline(data: object, filename: str | None, where: str) -> PreparedDocument:
    if not isinstance(data, str) or not data:
        raise DocumentSourceError("base64 document data must be a non-empty string", source=where)
    try:
        payload = b64decode_strict(data)
    except ValueError:
        raise DocumentSourceError(
            "the base64 document data is not valid base64", source=where
        ) from None
    return _checked(payload, filename, where)


def _checked(payload: bytes, filename: str | None, where: str) -> PreparedDocument:
    """The PDF checked now; errors name the block (and its filename, when it has one)."""
    label = f"{where}, {filename}" if filename else where
    return prepare_document(payload, filename=filename, label=label)


def _url(value: object, filename: str | None, where: str) -> PreparedDocument:
    """An http(s) URL (xAI fetches it) or a data URI; never a local path from a block."""
    if isinstance(value, str) and is_data_uri(value):
        return _openai_file({"file_data": value, "filename": filename}, where)
    if not isinstance(value, str) or not is_http_url(value):
        raise DocumentSourceError(
            f"a document URL must be an http(s) URL or a data: URI, got {str(value)[:40]!r}",
            source=where,
        )
    return prepare_document(value, filename=filename)
