"""Prices, costs and counts without a server: parsing xAI's model list, the one cost rule,
cost estimates, and the message-by-message count against the estimate it generalises."""

from __future__ import annotations

from typing import Any

import pytest
from xai_vision.catalog import model_facts
from xai_vision.errors import RequestValidationError, ResponseParseError
from xai_vision.images import prepare_image
from xai_vision.live import LanguageModel, LanguageModels, model_profile
from xai_vision.messages import (
    ImageCollector,
    assistant_message,
    function_tool,
    system_message,
    text_part,
    user_message,
)
from xai_vision.models import Usage
from xai_vision.pricing import CostEstimate, ModelPrices, estimate_cost, ticks_to_usd
from xai_vision.tokens import (
    MAX_IMAGE_TOKENS,
    count_prompt_tokens,
    estimate_prompt_tokens,
    estimate_text_tokens,
    prompt_texts,
)

PRICES = ModelPrices(
    prompt_text=2_000, cached_prompt_text=500, prompt_image=3_000, completion_text=5_000
)


def spec_example() -> dict[str, Any]:
    """The ``ListLanguageModelsResponse`` example of xAI's spec (packaged with the emulator)."""
    from xai_vision.emulator.validation import load_spec

    spec = load_spec()
    example: dict[str, Any] = spec["paths"]["/v1/language-models"]["get"]["responses"]["200"][
        "content"
    ]["application/json"]["example"]
    return example


# --------------------------------------------------------------------------- xAI's model list


def test_xais_own_example_parses() -> None:
    models = LanguageModels.from_json(spec_example(), fetched_at=0.0)
    assert [m.id for m in models.models] == ["grok-3", "grok-3-mini", "grok-2-vision-1212"]
    grok3 = models.get("grok-3-latest")
    assert grok3 is not None and grok3.id == "grok-3"
    assert not grok3.takes_images
    assert grok3.prices == ModelPrices(30_000, 7_500, 0, 150_000)
    vision = models.get("grok-2-vision-1212")
    assert vision is not None and vision.takes_images
    # The example leaves the cached price out: it counts as 0.
    assert vision.prices.cached_prompt_text == 0
    assert models.get("grok-4") is None


def test_an_id_wins_over_another_models_alias() -> None:
    entries = [
        {"id": "a", "aliases": ["b"], "input_modalities": ["text"]},
        {"id": "b", "aliases": [], "input_modalities": ["text", "image"]},
    ]
    models = LanguageModels.from_json({"models": entries}, fetched_at=0.0)
    found = models.get("b")
    assert found is not None and found.id == "b"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({"data": []}, "no 'models' list"),
        ([], "no 'models' list"),
        ({"models": [{"aliases": []}]}, "needs an 'id'"),
        ({"models": [{"id": "m", "aliases": "m2"}]}, "aliases must be a list of str"),
        ({"models": [{"id": "m", "prompt_text_token_price": -1}]}, "prompt_text_token_price"),
        ({"models": [{"id": "m", "completion_text_token_price": 1.5}]}, "completion_text"),
    ],
)
def test_a_malformed_list_is_a_parse_error(payload: Any, says: str) -> None:
    with pytest.raises(ResponseParseError, match=says):
        LanguageModels.from_json(payload, fetched_at=0.0)


def test_a_profile_prefers_xais_entry_and_keeps_the_built_in_rules() -> None:
    entry = {"id": "grok-4-0709", "aliases": ["grok-heavy"], "input_modalities": ["text"]}
    models = LanguageModels([LanguageModel.from_json(entry)], fetched_at=0.0)
    profile = model_profile("grok-heavy", None, models)
    assert (profile.name, profile.source, profile.takes_images) == ("grok-4-0709", "live", False)
    assert profile.context_window == model_facts("grok-4-0709").context_window
    assert profile.facts.reasoning
    offline = model_profile("grok-heavy")
    assert (offline.source, offline.takes_images, offline.prices) == ("built-in", True, None)
    assert not offline.facts.known  # never blocked: an unknown name takes images


# --------------------------------------------------------------------------- the cost rule


def test_each_kind_of_token_costs_its_own_price() -> None:
    # 100 prompt tokens: 30 image, 20 of the 70 text tokens cached; 10 output tokens.
    ticks = PRICES.cost_ticks(
        prompt_tokens=100, image_tokens=30, cached_tokens=20, output_tokens=10
    )
    assert ticks == 50 * 2_000 + 20 * 500 + 30 * 3_000 + 10 * 5_000
    # Cached tokens cannot exceed the text tokens, nor images the prompt.
    assert PRICES.cost_ticks(prompt_tokens=10, cached_tokens=99) == 10 * 500
    assert PRICES.cost_ticks(prompt_tokens=10, image_tokens=99) == 10 * 3_000


def test_a_price_is_ticks_per_token_and_usd_per_million_as_xai_shows_it() -> None:
    # xAI: "USD cents per 100M tokens"; 2,000 of them is $0.20 per million tokens.
    assert PRICES.per_million_usd()["prompt_text"] == pytest.approx(0.20)
    assert ticks_to_usd(2_000 * 1_000_000) == pytest.approx(0.20)


