"""``xai_emulator_env``: code that reads XAI_API_KEY / XAI_BASE_URL reaches the test's emulator."""

from __future__ import annotations

import os

from xai_vision.client import XAIClient
from xai_vision.emulator import Emulator
from xai_vision.messages import ChatRequest, user_message


def test_env_points_at_the_emulator_and_a_default_client_reaches_it(
    xai_emulator_env: Emulator,
) -> None:
    assert os.environ["XAI_API_KEY"] == xai_emulator_env.api_key
    assert os.environ["XAI_BASE_URL"] == xai_emulator_env.base_url
    assert "XAI_API_BASE" not in os.environ
    with XAIClient() as client:  # no arguments: everything from the environment
        answer = client.create(ChatRequest("grok-4", [user_message("hello there")]))
    assert answer.content is not None and "You asked: hello there" in answer.content
    assert len(xai_emulator_env.requests) == 1


def test_the_langchain_model_needs_no_arguments_either(xai_emulator_env: Emulator) -> None:
    from langchain_xai_vision import ChatXAIVision

    assert "You asked: hi" in str(ChatXAIVision().invoke("hi").content)
    assert xai_emulator_env.last_request.body["messages"][0]["content"] == "hi"
