"""A corpus of broken and tricky image inputs, every one generated here with Pillow or bytes.

Each :class:`Case` builds its source (bytes, a path written under a temporary folder, or a
string: URL, data URI, other scheme) and says what must come of it: converted to an image of
a known size and type (:class:`Converted`), or rejected with a typed error whose message names
the reason (:class:`Rejected`).
"""

from __future__ import annotations

import base64
import functools
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from xai_vision.errors import (
    ImageDecodeError,
    ImageError,
    ImageSourceError,
    ImageTooLargeError,
    UnsupportedImageFormatError,
)
from xai_vision.images import ImageOptions

Source = bytes | Path | str


@dataclass(frozen=True)
class Converted:
    """The input must become an image of this upright size, sent as one of these formats."""

    width: int
    height: int
    formats: tuple[str, ...]  # emulator / PIL format names, lower case: "png", "jpeg", ...
    max_bytes: int | None = None  # the sent image must be at most this big


@dataclass(frozen=True)
class Rejected:
    """The input must be refused, before sending, with ``error`` naming ``reason``."""

    error: type[ImageError]
    reason: str  # a fragment of the message, lower case


@dataclass(frozen=True)
class Case:
    """One hostile input."""

    name: str
    make: Callable[[Path], Source]
    expect: Converted | Rejected
    options: ImageOptions | None = None
    #: LlamaIndex's own ImageBlock / ImageDocument refuse this input when built (a ValueError
    #: from the framework, before the adapter sees it).
    llama_index_refuses: bool = False


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    """``image`` saved as ``fmt``."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _rgb(size: tuple[int, int] = (40, 30), colour: str = "red") -> Image.Image:
    return Image.new("RGB", size, colour)


def _png() -> bytes:
    return encode(_rgb(), "PNG")


def _jpeg() -> bytes:
    return encode(_rgb(), "JPEG")


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def decompression_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` 1-bit pixels, in ~100 bytes."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * ((width + 7) // 8 + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


@functools.cache
def big_png() -> bytes:
    """A valid PNG just over 21 MiB (stored without compression)."""
    size = (2700, 2750)
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient)
    )
    data = encode(image, "PNG", compress_level=0)
    assert len(data) > 21 * 1024 * 1024
    return data


def _animated_gif() -> bytes:
    frames = [_rgb((20, 20), c) for c in ("red", "blue", "green")]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)


def _exif_rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    return encode(_rgb((40, 30)), "JPEG", exif=exif.tobytes())


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (40, 30), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    return encode(image, "PNG", transparency=0)


def _heic() -> bytes:
    # An ISO-BMFF ftyp box naming HEIC: what an iPhone photo starts with.
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + bytes(64)


def _directory(folder: Path) -> Path:
    path = folder / "photos.png"
    path.mkdir()
    return path


_PNG = ("png",)
_STRICT = ImageOptions(policy="strict")

CASES: list[Case] = [
    # ---- broken bytes
    # Bytes that are empty (ImageDecodeError) or a block whose data is empty (ImageSourceError).
    Case("zero bytes", lambda d: b"", Rejected(ImageError, "empty")),
    Case("zero-byte file", _write("empty.png", b""), Rejected(ImageDecodeError, "empty")),
    Case(
        "truncated PNG",
        lambda d: _png()[: len(_png()) // 2],
        Rejected(ImageDecodeError, "truncated"),
    ),
    Case(
        "truncated JPEG",
        lambda d: _jpeg()[: len(_jpeg()) // 2],
        Rejected(ImageDecodeError, "truncated"),
    ),
    Case(
        "truncated WebP",
        lambda d: encode(_rgb(), "WEBP")[:30],
        Rejected(ImageDecodeError, "webp"),
    ),
    Case("PNG signature only", lambda d: _png()[:8], Rejected(ImageDecodeError, "png")),
    Case(
        "non-image bytes (PDF)",
        lambda d: b"%PDF-1.4\n1 0 obj\n",
        Rejected(ImageDecodeError, "not an image"),
    ),
    Case(
        "SVG text",
        lambda d: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
        Rejected(ImageDecodeError, "not an image"),
    ),
    Case(
        "text file named .png",
        _write("notes.png", b"just some notes\n"),
        Rejected(ImageDecodeError, "not an image"),
    ),
    # ---- names and MIME types that lie
    Case("PNG named .jpg", _write("photo.jpg", _png()), Converted(40, 30, _PNG)),
    Case("JPEG named .gif", _write("anim.gif", _jpeg()), Converted(40, 30, ("jpeg",))),
    Case(
        "data URI claiming PNG, holding JPEG",
        lambda d: _data_uri("image/png", _jpeg()),
        Converted(40, 30, ("jpeg",)),
    ),
    Case(
        "data URI claiming JPEG, holding text",
        lambda d: _data_uri("image/jpeg", b"hello world, not an image"),
        Rejected(ImageDecodeError, "not an image"),
    ),
    # ---- tricky but valid images
    Case(
        "animated GIF",
        lambda d: _animated_gif(),
        Rejected(UnsupportedImageFormatError, "animated"),
    ),
    Case(
        "animated GIF, first frame allowed",
        lambda d: _animated_gif(),
        Converted(20, 20, _PNG),
        ImageOptions(animated="first_frame"),
    ),
    Case("static GIF", lambda d: encode(_rgb((20, 20)), "GIF"), Converted(20, 20, _PNG)),
    Case(
        "21 MiB PNG (resized to fit)",
        lambda d: big_png(),
        Converted(2700, 2750, ("jpeg", "png"), max_bytes=20 * 1024 * 1024),
    ),
    Case(
        "21 MiB PNG under the strict policy",
        lambda d: big_png(),
        Rejected(ImageTooLargeError, "max_bytes"),
        _STRICT,
    ),
    Case(
        "30000x30000 decompression bomb",
        lambda d: decompression_bomb(),
        Rejected(ImageTooLargeError, "decompression-bomb"),
    ),
    Case(
        "9000 px wide strip (resized)",
        lambda d: encode(_rgb((9000, 9)), "PNG"),
        Converted(8192, 8, _PNG),
    ),
    Case(
        "9000 px wide strip under the strict policy",
        lambda d: encode(_rgb((9000, 9)), "PNG"),
        Rejected(ImageTooLargeError, "max_edge"),
        _STRICT,
    ),
    Case(
        "CMYK JPEG",
        lambda d: encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"),
        Converted(40, 30, ("jpeg", "png")),  # re-encoded in RGB; few colours -> PNG
    ),
    Case(
        "16-bit greyscale PNG",
        lambda d: encode(Image.new("I;16", (40, 30), 40000), "PNG"),
        Converted(40, 30, _PNG),
    ),
    Case(
        "palette PNG with transparency",
        lambda d: _palette_with_transparency(),
        Converted(40, 30, _PNG),
    ),
    Case(
        "1-bit PNG", lambda d: encode(Image.new("1", (40, 30), 1), "PNG"), Converted(40, 30, _PNG)
    ),
    Case("1x1 PNG", lambda d: encode(_rgb((1, 1)), "PNG"), Converted(1, 1, _PNG)),
    Case(
        "EXIF-rotated JPEG (upright is 30x40)",
        lambda d: _exif_rotated_jpeg(),
        Converted(30, 40, ("jpeg", "png")),  # re-encoded upright
    ),
    Case("PNG with trailing junk", lambda d: _png() + b"junk" * 40, Converted(40, 30, _PNG)),
    Case("BMP (converted)", lambda d: encode(_rgb(), "BMP"), Converted(40, 30, _PNG)),
    Case("TIFF (converted)", lambda d: encode(_rgb(), "TIFF"), Converted(40, 30, _PNG)),
    Case("AVIF (converted)", lambda d: encode(_rgb(), "AVIF"), Converted(40, 30, _PNG)),
    Case("HEIC", lambda d: _heic(), Rejected(UnsupportedImageFormatError, "heic")),
    # ---- malformed data URIs
    Case(
        "data URI without a comma",
        lambda d: "data:image/png;base64",
        Rejected(ImageSourceError, "no ','"),
    ),
    Case(
        "data URI without ;base64",
        lambda d: "data:image/png,iVBORw0KGgo=",
        Rejected(ImageSourceError, "base64"),
    ),
    Case(
        "data URI with bad base64",
        lambda d: "data:image/png;base64,iVBOR@@w0KGgo=",
        Rejected(ImageSourceError, "bad base64"),
    ),
    Case(
        "data URI with an empty payload",
        lambda d: "data:image/png;base64,",
        Rejected(ImageSourceError, "empty"),
    ),
    Case(
        "data URI with unpadded base64",
        lambda d: "data:image/png;base64," + base64.b64encode(_png()).decode().rstrip("="),
        Rejected(ImageSourceError, "base64"),
    ),
    # ---- other schemes
    Case("file:// URL", lambda d: "file:///etc/passwd", Rejected(ImageSourceError, "scheme")),
    Case("ftp:// URL", lambda d: "ftp://example.com/cat.png", Rejected(ImageSourceError, "scheme")),
    Case("javascript: URL", lambda d: "javascript:alert(1)", Rejected(ImageSourceError, "scheme")),
    Case(
        "http URL without a host",
        lambda d: "http://",
        Rejected(ImageSourceError, "host"),
        llama_index_refuses=True,
    ),
    # ---- paths
    Case(
        "missing path",
        lambda d: d / "no-such-photo.png",
        Rejected(ImageSourceError, "no such file"),
        llama_index_refuses=True,
    ),
    Case(
        "directory",
        _directory,
        Rejected(ImageSourceError, "directory"),
        llama_index_refuses=True,
    ),
    Case("non-ASCII path", _write("фото 写真 ü.png", _png()), Converted(40, 30, _PNG)),
    Case(
        "missing non-ASCII path",
        lambda d: d / "nincs-ilyen-kép.png",
        Rejected(ImageSourceError, "no such file"),
        llama_index_refuses=True,
    ),
]

CASES_BY_NAME: dict[str, Case] = {case.name: case for case in CASES}
assert len(CASES_BY_NAME) == len(CASES), "case names must be unique"
