"""Golden tests: the core's own responses endpoint (``XAIClient(endpoint=ResponsesEndpoint())``)
against the emulator, plain and streamed, sync and async, gets what chat completions gets for
the same ChatRequest: the answer, tool calls, structured output, and tokens (the image tokens
the core estimates are the ones the emulator counts); conversations continue by
``previous_response_id``; faults mid-stream raise the core's stream errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx
import pytest
from sample_tools import ADD, WEATHER
from xai_vision.client import XAIClient
from xai_vision.emulator import Emulator
from xai_vision.endpoints import ChatCompletionsEndpoint, ResponsesEndpoint
from xai_vision.errors import (
    InternalServerError,
    NotFoundError,
    ResponseParseError,
    StreamError,
    StreamInterruptedError,
    UnprocessableEntityError,
)
from xai_vision.messages import (
    ChatRequest,
    ImageCollector,
    ImagePart,
    TextPart,
    assistant_message,
    json_schema_response_format,
    system_message,
    text_part,
    tool_message,
    user_message,
)
from xai_vision.models import ChatCompletion
from xai_vision.stream import StreamAccumulator

MODEL = "grok-4-fast-non-reasoning"
ImageFactory = Callable[..., bytes]
Way = Literal["create", "stream", "acreate", "astream"]
WAYS: tuple[Way, ...] = ("create", "stream", "acreate", "astream")


@pytest.fixture
def clients(xai_emulator: Emulator) -> Iterator[dict[str, XAIClient]]:
    """One client per endpoint against the test's emulator (no retries: faults surface)."""
    made = {
        name: XAIClient(
            api_key=xai_emulator.api_key,
            base_url=xai_emulator.base_url,
            timeout=10,
            max_retries=0,
            endpoint=endpoint,
        )
        for name, endpoint in (
            ("chat", ChatCompletionsEndpoint()),
            ("responses", ResponsesEndpoint()),
        )
    }
    yield made
    for client in made.values():
        client.close()


async def answer(client: XAIClient, request: ChatRequest, way: Way = "create") -> ChatCompletion:
    """The client's answer to ``request``, asked ``way`` (streams folded into one answer)."""
    if way == "create":
        return client.create(request)
    if way == "acreate":
        return await client.acreate(request)
    accumulator = StreamAccumulator()
    if way == "stream":
        for chunk in client.stream(request):
            accumulator.add(chunk)
    else:
        async for chunk in client.astream(request):
            accumulator.add(chunk)
    return accumulator.completion()


def image_request(image_bytes: ImageFactory, **fields: Any) -> ChatRequest:
    """A conversation with three inline images (one of several tiles) and a question."""
    collector = ImageCollector()
    parts: list[TextPart | ImagePart] = [
        text_part("What is in these images?"),
        collector.add(image_bytes(color="red", size=(64, 48)), detail="high"),
        collector.add(image_bytes(color="blue", size=(32, 32), fmt="JPEG")),
        collector.add(image_bytes(color="white", size=(1200, 700)), detail="high"),
    ]
    return ChatRequest(
        MODEL, [system_message("Describe carefully."), user_message(parts)], **fields
    )


@pytest.mark.parametrize("way", WAYS)
async def test_the_answer_and_its_tokens_are_the_chat_answers(
    clients: dict[str, XAIClient], image_bytes: ImageFactory, way: Way
) -> None:
    request = image_request(image_bytes)
    chat = await answer(clients["chat"], request)
    response = await answer(clients["responses"], request, way)

    assert response.content == chat.content
    assert response.content is not None and response.content.startswith("I see 3 images.")
    assert response.finish_reason == chat.finish_reason == "stop"
    assert response.stored is False  # the core asks not to store images (xAI's advice)
    usage, chat_usage = response.usage, chat.usage
    assert usage is not None and chat_usage is not None
    assert usage.image_tokens_estimated and not chat_usage.image_tokens_estimated
    assert usage.image_tokens == chat_usage.image_tokens > 3 * 256  # core estimate == count
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        chat_usage.prompt_tokens,
        chat_usage.completion_tokens,
        chat_usage.total_tokens,
    )
    assert usage.cost_in_usd_ticks == chat_usage.cost_in_usd_ticks


