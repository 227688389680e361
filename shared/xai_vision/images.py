"""Image sources in, :class:`PreparedImage` out: detection, validation, limits and optimisation.

Every source a user has (path, bytes, binary file, ``PIL.Image.Image``, http(s) URL, data URI,
bare base64) becomes one :class:`PreparedImage`. URLs are kept as they are (xAI fetches them);
everything else is inlined as a ``data:`` URI whose MIME type comes from the real bytes, never
from a file name or a claimed type. All checks happen here, before any request is sent.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import stat
import struct
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, TypeAlias, Union

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from xai_vision._base64 import b64decode_strict, b64decode_strict_from, b64encode_str
from xai_vision.errors import (
    ImageDecodeError,
    ImageError,
    ImageSourceError,
    ImageTooLargeError,
    RequestValidationError,
    UnsupportedImageFormatError,
)
from xai_vision.tokens import DETAILS, Detail, estimate_image_tokens, processed_size

__all__ = [
    "MIME_TYPES",
    "PASSTHROUGH_FORMATS",
    "ImageOptions",
    "ImageSource",
    "PreparedImage",
    "data_uri_label",
    "detect_image_format",
    "parse_data_uri",
    "prepare_image",
]

#: Everything :func:`prepare_image` accepts.
ImageSource: TypeAlias = Union[
    str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes], Image.Image
]

#: Formats xAI takes as they are; these are sent byte-for-byte when within limits.
PASSTHROUGH_FORMATS: frozenset[str] = frozenset({"jpeg", "png", "webp"})

#: MIME type of each format :func:`detect_image_format` can name.
MIME_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "avif": "image/avif",
    "ico": "image/x-icon",
    "jxl": "image/jxl",
    "jp2": "image/jp2",
    "psd": "image/vnd.adobe.photoshop",
    "qoi": "image/qoi",
}

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_MIF_BRANDS = frozenset({b"mif1", b"msf1", b"miaf"})


def detect_image_format(data: bytes) -> str | None:
    """The image format named by ``data``'s magic bytes ("jpeg", "png", "webp", ...), or None.

    Only the leading bytes are read; this says what the bytes claim to be, not that they decode.
    """
    head = bytes(data[:64])
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:2] == b"BM" and len(head) >= 26:
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[4:8] == b"ftyp":
        return _ftyp_format(bytes(data[:256]))
    if head.startswith(b"\x00\x00\x01\x00") and len(head) >= 22:
        return "ico"
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL \r\n\x87\n"):
        return "jxl"
    if head.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n") or head.startswith(b"\xff\x4f\xff\x51"):
        return "jp2"
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith(b"qoif"):
        return "qoi"
    return None


def _ftyp_format(head: bytes) -> str | None:
    """HEIC or AVIF from an ISO-BMFF ``ftyp`` box: the major brand, then the compatible brands."""
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    end = min(max(box_size, 16), len(head))
    brands = [major] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    if any(b in _AVIF_BRANDS for b in brands):
        return "avif"
    if any(b in _HEIF_BRANDS for b in brands):
        return "heic"
    if major in _MIF_BRANDS:
        return "heic"
    return None


#: The header of a data URI; the payload after it is validated as it is decoded, from the URI.
_DATA_URI_HEADER = re.compile(
    r"data:(?P<mime>[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)"
    r"(?P<params>(?:;[A-Za-z0-9!#$&^_.+-]+=[^;,]*)*)"
    r";base64,",
    re.IGNORECASE,
)
_BASE64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


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
    mime, start = _data_uri_header(uri)
    return mime, _b64decode(uri, start, data_uri_label(uri), "data URI")


def _data_uri_header(uri: str) -> tuple[str, int]:
    """The lower-cased MIME type of a data URI and where its (non-empty) payload starts."""
    if not uri[:5].lower() == "data:":
        raise ImageSourceError(
            "not a data URI (it must start with 'data:')", source=data_uri_label(uri)
        )
    match = _DATA_URI_HEADER.match(uri)
    if match is None:
        header = uri[5 : uri.find(",")] if "," in uri else uri[5:45]
        if "," not in uri:
            reason = "malformed data URI: no ',' before the payload"
        elif not header.lower().endswith(";base64"):
            reason = "malformed data URI: only ';base64,' payloads are accepted"
        else:
            reason = f"malformed data URI: {header.rsplit(';', 1)[0]!r} is not a MIME type"
        raise ImageSourceError(reason, source=data_uri_label(uri))
    if match.end() == len(uri):
        raise ImageSourceError(
            "malformed data URI: the base64 payload is empty", source=data_uri_label(uri)
        )
    return match.group("mime").lower(), match.end()


def _b64decode(text: str, start: int, label: str, what: str) -> bytes:
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
    raise ImageSourceError(f"bad base64 in {what}: {reason}", source=label) from None


# --------------------------------------------------------------------------- options and results


class ImageOptions(BaseModel):
    """How images are checked and prepared: limits, over-limit policy, optimisation.

    ``policy="resize"`` (default) downscales and re-encodes an image over a limit until it fits;
    ``policy="strict"`` raises :class:`~xai_vision.errors.ImageTooLargeError` instead.
    ``max_pixels`` is the decompression-bomb guard and applies under both policies; its default
    is Pillow's own error threshold (2 x ``Image.MAX_IMAGE_PIXELS``), checked per call from the
    header before any pixel is decoded. ``max_bytes`` is 20 MiB (xAI's current docs; older
    sources say 10 MiB: set it to ``10 * 1024 * 1024`` to be safe with both).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: Literal["resize", "strict"] = "resize"
    max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_edge: int = Field(default=8192, gt=0)
    max_images_per_request: int | None = Field(default=None, gt=0)
    #: xAI's stricter source says 10 images a message (its docs name no limit); None lifts it.
    max_images_per_message: int | None = Field(default=10, gt=0)
    max_pixels: int = Field(default=178_956_970, gt=0)
    optimize: bool = False
    animated: Literal["error", "first_frame"] = "error"


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """One image ready for the wire: an http(s) URL as given, or a ``data:`` URI of checked bytes.

    ``index`` is the image's position in its request, counting from 1 (as the emulator does).
    """

    url: str
    detail: Detail | None
    mime_type: str | None
    width: int | None
    height: int | None
    byte_size: int | None
    source: str
    index: int | None = None

    @property
    def is_remote(self) -> bool:
        """True for an http(s) URL that xAI fetches itself."""
        return self.mime_type is None

    @property
    def estimated_tokens(self) -> int | None:
        """Estimated image tokens by the one rule in :mod:`xai_vision.tokens`; None for URLs."""
        if self.width is None or self.height is None:
            return None
        return estimate_image_tokens((self.width, self.height), self.detail or "auto")

    def __repr__(self) -> str:
        url = self.url if len(self.url) <= 80 else f"{self.url[:60]}...({len(self.url)} chars)"
        return (
            f"PreparedImage(source={self.source!r}, index={self.index}, url={url!r}, "
            f"mime_type={self.mime_type!r}, size={self.width}x{self.height}, "
            f"byte_size={self.byte_size}, detail={self.detail!r})"
        )


