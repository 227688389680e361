"""Crops: a region of an image at its full resolution, ready for the wire ("look closer").

A box is ``(x0, y0, x1, y1)`` in fractions of the upright picture's width and height (0 is the
left or top edge, 1 the right or bottom), so a model can name a region without knowing the
pixel size. The crop is cut from the source's own pixels, not from the smaller picture xAI
may have been sent, so small print the whole picture blurs stays readable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from numbers import Real
from typing import TypeAlias

from PIL import Image

from xai_vision.errors import ImageSourceError, RequestValidationError
from xai_vision.images.checks import check_animation, check_pixels, open_image
from xai_vision.images.encode import decode_frame, load_frame
from xai_vision.images.formats import detect_image_format
from xai_vision.images.options import ImageContext, ImageOptions
from xai_vision.images.prepare import ImageSource, PreparedImage, prepare_image
from xai_vision.images.sources import RemoteSource, read_source
from xai_vision.tokens import Detail, check_detail

__all__ = ["Box", "CroppableImage", "PixelBox", "box_pixels", "check_box", "crop_image"]

#: ``(x0, y0, x1, y1)``: left, top, right and bottom edges as fractions of width and height.
Box: TypeAlias = tuple[float, float, float, float]
#: ``(left, top, right, bottom)`` in pixels, right and bottom exclusive (as ``Image.crop``).
PixelBox: TypeAlias = tuple[int, int, int, int]

_BOX_RULE = (
    "4 numbers [x0, y0, x1, y1], fractions of the width and height "
    "with 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1"
)
_CROP_KINDS = "a path, bytes, a binary file, a PIL image, a data URI or base64 text"


def check_box(box: object, *, where: str = "box") -> Box:
    """``box`` as four floats inside the picture; RequestValidationError naming ``where``."""
    if isinstance(box, (str, bytes)) or not isinstance(box, Sequence) or len(box) != 4:
        raise RequestValidationError(f"{where} must be {_BOX_RULE}, got {box!r}")
    if not all(isinstance(v, Real) and not isinstance(v, bool) for v in box):
        raise RequestValidationError(f"{where} must be {_BOX_RULE}, got {list(box)!r}")
    x0, y0, x1, y1 = (float(v) for v in box)
    if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in (x0, y0, x1, y1)):
        raise RequestValidationError(f"{where} must be {_BOX_RULE}, got {list(box)!r}: outside 0-1")
    if not (x0 < x1 and y0 < y1):
        raise RequestValidationError(
            f"{where} must be {_BOX_RULE}, got {list(box)!r}: the region is empty"
        )
    return (x0, y0, x1, y1)


def box_pixels(box: Box, size: tuple[int, int]) -> PixelBox:
    """The pixels ``box`` covers in a picture of ``size``: edges rounded outwards, at least 1 px."""
    width, height = size
    left, right = _span(box[0], box[2], width)
    top, bottom = _span(box[1], box[3], height)
    return (left, top, right, bottom)


def _span(start: float, end: float, length: int) -> tuple[int, int]:
    # Rounded to 1e-6 px first, so 0.1 * 360 is 36, not 36.000000000000004 (37 when rounded up).
    low = min(math.floor(round(start * length, 6)), length - 1)
    high = max(math.ceil(round(end * length, 6)), low + 1)
    return low, min(high, length)


@dataclass(frozen=True, eq=False)
class CroppableImage:
    """An image read and checked once, to cut crops from later (its pixels are decoded per crop).

    ``width`` and ``height`` are the upright size (EXIF orientation applied), the size boxes
    are fractions of. An http(s) URL cannot be cropped: this package never downloads images.
    """

    label: str
    width: int
    height: int
    options: ImageOptions
    index: int | None
    _data: bytes | None
    _pil: Image.Image | None

    @classmethod
    def read(
        cls, source: ImageSource, *, options: ImageOptions | None = None, index: int | None = None
    ) -> CroppableImage:
        """Read ``source`` and decode it once (so a broken file fails here, naming it)."""
        opts = options if options is not None else ImageOptions()
        if isinstance(source, Image.Image):
            label = f"PIL.Image[{source.mode} {source.width}x{source.height}]"
            ctx = ImageContext(label, index, None, opts)
            check_pixels(source.size, ctx)
            check_animation(source, ctx)
            width, height = load_frame(source, ctx).size
            return cls(label, width, height, opts, index, None, source)
        read = read_source(source, index=index, expected=_CROP_KINDS)
        if isinstance(read, RemoteSource):
            raise ImageSourceError(
                "an http(s) URL cannot be cropped: this package never downloads images (xAI "
                "fetches URLs itself); pass the image as a path, bytes or a PIL image",
                source=read.label,
                index=index,
            )
        image = cls(read.label, 0, 0, opts, index, read.data, None)
        width, height = image._frame().size
        return replace(image, width=width, height=height)

    def _frame(self) -> Image.Image:
        """The whole picture's pixels: upright, 8-bit (first frame if animation is allowed)."""
        ctx = ImageContext(self.label, self.index, None, self.options)
        if self._pil is not None:
            return load_frame(self._pil, ctx)
        assert self._data is not None
        fmt = detect_image_format(self._data)
        image = open_image(self._data, fmt, ctx)
        check_animation(image, ctx)
        return decode_frame(image, fmt, image.size, image.size, ctx)  # all of it: no draft

    def pixels(self, box: object) -> PixelBox:
        """The pixel rectangle of ``box`` (checked: RequestValidationError) in this image."""
        return box_pixels(check_box(box), (self.width, self.height))

    def crop(self, box: object, *, detail: Detail | None = "high") -> PreparedImage:
        """The region ``box`` as a :class:`PreparedImage` (PNG for few colours, else JPEG).

        The options' limits apply to the crop as to any image (``max_edge``: downscaled, or
        ImageTooLargeError under the strict policy). The result's ``source`` names the image
        and the pixels cut, e.g. ``"receipt.png[0,210:360,420]"``.
        """
        detail = check_detail(detail)
        left, top, right, bottom = self.pixels(box)
        region = self._frame().crop((left, top, right, bottom))
        prepared = prepare_image(region, detail=detail, options=self.options, index=self.index)
        return replace(prepared, source=f"{self.label}[{left},{top}:{right},{bottom}]")


def crop_image(
    source: ImageSource,
    box: Sequence[float],
    *,
    detail: Detail | None = "high",
    options: ImageOptions | None = None,
    index: int | None = None,
) -> PreparedImage:
    """Cut ``box`` (fractions of width and height) out of ``source`` at full resolution.

    A bad box is a :class:`~xai_vision.errors.RequestValidationError`; an unusable image (an
    http(s) URL included: nothing is downloaded) an :class:`~xai_vision.errors.ImageError`.
    """
    check_box(box)
    return CroppableImage.read(source, options=options, index=index).crop(box, detail=detail)
