"""Optimising a large JPEG decodes it at a reduced DCT scale (Pillow's draft mode), for every
EXIF orientation: the largest 1/2, 1/4 or 1/8 scale still at least the target (width and
height swapped for a picture stored sideways, orientations 5-8), then upright at the size and
image tokens the full decode gave."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image, JpegImagePlugin
from xai_vision.errors import ImageDecodeError
from xai_vision.images import ImageOptions, parse_data_uri, prepare_image
from xai_vision.tokens import estimate_image_tokens, processed_size

UPRIGHT = (3000, 2000)
#: The upright picture's quadrant colours: top-left, top-right, bottom-left, bottom-right.
QUADRANTS = {(0.25, 0.25): (220, 30, 30), (0.75, 0.25): (30, 200, 30),
             (0.25, 0.75): (30, 30, 220), (0.75, 0.75): (235, 235, 235)}  # fmt: skip
#: What EXIF orientation n does to the stored pixels to show them upright (exif_transpose),
#: undone here to store the upright picture as orientation n.
_STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # shown with ROTATE_270
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # shown with ROTATE_90
}


def upright_picture() -> Image.Image:
    """Four coloured quadrants with noise (so JPEG cannot shrink it to nothing)."""
    image = Image.new("RGB", UPRIGHT)
    w, h = UPRIGHT
    for (fx, fy), colour in QUADRANTS.items():
        x0, y0 = int((fx - 0.25) * w), int((fy - 0.25) * h)
        image.paste(colour, (x0, y0, x0 + w // 2, y0 + h // 2))
    noise = Image.merge("RGB", [Image.effect_noise(UPRIGHT, 40)] * 3)
    return Image.blend(image, noise, 0.15)


@pytest.fixture(scope="module")
def picture() -> Image.Image:
    return upright_picture()


def stored_jpeg(picture: Image.Image, orientation: int) -> bytes:
    transpose = _STORE[orientation]
    stored = picture if transpose is None else picture.transpose(transpose)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


@pytest.fixture
def drafts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[tuple[int, int], ...]]]:
    """Every JPEG draft request: (stored size, requested size, size decoded at)."""
    seen: list[tuple[tuple[int, int], ...]] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def draft(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: object) -> object:
        before = self.size
        result = original(self, mode, size)  # type: ignore[arg-type]
        seen.append((before, size, self.size))  # type: ignore[arg-type]
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft)
    yield seen


def largest_scale_at_least(stored: tuple[int, int], wanted: tuple[int, int]) -> tuple[int, int]:
    """The decoded size at the largest reduction (8, 4, 2, 1) that keeps ``wanted`` both ways."""
    s = next(s for s in (8, 4, 2, 1) if stored[0] >= s * wanted[0] and stored[1] >= s * wanted[1])
    return (-(-stored[0] // s), -(-stored[1] // s))


@pytest.mark.parametrize("detail", ["auto", "low"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_optimised_jpeg_is_drafted_then_upright_at_the_same_size_and_tokens(
    picture: Image.Image,
    drafts: list[tuple[tuple[int, int], ...]],
    orientation: int,
    detail: str,
) -> None:
    data = stored_jpeg(picture, orientation)
    target = processed_size(*UPRIGHT, detail)  # type: ignore[arg-type]
    prepared = prepare_image(data, detail=detail, options=ImageOptions(optimize=True))  # type: ignore[arg-type]

    sideways = orientation >= 5
    stored = (UPRIGHT[1], UPRIGHT[0]) if sideways else UPRIGHT
    wanted = (target[1], target[0]) if sideways else target
    assert len(drafts) == 1
    assert drafts[0][0] == stored and drafts[0][1] == wanted
    decoded_at = drafts[0][2]
    assert decoded_at == largest_scale_at_least(stored, wanted)
    assert decoded_at[0] < stored[0]  # a reduced scale really was used (1/2 auto, 1/4 low)

    assert (prepared.width, prepared.height) == target
    assert prepared.estimated_tokens == estimate_image_tokens(UPRIGHT, detail)  # type: ignore[arg-type]
    sent = Image.open(io.BytesIO(parse_data_uri(prepared.url)[1]))
    assert sent.size == target
    assert sent.getexif().get(0x0112) is None
    rgb = sent.convert("RGB")
    for (fx, fy), colour in QUADRANTS.items():
        got = rgb.getpixel((int(fx * target[0]), int(fy * target[1])))
        assert isinstance(got, tuple)
        assert all(abs(g - c) <= 45 for g, c in zip(got, colour, strict=True)), (fx, fy, got)


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_truncated_jpeg_is_still_an_error_when_decoded_at_a_reduced_scale(
    picture: Image.Image, drafts: list[tuple[tuple[int, int], ...]], orientation: int
) -> None:
    data = stored_jpeg(picture, orientation)
    cut = data[: len(data) * 2 // 3]
    with pytest.raises(ImageDecodeError):
        prepare_image(cut, options=ImageOptions(optimize=True))
    assert drafts and drafts[0][2][0] < drafts[0][0][0]  # it was read at a reduced scale
