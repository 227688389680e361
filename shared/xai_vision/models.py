"""Parsed, typed xAI responses: what both adapters read. Built by the endpoint, never by hand.

``raw`` fields keep the exact wire objects, so nothing xAI sent is lost.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xai_vision.errors import ResponseParseError
from xai_vision.pricing import ModelPrices, ticks_to_usd

_Model = TypeVar("_Model", bound=BaseModel)


def parse_model(model: type[_Model], data: Any, what: str) -> _Model:
    """xAI's JSON ``data`` as ``model`` (a file, a batch, ...); ResponseParseError naming
    ``what`` when it does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ResponseParseError(f"{what} is not a {model.__name__}: {exc}", body=data) from exc


USD_PER_TICK = 1e-10


class Usage(BaseModel):
    """Token usage of one response. xAI's rule: total = prompt + completion + reasoning."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    text_tokens: int | None = None
    image_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    #: The cost in ticks (1e-10 USD): xAI's figure, or computed when xAI reported none.
    cost_in_usd_ticks: int | None = None
    #: True when ``cost_in_usd_ticks`` was computed by the client from these tokens and the
    #: prices xAI lists for the model (cached and image tokens at their own prices), because
    #: the response reported no cost.
    cost_computed: bool = False
    #: True when ``image_tokens`` is the tile-rule estimate, not xAI's count (the responses
    #: endpoint reports no image tokens).
    image_tokens_estimated: bool = False
    raw: dict[str, Any] = Field(default_factory=dict)

    @property
    def output_tokens(self) -> int:
        """Everything generated: completion plus reasoning (LangChain's ``output_tokens``)."""
        return self.completion_tokens + self.reasoning_tokens

    @property
    def cost_usd(self) -> float | None:
        """The cost in US dollars (1 tick = 1e-10 USD), when known (see ``cost_computed``)."""
        return None if self.cost_in_usd_ticks is None else ticks_to_usd(self.cost_in_usd_ticks)

    def cost_fields(self) -> dict[str, Any]:
        """The cost as the adapters and the CLI report it: ``cost_in_usd_ticks`` and
        ``cost_usd``, plus ``cost_computed: True`` when the client computed it; empty when
        unknown."""
        if self.cost_in_usd_ticks is None:
            return {}
        fields: dict[str, Any] = {
            "cost_in_usd_ticks": self.cost_in_usd_ticks,
            "cost_usd": ticks_to_usd(self.cost_in_usd_ticks),
        }
        if self.cost_computed:
            fields["cost_computed"] = True
        return fields

    def priced(self, prices: ModelPrices) -> Usage:
        """This usage with its cost computed from ``prices`` (``cost_computed``); unchanged
        when xAI reported a cost."""
        if self.cost_in_usd_ticks is not None:
            return self
        ticks = prices.cost_ticks(
            prompt_tokens=self.prompt_tokens,
            image_tokens=self.image_tokens,
            cached_tokens=self.cached_tokens,
            output_tokens=self.output_tokens,
        )
        return self.model_copy(update={"cost_in_usd_ticks": ticks, "cost_computed": True})


class ToolCall(BaseModel):
    """One complete function call requested by the model; ``arguments`` is the JSON text as sent."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: str
    type: str = "function"


class ToolCallDelta(BaseModel):
    """A piece of a streamed tool call. xAI sends each call whole; OpenAI-style peers split it."""

    model_config = ConfigDict(frozen=True)

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str | None = None
    type: str | None = None


class ChatCompletion(BaseModel):
    """A whole answer: from a non-streaming response, or assembled from a stream."""

    model_config = ConfigDict(frozen=True)

    id: str
    model: str
    created: int | None = None
    content: str | None = None
    reasoning_content: str | None = None
    #: The model's reasoning, encrypted, to send back on the next turn (responses endpoint).
    reasoning_encrypted_content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: str | None = None
    system_fingerprint: str | None = None
    usage: Usage | None = None
    #: Whether xAI stored the response (responses endpoint; None on chat completions): only a
    #: stored response can be continued by ``previous_response_id``.
    stored: bool | None = None
    raw: dict[str, Any] = Field(default_factory=dict)


class ChatCompletionChunk(BaseModel):
    """One streamed chunk (choice 0). ``usage`` is set only on the final usage chunk."""

    model_config = ConfigDict(frozen=True)

    id: str
    model: str
    created: int | None = None
    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None
    reasoning_encrypted_content: str | None = None
    tool_calls: list[ToolCallDelta] = Field(default_factory=list)
    finish_reason: str | None = None
    system_fingerprint: str | None = None
    usage: Usage | None = None
    stored: bool | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
