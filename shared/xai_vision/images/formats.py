"""What image bytes claim to be: the format by magic bytes, its MIME type, what xAI takes as is.

Only leading bytes are read here (no Pillow); whether the bytes decode is :mod:`.checks`' job.
"""

from __future__ import annotations

#: Formats sent byte-for-byte when within limits: the two xAI promises (others are converted by
#: :mod:`.encode`). xAI has answered 400 "not a valid JPG or PNG" to WebP, so WebP is converted
#: too unless ``ImageOptions.send_webp_as_is`` asks otherwise.
PASSTHROUGH_FORMATS: frozenset[str] = frozenset({"jpeg", "png"})

#: Pillow's names for each passthrough format: both readers must agree before bytes pass as is.
#: MPO is phone cameras' multi-picture JPEG, a plain JPEG to every decoder.
_PILLOW_NAMES: dict[str, frozenset[str]] = {
    "jpeg": frozenset({"JPEG", "MPO"}),
    "png": frozenset({"PNG"}),
    "webp": frozenset({"WEBP"}),
}

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


def is_passthrough_format(
    fmt: str | None, pillow_format: str | None, *, webp: bool = False
) -> bool:
    """Whether ``fmt`` (from magic bytes) is sent as is, and Pillow read the bytes as it too
    (``webp``: WebP is sent as is as well)."""
    if fmt is None or not (fmt in PASSTHROUGH_FORMATS or (webp and fmt == "webp")):
        return False
    return pillow_format in _PILLOW_NAMES[fmt]
