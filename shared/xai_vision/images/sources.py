"""Source dispatch: what a source is (URL, data URI, path, bytes, file object, base64), its bytes.

:func:`read_source` looks at a source once and returns either a :class:`RemoteSource` (an
http(s) URL, kept for xAI to fetch) or an :class:`InlineSource` (the bytes, a label for errors,
and the caller's data URI when the bytes came as one). Nothing here opens an image: the same
dispatch can serve any inline payload (documents too). Data URIs are parsed and built here, and
the small URL checks every adapter needs live here, written once.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeAlias, Union

from xai_vision._base64 import b64decode_strict, b64decode_strict_from, b64encode_str
from xai_vision.errors import ImageSourceError, ImageTooLargeError
from xai_vision.images.formats import MIME_TYPES, detect_image_format

#: Every source :func:`read_source` takes (``prepare_image`` also takes a ``PIL.Image.Image``).
Source: TypeAlias = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]

_SOURCE_KINDS = "a path, bytes, a binary file, an http(s) URL, a data URI or base64 text"


@dataclass(frozen=True, slots=True)
class InlineSource:
    """Bytes to send inline. ``data_uri`` is the caller's data URI holding them, if they came so."""

    data: bytes
    label: str
    data_uri: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteSource:
    """An http(s) URL that xAI fetches itself, checked to parse and name a host."""

    url: str
    label: str


@dataclass(frozen=True, slots=True)
class _Named:
    """The source being read, as errors name it."""

    label: str
    index: int | None

    def error(self, reason: str) -> ImageSourceError:
        return ImageSourceError(reason, source=self.label, index=self.index)


# --------------------------------------------------------------------------- URLs


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(text: str) -> str | None:
    """The lower-cased URL scheme ``text`` starts with, or None.

    A one-letter "scheme" is a Windows drive letter (``C:\\...``), i.e. a path: None.
    """
    match = _SCHEME.match(text)
    if match is None or len(match.group(1)) == 1:
        return None
    return match.group(1).lower()


def is_http_url(text: str) -> bool:
    """Whether ``text`` starts with ``http://`` or ``https://`` (any case; reads the head only)."""
    return text[:8].lower().startswith(("http://", "https://"))


def is_data_uri(text: str) -> bool:
    """Whether ``text`` starts with ``data:`` (any case; never lower-cases a whole payload)."""
    return text[:5].lower() == "data:"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


# --------------------------------------------------------------------------- data URIs

#: The header of a data URI; the payload after it is validated as it is decoded, from the URI.
_DATA_URI_HEADER = re.compile(
    r"data:(?P<mime>[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)"
    r"(?P<params>(?:;[A-Za-z0-9!#$&^_.+-]+=[^;,]*)*)"
    r";base64,",
    re.IGNORECASE,
)
_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_BARE_BASE64 = re.compile(r"[A-Za-z0-9+/\s]{16,}={0,2}\s*")
#: The type a data URI is given when the claimed one is not a known image type.
UNKNOWN_MIME = "application/octet-stream"
_KNOWN_MIMES = frozenset(MIME_TYPES.values())


def data_uri_label(uri: str) -> str:
    """A short human label for a data URI, for error messages (never the whole payload)."""
    head = uri[: uri.find(",") + 1] if "," in uri[:200] else uri[:40]
    return f"{head}... ({len(uri)} chars)"


def parse_data_uri(uri: str) -> tuple[str, bytes]:
    """Split ``data:<mime>;base64,<payload>`` into (lower-cased MIME type, decoded bytes).

    Strict: the ``;base64`` marker, a ``type/subtype`` MIME and standard padded base64 are
    required (optional ``;key=value`` parameters are allowed and ignored). Anything else raises
    :class:`ImageSourceError` saying what is wrong.
    """
    return _parse_data_uri(uri, _Named(data_uri_label(uri), None))


def _parse_data_uri(uri: str, named: _Named) -> tuple[str, bytes]:
    mime, start = _data_uri_header(uri, named)
    return mime, _b64decode(uri, start, named)


