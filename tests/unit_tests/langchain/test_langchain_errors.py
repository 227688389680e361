"""ChatXAIVision raises langchain-core's model errors (as langchain-openai does) that are also
the core's typed errors, so code written against either catches them."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core import exceptions as lc
from xai_vision import errors
from xai_vision.emulator import Emulator

from langchain_xai_vision import ChatXAIVision
from langchain_xai_vision.errors import to_langchain_error


def _model(emulator: Emulator, **fields: Any) -> ChatXAIVision:
    fields.setdefault("max_retries", 0)
    return ChatXAIVision(api_key=emulator.api_key, base_url=emulator.base_url, **fields)


def test_a_prompt_over_the_context_window_is_a_context_overflow(xai_emulator: Emulator) -> None:
    model = _model(xai_emulator, model="grok-2-vision-1212")  # 32,768 tokens
    with pytest.raises(lc.ContextOverflowError) as caught:
        model.invoke("word " * 40_000)
    assert isinstance(caught.value, errors.ContextOverflowError)
    assert isinstance(caught.value, errors.BadRequestError)
    assert caught.value.status_code == 400
    assert "maximum prompt length is 32768" in str(caught.value)
    assert not caught.value.is_retryable


def test_rate_limit_is_both_types_and_keeps_its_fields(xai_emulator: Emulator) -> None:
    xai_emulator.fail_next(1, status=429, retry_after=7)
    with pytest.raises(lc.ModelRateLimitError) as caught:
        _model(xai_emulator).invoke("hi")
    error = caught.value
    assert isinstance(error, errors.RateLimitError)
    assert error.is_retryable
    assert (error.status_code, error.retry_after) == (429, 7.0)
    assert isinstance(error.__cause__, errors.RateLimitError)


@pytest.mark.parametrize(
    ("status", "langchain_type", "core_type"),
    [
        (400, lc.ModelInvalidRequestError, errors.BadRequestError),
        (404, lc.ModelNotFoundError, errors.NotFoundError),
        (503, lc.ModelAPIError, errors.InternalServerError),
    ],
)
async def test_http_errors_map_on_every_path(
    xai_emulator: Emulator,
    status: int,
    langchain_type: type[Exception],
    core_type: type[Exception],
) -> None:
    model = _model(xai_emulator)
    for call in ("invoke", "stream", "ainvoke", "astream"):
        xai_emulator.fail_next(1, status=status, message="no")
        with pytest.raises(langchain_type) as caught:
            if call == "invoke":
                model.invoke("hi")
            elif call == "stream":
                list(model.stream("hi"))
            elif call == "ainvoke":
                await model.ainvoke("hi")
            else:
                [chunk async for chunk in model.astream("hi")]
        assert isinstance(caught.value, core_type), call
        assert caught.value.status_code == status, call


def test_a_refused_key_is_an_authentication_error() -> None:
    with Emulator(invalid_keys=["xai-refused-key-000"]) as refusing:
        model = ChatXAIVision(api_key="xai-refused-key-000", base_url=refusing.base_url)
        with pytest.raises(lc.ModelAuthenticationError) as caught:
            model.invoke("hi")
    assert isinstance(caught.value, errors.InvalidAPIKeyError)
    assert "xai-refused-key-000" not in str(caught.value)


def test_a_cut_stream_is_a_connection_error(xai_emulator: Emulator) -> None:
    xai_emulator.cut_stream(after_frames=2)
    with pytest.raises(lc.ModelConnectionError) as caught:
        list(_model(xai_emulator).stream("tell me more"))
    assert isinstance(caught.value, errors.StreamInterruptedError)


def test_input_errors_stay_as_they_are(xai_emulator: Emulator) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with pytest.raises(errors.ImageDecodeError) as caught:
        _model(xai_emulator).invoke([("human", [image])])
    assert type(caught.value) is errors.ImageDecodeError
    assert xai_emulator.requests == []


def test_to_langchain_error_copies_every_attribute() -> None:
    original = errors.RateLimitError(
        "slow down", status_code=429, code="x", request_id="r1", body={"a": 1}, retry_after=2.0
    )
    converted = to_langchain_error(original)
    assert isinstance(converted, lc.ModelRateLimitError)
    assert vars(converted) == vars(original) and converted.args == original.args
    assert to_langchain_error(converted) is converted
    assert to_langchain_error(errors.XAIVisionError("x")).__class__ is errors.XAIVisionError
