"""ChatXAIVision in real use against the emulator: chains, an agent loop, structured output,
streaming with usage and callbacks, several images, tools, limits, errors and the client."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.rate_limiters import InMemoryRateLimiter
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from xai_vision.emulator import Emulator
from xai_vision.emulator.catalog import resolve_model
from xai_vision.errors import (
    APITimeoutError,
    AuthenticationError,
    ImageDecodeError,
    ImageTooLargeError,
    MissingAPIKeyError,
    NotFoundError,
    RequestValidationError,
    StreamInterruptedError,
    TooManyImagesError,
)

from langchain_xai_vision import ChatXAIVision, image_block

PROMPT = "What is in these images?"


def _model(lc_params: dict[str, Any], **kwargs: Any) -> ChatXAIVision:
    return ChatXAIVision(**{**lc_params, **kwargs})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------- images


def test_several_images_in_every_form_keep_order_and_detail(
    lc_params: dict[str, Any],
    image_bytes: Callable[..., bytes],
    image_server: str,
    emulator: Emulator,
) -> None:
    red = image_bytes("red", (64, 48))
    blue = image_bytes("blue", (32, 32), fmt="JPEG")
    message = HumanMessage(
        content=[
            {"type": "text", "text": PROMPT},
            {"type": "image_url", "image_url": {"url": f"{image_server}/red.png", "detail": "low"}},
            {"type": "image", "base64": _b64(blue), "mime_type": "image/jpeg", "detail": "high"},
            {
                "type": "image",
                "source_type": "base64",
                "data": _b64(red),
                "mime_type": "image/png",
                "detail": "high",
            },
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/jpeg", "data": _b64(blue)},
            },
            image_block(red, detail="low"),
        ]
    )
    answer = _model(lc_params).invoke([message])
    lines = answer.text.splitlines()
    assert lines[0] == "I see 5 images."
    assert lines[1].startswith("Image 1: 64x48 png, detail low") and "red" in lines[1]
    assert lines[2].startswith("Image 2: 32x32 jpeg, detail high") and "blue" in lines[2]
    assert lines[3].startswith("Image 3: 64x48 png, detail high") and "red" in lines[3]
    assert lines[4].startswith("Image 4: 32x32 jpeg, detail auto") and "blue" in lines[4]
    assert lines[5].startswith("Image 5: 64x48 png, detail low")
    assert lines[-1] == f"You asked: {PROMPT}"
    usage = answer.usage_metadata
    assert usage is not None
    sent = emulator.last_request.body
    assert sent["messages"][0]["content"][1]["image_url"]["url"] == f"{image_server}/red.png"
    raw = answer.response_metadata["usage"]
    assert usage["input_token_details"]["image"] == raw["prompt_tokens_details"]["image_tokens"] > 0
    assert usage["input_tokens"] == raw["prompt_tokens"]


def test_bad_image_fails_before_any_request(lc_params: dict[str, Any], emulator: Emulator) -> None:
    message = HumanMessage(
        content=[
            {"type": "image", "base64": _b64(b"definitely not an image"), "mime_type": "image/png"},
            "what?",
        ]
    )
    with pytest.raises(ImageDecodeError, match="image 1"):
        _model(lc_params).invoke([message])
    with pytest.raises(RequestValidationError, match="file id"):
        _model(lc_params).invoke([HumanMessage(content=[{"type": "image", "file_id": "f-1"}])])
    assert emulator.requests == []


def test_image_policy_fields(
    lc_params: dict[str, Any], image_bytes: Callable[..., bytes], emulator: Emulator
) -> None:
    big = image_bytes("red", (1200, 900))
    block = {"type": "image", "base64": _b64(big), "mime_type": "image/png"}
    strict = _model(lc_params, image_policy="strict", max_image_edge=1000)
    with pytest.raises(ImageTooLargeError, match=r"1200"):
        strict.invoke([HumanMessage(content=[block])])
    capped = _model(lc_params, max_images_per_request=1)
    with pytest.raises(TooManyImagesError):
        capped.invoke([HumanMessage(content=[block, block])])
    assert emulator.requests == []

    resized = _model(lc_params, max_image_edge=600).invoke([HumanMessage(content=[block])])
    assert "Image 1: 600x450 png" in resized.text
    optimised = _model(lc_params, optimize_images=True).invoke(
        [HumanMessage(content=[{**block, "detail": "low"}])]
    )
    plain_size = emulator.requests[-2].body_size
    assert emulator.last_request.body_size < plain_size
    assert optimised.text.startswith("I see 1 image.")


# --------------------------------------------------------------------------- real usage


def test_lcel_chain_with_image_variable(
    lc_params: dict[str, Any], image_bytes: Callable[..., bytes]
) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You describe pictures."),
            (
                "user",
                [
                    {"type": "text", "text": "{question}"},
                    {"type": "image_url", "image_url": {"url": "{image_url}", "detail": "high"}},
                ],
            ),
        ]
    )
    chain = prompt | _model(lc_params) | StrOutputParser()
    data_uri = image_block(image_bytes("blue", (40, 40)))["image_url"]["url"]
    text = chain.invoke({"question": "Which colour dominates?", "image_url": data_uri})
    assert isinstance(text, str)
    assert text.splitlines()[1].startswith("Image 1: 40x40 png, detail high")
    assert "mostly blue" in text
    assert text.endswith("You asked: Which colour dominates?")


def test_agent_loop_with_a_tool_that_returns_an_image(
    lc_params: dict[str, Any], image_bytes: Callable[..., bytes], emulator: Emulator
) -> None:
    """A hand-written tool loop: the tool's result is a picture the model then reads."""

    @tool
    def take_photo(subject: str) -> str:
        """Take a photo of the subject and return it."""
        return subject

    model = _model(lc_params).bind_tools([take_photo], tool_choice="auto")
    messages: list[BaseMessage] = [HumanMessage("Use take_photo to photograph the sky.")]
    for _ in range(4):
        reply = model.invoke(messages)
        assert isinstance(reply, AIMessage)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            assert call["name"] == "take_photo"
            photo = image_block(image_bytes("blue", (50, 30)), detail="low")
            messages.append(
                ToolMessage(
                    content=[{"type": "text", "text": "the photo:"}, photo], tool_call_id=call["id"]
                )
            )
    final = messages[-1]
    assert isinstance(final, AIMessage)
    assert not final.tool_calls
    assert len(messages) == 4
    assert "50x30 png, detail low" in final.text
    sent = emulator.last_request.body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "take_photo"


