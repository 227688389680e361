"""ChatRequest.build and CHAT_REQUEST_PARAMS: the one place options become a request body."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from xai_vision.endpoints import ChatCompletionsEndpoint
from xai_vision.errors import RequestValidationError
from xai_vision.messages import CHAT_REQUEST_PARAMS, REQUEST_SETTINGS, ChatRequest, user_message

MESSAGES = [user_message("hi")]


def test_params_list_names_every_body_field_of_chat_request() -> None:
    fields = [f.name for f in dataclasses.fields(ChatRequest)]
    not_body = ("model", "messages", "extra", "max_images_per_message", *REQUEST_SETTINGS)
    assert [f for f in fields if f not in not_body] == list(CHAT_REQUEST_PARAMS)
    assert set(REQUEST_SETTINGS) <= set(fields)


def test_build_routes_known_options_to_fields_and_the_rest_to_extra() -> None:
    request = ChatRequest.build(
        "grok-4-fast-non-reasoning",
        MESSAGES,
        {"temperature": 0.3, "seed": 5, "presence_penalty": 0.5, "user": "u"},
        extra={"logprobs": True},
    )
    assert request.temperature == 0.3
    assert request.seed == 5
    assert request.extra == {"logprobs": True, "presence_penalty": 0.5, "user": "u"}
    assert request == ChatRequest(
        "grok-4-fast-non-reasoning",
        MESSAGES,
        temperature=0.3,
        seed=5,
        extra={"logprobs": True, "presence_penalty": 0.5, "user": "u"},
    )


def test_build_lets_a_model_option_override_the_default_model() -> None:
    assert ChatRequest.build("grok-4", MESSAGES, {"model": "grok-3"}).model == "grok-3"


def test_build_treats_none_options_as_unset() -> None:
    request = ChatRequest.build("grok-4", MESSAGES, {"temperature": None, "top_p": None})
    assert request.params() == {}


@pytest.mark.parametrize(
    ("options", "extra", "reason"),
    [
        ({"temperature": 3}, None, "temperature must be a number from 0 to 2"),
        ({"stream": True}, None, "extra may not set stream"),
        ({"messages": []}, None, "extra may not set messages"),
        ({}, {"top_p": 0.5}, "extra may not set top_p: use the ChatRequest fields"),
        ({"model": ""}, None, "model must be a non-empty str"),
    ],
)
def test_build_validates_like_the_constructor(
    options: dict[str, Any], extra: dict[str, Any] | None, reason: str
) -> None:
    with pytest.raises(RequestValidationError, match=reason):
        ChatRequest.build("grok-4", MESSAGES, options, extra=extra)


def test_endpoint_body_is_to_body_plus_the_stream_flags() -> None:
    request = ChatRequest.build(
        "grok-4-fast-non-reasoning", MESSAGES, {"stop": ("A", "B"), "user": "u"}
    )
    endpoint = ChatCompletionsEndpoint()
    assert json.loads(b"".join(endpoint.build_body(request).iter_bytes())) == request.to_body()
    streamed = json.loads(b"".join(endpoint.build_body(request, stream=True).iter_bytes()))
    assert list(streamed) == ["model", "messages", "stop", "stream", "stream_options", "user"]
    assert streamed["stop"] == ["A", "B"]
    unmetered = json.loads(
        b"".join(endpoint.build_body(request, stream=True, include_usage=False).iter_bytes())
    )
    assert unmetered["stream"] is True
    assert "stream_options" not in unmetered
