"""``AsyncXAIClient(before_attempt=...)``: awaited before every HTTP attempt, retries included,
so a rate limiter shared by many clients can count (and delay) each request xAI receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from retry_sleeps import Sleeps
from xai_vision.client import AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.messages import ChatRequest, user_message

REQUEST = ChatRequest(model="grok-4", messages=[user_message("Say hi")])


def recording_hook(emulator: Emulator, seen: list[int]) -> Any:
    """A hook that notes how many requests the emulator had received when it was awaited."""

    async def before_attempt() -> None:
        seen.append(len(emulator.requests))

    return before_attempt


async def _create(client: AsyncXAIClient) -> bool:
    return bool((await client.create(REQUEST)).content)


async def _stream_then_json(client: AsyncXAIClient) -> bool:
    chunks = [chunk async for chunk in client.stream(REQUEST)]
    await client.get_json("/language-models")
    return bool(chunks)


@pytest.mark.parametrize(
    ("call", "faults", "status", "last_path"),
    [
        (_create, 2, 503, "/v1/chat/completions"),
        (_stream_then_json, 1, 429, "/v1/language-models"),
    ],
    ids=["create", "stream-then-json"],
)
async def test_the_hook_runs_before_each_attempt_retries_included(
    xai_emulator: Emulator,
    sleeps: Sleeps,
    call: Callable[[AsyncXAIClient], Awaitable[bool]],
    faults: int,
    status: int,
    last_path: str,
) -> None:
    xai_emulator.fail_next(faults, status=status)
    seen: list[int] = []
    async with AsyncXAIClient(
        api_key=xai_emulator.api_key,
        base_url=xai_emulator.base_url,
        sleep=sleeps.async_sleep,
        live_facts=False,
        before_attempt=recording_hook(xai_emulator, seen),
    ) as client:
        assert await call(client)
    # Three attempts in all (the failures, then the answers), each after the hook and before
    # its request: the hook saw 0, 1, 2 requests already received.
    assert seen == [0, 1, 2]
    assert len(xai_emulator.requests) == 3 and len(sleeps) == faults
    assert xai_emulator.requests[-1].path == last_path


async def test_the_hook_can_hold_a_request_back(xai_emulator: Emulator) -> None:
    """What the hook awaits delays the attempt: nothing reaches xAI until it returns."""
    import asyncio

    release = asyncio.Event()

    async def wait_for_permit() -> None:
        await release.wait()

    async with AsyncXAIClient(
        api_key=xai_emulator.api_key,
        base_url=xai_emulator.base_url,
        live_facts=False,
        before_attempt=wait_for_permit,
    ) as client:
        call = asyncio.create_task(client.create(REQUEST))
        await asyncio.sleep(0.2)
        assert xai_emulator.requests == [] and not call.done()
        release.set()
        assert (await call).content
    assert len(xai_emulator.requests) == 1