class LineItem(BaseModel):
    """One line of an invoice."""

    description: str = Field(description="what was bought")
    quantity: int
    unit_price: float


class Invoice(BaseModel):
    """The line items and total of an invoice."""

    items: list[LineItem]
    total: float


EXPECTED_INVOICE = Invoice(
    items=[
        LineItem(description="Apples", quantity=3, unit_price=1.2),
        LineItem(description="Bread", quantity=1, unit_price=2.5),
        LineItem(description="Coffee", quantity=2, unit_price=4.0),
    ],
    total=14.1,
)


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_structured_output_from_an_invoice_image(
    lc_params: dict[str, Any], invoice_png: bytes, emulator: Emulator, method: str
) -> None:
    message = HumanMessage(
        content=[
            {
                "type": "text",
                "text": "Extract the line items and the total of this invoice "
                "as JSON with keys 'items' and 'total'.",
            },
            image_block(invoice_png, detail="high"),
        ]
    )
    if method == "json_mode":
        # JSON mode has no schema to fill: script the JSON a model would write for this image.
        emulator.queue_reply(json.dumps(EXPECTED_INVOICE.model_dump()))
    structured = _model(lc_params).with_structured_output(
        Invoice,
        method=method,
        include_raw=True,  # type: ignore[arg-type]
    )
    result = structured.invoke([message])
    assert isinstance(result["raw"], AIMessage)
    body = emulator.last_request.body
    assert body["messages"][0]["content"][1]["image_url"]["detail"] == "high"
    if method == "json_schema":
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "Invoice"
        assert "items" in body["response_format"]["json_schema"]["schema"]["properties"]
    elif method == "function_calling":
        assert body["tool_choice"] == {"type": "function", "function": {"name": "Invoice"}}
        assert body["tools"][0]["function"]["name"] == "Invoice"
    else:
        assert body["response_format"] == {"type": "json_object"}
        assert result["parsed"] == EXPECTED_INVOICE
    assert result["parsing_error"] is None
    invoice = result["parsed"]
    assert isinstance(invoice, Invoice)
    assert invoice.items and isinstance(invoice.items[0], LineItem)


