"""What prepare_image sends: pass-through, conversion, EXIF, limits and policies, optimisation."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageOps
from pydantic import ValidationError
from xai_vision.errors import ImageTooLargeError, UnsupportedImageFormatError
from xai_vision.images import ImageOptions, PreparedImage, parse_data_uri, prepare_image
from xai_vision.tokens import estimate_image_tokens, processed_size


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def photo(size: tuple[int, int]) -> Image.Image:
    """Photograph-like pixels: gradients with colour noise, so JPEG compresses like a photo."""
    gradient = Image.linear_gradient("L").resize(size)
    bands = [
        Image.blend(gradient, Image.effect_noise(size, 30 + 10 * i), 0.25).transpose(transpose)
        for i, transpose in enumerate(
            (
                Image.Transpose.ROTATE_180,
                Image.Transpose.FLIP_LEFT_RIGHT,
                Image.Transpose.FLIP_TOP_BOTTOM,
            )
        )
    ]
    return Image.merge("RGB", bands)


def opened(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(parse_data_uri(prepared.url)[1]))
    image.load()
    return image


def two_tone(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Left half red, right half blue: orientation is visible in the pixels."""
    image = Image.new("RGB", size, "red")
    image.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    return image


def close(actual: object, expected: tuple[int, ...], tolerance: int = 12) -> bool:
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# --------------------------------------------------------------------------- pass-through


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_jpeg_png_within_limits_are_sent_byte_for_byte(fmt: str, mime: str) -> None:
    data = encode(photo((320, 240)), fmt)
    prepared = prepare_image(data)
    assert parse_data_uri(prepared.url) == (mime, data)
    assert prepared.byte_size == len(data)
    assert (prepared.width, prepared.height) == (320, 240)


def test_webp_is_converted_unless_sent_as_is() -> None:
    """xAI has refused WebP ("not a valid JPG or PNG"): converted by default, same picture."""
    data = encode(Image.new("RGB", (320, 240), (200, 30, 30)), "WEBP")
    converted = prepare_image(data)
    assert converted.mime_type in ("image/png", "image/jpeg")
    assert (converted.width, converted.height) == (320, 240)
    assert close(opened(converted).getpixel((160, 120)), (200, 30, 30))
    as_is = prepare_image(data, options=ImageOptions(send_webp_as_is=True))
    assert parse_data_uri(as_is.url) == ("image/webp", data)


def test_cmyk_jpeg_is_sent_as_rgb_at_any_size() -> None:
    data = encode(Image.new("CMYK", (200, 100), (0, 255, 255, 0)), "JPEG")  # red in CMYK
    kept = opened(prepare_image(data))
    assert (kept.mode, kept.size) == ("RGB", (200, 100))
    assert close(kept.getpixel((100, 50)), (255, 0, 0))
    resized = prepare_image(data, options=ImageOptions(max_edge=100))
    image = opened(resized)
    assert image.mode == "RGB"
    assert image.size == (100, 50)
    assert close(image.getpixel((50, 25)), (255, 0, 0))


# --------------------------------------------------------------------------- conversion


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "GIF", "PPM", "TGA", "PCX"])
def test_other_pillow_formats_are_converted_to_png(fmt: str) -> None:
    image = Image.new("RGB", (48, 32), (10, 200, 30))
    prepared = prepare_image(encode(image, fmt))
    out = opened(prepared)
    assert prepared.mime_type == "image/png"
    assert out.format == "PNG"
    assert out.size == (48, 32)
    assert out.convert("RGB").getpixel((5, 5)) == (10, 200, 30)


def test_photo_tiff_converts_to_png_losslessly() -> None:
    image = photo((120, 80))
    out = opened(prepare_image(encode(image, "TIFF")))
    assert out.format == "PNG"
    assert out.tobytes() == image.tobytes()


