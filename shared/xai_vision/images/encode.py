"""Resize and encode: decode pixels upright at the size needed, then JPEG or PNG that fits.

Used when bytes cannot be sent as they are (a format xAI does not take, over a limit, rotated
by EXIF, CMYK) or when optimisation is on, and for every ``PIL.Image`` a caller passes.
Re-encoding applies the EXIF orientation and drops other metadata (the ICC profile is kept).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from xai_vision.errors import ImageDecodeError, ImageTooLargeError
from xai_vision.images.checks import DECODE_ERRORS, orientation
from xai_vision.images.formats import MIME_TYPES
from xai_vision.images.options import ImageContext
from xai_vision.tokens import processed_size

#: JPEG quality when re-encoding for limits or conversion, and when optimising.
JPEG_QUALITY = 90
OPTIMIZED_JPEG_QUALITY = 85
#: At most this many colours counts as "few colours": PNG (lossless, small) rather than JPEG.
FEW_COLOURS = 256
_MIN_EDGE = 16
_ALPHA_MODES = frozenset({"RGBA", "LA"})


@dataclass(frozen=True, slots=True)
class Encoded:
    """Re-encoded image bytes, their MIME type and pixel size."""

    data: bytes
    mime_type: str
    width: int
    height: int


def target_size(size: tuple[int, int], ctx: ImageContext) -> tuple[int, int]:
    """The size to re-encode at: fit ``max_edge``; with ``optimize``, what xAI processes."""
    width, height = size
    scale = min(1.0, ctx.options.max_edge / max(width, height))
    target = (max(1, int(width * scale)), max(1, int(height * scale)))
    if ctx.options.optimize:
        processed = processed_size(width, height, ctx.detail or "auto")
        target = (min(target[0], processed[0]), min(target[1], processed[1]))
    return target


def decode_frame(
    image: Image.Image,
    fmt: str | None,
    target: tuple[int, int],
    oriented: tuple[int, int],
    ctx: ImageContext,
) -> Image.Image:
    """Decode pixels (a JPEG at the smallest DCT scale still >= target), upright, 8-bit."""
    try:
        if ctx.options.animated == "first_frame" and getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        if fmt == "jpeg" and target != oriented:
            _draft(image, target, oriented)
        image.load()
        return _normalise_mode(_upright(image))
    except Image.DecompressionBombError as exc:  # pragma: no cover - checked at open
        raise ctx.error(ImageTooLargeError, f"decompression-bomb guard: {exc}") from None
    except DECODE_ERRORS as exc:
        what = fmt.upper() if fmt else "image"
        raise ctx.error(ImageDecodeError, f"corrupt or truncated {what} file: {exc}") from None


def _draft(image: Image.Image, target: tuple[int, int], oriented: tuple[int, int]) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale, the smallest still >= ``target``.

    ``target`` is upright; a JPEG stored sideways (EXIF 5-8) is drafted at the swapped size.
    """
    swapped = oriented != image.size
    image.draft(None, (target[1], target[0]) if swapped else target)


def load_frame(image: Image.Image, ctx: ImageContext) -> Image.Image:
    """A caller's ``PIL.Image`` loaded, upright and 8-bit (its pixels are already there)."""
    try:
        image.load()
        return _normalise_mode(_upright(image))
    except DECODE_ERRORS as exc:
        raise ctx.error(ImageDecodeError, f"the PIL image cannot be read: {exc}") from None


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (always, when re-encoding); the tag itself is not kept."""
    if orientation(image) == 1:
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


def _resize(image: Image.Image, size: tuple[int, int], drafted: bool) -> Image.Image:
    """LANCZOS; after a JPEG draft decode, a bilinear (triangle) filter.

    libjpeg's DCT scaling has already done the heavy reduction (what is left is under 2x, unless
    max_bytes shrinks further; Pillow widens every filter with the reduction, so it stays
    antialiased): bilinear costs 0.4x LANCZOS's CPU for the W4 photo and lands within 1.1 dB
    PSNR of full decode + LANCZOS (53.5 dB; benchmarks/README.md), at the same size and tokens.
    """
    if image.size == size:
        return image
    if drafted:
        return image.resize(size, Image.Resampling.BILINEAR)
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode_fitting(
    frame: Image.Image,
    target: tuple[int, int],
    ctx: ImageContext,
    *,
    photo_default: bool,
    drafted: bool = False,
) -> Encoded:
    """Resize to ``target`` and encode; under "resize", shrink further until ``max_bytes`` fits.

    ``drafted``: ``frame`` was decoded at a reduced JPEG scale (:func:`decode_frame`).
    """
    opts = ctx.options
    size = target
    resized = _resize(frame, size, drafted)
    fmt = _choose_format(resized, photo_default, opts.optimize)
    while True:
        data = _encode(resized, fmt, opts.optimize)
        if len(data) <= opts.max_bytes:
            return Encoded(data, MIME_TYPES[fmt.lower()], resized.width, resized.height)
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
        resized = _resize(frame, size, drafted)
