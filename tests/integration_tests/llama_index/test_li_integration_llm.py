"""XAIVision against the emulator: blocks with images, streams, errors, tools, structured output."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.program import FunctionCallingProgram
from llama_index.core.prompts import ChatPromptTemplate, PromptTemplate
from llama_index.core.schema import ImageDocument
from llama_index.core.tools import FunctionTool
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel, Field
from xai_vision.emulator import Emulator
from xai_vision.errors import (
    BadRequestError,
    InvalidAPIKeyError,
    NotFoundError,
    RateLimitError,
    RequestValidationError,
)

from llama_index_xai_vision import XAIVision

ImageFactory = Callable[..., bytes]


@pytest.fixture
def llm(xai_emulator: Emulator) -> XAIVision:
    return XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, max_retries=0)


@pytest.fixture
def photo(png_path: Callable[..., str]) -> ChatMessage:
    path = png_path("photo.png", color="red", size=(64, 48))
    return ChatMessage(
        role="user",
        blocks=[TextBlock(text="What is in this image?"), ImageBlock(path=Path(path))],
    )


ANSWER = (
    "I see 1 image.\n"
    "Image 1: 64x48 png, detail auto, landscape, bright, mostly red.\n"
    "You asked: What is in this image?"
)


def test_chat_with_an_image_block(llm: XAIVision, photo: ChatMessage) -> None:
    response = llm.chat([photo])
    assert response.message.content == ANSWER
    usage = response.raw["usage"]
    assert (
        response.additional_kwargs["image_tokens"] == usage["prompt_tokens_details"]["image_tokens"]
    )
    assert response.additional_kwargs["image_tokens"] > 0


def test_streams_accumulate_content_and_carry_delta(llm: XAIVision, photo: ChatMessage) -> None:
    chunks = list(llm.stream_chat([photo]))
    assert chunks[-1].message.content == ANSWER
    assert "".join(c.delta or "" for c in chunks) == ANSWER
    assert chunks[-1].raw["usage"]["prompt_tokens"] == chunks[-1].additional_kwargs["prompt_tokens"]
    completions = list(llm.stream_complete("hello"))
    assert completions[-1].text == "I see no images.\nYou asked: hello"
    assert "".join(c.delta or "" for c in completions) == completions[-1].text


def test_complete(llm: XAIVision) -> None:
    response = llm.complete("Just text")
    assert response.text == "I see no images.\nYou asked: Just text"
    assert response.additional_kwargs["image_tokens"] == 0


def test_complete_takes_image_documents_too(
    llm: XAIVision, png_path: Callable[..., str], xai_emulator: Emulator
) -> None:
    document = ImageDocument(image_path=png_path("doc.png", color="red", size=(64, 48)))
    response = llm.complete("What is in this image?", image_documents=[document])
    assert response.text == ANSWER
    assert "image_documents" not in xai_emulator.last_request.body


async def test_async_chat_complete_and_streams(llm: XAIVision, photo: ChatMessage) -> None:
    assert (await llm.achat([photo])).message.content == ANSWER
    assert (await llm.acomplete("hi")).text.endswith("You asked: hi")
    chunks = [c async for c in await llm.astream_chat([photo])]
    assert chunks[-1].message.content == ANSWER
    assert "total_tokens" in chunks[-1].additional_kwargs
    texts = [c async for c in await llm.astream_complete("hi")]
    assert texts[-1].text.endswith("You asked: hi")


def test_reasoning_model_reports_reasoning(xai_emulator: Emulator) -> None:
    llm = XAIVision(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, model="grok-3-mini"
    )
    response = llm.chat([ChatMessage(role="user", content="think")])
    assert response.additional_kwargs["reasoning_tokens"] > 0
    usage = response.raw["usage"]
    assert usage["total_tokens"] == (
        usage["prompt_tokens"]
        + usage["completion_tokens"]
        + usage["completion_tokens_details"]["reasoning_tokens"]
    )
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and thinking[0].content


# ------------------------------------------------------------------ errors surface unchanged


def test_server_errors_surface_as_core_errors(llm: XAIVision, xai_emulator: Emulator) -> None:
    xai_emulator.queue_reply(status=400, error="bad thing", code="Client specified an invalid")
    with pytest.raises(BadRequestError, match="bad thing"):
        llm.complete("x")
    xai_emulator.fail_next(status=429)
    with pytest.raises(RateLimitError) as info:
        llm.chat([ChatMessage(role="user", content="x")])
    assert info.value.status_code == 429
    xai_emulator.fail_next(status=429)
    with pytest.raises(RateLimitError):
        list(llm.stream_chat([ChatMessage(role="user", content="x")]))


def test_unknown_model_and_wrong_key(xai_emulator: Emulator) -> None:
    unknown = XAIVision(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, model="grok-nope"
    )
    with pytest.raises(NotFoundError):
        unknown.complete("x")
    wrong_key = "xai-wrong-key-abcdef123456"
    with Emulator(invalid_keys=[wrong_key]) as emulator:
        llm = XAIVision(api_key=wrong_key, base_url=emulator.base_url)
        with pytest.raises(InvalidAPIKeyError) as info:
            llm.complete("x")
    assert wrong_key not in str(info.value)


# ------------------------------------------------------------------ tools


def weather(city: str) -> str:
    """The current weather in a city."""
    return f"21 C and sunny in {city}"


def test_chat_with_tools_and_tool_calls(llm: XAIVision, xai_emulator: Emulator) -> None:
    tool = FunctionTool.from_defaults(fn=weather)
    response = llm.chat_with_tools([tool], user_msg='What is the weather in "Paris"?')
    body = xai_emulator.last_request.body
    assert body["tools"][0]["function"]["name"] == "weather"
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False
    [selection] = llm.get_tool_calls_from_response(response)
    assert selection.tool_name == "weather"
    assert selection.tool_kwargs == {"city": "Paris"}
    assert selection.tool_id.startswith("call_")

    # The call and its result go back as history; the model answers from the result.
    history = [
        ChatMessage(role="user", content='What is the weather in "Paris"?'),
        response.message,
        ChatMessage(
            role="tool",
            content=weather(**selection.tool_kwargs),
            additional_kwargs={"tool_call_id": selection.tool_id},
        ),
    ]
    final = llm.chat_with_tools([tool], chat_history=history)
    assert "Tool weather returned: 21 C and sunny in Paris" in (final.message.content or "")
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []
    sent = xai_emulator.last_request.body["messages"]
    assert sent[1]["tool_calls"][0]["id"] == selection.tool_id
    assert sent[2] == {
        "role": "tool",
        "tool_call_id": selection.tool_id,
        "content": "21 C and sunny in Paris",
    }


def test_tool_required_and_named_choice(llm: XAIVision, xai_emulator: Emulator) -> None:
    tool = FunctionTool.from_defaults(fn=weather)
    llm.chat_with_tools([tool], user_msg="hi", tool_required=True)
    assert xai_emulator.last_request.body["tool_choice"] == "required"
    llm.chat_with_tools([tool], user_msg="hi", tool_choice="weather")
    assert xai_emulator.last_request.body["tool_choice"] == {
        "type": "function",
        "function": {"name": "weather"},
    }
    sent = len(xai_emulator.requests)
    # The core's one tool_choice rule: a name no given tool has fails before any request.
    with pytest.raises(RequestValidationError, match="'nope' names no bound tool"):
        llm.chat_with_tools([tool], user_msg="hi", tool_choice="nope")
    assert len(xai_emulator.requests) == sent


def test_parallel_calls_are_cut_to_one_unless_allowed(
    llm: XAIVision, xai_emulator: Emulator
) -> None:
    calls = [
        {"name": "weather", "arguments": {"city": "Paris"}},
        {"name": "weather", "arguments": {"city": "Rome"}},
    ]
    tool = FunctionTool.from_defaults(fn=weather)
    xai_emulator.queue_reply(tool_calls=calls)
    single = llm.chat_with_tools([tool], user_msg="both")
    assert [s.tool_kwargs for s in llm.get_tool_calls_from_response(single)] == [{"city": "Paris"}]
    xai_emulator.queue_reply(tool_calls=calls)
    both = llm.chat_with_tools([tool], user_msg="both", allow_parallel_tool_calls=True)
    assert [s.tool_kwargs for s in llm.get_tool_calls_from_response(both)] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]


@pytest.mark.parametrize("mode", ["whole", "split"])
def test_streamed_tool_calls_whole_or_split(mode: str) -> None:
    with Emulator(stream_tool_calls=mode) as emulator:  # type: ignore[arg-type]
        llm = XAIVision(api_key=emulator.api_key, base_url=emulator.base_url)
        tool = FunctionTool.from_defaults(fn=weather)
        chunks = list(llm.stream_chat_with_tools([tool], user_msg='Weather in "Oslo"?'))
    blocks = [b for b in chunks[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert [b.tool_name for b in blocks] == ["weather"]
    [selection] = llm.get_tool_calls_from_response(chunks[-1])
    assert selection.tool_kwargs == {"city": "Oslo"}


# ------------------------------------------------------------------ structured output


class Photo(BaseModel):
    """What a photo shows."""

    description: str = Field(description="What the image shows")
    objects: int = Field(description="How many objects")


def test_structured_predict_from_an_image(
    llm: XAIVision, xai_emulator: Emulator, png_path: Callable[..., str]
) -> None:
    path = png_path("blue.png", color="blue", size=(40, 30))
    prompt = ChatPromptTemplate(
        message_templates=[
            ChatMessage(
                role="user",
                blocks=[TextBlock(text="Describe {what}; 2 objects."), ImageBlock(path=Path(path))],
            )
        ]
    )
    result = llm.structured_predict(Photo, prompt, what="the photo")
    assert isinstance(result, Photo)
    # The emulator fills strings from what it saw, numbers from the prompt.
    assert result.description == "40x30 png, detail auto, landscape, dark, mostly blue"
    assert result.objects == 2
    response_format = xai_emulator.last_request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Photo"
    assert response_format["json_schema"]["schema"]["required"] == ["description", "objects"]


async def test_astructured_predict_and_structured_llm(
    llm: XAIVision, png_path: Callable[..., str]
) -> None:
    path = png_path("green.png", color="green", size=(30, 30))
    message = ChatMessage(
        role="user", blocks=[TextBlock(text="Describe it; 5 objects."), ImageBlock(path=path)]
    )
    prompt = ChatPromptTemplate(message_templates=[message])
    result = await llm.astructured_predict(Photo, prompt)
    assert result.objects == 5
    assert result.description.endswith("mostly green")

    structured = llm.as_structured_llm(Photo)
    response = structured.chat([message])
    assert isinstance(response.raw, Photo)
    assert response.raw.description.endswith("mostly green")


def test_response_format_accepts_a_pydantic_class(llm: XAIVision, xai_emulator: Emulator) -> None:
    response = llm.complete("Describe; 3 objects.", response_format=Photo)
    assert Photo.model_validate_json(response.text).objects == 3
    assert xai_emulator.last_request.body["response_format"]["json_schema"]["name"] == "Photo"


class Pet(BaseModel):
    """A pet."""

    name: str
    age: int


PET_PROMPT = PromptTemplate('A pet called "Rex", aged {age} years')


def test_stream_structured_predict_yields_growing_objects(
    llm: XAIVision, xai_emulator: Emulator
) -> None:
    partials = list(llm.stream_structured_predict(Pet, PET_PROMPT, age=4))
    assert len(partials) > 1
    assert partials[-1] == Pet(name="Rex", age=4)
    assert xai_emulator.last_request.body["response_format"]["json_schema"]["name"] == "Pet"
    assert xai_emulator.last_request.body["stream"] is True


async def test_astream_structured_predict(llm: XAIVision) -> None:
    partials = [p async for p in await llm.astream_structured_predict(Pet, PET_PROMPT, age=9)]
    assert partials[-1] == Pet(name="Rex", age=9)


def test_function_calling_program_streams_through_tool_calls(
    llm: XAIVision, xai_emulator: Emulator
) -> None:
    # The program reads message.additional_kwargs["tool_calls"] while streaming.
    program = FunctionCallingProgram.from_defaults(
        output_cls=Pet, prompt_template_str='A pet called "Rex", aged {age} years', llm=llm
    )
    assert list(program.stream_call(age=5))[-1] == Pet(name="Rex", age=5)
    assert program(age=6) == Pet(name="Rex", age=6)
    assert xai_emulator.last_request.body["tools"][0]["function"]["name"] == "Pet"


def test_one_instance_serves_several_event_loops_and_concurrent_calls(llm: XAIVision) -> None:
    # One client per instance must still work when each asyncio.run brings a new loop.
    for question in ("first", "second"):
        assert asyncio.run(llm.acomplete(question)).text.endswith(f"You asked: {question}")

    async def many() -> list[str]:
        answers = await asyncio.gather(*(llm.acomplete(f"q{i}") for i in range(12)))
        return [a.text for a in answers]

    assert [text.rsplit(" ", 1)[-1] for text in asyncio.run(many())] == [f"q{i}" for i in range(12)]
    assert llm.complete("sync again").text.endswith("sync again")


def test_function_program_mode_uses_tools_instead(xai_emulator: Emulator) -> None:
    llm = XAIVision(
        api_key=xai_emulator.api_key,
        base_url=xai_emulator.base_url,
        pydantic_program_mode=PydanticProgramMode.FUNCTION,
    )
    assert llm.structured_predict(Pet, PET_PROMPT, age=7) == Pet(name="Rex", age=7)
    body = xai_emulator.last_request.body
    assert "response_format" not in body
    assert body["tools"][0]["function"]["name"] == "Pet"
    assert list(llm.stream_structured_predict(Pet, PET_PROMPT, age=8))[-1] == Pet(name="Rex", age=8)
    assert "response_format" not in xai_emulator.last_request.body


async def test_close_releases_pools_and_later_calls_reopen(llm: XAIVision) -> None:
    await llm.acomplete("warm the async pool")
    llm.complete("warm the sync pool")
    await llm.aclose()
    llm.close()
    assert (await llm.acomplete("again")).text.endswith("You asked: again")
    assert llm.complete("again").text.endswith("You asked: again")