def test_sixteen_bit_greyscale_png_is_scaled_not_clipped() -> None:
    deep = Image.new("I;16", (300, 200), 40000)
    data = encode(deep, "PNG")
    assert parse_data_uri(prepare_image(data).url)[1] == data  # in limits: as it is
    out = opened(prepare_image(data, options=ImageOptions(max_edge=150)))
    assert out.mode == "L"
    assert abs(out.getpixel((10, 10)) - 40000 * 255 // 65535) <= 1  # type: ignore[operator]


def test_sixteen_bit_tiff_converts_to_eight_bit_png() -> None:
    out = opened(prepare_image(encode(Image.new("I;16", (30, 20), 65535), "TIFF")))
    assert out.format == "PNG"
    assert out.getpixel((0, 0)) == 255


def test_palette_with_transparency_keeps_its_alpha() -> None:
    image = Image.new("P", (40, 40), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * (256 * 3 - 6))
    image.paste(1, (0, 0, 20, 40))
    image.info["transparency"] = 0
    out = opened(prepare_image(encode(image, "GIF", transparency=0)))
    assert out.format == "PNG"
    assert out.mode == "RGBA"
    assert out.getpixel((30, 10))[3] == 0  # type: ignore[index]
    assert out.getpixel((10, 10)) == (0, 0, 255, 255)
    # A palette PNG with transparency, re-encoded because it is over max_edge.
    out = opened(
        prepare_image(encode(image, "PNG", transparency=0), options=ImageOptions(max_edge=20))
    )
    assert out.mode == "RGBA"
    assert out.size == (20, 20)
    assert out.getpixel((15, 10))[3] == 0  # type: ignore[index]


def test_opaque_alpha_is_dropped_when_re_encoding() -> None:
    image = Image.new("RGBA", (30, 30), (0, 128, 0, 255))
    out = opened(prepare_image(encode(image, "TIFF")))
    assert out.mode == "RGB"


def test_animated_gif_is_refused_unless_first_frame_is_asked_for() -> None:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue", "green")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(UnsupportedImageFormatError, match=r"animated GIF \(3 frames\)") as info:
        prepare_image(data, index=2)
    assert info.value.index == 2
    first = prepare_image(data, options=ImageOptions(animated="first_frame"))
    out = opened(first)
    assert first.mime_type == "image/png"
    assert close(out.convert("RGB").getpixel((16, 16)), (255, 0, 0), tolerance=2)


def test_animated_webp_is_refused_too() -> None:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)
    with pytest.raises(UnsupportedImageFormatError, match="animated"):
        prepare_image(data)
    assert prepare_image(data, options=ImageOptions(animated="first_frame")).width == 32


def test_single_frame_gif_is_not_animated() -> None:
    assert prepare_image(encode(Image.new("RGB", (8, 8), "red"), "GIF")).mime_type == "image/png"


# --------------------------------------------------------------------------- EXIF orientation


