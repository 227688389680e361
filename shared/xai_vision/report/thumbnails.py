"""Small JPEG or PNG previews of result images, as ``data:`` URIs, for the HTML report.

The core's image pipeline (:func:`~xai_vision.images.prepare_image`) does the reading: format
from the bytes, EXIF orientation, decompression-bomb guard, first frame of an animation,
downscaling and re-encoding. A source that cannot be shown (missing file, remote URL, not an
image) gets a :class:`Thumbnail` with no image and the reason; nothing is ever downloaded.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from xai_vision.errors import RequestValidationError, XAIVisionError
from xai_vision.images import ImageOptions, detect_image_format, parse_data_uri, prepare_image

__all__ = [
    "MAX_THUMBNAIL_EDGE",
    "THUMBNAIL_EDGE",
    "THUMBNAIL_MAX_BYTES",
    "Thumbnail",
    "make_thumbnail",
    "make_thumbnails",
]

#: Default long edge of a preview, px: the report's thumbnail box, a few KB a photo.
THUMBNAIL_EDGE = 160
#: The largest long edge a preview may have, px.
MAX_THUMBNAIL_EDGE = 256
#: A preview over this many bytes is downscaled further: 1,000 previews take 8 MB at most.
THUMBNAIL_MAX_BYTES = 6 * 1024
#: The MIME types a preview is written in.
THUMBNAIL_TYPES = frozenset({"image/jpeg", "image/png"})

#: ``scheme://`` of a URL that is not a local path (http(s) is named on its own).
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]+)://")


@dataclass(frozen=True)
class Thumbnail:
    """A preview (``data_uri`` set) or the reason there is none (``reason`` set)."""

    data_uri: str | None = None
    width: int | None = None
    height: int | None = None
    original: str | None = None  # the source as found: "PNG 640×360, 24.1 KB"
    reason: str | None = None


def thumbnail_options(edge: int = THUMBNAIL_EDGE) -> ImageOptions:
    """The core image options that turn any image into a preview of long edge ``edge``."""
    if not 16 <= edge <= MAX_THUMBNAIL_EDGE:
        raise RequestValidationError(
            f"thumbnail_edge must be 16 to {MAX_THUMBNAIL_EDGE} px, got {edge}"
        )
    return ImageOptions(
        max_edge=edge, max_bytes=THUMBNAIL_MAX_BYTES, optimize=True, animated="first_frame"
    )


def make_thumbnail(source: str, base: Path, *, edge: int = THUMBNAIL_EDGE) -> Thumbnail:
    """The preview of a result's ``source``: a path (relative to ``base``) or a data URI.

    Never raises for a bad source and never touches the network: an http(s) URL, a missing
    or unreadable file and bytes that are not an image all give a Thumbnail with a reason.
    """
    options = thumbnail_options(edge)
    if not source:
        return Thumbnail(reason="no source on this line")
    if source[:8].lower().startswith(("http://", "https://")):
        return Thumbnail(reason="remote URL: not downloaded (the report works offline)")
    if source[:5].lower() == "data:":
        return _preview(source, options, original=None)
    scheme = _URL_SCHEME.match(source)
    if scheme is not None:
        return Thumbnail(reason=f"a {scheme.group(1)}:// URL, not a local file")
    path = Path(source) if os.path.isabs(source) else base / source
    if not os.path.exists(path):
        return Thumbnail(reason="file not found")
    return _preview(path, options, original=_describe(path))


def make_thumbnails(
    sources: Iterable[str], base: Path, *, edge: int = THUMBNAIL_EDGE
) -> list[Thumbnail]:
    """The previews of ``sources``, in order; each distinct source is read once, in threads."""
    order = list(sources)
    distinct = list(dict.fromkeys(order))
    workers = max(1, min(8, os.cpu_count() or 1, len(distinct)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="thumbnail") as pool:
        made = dict(
            zip(
                distinct,
                pool.map(lambda source: make_thumbnail(source, base, edge=edge), distinct),
                strict=True,
            )
        )
    return [made[source] for source in order]


def _preview(source: str | Path, options: ImageOptions, original: str | None) -> Thumbnail:
    try:
        prepared = prepare_image(source, options=options)
        if prepared.mime_type not in THUMBNAIL_TYPES:
            # Small WebP files can pass through as they are; a PIL image is always re-encoded,
            # as JPEG or PNG.
            _, data = parse_data_uri(prepared.url)
            with Image.open(io.BytesIO(data)) as image:
                prepared = prepare_image(image, options=options)
    except XAIVisionError as error:
        reason = getattr(error, "reason", None) or str(error)
        return Thumbnail(original=original, reason=reason)
    return Thumbnail(
        data_uri=prepared.url,
        width=prepared.width,
        height=prepared.height,
        original=original,
    )


def _describe(path: Path) -> str | None:
    """Format, size and bytes of the file as it is ("JPEG 4032×3024, 3.1 MB"); header only."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            head = handle.read(256)
    except OSError:
        return None
    fmt = detect_image_format(head)
    try:
        with Image.open(path) as image:
            dimensions = f" {image.width}×{image.height}"
    except Exception:  # any unreadable header: the format name says enough
        dimensions = ""
    return f"{fmt.upper() if fmt else 'unknown format'}{dimensions}, {_size(size)}"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