def _data_uri_header(uri: str, named: _Named) -> tuple[str, int]:
    """The lower-cased MIME type of a data URI and where its (non-empty) payload starts."""
    if not is_data_uri(uri):
        raise named.error("not a data URI (it must start with 'data:')")
    match = _DATA_URI_HEADER.match(uri)
    if match is None:
        header = uri[5 : uri.find(",")] if "," in uri else uri[5:45]
        if "," not in uri:
            reason = "malformed data URI: no ',' before the payload"
        elif not header.lower().endswith(";base64"):
            reason = "malformed data URI: only ';base64,' payloads are accepted"
        else:
            reason = f"malformed data URI: {header.rsplit(';', 1)[0]!r} is not a MIME type"
        raise named.error(reason)
    if match.end() == len(uri):
        raise named.error("malformed data URI: the base64 payload is empty")
    return match.group("mime").lower(), match.end()


def _b64decode(text: str, start: int, named: _Named) -> bytes:
    """Strict standard base64 of ``text[start:]`` (padding required, no URL-safe alphabet, no
    whitespace), read from ``text`` itself; on failure the reason is worked out for the message.
    """
    try:
        return b64decode_strict_from(text, start)
    except binascii.Error:
        pass
    payload = text[start:]
    bad = next((c for c in payload if c not in _BASE64_ALPHABET), None)
    stripped = payload.rstrip("=")
    if bad is not None:
        reason = f"unexpected character {bad!r}"
    elif "=" in stripped or len(payload) - len(stripped) > 2:
        reason = "'=' padding where none belongs"
    else:
        try:  # the stdlib names the reason (e.g. "Incorrect padding"); pybase64 does not
            base64.b64decode(payload, validate=True)
            reason = "'=' padding where none belongs"  # the stdlib tolerates excess padding
        except binascii.Error as exc:
            reason = str(exc)
    raise named.error(f"bad base64 in data URI: {reason}") from None


