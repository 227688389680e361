"""AsyncXAIClient under more concurrent calls than its pool has connections.

Calls beyond the pool size wait for a slot before entering httpx's pool (which rescans its
whole wait queue on every event); these tests check that waiting is correct: every call is
answered, failed calls give their slot back, and the pool never grows past its size.
"""

from __future__ import annotations

import asyncio

import pytest
from xai_vision import client as client_module
from xai_vision.client import AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.errors import InternalServerError
from xai_vision.messages import ChatRequest, user_message

POOL = client_module._MAX_CONNECTIONS


def request(i: int) -> ChatRequest:
    return ChatRequest("grok-4-fast-non-reasoning", [user_message(f"call {i}")])


@pytest.mark.timeout(60)
async def test_more_calls_than_connections_are_all_answered(xai_emulator: Emulator) -> None:
    calls = POOL * 2 + 17
    async with AsyncXAIClient(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, timeout=30
    ) as client:
        answers = await asyncio.gather(*(client.create(request(i)) for i in range(calls)))
        pool = client._owned
        assert pool is not None
        connections = pool._transport._pool.connections  # type: ignore[attr-defined]
        assert len(connections) <= POOL
    assert [a.content.rsplit("You asked: ", 1)[1] for a in answers if a.content] == [
        f"call {i}" for i in range(calls)
    ]


@pytest.mark.timeout(60)
async def test_failed_calls_give_their_slot_back(xai_emulator: Emulator) -> None:
    # More failures than slots: a slot kept by a failed call would leave the next call waiting
    # forever (caught by the timeout).
    failures = POOL + 5
    xai_emulator.fail_next(failures, status=500)
    async with AsyncXAIClient(
        api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, timeout=30, max_retries=0
    ) as client:
        results = await asyncio.gather(
            *(client.create(request(i)) for i in range(failures)), return_exceptions=True
        )
        assert all(isinstance(r, InternalServerError) for r in results)
        answer = await client.create(request(-1))
    assert answer.content is not None and answer.content.endswith("You asked: call -1")


@pytest.mark.timeout(60)
async def test_an_injected_http_client_is_not_gated(xai_emulator: Emulator) -> None:
    import httpx

    async with (
        httpx.AsyncClient() as http,
        AsyncXAIClient(
            api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, http_client=http
        ) as client,
    ):
        answer = await client.create(request(1))
        assert answer.content is not None
        # The caller's pool and its limits are the caller's: no slot was taken for it.
        assert client._gate is None
