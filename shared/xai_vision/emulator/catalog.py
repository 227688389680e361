"""The emulator's model catalogue: name resolution, capabilities and prices, by rule not by list.

Real xAI names change often, so capabilities follow name patterns: every ``grok-4*`` and
``grok-2-vision*`` name takes images; ``grok-3*``, ``grok-code-fast*`` and ``grok-2-<date>`` are
text-only; anything else is an unknown model (404). Aliases resolve like the recordings show
(``grok-4-fast`` -> ``grok-4-fast-reasoning``; ``grok-3-mini`` + effort high ->
``grok-3-mini-high``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LISTED_MODELS", "ModelInfo", "resolve_model"]

_ALIASES: dict[str, str] = {
    "grok-4": "grok-4-0709",
    "grok-4-latest": "grok-4-0709",
    "grok-4-fast": "grok-4-fast-reasoning",
    "grok-4-fast-latest": "grok-4-fast-reasoning",
    "grok-4-1-fast": "grok-4-1-fast-reasoning",
    "grok-2-vision": "grok-2-vision-1212",
    "grok-2-vision-latest": "grok-2-vision-1212",
    "grok-3-latest": "grok-3",
    "grok-3-mini-latest": "grok-3-mini",
    "grok-code-fast": "grok-code-fast-1",
}

_GROK4_BASE = re.compile(r"grok-4(-\d{4})?")

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
class ModelInfo:
    """What the emulator knows about one resolved model name."""

    requested: str
    name: str
    vision: bool
    reasoning: bool
    #: The model returns its reasoning as text (``reasoning_content``), like grok-3-mini.
    reasoning_text: bool
    #: Only grok-3-mini accepts ``reasoning_effort``.
    accepts_reasoning_effort: bool
    context_window: int
    input_ticks: int
    output_ticks: int
    system_fingerprint: str


def _is_reasoning(name: str) -> bool:
    if "non-reasoning" in name:
        return False
    return (
        "reasoning" in name
        or _GROK4_BASE.fullmatch(name) is not None
        or name.startswith(("grok-3-mini", "grok-code-fast"))
    )


def _fingerprint(name: str) -> str:
    known = _FINGERPRINTS.get(name)
    if known is not None:
        return known
    digest = sum((i + 1) * ord(c) for i, c in enumerate(name)) % 16**10
    return f"fp_{digest:010x}"


def resolve_model(requested: str, reasoning_effort: str | None = None) -> ModelInfo | None:
    """The model a request names, resolved like xAI does; None for a name xAI would 404."""
    name = _ALIASES.get(requested, requested)
    if name == "grok-3-mini" and reasoning_effort == "high":
        name = "grok-3-mini-high"
    if name.startswith("grok-4") or name.startswith(("grok-2-vision", "grok-vision-beta")):
        vision = True
    elif name.startswith(("grok-3", "grok-code-fast")) or re.fullmatch(r"grok-2-\d{4}", name):
        vision = False
    else:
        return None
    if name.startswith("grok-4"):
        context = 2_000_000 if "fast" in name else 256_000
    elif name.startswith("grok-vision-beta"):
        context = 8_192
    elif name.startswith("grok-2"):
        context = 32_768
    else:
        context = 131_072 if not name.startswith("grok-code-fast") else 256_000
    input_ticks, output_ticks = next((i, o) for p, i, o in _PRICES if name.startswith(p))
    return ModelInfo(
        requested=requested,
        name=name,
        vision=vision,
        reasoning=_is_reasoning(name),
        reasoning_text=name.startswith("grok-3-mini"),
        accepts_reasoning_effort=name.startswith("grok-3-mini"),
        context_window=context,
        input_ticks=input_ticks,
        output_ticks=output_ticks,
        system_fingerprint=_fingerprint(name),
    )