@pytest.mark.parametrize("way", WAYS)
async def test_tool_calls_and_a_forced_tool_are_the_chat_calls(
    clients: dict[str, XAIClient], way: Way
) -> None:
    both = ChatRequest(
        MODEL, [user_message("Weather in 'Paris'? Add 2 and 3")], tools=[WEATHER, ADD]
    )
    forced = ChatRequest(
        MODEL,
        [user_message("Add 2 and 3")],
        tools=[WEATHER, ADD],
        tool_choice={"type": "function", "function": {"name": "weather"}},
    )
    for request in (both, forced):
        chat = await answer(clients["chat"], request)
        response = await answer(clients["responses"], request, way)
        assert response.finish_reason == "tool_calls"
        assert response.tool_calls == chat.tool_calls
    assert [call.name for call in (await answer(clients["responses"], forced, way)).tool_calls] == [
        "weather"
    ]


@pytest.mark.parametrize("way", ["create", "stream"])
async def test_a_tool_round_trip_is_answered_and_counted_as_on_chat_completions(
    clients: dict[str, XAIClient], way: Way
) -> None:
    call = {"id": "call_7", "name": "weather", "arguments": {"city": "Oslo"}}
    request = ChatRequest(
        MODEL,
        [
            system_message("Use the tools."),
            user_message("Weather in 'Oslo'?"),
            assistant_message("Checking.", tool_calls=[call]),
            tool_message("call_7", "rainy"),
        ],
        tools=[WEATHER],
    )
    chat = await answer(clients["chat"], request)
    response = await answer(clients["responses"], request, way)
    assert response.content == chat.content
    assert response.content is not None
    assert response.content.startswith("Tool weather returned: rainy\n")
    assert response.usage is not None and chat.usage is not None
    assert response.usage.prompt_tokens == chat.usage.prompt_tokens


@pytest.mark.parametrize("way", ["create", "astream"])
async def test_structured_output_is_the_chat_output(
    clients: dict[str, XAIClient], way: Way
) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    }
    request = ChatRequest(
        MODEL,
        [user_message("Plan 'Lisbon' for 4 days")],
        response_format=json_schema_response_format(schema, name="plan", strict=True),
    )
    chat = await answer(clients["chat"], request)
    response = await answer(clients["responses"], request, way)
    assert response.content == chat.content == '{"city":"Lisbon","days":4}'
    assert response.usage is not None and chat.usage is not None
    assert response.usage.prompt_tokens == chat.usage.prompt_tokens


@pytest.mark.parametrize("way", ["create", "stream"])
async def test_max_tokens_cuts_both_the_same_way(clients: dict[str, XAIClient], way: Way) -> None:
    request = ChatRequest(MODEL, [user_message("Say a lot")], max_tokens=3)
    chat = await answer(clients["chat"], request)
    response = await answer(clients["responses"], request, way)
    assert response.content == chat.content == "I see no ima"
    assert response.finish_reason == chat.finish_reason == "length"


@pytest.mark.parametrize("way", ["acreate", "stream"])
async def test_reasoning_and_its_encrypted_content_come_back(
    clients: dict[str, XAIClient], way: Way
) -> None:
    request = ChatRequest("grok-3-mini", [user_message("Think")], store=False)
    chat = await answer(clients["chat"], ChatRequest("grok-3-mini", request.messages))
    first = await answer(clients["responses"], request, way)
    assert first.reasoning_content == chat.reasoning_content
    assert first.reasoning_content  # grok-3-mini shows its reasoning
    assert first.reasoning_encrypted_content  # the core asked for it (store=False)
    assert first.usage is not None and chat.usage is not None
    assert first.usage.reasoning_tokens == chat.usage.reasoning_tokens > 0
    follow_up = ChatRequest(
        "grok-3-mini",
        [
            user_message("Think"),
            assistant_message(
                first.content,
                reasoning_content=first.reasoning_content,
                reasoning_encrypted_content=first.reasoning_encrypted_content,
            ),
            user_message("Again"),
        ],
        store=False,
    )
    second = await answer(clients["responses"], follow_up, way)
    assert second.content is not None and second.content.endswith("You asked: Again")


