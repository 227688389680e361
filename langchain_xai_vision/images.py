"""Image content blocks: every form LangChain users write, read into one (source, detail) pair.

LangChain code carries images as OpenAI ``image_url`` blocks, standard v1 ``image`` blocks
(``url`` or ``base64`` + ``mime_type``), legacy v0 blocks (``source_type``) and Anthropic
``source`` blocks. :func:`image_reference` reads any of them, keeping ``detail`` wherever it
was put; the core (:class:`xai_vision.messages.ImageCollector`) then checks and encodes it.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xai_vision._base64 import b64decode_strict
from xai_vision.errors import ImageSourceError, RequestValidationError
from xai_vision.images import (
    ImageOptions,
    ImageSource,
    base64_data_uri,
    is_data_uri,
    is_http_url,
    prepare_image,
    url_scheme,
)
from xai_vision.messages import image_part
from xai_vision.tokens import Detail, check_detail

__all__ = ["ImageReference", "image_block", "image_reference", "is_image_block"]

_IMAGE_TYPES = frozenset({"image_url", "image", "input_image"})


@dataclass(frozen=True)
class ImageReference:
    """What an image block points at: a URL, data URI or decoded bytes, and its detail level."""

    source: str | bytes
    detail: Detail | None


def image_block(
    source: ImageSource,
    *,
    detail: Detail | None = None,
    options: ImageOptions | None = None,
) -> dict[str, Any]:
    """An OpenAI-style ``image_url`` block from a path, bytes, PIL image, URL or data URI.

    The image is read and checked now (format, size, policy in ``options``), so a bad file
    fails here, naming it, rather than inside a chain. Remote URLs are kept as URLs.
    """
    return dict(image_part(prepare_image(source, detail=detail, options=options)))


def is_image_block(block: Mapping[str, Any]) -> bool:
    """Whether a content block is an image in any of the forms :func:`image_reference` reads."""
    return block.get("type") in _IMAGE_TYPES


def image_reference(block: Mapping[str, Any], *, where: str = "content") -> ImageReference:
    """Read an image block in any LangChain form into its source and detail.

    ``where`` names the block in errors (e.g. ``"message 2, block 1"``). Forms xAI cannot take
    (uploaded file ids, unknown source kinds) raise :class:`RequestValidationError`.
    """
    kind = block.get("type")
    if kind == "image_url":
        return _openai_image(block, where)
    if kind == "input_image":
        return ImageReference(
            _url(block, "image_url", where), check_detail(block.get("detail"), where)
        )
    if kind == "image":
        if "source" in block:
            return _anthropic_image(block, where)
        if "source_type" in block:
            return _v0_image(block, where)
        return _v1_image(block, where)
    raise RequestValidationError(f"{where}: {kind!r} is not an image block")


def _openai_image(block: Mapping[str, Any], where: str) -> ImageReference:
    """``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}``, or a bare URL."""
    image_url = block.get("image_url")
    if isinstance(image_url, str):
        return ImageReference(image_url, check_detail(block.get("detail"), where))
    if not isinstance(image_url, Mapping):
        raise RequestValidationError(
            f"{where}: image_url block needs an 'image_url' object with a 'url'"
        )
    if image_url.get("file_id") is not None and image_url.get("url") is None:
        raise _file_id_error(where)
    return ImageReference(
        _url(image_url, "url", where),
        check_detail(image_url.get("detail", block.get("detail")), where),
    )


def _v1_image(block: Mapping[str, Any], where: str) -> ImageReference:
    """Standard v1 ``{"type": "image", "url" | "base64" + "mime_type" | "file_id"}``.

    ``detail`` may sit at the top level or in ``extras`` (where v0 -> v1 conversion puts it).
    """
    extras = block.get("extras")
    raw_detail = block.get("detail")
    if raw_detail is None and isinstance(extras, Mapping):
        raw_detail = extras.get("detail")
    detail = check_detail(raw_detail, where)
    if block.get("url") is not None:
        return ImageReference(_url(block, "url", where), detail)
    if block.get("base64") is not None:
        return _base64_image(block.get("base64"), block.get("mime_type"), detail, where)
    if block.get("file_id") is not None:
        raise _file_id_error(where)
    raise RequestValidationError(
        f"{where}: image block has none of 'url', 'base64' (with 'mime_type') or 'file_id'"
    )


def _v0_image(block: Mapping[str, Any], where: str) -> ImageReference:
    """Legacy v0 ``{"type": "image", "source_type": "url" | "base64" | "id", ...}``."""
    detail = check_detail(block.get("detail"), where)
    source_type = block.get("source_type")
    if source_type == "url":
        return ImageReference(_url(block, "url", where), detail)
    if source_type == "base64":
        return _base64_image(block.get("data"), block.get("mime_type"), detail, where)
    if source_type == "id":
        raise _file_id_error(where)
    raise RequestValidationError(
        f"{where}: image source_type {source_type!r} is not supported (use 'url' or 'base64')"
    )


def _anthropic_image(block: Mapping[str, Any], where: str) -> ImageReference:
    """Anthropic ``{"type": "image", "source": {"type": "base64" | "url", ...}}``."""
    source = block.get("source")
    if not isinstance(source, Mapping):
        raise RequestValidationError(f"{where}: image 'source' must be an object")
    detail = check_detail(block.get("detail"), where)
    source_kind = source.get("type")
    if source_kind == "base64":
        return _base64_image(source.get("data"), source.get("media_type"), detail, where)
    if source_kind == "url":
        return ImageReference(_url(source, "url", where), detail)
    if source_kind == "file":
        raise _file_id_error(where)
    raise RequestValidationError(
        f"{where}: image source type {source_kind!r} is not supported (use 'base64' or 'url')"
    )


def _base64_image(data: Any, mime_type: Any, detail: Detail | None, where: str) -> ImageReference:
    """Base64 image data: a data URI when a MIME type is given, else the decoded bytes."""
    if not isinstance(data, str) or not data:
        raise ImageSourceError("base64 image data must be a non-empty string", source=where)
    if isinstance(mime_type, str) and mime_type:
        return ImageReference(base64_data_uri(data, mime_type, source=where), detail)
    try:
        decoded = b64decode_strict(data)
    except binascii.Error as exc:
        raise ImageSourceError(
            f"base64 image data is not valid base64 ({exc})", source=where
        ) from exc
    return ImageReference(decoded, detail)


def _url(mapping: Mapping[str, Any], key: str, where: str) -> str:
    """``mapping[key]`` when it is an http(s) URL or a data URI; a clear error otherwise.

    Local paths are refused here on purpose: a block may come from untrusted input (a tool
    result, a user payload), and must never make us read and upload a local file.
    Use :func:`image_block` for local files.
    """
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise RequestValidationError(f"{where}: image '{key}' must be a non-empty string")
    if not (is_http_url(value) or is_data_uri(value)):
        scheme = url_scheme(value)
        what = f"unsupported URL scheme {scheme!r}" if scheme else "not a URL"
        raise ImageSourceError(
            f"{what}: image '{key}' must be an http(s) URL or a data: URI, got "
            f"{value[:40]!r}; for a local file use image_block(path)",
            source=where,
        )
    return value


def _file_id_error(where: str) -> RequestValidationError:
    """The error for uploaded-file references, which xAI's chat endpoint cannot resolve."""
    return RequestValidationError(
        f"{where}: image given by file id, which xAI chat completions cannot take; "
        "pass the image as a URL, base64 data or with image_block(path)"
    )
