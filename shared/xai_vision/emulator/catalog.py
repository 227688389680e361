"""The emulator's model catalogue: the core's model facts plus prices and fingerprints.

Capabilities, aliases and context windows are the core's :class:`~xai_vision.catalog.ModelFacts`
(by name pattern, never a list); :class:`ModelInfo` extends them with what only the emulator
needs: prices and system fingerprints. This module also has the ``GET /v1/models`` listing, and
answers None (a 404) for names no pattern knows, as xAI answers unknown names.

Tests add or change models with :class:`EmulatedModel` (``EmulatorSettings.models``): a name
the core has never seen, a text-only model, other prices or aliases. They are served by
``/v1/language-models`` and accepted by the chat checks exactly like the built-in ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from xai_vision.catalog import MODEL_ALIASES, ModelFacts, model_facts
from xai_vision.pricing import ModelPrices

__all__ = [
    "LISTED_MODELS",
    "EmulatedModel",
    "ModelInfo",
    "language_model_entry",
    "language_models",
    "resolve_model",
]

#: (prompt, cached prompt, completion) price in USD ticks (1e-10 USD) per token, by name
#: prefix; first match wins. An image token costs the prompt price on models that take images.
_PRICES: tuple[tuple[str, int, int, int], ...] = (
    ("grok-4-fast", 2_000, 500, 5_000),
    ("grok-4-1-fast", 2_000, 500, 5_000),
    ("grok-4", 30_000, 7_500, 150_000),
    ("grok-code-fast", 2_000, 200, 15_000),
    ("grok-3-mini", 3_000, 750, 5_000),
    ("grok-3", 30_000, 7_500, 150_000),
    ("grok-2", 20_000, 5_000, 100_000),
    ("grok", 20_000, 5_000, 100_000),
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

#: ``created`` for a model the listing does not name.
DEFAULT_CREATED = 1743724800
#: What ``search_price`` says for every model (USD cents per 100M searches, as in xAI's spec).
_SEARCH_PRICE = 250_000_000


@dataclass(frozen=True)
class EmulatedModel:
    """A model a test adds to the emulator (or changes, by naming a built-in id).

    Prices are ticks per token (xAI's "USD cents per 100M tokens"); ``cached_price`` defaults
    to a quarter of ``prompt_price``, ``image_price`` to ``prompt_price`` when the model takes
    images (else 0). ``reasoning`` and ``context_window`` default to the core's facts for the
    name.
    """

    id: str
    aliases: tuple[str, ...] = ()
    images: bool = True
    prompt_price: int = 2_000
    completion_price: int = 10_000
    cached_price: int | None = None
    image_price: int | None = None
    reasoning: bool | None = None
    context_window: int | None = None
    created: int = DEFAULT_CREATED

    def __post_init__(self) -> None:
        from xai_vision.emulator.config import EmulatorConfigError  # config imports this module

        if not isinstance(self.id, str) or not self.id.strip():
            raise EmulatorConfigError(f"EmulatedModel id must be a non-empty str, got {self.id!r}")
        aliases: object = self.aliases
        if (
            isinstance(aliases, str)
            or not isinstance(aliases, Sequence)
            or not all(isinstance(a, str) and a for a in aliases)
        ):
            raise EmulatorConfigError(f"{self.id}: aliases must be a sequence of names")
        object.__setattr__(self, "aliases", tuple(aliases))
        for name in ("prompt_price", "completion_price", "cached_price", "image_price"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise EmulatorConfigError(f"{self.id}: {name} must be an int >= 0, got {value!r}")
        if self.context_window is not None and self.context_window < 1:
            raise EmulatorConfigError(f"{self.id}: context_window must be >= 1")

    @property
    def prices(self) -> ModelPrices:
        """The model's prices with the defaults filled in."""
        return ModelPrices(
            prompt_text=self.prompt_price,
            cached_prompt_text=(
                self.prompt_price // 4 if self.cached_price is None else self.cached_price
            ),
            prompt_image=(
                (self.prompt_price if self.images else 0)
                if self.image_price is None
                else self.image_price
            ),
            completion_text=self.completion_price,
        )

    def names(self) -> tuple[str, ...]:
        """The id and its aliases: every name a request may use."""
        return (self.id, *self.aliases)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly copy (for a subprocess emulator's settings)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EmulatedModel:
        """The inverse of :meth:`to_json`."""
        values = dict(data)
        values["aliases"] = tuple(values.get("aliases") or ())
        return cls(**values)


@dataclass(frozen=True)
class ModelInfo(ModelFacts):
    """The core's facts about a model the emulator serves, plus its prices and fingerprint."""

    prices: ModelPrices
    system_fingerprint: str
    #: Names that resolve to this model (xAI's ``aliases``).
    aliases: tuple[str, ...] = ()


def _fingerprint(name: str) -> str:
    known = _FINGERPRINTS.get(name)
    if known is not None:
        return known
    digest = sum((i + 1) * ord(c) for i, c in enumerate(name)) % 16**10
    return f"fp_{digest:010x}"


def _builtin_aliases(name: str) -> tuple[str, ...]:
    return tuple(alias for alias, target in MODEL_ALIASES.items() if target == name)


def _builtin_prices(facts: ModelFacts) -> ModelPrices:
    prompt, cached, completion = next(
        (p, c, o) for prefix, p, c, o in _PRICES if facts.name.startswith(prefix)
    )
    return ModelPrices(
        prompt_text=prompt,
        cached_prompt_text=cached,
        prompt_image=prompt if facts.takes_images else 0,
        completion_text=completion,
    )


def _emulated_info(spec: EmulatedModel, requested: str, reasoning_effort: str | None) -> ModelInfo:
    facts = model_facts(spec.id, reasoning_effort)
    core = {f.name: getattr(facts, f.name) for f in fields(ModelFacts)}
    core.update(requested=requested, name=spec.id, known=True, takes_images=spec.images)
    if spec.reasoning is not None:
        core["reasoning"] = spec.reasoning
    if spec.context_window is not None:
        core["context_window"] = spec.context_window
    return ModelInfo(
        **core,
        prices=spec.prices,
        system_fingerprint=_fingerprint(spec.id),
        aliases=spec.aliases,
    )


def resolve_model(
    requested: str,
    reasoning_effort: str | None = None,
    models: Sequence[EmulatedModel] = (),
) -> ModelInfo | None:
    """The model a request names, resolved like xAI does; None for a name xAI would 404.

    ``models`` (``EmulatorSettings.models``) come first: by id or alias, and also when a
    built-in alias resolves to an id one of them changes.
    """
    for spec in models:
        if requested in spec.names():
            return _emulated_info(spec, requested, reasoning_effort)
    facts = model_facts(requested, reasoning_effort)
    for spec in models:
        if facts.name == spec.id:
            return _emulated_info(spec, requested, reasoning_effort)
    if not facts.known:
        return None
    core = {f.name: getattr(facts, f.name) for f in fields(ModelFacts)}
    return ModelInfo(
        **core,
        prices=_builtin_prices(facts),
        system_fingerprint=_fingerprint(facts.name),
        aliases=_builtin_aliases(facts.name),
    )


def language_model_entry(info: ModelInfo, created: int = DEFAULT_CREATED) -> dict[str, Any]:
    """One model in xAI's ``LanguageModel`` shape (``GET /v1/language-models``)."""
    prices = info.prices
    return {
        "id": info.name,
        "fingerprint": info.system_fingerprint,
        "created": created,
        "object": "model",
        "owned_by": "xai",
        "version": "1.0",
        "input_modalities": ["text", "image"] if info.takes_images else ["text"],
        "output_modalities": ["text"],
        "prompt_text_token_price": prices.prompt_text,
        "cached_prompt_text_token_price": prices.cached_prompt_text,
        "prompt_image_token_price": prices.prompt_image,
        "completion_text_token_price": prices.completion_text,
        "search_price": _SEARCH_PRICE,
        "aliases": list(info.aliases),
    }


def language_models(models: Sequence[EmulatedModel] = ()) -> list[tuple[ModelInfo, int]]:
    """Every model the emulator lists, with its ``created``: the built-in ones (changed in
    place by ``models`` naming them), then the added ones."""
    by_id = {spec.id: spec for spec in models}
    listed: list[tuple[ModelInfo, int]] = []
    for name, created in LISTED_MODELS:
        spec = by_id.pop(name, None)
        info = _emulated_info(spec, name, None) if spec is not None else resolve_model(name)
        if info is not None:
            listed.append((info, spec.created if spec is not None else created))
    listed += [(_emulated_info(spec, spec.id, None), spec.created) for spec in by_id.values()]
    return listed