def rotated_jpeg(size: tuple[int, int] = (400, 200), orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(two_tone(size), "JPEG", exif=exif, quality=95)


def test_exif_rotated_jpeg_is_sent_upright_without_the_tag() -> None:
    data = rotated_jpeg()
    prepared = prepare_image(data)
    sent = opened(prepared)
    assert parse_data_uri(prepared.url)[1] != data
    assert (prepared.width, prepared.height) == sent.size == (200, 400)
    assert sent.getexif().get(0x0112) is None


def test_upright_jpeg_with_orientation_tag_one_passes_through() -> None:
    data = rotated_jpeg(orientation=1)
    assert parse_data_uri(prepare_image(data).url)[1] == data


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_when_re_encoding(orientation: int) -> None:
    data = rotated_jpeg(orientation=orientation)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert expected is not None
    out = opened(prepare_image(data, options=ImageOptions(max_edge=200)))
    scale = 200 / max(expected.size)
    assert out.size == (round(expected.width * scale), round(expected.height * scale))
    assert out.getexif().get(0x0112) is None
    for fx, fy in ((0.1, 0.1), (0.9, 0.9), (0.1, 0.9), (0.9, 0.1)):
        want = expected.getpixel((int(fx * expected.width), int(fy * expected.height)))
        got = out.getpixel((int(fx * out.width), int(fy * out.height)))
        assert close(got, want, tolerance=40), (fx, fy, got, want)  # type: ignore[arg-type]


def test_exif_orientation_is_applied_to_pil_images() -> None:
    source = Image.open(io.BytesIO(rotated_jpeg((60, 30), 6)))
    prepared = prepare_image(source)
    assert (prepared.width, prepared.height) == (30, 60)


# --------------------------------------------------------------------------- limits and policies


def test_resize_policy_fits_max_edge() -> None:
    data = encode(photo((1200, 600)), "PNG")
    prepared = prepare_image(data, options=ImageOptions(max_edge=500))
    assert (prepared.width, prepared.height) == (500, 250)
    assert prepared.mime_type == "image/png"


def test_strict_policy_refuses_over_max_edge() -> None:
    data = encode(photo((1200, 600)), "PNG")
    with pytest.raises(ImageTooLargeError, match=r"long edge over max_edge 500 \(policy strict\)"):
        prepare_image(data, options=ImageOptions(max_edge=500, policy="strict"), index=1)


def test_resize_policy_fits_max_bytes() -> None:
    data = encode(photo((800, 600)), "PNG")
    limit = len(data) // 4
    prepared = prepare_image(data, options=ImageOptions(max_bytes=limit))
    assert prepared.byte_size is not None
    assert prepared.byte_size <= limit
    assert len(parse_data_uri(prepared.url)[1]) == prepared.byte_size


def test_resize_policy_keeps_transparency_while_fitting_bytes() -> None:
    image = photo((600, 400)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((600, 400)))
    data = encode(image, "PNG")
    prepared = prepare_image(data, options=ImageOptions(max_bytes=len(data) // 3))
    out = opened(prepared)
    assert out.mode == "RGBA"
    assert prepared.byte_size is not None
    assert prepared.byte_size <= len(data) // 3
    assert out.width < 600


def test_strict_policy_refuses_over_max_bytes(tmp_path: object) -> None:
    data = encode(photo((400, 300)), "PNG")
    options = ImageOptions(max_bytes=len(data) - 1, policy="strict")
    with pytest.raises(ImageTooLargeError, match="over max_bytes"):
        prepare_image(data, options=options)


def test_strict_policy_refuses_a_conversion_that_ends_up_too_big() -> None:
    # Random pixels do not compress: as PNG they are a little bigger than as BMP.
    data = encode(Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3)), "BMP")
    options = ImageOptions(max_bytes=len(data), policy="strict")
    with pytest.raises(ImageTooLargeError, match="re-encoded as PNG"):
        prepare_image(data, options=options)


def test_unreachable_max_bytes_is_a_clear_error() -> None:
    with pytest.raises(ImageTooLargeError, match="cannot fit"):
        prepare_image(encode(photo((300, 200)), "PNG"), options=ImageOptions(max_bytes=60))


def test_image_options_are_validated_and_frozen() -> None:
    with pytest.raises(ValidationError):
        ImageOptions(max_bytes=0)
    with pytest.raises(ValidationError):
        ImageOptions(policy="lenient")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ImageOptions(max_images_per_request=0)
    with pytest.raises(ValidationError):
        ImageOptions(unknown=1)  # type: ignore[call-arg]
    options = ImageOptions()
    with pytest.raises(ValidationError):
        options.max_edge = 5  # type: ignore[misc]
    assert options.max_bytes == 20 * 1024 * 1024
    assert options.max_edge == 8192


# --------------------------------------------------------------------------- optimisation


def test_optimize_shrinks_a_12_megapixel_photo_at_least_five_times_for_the_same_tokens() -> None:
    data = encode(photo((4000, 3000)), "JPEG", quality=92)
    plain = prepare_image(data)
    optimised = prepare_image(data, options=ImageOptions(optimize=True))
    assert plain.byte_size == len(data)
    assert optimised.byte_size is not None
    assert len(data) / optimised.byte_size >= 5
    assert (optimised.width, optimised.height) == processed_size(4000, 3000)
    assert (
        optimised.estimated_tokens == plain.estimated_tokens == estimate_image_tokens((4000, 3000))
    )
    assert optimised.mime_type == "image/jpeg"


@pytest.mark.parametrize("detail", ["low", "high", "auto", None])
def test_optimize_never_changes_the_estimated_tokens(detail: str | None) -> None:
    data = encode(photo((2500, 1100)), "PNG")
    plain = prepare_image(data, detail=detail)  # type: ignore[arg-type]
    optimised = prepare_image(data, detail=detail, options=ImageOptions(optimize=True))  # type: ignore[arg-type]
    assert optimised.estimated_tokens == plain.estimated_tokens
    assert optimised.byte_size is not None and plain.byte_size is not None
    assert optimised.byte_size < plain.byte_size
    if detail == "low":
        assert max(optimised.width or 0, optimised.height or 0) <= 448


def test_optimize_keeps_png_for_transparency_and_few_colours() -> None:
    flat = Image.new("RGB", (1500, 1000), "white")
    flat.paste("black", (100, 100, 2000, 1500))
    prepared = prepare_image(encode(flat, "PNG"), options=ImageOptions(optimize=True))
    assert prepared.mime_type == "image/png"
    clear = photo((1400, 500)).convert("RGBA")  # 8 tiles: over the 6 xAI processes
    clear.putalpha(128)
    prepared = prepare_image(encode(clear, "PNG"), options=ImageOptions(optimize=True))
    assert opened(prepared).mode == "RGBA"
    assert (prepared.width, prepared.height) == processed_size(1400, 500)


def test_optimize_keeps_the_original_when_it_is_already_smaller() -> None:
    data = encode(Image.new("RGB", (200, 100), "red"), "PNG")
    prepared = prepare_image(data, options=ImageOptions(optimize=True))
    assert parse_data_uri(prepared.url)[1] == data


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "options",
    [
        ImageOptions(),
        ImageOptions(optimize=True),
        ImageOptions(max_edge=300),
        ImageOptions(max_bytes=20_000),
    ],
    ids=["as-is", "optimize", "max-edge", "max-bytes"],
)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "BMP"])
def test_same_source_and_options_give_byte_identical_output(
    options: ImageOptions, fmt: str
) -> None:
    data = encode(photo((900, 700)), fmt)
    first = prepare_image(data, detail="high", options=options, index=1)
    second = prepare_image(data, detail="high", options=options, index=1)
    assert first == second
    assert first.url == second.url