def test_usage_is_priced_only_when_xai_reported_no_cost() -> None:
    usage = Usage(
        prompt_tokens=100,
        completion_tokens=7,
        reasoning_tokens=3,
        total_tokens=110,
        image_tokens=30,
        cached_tokens=20,
    )
    priced = usage.priced(PRICES)
    assert priced.cost_computed
    assert priced.cost_in_usd_ticks == PRICES.cost_ticks(
        prompt_tokens=100, image_tokens=30, cached_tokens=20, output_tokens=10
    )
    assert priced.cost_usd == pytest.approx(ticks_to_usd(priced.cost_in_usd_ticks or 0))
    reported = Usage(prompt_tokens=100, cost_in_usd_ticks=1)
    assert reported.priced(PRICES) is reported


def test_the_cost_fields_name_a_computed_cost_and_are_empty_when_unknown() -> None:
    computed = Usage(prompt_tokens=100, completion_tokens=10, total_tokens=110).priced(PRICES)
    ticks = computed.cost_in_usd_ticks
    assert ticks is not None
    assert computed.cost_fields() == {
        "cost_in_usd_ticks": ticks,
        "cost_usd": ticks_to_usd(ticks),
        "cost_computed": True,
    }
    assert Usage(cost_in_usd_ticks=5).cost_fields() == {
        "cost_in_usd_ticks": 5,
        "cost_usd": ticks_to_usd(5),
    }
    assert Usage(prompt_tokens=3).cost_fields() == {}


def test_estimates_add_up_for_a_batch() -> None:
    prompt = count_prompt_tokens([user_message("x" * 40)])  # 10 + 3
    one = estimate_cost(prompt, PRICES, max_output_tokens=100)
    assert (one.prompt_tokens, one.prompt_ticks) == (13, 13 * 2_000)
    assert one.max_ticks == 13 * 2_000 + 100 * 5_000
    assert one.max_usd == pytest.approx(ticks_to_usd(one.max_ticks or 0))
    both = one + estimate_cost(prompt, PRICES)
    assert (both.requests, both.prompt_tokens, both.prompt_ticks) == (2, 26, 26 * 2_000)
    assert both.max_ticks is None  # the second answer is not capped
    unknown = estimate_cost(prompt, None, max_output_tokens=5)
    assert (unknown.prompt_ticks, unknown.max_ticks, unknown.prompt_usd) == (None, None, None)
    assert isinstance(one + unknown, CostEstimate) and (one + unknown).prompt_ticks is None


# --------------------------------------------------------------------------- counts


def test_the_count_by_message_totals_the_estimate(image_bytes: Any) -> None:
    collector = ImageCollector()
    arguments = '{"city":"Oslo"}'
    call = {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": arguments}}
    weather = function_tool(
        "weather", "Weather for a city", {"type": "object", "properties": {"city": {}}}
    )
    messages = [
        system_message("Answer briefly."),
        user_message(
            [
                text_part("What is this?"),
                collector.add(image_bytes(size=(900, 500))),
                collector.add(image_bytes(size=(32, 32)), detail="low"),
            ]
        ),
        assistant_message(tool_calls=[call]),
    ]
    counted = count_prompt_tokens(messages, collector.images, [weather])
    assert counted.total == estimate_prompt_tokens(messages, collector.images, [weather])
    assert [m.role for m in counted.messages] == ["system", "user", "assistant"]
    user = counted.messages[1]
    assert (user.images, user.image_tokens) == (2, 7 * 256 + 256)
    assert user.text_tokens == estimate_text_tokens("What is this?")
    expected = estimate_text_tokens("weather") + estimate_text_tokens(arguments)
    assert counted.messages[2].text_tokens == expected
    assert not counted.text_exact and counted.note.startswith("estimate")


def test_a_count_with_a_tokenizer_is_exact_for_text_only() -> None:
    messages = [user_message("Hello there"), user_message("again")]
    texts = prompt_texts(messages, response_format={"type": "json_object"})
    assert texts == ["Hello there", "again", '{"type":"json_object"}']
    counted = count_prompt_tokens(
        messages, response_format={"type": "json_object"}, text_tokens=lambda text: 1
    )
    assert counted.text_exact and "estimates" in counted.note  # images and overhead still are
    assert [m.text_tokens for m in counted.messages] == [1, 1]
    assert counted.schema_tokens == 1
    assert counted.total == 1 + 1 + 1 + 2 * 3


def test_url_images_count_as_the_most_at_their_detail() -> None:
    collector = ImageCollector()
    part = collector.add("https://example.com/a.png", detail="low")
    counted = count_prompt_tokens([user_message([part])], collector.images)
    assert counted.image_tokens == 256
    without_images = count_prompt_tokens([user_message([part, collector.add("https://e.x/b.png")])])
    assert without_images.image_tokens == 256 + MAX_IMAGE_TOKENS


def test_more_prepared_images_than_parts_is_an_error(image_bytes: Any) -> None:
    image = prepare_image(image_bytes())
    with pytest.raises(RequestValidationError, match="1 prepared images for 0 image parts"):
        count_prompt_tokens([user_message("hi")], [image])
