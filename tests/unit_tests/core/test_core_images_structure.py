"""The structural integrity checks of pass-through images: truncation and broken framing rejected.

JPEG and WebP sent as they are are checked from their structure (markers, chunks), not decoded;
these tests cut and corrupt real files at many points and expect an ImageDecodeError every time,
and expect harmless variations (trailing padding, progressive scans) to pass byte-for-byte.
"""

from __future__ import annotations

import base64
import io
import struct

import pytest
from PIL import Image
from xai_vision.errors import ImageDecodeError
from xai_vision.images import ImageOptions, parse_data_uri, prepare_image


def noise(size: tuple[int, int] = (120, 90)) -> Image.Image:
    """Many-coloured noise, so the compressed data is long enough to cut anywhere."""
    return Image.merge("RGB", [Image.effect_noise(size, sigma) for sigma in (40, 60, 80)])


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


JPEG = encode(noise(), "JPEG", quality=90)
PROGRESSIVE = encode(noise(), "JPEG", quality=90, progressive=True)
WEBP = encode(noise(), "WEBP", quality=80)


def sent_bytes(data: bytes) -> bytes:
    """What prepare_image puts on the wire for ``data``."""
    return parse_data_uri(prepare_image(data).url)[1]


def first_scan_end(data: bytes) -> int:
    """The offset just after the first SOS segment's header."""
    sos = data.index(b"\xff\xda")
    return sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")


@pytest.mark.parametrize("data", [JPEG, PROGRESSIVE], ids=["baseline", "progressive"])
def test_whole_jpeg_passes_through_byte_for_byte(data: bytes) -> None:
    assert sent_bytes(data) == data


@pytest.mark.parametrize("data", [JPEG, PROGRESSIVE], ids=["baseline", "progressive"])
@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.7, 0.9, 0.99])
def test_jpeg_cut_inside_the_image_data_is_rejected(data: bytes, fraction: float) -> None:
    cut = data[: int(len(data) * fraction)]
    assert len(cut) > first_scan_end(data)  # the cut is past the headers, in the scans
    with pytest.raises(ImageDecodeError, match=r"truncated JPEG file: no EOI marker"):
        prepare_image(cut, index=2)


def test_jpeg_missing_only_its_eoi_marker_is_rejected() -> None:
    with pytest.raises(ImageDecodeError, match="no EOI marker"):
        prepare_image(JPEG[:-2])


def test_jpeg_with_eoi_only_inside_a_header_segment_is_still_cut_short() -> None:
    # An APP segment holding FF D9 (as an EXIF thumbnail does) ahead of a truncated scan.
    payload = b"thumb\xff\xd9thumb"
    app = b"\xff\xe9" + struct.pack(">H", len(payload) + 2) + payload
    data = JPEG[:2] + app + JPEG[2:]
    assert sent_bytes(data) == data
    with pytest.raises(ImageDecodeError, match="no EOI marker"):
        prepare_image(data[: len(data) * 2 // 3])


@pytest.mark.parametrize(
    "tail", [b"\x00" * 64, b"\xff" * 3, b"camera trailer"], ids=["zeros", "ff", "text"]
)
def test_jpeg_with_bytes_after_eoi_passes_through(tail: bytes) -> None:
    assert sent_bytes(JPEG + tail) == JPEG + tail


def test_jpeg_segment_length_past_the_end_is_rejected() -> None:
    # The first scan's header claims more bytes than the whole file holds.
    sos = JPEG.index(b"\xff\xda")
    data = JPEG[: sos + 2] + b"\xff\xf0" + JPEG[sos + 4 :]
    with pytest.raises(ImageDecodeError, match=r"corrupt or truncated JPEG file"):
        prepare_image(data)


def test_jpeg_with_garbage_where_a_marker_belongs_is_rejected() -> None:
    sos = JPEG.index(b"\xff\xda")
    data = JPEG[:sos] + b"\x12\x34" + JPEG[sos:]
    with pytest.raises(ImageDecodeError, match=r"corrupt or truncated JPEG file"):
        prepare_image(data)


def test_jpeg_with_an_empty_scan_is_rejected() -> None:
    data = JPEG[: first_scan_end(JPEG)] + b"\xff\xd9"
    with pytest.raises(ImageDecodeError, match="holds no image data"):
        prepare_image(data)


def test_whole_webp_sent_as_is_passes_through_with_trailing_bytes() -> None:
    as_is = ImageOptions(send_webp_as_is=True)
    for data in (WEBP, WEBP + b"\x00" * 10):
        assert parse_data_uri(prepare_image(data, options=as_is).url)[1] == data


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.999])
def test_webp_cut_short_is_rejected(fraction: float) -> None:
    with pytest.raises(ImageDecodeError, match="corrupt or truncated WEBP file"):
        prepare_image(WEBP[: int(len(WEBP) * fraction)])


