"""Recorded real xAI streams (tests/data/recorded) through the LlamaIndex stream conversion.

Each cassette's SSE body is parsed by the core endpoint, then folded by ``StreamState`` exactly
as ``stream_chat`` / ``stream_complete`` do; expectations are computed from the cassette itself.
"""

from __future__ import annotations

import json

import pytest
from llama_index.core.base.llms.types import TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.callbacks.token_counting import get_tokens_from_response
from recorded import INTERACTIONS, Interaction, recorded
from xai_vision.endpoints import ChatCompletionsEndpoint, StreamDone
from xai_vision.models import ChatCompletionChunk
from xai_vision.sse import iter_sse

from llama_index_xai_vision._convert import StreamState, tool_selections


def _chunks(stream: Interaction) -> list[ChatCompletionChunk]:
    """A recorded stream parsed by the core's chat completions endpoint."""
    endpoint = ChatCompletionsEndpoint()
    chunks = []
    for event in iter_sse([stream.body.encode("utf-8")]):
        parsed = endpoint.parse_event(event)
        if isinstance(parsed, StreamDone):
            break
        if parsed is not None:
            chunks.append(parsed)
    return chunks


STREAMS = [item for item in INTERACTIONS if item.streaming]


def test_every_recorded_stream_is_covered() -> None:
    # The recordings README lists 8 streamed responses.
    assert len(STREAMS) == 8


@pytest.mark.parametrize("stream", STREAMS, ids=str)
def test_recorded_stream_as_chat_responses(stream: Interaction) -> None:
    frames = stream.frames
    deltas = [f["choices"][0]["delta"] for f in frames if f["choices"]]
    content = "".join(d.get("content") or "" for d in deltas)
    reasoning = "".join(d.get("reasoning_content") or "" for d in deltas)
    calls = [c for d in deltas for c in d.get("tool_calls") or []]
    usage = frames[-1]["usage"]

    state = StreamState()
    responses = [state.chat(chunk) for chunk in _chunks(stream) if state.add(chunk)]

    # Cumulative text and deltas agree with the wire.
    assert "".join(r.delta or "" for r in responses) == content
    final = responses[-1]
    text_blocks = [b for b in final.message.blocks if isinstance(b, TextBlock)]
    assert [b.text for b in text_blocks] == [content]
    thinking = [b for b in final.message.blocks if isinstance(b, ThinkingBlock)]
    assert [b.content for b in thinking] == ([reasoning] if reasoning else [])

    # Tool calls arrive whole and parse into selections.
    blocks = [b for b in final.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(b.tool_call_id, b.tool_name) for b in blocks] == [
        (c["id"], c["function"]["name"]) for c in calls
    ]
    legacy = final.message.additional_kwargs.get("tool_calls", [])
    assert [(c["id"], c["function"]) for c in legacy] == [(c["id"], c["function"]) for c in calls]
    selections = tool_selections(final, error_on_no_tool_call=False)
    assert [s.tool_kwargs for s in selections] == [
        json.loads(c["function"]["arguments"]) for c in calls
    ]

    # Usage only on the last response: xAI's object in raw, the flat view in additional_kwargs.
    assert final.raw["usage"] == usage
    assert final.additional_kwargs["prompt_tokens"] == usage["prompt_tokens"]
    assert final.additional_kwargs["completion_tokens"] == usage["completion_tokens"]
    assert final.additional_kwargs["total_tokens"] == usage["total_tokens"]
    reasoning_tokens = usage["completion_tokens_details"]["reasoning_tokens"]
    assert final.additional_kwargs["reasoning_tokens"] == reasoning_tokens
    assert final.additional_kwargs["image_tokens"] == usage["prompt_tokens_details"]["image_tokens"]
    assert all("prompt_tokens" not in r.additional_kwargs for r in responses[:-1])
    assert get_tokens_from_response(final) == (usage["prompt_tokens"], usage["completion_tokens"])


@pytest.mark.parametrize("stream", STREAMS, ids=str)
def test_recorded_stream_as_completion_responses(stream: Interaction) -> None:
    frames = stream.frames
    content = "".join(f["choices"][0]["delta"].get("content") or "" for f in frames if f["choices"])
    state = StreamState()
    responses = [state.completion(chunk) for chunk in _chunks(stream) if state.add(chunk)]
    assert responses[-1].text == content
    assert "".join(r.delta or "" for r in responses) == content
    assert responses[-1].raw["usage"] == frames[-1]["usage"]


def test_thinking_ticks_are_not_yielded() -> None:
    # grok-4-fast hides its reasoning as empty deltas: one per reasoning token.
    chunks = _chunks(recorded("TestOpenAICompatibleCommon__xai-grok-4-fast__simple_streaming"))
    state = StreamState()
    responses = [state.chat(chunk) for chunk in chunks if state.add(chunk)]
    empty = sum(
        1
        for c in chunks
        if not (c.content or c.reasoning_content or c.tool_calls or c.finish_reason or c.usage)
    )
    assert empty > 100
    assert len(responses) == len(chunks) - empty


def test_reasoning_deltas_are_reported_as_thinking_delta() -> None:
    chunks = _chunks(recorded("TestOpenAICompatibleThinking__xai-grok-3-mini__thinking-streaming"))
    state = StreamState()
    responses = [state.chat(chunk) for chunk in chunks if state.add(chunk)]
    thinking = "".join(r.additional_kwargs.get("thinking_delta", "") for r in responses)
    final_thinking = [b for b in responses[-1].message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking
    assert final_thinking[0].content == thinking
