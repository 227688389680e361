"""Decode and checks: open from the header, the pixel guard, limits, animation, orientation, and
the structural integrity of bytes that are sent as they are (no pixel decode).

Every function raises an :class:`~xai_vision.errors.ImageError` subclass naming the image.
"""

from __future__ import annotations

import io
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, UnidentifiedImageError

from xai_vision.errors import (
    ImageDecodeError,
    ImageTooLargeError,
    UnsupportedImageFormatError,
)
from xai_vision.images.options import ImageContext, ImageOptions

#: What Pillow (and the structure walkers) raise on broken bytes.
DECODE_ERRORS = (OSError, ValueError, SyntaxError, struct.error, EOFError, IndexError, TypeError)
#: Formats Pillow may lack a plugin for: refused as unsupported, not as corrupt.
_PLUGIN_FORMATS = frozenset({"heic", "avif", "jxl", "jp2", "qoi", "psd"})

_guard_lock = threading.Lock()


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


def open_image(data: bytes, fmt: str | None, ctx: ImageContext) -> Image.Image:
    """Open (header only) and apply the pixel guard; typed errors for anything unreadable."""
    what = fmt.upper() if fmt else "image"
    try:
        with _pixel_guard():
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        if fmt in _PLUGIN_FORMATS:
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
    except DECODE_ERRORS as exc:
        raise ctx.error(ImageDecodeError, f"corrupt or truncated {what} file: {exc}") from None
    check_pixels(image.size, ctx)
    return image


def check_pixels(size: tuple[int, int], ctx: ImageContext) -> None:
    """No empty image, and none over ``max_pixels`` (the decompression-bomb guard)."""
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
    """More than one frame (MPO, phone cameras' multi-picture JPEG, is a plain JPEG)."""
    return image.format != "MPO" and bool(getattr(image, "is_animated", False))


def check_animation(image: Image.Image, ctx: ImageContext) -> bool:
    """Whether ``image`` is animated; refused unless ``animated="first_frame"`` was asked for."""
    animated = _is_animated(image)
    if animated and ctx.options.animated == "error":
        frames = getattr(image, "n_frames", "several")
        raise ctx.error(
            UnsupportedImageFormatError,
            f"animated {image.format or 'image'} ({frames} frames) is not accepted by xAI; "
            "pass ImageOptions(animated='first_frame') to send its first frame",
        )
    return animated


def edge_over_limit(width: int, height: int, opts: ImageOptions) -> str | None:
    """Why the long edge is over ``max_edge``, or None."""
    if max(width, height) > opts.max_edge:
        return f"{width}x{height} has a long edge over max_edge {opts.max_edge}"
    return None


def over_limits(size: int, width: int, height: int, opts: ImageOptions) -> str | None:
    """Why ``size`` bytes of ``width`` x ``height`` are over a limit, or None."""
    if size > opts.max_bytes:
        return f"{size:,} bytes is over max_bytes {opts.max_bytes:,}"
    return edge_over_limit(width, height, opts)


def orientation(image: Image.Image, *, header_only: bool = False) -> int:
    """The EXIF orientation tag (1 = upright). ``header_only`` never decodes pixels to find it.

    Pillow loads a whole PNG to look for an ``eXIf`` chunk after the pixel data; from the
    header only, a PNG without an early ``eXIf`` chunk counts as upright.
    """
    if header_only and image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        value = image.getexif().get(0x0112, 1)
    except DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) else 1


# --------------------------------------------------------------------------- structure


def verify_structure(data: bytes, fmt: str, ctx: ImageContext) -> None:
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
    except DECODE_ERRORS as exc:
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
