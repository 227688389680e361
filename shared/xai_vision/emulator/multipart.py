"""``multipart/form-data`` request bodies (RFC 7578), parsed as xAI's ``POST /v1/files`` reads
them: the parts in order, each with its name, its file name and content type when it has them,
and its bytes. A malformed body is a 400 :class:`~xai_vision.emulator.validation.Rejection`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from xai_vision.emulator.validation import Rejection

__all__ = ["FormPart", "boundary_of", "parse_form", "summarise_form"]

#: Longest text field kept whole in the request log (a longer one shows its size).
_LOGGED_TEXT = 200


@dataclass(frozen=True)
class FormPart:
    """One part of a form: its field name, file name and type (None when not given), bytes."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _params(value: str) -> tuple[str, dict[str, str]]:
    """A header value's first word and its ``; key=value`` parameters (quotes undone)."""
    fields: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    params: dict[str, str] = {}
    for field in fields[1:]:
        key, _, text = field.partition("=")
        params[key.strip().lower()] = text.strip()
    return fields[0].strip().lower(), params


def boundary_of(content_type: str) -> str | None:
    """The boundary of a ``multipart/form-data`` Content-Type; None for any other type."""
    if content_type.lstrip()[:19].lower() != "multipart/form-data":
        return None  # every JSON request asks: answer without parsing
    kind, params = _params(content_type)
    boundary = params.get("boundary")
    return boundary if kind == "multipart/form-data" and boundary else None


def _part(block: bytes, index: int) -> FormPart:
    head, separator, data = block.partition(b"\r\n\r\n")
    if not separator:
        raise Rejection(400, f"multipart part {index} has no blank line after its headers")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    kind, params = _params(headers.get("content-disposition", ""))
    if kind != "form-data" or not params.get("name"):
        raise Rejection(400, f"multipart part {index} has no Content-Disposition form-data name")
    filename = params.get("filename")
    encoded = params.get("filename*")
    if encoded and "''" in encoded:  # RFC 5987: charset''percent-encoded
        filename = unquote(encoded.split("''", 1)[1])
    elif filename is not None:
        filename = filename.replace("%22", '"')
    return FormPart(params["name"], filename, headers.get("content-type"), data)


def _next_delimiter(body: bytes, marker: bytes, start: int) -> int:
    """Where the next delimiter line starts: the marker followed by CRLF or ``--`` (the same
    characters followed by anything else are data)."""
    while True:
        found = body.find(marker, start)
        if found < 0:
            raise Rejection(400, "multipart body ends before its closing boundary")
        after = body[found + len(marker) : found + len(marker) + 2]
        if after in (b"\r\n", b"--"):
            return found
        start = found + 1


def parse_form(body: bytes, content_type: str) -> list[FormPart]:
    """The parts of a ``multipart/form-data`` body; 415 for another type, 400 when malformed."""
    boundary = boundary_of(content_type)
    if boundary is None:
        raise Rejection(415, "Expected request with `Content-Type: multipart/form-data`")
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise Rejection(400, "multipart body has no boundary line")
    parts: list[FormPart] = []
    position = start + len(delimiter)
    while True:
        if body.startswith(b"--", position):
            return parts
        if not body.startswith(b"\r\n", position):
            raise Rejection(400, "multipart boundary line is malformed")
        end = _next_delimiter(body, b"\r\n" + delimiter, position + 2)
        parts.append(_part(body[position + 2 : end], len(parts)))
        position = end + 2 + len(delimiter)


def summarise_form(parts: list[FormPart]) -> dict[str, Any]:
    """What the request log keeps of a form: text fields, and for each file its name, type,
    size and SHA-256 (never its bytes)."""
    summary: dict[str, Any] = {}
    for part in parts:
        if part.filename is None and len(part.data) <= _LOGGED_TEXT:
            summary[part.name] = part.data.decode("utf-8", errors="replace")
        else:
            summary[part.name] = {
                "filename": part.filename,
                "content_type": part.content_type,
                "bytes": len(part.data),
                "sha256": hashlib.sha256(part.data).hexdigest(),
            }
    return summary
