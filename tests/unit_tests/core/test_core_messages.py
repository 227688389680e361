"""Wire messages: exact shapes, interleaving, tool calls, the image collector and ChatRequest."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from PIL import Image
from xai_vision import _json
from xai_vision.errors import (
    ImageDecodeError,
    ImageSourceError,
    RequestValidationError,
    TooManyImagesError,
)
from xai_vision.images import ImageOptions, prepare_image
from xai_vision.messages import (
    ChatRequest,
    ImageCollector,
    assistant_message,
    function_tool,
    image_part,
    system_message,
    text_part,
    tool_message,
    user_message,
)
from xai_vision.models import ToolCall


def png(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


# --------------------------------------------------------------------------- parts and messages


def test_text_and_image_parts_have_the_wire_shape() -> None:
    assert text_part("hi") == {"type": "text", "text": "hi"}
    image = prepare_image(png(), detail="high")
    assert image_part(image) == {
        "type": "image_url",
        "image_url": {"url": data_uri(png()), "detail": "high"},
    }
    remote = prepare_image("https://example.com/x.png")
    assert image_part(remote) == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/x.png"},
    }


def test_user_message_interleaves_text_and_several_images_in_order() -> None:
    red, blue = prepare_image(png("red"), detail="low"), prepare_image(png("blue"))
    message = user_message(["first", red, "between", blue, text_part("last")])
    assert message == {
        "role": "user",
        "content": [
            {"type": "text", "text": "first"},
            {"type": "image_url", "image_url": {"url": data_uri(png("red")), "detail": "low"}},
            {"type": "text", "text": "between"},
            {"type": "image_url", "image_url": {"url": data_uri(png("blue"))}},
            {"type": "text", "text": "last"},
        ],
    }


def test_images_may_come_first_and_parts_may_be_dicts() -> None:
    part = {"type": "image_url", "image_url": {"url": "https://e.com/a.png", "detail": "auto"}}
    message = user_message([part, "what is this?"])
    assert message["content"][0] == part
    assert message["content"][1] == {"type": "text", "text": "what is this?"}


def test_plain_string_content_stays_a_string() -> None:
    assert user_message("hello") == {"role": "user", "content": "hello"}
    assert system_message("be brief") == {"role": "system", "content": "be brief"}


def test_system_and_assistant_messages_take_images_like_user_messages() -> None:
    # xAI's Message schema gives every role the same Content type (string or parts).
    image = prepare_image(png(), detail="low")
    assert system_message(["a", text_part("b")])["content"] == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]
    assert system_message(["Style guide:", image])["content"] == [
        {"type": "text", "text": "Style guide:"},
        image_part(image),
    ]
    assert assistant_message([image, "I drew this."])["content"] == [
        image_part(image),
        {"type": "text", "text": "I drew this."},
    ]
    request = ChatRequest(
        "grok-4",
        [system_message([image]), assistant_message([image]), user_message("Same?")],
    )
    assert len(request.images()) == 2


def test_names_on_system_user_and_assistant_messages() -> None:
    assert system_message("x", name="ops") == {"role": "system", "content": "x", "name": "ops"}
    assert user_message("x", name="ann")["name"] == "ann"
    assert assistant_message("x", name="bot")["name"] == "bot"
    assert "name" not in user_message("x")
    for bad in ("", 3):
        with pytest.raises(RequestValidationError, match="user message: name must be a non-empty"):
            user_message("x", name=bad)  # type: ignore[arg-type]


def test_chat_request_checks_names() -> None:
    ChatRequest("grok-4", [{"role": "user", "content": "x", "name": "ann"}])
    with pytest.raises(RequestValidationError, match=r"messages\[0\]: name must be"):
        ChatRequest("grok-4", [{"role": "user", "content": "x", "name": 7}])  # type: ignore[typeddict-item]
    with pytest.raises(RequestValidationError, match="tool messages take no name"):
        ChatRequest(
            "grok-4",
            [{"role": "tool", "tool_call_id": "c", "content": "x", "name": "t"}],  # type: ignore[typeddict-unknown-key]
        )


def test_an_image_url_is_recognised_in_any_case_by_builders_and_request_alike() -> None:
    """prepare_image keeps "HTTPS://..." as a URL; the request's part check agrees with it."""
    prepared = prepare_image("HTTPS://example.com/cat.png", detail="low")
    part = {"type": "image_url", "image_url": {"url": "Http://example.com/dog.png"}}
    request = ChatRequest("grok-4", [user_message(["Both?", prepared, part])])
    assert [image["url"] for image in request.images()] == [
        "HTTPS://example.com/cat.png",
        "Http://example.com/dog.png",
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ([], "content has no parts"),
        ([{"type": "audio", "audio": "x"}], "unknown content part type 'audio'"),
        ([{"type": "text"}], "needs a str 'text'"),
        ([{"type": "image_url", "image_url": {}}], "needs {'url': str}"),
        ([{"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}], "http(s) URL or a"),
        (
            [{"type": "image_url", "image_url": {"url": "https://e.com/a", "detail": "max"}}],
            "detail must be one of",
        ),
        (
            [{"type": "image_url", "image_url": {"url": "https://e.com/a", "file_id": "f"}}],
            "unknown image_url keys",
        ),
        ([42], "got int"),
        (b"bytes", "got bytes"),
    ],
)
def test_bad_content_is_refused_with_the_reason(content: Any, reason: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        user_message(content)
    assert reason in str(info.value)


def test_assistant_message_with_tool_calls_in_every_accepted_form() -> None:
    message = assistant_message(
        tool_calls=[
            ToolCall(id="call_1", name="weather", arguments='{"city":"Porto"}'),
            {"id": "call_2", "type": "function", "function": {"name": "add", "arguments": "{}"}},
            {"id": "call_3", "name": "multiply", "arguments": {"a": 2, "b": 3}},
        ],
        reasoning_content="I should look this up.",
    )
    assert message == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city":"Porto"}'},
            },
            {"id": "call_2", "type": "function", "function": {"name": "add", "arguments": "{}"}},
            {
                "id": "call_3",
                "type": "function",
                "function": {"name": "multiply", "arguments": '{"a":2,"b":3}'},
            },
        ],
        "reasoning_content": "I should look this up.",
    }


