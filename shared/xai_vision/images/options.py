"""How images are checked and prepared (:class:`ImageOptions`), and who is being prepared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xai_vision.errors import ImageError
from xai_vision.tokens import Detail


class ImageOptions(BaseModel):
    """How images are checked and prepared: limits, over-limit policy, optimisation.

    ``policy="resize"`` (default) downscales and re-encodes an image over a limit until it fits;
    ``policy="strict"`` raises :class:`~xai_vision.errors.ImageTooLargeError` instead.
    ``max_pixels`` is the decompression-bomb guard and applies under both policies; its default
    is Pillow's own error threshold (2 x ``Image.MAX_IMAGE_PIXELS``), checked per call from the
    header before any pixel is decoded. ``max_bytes`` is 20 MiB (xAI's current docs; older
    sources say 10 MiB: set it to ``10 * 1024 * 1024`` to be safe with both).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: Literal["resize", "strict"] = "resize"
    max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_edge: int = Field(default=8192, gt=0)
    max_images_per_request: int | None = Field(default=None, gt=0)
    #: xAI's stricter source says 10 images a message (its docs name no limit); None lifts it.
    max_images_per_message: int | None = Field(default=10, gt=0)
    max_pixels: int = Field(default=178_956_970, gt=0)
    optimize: bool = False
    animated: Literal["error", "first_frame"] = "error"
    #: WebP is converted (to PNG, or JPEG for photos) by default: xAI has refused WebP with 400
    #: "not a valid JPG or PNG". True sends a WebP within limits byte for byte.
    send_webp_as_is: bool = False


@dataclass(frozen=True, slots=True)
class ImageContext:
    """The image being prepared (its label and index, for errors), its detail and the options."""

    label: str
    index: int | None
    detail: Detail | None
    options: ImageOptions

    def error(self, cls: type[ImageError], reason: str) -> ImageError:
        """A ``cls`` error naming this image."""
        return cls(reason, source=self.label, index=self.index)