def test_concurrent_preparation_is_consistent_and_leaves_pillow_globals_alone() -> None:
    before = Image.MAX_IMAGE_PIXELS
    sources = [encode(photo((300 + 10 * i, 200)), "BMP") for i in range(4)]
    expected = [prepare_image(data).url for data in sources]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda data: prepare_image(data).url, sources * 4))
    assert results == expected * 4
    assert before == Image.MAX_IMAGE_PIXELS


def test_same_pil_image_gives_byte_identical_output() -> None:
    image = photo((500, 400))
    assert prepare_image(image).url == prepare_image(image.copy()).url


def test_png_exif_orientation_is_read_from_the_header_and_applied_when_re_encoding() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(two_tone((40, 20)), "PNG", exif=exif)
    passed = prepare_image(data)
    assert parse_data_uri(passed.url)[1] != data  # re-encoded upright
    assert (passed.width, passed.height) == opened(passed).size == (20, 40)
    out = opened(prepare_image(data, options=ImageOptions(max_edge=20)))
    assert out.size == (10, 20)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert expected is not None
    assert expected.getpixel((10, 4)) != expected.getpixel((10, 34))  # the halves differ
    assert out.getpixel((5, 2)) == expected.getpixel((10, 4))
    assert out.getpixel((5, 17)) == expected.getpixel((10, 34))