def test_assistant_message_text_only() -> None:
    assert assistant_message("Olá!") == {"role": "assistant", "content": "Olá!"}


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({}, "needs content or tool_calls"),
        ({"tool_calls": [{"name": "f", "arguments": "{}"}]}, "non-empty str 'id'"),
        ({"tool_calls": [{"id": "c", "arguments": "{}"}]}, "function name"),
        ({"tool_calls": [{"id": "c", "name": "f", "arguments": 3}]}, "JSON str or a dict"),
        ({"tool_calls": [{"id": "c", "type": "web", "name": "f"}]}, "type must be 'function'"),
        ({"tool_calls": ["call"]}, "expected a ToolCall or a dict"),
    ],
)
def test_bad_assistant_messages(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        assistant_message(**kwargs)
    assert reason in str(info.value)


def test_tool_message_may_carry_images() -> None:
    image = prepare_image(png("green"))
    message = tool_message("call_1", ["40 C", image])
    assert message == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": [
            {"type": "text", "text": "40 C"},
            {"type": "image_url", "image_url": {"url": data_uri(png("green"))}},
        ],
    }
    assert tool_message("call_1", "40 C") == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "40 C",
    }
    with pytest.raises(RequestValidationError, match="tool_call_id"):
        tool_message("", "x")


# --------------------------------------------------------------------------- collector


def test_collector_numbers_images_from_one_across_messages() -> None:
    collector = ImageCollector()
    first = user_message(["a", collector.add(png("red"), detail="low")])
    second = user_message([collector.add("https://example.com/b.png"), collector.add(png())])
    assert [image.index for image in collector.images] == [1, 2, 3]
    assert len(collector) == 3
    assert first["content"][1]["image_url"]["detail"] == "low"  # type: ignore[index,typeddict-item]
    assert second["content"][0]["image_url"] == {"url": "https://example.com/b.png"}  # type: ignore[index,typeddict-item]
    assert collector.estimated_tokens == 256 + 512  # the URL cannot be sized


def test_collector_errors_name_the_image_index() -> None:
    collector = ImageCollector()
    collector.add(png())
    with pytest.raises(ImageDecodeError, match=r"^image 2 \(bytes\[5\]\): not an image"):
        collector.add(b"hello")
    with pytest.raises(ImageSourceError, match=r"^image 2 \(nope\.png\)"):
        collector.add("nope.png")


def test_collector_enforces_the_per_request_cap_before_preparing() -> None:
    collector = ImageCollector(ImageOptions(max_images_per_request=2))
    collector.add(png())
    collector.add(png())
    with pytest.raises(TooManyImagesError, match="max_images_per_request=2"):
        collector.add(b"not even an image")  # refused for the count, before any decoding


def test_collector_uses_its_options_and_renumbers_prepared_images() -> None:
    collector = ImageCollector(ImageOptions(max_edge=32))
    collector.add(png(size=(64, 48)))
    assert (collector.images[0].width, collector.images[0].height) == (32, 24)
    prepared = prepare_image(png("blue"), detail="high", index=9)
    part = collector.add(prepared)
    assert collector.images[1].index == 2
    assert part["image_url"].get("detail") == "high"
    collector.add(prepared, detail="low")
    assert collector.images[2].detail == "low"
    assert collector.images[2].url == prepared.url


