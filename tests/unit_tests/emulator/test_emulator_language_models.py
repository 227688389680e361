"""The emulator's model facts: ``/v1/language-models`` (+ ``/{id}``), ``/v1/tokenize-text``,
models a test adds or changes, and an outage of both endpoints. What it lists and counts
agrees with what it bills."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image
from unseen_models import UNSEEN_MODELS
from xai_vision.emulator import EmulatedModel, Emulator, EmulatorConfigError, EmulatorSettings
from xai_vision.pricing import ModelPrices
from xai_vision.tokens import estimate_image_tokens, estimate_text_tokens

from tests.conftest import SchemaValidator

NEW_MODELS = (
    *UNSEEN_MODELS,
    # Changes a built-in model: the default model becomes text-only.
    EmulatedModel("grok-4-fast-non-reasoning", images=False),
)


def http(emulator: Emulator) -> httpx.Client:
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    return httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30, trust_env=False)


def png_uri(size: tuple[int, int] = (64, 48)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def chat_body(model: str, text: str = "What is this?", image: bool = False) -> dict[str, Any]:
    content: Any = text
    if image:
        content = [
            {"type": "text", "text": text},
            {"type": "image_url", "image_url": {"url": png_uri(), "detail": "high"}},
        ]
    return {"model": model, "messages": [{"role": "user", "content": content}]}


def tokenize(client: httpx.Client, text: str, model: str = "grok-4") -> list[dict[str, Any]]:
    response = client.post("/tokenize-text", json={"model": model, "text": text})
    assert response.status_code == 200, response.text
    tokens: list[dict[str, Any]] = response.json()["token_ids"]
    return tokens


# --------------------------------------------------------------------------- the listing


def test_the_listing_follows_xais_schema_and_the_built_in_facts(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    payload = client.get("/language-models").json()
    xai_schema("ListLanguageModelsResponse").validate(payload)
    models = {entry["id"]: entry for entry in payload["models"]}
    assert models["grok-4-0709"]["aliases"] == ["grok-4", "grok-4-latest"]
    assert models["grok-4-fast-reasoning"]["input_modalities"] == ["text", "image"]
    assert models["grok-3"]["input_modalities"] == ["text"]
    assert models["grok-3"]["prompt_image_token_price"] == 0
    fast = models["grok-4-fast-non-reasoning"]
    assert (fast["prompt_text_token_price"], fast["completion_text_token_price"]) == (2_000, 5_000)
    assert fast["cached_prompt_text_token_price"] == 500
    # /v1/models lists the same ids.
    listed = [entry["id"] for entry in client.get("/models").json()["data"]]
    assert listed == list(models)


@pytest.mark.parametrize(("name", "model_id"), [("grok-4", "grok-4-0709"), ("grok-3", "grok-3")])
def test_one_model_by_id_or_alias(
    client: httpx.Client, xai_schema: SchemaValidator, name: str, model_id: str
) -> None:
    response = client.get(f"/language-models/{name}")
    assert response.status_code == 200
    xai_schema("LanguageModel").validate(response.json())
    assert response.json()["id"] == model_id


def test_an_unknown_model_is_404(client: httpx.Client) -> None:
    response = client.get("/language-models/acme-vision-9")
    assert response.status_code == 404
    assert "acme-vision-9" in response.json()["error"]


def test_the_listed_prices_are_what_an_answer_costs(client: httpx.Client) -> None:
    entry = client.get("/language-models/grok-4-fast-non-reasoning").json()
    prices = ModelPrices.from_language_model(entry)
    usage = client.post(
        "/chat/completions", json=chat_body("grok-4-fast-non-reasoning", image=True)
    ).json()["usage"]
    assert usage["prompt_tokens_details"]["image_tokens"] == 512
    assert usage["cost_in_usd_ticks"] == prices.cost_ticks(
        prompt_tokens=usage["prompt_tokens"],
        image_tokens=usage["prompt_tokens_details"]["image_tokens"],
        cached_tokens=usage["prompt_tokens_details"]["cached_tokens"],
        output_tokens=usage["completion_tokens"]
        + usage["completion_tokens_details"]["reasoning_tokens"],
    )


# --------------------------------------------------------------------------- tokenize-text


@pytest.mark.parametrize(
    "text", ["Hello world!", "", "abc", "x" * 41, "naïve café — 東京 🙂", "line\nbreak\ttab  "]
)
def test_tokens_are_four_character_pieces_counted_like_the_billing(
    client: httpx.Client, xai_schema: SchemaValidator, text: str
) -> None:
    response = client.post("/tokenize-text", json={"model": "grok-4", "text": text})
    xai_schema("TokenizeResponse").validate(response.json())
    tokens = response.json()["token_ids"]
    assert len(tokens) == estimate_text_tokens(text)
    assert "".join(t["string_token"] for t in tokens) == text
    for token in tokens:
        assert bytes(token["token_bytes"]).decode() == token["string_token"]
    assert tokenize(client, text) == tokens  # deterministic


def test_the_text_tokens_billed_are_the_tokenized_ones(client: httpx.Client) -> None:
    system, question = "You are terse and exact.", "How many legs does a spider have?"
    body = {
        "model": "grok-4",
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": question},
        ],
    }
    usage = client.post("/chat/completions", json=body).json()["usage"]
    counted = len(tokenize(client, system)) + len(tokenize(client, question))
    assert usage["prompt_tokens_details"]["text_tokens"] == counted + 2 * 3  # + 3 a message


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"model": "acme-9", "text": "hi"}, 404, "acme-9"),
        ({"model": "grok-4"}, 422, "missing field `text`"),
        ({"text": "hi"}, 422, "missing field `model`"),
        ({"model": "grok-4", "text": 5}, 422, "text"),
        (["grok-4", "hi"], 422, "TokenizeRequest"),
    ],
)
def test_bad_tokenize_requests_are_refused(
    client: httpx.Client, body: Any, status: int, says: str
) -> None:
    response = client.post("/tokenize-text", json=body)
    assert response.status_code == status
    assert says in response.json()["error"]


def test_tokenize_needs_a_json_body(client: httpx.Client) -> None:
    response = client.post("/tokenize-text", content=b"text=hi")
    assert response.status_code == 415
    assert client.get("/tokenize-text").status_code == 405


# --------------------------------------------------------------------------- added models


def test_added_and_changed_models_are_listed(xai_schema: SchemaValidator) -> None:
    with Emulator(models=NEW_MODELS) as emulator, http(emulator) as client:
        payload = client.get("/language-models").json()
        xai_schema("ListLanguageModelsResponse").validate(payload)
        models = {entry["id"]: entry for entry in payload["models"]}
        ids = list(models)
        assert ids.index("grok-4-fast-non-reasoning") == 2  # changed in place
        assert ids[-2:] == ["grok-9-vision-0101", "grok-9-text"]
        vision = models["grok-9-vision-0101"]
        assert vision["aliases"] == ["grok-9-vision", "grok-9-vision-latest"]
        assert vision["input_modalities"] == ["text", "image"]
        assert (
            vision["prompt_text_token_price"],
            vision["cached_prompt_text_token_price"],
            vision["prompt_image_token_price"],
            vision["completion_text_token_price"],
        ) == (4_000, 1_000, 9_000, 20_000)
        assert models["grok-9-text"]["input_modalities"] == ["text"]
        assert models["grok-9-text"]["prompt_image_token_price"] == 0
        assert models["grok-4-fast-non-reasoning"]["input_modalities"] == ["text"]
        alias = client.get("/language-models/grok-9-vision-latest").json()
        assert alias["id"] == "grok-9-vision-0101"
        assert "grok-9-text" in [m["id"] for m in client.get("/models").json()["data"]]


def test_added_models_answer_chat_like_built_in_ones() -> None:
    with Emulator(models=NEW_MODELS) as emulator, http(emulator) as client:
        answer = client.post("/chat/completions", json=chat_body("grok-9-vision", image=True))
        assert answer.status_code == 200, answer.text
        payload = answer.json()
        assert payload["model"] == "grok-9-vision-0101"
        assert payload["choices"][0]["message"]["content"].startswith("I see 1 image.")
        usage = payload["usage"]
        image_tokens = estimate_image_tokens((64, 48), "high")
        assert usage["prompt_tokens_details"]["image_tokens"] == image_tokens
        text_tokens = usage["prompt_tokens_details"]["text_tokens"]
        # The image price applies to image tokens, the prompt price to the text.
        assert usage["cost_in_usd_ticks"] == (
            text_tokens * 4_000 + image_tokens * 9_000 + usage["completion_tokens"] * 20_000
        )
        for model in ("grok-9-text", "grok-4-fast-non-reasoning"):
            refused = client.post("/chat/completions", json=chat_body(model, image=True))
            assert refused.status_code == 400
            assert "does not support image inputs" in refused.json()["error"]
            assert client.post("/chat/completions", json=chat_body(model)).status_code == 200
        # Names no one added are still unknown.
        assert client.post("/chat/completions", json=chat_body("grok-10")).status_code == 404
        assert len(tokenize(client, "abcdefgh", model="grok-9-text")) == 2


def test_added_models_reach_a_subprocess_emulator() -> None:
    with Emulator(models=NEW_MODELS[:2], mode="subprocess") as emulator, http(emulator) as client:
        entry = client.get("/language-models/grok-9-vision").json()
        assert entry["id"] == "grok-9-vision-0101"
        assert entry["prompt_image_token_price"] == 9_000
        refused = client.post("/chat/completions", json=chat_body("grok-9-text", image=True))
        assert refused.status_code == 400


def test_settings_round_trip_through_json() -> None:
    settings = EmulatorSettings(models=NEW_MODELS)
    assert EmulatorSettings.from_json(settings.to_json()) == settings


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"id": ""}, "id must be a non-empty str"),
        ({"id": "m", "prompt_price": -1}, "prompt_price must be an int >= 0"),
        ({"id": "m", "image_price": 1.5}, "image_price must be an int >= 0"),
        ({"id": "m", "aliases": "m2"}, "aliases must be a sequence"),
        ({"id": "m", "context_window": 0}, "context_window must be >= 1"),
    ],
)
def test_bad_model_specs_are_refused(spec: dict[str, Any], says: str) -> None:
    with pytest.raises(EmulatorConfigError, match=says):
        EmulatedModel(**spec)


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(EmulatorConfigError, match="grok-9 named more than once"):
        EmulatorSettings(models=(EmulatedModel("grok-9"), EmulatedModel("x", aliases=("grok-9",))))


# --------------------------------------------------------------------------- outage


def test_an_outage_fails_both_endpoints_but_not_chat(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.fail_model_endpoints(503)
    assert client.get("/language-models").status_code == 503
    assert client.get("/language-models/grok-4").status_code == 503
    tokens = client.post("/tokenize-text", json={"model": "grok-4", "text": "hi"})
    assert tokens.status_code == 503
    assert "outage" in tokens.json()["error"]
    assert client.post("/chat/completions", json=chat_body("grok-4")).status_code == 200
    xai_emulator.fail_model_endpoints(None)
    assert client.get("/language-models").status_code == 200
    xai_emulator.fail_model_endpoints(500)
    xai_emulator.reset()
    assert client.get("/language-models").status_code == 200


@pytest.mark.parametrize("status", [200, 99, True])
def test_an_outage_needs_an_error_status(xai_emulator: Emulator, status: Any) -> None:
    with pytest.raises(EmulatorConfigError, match="HTTP error status"):
        xai_emulator.fail_model_endpoints(status)
