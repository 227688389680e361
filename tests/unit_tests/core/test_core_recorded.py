"""Golden tests: recorded real xAI traffic, served from a loopback server, through the client.

Every interaction of every cassette in ``tests/data/recorded/`` (go-vcr YAML) is replayed:
the recorded request is rebuilt as a ChatRequest and sent by the real client; the recorded
response bytes are served back; the parsed result must hold exactly the content, reasoning,
tool calls and usage in the recording. Expected values are read from the recording with
plain ``json`` in this file, independently of the client's parser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from loopback import Loopback, Reply
from recorded import CASSETTES, INTERACTIONS, Interaction, recorded
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.messages import ChatRequest
from xai_vision.models import ChatCompletion, ChatCompletionChunk
from xai_vision.stream import StreamAccumulator

#: Body fields the endpoint owns (the request refuses them as options).
ENDPOINT_FIELDS = frozenset({"stream", "stream_options"})


def recorded_reply(item: Interaction) -> Reply:
    """The recorded answer; a stream has no length and goes in small writes, so the client
    must reassemble its frames."""
    data = item.body.encode("utf-8")
    body: bytes | list[bytes] = data
    if item.content_type == "text/event-stream":
        body = [data[start : start + 997] for start in range(0, len(data), 997)]
    return Reply(body=body, headers={"Content-Type": item.content_type})


@pytest.fixture(scope="module")
def replay() -> Iterator[Loopback]:
    """A loopback server for the module; each test scripts the recorded answer it replays."""
    server = Loopback()
    yield server
    server.close()


def chat_request(recorded: dict[str, Any]) -> ChatRequest:
    """The recorded body as a request, routed the way the adapters route options."""
    options = {k: v for k, v in recorded.items() if k not in ENDPOINT_FIELDS | {"messages"}}
    return ChatRequest.build(recorded["model"], recorded["messages"], options)


# --------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Expected:
    content: str | None
    reasoning: str | None
    tool_calls: list[tuple[str, str, str]]
    finish_reason: str | None
    usage: dict[str, Any]
    response_id: str
    model: str
    fingerprint: str
    frames: int


def expected_from_json(body: str) -> Expected:
    data = json.loads(body)
    choice = data["choices"][0]
    message = choice["message"]
    return Expected(
        content=message.get("content"),
        reasoning=message.get("reasoning_content"),
        tool_calls=[
            (c["id"], c["function"]["name"], c["function"]["arguments"])
            for c in message.get("tool_calls") or []
        ],
        finish_reason=choice["finish_reason"],
        usage=data["usage"],
        response_id=data["id"],
        model=data["model"],
        fingerprint=data["system_fingerprint"],
        frames=0,
    )


def expected_from_sse(body: str) -> Expected:
    payloads = [line[len("data: ") :] for line in body.split("\n") if line.startswith("data: ")]
    assert payloads[-1] == "[DONE]"
    frames = [json.loads(p) for p in payloads[:-1]]
    content, reasoning, calls, finish, usage = [], [], {}, None, None
    for frame in frames:
        for choice in frame["choices"]:
            delta = choice["delta"]
            content.append(delta.get("content") or "")
            reasoning.append(delta.get("reasoning_content") or "")
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(call["index"], ["", "", ""])
                slot[0] += call.get("id") or ""
                slot[1] += call.get("function", {}).get("name") or ""
                slot[2] += call.get("function", {}).get("arguments") or ""
            finish = choice.get("finish_reason") or finish
        usage = frame.get("usage") or usage
    assert usage is not None
    return Expected(
        content="".join(content) or None,
        reasoning="".join(reasoning) or None,
        tool_calls=[tuple(calls[i]) for i in sorted(calls)],  # type: ignore[misc]
        finish_reason=finish,
        usage=usage,
        response_id=frames[0]["id"],
        model=frames[0]["model"],
        fingerprint=frames[0]["system_fingerprint"],
        frames=len(frames),
    )


def check(result: ChatCompletion, expected: Expected) -> None:
    assert result.content == expected.content
    assert result.reasoning_content == expected.reasoning
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == expected.tool_calls
    assert result.finish_reason == expected.finish_reason
    assert (result.id, result.model) == (expected.response_id, expected.model)
    assert result.system_fingerprint == expected.fingerprint
    usage, raw = result.usage, expected.usage
    assert usage is not None
    assert usage.prompt_tokens == raw["prompt_tokens"]
    assert usage.completion_tokens == raw["completion_tokens"]
    assert usage.total_tokens == raw["total_tokens"]
    assert usage.text_tokens == raw["prompt_tokens_details"]["text_tokens"]
    assert usage.image_tokens == raw["prompt_tokens_details"]["image_tokens"]
    assert usage.cached_tokens == raw["prompt_tokens_details"]["cached_tokens"]
    assert usage.reasoning_tokens == raw["completion_tokens_details"]["reasoning_tokens"]
    assert usage.cost_in_usd_ticks == raw.get("cost_in_usd_ticks")
    assert usage.raw == raw
    # xAI's rule, true of every recording: reasoning sits outside completion_tokens.
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens + (
        usage.reasoning_tokens
    )


def check_chunks(chunks: list[ChatCompletionChunk], expected: Expected) -> ChatCompletion:
    assert len(chunks) == expected.frames
    assert [i for i, c in enumerate(chunks) if c.usage is not None] == [len(chunks) - 1]
    assert chunks[0].role == "assistant"
    assert sum(1 for c in chunks if c.role) == 1
    accumulator = StreamAccumulator()
    for chunk in chunks:
        accumulator.add(chunk)
    return accumulator.completion()


# --------------------------------------------------------------------------- golden tests


def test_every_cassette_is_replayed() -> None:
    assert len(CASSETTES) == 13
    assert sum(i.streaming for i in INTERACTIONS) == 8
    assert len(INTERACTIONS) == 21


@pytest.mark.parametrize("item", INTERACTIONS, ids=str)
def test_recorded_response_parses_exactly(replay: Loopback, item: Interaction) -> None:
    request = chat_request(item.request)
    replay.script(recorded_reply(item))
    with XAIClient(api_key="xai-golden", base_url=replay.url, max_retries=0) as client:
        if item.streaming:
            expected = expected_from_sse(item.body)
            result = check_chunks(list(client.stream(request)), expected)
        else:
            expected = expected_from_json(item.body)
            result = client.create(request)
    check(result, expected)
    # The request the client sent carries what the recorded client sent (key order aside).
    assert json.loads(replay.requests[-1].body) == item.request


@pytest.mark.parametrize("item", [i for i in INTERACTIONS if i.streaming], ids=str)
async def test_recorded_streams_parse_exactly_async(replay: Loopback, item: Interaction) -> None:
    replay.script(recorded_reply(item))
    expected = expected_from_sse(item.body)
    async with AsyncXAIClient(api_key="xai-golden", base_url=replay.url, max_retries=0) as c:
        chunks = [chunk async for chunk in c.stream(chat_request(item.request))]
    check(check_chunks(chunks, expected), expected)


# --------------------------------------------------------------------------- known facts


def replay_one(replay: Loopback, cassette: str, index: int = 0) -> ChatCompletion:
    item = recorded(cassette, index)
    replay.script(recorded_reply(item))
    with XAIClient(api_key="xai-golden", base_url=replay.url) as client:
        if not item.streaming:
            return client.create(chat_request(item.request))
        accumulator = StreamAccumulator()
        for chunk in client.stream(chat_request(item.request)):
            accumulator.add(chunk)
        return accumulator.completion()


def test_known_facts_of_the_recordings(replay: Loopback) -> None:
    simple = replay_one(replay, "TestOpenAICompatibleCommon__xai-grok-4-fast__simple")
    assert simple.model == "grok-4-fast-reasoning"
    assert simple.content is not None and simple.content.startswith("Olá!")
    assert simple.usage is not None and simple.usage.reasoning_tokens > 0

    tool = replay_one(replay, "TestXAICommon__xai-grok-code-fast__tool")
    assert tool.content == "" and tool.finish_reason == "tool_calls"
    assert [c.id for c in tool.tool_calls] == ["call_08419012"]
    assert json.loads(tool.tool_calls[0].arguments)["location"]

    multi = replay_one(replay, "TestOpenAICompatibleCommon__xai-grok-4-fast__multi_tool_streaming")
    assert [c.name for c in multi.tool_calls] == ["add", "multiply"]

    thinking = replay_one(replay, "TestOpenAICompatibleThinking__xai-grok-3-mini__thinking")
    assert thinking.model == "grok-3-mini-high"
    assert thinking.reasoning_content and thinking.tool_calls

    hidden = replay_one(replay, "TestOpenAICompatibleCommon__xai-grok-4-fast__simple_streaming")
    assert hidden.reasoning_content is None and hidden.content