# --------------------------------------------------------------------------- tools, formats


# --------------------------------------------------------------------------- ChatRequest


def conversation() -> list[Any]:
    return [
        system_message("Be brief."),
        user_message(["What is this?", prepare_image(png(), detail="high")]),
        assistant_message(tool_calls=[{"id": "c1", "name": "look", "arguments": "{}"}]),
        tool_message("c1", "a red square"),
    ]


def test_chat_request_body_has_model_messages_then_set_params_in_a_fixed_order() -> None:
    request = ChatRequest(
        model="a-model-the-catalogue-does-not-know",  # so no model rule refuses the fields
        messages=conversation(),
        reasoning_effort="low",
        temperature=0.2,
        stop=["END"],
        tools=[function_tool("look")],
        tool_choice={"type": "function", "function": {"name": "look"}},
        response_format={"type": "json_object"},
        extra={"user": "u-1"},
    )
    body = request.to_body()
    assert list(body) == [
        "model",
        "messages",
        "temperature",
        "stop",
        "tools",
        "tool_choice",
        "response_format",
        "reasoning_effort",
        "user",
    ]
    assert body["stop"] == ["END"]
    assert body["messages"] == conversation()
    assert "stream" not in body
    assert len(request.images()) == 1


def test_chat_request_is_frozen_and_copies_its_inputs() -> None:
    messages = [user_message("hi")]
    request = ChatRequest("grok-4", messages)
    messages.append(user_message("later"))
    assert len(request.messages) == 1
    with pytest.raises(AttributeError):
        request.model = "other"  # type: ignore[misc]


def test_same_inputs_serialise_to_identical_bytes() -> None:
    def body() -> bytes:
        request = ChatRequest("grok-4", conversation(), temperature=0.0, seed=7)
        return _json.dumps(request.to_body())

    assert body() == body()
    assert json.loads(body())["messages"][1]["content"][1]["image_url"]["detail"] == "high"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"model": ""}, "model must be a non-empty str"),
        ({"messages": []}, "messages must not be empty"),
        ({"messages": "hi"}, "sequence of message dicts"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "role must be one of"),
        ({"messages": [{"role": "user"}]}, "user message needs content"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "str tool_call_id"),
        ({"messages": [{"role": "assistant", "content": None}]}, "content or tool_calls"),
        (
            {"messages": [{"role": "system", "content": [{"type": "image_url"}]}]},
            "an image_url part needs {'url': str}",
        ),
        ({"temperature": 2.5}, "temperature must be a number from 0 to 2"),
        ({"temperature": -0.1}, "temperature must be a number from 0 to 2"),
        ({"temperature": True}, "temperature must be a number"),
        ({"top_p": 1.5}, "top_p must be a number from 0 to 1"),
        ({"max_tokens": 0}, "max_tokens must be a positive int"),
        ({"seed": 1.5}, "seed must be an int"),
        ({"stop": [1]}, "stop must be a str or a list of str"),
        ({"tools": [{"type": "function"}]}, "tools[0] must be"),
        ({"tools": [function_tool(f"t{i}") for i in range(129)]}, "at most 128 tools"),
        ({"tool_choice": "sometimes"}, "tool_choice must be"),
        ({"tool_choice": {"type": "function"}}, "tool_choice must be"),
        ({"response_format": {"type": "yaml"}}, "response_format type must be"),
        ({"response_format": {"type": "json_schema"}}, "json_schema needs"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort must be one of low, high"),
        ({"parallel_tool_calls": "yes"}, "parallel_tool_calls must be a bool"),
        ({"extra": {"stream": True}}, "extra may not set stream"),
        ({"extra": {"temperature": 1}}, "use the ChatRequest fields"),
    ],
)
def test_chat_request_validation(kwargs: dict[str, Any], reason: str) -> None:
    arguments: dict[str, Any] = {"model": "grok-4", "messages": [user_message("hi")], **kwargs}
    with pytest.raises(RequestValidationError) as info:
        ChatRequest(**arguments)
    assert reason in str(info.value)


@pytest.mark.parametrize("temperature", [0, 0.0, 1, 2, 2.0])
def test_temperature_bounds_are_inclusive(temperature: float) -> None:
    assert ChatRequest("m", [user_message("x")], temperature=temperature).temperature == temperature


def test_chat_request_repr_is_short_and_leaves_the_messages_out() -> None:
    big = prepare_image(png(size=(600, 400)))
    request = ChatRequest("grok-4", [user_message(["hi", big])], temperature=0.5)
    text = repr(request)
    assert text == "ChatRequest(model='grok-4', messages=1, images=1, temperature=0.5)"
    assert big.url not in text
