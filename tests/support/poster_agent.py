"""The look-closer agent scene both frameworks' agent tests play: a white 800x600 poster with an
80x60 magenta label in its bottom-right corner, the question about it and what the tool says.

The emulator describes the whole poster as "mostly white", so a "mostly magenta" 80x60 image in
an agent's final answer can only be the crop the tool cut and the agent sent back to the model.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

__all__ = ["CROP_LINE", "QUESTION", "TOOL_TEXT", "poster_png"]

QUESTION = "Look closer at the corner label (box 0.9, 0.9, 1, 1): what colour is it?"
#: How the emulator describes the crop when it reaches the model.
CROP_LINE = "80x60 png, detail high, landscape, bright, mostly magenta."
#: The look_closer tool's line of text for that box.
TOOL_TEXT = (
    "look_closer: image 'poster' (800x600 px), region [0.9, 0.9, 1, 1] = pixels 720,540 to "
    "800,600; the crop follows, 80x60 px at detail high."
)


def poster_png() -> bytes:
    """White 800x600 with a magenta 80x60 label in the bottom-right corner."""
    image = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(image).rectangle((720, 540, 799, 599), fill="magenta")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
