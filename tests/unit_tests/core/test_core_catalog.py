"""The model catalogue: facts by name pattern, aliases, defaults for unknown names."""

from __future__ import annotations

import pytest
from xai_vision.catalog import (
    DEFAULT_CONTEXT_WINDOW,
    DEFAULT_MODEL,
    MODEL_ALIASES,
    REASONING_REJECTED_PARAMS,
    model_facts,
    resolve_model_name,
)
from xai_vision.emulator.catalog import resolve_model
from xai_vision.errors import RequestValidationError


def test_default_model_takes_images_and_does_not_reason() -> None:
    facts = model_facts(DEFAULT_MODEL)
    assert (facts.known, facts.takes_images, facts.reasoning) == (True, True, False)
    assert facts.context_window == 2_000_000


@pytest.mark.parametrize(
    ("alias", "resolved"),
    [
        ("grok-4-fast", "grok-4-fast-reasoning"),
        ("grok-4", "grok-4-0709"),
        ("grok-2-vision-latest", "grok-2-vision-1212"),
        ("grok-4-fast-non-reasoning", "grok-4-fast-non-reasoning"),
        ("some-future-model", "some-future-model"),
    ],
)
def test_aliases_resolve(alias: str, resolved: str) -> None:
    assert resolve_model_name(alias) == resolved
    assert model_facts(alias).name == resolved
    assert model_facts(alias).requested == alias


def test_grok_3_mini_with_high_effort_resolves_to_the_high_variant() -> None:
    assert resolve_model_name("grok-3-mini", "high") == "grok-3-mini-high"
    assert resolve_model_name("grok-3-mini", "low") == "grok-3-mini"


@pytest.mark.parametrize(
    ("model", "images", "reasoning", "window"),
    [
        ("grok-4-0709", True, True, 256_000),
        ("grok-4-fast-reasoning", True, True, 2_000_000),
        ("grok-4-1-fast-non-reasoning", True, False, 2_000_000),
        ("grok-4.20-beta", True, False, 256_000),
        ("grok-2-vision-1212", True, False, 32_768),
        ("grok-vision-beta", True, False, 8_192),
        ("grok-3", False, False, 131_072),
        ("grok-3-mini", False, True, 131_072),
        ("grok-code-fast-1", False, True, 256_000),
        ("grok-2-1212", False, False, 32_768),
    ],
)
def test_family_facts(model: str, images: bool, reasoning: bool, window: int) -> None:
    facts = model_facts(model)
    assert facts.known
    assert (facts.takes_images, facts.reasoning, facts.context_window) == (
        images,
        reasoning,
        window,
    )


def test_unknown_names_get_defaults_not_an_error() -> None:
    facts = model_facts("acme-vision-9")
    assert not facts.known
    assert facts.takes_images
    assert not facts.reasoning
    assert facts.context_window == DEFAULT_CONTEXT_WINDOW
    assert model_facts("acme-reasoning-2").reasoning


def test_rejected_params_follow_the_reasoning_rules() -> None:
    assert model_facts("grok-4-fast-reasoning").rejected_params == (
        "reasoning_effort",
        *REASONING_REJECTED_PARAMS,
    )
    assert model_facts("grok-4-fast-non-reasoning").rejected_params == ("reasoning_effort",)
    mini = model_facts("grok-3-mini")
    assert mini.accepts_reasoning_effort and mini.reasoning_text
    assert mini.rejected_params == REASONING_REJECTED_PARAMS


def test_aliases_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        MODEL_ALIASES["grok-4"] = "other"  # type: ignore[index]


def test_a_non_str_model_is_a_validation_error() -> None:
    with pytest.raises(RequestValidationError, match="model must be a str, got int"):
        model_facts(4)  # type: ignore[arg-type]


@pytest.mark.parametrize("model", ["grok-4-fast", "grok-3-mini", "grok-2-vision", "grok-code-fast"])
def test_the_emulator_uses_the_core_facts(model: str) -> None:
    facts = model_facts(model)
    info = resolve_model(model)
    assert info is not None
    assert (info.name, info.takes_images, info.reasoning, info.context_window) == (
        facts.name,
        facts.takes_images,
        facts.reasoning,
        facts.context_window,
    )
    assert info.rejected_params == facts.rejected_params


def test_the_emulator_404s_names_the_catalogue_does_not_know() -> None:
    assert resolve_model("acme-vision-9") is None
