"""The token estimates, in one place: every estimate in the project (emulator included) calls them.

Text: xAI's tokenizer is not published (only its API, ``/v1/tokenize-text``, counts text
exactly: the client's ``count_tokens``), so text is estimated at one token per 4 characters
(rounded up) plus 3 tokens a message; the emulator reports usage by this same rule.
:func:`count_prompt_tokens` counts a request message by message, with xAI's count of the text
when the client has one and this estimate otherwise.

Images: xAI documents: an image is cut into 448x448 tiles, 256 tokens a tile plus one extra tile,
at most 6 tiles, so 256 to 1,792 tokens an image. The exact server-side resize is not
published, so these are estimates. ``low`` detail is charged as one tile without the extra.
``auto`` is estimated as ``high`` (the conservative choice).

:data:`Detail` lives here (the estimates depend on it), with :func:`check_detail`, the one check
of a detail level that the core and both adapters call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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


def tools_text(tools: Iterable[Mapping[str, Any]]) -> str:
    """The text function tools are counted by: their functions' JSON ("" for none)."""
    functions = [tool["function"] for tool in tools if tool.get("type") == "function"]
    return _json.dumps(functions).decode("utf-8") if functions else ""


def estimate_tools_tokens(tools: Iterable[Mapping[str, Any]]) -> int:
    """Estimated prompt tokens of function tools: the text estimate of their functions' JSON."""
    return estimate_text_tokens(tools_text(tools))


def message_texts(message: Mapping[str, Any]) -> list[str]:
    """The texts one wire message is counted by: its content's text, then each tool call's
    name and arguments."""
    texts = [message_text(message.get("content"))]
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        texts.append(function.get("name") or "")
        texts.append(function.get("arguments") or "")
    return texts


def estimate_messages_text_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Estimated text tokens of wire messages (images not included; see estimate_image_tokens).

    Each message costs :data:`MESSAGE_OVERHEAD_TOKENS` plus the estimate of its text and of
    each tool call's name and arguments.
    """
    return sum(
        MESSAGE_OVERHEAD_TOKENS + sum(estimate_text_tokens(text) for text in message_texts(m))
        for m in messages
    )


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


# --------------------------------------------------------------------------- counts by message


@dataclass(frozen=True, slots=True)
class MessageTokens:
    """One message's prompt tokens: text (its content and tool calls), images, overhead."""

    role: str
    text_tokens: int
    image_tokens: int
    #: Image parts in the message.
    images: int
    overhead_tokens: int = MESSAGE_OVERHEAD_TOKENS

    @property
    def total(self) -> int:
        """Text, images and the per-message overhead together."""
        return self.text_tokens + self.image_tokens + self.overhead_tokens


@dataclass(frozen=True, slots=True)
class PromptTokens:
    """A request's prompt tokens, message by message, and how they were counted.

    Text is exact when ``text_exact`` (xAI's tokenizer counted it) and otherwise the
    4-characters estimate; image tokens (the tile rule) and the per-message overhead are
    always estimates. ``note`` says which, in words, for people reading a count.
    """

    messages: tuple[MessageTokens, ...]
    #: The tools' and the response format's JSON (text).
    schema_tokens: int
    text_exact: bool
    note: str

    @property
    def text_tokens(self) -> int:
        """Text tokens of the messages, the tools and the response format."""
        return sum(m.text_tokens for m in self.messages) + self.schema_tokens

    @property
    def image_tokens(self) -> int:
        """Image tokens of every message (tile-rule estimates)."""
        return sum(m.image_tokens for m in self.messages)

    @property
    def overhead_tokens(self) -> int:
        """The per-message overhead of every message (an estimate)."""
        return sum(m.overhead_tokens for m in self.messages)

    @property
    def total(self) -> int:
        """Everything together: what ``usage.prompt_tokens`` is expected to be."""
        return self.text_tokens + self.image_tokens + self.overhead_tokens


#: How an estimate is described when nothing better is known.
ESTIMATE_NOTE = (
    "estimate: text at 4 characters a token; images by the tile rule; 3 tokens a message"
)
#: How a count with xAI's tokenizer is described.
EXACT_TEXT_NOTE = (
    "text counted by xAI's tokenizer; images (tile rule) and 3 tokens a message are estimates"
)


def schema_text(
    tools: Sequence[Mapping[str, Any]] | None, response_format: Mapping[str, Any] | None
) -> list[str]:
    """The texts tools and a response format are counted by: the functions' JSON, the
    format's JSON (as the emulator bills them)."""
    texts = [tools_text(tools)] if tools else []
    if response_format is not None:
        texts.append(_json.dumps(response_format).decode("utf-8"))
    return [text for text in texts if text]


def prompt_texts(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None = None,
    response_format: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every distinct non-empty text a count of these messages, tools and response format
    needs, in order."""
    texts = [text for message in messages for text in message_texts(message)]
    texts += schema_text(tools, response_format)
    return [text for text in dict.fromkeys(texts) if text]


def _image_parts(content: object) -> list[Mapping[str, Any]]:
    if not isinstance(content, list):
        return []
    return [
        part.get("image_url") or {}
        for part in content
        if isinstance(part, Mapping) and part.get("type") == "image_url"
    ]


def count_prompt_tokens(
    messages: Sequence[Mapping[str, Any]],
    images: Sequence[EstimatedImage] = (),
    tools: Sequence[Mapping[str, Any]] | None = None,
    response_format: Mapping[str, Any] | None = None,
    *,
    text_tokens: Callable[[str], int] | None = None,
    note: str | None = None,
) -> PromptTokens:
    """The prompt tokens of wire ``messages``, ``tools`` and ``response_format``, message by
    message.

    ``text_tokens`` counts one text (xAI's tokenizer, through the client); without it text is
    estimated (:func:`estimate_text_tokens`) and the count says so. ``images`` are the
    prepared images of the messages' image parts, in order (an
    :class:`~xai_vision.messages.ImageCollector`'s); a part without one (a URL not sized
    offline) counts as the most an image costs at its detail. Without text counting, the total
    equals :func:`estimate_prompt_tokens`; either way it is what the emulator bills.
    """
    count = text_tokens if text_tokens is not None else estimate_text_tokens
    sized = iter(images)
    parts_seen = 0
    counted: list[MessageTokens] = []
    for message in messages:
        parts = _image_parts(message.get("content"))
        image_total = 0
        for part in parts:
            image = next(sized, None)
            tokens = None if image is None else image.estimated_tokens
            if tokens is None:
                detail = image.detail if image is not None else part.get("detail")
                tokens = most_image_tokens(detail)
            image_total += tokens
        parts_seen += len(parts)
        counted.append(
            MessageTokens(
                role=str(message.get("role", "")),
                text_tokens=sum(count(text) for text in message_texts(message) if text),
                image_tokens=image_total,
                images=len(parts),
            )
        )
    if len(images) > parts_seen:
        raise RequestValidationError(
            f"images: {len(images)} prepared images for {parts_seen} image parts in the "
            "messages; pass the images of these messages, in order"
        )
    exact = text_tokens is not None
    return PromptTokens(
        messages=tuple(counted),
        schema_tokens=sum(count(text) for text in schema_text(tools, response_format)),
        text_exact=exact,
        note=note or (EXACT_TEXT_NOTE if exact else ESTIMATE_NOTE),
    )
