"""The client against the project's emulator (a real xAI stand-in on 127.0.0.1):
answers with images, usage, tool calls (whole and split), and every injected fault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from retry_sleeps import Sleeps
from sample_tools import WEATHER
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.emulator import Emulator
from xai_vision.errors import (
    APITimeoutError,
    BadRequestError,
    ContextOverflowError,
    InternalServerError,
    InvalidAPIKeyError,
    RateLimitError,
    ResponseParseError,
    StreamInterruptedError,
)
from xai_vision.images import prepare_image
from xai_vision.messages import ChatRequest, ImageCollector, text_part, user_message
from xai_vision.stream import StreamAccumulator
from xai_vision.tokens import estimate_image_tokens


def image_request(image_bytes: Any) -> ChatRequest:
    collector = ImageCollector()
    parts = [
        text_part("What is in these images?"),
        collector.add(image_bytes(color="red", size=(64, 48)), detail="high"),
        collector.add(image_bytes(color="blue", size=(32, 32), fmt="JPEG")),
    ]
    return ChatRequest(model="grok-4", messages=[user_message(parts)])


def tool_request() -> ChatRequest:
    return ChatRequest(
        model="grok-4", messages=[user_message("Weather in Rome and Oslo?")], tools=[WEATHER]
    )


def plain_request() -> ChatRequest:
    return ChatRequest(model="grok-4", messages=[user_message("Say hi")])


def collect(chunks: Iterator[Any]) -> StreamAccumulator:
    acc = StreamAccumulator()
    for chunk in chunks:
        acc.add(chunk)
    return acc


def test_answer_about_images_and_image_token_usage(client: XAIClient, image_bytes: Any) -> None:
    result = client.create(image_request(image_bytes))
    assert result.content is not None
    lines = result.content.splitlines()
    assert lines[0] == "I see 2 images."
    assert lines[1].startswith("Image 1: 64x48 png, detail high")
    assert lines[2].startswith("Image 2: 32x32 jpeg, detail auto")
    assert lines[-1] == "You asked: What is in these images?"
    assert result.usage is not None
    expected = estimate_image_tokens((64, 48), "high") + estimate_image_tokens((32, 32), "auto")
    assert result.usage.image_tokens == expected
    assert result.usage.total_tokens == (
        result.usage.prompt_tokens + result.usage.completion_tokens + result.usage.reasoning_tokens
    )


def test_stream_assembles_the_same_answer_as_create(client: XAIClient, image_bytes: Any) -> None:
    request = image_request(image_bytes)
    whole = client.create(request)
    chunks = list(client.stream(request))
    streamed = collect(iter(chunks)).completion()
    assert streamed.content == whole.content
    assert streamed.usage is not None and whole.usage is not None
    assert streamed.usage.image_tokens == whole.usage.image_tokens
    assert [i for i, c in enumerate(chunks) if c.usage is not None] == [len(chunks) - 1]


def test_emulator_received_exactly_the_built_body(
    client: XAIClient, xai_emulator: Emulator, image_bytes: Any
) -> None:
    request = image_request(image_bytes)
    client.create(request)
    sent = xai_emulator.last_request.body
    assert sent == json.loads(b"".join(client.endpoint.build_body(request).iter_bytes()))


@pytest.mark.parametrize("mode", ["whole", "split"])
def test_streamed_tool_calls_assemble_in_both_modes(mode: Any) -> None:
    calls = [
        {"name": "weather", "arguments": {"city": "Rome"}, "id": "call_1"},
        {"name": "weather", "arguments": {"city": "Oslo"}, "id": "call_2"},
    ]
    with (
        Emulator(stream_tool_calls=mode) as emu,
        XAIClient(api_key=emu.api_key, base_url=emu.base_url) as c,
    ):
        emu.queue_reply(tool_calls=calls)
        result = collect(c.stream(tool_request())).completion()
        emu.queue_reply(tool_calls=calls)
        direct = c.create(tool_request())
    assert [(t.id, t.name, json.loads(t.arguments)) for t in result.tool_calls] == [
        ("call_1", "weather", {"city": "Rome"}),
        ("call_2", "weather", {"city": "Oslo"}),
    ]
    assert result.tool_calls == direct.tool_calls
    assert result.finish_reason == direct.finish_reason == "tool_calls"


def test_scripted_reasoning_is_parsed(client: XAIClient, xai_emulator: Emulator) -> None:
    xai_emulator.queue_reply("Done.", reasoning_content="Let me think.")
    result = client.create(tool_request())
    assert (result.content, result.reasoning_content) == ("Done.", "Let me think.")
    xai_emulator.queue_reply("Done.", reasoning_content="Let me think.")
    streamed = collect(client.stream(tool_request())).completion()
    assert (streamed.content, streamed.reasoning_content) == ("Done.", "Let me think.")


def test_429_with_retry_after_is_retried_after_the_asked_wait(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(1, status=429, retry_after=2)
    assert client.create(plain_request()).content
    assert sleeps == [2.0]
    assert len(xai_emulator.requests) == 2


def test_429_without_retry_after_uses_backoff(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(2, status=429)
    assert client.create(plain_request()).content
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0


def test_persistent_503_exhausts_retries(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(3, status=503, retry_after_ms=5)
    with pytest.raises(InternalServerError) as info:
        client.create(plain_request())
    assert info.value.status_code == 503
    assert sleeps == [0.005, 0.005]
    assert len(xai_emulator.requests) == 3


def test_rate_limit_error_after_retries_has_typed_fields(
    xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(1, status=429, retry_after=7)
    with (
        XAIClient(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, max_retries=0) as c,
        pytest.raises(RateLimitError) as info,
    ):
        c.create(plain_request())
    assert info.value.retry_after == 7.0 and info.value.code


def test_stream_cut_after_frames_is_interrupted_not_retried(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.cut_stream(after_frames=2)
    received = []
    with pytest.raises(StreamInterruptedError):
        for chunk in client.stream(plain_request()):
            received.append(chunk)
    assert len(received) == 2
    assert sleeps == [] and len(xai_emulator.requests) == 1


def test_stream_cut_before_any_frame_is_retried(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.cut_stream(after_frames=0)
    result = collect(client.stream(plain_request())).completion()
    assert result.content and result.finish_reason == "stop"
    assert len(sleeps) == 1 and len(xai_emulator.requests) == 2


def test_malformed_json_answer(client: XAIClient, xai_emulator: Emulator) -> None:
    xai_emulator.malformed_next("json")
    with pytest.raises(ResponseParseError, match="not valid JSON"):
        client.create(plain_request())


def test_malformed_sse_frame(client: XAIClient, xai_emulator: Emulator) -> None:
    xai_emulator.malformed_next("sse")
    with pytest.raises(ResponseParseError, match="stream frame"):
        list(client.stream(plain_request()))


def test_latency_beyond_timeout_is_a_timeout(xai_emulator: Emulator, sleeps: Sleeps) -> None:
    xai_emulator.set_latency(1.5)
    with (
        XAIClient(
            api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, timeout=0.3, sleep=sleeps
        ) as c,
        pytest.raises(APITimeoutError),
    ):
        c.create(plain_request())
    assert len(sleeps) == 2


def test_wrong_key_is_invalid_api_key_error_without_the_key() -> None:
    bad = "xai-wrong-key-987654321"
    with (
        Emulator(invalid_keys=[bad]) as emu,
        XAIClient(api_key=bad, base_url=emu.base_url) as c,
        pytest.raises(InvalidAPIKeyError) as info,
    ):
        c.create(tool_request())
    assert info.value.status_code == 400
    assert bad not in str(info.value) and bad not in repr(info.value.body)


async def test_async_client_against_the_emulator(xai_emulator: Emulator, image_bytes: Any) -> None:
    xai_emulator.fail_next(1, status=500)

    async def no_wait(seconds: float) -> None:
        return None

    async with AsyncXAIClient(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, sleep=no_wait
    ) as c:
        result = await c.create(image_request(image_bytes))
        acc = StreamAccumulator()
        async for chunk in c.stream(image_request(image_bytes)):
            acc.add(chunk)
    assert result.content is not None and result.content.startswith("I see 2 images.")
    assert acc.completion().content == result.content
    assert len(xai_emulator.requests) == 3


def test_prepared_image_payload_reaches_the_server_unchanged(
    client: XAIClient, xai_emulator: Emulator, image_bytes: Any
) -> None:
    image = prepare_image(image_bytes(color="green", size=(20, 10)))
    collector = ImageCollector()
    request = ChatRequest(
        model="grok-4", messages=[user_message([collector.add(image), text_part("colour?")])]
    )
    assert "mostly green" in (client.create(request).content or "")
    part = xai_emulator.last_request.body["messages"][0]["content"][0]
    assert part["image_url"]["url"] == image.url


def test_a_prompt_over_the_context_window_is_a_context_overflow_error(client: XAIClient) -> None:
    request = ChatRequest(
        model="grok-2-vision-1212", messages=[user_message("word " * 40_000)]
    )  # 32,768 tokens of context; this is ~50,000
    with pytest.raises(ContextOverflowError) as info:
        client.create(request)
    assert isinstance(info.value, BadRequestError) and info.value.status_code == 400
    assert "maximum prompt length is 32768" in info.value.message


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "This model's maximum prompt length is 10 but the request contains 11", "Context"),
        (400, "context_length_exceeded", "Context"),
        (400, "Incorrect API key provided: xa***yz", "InvalidAPIKey"),
        (400, "bad temperature", "BadRequest"),
        (500, "maximum prompt length", "InternalServer"),
    ],
)
def test_error_class_for_status_reads_the_400_message(
    status: int, message: str, expected: str
) -> None:
    from xai_vision.errors import error_class_for_status

    assert error_class_for_status(status, message).__name__.startswith(expected)
