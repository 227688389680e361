"""A finished exchange is freed at once, not at the next garbage collection.

httpx's response and its bound stream refer to each other; without the client cutting that
loop, every call's request (whose body holds the image payload) stayed alive until the
collector ran, and each call's buffers landed on fresh pages (benchmarks/README.md, issue 19).
Each test runs with the collector off, so only reference counting can free the request.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.emulator import Emulator
from xai_vision.images import prepare_image
from xai_vision.messages import ChatRequest, user_message

PNG_1X1 = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQ"
    "GAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _request() -> ChatRequest:
    return ChatRequest(
        model="grok-4", messages=[user_message(["What is this?", prepare_image(PNG_1X1)])]
    )


class _SentRequests:
    """Weak references to every httpx request a client sends (an httpx event hook)."""

    def __init__(self) -> None:
        self.refs: list[weakref.ref[httpx.Request]] = []

    def hook(self, request: httpx.Request) -> None:
        self.refs.append(weakref.ref(request))

    async def ahook(self, request: httpx.Request) -> None:
        self.hook(request)

    def alive(self) -> int:
        assert self.refs, "no request was sent"
        return sum(ref() is not None for ref in self.refs)


@pytest.mark.usefixtures("collector_off")
@pytest.mark.parametrize("call", ["create", "stream"])
def test_a_finished_call_leaves_no_request_behind(xai_emulator: Emulator, call: str) -> None:
    sent = _SentRequests()
    with httpx.Client(event_hooks={"request": [sent.hook]}) as http:
        client = XAIClient(
            api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, http_client=http
        )
        if call == "create":
            assert client.create(_request()).content
        else:
            assert list(client.stream(_request()))
        assert sent.alive() == 0


@pytest.mark.usefixtures("collector_off")
def test_async_create_and_stream_leave_no_request_behind(xai_emulator: Emulator) -> None:
    sent = _SentRequests()

    async def run() -> None:
        async with httpx.AsyncClient(event_hooks={"request": [sent.ahook]}) as http:
            client = AsyncXAIClient(
                api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, http_client=http
            )
            assert (await client.create(_request())).content
            assert [chunk async for chunk in client.stream(_request())]

    asyncio.run(run())
    assert len(sent.refs) == 2
    assert sent.alive() == 0
