"""ChatCompletionsEndpoint: request bodies, response / chunk / usage parsing, stream events."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest
from xai_vision.endpoints import (
    STREAM_DONE,
    ChatCompletionsEndpoint,
    Endpoint,
    RequestBody,
    parse_usage,
)
from xai_vision.errors import RequestValidationError, ResponseParseError, StreamError
from xai_vision.messages import ChatRequest, function_tool, user_message
from xai_vision.models import ChatCompletionChunk
from xai_vision.sse import SSEEvent

ENDPOINT = ChatCompletionsEndpoint()


def joined(body: RequestBody) -> bytes:
    """The body's pieces as one bytes object, as the server receives them."""
    return b"".join(body.iter_bytes())


def request(**fields: Any) -> ChatRequest:
    fields.setdefault("model", "grok-4")
    fields.setdefault("messages", [user_message("hi")])
    return ChatRequest(**fields)


def test_satisfies_the_endpoint_protocol() -> None:
    assert isinstance(ENDPOINT, Endpoint)
    assert ENDPOINT.path == "/chat/completions"


def test_body_has_every_set_field_in_a_fixed_order() -> None:
    tool = function_tool("f", "does f", {"type": "object", "properties": {}})
    req = request(
        model="a-model-the-catalogue-does-not-know",  # so no model rule refuses the fields
        temperature=0.5,
        top_p=0.9,
        max_tokens=10,
        stop="END",
        seed=1,
        tools=[tool],
        tool_choice="auto",
        parallel_tool_calls=False,
        response_format={"type": "json_object"},
        reasoning_effort="high",
        extra={"user": "u"},
    )
    body = json.loads(joined(ENDPOINT.build_body(req, stream=True)))
    assert list(body) == [
        "model", "messages", "temperature", "top_p", "max_tokens", "stop", "seed", "tools",
        "tool_choice", "parallel_tool_calls", "response_format", "reasoning_effort", "stream",
        "stream_options", "user",
    ]  # fmt: skip
    assert body["tools"] == [tool]
    assert body["stream_options"] == {"include_usage": True}


def test_unset_fields_are_left_out_and_bytes_are_compact_utf8() -> None:
    body = ENDPOINT.build_body(request(messages=[user_message("Olá")]))
    raw = '{"model":"grok-4","messages":[{"role":"user","content":"Olá"}]}'.encode()
    assert body.parts == (raw,) and body.length == len(raw)  # a small body is one piece


def test_same_request_gives_identical_bytes() -> None:
    req = request(temperature=0.1, extra={"b": 1, "a": 2})
    assert joined(ENDPOINT.build_body(req)) == joined(ENDPOINT.build_body(req))
    assert joined(ENDPOINT.build_body(req)) == joined(
        ENDPOINT.build_body(request(temperature=0.1, extra={"b": 1, "a": 2}))
    )


def test_read_only_mappings_serialise() -> None:
    req = request(response_format=MappingProxyType({"type": "json_object"}))
    assert json.loads(joined(ENDPOINT.build_body(req)))["response_format"] == {
        "type": "json_object"
    }


def test_unencodable_extra_is_a_validation_error() -> None:
    with pytest.raises(RequestValidationError, match="JSON"):
        ENDPOINT.build_body(request(extra={"when": {1, 2}}))


def response(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "r1",
        "model": "grok-4",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                     "finish_reason": "stop"}],
    }  # fmt: skip
    data.update(overrides)
    return data


def test_tool_call_arguments_sent_as_an_object_become_json_text() -> None:
    message = {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "c1", "type": "function",
                        "function": {"name": "f", "arguments": {"x": 1}}}],
    }  # fmt: skip
    result = ENDPOINT.parse_response(response(choices=[{"index": 0, "message": message}]))
    assert json.loads(result.tool_calls[0].arguments) == {"x": 1}
    assert result.content == ""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([], "not a JSON object"),
        ({"model": "m", "choices": []}, "'id'"),
        (response(choices=None), "choices"),
        (response(choices=[{"index": 0}]), "message"),
        (response(choices=[{"index": 1, "message": {}}]), "index 0"),
        (
            response(choices=[{"index": 0, "message": {"tool_calls": [{"function": {}}]}}]),
            "function.name",
        ),
    ],
)
def test_malformed_responses_are_parse_errors(data: Any, reason: str) -> None:
    with pytest.raises(ResponseParseError, match=reason):
        ENDPOINT.parse_response(data)


def test_empty_choices_give_no_content() -> None:
    result = ENDPOINT.parse_response(response(choices=[]))
    assert (result.content, result.finish_reason, result.tool_calls) == (None, None, [])


def test_usage_total_is_computed_by_xais_rule_when_missing() -> None:
    usage = parse_usage(
        {"prompt_tokens": 10, "completion_tokens": 4,
         "completion_tokens_details": {"reasoning_tokens": 6}}
    )  # fmt: skip
    assert usage.total_tokens == 20
    assert (usage.text_tokens, usage.image_tokens, usage.cost_in_usd_ticks) == (None, 0, None)


def test_usage_keeps_cost_and_details() -> None:
    usage = parse_usage(
        {"prompt_tokens": 300, "completion_tokens": 1, "total_tokens": 301,
         "prompt_tokens_details": {"text_tokens": 44, "image_tokens": 256, "cached_tokens": 40},
         "cost_in_usd_ticks": 5_000_000_000}
    )  # fmt: skip
    assert (usage.text_tokens, usage.image_tokens, usage.cached_tokens) == (44, 256, 40)
    assert usage.cost_usd == pytest.approx(0.5)


def chunk_event(payload: Any) -> SSEEvent:
    return SSEEvent(json.dumps(payload))


def test_stream_events() -> None:
    assert ENDPOINT.parse_event(SSEEvent("[DONE]")) is STREAM_DONE
    assert ENDPOINT.parse_event(SSEEvent("  ")) is None
    item = ENDPOINT.parse_event(
        chunk_event({"id": "s", "model": "m", "choices": [
            {"index": 0, "delta": {"tool_calls": [
                {"index": 1, "id": "c", "type": "function",
                 "function": {"name": "f", "arguments": "{}"}}]}}]})
    )  # fmt: skip
    assert isinstance(item, ChatCompletionChunk)
    (delta,) = item.tool_calls
    assert (delta.index, delta.id, delta.name, delta.arguments) == (1, "c", "f", "{}")


@pytest.mark.parametrize(
    "payload",
    [
        {"code": "Internal", "error": "overloaded"},
        {"error": {"message": "overloaded", "code": "Internal"}},
    ],
)
def test_error_objects_in_streams_raise(payload: dict[str, Any]) -> None:
    with pytest.raises(StreamError, match="overloaded") as info:
        ENDPOINT.parse_event(chunk_event(payload))
    assert info.value.code == "Internal"


def test_invalid_json_frame_is_a_parse_error() -> None:
    with pytest.raises(ResponseParseError, match="stream frame"):
        ENDPOINT.parse_event(SSEEvent('{"id": '))


def test_describe_never_includes_text_or_payloads() -> None:
    req = request(
        messages=[user_message([{"type": "text", "text": "secret words"},
                                {"type": "image_url",
                                 "image_url": {"url": "data:image/png;base64,AAAA"}}])],
        temperature=0.3,
    )  # fmt: skip
    summary = ENDPOINT.describe(req)
    assert "images=1" in summary and "temperature" in summary
    assert "secret words" not in summary and "base64" not in summary
