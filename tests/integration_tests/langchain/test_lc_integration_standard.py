"""langchain-tests' standard integration suite for ChatXAIVision, pointed at the emulator."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_xai_vision import ChatXAIVision

# Same rule as the conftest's: live only with both set (a test module cannot import conftest).
LIVE = os.environ.get("XAI_LIVE") == "1" and bool(os.environ.get("XAI_API_KEY"))

#: A system prompt of about 1,300 text tokens: above the 1,024 a prefix needs to be cached.
CACHED_SYSTEM_PROMPT = "\n".join(
    f"Rule {n}: describe what the image shows, plainly and in order, without guessing."
    for n in range(1, 66)
)


class TestChatXAIVisionIntegration(ChatModelIntegrationTests):
    """The whole standard suite; images, image URLs, image tool messages and JSON mode on."""

    connection: ClassVar[dict[str, Any]] = {}

    @pytest.fixture(autouse=True)
    def _connect(self, lc_params: dict[str, Any]) -> None:
        """The suite builds models from properties; hand them this module's backend."""
        type(self).connection = lc_params

    @property
    def chat_model_class(self) -> type[ChatXAIVision]:
        return ChatXAIVision

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "grok-4-fast-non-reasoning", **self.connection}

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "grok-4"

    @property
    def supported_usage_metadata_details(self) -> dict[Any, Any]:
        details = ["reasoning_output", "cache_read_input"]
        return {"invoke": details, "stream": details}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        """A reasoning model (grok-3-mini, effort high) returns reasoning tokens and text."""
        model = ChatXAIVision(model="grok-3-mini", reasoning_effort="high", **self.connection)
        prompt = "Think it through: what is 17 times 23?"
        if not stream:
            return model.invoke(prompt)
        full: AIMessageChunk | None = None
        for chunk in model.stream(prompt):
            full = chunk if full is None else full + chunk
        assert full is not None
        return full

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        """A long system prompt sent twice: the second answer reads it from xAI's prompt cache.

        The emulator caches a repeated prefix of whole messages once it holds 1,024 text
        tokens; ``cache_read`` appears only when non-zero, so the check below also proves the
        repeat was cached (not just that the key is allowed).
        """
        model = ChatXAIVision(model="grok-4-fast-non-reasoning", **self.connection)
        messages = [("system", CACHED_SYSTEM_PROMPT), ("user", "Which rule comes first?")]
        model.invoke(messages)  # writes the prefix to the cache
        if not stream:
            answer = model.invoke(messages)
        else:
            full: AIMessageChunk | None = None
            for chunk in model.stream(messages):
                full = chunk if full is None else full + chunk
            assert full is not None
            answer = full
        usage = answer.usage_metadata
        assert usage is not None
        cache_read = usage.get("input_token_details", {}).get("cache_read", 0)
        assert 0 < cache_read <= usage["input_tokens"]
        return answer

    def test_image_inputs_served_locally(
        self, model: BaseChatModel, image_server: str, image_bytes: Callable[..., bytes]
    ) -> None:
        """test_image_inputs' three forms, the URL one served on 127.0.0.1; answers checked."""
        data = base64.b64encode(image_bytes("red")).decode()
        forms: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
            {"type": "image", "base64": data, "mime_type": "image/png"},
            {"type": "image", "url": f"{image_server}/red.png"},
        ]
        for form in forms:
            message = HumanMessage(
                content=[
                    {"type": "text", "text": "Give a concise description of this image."},
                    form,
                ]
            )
            answer = model.invoke([message])
            assert isinstance(answer, AIMessage)
            assert answer.text
            if not LIVE:
                assert answer.text.startswith("I see 1 image.")
            assert answer.usage_metadata is not None
            assert answer.usage_metadata.get("input_token_details", {}).get("image", 0) > 0
