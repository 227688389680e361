"""StreamAccumulator: content, reasoning, usage and tool calls (whole or fragmented)."""

from __future__ import annotations

import pytest
from xai_vision.endpoints import ChatCompletionsEndpoint
from xai_vision.errors import StreamInterruptedError
from xai_vision.models import ChatCompletionChunk, ToolCall, ToolCallDelta, Usage
from xai_vision.stream import StreamAccumulator


def chunk(**fields: object) -> ChatCompletionChunk:
    base: dict[str, object] = {"id": "resp-1", "model": "grok-4", "created": 10}
    base.update(fields)
    return ChatCompletionChunk(**base)  # type: ignore[arg-type]


def accumulate(chunks: list[ChatCompletionChunk]) -> StreamAccumulator:
    acc = StreamAccumulator()
    for c in chunks:
        acc.add(c)
    return acc


def test_content_reasoning_finish_and_usage_assemble() -> None:
    usage = Usage(prompt_tokens=5, completion_tokens=2, reasoning_tokens=3, total_tokens=10)
    acc = accumulate(
        [
            chunk(role="assistant", reasoning_content="Think", system_fingerprint="fp_1"),
            chunk(reasoning_content="ing."),
            chunk(),
            chunk(content="Ol", created=11),
            chunk(content="á!"),
            chunk(finish_reason="stop"),
            chunk(usage=usage),
        ]
    )
    result = acc.completion()
    assert acc.finished and acc.chunks == 7
    assert result.content == "Olá!"
    assert result.reasoning_content == "Thinking."
    assert result.finish_reason == "stop"
    assert result.usage == usage
    assert (result.id, result.model, result.created) == ("resp-1", "grok-4", 10)
    assert result.system_fingerprint == "fp_1"
    assert result.tool_calls == []


def test_raw_mirrors_a_non_streaming_response() -> None:
    usage = Usage(prompt_tokens=1, completion_tokens=1, total_tokens=2, raw={"prompt_tokens": 1})
    acc = accumulate(
        [chunk(role="assistant", content="hi"), chunk(finish_reason="stop"), chunk(usage=usage)]
    )
    raw = acc.completion().raw
    assert raw["object"] == "chat.completion"
    assert raw["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ]
    assert raw["usage"] == {"prompt_tokens": 1}


def test_no_content_chunks_means_content_none() -> None:
    result = accumulate([chunk(role="assistant"), chunk(finish_reason="stop")]).completion()
    assert result.content is None and result.reasoning_content is None


def test_whole_tool_calls_one_chunk_each_xai_style() -> None:
    acc = accumulate(
        [
            chunk(role="assistant"),
            chunk(
                tool_calls=[
                    ToolCallDelta(
                        index=0, id="call_1", name="add", arguments='{"a":1,"b":2}', type="function"
                    )
                ]
            ),
            chunk(
                tool_calls=[
                    ToolCallDelta(
                        index=1,
                        id="call_2",
                        name="multiply",
                        arguments='{"a":3,"b":4}',
                        type="function",
                    )
                ]
            ),
            chunk(finish_reason="tool_calls"),
        ]
    )
    assert acc.completion().tool_calls == [
        ToolCall(id="call_1", name="add", arguments='{"a":1,"b":2}'),
        ToolCall(id="call_2", name="multiply", arguments='{"a":3,"b":4}'),
    ]


def test_fragmented_tool_calls_openai_style() -> None:
    acc = accumulate(
        [
            chunk(
                tool_calls=[
                    ToolCallDelta(
                        index=0, id="call_a", name="weather", arguments="", type="function"
                    )
                ]
            ),
            chunk(tool_calls=[ToolCallDelta(index=0, arguments='{"loc')]),
            chunk(tool_calls=[ToolCallDelta(index=1, id="call_b", name="time", arguments="")]),
            chunk(tool_calls=[ToolCallDelta(index=0, arguments='ation": "Rome"}')]),
            chunk(tool_calls=[ToolCallDelta(index=1, arguments="{}")]),
            chunk(finish_reason="tool_calls"),
        ]
    )
    assert acc.completion().tool_calls == [
        ToolCall(id="call_a", name="weather", arguments='{"location": "Rome"}'),
        ToolCall(id="call_b", name="time", arguments="{}"),
    ]


def test_fragmented_and_whole_give_the_same_calls() -> None:
    args = '{"location":"Florence, Italy"}'
    whole = accumulate(
        [chunk(tool_calls=[ToolCallDelta(index=0, id="c", name="weather", arguments=args)])]
    )
    pieces = [args[i : i + 4] for i in range(0, len(args), 4)]
    split = accumulate(
        [chunk(tool_calls=[ToolCallDelta(index=0, id="c", name="weather")])]
        + [chunk(tool_calls=[ToolCallDelta(index=0, arguments=p)]) for p in pieces]
    )
    assert whole.completion().tool_calls == split.completion().tool_calls


def test_new_id_at_a_used_index_is_a_new_call() -> None:
    acc = accumulate(
        [
            chunk(tool_calls=[ToolCallDelta(index=0, id="call_1", name="add", arguments="{}")]),
            chunk(
                tool_calls=[ToolCallDelta(index=0, id="call_2", name="add", arguments='{"a":1}')]
            ),
        ]
    )
    assert [(c.id, c.arguments) for c in acc.completion().tool_calls] == [
        ("call_1", "{}"),
        ("call_2", '{"a":1}'),
    ]


def test_tool_call_in_raw_message() -> None:
    acc = accumulate(
        [chunk(tool_calls=[ToolCallDelta(index=0, id="c1", name="f", arguments="{}")])]
    )
    message = acc.completion().raw["choices"][0]["message"]
    assert message["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ]


def test_empty_accumulator_is_an_interrupted_stream() -> None:
    with pytest.raises(StreamInterruptedError, match="no chunks"):
        StreamAccumulator().completion()


def test_accumulates_chunks_parsed_from_the_wire() -> None:
    endpoint = ChatCompletionsEndpoint()
    frames = [
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "A"}}],
        },
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": "B"}, "finish_reason": "stop"}],
        },
        {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [],
            "usage": {
                "prompt_tokens": 4,
                "completion_tokens": 2,
                "total_tokens": 9,
                "completion_tokens_details": {"reasoning_tokens": 3},
            },
        },
    ]
    acc = accumulate([endpoint.parse_chunk(f) for f in frames])
    result = acc.completion()
    assert result.content == "AB"
    assert result.usage is not None
    assert (result.usage.reasoning_tokens, result.usage.output_tokens) == (3, 5)


