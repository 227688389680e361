"""The model catalogue: what the project knows about an xAI model name, by name pattern.

xAI renames models often, so nothing here is a list to check names against: facts follow
patterns (every ``grok-4*`` and ``grok-2-vision*`` name takes images; ``grok-3*``,
``grok-code-fast*`` and ``grok-2-<date>`` are text-only), and a name no pattern knows gets
sensible defaults (``known=False``, images allowed) instead of an error. Aliases resolve the way
recorded xAI traffic shows (``grok-4-fast`` -> ``grok-4-fast-reasoning``; ``grok-3-mini`` with
``reasoning_effort="high"`` -> ``grok-3-mini-high``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from xai_vision.errors import RequestValidationError

__all__ = [
    "DEFAULT_CONTEXT_WINDOW",
    "DEFAULT_MODEL",
    "MODEL_ALIASES",
    "REASONING_REJECTED_PARAMS",
    "ModelFacts",
    "model_facts",
    "resolve_model_name",
]

#: The model both adapters and the CLI use when none is given: fast, cheap, takes images.
DEFAULT_MODEL: Final = "grok-4-fast-non-reasoning"

#: Context window assumed for a name no pattern knows (the grok-3 family's).
DEFAULT_CONTEXT_WINDOW: Final = 131_072

#: Alias -> the name xAI answers with (``response.model``).
MODEL_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
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
)

#: Body parameters xAI's reasoning models refuse with a 400 (``reasoning_effort`` aside: only
#: the grok-3-mini family takes that one, see :attr:`ModelFacts.rejected_params`).
REASONING_REJECTED_PARAMS: Final = ("stop", "presence_penalty", "frequency_penalty")

_GROK4_BASE = re.compile(r"grok-4(-\d{4})?")
_GROK2_TEXT = re.compile(r"grok-2-\d{4}")


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What is known about one model name; ``known`` is False when only defaults apply."""

    #: The name as asked for.
    requested: str
    #: The resolved name (aliases followed), as xAI reports it in responses.
    name: str
    #: Whether a name pattern matched; False means the other fields are defaults.
    known: bool
    takes_images: bool
    reasoning: bool
    #: The model returns its reasoning as text (``reasoning_content``), like grok-3-mini.
    reasoning_text: bool
    #: Only the grok-3-mini family accepts ``reasoning_effort``.
    accepts_reasoning_effort: bool
    context_window: int

    @property
    def rejected_params(self) -> tuple[str, ...]:
        """The body parameters this model answers 400 to."""
        rejected = () if self.accepts_reasoning_effort else ("reasoning_effort",)
        return rejected + REASONING_REJECTED_PARAMS if self.reasoning else rejected


def resolve_model_name(model: str, reasoning_effort: str | None = None) -> str:
    """The name xAI answers with for ``model`` (aliases followed; unknown names unchanged)."""
    name = MODEL_ALIASES.get(model, model)
    if name == "grok-3-mini" and reasoning_effort == "high":
        return "grok-3-mini-high"
    return name


def _is_reasoning(name: str) -> bool:
    if "non-reasoning" in name:
        return False
    return (
        "reasoning" in name
        or _GROK4_BASE.fullmatch(name) is not None
        or name.startswith(("grok-3-mini", "grok-code-fast"))
    )


def _context_window(name: str) -> int:
    if name.startswith("grok-4"):
        return 2_000_000 if "fast" in name else 256_000
    if name.startswith("grok-vision-beta"):
        return 8_192
    if name.startswith("grok-2"):
        return 32_768
    if name.startswith("grok-code-fast"):
        return 256_000
    return DEFAULT_CONTEXT_WINDOW


def model_facts(model: str, reasoning_effort: str | None = None) -> ModelFacts:
    """The facts for ``model`` (resolved first); a name no pattern knows gets defaults.

    Defaults for an unknown name: takes images (never block on a list), a reasoning model only
    if its name says ``reasoning``, :data:`DEFAULT_CONTEXT_WINDOW`.
    """
    if not isinstance(model, str):
        raise RequestValidationError(f"model must be a str, got {type(model).__name__}")
    name = resolve_model_name(model, reasoning_effort)
    if name.startswith(("grok-4", "grok-2-vision", "grok-vision-beta")):
        known, images = True, True
    elif name.startswith(("grok-3", "grok-code-fast")) or _GROK2_TEXT.fullmatch(name):
        known, images = True, False
    else:
        known, images = False, True
    mini = name.startswith("grok-3-mini")
    return ModelFacts(
        requested=model,
        name=name,
        known=known,
        takes_images=images,
        reasoning=_is_reasoning(name),
        reasoning_text=mini,
        accepts_reasoning_effort=mini,
        context_window=_context_window(name),
    )