def test_webp_chunk_longer_than_the_riff_is_rejected() -> None:
    data = bytearray(WEBP)
    length = int.from_bytes(data[16:20], "little")
    data[16:20] = (length + 100).to_bytes(4, "little")  # the first chunk now overruns the file
    with pytest.raises(ImageDecodeError, match=r"corrupt or truncated WEBP file"):
        prepare_image(bytes(data))


# --------------------------------------------------------------------------- data URI payloads


def test_megabyte_data_uri_round_trips() -> None:
    data = bytes(range(256)) * 4096 + b"\x01\x02"  # 1 MiB + 2: the payload ends in '=' padding
    uri = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    assert parse_data_uri(uri) == ("image/jpeg", data)


# --------------------------------------------------------------------------- data URI reuse


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def canonical(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@pytest.mark.parametrize("extra", [0, 1, 2])
def test_canonical_data_uri_is_sent_as_the_callers_own_string(extra: int) -> None:
    data = JPEG + b"\x00" * extra  # three lengths mod 3: every kind of padding
    uri = canonical(data)
    assert uri is not canonical(data)  # equal text, distinct objects
    assert prepare_image(uri).url is uri


def test_data_uri_with_nonzero_unused_bits_is_sent_in_canonical_form() -> None:
    # 2 bytes in the last quantum: one '=' and 2 unused bits (zeros after EOI are harmless).
    data = JPEG + b"\x00" * ((2 - len(JPEG)) % 3)
    uri = canonical(data)
    assert uri.endswith("=") and not uri.endswith("==")
    last = ALPHABET.index(uri[-2])
    assert last & 0b11 == 0
    sloppy = uri[:-2] + ALPHABET[last | 1] + "="
    assert parse_data_uri(sloppy)[1] == data  # decoders ignore the unused bits
    assert prepare_image(sloppy).url == uri


@pytest.mark.parametrize(
    "header",
    ["data:image/jpeg;name=a.jpg;base64,", "DATA:IMAGE/JPEG;BASE64,", "data:image/png;base64,"],
    ids=["params", "upper-case", "mime-lie"],
)
def test_non_canonical_data_uri_headers_are_rewritten(header: str) -> None:
    uri = header + base64.b64encode(JPEG).decode()
    assert prepare_image(uri).url == canonical(JPEG)


def test_reencoded_data_uri_does_not_reuse_the_callers_string() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: re-encoded upright, so the caller's text cannot be reused
    data = encode(noise((40, 30)), "JPEG", exif=exif)
    prepared = prepare_image(canonical(data))
    assert (prepared.width, prepared.height) == (30, 40)
    assert parse_data_uri(prepared.url)[1] != data


def test_bytes_are_encoded_to_the_standard_data_uri() -> None:
    assert prepare_image(JPEG).url == canonical(JPEG)
    as_is = ImageOptions(send_webp_as_is=True)
    assert prepare_image(WEBP, options=as_is).url == canonical(WEBP, "image/webp")