def test_json_mode_sends_json_object(lc_params: dict[str, Any], emulator: Emulator) -> None:
    chain = _model(lc_params).with_structured_output(method="json_mode")
    result = chain.invoke("Answer in JSON.")
    assert isinstance(result, dict)
    assert emulator.last_request.body["response_format"] == {"type": "json_object"}


class _Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


def test_streaming_with_usage_and_callbacks(
    lc_params: dict[str, Any], image_bytes: Callable[..., bytes]
) -> None:
    handler = _Tokens()
    message = HumanMessage(content=[PROMPT, image_block(image_bytes("red"))])
    chunks = list(_model(lc_params).stream([message], config={"callbacks": [handler]}))
    assert len(chunks) > 3
    with_usage = [c for c in chunks if c.usage_metadata]
    assert with_usage == [chunks[-1]]
    assert chunks[-1].chunk_position == "last"
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    assert isinstance(full, AIMessageChunk)
    assert "".join(handler.tokens) == full.text
    assert len([t for t in handler.tokens if t]) > 3
    assert full.text.startswith("I see 1 image.")
    usage = full.usage_metadata
    assert usage is not None
    assert usage["input_token_details"]["image"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["model_name"] == "grok-4-fast-non-reasoning"


class _AsyncTokens(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []

    async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)


HELLO = "I see no images.\nYou asked: Hello"


async def test_async_handler_gets_every_token_on_astream_and_streaming_ainvoke(
    xai_emulator: Emulator,
) -> None:
    model = ChatXAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    handler = _AsyncTokens()
    chunks = [c async for c in model.astream("Hello", config={"callbacks": [handler]})]
    assert handler.tokens == [c.text for c in chunks]  # one callback per chunk, in order
    assert "".join(handler.tokens) == HELLO
    assert len([t for t in handler.tokens if t]) > 3
    handler = _AsyncTokens()
    answer = await model.model_copy(update={"streaming": True}).ainvoke(
        "Hello", config={"callbacks": [handler]}
    )
    assert xai_emulator.last_request.body["stream"] is True
    assert "".join(handler.tokens) == answer.text == HELLO
    assert len([t for t in handler.tokens if t]) > 3


def test_invoke_with_streaming_true_fires_per_token_callbacks(xai_emulator: Emulator) -> None:
    model = ChatXAIVision(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, streaming=True
    )
    handler = _Tokens()
    answer = model.invoke("Hello", config={"callbacks": [handler]})
    assert xai_emulator.last_request.body["stream"] is True
    assert len([t for t in handler.tokens if t]) > 3
    assert "".join(handler.tokens) == answer.text == HELLO
    assert answer.usage_metadata is not None  # the streamed answer still carries usage
    plain = ChatXAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    handler = _Tokens()
    assert plain.invoke("Hello", config={"callbacks": [handler]}).text == HELLO
    assert handler.tokens == []  # without streaming=True, invoke makes one plain request
    assert not xai_emulator.last_request.body.get("stream")


@pytest.mark.skipif(
    not hasattr(ChatXAIVision, "_chat_model_stream_v3"),
    reason="this langchain-core has no stream_events(version='v3') (added in 1.8)",
)
def test_stream_events_v3_projections(
    lc_params: dict[str, Any], image_bytes: Callable[..., bytes], responses: bool
) -> None:
    """LangChain's content-block stream (beta in langchain-core 1.8): text, usage with image
    tokens, tool calls and reasoning come out of its projections; callbacks get each token once."""
    model = _model(lc_params, use_responses_api=responses)
    handler = _Tokens()
    message = HumanMessage(content=[PROMPT, image_block(image_bytes("red"))])
    stream = model.stream_events([message], version="v3", config={"callbacks": [handler]})
    output = stream.output
    pieces = list(stream.text)
    assert len(pieces) > 3 and "".join(pieces) == str(stream.text) == output.text
    assert output.text.startswith("I see 1 image.")
    assert "".join(handler.tokens) == output.text
    assert output.content == [{"type": "text", "text": output.text, "index": 0}]
    usage = output.usage_metadata
    assert usage is not None and usage["input_token_details"]["image"] > 0
    assert output.response_metadata["finish_reason"] == "stop"

    called = model.bind_tools([add], tool_choice="add").stream_events(
        "Use a tool: add 2 and 3", version="v3"
    )
    assert [(c["name"], c["args"]) for c in called.output.tool_calls] == [("add", {"a": 2, "b": 3})]

    thinker = _model(lc_params, model="grok-3-mini", use_responses_api=responses)
    thought = thinker.stream_events("What is 2 + 2?", version="v3")
    blocks = thought.output.content
    assert [block["type"] for block in blocks] == ["reasoning", "text"]
    assert str(thought.reasoning) and str(thought.reasoning) == blocks[0]["reasoning"]


@pytest.mark.skipif(
    not hasattr(ChatXAIVision, "_achat_model_stream_v3"),
    reason="this langchain-core has no astream_events(version='v3') (added in 1.8)",
)
async def test_astream_events_v3_text_and_usage(
    lc_params: dict[str, Any], image_bytes: Callable[..., bytes], responses: bool
) -> None:
    """The async content-block stream: text deltas as they come, the whole message with usage."""
    model = _model(lc_params, use_responses_api=responses)
    message = HumanMessage(content=[PROMPT, image_block(image_bytes("red"))])
    stream = await model.astream_events([message], version="v3")
    pieces = [piece async for piece in stream.text]
    output = await stream.output
    assert len(pieces) > 3 and "".join(pieces) == output.text
    assert output.text.startswith("I see 1 image.")
    usage = output.usage_metadata
    assert usage is not None and usage["input_token_details"]["image"] > 0


async def test_streamed_metadata_carries_system_fingerprint_and_id(
    xai_emulator: Emulator,
) -> None:
    model = ChatXAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    info = resolve_model("grok-4-fast-non-reasoning")
    assert info is not None
    for chunks in (list(model.stream("Hello")), [c async for c in model.astream("Hello")]):
        full = chunks[0]
        for chunk in chunks[1:]:
            full = full + chunk
        metadata = full.response_metadata
        assert metadata["system_fingerprint"] == info.system_fingerprint
        assert isinstance(full.id, str) and full.id
        assert metadata["id"] == full.id
        assert {c.id for c in chunks} == {full.id}  # every chunk is one response
    other = model.invoke("Hello")
    assert other.response_metadata["system_fingerprint"] == info.system_fingerprint
    assert other.response_metadata["id"] == other.id != full.id


async def test_async_stream_events_and_batches(lc_params: dict[str, Any]) -> None:
    model = _model(lc_params)
    events = [e async for e in model.astream_events("Hello", version="v2")]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "on_chat_model_start" and kinds[-1] == "on_chat_model_end"
    streamed = "".join(
        e["data"]["chunk"].text for e in events if e["event"] == "on_chat_model_stream"
    )
    assert streamed == "I see no images.\nYou asked: Hello"
    answers = await model.abatch(["one", "two", "three"])
    assert [a.text.splitlines()[-1] for a in answers] == [
        "You asked: one",
        "You asked: two",
        "You asked: three",
    ]
    assert [a.text.splitlines()[-1] for a in model.batch(["four", "five"])] == [
        "You asked: four",
        "You asked: five",
    ]


def test_reasoning_content_in_additional_kwargs(lc_params: dict[str, Any], live: bool) -> None:
    model = _model(lc_params, model="grok-3-mini", reasoning_effort="high")
    answer = model.invoke("What is 2 + 2?")
    reasoning = answer.additional_kwargs.get("reasoning_content")
    assert isinstance(reasoning, str) and reasoning
    usage = answer.usage_metadata
    assert usage is not None
    assert usage["output_token_details"]["reasoning"] > 0
    raw = answer.response_metadata["usage"]
    assert usage["output_tokens"] == (
        raw["completion_tokens"] + raw["completion_tokens_details"]["reasoning_tokens"]
    )
    streamed: AIMessageChunk | None = None
    for chunk in model.stream("What is 2 + 2?"):
        streamed = chunk if streamed is None else streamed + chunk
    assert streamed is not None
    assert streamed.additional_kwargs.get("reasoning_content")
    if not live:
        assert streamed.additional_kwargs["reasoning_content"] == reasoning


# --------------------------------------------------------------------------- tools


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("multiply", {"type": "function", "function": {"name": "multiply"}}),
    ],
)
def test_tool_choice_spellings(
    lc_params: dict[str, Any], emulator: Emulator, choice: Any, wire: Any
) -> None:
    model = _model(lc_params).bind_tools([add, multiply], tool_choice=choice)
    reply = model.invoke("Use a tool: what is 6 times 7?")
    assert emulator.last_request.body["tool_choice"] == wire
    if choice == "multiply":
        assert [c["name"] for c in reply.tool_calls] == ["multiply"]
    if wire != "auto":
        assert reply.tool_calls


