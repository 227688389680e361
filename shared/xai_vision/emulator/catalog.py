"""The emulator's model catalogue: the core's model facts plus prices and fingerprints.

Capabilities, aliases and context windows are the core's :class:`~xai_vision.catalog.ModelFacts`
(by name pattern, never a list); :class:`ModelInfo` extends them with what only the emulator
needs: prices and system fingerprints. This module also has the ``GET /v1/models`` listing, and
answers None (a 404) for names no pattern knows, as xAI answers unknown names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from xai_vision.catalog import ModelFacts, model_facts

__all__ = ["LISTED_MODELS", "ModelInfo", "resolve_model"]

#: (input, output) price in USD ticks (1e-10 USD) per token, by name prefix; first match wins.
_PRICES: tuple[tuple[str, int, int], ...] = (
    ("grok-4-fast", 2_000, 5_000),
    ("grok-4-1-fast", 2_000, 5_000),
    ("grok-4", 30_000, 150_000),
    ("grok-code-fast", 2_000, 15_000),
    ("grok-3-mini", 3_000, 5_000),
    ("grok-3", 30_000, 150_000),
    ("grok-2", 20_000, 100_000),
    ("grok", 20_000, 100_000),
)

_FINGERPRINTS: dict[str, str] = {
    "grok-4-fast-reasoning": "fp_9362061f30",
    "grok-code-fast-1": "fp_10f00c862d",
    "grok-3-mini-high": "fp_a6fbae1a97",
}

#: What ``GET /v1/models`` lists: (id, created).
LISTED_MODELS: tuple[tuple[str, int], ...] = (
    ("grok-4-0709", 1752019200),
    ("grok-4-fast-reasoning", 1758240000),
    ("grok-4-fast-non-reasoning", 1758240000),
    ("grok-4-1-fast-reasoning", 1763337600),
    ("grok-4-1-fast-non-reasoning", 1763337600),
    ("grok-code-fast-1", 1755993600),
    ("grok-3", 1743724800),
    ("grok-3-mini", 1743724800),
    ("grok-2-vision-1212", 1733961600),
)


@dataclass(frozen=True)
class ModelInfo(ModelFacts):
    """The core's facts about a model the emulator serves, plus its price and fingerprint."""

    #: Price of a prompt token, in USD ticks (1e-10 USD).
    input_ticks: int
    #: Price of a completion or reasoning token, in USD ticks.
    output_ticks: int
    system_fingerprint: str


def _fingerprint(name: str) -> str:
    known = _FINGERPRINTS.get(name)
    if known is not None:
        return known
    digest = sum((i + 1) * ord(c) for i, c in enumerate(name)) % 16**10
    return f"fp_{digest:010x}"


def resolve_model(requested: str, reasoning_effort: str | None = None) -> ModelInfo | None:
    """The model a request names, resolved like xAI does; None for a name xAI would 404."""
    facts = model_facts(requested, reasoning_effort)
    if not facts.known:
        return None
    name = facts.name
    input_ticks, output_ticks = next((i, o) for p, i, o in _PRICES if name.startswith(p))
    core = {f.name: getattr(facts, f.name) for f in fields(ModelFacts)}
    return ModelInfo(
        **core,
        input_ticks=input_ticks,
        output_ticks=output_ticks,
        system_fingerprint=_fingerprint(name),
    )
