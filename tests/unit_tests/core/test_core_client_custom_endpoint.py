"""A second Endpoint plugs into the client unchanged: its path, body and parsing are the ones used.

This is what keeps chat completions separable (a Responses-API endpoint can be added later
without touching the client or the adapters).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.emulator import Emulator
from xai_vision.endpoints import (
    ChatCompletionsEndpoint,
    Endpoint,
    RequestBody,
    StreamDone,
)
from xai_vision.errors import NotFoundError
from xai_vision.messages import ChatRequest, user_message
from xai_vision.models import ChatCompletion, ChatCompletionChunk
from xai_vision.sse import SSEEvent


class TaggingEndpoint:
    """Chat completions with its own body field and its own parsing, at a settable path."""

    def __init__(self, path: str = "/chat/completions") -> None:
        self.path = path
        self._inner = ChatCompletionsEndpoint()
        self.described: list[str] = []

    def build_body(
        self, request: ChatRequest, *, stream: bool = False, include_usage: bool = True
    ) -> RequestBody:
        tagged = replace(request, extra={**request.extra, "user": "tagging-endpoint"})
        return self._inner.build_body(tagged, stream=stream, include_usage=include_usage)

    def headers(self, request: ChatRequest) -> Mapping[str, str]:
        return {"x-tagged": "yes"}

    def parse_response(self, data: Any, request: ChatRequest | None = None) -> ChatCompletion:
        completion = self._inner.parse_response(data, request)
        return completion.model_copy(update={"content": f"[tagged] {completion.content}"})

    def parse_event(self, event: SSEEvent) -> ChatCompletionChunk | StreamDone | None:
        item = self._inner.parse_event(event)
        if isinstance(item, ChatCompletionChunk) and item.content:
            return item.model_copy(update={"content": item.content.upper()})
        return item

    def stream_parser(self, request: ChatRequest | None = None) -> TaggingEndpoint:
        return self

    def describe(self, request: ChatRequest) -> str:
        self.described.append(request.model)
        return self._inner.describe(request)


def request() -> ChatRequest:
    return ChatRequest("grok-4-fast-non-reasoning", [user_message("Say hi")])


def test_the_endpoint_satisfies_the_protocol() -> None:
    assert isinstance(TaggingEndpoint(), Endpoint)


def test_sync_client_uses_the_endpoints_body_parsing_and_description(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="xai_vision")  # describe() feeds the DEBUG line
    endpoint = TaggingEndpoint()
    with Emulator() as emu:
        with XAIClient(api_key=emu.api_key, base_url=emu.base_url, endpoint=endpoint) as client:
            assert client.endpoint is endpoint
            answer = client.create(request())
            streamed = "".join(chunk.content or "" for chunk in client.stream(request()))
        sent = emu.requests
    assert answer.content is not None and answer.content.startswith("[tagged] ")
    assert streamed and streamed == streamed.upper()
    assert [r.body["user"] for r in sent] == ["tagging-endpoint", "tagging-endpoint"]
    assert [r.headers.get("x-tagged") for r in sent] == ["yes", "yes"]
    assert endpoint.described == ["grok-4-fast-non-reasoning"] * 2


async def test_async_client_posts_to_the_endpoints_path() -> None:
    with Emulator() as emu:
        async with AsyncXAIClient(
            api_key=emu.api_key, base_url=emu.base_url, endpoint=TaggingEndpoint("/tagged")
        ) as client:
            with pytest.raises(NotFoundError):  # the emulator serves no such path
                await client.create(request())
        assert [r.path for r in emu.requests] == ["/v1/tagged"]