@pytest.mark.parametrize("way", ["create", "astream"])
async def test_previous_response_id_continues_and_counts_the_whole_conversation(
    xai_emulator: Emulator, clients: dict[str, XAIClient], way: Way
) -> None:
    responses = clients["responses"]
    first = await answer(responses, ChatRequest(MODEL, [user_message("First question")]), way)
    assert first.stored is True  # no image: xAI's default, stored
    second = await answer(
        responses,
        ChatRequest(MODEL, [user_message("Second question")], previous_response_id=first.id),
        way,
    )
    assert second.content == "I see no images.\nYou asked: Second question"
    whole = await answer(
        clients["chat"],
        ChatRequest(
            MODEL,
            [
                user_message("First question"),
                assistant_message(first.content),
                user_message("Second question"),
            ],
        ),
    )
    assert second.usage is not None and whole.usage is not None
    assert second.usage.prompt_tokens == whole.usage.prompt_tokens

    headers = {"Authorization": f"Bearer {xai_emulator.api_key}"}
    with httpx.Client(base_url=xai_emulator.base_url, headers=headers, timeout=10) as http:
        assert http.get(f"/responses/{first.id}").json()["id"] == first.id
        assert http.delete(f"/responses/{first.id}").json()["deleted"] is True
        assert http.get(f"/responses/{first.id}").status_code == 404
    with pytest.raises(NotFoundError, match="not found"):
        await answer(
            responses,
            ChatRequest(MODEL, [user_message("Third")], previous_response_id=first.id),
            way,
        )


@pytest.mark.parametrize(
    ("endpoint", "extra"),
    [("chat", {"metadata": {"run": "1"}}), ("responses", {"not_a_field": 1})],
)
async def test_unknown_body_fields_are_unprocessable_on_both_endpoints(
    clients: dict[str, XAIClient], endpoint: str, extra: dict[str, Any]
) -> None:
    request = ChatRequest(MODEL, [user_message("hi")], extra=extra)
    with pytest.raises(UnprocessableEntityError, match=f"unknown field `{next(iter(extra))}`"):
        await answer(clients[endpoint], request)


async def test_fields_only_the_responses_endpoint_lists_pass_there(
    clients: dict[str, XAIClient],
) -> None:
    request = ChatRequest(
        MODEL, [user_message("hi")], extra={"metadata": {"run": "1"}, "instructions": "Be brief."}
    )
    completion = await answer(clients["responses"], request)
    assert completion.raw["metadata"] == {"run": "1"}
    assert completion.raw["instructions"] == "Be brief."


def _faulty(emulator: Emulator, fault: str) -> None:
    if fault == "cut":
        emulator.cut_stream(after_frames=4)
    elif fault == "reset":
        emulator.cut_stream(after_frames=4, reset=True)
    elif fault == "failed":
        emulator.fail_stream(4, message="the model crashed")
    elif fault == "error":
        emulator.fail_stream(0, status=503)
    else:
        emulator.malformed_next("sse")


@pytest.mark.parametrize(
    ("fault", "raised"),
    [
        ("cut", StreamInterruptedError),
        ("reset", StreamInterruptedError),
        ("failed", StreamError),
        ("error", StreamError),
        ("malformed", ResponseParseError),
    ],
)
@pytest.mark.parametrize("way", ["stream", "astream"])
async def test_faults_mid_stream_raise_the_cores_stream_errors(
    xai_emulator: Emulator,
    clients: dict[str, XAIClient],
    fault: str,
    raised: type[Exception],
    way: Way,
) -> None:
    _faulty(xai_emulator, fault)
    request = ChatRequest(MODEL, [user_message("A question long enough for several deltas")])
    with pytest.raises(raised) as caught:
        await answer(clients["responses"], request, way)
    if fault == "failed":
        assert "the model crashed" in str(caught.value)
    if fault == "error":
        assert "currently unavailable" in str(caught.value)
    assert sum(xai_emulator.fault_counts().values()) == 1


async def test_an_injected_error_status_is_the_cores_typed_error(
    xai_emulator: Emulator, clients: dict[str, XAIClient]
) -> None:
    xai_emulator.fail_next(status=500)
    with pytest.raises(InternalServerError):
        await answer(clients["responses"], ChatRequest(MODEL, [user_message("hi")]), "acreate")
