"""LangChain <-> xAI conversion: messages out; answers and stream chunks (recorded traffic) in."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
import yaml
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from xai_vision.endpoints import ChatCompletionsEndpoint
from xai_vision.errors import RequestValidationError, TooManyImagesError
from xai_vision.images import ImageOptions, parse_data_uri
from xai_vision.models import ChatCompletion, ChatCompletionChunk
from xai_vision.sse import SSEDecoder

from langchain_xai_vision import image_block
from langchain_xai_vision._convert import (
    StreamState,
    completion_to_message,
    convert_messages,
    usage_to_metadata,
)

RECORDED = Path(__file__).parents[2] / "data" / "recorded"
URL = "https://example.com/a.png"
TXT = "text/plain"


def _interaction(name: str, index: int) -> dict[str, Any]:
    cassette = yaml.safe_load((RECORDED / name).read_text())
    return cassette["interactions"][index]  # type: ignore[no-any-return]


def _recorded_completion(name: str, index: int = 0) -> ChatCompletion:
    body = json.loads(_interaction(name, index)["response"]["body"])
    return ChatCompletionsEndpoint().parse_response(body)


def _recorded_chunks(name: str, index: int = 0) -> list[ChatCompletionChunk]:
    endpoint = ChatCompletionsEndpoint()
    decoder = SSEDecoder()
    events = decoder.feed(_interaction(name, index)["response"]["body"].encode()) + decoder.close()
    parsed = [endpoint.parse_event(event) for event in events]
    return [chunk for chunk in parsed if isinstance(chunk, ChatCompletionChunk)]


def _stream_messages(chunks: list[ChatCompletionChunk]) -> list[AIMessageChunk]:
    """What ChatXAIVision._stream yields for these chunks (content chunks, then the last)."""
    state = StreamState()
    out: list[AIMessageChunk] = []
    for chunk in chunks:
        message = state.add(chunk)
        if message is not None:
            out.append(message)
    out.append(state.final_chunk("fallback"))
    return out


# --------------------------------------------------------------------------- answers in


def test_recorded_reasoning_tool_call_answer() -> None:
    completion = _recorded_completion(
        "TestOpenAICompatibleThinking__xai-grok-3-mini__thinking.yaml"
    )
    raw_usage = completion.raw["usage"]
    message = completion_to_message(completion)

    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("weather", {"location": "Florence, Italy"})
    ]
    assert message.tool_calls[0]["id"] == completion.tool_calls[0].id
    assert message.additional_kwargs["reasoning_content"].startswith("First, the user")
    usage = message.usage_metadata
    assert usage is not None
    reasoning = raw_usage["completion_tokens_details"]["reasoning_tokens"]
    assert reasoning > 0
    assert usage["input_tokens"] == raw_usage["prompt_tokens"]
    assert usage["output_tokens"] == raw_usage["completion_tokens"] + reasoning
    assert usage["total_tokens"] == raw_usage["total_tokens"]
    assert usage["input_tokens"] + usage["output_tokens"] == usage["total_tokens"]
    assert usage.get("output_token_details") == {"reasoning": reasoning}
    details = dict(usage.get("input_token_details", {}))
    assert details["image"] == 0
    cached = raw_usage["prompt_tokens_details"]["cached_tokens"]
    assert details.get("cache_read") == (cached or None)
    assert sum(details.values()) <= usage["input_tokens"]
    metadata = message.response_metadata
    assert metadata["model_name"] == "grok-3-mini-high"
    assert metadata["finish_reason"] == "tool_calls"
    assert metadata["id"] == completion.id == message.id
    assert metadata["system_fingerprint"] == "fp_a6fbae1a97"
    assert metadata["usage"]["num_sources_used"] == raw_usage["num_sources_used"]


def test_recorded_parallel_tool_calls_answer() -> None:
    message = completion_to_message(
        _recorded_completion("TestOpenAICompatibleCommon__xai-grok-4-fast__multi_tool.yaml")
    )
    assert [c["name"] for c in message.tool_calls] == ["add", "multiply"]
    assert all(isinstance(c["args"], dict) and c["args"] for c in message.tool_calls)


def test_usage_details_never_sum_above_input_tokens() -> None:
    """Cached tokens are part of the text tokens: reporting text too would overcount."""
    completion = ChatCompletionsEndpoint().parse_response(
        {
            "id": "x",
            "object": "chat.completion",
            "model": "grok-4",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
            "usage": {
                "prompt_tokens": 1000,
                "completion_tokens": 5,
                "total_tokens": 1015,
                "prompt_tokens_details": {
                    "text_tokens": 400,
                    "image_tokens": 600,
                    "cached_tokens": 300,
                },
                "completion_tokens_details": {"reasoning_tokens": 10},
                "cost_in_usd_ticks": 12345,
            },
        }
    )
    assert completion.usage is not None
    usage = usage_to_metadata(completion.usage)
    assert usage["input_token_details"] == {"image": 600, "cache_read": 300}
    assert usage["output_tokens"] == 15
    assert sum(usage["input_token_details"].values()) <= usage["input_tokens"]
    metadata = completion_to_message(completion).response_metadata
    assert metadata["usage"]["cost_in_usd_ticks"] == 12345
    assert metadata["cost_usd"] == pytest.approx(12345e-10)


def test_unparseable_tool_arguments_become_invalid_tool_calls() -> None:
    completion = ChatCompletionsEndpoint().parse_response(
        {
            "id": "x",
            "model": "grok-4",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{not json"},
                            },
                            {
                                "id": "call_2",
                                "type": "function",
                                "function": {"name": "g", "arguments": ""},
                            },
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
        }
    )
    message = completion_to_message(completion)
    assert [c["name"] for c in message.invalid_tool_calls] == ["f"]
    assert message.invalid_tool_calls[0]["args"] == "{not json"
    assert message.tool_calls == [{"name": "g", "args": {}, "id": "call_2", "type": "tool_call"}]
    assert message.usage_metadata is None


# --------------------------------------------------------------------------- stream chunks in


def test_recorded_reasoning_stream() -> None:
    chunks = _recorded_chunks(
        "TestOpenAICompatibleThinking__xai-grok-3-mini__thinking-streaming.yaml", 1
    )
    messages = _stream_messages(chunks)
    with_usage = [m for m in messages if m.usage_metadata]
    with_model = [m for m in messages if m.response_metadata.get("model_name")]
    assert len(with_usage) == 1
    assert with_model == with_usage == [messages[-1]]
    assert messages[-1].chunk_position == "last"
    full = reduce(lambda a, b: a + b, messages)
    assert isinstance(full, AIMessageChunk)
    text = "".join(c.content for c in chunks if c.content)  # type: ignore[misc]
    reasoning = "".join(c.reasoning_content for c in chunks if c.reasoning_content)
    assert text and full.content == text
    assert reasoning and full.additional_kwargs["reasoning_content"] == reasoning
    usage = chunks[-1].usage
    assert usage is not None
    assert full.usage_metadata == usage_to_metadata(usage)
    assert full.response_metadata["model_name"] == "grok-3-mini-high"
    assert full.response_metadata["finish_reason"] == "stop"


def test_recorded_parallel_tool_call_stream() -> None:
    chunks = _recorded_chunks(
        "TestOpenAICompatibleCommon__xai-grok-4-fast__multi_tool_streaming.yaml"
    )
    full = reduce(lambda a, b: a + b, _stream_messages(chunks))
    assert isinstance(full, AIMessageChunk)
    assert [c["name"] for c in full.tool_call_chunks] == ["add", "multiply"]
    assert [c["name"] for c in full.tool_calls] == ["add", "multiply"]
    assert all(c["args"] for c in full.tool_calls)
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_split_tool_call_fragments_merge() -> None:
    """OpenAI-style peers split a call's arguments over chunks; those merge by index."""
    endpoint = ChatCompletionsEndpoint()
    pieces = ['{"a": ', "1, ", '"b": 2}']
    frames = [
        {
            "index": 0,
            "id": "call_9",
            "type": "function",
            "function": {"name": "add", "arguments": pieces[0]},
        },
        {"index": 0, "function": {"arguments": pieces[1]}},
        {"index": 0, "function": {"arguments": pieces[2]}},
    ]
    chunks = []
    for frame in frames:
        data = {
            "id": "s",
            "model": "m",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"tool_calls": [frame]}}],
        }
        event = SSEDecoder().feed(f"data: {json.dumps(data)}\n\n".encode())[0]
        parsed = endpoint.parse_event(event)
        assert isinstance(parsed, ChatCompletionChunk)
        chunks.append(parsed)
    full = reduce(lambda a, b: a + b, _stream_messages(chunks))
    assert isinstance(full, AIMessageChunk)
    assert full.tool_calls == [
        {"name": "add", "args": {"a": 1, "b": 2}, "id": "call_9", "type": "tool_call"}
    ]