# --------------------------------------------------------------------------- preparation

#: JPEG quality when re-encoding for limits or conversion, and when optimising.
JPEG_QUALITY = 90
OPTIMIZED_JPEG_QUALITY = 85
#: At most this many colours counts as "few colours": PNG (lossless, small) rather than JPEG.
FEW_COLOURS = 256
_MIN_EDGE = 16
_ALPHA_MODES = frozenset({"RGBA", "LA"})
_PASSTHROUGH_PIL_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
_ROTATING_ORIENTATIONS = frozenset({5, 6, 7, 8})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_BARE_BASE64 = re.compile(r"[A-Za-z0-9+/\s]{16,}={0,2}\s*")
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, struct.error, EOFError, IndexError, TypeError)

_guard_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class _Context:
    """Who is being prepared (for error messages) and how."""

    label: str
    index: int | None
    detail: Detail | None
    options: ImageOptions

    def error(self, cls: type[ImageError], reason: str) -> ImageError:
        return cls(reason, source=self.label, index=self.index)


def prepare_image(
    source: ImageSource,
    *,
    detail: Detail | None = None,
    options: ImageOptions | None = None,
    index: int | None = None,
) -> PreparedImage:
    """Check ``source`` and turn it into a :class:`PreparedImage` (URL kept, else a data URI).

    JPEG, PNG and WebP within limits are sent byte-for-byte; other formats Pillow reads become
    PNG; a caller's ``PIL.Image`` becomes PNG when it has transparency or few colours, else
    JPEG (quality 90). Re-encoding applies the EXIF orientation and drops other metadata.
    Raises an :class:`~xai_vision.errors.ImageError` subclass naming the image and the reason
    for anything unusable; nothing is fetched or sent. The same source and options always give
    byte-identical output.
    """
    if detail is not None and detail not in DETAILS:
        raise RequestValidationError(
            f"detail must be one of {', '.join(DETAILS)} or None, got {detail!r}"
        )
    opts = options if options is not None else ImageOptions()
    if isinstance(source, Image.Image):
        ctx = _Context(_pil_label(source), index, detail, opts)
        return _from_pil(source, ctx)
    if isinstance(source, str):
        return _from_str(source, detail, opts, index)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _from_bytes(data, _Context(f"bytes[{len(data)}]", index, detail, opts))
    if isinstance(source, os.PathLike):
        path = os.fsdecode(source)
        return _from_path(path, _Context(os.path.basename(path) or path, index, detail, opts))
    if hasattr(source, "read"):
        return _from_file_object(source, detail, opts, index)
    raise ImageSourceError(
        f"unsupported source type {type(source).__name__}: expected a path, bytes, a binary "
        "file, a PIL image, an http(s) URL, a data URI or base64 text",
        source=type(source).__name__,
        index=index,
    )


