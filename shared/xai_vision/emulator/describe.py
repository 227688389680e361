"""What the emulator "sees" in an image: decoded with Pillow, described from its pixels.

Each description is deterministic (size, format, detail, orientation, brightness and the
dominant colours named from a fixed palette), so a test can tell which image reached the
server and in what order. A solid red PNG is "mostly red"; a red apple on white is "mostly
red, some white" (a second colour is named when it covers at least 15% of the picture).
"""

from __future__ import annotations

import colorsys
import io
import math
import warnings
from collections import Counter
from dataclasses import dataclass

from PIL import Image

from xai_vision.tokens import Detail, estimate_image_tokens

__all__ = ["PALETTE", "SECOND_COLOUR_SHARE", "ImageFacts", "dominant_colour", "inspect_pixels"]

#: The colour names the emulator uses, with a representative RGB value for each.
PALETTE: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("red", (255, 0, 0)),
    ("green", (0, 128, 0)),
    ("blue", (0, 0, 255)),
    ("yellow", (255, 255, 0)),
    ("orange", (255, 165, 0)),
    ("purple", (128, 0, 128)),
    ("pink", (255, 192, 203)),
    ("brown", (139, 69, 19)),
    ("cyan", (0, 255, 255)),
    ("magenta", (255, 0, 255)),
    ("white", (255, 255, 255)),
    ("gray", (128, 128, 128)),
    ("black", (0, 0, 0)),
)

_SAMPLE_EDGE = 24
#: Share of the sampled pixels a second colour needs to be named in a description.
SECOND_COLOUR_SHARE = 0.15


@dataclass(frozen=True)
class ImageFacts:
    """One received image as the emulator describes it."""

    width: int
    height: int
    format: str
    detail: Detail
    orientation: str
    brightness: str
    colour: str
    byte_size: int
    #: The next most common colour, when it covers at least :data:`SECOND_COLOUR_SHARE`.
    second_colour: str | None = None

    @property
    def tokens(self) -> int:
        """Prompt tokens for this image, from the project's one token rule."""
        return estimate_image_tokens((self.width, self.height), self.detail)

    def describe(self) -> str:
        """``64x48 png, detail high, landscape, bright, mostly red``."""
        return (
            f"{self.width}x{self.height} {self.format}, detail {self.detail}, "
            f"{self.orientation}, {self.brightness}, mostly {self.colour}"
            + (f", some {self.second_colour}" if self.second_colour else "")
        )


_HUES: tuple[tuple[float, str], ...] = (
    (15.0, "red"),
    (45.0, "orange"),
    (70.0, "yellow"),
    (165.0, "green"),
    (195.0, "cyan"),
    (255.0, "blue"),
    (290.0, "purple"),
    (335.0, "magenta"),
    (360.0, "red"),
)


def _nearest(pixel: tuple[int, int, int]) -> str:
    """Name a pixel by hue, saturation and value, as a person would (a dark crimson is red)."""
    hue, saturation, value = colorsys.rgb_to_hsv(*(channel / 255 for channel in pixel))
    if value < 0.18:
        return "black"
    if saturation < 0.18:
        return "white" if value > 0.85 else "gray"
    degrees = hue * 360
    name = next(label for limit, label in _HUES if degrees < limit)
    if name in ("orange", "red") and value < 0.6 and saturation > 0.4 and degrees >= 10:
        return "brown"
    if name in ("red", "magenta") and saturation < 0.45 and value > 0.8:
        return "pink"
    if name in ("purple", "magenta"):
        return "purple" if value < 0.7 else "magenta"
    return name


def dominant_colour(image: Image.Image) -> str:
    """The palette name most (downsampled) pixels are nearest to; ties go to palette order."""
    return _dominant(_rgb_pixels(image))


def _dominant(pixels: list[tuple[int, int, int]]) -> str:
    return _ranked(pixels)[0]


def _ranked(pixels: list[tuple[int, int, int]]) -> list[str]:
    """Colour names by how many pixels they cover (ties in palette order)."""
    counts = Counter(_nearest(p) for p in pixels)
    order = {name: i for i, (name, _) in enumerate(PALETTE)}
    return sorted(counts, key=lambda name: (-counts[name], order[name]))


def _second(pixels: list[tuple[int, int, int]]) -> str | None:
    ranked = _ranked(pixels)
    if len(ranked) < 2:
        return None
    share = sum(1 for p in pixels if _nearest(p) == ranked[1]) / len(pixels)
    return ranked[1] if share >= SECOND_COLOUR_SHARE else None


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _small(image: Image.Image) -> Image.Image:
    small = _flatten(image)
    if max(small.size) > _SAMPLE_EDGE:
        small.thumbnail((_SAMPLE_EDGE, _SAMPLE_EDGE), Image.Resampling.NEAREST)
    return small


def _rgb_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    data = _small(image).tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


def inspect_pixels(data: bytes, fmt: str, detail: Detail) -> ImageFacts:
    """Decode ``data`` and describe it; raises ``ValueError`` if Pillow cannot decode it.

    ``fmt`` is the format named by the magic bytes (already checked by the caller).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if image.format == "JPEG":
                image.draft("RGB", (_SAMPLE_EDGE * 4, _SAMPLE_EDGE * 4))
            image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ValueError(f"the {fmt} image could not be decoded ({exc})") from None
    small = _small(image)
    pixels = _rgb_pixels(small)
    # HSP perceived brightness (sqrt of weighted squares): red reads bright, blue dark.
    mean = sum(math.sqrt(0.299 * r * r + 0.587 * g * g + 0.114 * b * b) for r, g, b in pixels)
    mean /= max(1, len(pixels))
    if width > height:
        orientation = "landscape"
    elif height > width:
        orientation = "portrait"
    else:
        orientation = "square"
    return ImageFacts(
        width=width,
        height=height,
        format=fmt,
        detail=detail,
        orientation=orientation,
        brightness="bright" if mean >= 128 else "dark",
        colour=_dominant(pixels),
        byte_size=len(data),
        second_colour=_second(pixels),
    )


def is_animated(data: bytes) -> bool:
    """Whether an image has more than one frame (an animated GIF, for instance)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return bool(getattr(image, "is_animated", False))
    except (OSError, SyntaxError, ValueError):
        return False
