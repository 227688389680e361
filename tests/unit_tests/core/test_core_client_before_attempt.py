"""``AsyncXAIClient(before_attempt=...)``: awaited before every HTTP attempt, retries included,
so a rate limiter shared by many clients can count (and delay) each request xAI receives."""

from __future__ import annotations

from retry_sleeps import Sleeps
from xai_vision.client import AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.messages import ChatRequest, user_message

REQUEST = ChatRequest(model="grok-4", messages=[user_message("Say hi")])


def recording_client(emulator: Emulator, sleeps: Sleeps, seen: list[int]) -> AsyncXAIClient:
    """A client of ``emulator`` whose hook notes in ``seen`` how many requests the emulator had
    received each time it was awaited (retry waits recorded in ``sleeps``)."""

    async def before_attempt() -> None:
        seen.append(len(emulator.requests))

    return AsyncXAIClient(
        api_key=emulator.api_key,
        base_url=emulator.base_url,
        sleep=sleeps.async_sleep,
        live_facts=False,
        before_attempt=before_attempt,
    )


async def test_the_hook_runs_before_each_attempt_of_create_retries_included(
    xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(2, status=503)
    seen: list[int] = []
    async with recording_client(xai_emulator, sleeps, seen) as client:
        answer = await client.create(REQUEST)
    assert answer.content
    # Three attempts (two 503s, then the answer), each after the hook and before its request.
    assert seen == [0, 1, 2]
    assert len(xai_emulator.requests) == 3 and len(sleeps) == 2


async def test_the_hook_runs_before_each_stream_attempt_and_json_call(
    xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(1, status=429)
    seen: list[int] = []
    async with recording_client(xai_emulator, sleeps, seen) as client:
        chunks = [chunk async for chunk in client.stream(REQUEST)]
        await client.get_json("/language-models")
    assert chunks
    assert seen == [0, 1, 2]
    assert [r.path for r in xai_emulator.requests][-1] == "/v1/language-models"


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