def test_parallel_tool_calls_invoke_and_stream(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    model = _model(lc_params).bind_tools([add, multiply], parallel_tool_calls=True)
    emulator.queue_reply(
        tool_calls=[
            {"name": "add", "arguments": {"a": 1, "b": 2}},
            {"name": "multiply", "arguments": {"a": 3, "b": 4}},
        ]
    )
    reply = model.invoke("add 1 and 2, and multiply 3 by 4")
    assert emulator.last_request.body["parallel_tool_calls"] is True
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("add", {"a": 1, "b": 2}),
        ("multiply", {"a": 3, "b": 4}),
    ]
    emulator.queue_reply(
        tool_calls=[
            {"name": "add", "arguments": {"a": 1, "b": 2}},
            {"name": "multiply", "arguments": {"a": 3, "b": 4}},
        ]
    )
    full: AIMessageChunk | None = None
    for chunk in model.stream("add 1 and 2, and multiply 3 by 4"):
        full = chunk if full is None else full + chunk
    assert full is not None
    assert [c["index"] for c in full.tool_call_chunks] == [0, 1]
    assert [c["name"] for c in full.tool_calls] == ["add", "multiply"]
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_split_tool_call_fragments_stream(lc_params: dict[str, Any], image_bytes: Any) -> None:
    """OpenAI-style argument fragments (as some proxies send) assemble into whole calls."""
    with Emulator(stream_tool_calls="split") as split:
        model = ChatXAIVision(api_key=split.api_key, base_url=split.base_url)
        split.queue_reply(tool_calls=[{"name": "add", "arguments": {"a": 10, "b": 32}}])
        full: AIMessageChunk | None = None
        for chunk in model.bind_tools([add]).stream("add 10 and 32"):
            full = chunk if full is None else full + chunk
    assert full is not None
    assert len(full.tool_call_chunks) > 1 or full.tool_calls
    assert full.tool_calls == [
        {
            "name": "add",
            "args": {"a": 10, "b": 32},
            "id": full.tool_calls[0]["id"],
            "type": "tool_call",
        }
    ]