def _pil_label(image: Image.Image) -> str:
    return f"PIL.Image[{image.mode} {image.width}x{image.height}]"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _from_str(
    text: str, detail: Detail | None, opts: ImageOptions, index: int | None
) -> PreparedImage:
    """Dispatch a string: URL, data URI, other scheme (rejected), path, or bare base64."""
    if not text:
        raise ImageSourceError("empty string: expected a path, URL or data URI", index=index)
    lowered = text[:8].lower()
    if lowered.startswith(("http://", "https://")):
        return _from_url(text, detail, index)
    if lowered.startswith("data:"):
        ctx = _Context(data_uri_label(text), index, detail, opts)
        try:
            _, data = parse_data_uri(text)  # the claimed MIME type is ignored: the bytes decide
        except ImageSourceError as exc:
            raise ctx.error(ImageSourceError, exc.reason) from None
        return _from_bytes(data, ctx, data_uri=text)
    label = _short(text)
    scheme = _SCHEME.match(text)
    # A one-letter "scheme" is a Windows drive letter (C:\\...), i.e. a path.
    if scheme is not None and len(scheme.group(1)) > 1 and not _exists(text):
        raise ImageSourceError(
            f"unsupported URL scheme {scheme.group(1).lower()!r}: only http(s) URLs, data URIs "
            "and local file paths are accepted",
            source=label,
            index=index,
        )
    if _exists(text):
        return _from_path(text, _Context(os.path.basename(text) or text, index, detail, opts))
    if _BARE_BASE64.fullmatch(text):
        try:
            data = b64decode_strict("".join(text.split()))
        except (binascii.Error, ValueError):
            data = b""
        if detect_image_format(data) is not None:
            return _from_bytes(data, _Context(f"base64[{len(text)}]", index, detail, opts))
    raise ImageSourceError(
        f"no such file: {text!r} (and not an http(s) URL, data URI or base64 image data)",
        source=label,
        index=index,
    )