# --------------------------------------------------------------------------- messages out


def test_every_image_form_in_one_message_keeps_order_and_detail(
    image_bytes: Callable[..., bytes],
) -> None:
    red, blue = image_bytes("red"), image_bytes("blue", fmt="JPEG")
    b64 = base64.b64encode(red).decode()
    message = HumanMessage(
        content=[
            {"type": "text", "text": "Compare:"},
            {"type": "image_url", "image_url": {"url": URL, "detail": "low"}},
            {"type": "image", "base64": b64, "mime_type": "image/png", "detail": "high"},
            {"type": "image", "source_type": "url", "url": URL, "detail": "auto"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64}},
            image_block(blue, detail="low"),
            "and the end",
        ]
    )
    (wire,) = convert_messages([message])
    assert wire["role"] == "user"
    parts = wire["content"]
    assert isinstance(parts, list)
    assert [p["type"] for p in parts] == ["text"] + ["image_url"] * 5 + ["text"]
    images = [p["image_url"] for p in parts if p["type"] == "image_url"]
    assert [i.get("detail") for i in images] == ["low", "high", "auto", None, "low"]
    assert images[0]["url"] == URL
    assert parse_data_uri(images[1]["url"]) == ("image/png", red)
    assert parse_data_uri(images[4]["url"])[0] == "image/jpeg"