def encode_data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,<payload>``, base64-encoded once."""
    return f"data:{mime};base64,{b64encode_str(data)}"


def reused_data_uri(data: bytes, mime: str, data_uri: str | None) -> str | None:
    """``data_uri`` when it is exactly what :func:`encode_data_uri` would build, else None.

    Reusing it saves a payload-sized string and an encode. ``data_uri`` decoded strictly to
    ``data``, so only its header (the MIME type, no parameters, lower case) and its last
    quantum (unused bits must be zero) can differ from the canonical form.
    """
    if data_uri is None or not data_uri.startswith(f"data:{mime};base64,"):
        return None
    last = len(data) % 3 or 3
    tail = b64encode_str(data[-last:])
    return data_uri if data_uri.endswith(tail) else None


def base64_data_uri(payload: str | bytes, claimed_mime: object = None, *, source: str) -> str:
    """A data URI around base64 text a framework holds, for :func:`read_source` to decode once.

    Only the shape is checked here (ASCII, whole 4-character groups): every character is
    validated as the URI is decoded. The claimed MIME type is kept only when it is an image
    type :data:`MIME_TYPES` names; anything else (none, ``text/plain``, a malformed string,
    one holding ``;`` or ``,``) becomes ``application/octet-stream``. The bytes decide the type
    either way, so a claim can never break or reshape the URI; a right one only lets the
    prepared image reuse this very string. Raises :class:`ImageSourceError` naming ``source``.
    """
    try:
        text = payload if isinstance(payload, str) else payload.decode("ascii")
    except UnicodeDecodeError:
        raise ImageSourceError(
            "image data is not valid base64 (non-ASCII bytes)", source=source
        ) from None
    if not text.isascii() or len(text) % 4:
        raise ImageSourceError(
            f"image data is not valid base64 ({len(text)} characters, "
            "not ASCII in whole 4-character groups)",
            source=source,
        )
    mime = claimed_mime if isinstance(claimed_mime, str) and claimed_mime in _KNOWN_MIMES else None
    return f"data:{mime or UNKNOWN_MIME};base64,{text}"


# --------------------------------------------------------------------------- dispatch


def read_source(
    source: Source,
    *,
    index: int | None = None,
    max_file_bytes: int | None = None,
    recognise: Callable[[bytes], object] = detect_image_format,
    expected: str = _SOURCE_KINDS,
) -> InlineSource | RemoteSource:
    """Look at ``source`` once: an http(s) URL is kept, anything else is read to bytes.

    ``max_file_bytes`` refuses a larger file from its size before reading it (the strict
    policy). Bare base64 text counts as a source when ``recognise`` is truthy for its decoded
    bytes (an image's magic bytes, by default). ``expected`` lists the accepted kinds in the
    error for any other type. Raises :class:`ImageSourceError` naming the source and ``index``.
    """
    if isinstance(source, str):
        return _read_str(source, index, max_file_bytes, recognise)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return InlineSource(data, f"bytes[{len(data)}]")
    if isinstance(source, os.PathLike):
        path = os.fsdecode(source)
        return _read_path(path, _Named(_path_label(path), index), max_file_bytes)
    if hasattr(source, "read"):
        return _read_file_object(source, index)
    kind = type(source).__name__
    raise _Named(kind, index).error(f"unsupported source type {kind}: expected {expected}")


def _path_label(path: str) -> str:
    return os.path.basename(path) or path


def _read_str(
    text: str, index: int | None, max_file_bytes: int | None, recognise: Callable[[bytes], object]
) -> InlineSource | RemoteSource:
    """Dispatch a string: URL, data URI, other scheme (rejected), path, or bare base64."""
    if not text:
        raise ImageSourceError("empty string: expected a path, URL or data URI", index=index)
    if is_http_url(text):
        return _remote(text, _Named(_short(text), index))
    if is_data_uri(text):
        named = _Named(data_uri_label(text), index)
        # The claimed MIME type is ignored: the bytes decide.
        _, data = _parse_data_uri(text, named)
        return InlineSource(data, named.label, data_uri=text)
    exists = _exists(text)
    scheme = url_scheme(text)
    named = _Named(_short(text), index)
    if scheme is not None and not exists:
        raise named.error(
            f"unsupported URL scheme {scheme!r}: only http(s) URLs, data URIs "
            "and local file paths are accepted"
        )
    if exists:
        return _read_path(text, _Named(_path_label(text), index), max_file_bytes)
    if _BARE_BASE64.fullmatch(text):
        try:
            data = b64decode_strict("".join(text.split()))
        except (binascii.Error, ValueError):
            data = b""
        if recognise(data):
            return InlineSource(data, f"base64[{len(text)}]")
    raise named.error(
        f"no such file: {text!r} (and not an http(s) URL, data URI or base64 image data)"
    )


def _exists(path: str) -> bool:
    try:
        return os.path.exists(path)
    except (OSError, ValueError):
        return False


def _remote(url: str, named: _Named) -> RemoteSource:
    """Keep an http(s) URL as it is, after checking it parses and names a host."""
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise named.error("URL contains whitespace or control characters")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise named.error(f"malformed URL: {exc}") from None
    if not host:
        raise named.error("URL has no host")
    return RemoteSource(url, named.label)


def _read_path(path: str, named: _Named, max_file_bytes: int | None) -> InlineSource:
    """Read a local file (never a directory); the name is only a label, never the format."""
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        raise named.error(f"no such file: {path!r}") from None
    except OSError as exc:
        raise named.error(f"cannot read {path!r}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise named.error(f"{path!r} is a directory, not an image file")
    if not stat.S_ISREG(info.st_mode):
        # Devices and pipes (/dev/zero, a FIFO) could be read forever.
        raise named.error(f"{path!r} is not a regular file")
    if max_file_bytes is not None and info.st_size > max_file_bytes:
        raise ImageTooLargeError(
            f"{info.st_size:,} bytes is over max_bytes {max_file_bytes:,} (policy strict)",
            source=named.label,
            index=named.index,
        )
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise named.error(f"cannot read {path!r}: {exc.strerror or exc}") from None
    return InlineSource(data, named.label)


def _read_file_object(stream: IO[bytes], index: int | None) -> InlineSource:
    """Read a binary file object from its current position."""
    name = getattr(stream, "name", None)
    named = _Named(
        os.path.basename(name) if isinstance(name, str) and name else "file object", index
    )
    try:
        data = stream.read()
    except OSError as exc:
        raise named.error(f"cannot read the file object: {exc}") from None
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise named.error(
            f"the file object returned {type(data).__name__}, not bytes: open it in binary mode"
        )
    return InlineSource(bytes(data), named.label)