def _exists(path: str) -> bool:
    try:
        return os.path.exists(path)
    except (OSError, ValueError):
        return False


def _from_url(url: str, detail: Detail | None, index: int | None) -> PreparedImage:
    """Keep an http(s) URL as it is, after checking it parses and names a host."""
    label = _short(url)
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ImageSourceError(
            "URL contains whitespace or control characters", source=label, index=index
        )
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise ImageSourceError(f"malformed URL: {exc}", source=label, index=index) from None
    if not host:
        raise ImageSourceError("URL has no host", source=label, index=index)
    return PreparedImage(
        url=url,
        detail=detail,
        mime_type=None,
        width=None,
        height=None,
        byte_size=None,
        source=label,
        index=index,
    )


def _from_path(path: str, ctx: _Context) -> PreparedImage:
    """Read a local file (never a directory); the name is only a label, never the format."""
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        raise ctx.error(ImageSourceError, f"no such file: {path!r}") from None
    except OSError as exc:
        raise ctx.error(ImageSourceError, f"cannot read {path!r}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ctx.error(ImageSourceError, f"{path!r} is a directory, not an image file")
    if not stat.S_ISREG(info.st_mode):
        # Devices and pipes (/dev/zero, a FIFO) could be read forever.
        raise ctx.error(ImageSourceError, f"{path!r} is not a regular file")
    if ctx.options.policy == "strict" and info.st_size > ctx.options.max_bytes:
        raise ctx.error(
            ImageTooLargeError,
            f"{info.st_size:,} bytes is over max_bytes {ctx.options.max_bytes:,} (policy strict)",
        )
    try:
        data = target.read_bytes()
    except OSError as exc:
        raise ctx.error(ImageSourceError, f"cannot read {path!r}: {exc.strerror or exc}") from None
    return _from_bytes(data, ctx)


def _from_file_object(
    stream: IO[bytes], detail: Detail | None, opts: ImageOptions, index: int | None
) -> PreparedImage:
    """Read a binary file object from its current position."""
    name = getattr(stream, "name", None)
    label = os.path.basename(name) if isinstance(name, str) and name else "file object"
    ctx = _Context(label, index, detail, opts)
    try:
        data = stream.read()
    except OSError as exc:
        raise ctx.error(ImageSourceError, f"cannot read the file object: {exc}") from None
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ctx.error(
            ImageSourceError,
            f"the file object returned {type(data).__name__}, not bytes: open it in binary mode",
        )
    return _from_bytes(bytes(data), ctx)


@contextmanager
def _pixel_guard() -> Iterator[None]:
    """Switch off Pillow's global bomb check for one ``Image.open``; ours runs right after.

    Pillow's check reads a module global, so it is lifted under a lock for the few
    microseconds a header parse takes and always restored.
    """
    with _guard_lock:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _open(data: bytes, fmt: str | None, ctx: _Context) -> Image.Image:
    """Open (header only) and apply the pixel guard; typed errors for anything unreadable."""
    what = fmt.upper() if fmt else "image"
    try:
        with _pixel_guard():
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        if fmt in ("heic", "avif", "jxl", "jp2", "qoi", "psd"):
            raise ctx.error(
                UnsupportedImageFormatError,
                f"{what} images cannot be read by this Pillow installation; "
                "convert it to JPEG, PNG or WebP",
            ) from None
        if fmt is None:
            raise ctx.error(
                ImageDecodeError,
                f"not an image: unrecognised bytes (starting {data[:8].hex(' ')})",
            ) from None
        raise ctx.error(ImageDecodeError, f"corrupt {what} file: it cannot be read") from None
    except Image.DecompressionBombError as exc:  # pragma: no cover - the guard is lifted
        raise ctx.error(ImageTooLargeError, f"decompression-bomb guard: {exc}") from None
    except _DECODE_ERRORS as exc:
        raise ctx.error(ImageDecodeError, f"corrupt or truncated {what} file: {exc}") from None
    _check_pixels(image.size, ctx)
    return image


def _check_pixels(size: tuple[int, int], ctx: _Context) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ctx.error(ImageDecodeError, f"image has no pixels ({width}x{height})")
    if width * height > ctx.options.max_pixels:
        raise ctx.error(
            ImageTooLargeError,
            f"{width}x{height} is {width * height:,} pixels, over max_pixels "
            f"{ctx.options.max_pixels:,} (decompression-bomb guard)",
        )


def _is_animated(image: Image.Image) -> bool:
    # MPO (phone cameras' multi-picture JPEG) is a plain JPEG to every decoder: not animated.
    return image.format != "MPO" and bool(getattr(image, "is_animated", False))


def _orientation(image: Image.Image, *, header_only: bool = False) -> int:
    """The EXIF orientation tag (1 = upright). ``header_only`` never decodes pixels to find it.

    Pillow loads a whole PNG to look for an ``eXIf`` chunk after the pixel data; from the
    header only, a PNG without an early ``eXIf`` chunk counts as upright.
    """
    if header_only and image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        value = image.getexif().get(0x0112, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


def _verify_passthrough(data: bytes, fmt: str, ctx: _Context) -> None:
    """Integrity check of bytes sent as they are, from their structure alone (no pixel decode).

    Catches truncation and broken framing, the corruption a server would reject, in
    microseconds: JPEG markers, PNG chunks and CRCs, WebP RIFF chunks.
    """
    try:
        if fmt == "png":
            with _pixel_guard():
                fresh = Image.open(io.BytesIO(data))
            fresh.verify()  # walks every chunk and its CRC up to IEND; no inflate
        elif fmt == "jpeg":
            _check_jpeg_structure(data)
        else:
            _check_webp_structure(data)
    except _DECODE_ERRORS as exc:
        raise ctx.error(
            ImageDecodeError, f"corrupt or truncated {fmt.upper()} file: {exc}"
        ) from None


#: JPEG markers without a length field: TEM and the restart markers RST0-RST7.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_JPEG_SOS = 0xDA
_JPEG_EOI = 0xD9


def _check_jpeg_structure(data: bytes) -> None:
    """SOI, a marker walk through every segment up to the first scan, then an EOI after it.

    Entropy-coded data never holds ``FF D9`` (a coded ``FF`` is always followed by ``00`` or
    a restart marker), so a file cut anywhere after the headers has no EOI past its first
    scan. Bytes after the last EOI (padding, camera trailers, MPO frames) are allowed.
    """
    size = len(data)
    if data[:2] != b"\xff\xd8":
        raise SyntaxError("no SOI marker at the start")
    pos = 2
    while True:
        if pos >= size:
            raise EOFError("the file ends before any image data (no SOS marker)")
        if data[pos] != 0xFF:
            raise SyntaxError(f"expected a marker at byte {pos}, found 0x{data[pos]:02x}")
        while pos < size and data[pos] == 0xFF:  # fill bytes may precede a marker
            pos += 1
        if pos >= size:
            raise EOFError("the file ends inside a marker")
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE:
            continue
        if marker == _JPEG_EOI:
            raise SyntaxError("EOI marker before any image data")
        if marker == 0x00:
            raise SyntaxError(f"stuffed byte 0xFF00 where a marker belongs (byte {pos - 2})")
        if pos + 2 > size:
            raise EOFError(f"the file ends inside the 0xFF{marker:02X} segment's length")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            raise SyntaxError(f"segment 0xFF{marker:02X} at byte {pos - 2} has length {length}")
        end = pos + length
        if end > size:
            raise EOFError(
                f"segment 0xFF{marker:02X} at byte {pos - 2} runs {end - size} bytes past the end"
            )
        pos = end
        if marker == _JPEG_SOS:
            break
    eoi = data.rfind(b"\xff\xd9", pos)
    if eoi < 0:
        raise EOFError("no EOI marker after the image data: the file is cut short")
    if eoi == pos:
        raise SyntaxError("the first scan holds no image data")


def _check_webp_structure(data: bytes) -> None:
    """The RIFF size is all there and the chunks inside it add up to exactly that size."""
    declared = int.from_bytes(data[4:8], "little") + 8
    if len(data) < declared:
        raise EOFError(f"RIFF size says {declared} bytes, only {len(data)} present")
    pos = 12
    while pos < declared:
        if pos + 8 > declared:
            raise SyntaxError(f"a chunk header at byte {pos} runs past the RIFF size")
        kind = data[pos : pos + 4].decode("latin-1")
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + length
        if end > declared:
            raise EOFError(f"chunk {kind!r} at byte {pos} runs {end - declared} bytes past the end")
        pos = end + (length & 1)  # chunks are padded to an even size
    if pos == 12:
        raise SyntaxError("the RIFF container holds no chunks")


def _from_bytes(data: bytes, ctx: _Context, data_uri: str | None = None) -> PreparedImage:
    """The pipeline for inline bytes: detect, open, check, then pass through or re-encode.

    ``data_uri`` is the caller's data URI holding ``data``: reused as the output when the
    bytes pass through and it is already in the form we would write.
    """
    if not data:
        raise ctx.error(ImageDecodeError, "zero bytes: the image is empty")
    opts = ctx.options
    fmt = detect_image_format(data)
    image = _open(data, fmt, ctx)
    animated = _is_animated(image)
    if animated and opts.animated == "error":
        frames = getattr(image, "n_frames", "several")
        raise ctx.error(
            UnsupportedImageFormatError,
            f"animated {image.format or 'image'} ({frames} frames) is not accepted by xAI; "
            "pass ImageOptions(animated='first_frame') to send its first frame",
        )
    width, height = image.size
    over = _over_limits(len(data), width, height, opts)
    if over and opts.policy == "strict":
        raise ctx.error(ImageTooLargeError, f"{over} (policy strict)")
    orientation = _orientation(image, header_only=True)
    # A server may or may not honour EXIF orientation, and some decoders invert Adobe CMYK:
    # such files are re-encoded upright in RGB so every reader sees the same picture.
    passthrough = (
        fmt in PASSTHROUGH_FORMATS
        and image.format in _PASSTHROUGH_PIL_FORMATS
        and not animated
        and not over
        and orientation == 1
        and image.mode != "CMYK"
    )
    rotated = orientation in _ROTATING_ORIENTATIONS
    oriented = (height, width) if rotated else (width, height)
    if passthrough and not opts.optimize:
        assert fmt is not None
        _verify_passthrough(data, fmt, ctx)
        return _prepared(data, MIME_TYPES[fmt], *oriented, ctx, data_uri)
    target = _target_size(oriented, ctx)
    frame = _decode(image, fmt, target, oriented, ctx)
    prepared = _encode_fitting(frame, target, ctx, photo_default=fmt == "jpeg")
    if passthrough and prepared.byte_size is not None and prepared.byte_size >= len(data):
        assert fmt is not None
        _verify_passthrough(data, fmt, ctx)
        return _prepared(data, MIME_TYPES[fmt], *oriented, ctx, data_uri)
    return prepared


def _over_limits(size: int, width: int, height: int, opts: ImageOptions) -> str | None:
    if size > opts.max_bytes:
        return f"{size:,} bytes is over max_bytes {opts.max_bytes:,}"
    if max(width, height) > opts.max_edge:
        return f"{width}x{height} has a long edge over max_edge {opts.max_edge}"
    return None


def _prepared(
    data: bytes, mime: str, width: int, height: int, ctx: _Context, data_uri: str | None = None
) -> PreparedImage:
    """The PreparedImage of ``data``; its URL is ``data_uri`` itself when that is canonical."""
    return PreparedImage(
        url=_reused_data_uri(data, mime, data_uri) or _data_uri(data, mime),
        detail=ctx.detail,
        mime_type=mime,
        width=width,
        height=height,
        byte_size=len(data),
        source=ctx.label,
        index=ctx.index,
    )


def _data_uri(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,<payload>``, base64-encoded once."""
    return f"data:{mime};base64,{b64encode_str(data)}"


def _reused_data_uri(data: bytes, mime: str, data_uri: str | None) -> str | None:
    """``data_uri`` when it is exactly what :func:`_data_uri` would build for ``data``, else None.

    Reusing it saves a payload-sized string and an encode. ``data_uri`` decoded strictly to
    ``data``, so only its header (the MIME type, no parameters, lower case) and its last
    quantum (unused bits must be zero) can differ from the canonical form.
    """
    if data_uri is None or not data_uri.startswith(f"data:{mime};base64,"):
        return None
    last = len(data) % 3 or 3
    tail = b64encode_str(data[-last:])
    return data_uri if data_uri.endswith(tail) else None


def _target_size(size: tuple[int, int], ctx: _Context) -> tuple[int, int]:
    """The size to re-encode at: fit ``max_edge``; with ``optimize``, what xAI processes."""
    width, height = size
    scale = min(1.0, ctx.options.max_edge / max(width, height))
    target = (max(1, int(width * scale)), max(1, int(height * scale)))
    if ctx.options.optimize:
        processed = processed_size(width, height, ctx.detail or "auto")
        target = (min(target[0], processed[0]), min(target[1], processed[1]))
    return target


def _decode(
    image: Image.Image,
    fmt: str | None,
    target: tuple[int, int],
    oriented: tuple[int, int],
    ctx: _Context,
) -> Image.Image:
    """Decode pixels (a JPEG at the smallest DCT scale still >= target), upright, 8-bit."""
    try:
        if ctx.options.animated == "first_frame" and getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        if fmt == "jpeg" and target != oriented:
            swapped = oriented != image.size
            image.draft(None, (target[1], target[0]) if swapped else target)
        image.load()
        frame = _upright(image)
        return _normalise_mode(frame)
    except Image.DecompressionBombError as exc:  # pragma: no cover - checked at open
        raise ctx.error(ImageTooLargeError, f"decompression-bomb guard: {exc}") from None
    except _DECODE_ERRORS as exc:
        what = fmt.upper() if fmt else "image"
        raise ctx.error(ImageDecodeError, f"corrupt or truncated {what} file: {exc}") from None


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (always, when re-encoding); the tag itself is not kept."""
    if _orientation(image) == 1:
        return image
    rotated = ImageOps.exif_transpose(image)
    return rotated if rotated is not None else image


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Convert to a mode JPEG/PNG encoders take losslessly enough: L, LA, RGB or RGBA."""
    mode = image.mode
    if mode in ("RGB", "L"):
        return image
    if mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        converted = image.convert("LA" if mode in ("LA", "La") else "RGBA")
        return _drop_opaque_alpha(converted)
    if mode == "P":
        if "transparency" in image.info:
            return _drop_opaque_alpha(image.convert("RGBA"))
        return image.convert("RGB")
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I") or mode == "F":
        # 16/32-bit and float greyscale: scale the real range into 0..255 instead of clipping.
        _, high = image.getextrema()
        if isinstance(high, (int, float)) and high > 255:
            scale = 255.0 / 65535.0 if high <= 65535 else 255.0 / float(high)
            return image.point(lambda value: value * scale).convert("L")
        return image.convert("L")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, ...


def _drop_opaque_alpha(image: Image.Image) -> Image.Image:
    alpha = image.getchannel("A")
    low, _ = alpha.getextrema()
    if low == 255:
        return image.convert("RGB" if image.mode == "RGBA" else "L")
    return image


def _choose_format(image: Image.Image, photo_default: bool, optimize: bool) -> str:
    """PNG for transparency or few colours; JPEG for photographs (JPEG sources, optimisation)."""
    if image.mode in _ALPHA_MODES:
        return "PNG"
    if image.getcolors(FEW_COLOURS) is not None:
        return "PNG"
    return "JPEG" if photo_default or optimize else "PNG"


def _encode(image: Image.Image, fmt: str, optimize: bool) -> bytes:
    buffer = io.BytesIO()
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "L", "RGBA", "LA") else None
    extra: dict[str, object] = {"icc_profile": icc} if isinstance(icc, bytes) and icc else {}
    if fmt == "JPEG":
        quality = OPTIMIZED_JPEG_QUALITY if optimize else JPEG_QUALITY
        image.save(buffer, format="JPEG", quality=quality, optimize=True, **extra)
    else:
        image.save(buffer, format="PNG", compress_level=6, **extra)
    return buffer.getvalue()


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_fitting(
    frame: Image.Image,
    target: tuple[int, int],
    ctx: _Context,
    *,
    photo_default: bool,
) -> PreparedImage:
    """Resize to ``target`` and encode; under "resize", shrink further until ``max_bytes`` fits."""
    opts = ctx.options
    size = target
    resized = _resize(frame, size)
    fmt = _choose_format(resized, photo_default, opts.optimize)
    while True:
        data = _encode(resized, fmt, opts.optimize)
        if len(data) <= opts.max_bytes:
            return _prepared(data, MIME_TYPES[fmt.lower()], resized.width, resized.height, ctx)
        if opts.policy == "strict":
            raise ctx.error(
                ImageTooLargeError,
                f"re-encoded as {fmt} it is {len(data):,} bytes, over max_bytes "
                f"{opts.max_bytes:,} (policy strict)",
            )
        if fmt == "PNG" and resized.mode not in _ALPHA_MODES:
            fmt = "JPEG"  # an opaque image that is too big as PNG: try JPEG at the same size
            continue
        factor = min(0.9, max(0.5, (opts.max_bytes / len(data)) ** 0.5 * 0.95))
        size = (max(1, int(size[0] * factor)), max(1, int(size[1] * factor)))
        if max(size) < _MIN_EDGE:
            raise ctx.error(
                ImageTooLargeError,
                f"cannot fit in max_bytes {opts.max_bytes:,} even downscaled to {_MIN_EDGE} px",
            )
        resized = _resize(frame, size)


def _from_pil(image: Image.Image, ctx: _Context) -> PreparedImage:
    """Encode a caller's PIL image: PNG for transparency or few colours, else JPEG."""
    _check_pixels(image.size, ctx)
    if _is_animated(image) and ctx.options.animated == "error":
        raise ctx.error(
            UnsupportedImageFormatError,
            "animated image is not accepted by xAI; pass ImageOptions(animated='first_frame') "
            "to send its first frame",
        )
    try:
        image.load()
        frame = _normalise_mode(_upright(image))
    except _DECODE_ERRORS as exc:
        raise ctx.error(ImageDecodeError, f"the PIL image cannot be read: {exc}") from None
    width, height = frame.size
    if max(width, height) > ctx.options.max_edge and ctx.options.policy == "strict":
        raise ctx.error(
            ImageTooLargeError,
            f"{width}x{height} has a long edge over max_edge {ctx.options.max_edge} "
            "(policy strict)",
        )
    target = _target_size((width, height), ctx)
    return _encode_fitting(frame, target, ctx, photo_default=True)