def test_the_answer_so_far_is_readable_after_every_chunk() -> None:
    acc = StreamAccumulator()
    acc.add(chunk(role="assistant", reasoning_content="Hm"))
    assert (acc.content, acc.reasoning, acc.tool_calls()) == ("", "Hm", [])
    acc.add(chunk(content="Ol"))
    assert acc.content == "Ol"
    acc.add(chunk(content="á", model="grok-4-0709"))
    assert acc.model == "grok-4-0709"  # the latest chunk naming a model
    acc.add(chunk(tool_calls=[ToolCallDelta(index=0, id="c1", name="f", arguments='{"a"')]))
    assert acc.tool_calls() == [ToolCall(id="c1", name="f", arguments='{"a"')]
    acc.add(chunk(tool_calls=[ToolCallDelta(index=0, arguments=": 1}")]))
    assert (acc.content, acc.reasoning) == ("Olá", "Hm")
    assert acc.tool_calls() == [ToolCall(id="c1", name="f", arguments='{"a": 1}')]
    assert acc.model == "grok-4" and acc.id == "resp-1" and acc.finish_reason is None
    acc.add(chunk(finish_reason="tool_calls"))
    assert acc.finish_reason == "tool_calls" and acc.completion().content == "Olá"


def test_reading_tool_calls_rebuilds_only_the_call_that_changed() -> None:
    acc = StreamAccumulator()
    acc.add(chunk(tool_calls=[ToolCallDelta(index=0, id="a", name="f", arguments="{}")]))
    acc.add(chunk(tool_calls=[ToolCallDelta(index=1, id="b", name="g", arguments="{")]))
    first, second = acc.tool_calls()
    acc.add(chunk(tool_calls=[ToolCallDelta(index=1, arguments="}")]))
    again_first, again_second = acc.tool_calls()
    assert again_first is first  # untouched: the same object, not rebuilt
    assert again_second is not second and again_second.arguments == "{}"
    assert acc.tool_calls()[1] is again_second  # nothing new: nothing rebuilt
