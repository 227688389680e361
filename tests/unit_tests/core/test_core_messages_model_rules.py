"""What a known model answers 400 to is refused when the request is built, before any I/O."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from xai_vision.client import XAIClient
from xai_vision.emulator import Emulator
from xai_vision.errors import BadRequestError, RequestValidationError, TooManyImagesError
from xai_vision.images import ImageOptions, prepare_image
from xai_vision.messages import ChatRequest, user_message


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "blue").save(buf, "PNG")
    return buf.getvalue()


def image_message() -> list[dict[str, object]]:
    return [dict(user_message(["What is it?", prepare_image(png())]))]


@pytest.mark.parametrize("model", ["grok-3", "grok-3-mini", "grok-code-fast-1"])
def test_images_to_a_text_only_model_are_refused(model: str) -> None:
    with pytest.raises(RequestValidationError) as info:
        ChatRequest(model, image_message())  # type: ignore[arg-type]
    assert repr(model) in str(info.value)
    assert "does not take images" in str(info.value)


@pytest.mark.parametrize(
    ("model", "options"),
    [
        ("grok-4", {"stop": ["END"]}),
        ("grok-4-fast-reasoning", {"presence_penalty": 0.5}),
        ("grok-4-1-fast", {"frequency_penalty": 0.1}),
        ("grok-4", {"reasoning_effort": "low"}),
        ("grok-3-mini", {"stop": "x"}),
        ("grok-2-vision-1212", {"reasoning_effort": "high"}),
    ],
)
def test_parameters_a_model_rejects_are_refused_by_name(
    model: str, options: dict[str, object]
) -> None:
    with pytest.raises(RequestValidationError) as info:
        ChatRequest.build(model, [user_message("hi")], options)
    (name,) = options
    assert f"{model!r} does not take the parameter {name!r}" in str(info.value)


@pytest.mark.parametrize(
    ("model", "options"),
    [
        ("grok-3-mini", {"reasoning_effort": "high"}),
        ("grok-4-fast-non-reasoning", {"stop": ["END"], "presence_penalty": 0.5}),
        ("grok-3", {"stop": ["END"]}),
        ("a-model-the-catalogue-does-not-know", {"stop": ["END"], "reasoning_effort": "low"}),
    ],
)
def test_what_the_model_takes_is_kept(model: str, options: dict[str, object]) -> None:
    request = ChatRequest.build(model, [user_message("hi")], options)
    assert request.params() == options


def test_images_to_an_unknown_model_pass_and_to_a_vision_model_pass() -> None:
    for model in ("a-model-the-catalogue-does-not-know", "grok-4", "grok-2-vision"):
        assert len(ChatRequest(model, image_message()).images()) == 1  # type: ignore[arg-type]


def test_a_refused_request_never_reaches_the_server() -> None:
    with Emulator() as emu, XAIClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        with pytest.raises(RequestValidationError):
            client.create(ChatRequest("grok-3", image_message()))  # type: ignore[arg-type]
        assert emu.requests == []
        assert client.create(ChatRequest("grok-3", [user_message("hi")])).content


@pytest.mark.parametrize(
    "body",
    [
        {"model": "grok-3", "messages": image_message()},
        {"model": "grok-4", "messages": [{"role": "user", "content": "hi"}], "stop": ["END"]},
    ],
    ids=["images-to-text-model", "stop-to-reasoning-model"],
)
def test_the_emulator_answers_the_same_bodies_400_as_xai_does(body: dict[str, object]) -> None:
    """The rule mirrors the server's: sent by hand, the body the check refuses is a 400."""
    with Emulator() as emu:
        response = httpx.post(
            f"{emu.base_url}/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {emu.api_key}"},
            timeout=10,
        )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "error"}


def many_images(n: int) -> list[dict[str, object]]:
    image = prepare_image(png())
    return [dict(user_message(["Describe them.", *[image] * n]))]


def test_more_images_in_a_message_than_the_limit_are_refused_naming_the_message() -> None:
    with pytest.raises(TooManyImagesError) as info:
        ChatRequest("grok-4", many_images(11))  # type: ignore[arg-type]
    assert "messages[0] carries 11 images; at most 10" in str(info.value)


def test_the_limit_is_per_message_and_a_setting() -> None:
    two_full = [*many_images(10), {"role": "assistant", "content": "ok"}, *many_images(10)]
    assert len(ChatRequest("grok-4", two_full).images()) == 20  # type: ignore[arg-type]
    lifted = ChatRequest.build("grok-4", many_images(12), max_images_per_message=None)  # type: ignore[arg-type]
    assert len(lifted.images()) == 12
    with pytest.raises(TooManyImagesError):
        ChatRequest.build("grok-4", many_images(3), max_images_per_message=2)  # type: ignore[arg-type]
    assert ImageOptions().max_images_per_message == 10


def test_the_emulator_rejects_what_the_limit_refuses() -> None:
    """With the check lifted, the default emulator answers 400: the default mirrors it."""
    with Emulator() as emu, XAIClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        with pytest.raises(TooManyImagesError):
            client.create(ChatRequest("grok-4", many_images(11)))  # type: ignore[arg-type]
        assert emu.requests == []
        lifted = ChatRequest.build("grok-4", many_images(11), max_images_per_message=None)  # type: ignore[arg-type]
        with pytest.raises(BadRequestError):
            client.create(lifted)
