"""Image sources in, :class:`PreparedImage` out: detection, validation, limits and optimisation.

Every source a user has (path, bytes, binary file, ``PIL.Image.Image``, http(s) URL, data URI,
bare base64) becomes one :class:`PreparedImage`. URLs are kept as they are (xAI fetches them);
everything else is inlined as a ``data:`` URI whose MIME type comes from the real bytes, never
from a file name or a claimed type. All checks happen here, before any request is sent.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xai_vision.errors import ImageSourceError
from xai_vision.tokens import Detail, estimate_image_tokens

__all__ = [
    "MIME_TYPES",
    "PASSTHROUGH_FORMATS",
    "ImageOptions",
    "PreparedImage",
    "detect_image_format",
    "parse_data_uri",
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


_DATA_URI = re.compile(
    r"data:(?P<mime>[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)"
    r"(?P<params>(?:;[A-Za-z0-9!#$&^_.+-]+=[^;,]*)*)"
    r";base64,(?P<payload>.*)",
    re.IGNORECASE | re.DOTALL,
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


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
    label = data_uri_label(uri)
    if not uri[:5].lower() == "data:":
        raise ImageSourceError("not a data URI (it must start with 'data:')", source=label)
    match = _DATA_URI.fullmatch(uri)
    if match is None:
        header = uri[5 : uri.find(",")] if "," in uri else uri[5:45]
        if "," not in uri:
            reason = "malformed data URI: no ',' before the payload"
        elif not header.lower().endswith(";base64"):
            reason = "malformed data URI: only ';base64,' payloads are accepted"
        else:
            reason = f"malformed data URI: {header.rsplit(';', 1)[0]!r} is not a MIME type"
        raise ImageSourceError(reason, source=label)
    payload = match.group("payload")
    if not payload:
        raise ImageSourceError("malformed data URI: the base64 payload is empty", source=label)
    return match.group("mime").lower(), _b64decode(payload, label, "data URI")


def _b64decode(payload: str, label: str, what: str) -> bytes:
    """Strict standard base64 (padding required, no URL-safe alphabet, no whitespace)."""
    if _BASE64.fullmatch(payload) is None:
        bad = next(c for c in payload if not (c.isascii() and (c.isalnum() or c in "+/=")))
        raise ImageSourceError(f"bad base64 in {what}: unexpected character {bad!r}", source=label)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageSourceError(f"bad base64 in {what}: {exc}", source=label) from None


# --------------------------------------------------------------------------- options and results


class ImageOptions(BaseModel):
    """How images are checked and prepared: limits, over-limit policy, optimisation.

    ``policy="resize"`` (default) downscales and re-encodes an image over a limit until it fits;
    ``policy="strict"`` raises :class:`~xai_vision.errors.ImageTooLargeError` instead.
    ``max_pixels`` is the decompression-bomb guard and applies under both policies.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: Literal["resize", "strict"] = "resize"
    max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_edge: int = Field(default=8192, gt=0)
    max_images_per_request: int | None = Field(default=None, gt=0)
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