def test_unknown_tool_choice_name_is_refused(lc_params: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError, match="names no bound tool"):
        _model(lc_params).bind_tools([add], tool_choice="subtract")


# --------------------------------------------------------------------------- client, limits, errors


class _CountingLimiter(InMemoryRateLimiter):
    """The real in-memory limiter, counting how often the model asks it for a slot."""

    def __init__(self) -> None:
        super().__init__(requests_per_second=50, check_every_n_seconds=0.005, max_bucket_size=1)
        self.acquired = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return super().acquire(blocking=blocking)

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return await super().aacquire(blocking=blocking)


def test_clients_made_once_and_rate_limiter_honoured(lc_params: dict[str, Any]) -> None:
    limiter = _CountingLimiter()
    model = _model(lc_params, rate_limiter=limiter)
    model.invoke("a")
    client = model._get_client()
    model.invoke("b")
    list(model.stream("c"))
    asyncio.run(model.ainvoke("d"))
    asyncio.run(model.ainvoke("e"))  # a second event loop: the async pool follows it
    assert model._get_client() is client
    assert limiter.acquired == 5


def test_timeout_is_enforced(lc_params: dict[str, Any], emulator: Emulator) -> None:
    emulator.set_latency(3.0)
    model = _model(lc_params, timeout=0.3, max_retries=0)
    started = time.perf_counter()
    with pytest.raises(APITimeoutError):
        model.invoke("slow")
    assert time.perf_counter() - started < 2.5
    emulator.set_latency(None)