def test_images_counted_across_the_request_and_capped_before_sending(
    image_bytes: Callable[..., bytes],
) -> None:
    block = image_block(image_bytes())
    messages = [HumanMessage(content=[block]), AIMessage("seen"), HumanMessage(content=[block])]
    assert len(convert_messages(messages, ImageOptions(max_images_per_request=2))) == 3
    with pytest.raises(TooManyImagesError, match="image 2"):
        convert_messages(messages, ImageOptions(max_images_per_request=1))


def test_tool_message_with_image_and_assistant_history(image_bytes: Callable[..., bytes]) -> None:
    b64 = base64.b64encode(image_bytes()).decode()
    messages = [
        SystemMessage("be brief"),
        HumanMessage("look"),
        AIMessage(
            content=[
                {"type": "thinking", "thinking": "hmm"},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "call_1", "name": "camera", "input": {}},
            ],
            tool_calls=[{"id": "call_1", "name": "camera", "args": {"zoom": 2}}],
            additional_kwargs={"reasoning_content": "need a picture"},
        ),
        ToolMessage(
            content=[{"type": "image", "base64": b64, "mime_type": "image/png"}],
            tool_call_id="call_1",
        ),
        ChatMessage(role="user", content="thanks"),
    ]
    system, user, assistant, tool, last = convert_messages(messages)
    assert system == {"role": "system", "content": "be brief"}
    assert user == {"role": "user", "content": "look"}
    assert assistant["content"] == "Let me look."
    assert assistant.get("reasoning_content") == "need a picture"
    calls = assistant.get("tool_calls")
    assert calls is not None
    assert calls[0]["id"] == "call_1"
    assert json.loads(calls[0]["function"]["arguments"]) == {"zoom": 2}
    assert tool["role"] == "tool"
    assert tool["tool_call_id"] == "call_1"
    assert isinstance(tool["content"], list)
    assert tool["content"][0]["type"] == "image_url"
    assert last == {"role": "user", "content": "thanks"}


