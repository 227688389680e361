"""Requests xAI would reject are rejected with xAI's status and flat body; the spec check agrees
with jsonschema."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xai_errors import assert_rejected
from xai_vision.emulator import Emulator
from xai_vision.emulator.validation import spec_schema, spec_validator

from tests.conftest import SchemaValidator

MODEL = "grok-4-fast-non-reasoning"


def _user(text: str = "hi") -> dict[str, Any]:
    return {"role": "user", "content": text}


def _post(client: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("model", MODEL)
    body.setdefault("messages", [_user()])
    return client.post("/chat/completions", json=body)


# --------------------------------------------------------------------------- schema (422)


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("temperature", 2.5, "temperature: 2.5 is greater than the maximum 2"),
        ("temperature", "hot", "temperature: invalid type: string"),
        ("top_p", 0, "top_p: 0 must be greater than 0"),
        ("n", 0, "n: 0 is less than the minimum 1"),
        ("max_tokens", 1.5, "max_tokens: invalid type: number"),
        ("max_tokens", 2**40, "out of range for int32"),
        ("stop", "END", "stop: invalid type: string, expected array"),
        ("stream", "yes", "stream: invalid type: string"),
        ("stream_options", {}, "stream_options: missing field `include_usage`"),
        ("response_format", {"type": "xml"}, "response_format"),
        ("tools", [{"type": "function"}], "tools[0]"),
        ("tool_choice", 3, "tool_choice"),
        ("logit_bias", {"abc": 1}, "logit_bias.abc: key must be an integer"),
    ],
)
def test_schema_violations_are_422(
    client: httpx.Client, field: str, value: Any, fragment: str
) -> None:
    response = _post(client, **{field: value})
    assert_rejected(response, 422, "Failed to deserialize the JSON body", fragment)


def test_too_many_tools_is_422(client: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    assert_rejected(_post(client, tools=[tool] * 129), 422, "more than 128 items")


def test_unknown_role_names_the_variants(client: httpx.Client) -> None:
    response = _post(client, messages=[{"role": "robot", "content": "hi"}])
    assert_rejected(response, 422, "messages[0].role: unknown variant `robot`", "`user`", "`tool`")


def test_missing_model_or_messages_is_422(client: httpx.Client) -> None:
    no_model = client.post("/chat/completions", json={"messages": [_user()]})
    assert_rejected(no_model, 422, "missing field `model`")
    no_messages = client.post("/chat/completions", json={"model": MODEL})
    assert_rejected(no_messages, 422, "missing field `messages`")


def test_non_object_body_is_422(client: httpx.Client) -> None:
    assert_rejected(client.post("/chat/completions", json=[1, 2]), 422, "expected struct")


def test_empty_messages_is_400(client: httpx.Client) -> None:
    assert_rejected(_post(client, messages=[]), 400, "at least one message")


# --------------------------------------------------------------------------- model rules


def test_unknown_model_is_404_model_not_found(client: httpx.Client) -> None:
    assert_rejected(_post(client, model="gpt-4o"), 404, "gpt-4o", "model not found")


@pytest.mark.parametrize(
    ("model", "field", "value", "camel"),
    [
        ("grok-4-fast-reasoning", "stop", ["x"], "stop"),
        ("grok-4", "presence_penalty", 0.5, "presencePenalty"),
        ("grok-4-0709", "frequency_penalty", 0.5, "frequencyPenalty"),
        ("grok-4", "reasoning_effort", "high", "reasoningEffort"),
        ("grok-4-fast-non-reasoning", "reasoning_effort", "low", "reasoningEffort"),
        ("grok-code-fast-1", "stop", ["x"], "stop"),
    ],
)
def test_parameters_a_model_does_not_support_are_400(
    client: httpx.Client, model: str, field: str, value: Any, camel: str
) -> None:
    response = _post(client, model=model, **{field: value})
    assert_rejected(response, 400, "does not support parameter", camel)


def test_non_reasoning_model_accepts_stop_and_penalties(client: httpx.Client) -> None:
    response = _post(client, stop=["zzz"], presence_penalty=0.1, frequency_penalty=0.1)
    assert response.status_code == 200


def test_grok_3_mini_accepts_reasoning_effort_but_only_low_or_high(client: httpx.Client) -> None:
    assert _post(client, model="grok-3-mini", reasoning_effort="low").status_code == 200
    assert_rejected(_post(client, model="grok-3-mini", reasoning_effort="max"), 400, "low")


def test_stream_options_without_stream_is_400(client: httpx.Client) -> None:
    response = _post(client, stream_options={"include_usage": True})
    assert_rejected(response, 400, "stream_options")


def test_tool_choice_must_name_a_given_tool(client: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    named = {"type": "function", "function": {"name": "subtract"}}
    assert_rejected(_post(client, tools=[tool], tool_choice=named), 400, "subtract")
    assert_rejected(_post(client, tool_choice="required"), 400, "required")
    assert_rejected(_post(client, tools=[tool], tool_choice="sometimes"), 400, "sometimes")


def test_duplicate_tool_names_are_400(client: httpx.Client) -> None:
    tool = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    assert_rejected(_post(client, tools=[tool, tool]), 400, "duplicate")


def test_prompt_over_the_context_window_is_400(client: httpx.Client) -> None:
    huge = "x" * (33_000 * 4)
    response = _post(client, model="grok-2-vision-1212", messages=[_user(huge)])
    assert_rejected(
        response, 400, "This model's maximum prompt length is 32768 but the request contains"
    )


def test_rejected_requests_are_still_logged(xai_emulator: Emulator, client: httpx.Client) -> None:
    _post(client, temperature=9)
    assert xai_emulator.last_request.body["temperature"] == 9


# --------------------------------------------------------------------------- vs jsonschema


_CASES: list[Any] = [
    {"model": MODEL, "messages": [_user()]},
    {"model": MODEL, "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]}]},
    {"model": MODEL, "messages": [{"role": "user"}]},
    {"model": MODEL, "messages": [{"role": "assistant", "tool_calls": [{"id": "1"}]}]},
    {"model": MODEL, "messages": [{"role": "tool", "content": "r", "tool_call_id": "c"}]},
    {"model": MODEL, "messages": [], "temperature": 0},
    {"model": MODEL, "messages": [], "top_p": 1.0000001},
    {"model": MODEL, "messages": [], "tool_choice": {"type": "function", "function": {}}},
    {"model": MODEL, "messages": [], "response_format": {"type": "json_schema"}},
    {"model": MODEL, "messages": [], "response_format": None, "seed": None},
    {"model": 7, "messages": []},
    {"model": MODEL, "messages": [{"role": "user", "content": [{"text": "no type"}]}]},
]


@pytest.mark.parametrize("body", _CASES)
def test_builtin_validator_agrees_with_jsonschema(body: Any, xai_schema: SchemaValidator) -> None:
    ours = spec_validator().first_error(body, spec_schema("ChatRequest")) is None
    assert ours == xai_schema("ChatRequest").is_valid(body)


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(-3, 3), st.text(max_size=3)
)


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {"model": st.just(MODEL), "messages": st.just([_user()])},
        optional={
            key: _scalars
            for key in (
                "temperature",
                "top_p",
                "n",
                "max_tokens",
                "stream",
                "seed",
                "presence_penalty",
                "user",
                "parallel_tool_calls",
                "top_logprobs",
            )
        },
    )
)
def test_builtin_validator_agrees_with_jsonschema_on_generated_scalars(
    xai_schema: SchemaValidator, body: Any
) -> None:
    ours = spec_validator().first_error(body, spec_schema("ChatRequest")) is None
    theirs = xai_schema("ChatRequest").is_valid(body)
    # jsonschema counts 1.0 as an integer; xAI's deserialiser (and ours) does not.
    if theirs and not ours:
        problem = spec_validator().first_error(body, spec_schema("ChatRequest")) or ""
        assert "invalid type: number, expected integer" in problem
    else:
        assert ours == theirs
