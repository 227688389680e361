"""The pipeline: any source in, one :class:`PreparedImage` out, each job done once.

:func:`prepare_image` reads the source (:mod:`.sources`: a URL is kept, anything else becomes
bytes), opens and checks those bytes (:mod:`.checks`), then sends them as they are or re-encodes
them (:mod:`.encode`). A ``PIL.Image`` is pixels already: it is checked and encoded, never
read or opened. The result is neutral to the wire form: each endpoint builds its own image
part from ``url`` and ``detail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from PIL import Image

from xai_vision.errors import ImageDecodeError, ImageTooLargeError
from xai_vision.images.checks import (
    check_animation,
    check_pixels,
    edge_over_limit,
    open_image,
    orientation,
    over_limits,
    verify_structure,
)
from xai_vision.images.encode import (
    Encoded,
    decode_frame,
    encode_fitting,
    load_frame,
    target_size,
)
from xai_vision.images.formats import MIME_TYPES, detect_image_format, is_passthrough_format
from xai_vision.images.options import ImageContext, ImageOptions
from xai_vision.images.sources import (
    InlineSource,
    RemoteSource,
    Source,
    encode_data_uri,
    read_source,
    reused_data_uri,
)
from xai_vision.tokens import Detail, check_detail, estimate_image_tokens

#: Everything :func:`prepare_image` accepts.
ImageSource: TypeAlias = Source | Image.Image

_IMAGE_KINDS = (
    "a path, bytes, a binary file, a PIL image, an http(s) URL, a data URI or base64 text"
)
#: EXIF orientations that turn the picture a quarter: the upright size swaps width and height.
_ROTATING_ORIENTATIONS = frozenset({5, 6, 7, 8})


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
    detail = check_detail(detail)
    opts = options if options is not None else ImageOptions()
    if isinstance(source, Image.Image):
        label = f"PIL.Image[{source.mode} {source.width}x{source.height}]"
        return _from_pil(source, ImageContext(label, index, detail, opts))
    read = read_source(
        source,
        index=index,
        max_file_bytes=opts.max_bytes if opts.policy == "strict" else None,
        expected=_IMAGE_KINDS,
    )
    if isinstance(read, RemoteSource):
        return PreparedImage(read.url, detail, None, None, None, None, read.label, index)
    return _from_inline(read, ImageContext(read.label, index, detail, opts))


def _from_inline(source: InlineSource, ctx: ImageContext) -> PreparedImage:
    """Inline bytes: detect, open, check, then pass through or re-encode.

    The caller's data URI (``source.data_uri``) is reused as the output when the bytes pass
    through and it is already in the form we would write.
    """
    data = source.data
    if not data:
        raise ctx.error(ImageDecodeError, "zero bytes: the image is empty")
    opts = ctx.options
    fmt = detect_image_format(data)
    image = open_image(data, fmt, ctx)
    animated = check_animation(image, ctx)
    width, height = image.size
    over = over_limits(len(data), width, height, opts)
    if over and opts.policy == "strict":
        raise ctx.error(ImageTooLargeError, f"{over} (policy strict)")
    turn = orientation(image, header_only=True)
    # A server may or may not honour EXIF orientation, and some decoders invert Adobe CMYK:
    # such files are re-encoded upright in RGB so every reader sees the same picture.
    passthrough = (
        is_passthrough_format(fmt, image.format, webp=opts.send_webp_as_is)
        and not animated
        and not over
        and turn == 1
        and image.mode != "CMYK"
    )
    oriented = (height, width) if turn in _ROTATING_ORIENTATIONS else (width, height)
    if passthrough and not opts.optimize:
        return _as_is(source, fmt, oriented, ctx)
    target = target_size(oriented, ctx)
    frame = decode_frame(image, fmt, target, oriented, ctx)
    drafted = frame.size != oriented  # decoded at a 1/2, 1/4 or 1/8 JPEG scale
    encoded = encode_fitting(frame, target, ctx, photo_default=fmt == "jpeg", drafted=drafted)
    if passthrough and len(encoded.data) >= len(data):
        return _as_is(source, fmt, oriented, ctx)
    return _prepared(encoded, ctx)


def _as_is(
    source: InlineSource, fmt: str | None, size: tuple[int, int], ctx: ImageContext
) -> PreparedImage:
    """The source's own bytes, after their structure is verified."""
    assert fmt is not None
    verify_structure(source.data, fmt, ctx)
    encoded = Encoded(source.data, MIME_TYPES[fmt], *size)
    return _prepared(encoded, ctx, source.data_uri)


def _prepared(encoded: Encoded, ctx: ImageContext, data_uri: str | None = None) -> PreparedImage:
    """The PreparedImage of ``encoded``; its URL is ``data_uri`` itself when that is canonical."""
    data, mime = encoded.data, encoded.mime_type
    return PreparedImage(
        url=reused_data_uri(data, mime, data_uri) or encode_data_uri(data, mime),
        detail=ctx.detail,
        mime_type=mime,
        width=encoded.width,
        height=encoded.height,
        byte_size=len(data),
        source=ctx.label,
        index=ctx.index,
    )


def _from_pil(image: Image.Image, ctx: ImageContext) -> PreparedImage:
    """Encode a caller's PIL image: PNG for transparency or few colours, else JPEG."""
    check_pixels(image.size, ctx)
    check_animation(image, ctx)
    frame = load_frame(image, ctx)
    over = edge_over_limit(*frame.size, ctx.options)
    if over and ctx.options.policy == "strict":
        raise ctx.error(ImageTooLargeError, f"{over} (policy strict)")
    target = target_size(frame.size, ctx)
    return _prepared(encode_fitting(frame, target, ctx, photo_default=True), ctx)