def test_assistant_with_only_tool_calls_sends_null_content() -> None:
    (assistant,) = convert_messages(
        [AIMessage(content=[], tool_calls=[{"id": "1", "name": "f", "args": {}}])]
    )
    assert assistant["content"] is None


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (
            HumanMessage(content=[{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}]),
            r"message 0 \(human\), block 0: content block type 'audio' is not supported",
        ),
        (
            HumanMessage(content=[{"type": "file", "file_id": "f1", "mime_type": TXT}]),
            "file blocks of type 'text/plain' cannot be sent",
        ),
        (
            HumanMessage(content=["Read:", {"type": "file", "base64": "aGk=", "mime_type": TXT}]),
            r"message 0 \(human\), block 1: file blocks of type 'text/plain' cannot be sent",
        ),
        (
            ToolMessage(
                content=[{"type": "file", "base64": "aGk=", "mime_type": TXT}], tool_call_id="c1"
            ),
            r"message 0 \(tool\), block 0: file blocks of type 'text/plain' cannot be sent",
        ),
        (HumanMessage(content=[{"type": "image", "file_id": "f1"}]), "file id"),
        (
            AIMessage(content=[{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"}]),
            r"message 0 \(ai\), block 0: content block type 'audio' is not supported",
        ),
        (FunctionMessage(name="f", content="x"), "cannot be sent to xAI"),
        (ChatMessage(role="critic", content="x"), "role 'critic'"),
    ],
)
def test_unsendable_input_raises_naming_the_message(message: Any, match: str) -> None:
    with pytest.raises(RequestValidationError, match=match):
        convert_messages([HumanMessage("first"), message][1:])


def test_system_and_assistant_messages_carry_images() -> None:
    system, assistant, user = convert_messages(
        [
            SystemMessage(["Match this style:", {"type": "image_url", "image_url": {"url": URL}}]),
            AIMessage(
                [
                    {"type": "text", "text": "Here is "},
                    {"type": "image_url", "image_url": {"url": URL, "detail": "low"}},
                    {"type": "reasoning", "reasoning": "hidden"},
                ]
            ),
            HumanMessage("Now mine?"),
        ]
    )
    assert system["content"] == [
        {"type": "text", "text": "Match this style:"},
        {"type": "image_url", "image_url": {"url": URL}},
    ]
    assert assistant["content"] == [
        {"type": "text", "text": "Here is "},
        {"type": "image_url", "image_url": {"url": URL, "detail": "low"}},
    ]
    assert user == {"role": "user", "content": "Now mine?"}


def test_images_in_every_role_share_the_request_limit() -> None:
    block = {"type": "image_url", "image_url": {"url": URL}}
    messages = [SystemMessage([block]), AIMessage([block]), HumanMessage([block])]
    with pytest.raises(TooManyImagesError, match="image 3"):
        convert_messages(messages, ImageOptions(max_images_per_request=2))


def test_message_names_are_sent() -> None:
    system, user, assistant, tool = convert_messages(
        [
            SystemMessage("Be brief.", name="ops"),
            HumanMessage("hi", name="ann"),
            AIMessage("hello", name="grok"),
            ToolMessage("42", tool_call_id="c1", name="calculator"),
        ]
    )
    assert system.get("name") == "ops"
    assert user.get("name") == "ann"
    assert assistant.get("name") == "grok"
    # Tool messages have no name on xAI's wire (LangChain's is the tool's name).
    assert "name" not in tool
    assert "name" not in convert_messages([HumanMessage("hi")])[0]


def test_system_text_blocks_stay_separate_parts() -> None:
    (system,) = convert_messages(
        [SystemMessage(content=[{"type": "text", "text": "Be brief."}, "Answer in French."])]
    )
    assert system["content"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Answer in French."},
    ]
