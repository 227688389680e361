"""Non-streamed answers: shape (valid against the spec), usage rules, reasoning, truncation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import SchemaValidator

MODEL = "grok-4-fast-non-reasoning"


def complete(client: httpx.Client, text: str = "Say hi", **extra: Any) -> dict[str, Any]:
    """POST one user message and return the parsed 200 response."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    payload: dict[str, Any] = response.json()
    return payload


def test_response_has_xai_keys_and_validates_against_the_spec(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    payload = complete(client)
    xai_schema("ChatResponse").validate(payload)
    xai_schema("Usage").validate(payload["usage"])
    assert list(payload) == [
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "system_fingerprint",
    ]
    assert payload["object"] == "chat.completion"
    assert payload["id"].endswith("_us-east-1") and len(payload["id"]) == 36 + len("_us-east-1")
    message = payload["choices"][0]["message"]
    assert message == {"role": "assistant", "content": message["content"], "refusal": None}
    assert payload["choices"][0]["finish_reason"] == "stop"
    assert payload["system_fingerprint"].startswith("fp_")


def test_ids_are_new_for_each_request_and_answers_deterministic(client: httpx.Client) -> None:
    first, second = complete(client), complete(client)
    assert first["id"] != second["id"]
    assert first["choices"] == second["choices"]
    assert first["usage"] == second["usage"]


def test_usage_text_tokens_follow_the_rule(client: httpx.Client) -> None:
    text = "x" * 40  # 10 tokens + 3 for the message
    usage = complete(client, text)["usage"]
    details = usage["prompt_tokens_details"]
    assert details == {"text_tokens": 13, "audio_tokens": 0, "image_tokens": 0, "cached_tokens": 0}
    assert usage["prompt_tokens"] == 13
    content = f"I see no images.\nYou asked: {text}"
    assert usage["completion_tokens"] == -(-len(content) // 4)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0
    # grok-4-fast prices: 2,000 ticks an input token, 5,000 an output token.
    assert usage["cost_in_usd_ticks"] == 13 * 2_000 + usage["completion_tokens"] * 5_000


@pytest.mark.parametrize(
    ("requested", "resolved"),
    [
        ("grok-4-fast", "grok-4-fast-reasoning"),
        ("grok-4", "grok-4-0709"),
        ("grok-4-fast-non-reasoning", "grok-4-fast-non-reasoning"),
        ("grok-code-fast-1", "grok-code-fast-1"),
        ("grok-2-vision-latest", "grok-2-vision-1212"),
    ],
)
def test_model_names_resolve_like_xai(client: httpx.Client, requested: str, resolved: str) -> None:
    assert complete(client, model=requested)["model"] == resolved


def test_grok_3_mini_with_high_effort_resolves_and_returns_reasoning_text(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    payload = complete(client, "Say hi", model="grok-3-mini", reasoning_effort="high")
    assert payload["model"] == "grok-3-mini-high"
    assert payload["system_fingerprint"] == "fp_a6fbae1a97"
    message = payload["choices"][0]["message"]
    assert message["reasoning_content"].startswith("The request has 0 images and asks: Say hi")
    usage = payload["usage"]
    reasoning = usage["completion_tokens_details"]["reasoning_tokens"]
    assert reasoning > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] + reasoning
    xai_schema("ChatResponse").validate(payload)


@pytest.mark.parametrize("model", ["grok-4-fast-reasoning", "grok-4", "grok-code-fast-1"])
def test_hidden_reasoning_models_count_reasoning_without_text(
    client: httpx.Client, model: str
) -> None:
    payload = complete(client, model=model)
    assert "reasoning_content" not in payload["choices"][0]["message"]
    usage = payload["usage"]
    reasoning = usage["completion_tokens_details"]["reasoning_tokens"]
    assert reasoning > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] + reasoning


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_token_limit_truncates_with_finish_reason_length(client: httpx.Client, field: str) -> None:
    payload = complete(client, "a long question that needs many tokens", **{field: 3})
    choice = payload["choices"][0]
    assert choice["finish_reason"] == "length"
    full = "I see no images.\nYou asked: a long question that needs many tokens"
    assert choice["message"]["content"] == full[:12]
    assert payload["usage"]["completion_tokens"] == 3


def test_generous_limit_does_not_truncate(client: httpx.Client) -> None:
    payload = complete(client, "hi", max_tokens=1000)
    assert payload["choices"][0]["finish_reason"] == "stop"
    assert payload["choices"][0]["message"]["content"].endswith("You asked: hi")


def test_stop_sequence_cuts_the_answer(client: httpx.Client) -> None:
    payload = complete(client, "hello", stop=["You"])
    assert payload["choices"][0]["message"]["content"] == "I see no images.\n"
    assert payload["choices"][0]["finish_reason"] == "stop"


def test_you_asked_repeats_the_last_user_message_text_parts(client: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "second"}, {"type": "text", "text": "part"}],
        },
    ]
    response = client.post("/chat/completions", json={"model": MODEL, "messages": messages})
    assert response.json()["choices"][0]["message"]["content"].endswith("You asked: second part")


def test_n_returns_that_many_choices(client: httpx.Client) -> None:
    payload = complete(client, "hi", n=2)
    assert [c["index"] for c in payload["choices"]] == [0, 1]
    single = complete(client, "hi")
    assert payload["usage"]["completion_tokens"] == 2 * single["usage"]["completion_tokens"]
