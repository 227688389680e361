"""Streaming framing, frame by frame, against xAI's recorded streams and the spec's chunk schema."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from recorded import recorded

from tests.conftest import SchemaValidator
from tests.unit_tests.emulator.conftest import post_stream, split_frames

MODEL = "grok-4-fast-non-reasoning"
CHUNK_KEYS = ["id", "object", "created", "model", "choices", "system_fingerprint"]


def recorded_chunks(cassette: str, index: int = 0) -> list[dict[str, Any]]:
    """The chunks of one recorded xAI stream, its framing checked as xAI's."""
    return [json.loads(p) for p in split_frames(recorded(cassette, index).body)]


def shape(chunk: dict[str, Any]) -> tuple[Any, ...]:
    """Keys of a chunk, its choice and its delta: what framing compares on."""
    choices = chunk["choices"]
    if not choices:
        return tuple(chunk), "no choices"
    choice = choices[0]
    return tuple(chunk), tuple(sorted(choice)), tuple(sorted(choice["delta"]))


def test_frames_follow_xai_order(client: httpx.Client) -> None:
    chunks = post_stream(client, "Say hi")
    first, *middle, finish, usage = chunks
    assert first["choices"] == [{"index": 0, "delta": {"role": "assistant"}}]
    assert len(middle) >= 3, "text arrives in several small deltas"
    for chunk in middle:
        assert list(chunk) == CHUNK_KEYS  # no usage key at all
        (choice,) = chunk["choices"]
        assert set(choice) == {"index", "delta"}  # no finish_reason key
        assert set(choice["delta"]) == {"content"}
    assert "".join(c["choices"][0]["delta"]["content"] for c in middle) == (
        "I see no images.\nYou asked: Say hi"
    )
    assert finish["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert "usage" not in finish
    assert usage["choices"] == []
    assert list(usage) == [*CHUNK_KEYS[:-1], "usage", "system_fingerprint"]
    assert usage["usage"]["total_tokens"] == (
        usage["usage"]["prompt_tokens"] + usage["usage"]["completion_tokens"]
    )


def test_one_id_fingerprint_and_resolved_model_on_every_chunk(client: httpx.Client) -> None:
    chunks = post_stream(client, model="grok-4-fast")
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["id"].endswith("_us-east-1")
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert {c["model"] for c in chunks} == {"grok-4-fast-reasoning"}
    assert {c["system_fingerprint"] for c in chunks} == {"fp_9362061f30"}
    assert post_stream(client)[0]["id"] != chunks[0]["id"]


def test_every_chunk_and_the_usage_validate_against_the_spec(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    validator = xai_schema("ChatResponseChunk")
    for model in (MODEL, "grok-4-fast", "grok-3-mini"):
        for chunk in post_stream(client, model=model):
            validator.validate(chunk)


def test_without_include_usage_there_is_no_usage_chunk(client: httpx.Client) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    chunks = [json.loads(p) for p in split_frames(client.post("/chat/completions", json=body).text)]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in c for c in chunks)


def test_streamed_usage_equals_the_non_streamed_usage(client: httpx.Client) -> None:
    streamed = post_stream(client, "count me")[-1]["usage"]
    body = {"model": MODEL, "messages": [{"role": "user", "content": "count me"}]}
    assert client.post("/chat/completions", json=body).json()["usage"] == streamed


def test_hidden_reasoning_streams_empty_deltas_one_per_reasoning_token(
    client: httpx.Client,
) -> None:
    chunks = post_stream(client, model="grok-4-fast")
    reasoning = chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"]
    before_content = next(i for i, c in enumerate(chunks) if "content" in c["choices"][0]["delta"])
    assert before_content == reasoning > 0
    assert all(c["choices"][0]["delta"] == {} for c in chunks[1:before_content])


def test_grok_3_mini_streams_reasoning_content_never_with_content(client: httpx.Client) -> None:
    chunks = post_stream(client, "Say hi", model="grok-3-mini", reasoning_effort="high")
    assert chunks[0]["model"] == "grok-3-mini-high"
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert set(deltas[0]) == {"role", "reasoning_content"}
    thinking = [d["reasoning_content"] for d in deltas if "reasoning_content" in d]
    assert all(not ("content" in d and "reasoning_content" in d) for d in deltas)
    usage = chunks[-1]["usage"]
    assert len(thinking) == usage["completion_tokens_details"]["reasoning_tokens"]
    full = {
        "model": "grok-3-mini",
        "reasoning_effort": "high",
        "messages": [{"role": "user", "content": "Say hi"}],
    }
    message = client.post("/chat/completions", json=full).json()["choices"][0]["message"]
    assert "".join(thinking) == message["reasoning_content"]


def test_role_appears_only_in_the_first_chunk(client: httpx.Client) -> None:
    chunks = post_stream(client, model="grok-3-mini")
    roles = [i for i, c in enumerate(chunks) if c["choices"] and "role" in c["choices"][0]["delta"]]
    assert roles == [0]


@pytest.mark.parametrize(
    ("cassette", "model"),
    [
        ("TestOpenAICompatibleCommon__xai-grok-4-fast__simple_streaming", "grok-4-fast"),
        ("TestOpenAICompatibleThinking__xai-grok-3-mini__thinking-streaming", "grok-3-mini"),
    ],
)
def test_chunk_shapes_match_the_recorded_xai_stream(
    client: httpx.Client, cassette: str, model: str
) -> None:
    recorded = recorded_chunks(cassette, 1 if "thinking" in cassette else 0)
    effort = {"reasoning_effort": "high"} if model == "grok-3-mini" else {}
    ours = post_stream(client, "Say hi in Portuguese", model=model, **effort)
    assert shape(ours[0]) == shape(recorded[0])
    assert shape(ours[-1]) == shape(recorded[-1])
    assert shape(ours[-2]) == shape(recorded[-2])
    assert {shape(c) for c in ours} == {shape(c) for c in recorded}
    assert ours[0]["model"] == recorded[0]["model"]
    recorded_usage = recorded[-1]["usage"]
    assert set(ours[-1]["usage"]) == set(recorded_usage) | {"cost_in_usd_ticks"}
    for key in ("prompt_tokens_details", "completion_tokens_details"):
        assert set(ours[-1]["usage"][key]) == set(recorded_usage[key])


def test_truncated_stream_ends_with_length(client: httpx.Client) -> None:
    chunks = post_stream(client, "a question long enough to cut", max_tokens=2)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "I see no"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
