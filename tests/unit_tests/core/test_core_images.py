"""Image sources and rejections: every source kind in, every broken input out with a typed error."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, features
from xai_vision.errors import (
    ImageDecodeError,
    ImageError,
    ImageSourceError,
    ImageTooLargeError,
    RequestValidationError,
    UnsupportedImageFormatError,
)
from xai_vision.images import (
    ImageOptions,
    PreparedImage,
    detect_image_format,
    parse_data_uri,
    prepare_image,
)
from xai_vision.tokens import estimate_image_tokens


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def solid(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: object = "red") -> bytes:
    return encode(Image.new("RGB", size, color), fmt)  # type: ignore[arg-type]


def colour_noise(size: tuple[int, int]) -> Image.Image:
    """Many-coloured noise: a photograph as far as the format choice is concerned."""
    return Image.merge("RGB", [Image.effect_noise(size, sigma) for sigma in (40, 60, 80)])


def decoded(prepared: PreparedImage) -> bytes:
    """The bytes inside a prepared image's data URI."""
    return parse_data_uri(prepared.url)[1]


def png_with_header_size(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` (a decompression-bomb header)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("JPEG", "jpeg"),
        ("PNG", "png"),
        ("WEBP", "webp"),
        ("GIF", "gif"),
        ("BMP", "bmp"),
        ("TIFF", "tiff"),
        ("ICO", "ico"),
    ],
)
def test_detect_image_format_reads_magic_bytes(fmt: str, expected: str) -> None:
    assert detect_image_format(solid(fmt)) == expected


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow build cannot write AVIF")
def test_detect_image_format_avif_from_ftyp_brand() -> None:
    assert detect_image_format(solid("AVIF")) == "avif"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heix", "heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif", "avif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isommp41", None),  # an MP4 video
        (b"hello world, not an image", None),
        (b"", None),
        (b"\xff\xd8", None),  # too short to be a JPEG signature
    ],
)
def test_detect_image_format_edge_cases(head: bytes, expected: str | None) -> None:
    assert detect_image_format(head) == expected


# --------------------------------------------------------------------------- data URIs


def test_parse_data_uri_returns_mime_and_bytes() -> None:
    payload = solid("PNG")
    uri = "data:image/png;base64," + base64.b64encode(payload).decode()
    assert parse_data_uri(uri) == ("image/png", payload)


def test_parse_data_uri_is_case_insensitive_in_scheme_and_mime_and_allows_params() -> None:
    payload = b"\x01\x02\x03"
    uri = "DATA:Image/PNG;name=x.png;BASE64," + base64.b64encode(payload).decode()
    assert parse_data_uri(uri) == ("image/png", payload)


# --------------------------------------------------------------------------- sources


def test_path_string_and_pathlib(tmp_path: Path) -> None:
    data = solid("PNG")
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    for source in (str(path), path):
        prepared = prepare_image(source)
        assert decoded(prepared) == data
        assert prepared.source == "photo.png"
        assert prepared.mime_type == "image/png"
        assert (prepared.width, prepared.height) == (64, 48)


def test_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rel.jpg").write_bytes(solid("JPEG"))
    monkeypatch.chdir(tmp_path)
    assert prepare_image("rel.jpg").mime_type == "image/jpeg"


def test_non_ascii_path(tmp_path: Path) -> None:
    path = tmp_path / "фото 写真 é.png"
    path.write_bytes(solid("PNG", color="blue"))
    prepared = prepare_image(str(path))
    assert prepared.source == "фото 写真 é.png"
    assert decoded(prepared) == path.read_bytes()


def test_file_name_never_decides_the_format(tmp_path: Path) -> None:
    path = tmp_path / "really_a_jpeg.png"
    path.write_bytes(solid("JPEG"))
    assert prepare_image(path).url.startswith("data:image/jpeg;base64,")


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_raw_bytes_kinds(kind: Callable[[bytes], object]) -> None:
    data = solid("JPEG")
    prepared = prepare_image(kind(data))  # type: ignore[arg-type]
    assert decoded(prepared) == data
    assert prepared.source == f"bytes[{len(data)}]"


def test_binary_file_objects(tmp_path: Path) -> None:
    data = solid("PNG")
    assert decoded(prepare_image(io.BytesIO(data))) == data
    path = tmp_path / "pic.png"
    path.write_bytes(data)
    with path.open("rb") as handle:
        prepared = prepare_image(handle)
    assert decoded(prepared) == data
    assert prepared.source == "pic.png"
    assert prepared.mime_type == "image/png"


def test_text_mode_file_object_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with path.open("r") as handle, pytest.raises(ImageSourceError, match="binary mode"):
        prepare_image(handle)  # type: ignore[arg-type]


def test_pil_image_photo_becomes_jpeg_and_flat_becomes_png() -> None:
    photo = colour_noise((96, 64))
    prepared = prepare_image(photo)
    assert prepared.mime_type == "image/jpeg"
    assert prepared.source == "PIL.Image[RGB 96x64]"
    assert (prepared.width, prepared.height) == (96, 64)
    assert Image.open(io.BytesIO(decoded(prepared))).size == (96, 64)

    flat = Image.new("RGB", (30, 20), "green")
    assert prepare_image(flat).mime_type == "image/png"


def test_pil_image_with_transparency_stays_png_with_alpha() -> None:
    image = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    image.putpixel((0, 0), (0, 0, 255, 255))
    out = Image.open(io.BytesIO(decoded(prepare_image(image))))
    assert out.format == "PNG"
    assert out.mode == "RGBA"
    assert out.getpixel((5, 5))[3] == 0  # type: ignore[index]
    assert out.getpixel((0, 0)) == (0, 0, 255, 255)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cat.jpg",
        "http://example.com:8080/a/b.png?x=1#frag",
        "HTTPS://EXAMPLE.COM/upper.png",
    ],
)
def test_http_urls_are_kept_as_they_are(url: str) -> None:
    prepared = prepare_image(url, detail="low", index=3)
    assert prepared.url == url
    assert prepared.mime_type is None
    assert prepared.is_remote
    assert prepared.estimated_tokens is None
    assert (prepared.width, prepared.height, prepared.byte_size) == (None, None, None)
    assert prepared.detail == "low"
    assert prepared.index == 3


def test_data_uri_source_is_decoded_and_reemitted() -> None:
    data = solid("PNG")
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    prepared = prepare_image(uri)
    assert prepared.url == uri
    assert prepared.source.startswith("data:image/png;base64,...")


def test_data_uri_mime_lie_is_corrected_from_the_bytes() -> None:
    jpeg = solid("JPEG")
    uri = "data:image/png;base64," + base64.b64encode(jpeg).decode()
    prepared = prepare_image(uri)
    assert prepared.mime_type == "image/jpeg"
    assert prepared.url == "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def test_data_uri_claiming_an_image_but_holding_text_is_rejected() -> None:
    uri = "data:image/png;base64," + base64.b64encode(b"just some text, honest").decode()
    with pytest.raises(ImageDecodeError, match="not an image"):
        prepare_image(uri)


def test_bare_base64_with_line_breaks() -> None:
    data = solid("PNG", color="yellow")
    text = base64.encodebytes(data).decode()  # wrapped every 76 characters
    assert "\n" in text
    prepared = prepare_image(text)
    assert decoded(prepared) == data
    assert prepared.source.startswith("base64[")


def test_prepared_image_repr_is_short_and_tokens_use_the_rule() -> None:
    prepared = prepare_image(solid("PNG", size=(1000, 900)), detail="high")
    assert len(repr(prepared)) < 400
    assert prepared.estimated_tokens == estimate_image_tokens((1000, 900), "high")
    low = prepare_image(solid("PNG", size=(1000, 900)), detail="low")
    assert low.estimated_tokens == 256


# --------------------------------------------------------------------------- rejections


def test_zero_bytes() -> None:
    with pytest.raises(ImageDecodeError, match="zero bytes"):
        prepare_image(b"")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageDecodeError, match=r"image \(empty.png\): zero bytes"):
        prepare_image(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_files(fmt: str) -> None:
    # Noise so the compressed stream is long enough to cut in the middle of the pixel data.
    data = encode(colour_noise((200, 150)), fmt)
    with pytest.raises(ImageDecodeError, match=r"truncated|corrupt") as info:
        prepare_image(data[: len(data) * 2 // 3], index=1)
    assert info.value.index == 1


def test_truncated_jpeg_header() -> None:
    with pytest.raises(ImageDecodeError):
        prepare_image(solid("JPEG")[:20])


def test_corrupt_png_crc() -> None:
    data = bytearray(solid("PNG"))
    assert data[37:41] == b"IDAT"
    data[45] ^= 0xFF  # inside the IDAT payload: its CRC no longer matches
    with pytest.raises(ImageDecodeError, match="checksum"):
        prepare_image(bytes(data))


@pytest.mark.parametrize(
    "data",
    [b"hello world", b"%PDF-1.7\n...", b"\x00" * 100, b'{"json": true}'],
)
def test_non_image_bytes(data: bytes) -> None:
    with pytest.raises(ImageDecodeError, match="not an image"):
        prepare_image(data)


def test_decompression_bomb_header_is_refused_without_touching_pillow_globals() -> None:
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageTooLargeError, match="decompression-bomb guard") as info:
        prepare_image(png_with_header_size(100_000, 100_000), index=4)
    assert info.value.index == 4
    assert "100000x100000" in str(info.value)
    assert before == Image.MAX_IMAGE_PIXELS


def test_max_pixels_is_a_per_call_setting() -> None:
    data = solid("PNG", size=(100, 100))
    with pytest.raises(ImageTooLargeError, match="max_pixels 9,999"):
        prepare_image(data, options=ImageOptions(max_pixels=9_999))
    assert prepare_image(data, options=ImageOptions(max_pixels=10_000)).width == 100
    # Above Pillow's own bomb threshold, when the caller explicitly allows it.
    big = png_with_header_size(20_000, 10_000)
    with pytest.raises(ImageDecodeError):  # allowed past the guard, then found to be corrupt
        prepare_image(big, options=ImageOptions(max_pixels=300_000_000))


def test_missing_path() -> None:
    with pytest.raises(ImageSourceError, match="no such file") as info:
        prepare_image("/definitely/not/here.png", index=2)
    assert str(info.value).startswith("image 2 (/definitely/not/here.png)")


def test_missing_pathlib_path(tmp_path: Path) -> None:
    with pytest.raises(ImageSourceError, match="no such file"):
        prepare_image(tmp_path / "gone.jpg")


def test_windows_drive_letter_is_a_path_not_a_scheme() -> None:
    with pytest.raises(ImageSourceError, match="no such file"):
        prepare_image("C:\\Users\\me\\photo.png")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ImageSourceError, match="is a directory"):
        prepare_image(tmp_path)
    with pytest.raises(ImageSourceError, match="is a directory"):
        prepare_image(str(tmp_path))


def test_empty_string_and_unknown_types() -> None:
    with pytest.raises(ImageSourceError, match="empty string"):
        prepare_image("")
    with pytest.raises(ImageSourceError, match="unsupported source type int"):
        prepare_image(42)  # type: ignore[arg-type]


def test_invalid_detail_is_refused() -> None:
    with pytest.raises(RequestValidationError, match="detail must be one of"):
        prepare_image(solid(), detail="ultra")  # type: ignore[arg-type]


def test_heic_is_a_clear_unsupported_format() -> None:
    fake_heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(UnsupportedImageFormatError, match="HEIC images cannot be read"):
        prepare_image(fake_heic)


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow build cannot read AVIF")
def test_avif_is_converted_to_png() -> None:
    prepared = prepare_image(encode(Image.new("RGB", (32, 16), "blue"), "AVIF"))
    assert prepared.mime_type == "image/png"
    assert (prepared.width, prepared.height) == (32, 16)


def test_every_error_is_an_image_error_with_index_and_source() -> None:
    with pytest.raises(ImageError) as info:
        prepare_image(b"garbage!", index=7)
    assert info.value.index == 7
    assert info.value.source == "bytes[8]"
    assert "image 7 (bytes[8])" in str(info.value)


def test_malformed_data_uri_source_names_its_index() -> None:
    with pytest.raises(
        ImageSourceError, match=r"^image 3 \(data:image/png,\.\.\. .*only ';base64,'"
    ):
        prepare_image("data:image/png,abc", index=3)


def test_devices_are_refused_not_read_forever() -> None:
    with pytest.raises(ImageSourceError, match="not a regular file"):
        prepare_image("/dev/zero")
