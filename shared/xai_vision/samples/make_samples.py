"""Regenerate the bundled sample images: ``python -m xai_vision.samples.make_samples``.

The samples are drawn with Pillow (no downloads, no licences to track) and kept small, so the
demo, the notebooks and the docs have the same few pictures to show everywhere.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent


def apple() -> Image.Image:
    """A red apple-like circle with a stem and a leaf, on white."""
    image = Image.new("RGB", (256, 256), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 30, 248, 254), fill=(200, 20, 30), outline=(120, 10, 15), width=4)
    draw.ellipse((50, 70, 90, 120), fill=(240, 120, 120))
    draw.rectangle((122, 2, 134, 50), fill=(100, 60, 20))
    draw.ellipse((136, 6, 196, 38), fill=(40, 150, 40))
    return image


def sky() -> Image.Image:
    """A landscape: blue-sky gradient over green hills, with a sun."""
    width, height = 640, 360
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line(((0, y), (width, y)), fill=(int(40 + 120 * t), int(110 + 100 * t), 235))
    draw.ellipse((480, 40, 560, 120), fill=(255, 220, 80))
    draw.ellipse((-200, 250, 380, 560), fill=(60, 140, 60))
    draw.ellipse((220, 270, 860, 620), fill=(40, 120, 50))
    return image


RECEIPT_ITEMS: tuple[tuple[str, float], ...] = (
    ("Coffee beans 1kg", 18.50),
    ("Oat milk 1L", 2.40),
    ("Croissant x2", 5.00),
    ("Apples 1.5kg", 4.35),
)


def receipt() -> Image.Image:
    """A shop receipt with a few line items and a total, in Pillow's default font."""
    font = ImageFont.load_default(size=18)
    small = ImageFont.load_default(size=14)
    image = Image.new("RGB", (360, 420), "white")
    draw = ImageDraw.Draw(image)
    draw.text((180, 24), "CORNER MARKET", font=font, fill="black", anchor="mm")
    draw.text((180, 50), "Receipt #10482  2026-03-14", font=small, fill="black", anchor="mm")
    y = 90
    for name, price in RECEIPT_ITEMS:
        draw.text((24, y), name, font=font, fill="black")
        draw.text((336, y), f"{price:.2f}", font=font, fill="black", anchor="ra")
        y += 34
    draw.line(((24, y + 4), (336, y + 4)), fill="black", width=2)
    total = sum(price for _, price in RECEIPT_ITEMS)
    draw.text((24, y + 16), "TOTAL", font=font, fill="black")
    draw.text((336, y + 16), f"{total:.2f}", font=font, fill="black", anchor="ra")
    draw.text((180, 390), "Thank you!", font=small, fill="black", anchor="mm")
    return image


def green_square() -> Image.Image:
    """A plain green square: the smallest possible image question."""
    return Image.new("RGB", (128, 128), (30, 170, 60))


#: file name -> (drawing function, Pillow format, save options)
SAMPLES: dict[str, tuple[Callable[[], Image.Image], str, dict[str, object]]] = {
    "apple.png": (apple, "PNG", {"optimize": True}),
    "sky.jpg": (sky, "JPEG", {"quality": 85}),
    "receipt.png": (receipt, "PNG", {"optimize": True}),
    "green_square.png": (green_square, "PNG", {"optimize": True}),
}


def render(name: str) -> bytes:
    """The encoded bytes of one sample."""
    draw, fmt, options = SAMPLES[name]
    buffer = io.BytesIO()
    draw().save(buffer, format=fmt, **options)
    return buffer.getvalue()


def main() -> None:
    """Write every sample next to this script."""
    for name in SAMPLES:
        (HERE / name).write_bytes(render(name))


if __name__ == "__main__":
    main()
