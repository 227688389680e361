"""Crops at full resolution (xai_vision.images.crop) and the framework-neutral look-closer tool."""

from __future__ import annotations

import io
import math
from typing import Any

import jsonschema
import pytest
from PIL import Image, ImageDraw
from xai_vision import LookCloser, crop_image
from xai_vision.errors import (
    ImageDecodeError,
    ImageSourceError,
    RequestValidationError,
    UnsupportedImageFormatError,
)
from xai_vision.images import CroppableImage, ImageOptions, check_box, parse_data_uri
from xai_vision.images.crop import box_pixels

from tests.conftest import make_image_bytes, make_noise_image_bytes


def quadrants(size: tuple[int, int] = (200, 100), fmt: str = "PNG", **save: Any) -> bytes:
    """Red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    width, height = size
    image = Image.new("RGB", size, "yellow")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill="red")
    draw.rectangle((width // 2, 0, width - 1, height // 2 - 1), fill="lime")
    draw.rectangle((0, height // 2, width // 2 - 1, height - 1), fill="blue")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def decoded(url: str) -> Image.Image:
    """The picture a data URI holds."""
    _, data = parse_data_uri(url)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def colours(image: Image.Image) -> set[tuple[int, ...]]:
    """The distinct RGB colours of an image."""
    found = image.convert("RGB").getcolors(1 << 16)
    assert found is not None
    return {colour for _, colour in found}


# --------------------------------------------------------------------------- crop_image


@pytest.mark.parametrize(
    ("box", "colour", "pixels"),
    [
        ((0, 0, 0.5, 0.5), (255, 0, 0), "[0,0:100,50]"),
        ((0.5, 0, 1, 0.5), (0, 255, 0), "[100,0:200,50]"),
        ((0, 0.5, 0.5, 1), (0, 0, 255), "[0,50:100,100]"),
        ((0.5, 0.5, 1, 1), (255, 255, 0), "[100,50:200,100]"),
    ],
)
def test_a_quadrant_is_exactly_its_pixels(
    box: tuple[float, float, float, float], colour: tuple[int, int, int], pixels: str
) -> None:
    data = quadrants()
    crop = crop_image(data, box)
    assert (crop.width, crop.height) == (100, 50)
    assert crop.detail == "high" and crop.mime_type == "image/png"  # few colours: lossless
    assert colours(decoded(crop.url)) == {colour}
    assert crop.source == f"bytes[{len(data)}]{pixels}"


def test_the_crop_comes_from_full_resolution_pixels() -> None:
    """A 4000x3000 photo would reach the model downscaled; its crop keeps every pixel."""
    big = Image.new("RGB", (4000, 3000), "white")
    ImageDraw.Draw(big).rectangle((3800, 2900, 3999, 2999), fill="magenta")  # 200x100 corner
    crop = crop_image(big, (0.95, 2900 / 3000, 1, 1), detail="low")
    assert (crop.width, crop.height) == (200, 100)
    assert crop.detail == "low"
    assert colours(decoded(crop.url)) == {(255, 0, 255)}
    assert crop.source.endswith("[3800,2900:4000,3000]")


def test_a_photo_crop_is_jpeg_and_a_region_of_the_original() -> None:
    photo = make_noise_image_bytes((640, 480), seed=3)
    crop = crop_image(photo, (0.25, 0.25, 0.75, 0.75))
    assert crop.mime_type == "image/jpeg"
    assert (crop.width, crop.height) == (320, 240)
    original = Image.open(io.BytesIO(photo)).convert("RGB").crop((160, 120, 480, 360))
    got = decoded(crop.url).convert("RGB")
    # JPEG again: close to the original region, far from any other region of the photo.
    diff = sum(abs(a - b) for a, b in zip(got.tobytes(), original.tobytes(), strict=True))
    other = Image.open(io.BytesIO(photo)).convert("RGB").crop((0, 0, 320, 240))
    far = sum(abs(a - b) for a, b in zip(got.tobytes(), other.tobytes(), strict=True))
    assert diff < far / 4


def test_boxes_are_fractions_of_the_upright_picture() -> None:
    """A JPEG stored sideways (EXIF orientation 6) is cropped as it is seen."""
    stored = Image.new("RGB", (100, 200), "blue")
    ImageDraw.Draw(stored).rectangle((0, 0, 99, 99), fill="red")  # top half of the stored file
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to view: the red half ends up on the right
    buffer = io.BytesIO()
    stored.save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    image = CroppableImage.read(buffer.getvalue())
    assert (image.width, image.height) == (200, 100)
    right = decoded(image.crop((0.6, 0.1, 0.9, 0.9)).url).convert("RGB")
    left = decoded(image.crop((0.1, 0.1, 0.4, 0.9)).url).convert("RGB")
    assert right.getpixel((10, 10))[0] > 200 and left.getpixel((10, 10))[2] > 200


@pytest.mark.parametrize(
    ("box", "size", "pixels"),
    [
        ((0.1, 0.1, 0.9, 0.9), (360, 420), (36, 42, 324, 378)),  # 0.1 * 360 is 36, not 37
        ((0.29, 0, 0.71, 1), (100, 10), (29, 0, 71, 10)),
        ((0.501, 0.501, 0.502, 0.502), (10, 10), (5, 5, 6, 6)),  # at least one pixel
        ((0.999, 0.999, 1, 1), (10, 10), (9, 9, 10, 10)),
        ((0.0, 0.0, 1.0, 1.0), (7, 3), (0, 0, 7, 3)),
        ((0.33, 0.33, 0.34, 0.34), (3, 3), (0, 0, 2, 2)),  # edges rounded outwards
    ],
)
def test_box_pixels_round_outwards(
    box: tuple[float, float, float, float],
    size: tuple[int, int],
    pixels: tuple[int, int, int, int],
) -> None:
    assert box_pixels(box, size) == pixels


@pytest.mark.parametrize(
    ("box", "reason"),
    [
        ([0, 0, 1], "got [0, 0, 1]"),
        ((0, 0, 1, 1, 1), "got (0, 0, 1, 1, 1)"),
        ("0 0 1 1", "got '0 0 1 1'"),
        (None, "got None"),
        ({"x0": 0}, "got {'x0': 0}"),
        ([0, 0, "1", 1], "got [0, 0, '1', 1]"),
        ([False, 0, True, 1], "got [False, 0, True, 1]"),
        ([0, 0, 1.5, 1], "outside 0-1"),
        ([-0.1, 0, 1, 1], "outside 0-1"),
        ([0, 0, math.nan, 1], "outside 0-1"),
        ([0, 0, math.inf, 1], "outside 0-1"),
        ([0.5, 0, 0.5, 1], "the region is empty"),
        ([0, 0.8, 1, 0.2], "the region is empty"),
    ],
)
def test_a_bad_box_is_a_typed_error_naming_it(box: object, reason: str) -> None:
    with pytest.raises(RequestValidationError, match=r"^box must be 4 numbers") as caught:
        check_box(box)
    assert reason in str(caught.value)
    with pytest.raises(RequestValidationError, match=r"^box must be"):
        crop_image(make_image_bytes(), box)  # type: ignore[arg-type]


def test_the_box_is_checked_before_the_image_is_read(tmp_path: Any) -> None:
    with pytest.raises(RequestValidationError, match=r"box must be"):
        crop_image(tmp_path / "missing.png", (0, 0, 2, 1))


@pytest.mark.parametrize(
    ("source", "error", "reason"),
    [
        ("https://example.com/photo.jpg", ImageSourceError, "cannot be cropped"),
        (b"not an image at all", ImageDecodeError, "not an image"),
        (make_image_bytes(fmt="PNG")[:40], ImageDecodeError, "PNG"),
        ("missing.png", ImageSourceError, "no such file"),
    ],
)
def test_an_unusable_image_is_a_typed_error_before_any_crop(
    source: Any, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error, match=reason):
        CroppableImage.read(source)
    with pytest.raises(error, match=reason):
        LookCloser({"photo": source})


def test_an_animated_gif_needs_the_first_frame_opt_in() -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(UnsupportedImageFormatError, match="animated"):
        crop_image(buffer.getvalue(), (0, 0, 1, 1))
    crop = crop_image(buffer.getvalue(), (0, 0, 1, 1), options=ImageOptions(animated="first_frame"))
    assert colours(decoded(crop.url)) == {(255, 0, 0)}


def test_limits_apply_to_the_crop() -> None:
    wide = Image.new("RGB", (3000, 100), "green")
    resized = crop_image(wide, (0, 0, 1, 1), options=ImageOptions(max_edge=1000))
    assert (resized.width, resized.height) == (1000, 33)
    looker = LookCloser([wide], options=ImageOptions(max_edge=1000, policy="strict"))
    refused = looker.look({"image": "1", "box": [0, 0, 1, 1]})
    assert refused.image is None
    assert "max_edge 1000" in refused.text and refused.text.startswith("look_closer error:")
    assert looker.look({"image": "1", "box": [0, 0, 0.3, 1]}).image is not None  # 900 px fits


# --------------------------------------------------------------------------- LookCloser


@pytest.fixture
def looker() -> LookCloser:
    return LookCloser({"chart": quadrants(), "page": make_image_bytes("white", (300, 400))})


def test_look_returns_the_crop_and_a_line_saying_what_it_is(looker: LookCloser) -> None:
    result = looker.look({"image": "chart", "box": [0.5, 0.5, 1, 1]})
    assert result.image is not None
    assert (result.image.width, result.image.height) == (100, 50)
    assert result.image.detail == "high"
    assert colours(decoded(result.image.url)) == {(255, 255, 0)}
    assert result.text == (
        "look_closer: image 'chart' (200x100 px), region [0.5, 0.5, 1, 1] = pixels 100,50 to "
        "200,100; the crop follows, 100x50 px at detail high."
    )


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (
            {"image": "photo", "box": [0, 0, 1, 1]},
            "no image named 'photo'; the images are 'chart', 'page'",
        ),
        ({"image": 1, "box": [0, 0, 1, 1]}, "no image named 1"),
        ({"image": "chart", "box": [0, 0, 1.2, 1]}, "outside 0-1"),
        ({"image": "chart", "box": [0.2, 0, 0.2, 1]}, "the region is empty"),
        ({"image": "chart", "box": "[0, 0, 1, 1]"}, "box must be 4 numbers"),
        ({"image": "chart"}, "missing argument(s) 'box'"),
        ({}, "missing argument(s) 'image', 'box'; send 'image' (one of 'chart', 'page')"),
        (
            {"image": "chart", "box": [0, 0, 1, 1], "zoom": 4},
            "unexpected argument(s) 'zoom'",
        ),
    ],
)
def test_the_models_mistakes_come_back_as_text(
    looker: LookCloser, arguments: dict[str, Any], said: str
) -> None:
    result = looker.look(arguments)
    assert result.image is None
    assert result.text.startswith("look_closer error: ")
    assert said in result.text


def test_crop_raises_what_look_reports(looker: LookCloser) -> None:
    with pytest.raises(RequestValidationError, match="no image named 'photo'"):
        looker.crop("photo", [0, 0, 1, 1])
    with pytest.raises(RequestValidationError, match="outside 0-1"):
        looker.crop("chart", [0, 0, 1, 2])


def test_a_sequence_is_named_from_1_and_read_once(tmp_path: Any) -> None:
    stream = io.BytesIO(quadrants())
    looker = LookCloser([stream, make_image_bytes("blue", (10, 20))])
    assert looker.names == ("1", "2")
    assert looker.size("2") == (10, 20)
    first = looker.look({"image": "1", "box": [0, 0, 0.5, 0.5]}).image
    again = looker.look({"image": "1", "box": [0, 0, 0.5, 0.5]}).image
    assert first is not None and again is not None and first.url == again.url  # bytes kept


@pytest.mark.parametrize(
    ("images", "said"),
    [
        ("photo.png", "got str"),
        (b"\x89PNG", "got bytes"),
        (Image.new("RGB", (4, 4)), "got a PIL image"),
        ({}, "at least one image"),
        ([], "at least one image"),
        ({"": make_image_bytes()}, "non-empty string"),
        ({1: make_image_bytes()}, "non-empty string"),
    ],
)
def test_bad_images_argument_is_a_typed_error(images: Any, said: str) -> None:
    with pytest.raises(RequestValidationError, match=said):
        LookCloser(images)


def test_a_bad_detail_is_refused_when_the_tool_is_made() -> None:
    with pytest.raises(RequestValidationError, match="detail must be one of"):
        LookCloser([make_image_bytes()], detail="ultra")  # type: ignore[arg-type]
    assert (
        LookCloser([make_image_bytes()], detail="low")
        .look({"image": "1", "box": [0, 0, 1, 1]})
        .image.detail
        == "low"
    )  # type: ignore[union-attr]


def test_parameters_are_a_json_schema_that_accepts_only_good_calls(looker: LookCloser) -> None:
    schema = looker.parameters
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"image": "page", "box": [0, 0.5, 1, 1]})
    assert not validator.is_valid({"image": "other", "box": [0, 0.5, 1, 1]})
    assert not validator.is_valid({"image": "page", "box": [0, 0.5, 1, 1.5]})
    assert not validator.is_valid({"image": "page", "box": [0, 0.5, 1]})
    assert not validator.is_valid({"image": "page"})
    schema["properties"]["image"]["enum"].append("mutated")
    assert looker.parameters["properties"]["image"]["enum"] == ["chart", "page"]


def test_the_description_names_the_images_and_stays_short() -> None:
    looker = LookCloser({"chart": quadrants(), "page": make_image_bytes("white", (300, 400))})
    assert looker.name == "look_closer"
    assert looker.description.endswith("Images: 'chart' (200x100 px), 'page' (300x400 px).")
    many = LookCloser([make_image_bytes("white", (8, 8))] * 60)
    assert len(many.description) <= 1024
    assert many.description.endswith(" more.")
    assert "'1' (8x8 px)" in many.description
    assert "key" not in repr(many) and repr(many).startswith("LookCloser(images=['1', '2'")
