"""Content parts: ``text`` and ``image_url`` parts, built and checked, and :class:`ImageCollector`,
which prepares a request's images in order (numbered from 1, limited per request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal, TypeAlias, cast

from typing_extensions import NotRequired, TypedDict

from xai_vision.errors import RequestValidationError, TooManyImagesError
from xai_vision.images import (
    ImageOptions,
    ImageSource,
    PreparedImage,
    is_data_uri,
    is_http_url,
    prepare_image,
)
from xai_vision.tokens import Detail, check_detail


class TextPart(TypedDict):
    """``{"type": "text", "text": ...}``"""

    type: Literal["text"]
    text: str


class ImageURL(TypedDict):
    """The ``image_url`` object: an http(s) URL or data URI, and the optional detail level."""

    url: str
    detail: NotRequired[Detail]


class ImagePart(TypedDict):
    """``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}``"""

    type: Literal["image_url"]
    image_url: ImageURL


ContentPart: TypeAlias = TextPart | ImagePart

#: What builders take as content: a string, or a sequence of strings, parts and prepared images.
ContentInput: TypeAlias = str | Sequence[str | TextPart | ImagePart | PreparedImage]


def text_part(text: str) -> TextPart:
    """A text content part."""
    if not isinstance(text, str):
        raise RequestValidationError(f"text part must be a str, got {type(text).__name__}")
    return {"type": "text", "text": text}


def image_part(image: PreparedImage) -> ImagePart:
    """An ``image_url`` content part for a prepared image (``detail`` only when set)."""
    if not isinstance(image, PreparedImage):
        raise RequestValidationError(
            f"image_part takes a PreparedImage (see prepare_image), got {type(image).__name__}"
        )
    image_url: ImageURL = {"url": image.url}
    if image.detail is not None:
        image_url["detail"] = image.detail
    return {"type": "image_url", "image_url": image_url}


class ImageCollector:
    """Prepares the images of one request: numbers them from 1 and enforces the per-request cap.

    Use one collector per request so image indices in errors match the request's order.
    """

    def __init__(self, options: ImageOptions | None = None) -> None:
        self.options = options if options is not None else ImageOptions()
        self._images: list[PreparedImage] = []

    @property
    def images(self) -> tuple[PreparedImage, ...]:
        """The images added so far, in order."""
        return tuple(self._images)

    def __len__(self) -> int:
        return len(self._images)

    @property
    def estimated_tokens(self) -> int:
        """Estimated image tokens of the inline images added so far (URLs cannot be sized)."""
        return sum(image.estimated_tokens or 0 for image in self._images)

    def add(
        self, source: ImageSource | PreparedImage, *, detail: Detail | None = None
    ) -> ImagePart:
        """Prepare ``source`` as the next image of the request and return its wire part.

        A :class:`PreparedImage` is renumbered (and given ``detail`` if one is passed) but not
        prepared again. Raises :class:`TooManyImagesError` before preparing an image over the cap.
        """
        index = len(self._images) + 1
        limit = self.options.max_images_per_request
        if limit is not None and index > limit:
            raise TooManyImagesError(
                f"image {index}: more than max_images_per_request={limit} images in one request"
            )
        if isinstance(source, PreparedImage):
            checked = check_detail(detail)
            prepared = replace(source, index=index, detail=checked or source.detail)
        else:
            prepared = prepare_image(source, detail=detail, options=self.options, index=index)
        self._images.append(prepared)
        return image_part(prepared)


def wire_part(item: object, where: str) -> ContentPart:
    """Check one content item (a str, a part dict or a PreparedImage) and return its wire part."""
    if isinstance(item, str):
        return text_part(item)
    if isinstance(item, PreparedImage):
        return image_part(item)
    if isinstance(item, Mapping):
        kind = item.get("type")
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise RequestValidationError(f"{where}: a text part needs a str 'text'")
            return text_part(text)
        if kind == "image_url":
            return _checked_image_part(item.get("image_url"), where)
        raise RequestValidationError(
            f"{where}: unknown content part type {kind!r} (expected 'text' or 'image_url')"
        )
    raise RequestValidationError(
        f"{where}: content items must be str, a text/image_url part or a PreparedImage, "
        f"got {type(item).__name__}"
    )


def _checked_image_part(image_url: object, where: str) -> ImagePart:
    if not isinstance(image_url, Mapping) or not isinstance(image_url.get("url"), str):
        raise RequestValidationError(f"{where}: an image_url part needs {{'url': str}}")
    url = cast(str, image_url["url"])
    if not (is_http_url(url) or is_data_uri(url)):
        raise RequestValidationError(
            f"{where}: image_url.url must be an http(s) URL or a data URI "
            "(use prepare_image or ImageCollector for other sources)"
        )
    out: ImageURL = {"url": url}
    detail = check_detail(image_url.get("detail"), where)
    if detail is not None:
        out["detail"] = detail
    unknown = set(image_url) - {"url", "detail"}
    if unknown:
        raise RequestValidationError(f"{where}: unknown image_url keys {sorted(unknown)}")
    return {"type": "image_url", "image_url": out}


def content_parts(content: ContentInput, where: str) -> str | list[ContentPart]:
    """Message content checked: a string as it is, or each item as a wire part."""
    if isinstance(content, str):
        return content
    raw: object = content
    if isinstance(raw, (bytes, bytearray)) or not isinstance(raw, Sequence):
        raise RequestValidationError(
            f"{where}: content must be a str or a sequence of parts, got {type(content).__name__}"
        )
    if not content:
        raise RequestValidationError(f"{where}: content has no parts")
    return [wire_part(item, f"{where} part {i}") for i, item in enumerate(content)]
