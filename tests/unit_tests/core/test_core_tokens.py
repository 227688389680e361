"""The documented image-token rule: 448x448 tiles, 256 a tile plus one extra, at most 6 tiles."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from xai_vision.errors import RequestValidationError
from xai_vision.images import prepare_image
from xai_vision.tokens import (
    DETAILS,
    MAX_IMAGE_TOKENS,
    MAX_TILES,
    MESSAGE_OVERHEAD_TOKENS,
    MIN_IMAGE_TOKENS,
    TILE_SIZE,
    TOKENS_PER_TILE,
    check_detail,
    estimate_image_tokens,
    estimate_messages_text_tokens,
    estimate_prompt_tokens,
    estimate_text_tokens,
    estimate_tools_tokens,
    message_text,
    processed_size,
    tile_count,
)

sides = st.integers(min_value=1, max_value=20_000)


def test_documented_constants() -> None:
    assert (TILE_SIZE, TOKENS_PER_TILE, MAX_TILES) == (448, 256, 6)
    assert MIN_IMAGE_TOKENS == 256
    assert MAX_IMAGE_TOKENS == 1_792


@pytest.mark.parametrize(
    ("size", "tokens"),
    [
        ((1, 1), 2 * 256),  # one tile plus the extra tile
        ((448, 448), 2 * 256),
        ((449, 448), 3 * 256),  # two tiles
        ((896, 896), 5 * 256),  # 2x2 tiles
        ((1344, 896), 7 * 256),  # 3x2 = 6 tiles: the most
        ((2688, 448), 7 * 256),  # 6x1 tiles
        ((4000, 3000), 7 * 256),  # 12 MP: scaled down to fit 6 tiles
        ((20_000, 10), 7 * 256),  # a strip: capped too
    ],
)
def test_high_and_auto_follow_the_tile_rule(size: tuple[int, int], tokens: int) -> None:
    assert estimate_image_tokens(size, "high") == tokens
    assert estimate_image_tokens(size, "auto") == tokens
    assert estimate_image_tokens(size) == tokens


@pytest.mark.parametrize("size", [(1, 1), (448, 448), (4000, 3000), (20_000, 20_000)])
def test_low_detail_costs_one_tile(size: tuple[int, int]) -> None:
    assert estimate_image_tokens(size, "low") == 256
    assert tile_count(*size, detail="low") == 1


def test_estimate_from_an_object_with_a_size() -> None:
    assert estimate_image_tokens(Image.new("RGB", (900, 500)), "high") == estimate_image_tokens(
        (900, 500), "high"
    )


@pytest.mark.parametrize("size", [(0, 10), (10, 0), (-5, 5)])
def test_non_positive_sizes_are_refused(size: tuple[int, int]) -> None:
    # A typed error, still a ValueError for callers that catch that.
    with pytest.raises(RequestValidationError, match="must be positive") as info:
        estimate_image_tokens(size)
    assert isinstance(info.value, ValueError)
    with pytest.raises(RequestValidationError, match="must be positive"):
        estimate_image_tokens(size, "low")


def test_unknown_detail_is_refused() -> None:
    with pytest.raises(RequestValidationError, match="detail must be one of") as info:
        estimate_image_tokens((10, 10), "ultra")  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    with pytest.raises(RequestValidationError, match="detail must be one of"):
        estimate_image_tokens((10, 10), None)  # type: ignore[arg-type]


@pytest.mark.parametrize("detail", [*DETAILS, None])
def test_check_detail_passes_every_level_and_none(detail: str | None) -> None:
    assert check_detail(detail) == detail
    assert check_detail(detail, "message 2, block 1") == detail


@pytest.mark.parametrize("bad", ["huge", "AUTO", "", 1, ["low"]])
def test_check_detail_refuses_anything_else_naming_where(bad: object) -> None:
    with pytest.raises(RequestValidationError) as info:
        check_detail(bad, "message 2, block 1")
    assert str(info.value) == (
        f"message 2, block 1: detail must be one of auto, low, high, got {bad!r}"
    )
    with pytest.raises(RequestValidationError, match=r"^detail must be one of"):
        check_detail(bad)


def test_prompt_estimate_counts_text_tools_and_images_by_their_rules(
    image_bytes: Callable[..., bytes],
) -> None:
    sized = prepare_image(image_bytes(size=(900, 500)), detail="high")
    remote_low = prepare_image("https://example.com/a.png", detail="low")
    remote = prepare_image("https://example.com/b.png")
    messages = [{"role": "user", "content": "abcd"}]
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert estimate_prompt_tokens(messages) == estimate_messages_text_tokens(messages)
    assert estimate_prompt_tokens(messages, [sized, remote_low, remote], tools) == (
        estimate_messages_text_tokens(messages)
        + estimate_tools_tokens(tools)
        + estimate_image_tokens((900, 500), "high")
        + TOKENS_PER_TILE
        + MAX_IMAGE_TOKENS
    )


def test_processed_size_never_upscales_and_low_fits_one_tile() -> None:
    assert processed_size(100, 50) == (100, 50)
    assert processed_size(100, 50, "low") == (100, 50)
    assert processed_size(4000, 3000, "low") == (448, 336)
    assert processed_size(4000, 3000) == (1194, 896)


@given(sides, sides, st.sampled_from(["auto", "high", "low"]))
def test_tokens_are_always_between_256_and_1792_in_whole_tiles(
    width: int, height: int, detail: str
) -> None:
    tokens = estimate_image_tokens((width, height), detail)  # type: ignore[arg-type]
    assert MIN_IMAGE_TOKENS <= tokens <= MAX_IMAGE_TOKENS
    assert tokens % TOKENS_PER_TILE == 0


@given(sides, sides)
def test_processed_size_fits_six_tiles_and_keeps_the_aspect_ratio(width: int, height: int) -> None:
    w, h = processed_size(width, height)
    assert 1 <= w <= width and 1 <= h <= height
    assert math.ceil(w / TILE_SIZE) * math.ceil(h / TILE_SIZE) <= MAX_TILES
    if (w, h) != (width, height):
        # floor rounding moves each side by under one pixel of the scaled size
        scale = w / width
        assert abs(h - height * scale) <= 1 + height / width


@given(sides, sides, st.sampled_from(["auto", "high", "low"]))
def test_processing_is_idempotent_so_optimised_images_cost_the_same(
    width: int, height: int, detail: str
) -> None:
    w, h = processed_size(width, height, detail)  # type: ignore[arg-type]
    assert estimate_image_tokens((w, h), detail) == estimate_image_tokens(  # type: ignore[arg-type]
        (width, height),
        detail,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- text estimate


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("abcd", 1), ("abcde", 2), ("é" * 9, 3)])
def test_text_estimate_is_a_token_per_four_characters_rounded_up(text: str, tokens: int) -> None:
    assert estimate_text_tokens(text) == tokens


def test_text_estimate_refuses_non_text() -> None:
    with pytest.raises(RequestValidationError, match="text must be a str, got bytes"):
        estimate_text_tokens(b"abcd")  # type: ignore[arg-type]


def test_message_estimate_counts_overhead_text_parts_and_tool_calls() -> None:
    messages = [
        {"role": "system", "content": "abcdefgh"},  # 3 + 2
        {"role": "user", "content": [{"type": "text", "text": "abc"},
                                     {"type": "text", "text": "d"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c", "type": "function",
                            "function": {"name": "look", "arguments": '{"a":1}'}}],
        },  # 3 + 0 + 1 + 2
    ]  # fmt: skip
    # The user's parts are joined by a space: "abc d" is 5 characters, 2 tokens.
    assert message_text(messages[1]["content"]) == "abc d"
    assert estimate_messages_text_tokens(messages) == (
        5 + (MESSAGE_OVERHEAD_TOKENS + 2) + (MESSAGE_OVERHEAD_TOKENS + 3)
    )
