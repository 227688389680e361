"""The "look closer" tool, framework-neutral: a model names an image and a box, gets the crop.

A vision model sees a whole picture at a bounded resolution (xAI: at most 6 tiles of 448 px),
so small print in a large image can be unreadable. With this tool it asks for a region
(``box``, fractions of the width and height) of one of the images it was given and receives
that region cut from the original pixels, at ``detail: high``. Both adapters wrap
:class:`LookCloser` in their framework's tool type (``look_closer_tool`` in each).

A mistake in the model's arguments (an unknown image, a box outside 0-1) is not an exception
in the agent loop: :meth:`LookCloser.look` returns it as the tool's text, so the model can try
again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from xai_vision.errors import ImageError, RequestValidationError
from xai_vision.images import (
    CroppableImage,
    ImageOptions,
    ImageSource,
    PreparedImage,
    check_box,
)
from xai_vision.tokens import Detail, check_detail

__all__ = ["LOOK_CLOSER_NAME", "LookCloser", "LookResult"]

#: The tool's name, as the model calls it.
LOOK_CLOSER_NAME = "look_closer"
#: LlamaIndex refuses tool descriptions over 1,024 characters; the image list is cut to fit.
_DESCRIPTION_LIMIT = 1024
_DESCRIPTION = (
    "Look closer at part of an image: crops the region `box` of the named image from its "
    "full-resolution pixels and shows it to you at high detail. Use it to read small print "
    "or see details you cannot make out in the whole picture. `box` is [x0, y0, x1, y1]: the "
    "region's left, top, right and bottom edges as fractions of the image's width and height "
    "(0 to 1; [0, 0, 1, 1] is the whole image, [0, 0.5, 1, 1] its bottom half)."
)
_ARGUMENTS = ("image", "box")


@dataclass(frozen=True)
class LookResult:
    """What the tool gives back: a line of text, and the crop unless the arguments were bad."""

    text: str
    image: PreparedImage | None = None


class LookCloser:
    """Named images a model may look closer at, and the tool's one action (:meth:`look`).

    ``images`` maps names to anything :func:`~xai_vision.images.prepare_image` accepts except
    an http(s) URL (its pixels are not here to crop); a sequence gets the names ``"1"``,
    ``"2"``, ... Each image is read and decoded now, so a bad one fails here with an
    :class:`~xai_vision.errors.ImageError` naming it, not in the middle of an agent run.
    ``detail`` is the crop's detail level; ``options`` the image limits for reading and for
    the crops.
    """

    def __init__(
        self,
        images: Mapping[str, ImageSource] | Sequence[ImageSource],
        *,
        detail: Detail = "high",
        options: ImageOptions | None = None,
    ) -> None:
        self.detail: Detail | None = check_detail(detail, "look_closer")
        self.options = options if options is not None else ImageOptions()
        named = _named(images)
        self._images = {
            name: CroppableImage.read(source, options=self.options, index=number)
            for number, (name, source) in enumerate(named.items(), 1)
        }

    @property
    def names(self) -> tuple[str, ...]:
        """The image names, in the order given."""
        return tuple(self._images)

    def size(self, name: str) -> tuple[int, int]:
        """The upright pixel size of the image ``name`` (boxes are fractions of it)."""
        image = self._image(name)
        return image.width, image.height

    @property
    def name(self) -> str:
        """The tool's name: ``look_closer``."""
        return LOOK_CLOSER_NAME

    @property
    def description(self) -> str:
        """What the tool does and which images it has (names and sizes), for the model."""
        entries = [f"{name!r} ({im.width}x{im.height} px)" for name, im in self._images.items()]
        for count in range(len(entries), -1, -1):
            more = len(entries) - count
            listed = ", ".join([*entries[:count], *([f"{more} more"] if more else [])])
            text = f"{_DESCRIPTION} Images: {listed}."
            if len(text) <= _DESCRIPTION_LIMIT:
                return text
        return _DESCRIPTION

    @property
    def parameters(self) -> dict[str, Any]:
        """The tool's arguments as a JSON schema (a fresh dict each time)."""
        return {
            "type": "object",
            "properties": {
                "image": {
                    "type": "string",
                    "enum": list(self._images),
                    "description": "The name of the image to look at.",
                },
                "box": {
                    "type": "array",
                    "items": {"type": "number", "minimum": 0, "maximum": 1},
                    "minItems": 4,
                    "maxItems": 4,
                    "description": (
                        "[x0, y0, x1, y1]: left, top, right and bottom edges of the region "
                        "as fractions (0 to 1) of the image's width and height; x0 < x1, y0 < y1."
                    ),
                },
            },
            "required": list(_ARGUMENTS),
            "additionalProperties": False,
        }

    def crop(self, image: object, box: object) -> LookResult:
        """The crop of ``box`` from the image named ``image``, with its line of text.

        Raises RequestValidationError for an unknown name or a bad box, and ImageError when
        the crop breaks a limit of ``options`` under the strict policy.
        """
        source = self._image(image)
        checked = check_box(box)
        left, top, right, bottom = source.pixels(checked)
        prepared = source.crop(checked, detail=self.detail)
        shown = ", ".join(f"{v:g}" for v in checked)
        text = (
            f"{LOOK_CLOSER_NAME}: image {image!r} ({source.width}x{source.height} px), region "
            f"[{shown}] = pixels {left},{top} to {right},{bottom}; the crop follows, "
            f"{prepared.width}x{prepared.height} px at detail {self.detail}."
        )
        return LookResult(text, prepared)

    def look(self, arguments: Mapping[str, Any]) -> LookResult:
        """The tool call: the crop, or (for arguments the model got wrong) only the reason.

        Never raises for what the model sent: a missing, unknown or extra argument, an unknown
        image or a bad box comes back as the text, saying what to send instead.
        """
        try:
            unexpected = sorted(set(arguments) - set(_ARGUMENTS))
            if unexpected:
                raise RequestValidationError(
                    f"unexpected argument(s) {', '.join(map(repr, unexpected))}; "
                    "send only 'image' and 'box'"
                )
            missing = [key for key in _ARGUMENTS if arguments.get(key) is None]
            if missing:
                raise RequestValidationError(
                    f"missing argument(s) {', '.join(map(repr, missing))}; send 'image' "
                    f"(one of {self._listed_names()}) and 'box' [x0, y0, x1, y1]"
                )
            return self.crop(arguments["image"], arguments["box"])
        except (RequestValidationError, ImageError) as exc:
            return LookResult(f"{LOOK_CLOSER_NAME} error: {exc}")

    def _image(self, name: object) -> CroppableImage:
        image = self._images.get(name) if isinstance(name, str) else None
        if image is None:
            raise RequestValidationError(
                f"image: no image named {name!r}; the images are {self._listed_names()}"
            )
        return image

    def _listed_names(self) -> str:
        return ", ".join(map(repr, self._images))

    def __repr__(self) -> str:
        return f"LookCloser(images={list(self._images)!r}, detail={self.detail!r})"


def _named(images: object) -> dict[str, ImageSource]:
    """``images`` as a name -> source dict (a sequence is numbered from "1")."""
    if isinstance(images, Mapping):
        named = dict(images)
        for name in named:
            if not isinstance(name, str) or not name:
                raise RequestValidationError(
                    f"images: every name must be a non-empty string, got {name!r}"
                )
    elif isinstance(images, Sequence) and not isinstance(images, (str, bytes, bytearray)):
        named = {str(number): source for number, source in enumerate(images, 1)}
    else:
        kind = "a PIL image" if isinstance(images, Image.Image) else type(images).__name__
        raise RequestValidationError(
            f"images must map names to images or be a list of images, got {kind}"
        )
    if not named:
        raise RequestValidationError("images: give at least one image to look closer at")
    return named
