"""Prices and costs: :class:`ModelPrices` (xAI's per-token prices) and the one cost rule.

xAI publishes prices in US cents per 100 million tokens and reports costs in ticks
(1 tick = 1e-10 USD). One cent per 100M tokens is exactly one tick per token, so a price
from ``GET /v1/language-models`` is used as it is: ticks per token. The emulator bills by
the same rule (:meth:`ModelPrices.cost_ticks`), so a computed cost equals its reported one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from xai_vision.errors import ResponseParseError
from xai_vision.tokens import PromptTokens

__all__ = [
    "TICKS_PER_USD",
    "CostEstimate",
    "ModelPrices",
    "batch_price_ticks",
    "estimate_cost",
    "ticks_to_usd",
]

#: Ticks in one US dollar (xAI's ``cost_in_usd_ticks`` unit is 1e-10 USD).
TICKS_PER_USD = 10_000_000_000


def ticks_to_usd(ticks: int) -> float:
    """``ticks`` (1e-10 USD each) in US dollars."""
    return ticks / TICKS_PER_USD


def batch_price_ticks(ticks: int) -> int:
    """What a cost of ``ticks`` at standard prices costs in a batch (xAI's Batch API bills
    50% of standard prices; a half tick is dropped)."""
    return ticks // 2


@dataclass(frozen=True, slots=True)
class ModelPrices:
    """One model's token prices, in ticks per token (xAI's "USD cents per 100M tokens")."""

    #: A prompt text token that was not cached.
    prompt_text: int
    #: A prompt text token read from xAI's prompt cache.
    cached_prompt_text: int
    #: A prompt image token.
    prompt_image: int
    #: A generated token (completion or reasoning).
    completion_text: int

    @classmethod
    def from_language_model(cls, entry: Mapping[str, Any]) -> ModelPrices:
        """The prices of one ``LanguageModel`` object; a missing price is 0 (xAI's own examples
        leave out the cached price of models without a cache)."""

        def price(name: str) -> int:
            value = entry.get(name, 0)
            if value is None:
                return 0
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ResponseParseError(f"{name} must be a price >= 0 (an int), got {value!r}")
            return value

        return cls(
            prompt_text=price("prompt_text_token_price"),
            cached_prompt_text=price("cached_prompt_text_token_price"),
            prompt_image=price("prompt_image_token_price"),
            completion_text=price("completion_text_token_price"),
        )

    def cost_ticks(
        self,
        *,
        prompt_tokens: int,
        image_tokens: int = 0,
        cached_tokens: int = 0,
        output_tokens: int = 0,
    ) -> int:
        """The cost of one request's tokens, in ticks.

        ``prompt_tokens`` includes ``image_tokens``; ``cached_tokens`` are part of the text
        tokens (as xAI reports them) and cost the cached price; ``output_tokens`` are the
        completion and reasoning tokens together.
        """
        image = max(0, min(image_tokens, prompt_tokens))
        text = prompt_tokens - image
        cached = max(0, min(cached_tokens, text))
        return (
            (text - cached) * self.prompt_text
            + cached * self.cached_prompt_text
            + image * self.prompt_image
            + max(0, output_tokens) * self.completion_text
        )

    def per_million_usd(self) -> dict[str, float]:
        """The prices in US dollars per million tokens (how xAI's pricing page shows them)."""
        return {
            "prompt_text": self.prompt_text * 1_000_000 / TICKS_PER_USD,
            "cached_prompt_text": self.cached_prompt_text * 1_000_000 / TICKS_PER_USD,
            "prompt_image": self.prompt_image * 1_000_000 / TICKS_PER_USD,
            "completion_text": self.completion_text * 1_000_000 / TICKS_PER_USD,
        }


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """What requests are expected to cost before they are sent (one request, or a batch: add
    estimates with ``+``).

    The prompt's cost is its tokens at the model's prices (no cached tokens assumed, so never
    less than xAI bills for the same prompt); the answers' cost is known only as a ceiling,
    when ``max_tokens`` caps them. ``None`` where the prices are not known (offline).
    """

    requests: int
    prompt_tokens: int
    image_tokens: int
    #: Whether every prompt's text was counted by xAI's tokenizer (else estimated).
    text_exact: bool
    prompt_ticks: int | None
    #: The most tokens the answers may generate (None: not capped).
    max_output_tokens: int | None
    max_output_ticks: int | None

    @property
    def prompt_usd(self) -> float | None:
        """The prompts' cost in US dollars."""
        return None if self.prompt_ticks is None else ticks_to_usd(self.prompt_ticks)

    @property
    def max_ticks(self) -> int | None:
        """The most the requests can cost: prompts plus capped answers (None if not capped)."""
        if self.prompt_ticks is None or self.max_output_ticks is None:
            return None
        return self.prompt_ticks + self.max_output_ticks

    @property
    def max_usd(self) -> float | None:
        """:attr:`max_ticks` in US dollars."""
        ticks = self.max_ticks
        return None if ticks is None else ticks_to_usd(ticks)

    def at_batch_prices(self) -> CostEstimate:
        """This estimate at xAI's Batch API prices (half; see :func:`batch_price_ticks`)."""

        def half(ticks: int | None) -> int | None:
            return None if ticks is None else batch_price_ticks(ticks)

        return replace(
            self, prompt_ticks=half(self.prompt_ticks), max_output_ticks=half(self.max_output_ticks)
        )

    def __add__(self, other: CostEstimate) -> CostEstimate:
        def total(a: int | None, b: int | None) -> int | None:
            return None if a is None or b is None else a + b

        return CostEstimate(
            requests=self.requests + other.requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            image_tokens=self.image_tokens + other.image_tokens,
            text_exact=self.text_exact and other.text_exact,
            prompt_ticks=total(self.prompt_ticks, other.prompt_ticks),
            max_output_tokens=total(self.max_output_tokens, other.max_output_tokens),
            max_output_ticks=total(self.max_output_ticks, other.max_output_ticks),
        )


def estimate_cost(
    prompt: PromptTokens, prices: ModelPrices | None, *, max_output_tokens: int | None = None
) -> CostEstimate:
    """The pre-send cost estimate of one request: its prompt tokens (see
    :func:`~xai_vision.tokens.count_prompt_tokens`) at ``prices``, and at most
    ``max_output_tokens`` generated tokens."""
    prompt_ticks = output_ticks = None
    if prices is not None:
        prompt_ticks = prices.cost_ticks(
            prompt_tokens=prompt.total, image_tokens=prompt.image_tokens
        )
        if max_output_tokens is not None:
            output_ticks = prices.cost_ticks(prompt_tokens=0, output_tokens=max_output_tokens)
    return CostEstimate(
        requests=1,
        prompt_tokens=prompt.total,
        image_tokens=prompt.image_tokens,
        text_exact=prompt.text_exact,
        prompt_ticks=prompt_ticks,
        max_output_tokens=max_output_tokens,
        max_output_ticks=output_ticks,
    )