def test_retries_on_429(lc_params: dict[str, Any], emulator: Emulator) -> None:
    emulator.fail_next(2, status=429, retry_after_ms=10)
    answer = _model(lc_params, max_retries=2).invoke("retry me")
    assert answer.text.endswith("You asked: retry me")
    assert len(emulator.requests) == 3


def test_api_key_is_secret_everywhere(lc_backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if lc_backend.emulator is None:
        pytest.skip("needs the emulator to refuse a key")
    secret = "xai-this-key-must-never-show-1234567890"
    with Emulator(invalid_keys=[secret]) as refusing:
        model = ChatXAIVision(api_key=secret, base_url=refusing.base_url, max_retries=0)
        with pytest.raises(AuthenticationError) as caught:
            model.invoke("hi")
    from langchain_core.load import dumps

    for text in (
        repr(model),
        str(model),
        str(caught.value),
        repr(caught.value),
        dumps(model),
        str(model.asdict()),
        str(model._get_ls_params()),
    ):
        assert secret not in text
        assert secret[-10:] not in text
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    keyless = ChatXAIVision(base_url=lc_backend.base_url)
    with pytest.raises(MissingAPIKeyError):
        keyless.invoke("hi")
    assert keyless.api_key is None


def test_headers_and_model_kwargs_reach_the_wire(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    model = _model(
        lc_params,
        default_headers={"X-Team": "vision"},
        model_kwargs={"user": "user-7"},
        seed=3,
        max_tokens=40,
    )
    model.invoke("hi", stop=["zzz"])
    sent = emulator.last_request
    headers = {k.lower(): v for k, v in sent.headers.items()}
    assert headers["x-team"] == "vision"
    assert (sent.body["user"], sent.body["seed"], sent.body["max_tokens"]) == ("user-7", 3, 40)
    assert sent.body["stop"] == ["zzz"]
    assert sent.body["model"] == "grok-4-fast-non-reasoning"


def test_stream_cut_short_raises_after_what_arrived(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    emulator.cut_stream(after_frames=3)
    received: list[AIMessageChunk] = []
    with pytest.raises(StreamInterruptedError):
        for chunk in _model(lc_params, max_retries=0).stream("a long enough question to stream"):
            received.append(chunk)
    assert received  # the text that did arrive was handed on before the error
    assert not any(c.usage_metadata for c in received)


async def test_api_errors_keep_their_type_async(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    emulator.queue_reply(status=404, error="The model grok-0 does not exist", code="Not found")
    with pytest.raises(NotFoundError, match="grok-0"):
        await _model(lc_params).ainvoke("hi")
