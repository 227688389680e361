"""The token estimates, in one place: every estimate in the project (emulator included) calls them.

Text: xAI's tokenizer is not published, so text is estimated at one token per 4 characters
(rounded up) plus 3 tokens a message; the emulator reports usage by this same rule.

Images: xAI documents: an image is cut into 448x448 tiles, 256 tokens a tile plus one extra tile,
at most 6 tiles, so 256 to 1,792 tokens an image. The exact server-side resize is not
published, so these are estimates. ``low`` detail is charged as one tile without the extra.
``auto`` is estimated as ``high`` (the conservative choice).

:data:`Detail` lives here (the estimates depend on it), with :func:`check_detail`, the one check
of a detail level that the core and both adapters call.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from xai_vision import _json
from xai_vision.errors import RequestValidationError

Detail = Literal["auto", "low", "high"]
DETAILS: tuple[Detail, ...] = ("auto", "low", "high")

TILE_SIZE = 448
TOKENS_PER_TILE = 256
MAX_TILES = 6
MIN_IMAGE_TOKENS = TOKENS_PER_TILE
MAX_IMAGE_TOKENS = (MAX_TILES + 1) * TOKENS_PER_TILE

#: The text estimate's rule: characters a token, and tokens of overhead a message.
CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 3


def check_detail(value: object, where: str | None = None) -> Detail | None:
    """``value`` as a :data:`Detail` (None stays None: no detail), else an error naming ``where``.

    The one detail check: the core's builders and both adapters call it.
    """
    if value is None:
        return None
    if isinstance(value, str) and value in DETAILS:
        return value
    raise _detail_error(value, where)


def _detail_error(value: object, where: str | None = None) -> RequestValidationError:
    prefix = f"{where}: " if where else ""
    return RequestValidationError(
        f"{prefix}detail must be one of {', '.join(DETAILS)}, got {value!r}"
    )


def estimate_text_tokens(text: str) -> int:
    """Estimated tokens of ``text``: one per 4 characters, rounded up (an estimate, not a count).

    Real tokenizers give fewer tokens for plain English and more for some scripts; use this
    for budgeting, and ``usage`` from a response for the billed figure.
    """
    if not isinstance(text, str):
        raise RequestValidationError(f"text must be a str, got {type(text).__name__}")
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def message_text(content: object) -> str:
    """The text of a wire message's content: the string, or its text parts joined by a space."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def estimate_tools_tokens(tools: Iterable[Mapping[str, Any]]) -> int:
    """Estimated prompt tokens of function tools: the text estimate of their functions' JSON."""
    functions = [tool["function"] for tool in tools if tool.get("type") == "function"]
    if not functions:
        return 0
    return estimate_text_tokens(_json.dumps(functions).decode("utf-8"))


def estimate_messages_text_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Estimated text tokens of wire messages (images not included; see estimate_image_tokens).

    Each message costs :data:`MESSAGE_OVERHEAD_TOKENS` plus the estimate of its text and of
    each tool call's name and arguments.
    """
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD_TOKENS + estimate_text_tokens(
            message_text(message.get("content"))
        )
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            total += estimate_text_tokens(function.get("name") or "")
            total += estimate_text_tokens(function.get("arguments") or "")
    return total


@runtime_checkable
class HasSize(Protocol):
    """Anything with a pixel ``size`` (a ``PIL.Image.Image`` among others)."""

    @property
    def size(self) -> tuple[int, int]: ...


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise RequestValidationError(f"image size must be positive, got {width}x{height}")


def _tiles(width: int, height: int) -> int:
    return math.ceil(width / TILE_SIZE) * math.ceil(height / TILE_SIZE)


def processed_size(width: int, height: int, detail: Detail = "auto") -> tuple[int, int]:
    """The size xAI is estimated to process: fit in one tile for ``low``, else in <= 6 tiles.

    Never upscales. This is also the target of the opt-in upload optimisation, so an
    optimised image costs the same tokens as the original.
    """
    _check_size(width, height)
    if detail == "low":
        scale = min(1.0, TILE_SIZE / width, TILE_SIZE / height)
    elif _tiles(width, height) <= MAX_TILES:
        return width, height
    else:
        scale = 0.0
        for cols in range(1, MAX_TILES + 1):
            rows = MAX_TILES // cols
            scale = max(scale, min(1.0, cols * TILE_SIZE / width, rows * TILE_SIZE / height))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def tile_count(width: int, height: int, detail: Detail = "auto") -> int:
    """How many 448x448 tiles an image of this size is estimated to use (without the extra)."""
    if detail == "low":
        _check_size(width, height)
        return 1
    w, h = processed_size(width, height, detail)
    return _tiles(w, h)


def estimate_image_tokens(image: tuple[int, int] | HasSize, detail: Detail = "auto") -> int:
    """Estimated prompt tokens for one image, from ``(width, height)`` or an object with ``size``.

    ``low`` costs 256; otherwise ``(tiles + 1) * 256`` with at most 6 tiles (<= 1,792).
    """
    if detail not in DETAILS:
        raise _detail_error(detail)
    width, height = image if isinstance(image, tuple) else image.size
    if detail == "low":
        _check_size(width, height)
        return TOKENS_PER_TILE
    return (tile_count(width, height, detail) + 1) * TOKENS_PER_TILE


class EstimatedImage(Protocol):
    """A prepared image as estimates see it (a :class:`~xai_vision.images.PreparedImage`)."""

    @property
    def detail(self) -> Detail | None: ...

    @property
    def estimated_tokens(self) -> int | None: ...


def most_image_tokens(detail: str | None) -> int:
    """The most one image can cost at ``detail``: the estimate for an image not sized offline."""
    return TOKENS_PER_TILE if detail == "low" else MAX_IMAGE_TOKENS


def estimate_prompt_tokens(
    messages: Sequence[Mapping[str, Any]],
    images: Sequence[EstimatedImage] = (),
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> int:
    """Estimated prompt tokens of a request, by the rule the emulator bills by.

    The text of ``messages`` and the JSON of ``tools`` by the text rule; each of ``images``
    (an :class:`~xai_vision.messages.ImageCollector`'s) by the image rule, an image sent by URL
    (not sizeable offline) at the most an image costs at its detail.
    """
    total = estimate_messages_text_tokens(messages)
    if tools:
        total += estimate_tools_tokens(tools)
    for image in images:
        tokens = image.estimated_tokens
        total += most_image_tokens(image.detail) if tokens is None else tokens
    return total
