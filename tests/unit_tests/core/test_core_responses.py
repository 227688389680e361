"""The responses wire form: bodies from the same ChatRequest (validated against xAI's spec),
responses and stream events parsed into the same types chat completions gives."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sample_tools import WEATHER
from xai_vision.emulator.validation import load_spec
from xai_vision.endpoints import ChatCompletionsEndpoint, ResponsesEndpoint, endpoint_for
from xai_vision.errors import APIError, RequestValidationError, StreamError
from xai_vision.images import prepare_image
from xai_vision.messages import (
    ChatRequest,
    ImageCollector,
    assistant_message,
    json_schema_response_format,
    system_message,
    text_part,
    tool_message,
    user_message,
)
from xai_vision.models import ChatCompletionChunk
from xai_vision.responses import estimate_request_image_tokens, responses_body
from xai_vision.sse import SSEEvent
from xai_vision.stream import StreamAccumulator
from xai_vision.tokens import estimate_image_tokens

from tests.conftest import SchemaValidator

ENDPOINT = ResponsesEndpoint()
MODEL = "grok-4-fast-non-reasoning"


def body_of(request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        b"".join(ENDPOINT.build_body(request, stream=stream).iter_bytes())
    )
    return data


def test_endpoint_for_names_both_wire_forms() -> None:
    assert isinstance(endpoint_for("responses"), ResponsesEndpoint)
    assert isinstance(endpoint_for("chat-completions"), ChatCompletionsEndpoint)
    with pytest.raises(RequestValidationError, match="api='legacy'"):
        endpoint_for("legacy")


def test_a_multimodal_conversation_becomes_input_items(
    image_bytes: Any, xai_schema: SchemaValidator
) -> None:
    collector = ImageCollector()
    red = collector.add(image_bytes(color="red", size=(64, 48)), detail="high")
    blue = collector.add(image_bytes(color="blue", size=(32, 32)))
    request = ChatRequest(
        MODEL,
        [
            system_message("Be brief."),
            user_message([text_part("Before"), red, text_part("between"), blue], name="ann"),
            assistant_message(
                "Looking.", tool_calls=[{"id": "c1", "name": "weather", "arguments": {"a": 1}}]
            ),
            tool_message("c1", [text_part("sunny"), collector.add(image_bytes(color="green"))]),
            user_message("And now?"),
        ],
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "weather"}},
        parallel_tool_calls=False,
        conversation_id="conv-1",
    )
    body = body_of(request)
    xai_schema("ModelRequest").validate(body)
    items = body["input"]
    assert items[0] == {"role": "system", "content": "Be brief."}
    assert [part["type"] for part in items[1]["content"]] == [
        "input_text",
        "input_image",
        "input_text",
        "input_image",
    ]
    assert items[1]["name"] == "ann"
    assert items[1]["content"][1]["detail"] == "high"
    assert "detail" not in items[1]["content"][3]
    assert items[1]["content"][1]["image_url"].startswith("data:image/png;base64,")
    assert items[2] == {"role": "assistant", "content": "Looking."}
    assert items[3] == {
        "type": "function_call",
        "call_id": "c1",
        "name": "weather",
        "arguments": '{"a":1}',
    }
    assert items[4] == {"type": "function_call_output", "call_id": "c1", "output": "sunny"}
    assert items[5]["role"] == "user"
    assert [part["type"] for part in items[5]["content"]] == ["input_text", "input_image"]
    assert items[6] == {"role": "user", "content": "And now?"}
    assert body["tools"] == [
        {
            "type": "function",
            "name": "weather",
            "description": "Get the weather for a city",
            "parameters": WEATHER["function"]["parameters"],
        }
    ]
    assert body["tool_choice"] == {"type": "function", "name": "weather"}
    assert (body["temperature"], body["top_p"], body["max_output_tokens"]) == (0.2, 0.9, 50)
    assert body["parallel_tool_calls"] is False
    assert body["store"] is False  # images: xAI advises not to store
    assert body["prompt_cache_key"] == "conv-1"
    assert "messages" not in body and "max_tokens" not in body


def test_store_defaults_and_structured_output(xai_schema: SchemaValidator) -> None:
    plain = ChatRequest(MODEL, [user_message("hi")], response_format={"type": "json_object"})
    body = body_of(plain, stream=True)
    assert "store" not in body  # xAI's default (stored) when there is no image
    assert body["text"] == {"format": {"type": "json_object"}}
    assert body["stream"] is True and "stream_options" not in body
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    structured = ChatRequest(
        MODEL,
        [user_message("hi")],
        response_format=json_schema_response_format(schema, name="thing", strict=True),
        store=True,
    )
    body = body_of(structured)
    xai_schema("ModelRequest").validate(body)
    assert body["text"] == {
        "format": {"type": "json_schema", "name": "thing", "schema": schema, "strict": True}
    }
    assert body["store"] is True


def test_reasoning_effort_and_encrypted_reasoning_round_trip(xai_schema: SchemaValidator) -> None:
    request = ChatRequest(
        "grok-3-mini",
        [
            user_message("Think"),
            assistant_message(
                "42", reasoning_content="I added.", reasoning_encrypted_content="enc-abc"
            ),
            user_message("Again"),
        ],
        reasoning_effort="high",
        store=False,
    )
    body = body_of(request)
    xai_schema("ModelRequest").validate(body)
    assert body["reasoning"] == {"effort": "high"}
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["input"][1] == {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "I added."}],
        "encrypted_content": "enc-abc",
    }
    # chat completions has no field for it: left out there
    chat = json.loads(
        b"".join(
            ChatCompletionsEndpoint()
            .build_body(request.__class__("grok-3-mini", request.messages, reasoning_effort="high"))
            .iter_bytes()
        )
    )
    assert "reasoning_encrypted_content" not in chat["messages"][1]
    assert chat["messages"][1]["reasoning_content"] == "I added."


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"stop": ["x"]}, "stop"),
        ({"seed": 3}, "seed"),
        ({"extra": {"n": 2}}, "n"),
        ({"extra": {"logit_bias": {"1": 2}}}, "logit_bias"),
        ({"extra": {"presence_penalty": 0.5}}, "presence_penalty"),
        ({"extra": {"frequency_penalty": 0.5}}, "frequency_penalty"),
    ],
)
def test_what_responses_cannot_express_is_refused_naming_it(
    fields: dict[str, Any], name: str
) -> None:
    request = ChatRequest(MODEL, [user_message("hi")], **fields)
    with pytest.raises(RequestValidationError) as caught:
        ENDPOINT.build_body(request)
    assert repr(name) in str(caught.value) and "responses endpoint" in str(caught.value)


def test_instructions_and_previous_response_id_never_go_together() -> None:
    request = ChatRequest(
        MODEL,
        [user_message("more")],
        previous_response_id="r1",
        extra={"instructions": "Be brief."},
    )
    with pytest.raises(RequestValidationError, match="instructions"):
        ENDPOINT.build_body(request)
    body = body_of(ChatRequest(MODEL, [user_message("more")], previous_response_id="r1"))
    assert body["previous_response_id"] == "r1" and "instructions" not in body


@pytest.mark.parametrize("name", ["store", "previous_response_id"])
def test_chat_completions_refuses_responses_only_settings(name: str) -> None:
    value: Any = False if name == "store" else "r1"
    request = ChatRequest(MODEL, [user_message("hi")], **{name: value})
    with pytest.raises(RequestValidationError, match=f"{name} cannot be sent to the chat"):
        ChatCompletionsEndpoint().build_body(request)


def test_conversation_id_is_a_header_on_chat_completions() -> None:
    request = ChatRequest(MODEL, [user_message("hi")], conversation_id="conv-9")
    assert ChatCompletionsEndpoint().headers(request) == {"x-grok-conv-id": "conv-9"}
    assert ENDPOINT.headers(request) == {}
    assert ChatCompletionsEndpoint().headers(ChatRequest(MODEL, [user_message("hi")])) == {}


def test_a_long_image_url_is_sent_in_pieces_that_join_to_the_one_pass_body() -> None:
    url = "data:image/png;base64," + "A" * (5 * 1024 * 1024)
    request = ChatRequest(
        MODEL, [user_message([text_part("x"), {"type": "image_url", "image_url": {"url": url}}])]
    )
    body = ENDPOINT.build_body(request)
    assert len(body.parts) == 3 and body.parts[1] == url
    joined = b"".join(body.iter_bytes())
    assert len(joined) == body.length
    assert json.loads(joined) == responses_body(request)


# --------------------------------------------------------------------------- parsing

SPEC_EXAMPLE = load_spec()["paths"]["/v1/responses"]["post"]["responses"]["200"]["content"][
    "application/json"
]["example"]


def test_the_specs_own_example_parses_with_reasoning_outside_output_tokens() -> None:
    # (the example itself lacks fields its schema requires, e.g. metadata: it is parsed, not
    # validated)
    completion = ENDPOINT.parse_response(SPEC_EXAMPLE)
    assert completion.content == "101 multiplied by 3 is 303."
    assert completion.finish_reason == "stop" and completion.stored is True
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens) == (32, 9, 110)
    assert usage.total_tokens == 151 == usage.prompt_tokens + usage.output_tokens
    assert usage.cached_tokens == 8
    assert usage.image_tokens == 0 and not usage.image_tokens_estimated


def _response(output: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "id": "0d6c-uuid",
        "object": "response",
        "created_at": 1700000000,
        "model": "grok-4-0709",
        "status": "completed",
        "store": False,
        "output": output,
        "usage": {
            "input_tokens": 300,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 5,
            "output_tokens_details": {"reasoning_tokens": 7},
            "total_tokens": 312,
            "cost_in_usd_ticks": 1234,
        },
        **fields,
    }


def test_function_calls_reasoning_and_image_estimate(image_bytes: Any) -> None:
    image = prepare_image(image_bytes(color="red", size=(900, 500)), detail="high")
    request = ChatRequest(
        MODEL,
        [
            user_message(
                [
                    text_part("look"),
                    {"type": "image_url", "image_url": {"url": image.url, "detail": "high"}},
                ]
            )
        ],
    )
    data = _response(
        [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "Checking."}],
                "encrypted_content": "enc-1",
            },
            {"type": "function_call", "call_id": "call_9", "name": "zoom", "arguments": "{}"},
        ]
    )
    completion = ENDPOINT.parse_response(data, request)
    assert completion.content is None and completion.finish_reason == "tool_calls"
    assert [(c.id, c.name, c.arguments) for c in completion.tool_calls] == [
        ("call_9", "zoom", "{}")
    ]
    assert completion.reasoning_content == "Checking."
    assert completion.reasoning_encrypted_content == "enc-1"
    assert completion.stored is False
    usage = completion.usage
    assert usage is not None and usage.image_tokens_estimated
    assert usage.image_tokens == estimate_image_tokens((900, 500), "high")
    assert usage.cost_in_usd_ticks == 1234


def test_a_url_image_is_estimated_at_its_most_and_low_detail_at_one_tile() -> None:
    request = ChatRequest(
        MODEL,
        [
            user_message(
                [
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {
                        "type": "image_url",
                        "image_url": {"url": "https://e.com/b.png", "detail": "low"},
                    },
                ]
            )
        ],
    )
    assert estimate_request_image_tokens(request) == 1792 + 256
    assert estimate_request_image_tokens(ChatRequest(MODEL, [user_message("x")])) is None


def test_an_incomplete_response_finishes_for_length_and_a_failed_one_raises() -> None:
    cut = _response(
        [
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hal"}],
            }
        ],
        status="incomplete",
        incomplete_details={"reason": "max_output_tokens"},
    )
    assert ENDPOINT.parse_response(cut).finish_reason == "length"
    failed = _response([], status="failed", error={"code": "server_error", "message": "boom"})
    with pytest.raises(APIError, match="boom"):
        ENDPOINT.parse_response(failed)


def _events(*events: tuple[str, dict[str, Any]]) -> list[SSEEvent]:
    return [SSEEvent(data=json.dumps({"type": name, **data}), event=name) for name, data in events]


def _stream(events: list[SSEEvent], request: ChatRequest | None = None) -> StreamAccumulator:
    parser = ENDPOINT.stream_parser(request)
    acc = StreamAccumulator()
    for event in events:
        item = parser.parse_event(event)
        if isinstance(item, ChatCompletionChunk):
            acc.add(item)
    return acc


def _call_event(stage: str, index: int, call_id: str, name: str, arguments: str) -> Any:
    """A ``response.output_item.<stage>`` event for a function call at output ``index``."""
    item = {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments}
    return (f"response.output_item.{stage}", {"output_index": index, "item": item})


CREATED = ("response.created", {"response": {"id": "r-1", "model": "grok-4", "created_at": 5}})


def test_a_stream_of_text_reasoning_and_a_split_call_assembles() -> None:
    done = _response(
        [{"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a": 1}'}],
        id="r-1",
        model="grok-4",
    )
    acc = _stream(
        _events(
            CREATED,
            ("response.in_progress", {"response": {"id": "r-1"}}),
            ("response.reasoning_summary_text.delta", {"output_index": 0, "delta": "Hm"}),
            ("response.reasoning_summary_text.done", {"output_index": 0, "text": "Hm"}),
            ("response.output_text.delta", {"output_index": 1, "content_index": 0, "delta": "Hi"}),
            ("response.output_text.delta", {"output_index": 1, "content_index": 0, "delta": "!"}),
            ("response.output_text.done", {"output_index": 1, "content_index": 0, "text": "Hi!"}),
            _call_event("added", 2, "c1", "f", ""),
            ("response.function_call_arguments.delta", {"output_index": 2, "delta": '{"a"'}),
            ("response.function_call_arguments.done", {"output_index": 2, "arguments": '{"a": 1}'}),
            _call_event("done", 2, "c1", "f", '{"a": 1}'),
            ("response.completed", {"response": done}),
        )
    )
    completion = acc.completion()
    assert (completion.id, completion.model, completion.created) == ("r-1", "grok-4", 5)
    assert completion.content == "Hi!" and completion.reasoning_content == "Hm"
    assert [(c.id, c.name, c.arguments) for c in completion.tool_calls] == [("c1", "f", '{"a": 1}')]
    assert completion.finish_reason == "tool_calls" and completion.stored is False
    assert completion.usage is not None and completion.usage.output_tokens == 12


def test_text_sent_only_in_done_events_is_not_lost() -> None:
    acc = _stream(
        _events(
            CREATED,
            ("response.output_text.done", {"output_index": 0, "content_index": 0, "text": "Whole"}),
            _call_event("added", 1, "c", "g", '{"b": 2}'),
            _call_event("done", 1, "c", "g", '{"b": 2}'),
            ("response.completed", {"response": _response([])}),
        )
    )
    completion = acc.completion()
    assert completion.content == "Whole"
    assert [c.arguments for c in completion.tool_calls] == ['{"b": 2}']


def test_failed_and_error_events_raise_stream_errors() -> None:
    parser = ENDPOINT.stream_parser()
    failed = _events(
        ("response.failed", {"response": {"error": {"code": "server_error", "message": "bad"}}})
    )
    with pytest.raises(StreamError, match="bad"):
        parser.parse_event(failed[0])
    error = _events(("error", {"code": "rate_limit", "message": "slow down"}))
    with pytest.raises(StreamError, match="slow down"):
        ENDPOINT.stream_parser().parse_event(error[0])


def test_an_inline_jpeg_with_large_metadata_is_still_sized() -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    comment = b"x" * 40_000  # a 40 KB comment before the frame header: past the first look
    Image.new("RGB", (900, 500), "red").save(buffer, "JPEG", comment=comment)
    uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    part = {"type": "image_url", "image_url": {"url": uri, "detail": "high"}}
    request = ChatRequest(MODEL, [user_message([part])])
    assert estimate_request_image_tokens(request) == estimate_image_tokens((900, 500), "high")
    tiny = "data:image/png;base64,AAAA"  # readable base64, no image in it: the most it can cost
    broken = ChatRequest(MODEL, [user_message([{"type": "image_url", "image_url": {"url": tiny}}])])
    assert estimate_request_image_tokens(broken) == 1792
