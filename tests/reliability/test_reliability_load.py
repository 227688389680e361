"""Load: 1,000 calls at concurrency 100 while the emulator fails a seeded 10 % of requests with
429 or 503. Every call is accounted for (the right answer, or a typed error after the whole
retry budget), retries stay within budget, and the process's sockets return to their baseline
once the clients are closed.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

import pytest
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, HumanMessage
from llama_index.core.base.llms.types import ChatMessage
from surfaces import MODEL, Config, build, expected_answer
from xai_vision.client import DEFAULT_TIMEOUT, AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.errors import APIError
from xai_vision.messages import ChatRequest, user_message

from langchain_xai_vision import ChatXAIVision
from llama_index_xai_vision import XAIVision

CALLS = 1000
CONCURRENCY = 100
FAULT_RATE = 0.10
MAX_RETRIES = 2

pytestmark = pytest.mark.timeout(120)


def open_fds() -> tuple[int, int]:
    """(sockets, all file descriptors) this process holds open, from /proc/self/fd."""
    sockets = total = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the fd closed while we looked (e.g. listdir's own)
            continue
        total += 1
        sockets += target.startswith("socket:")
    return sockets, total


def assert_back_to(baseline: tuple[int, int]) -> None:
    """No more sockets, and no more descriptors of any kind, than at ``baseline``."""
    sockets, total = open_fds()
    assert sockets <= baseline[0], f"{sockets - baseline[0]} sockets left open"
    assert total <= baseline[1], f"{total - baseline[1]} file descriptors left open"


@pytest.fixture
def loaded_emulator() -> Iterator[Emulator]:
    """An emulator in its own process (its sockets are not ours) failing 10 % of requests."""
    with Emulator(mode="subprocess") as emu:
        emu.set_fault_rate(FAULT_RATE, statuses=(429, 503), seed=8, retry_after_ms=20)
        yield emu


@dataclass
class Tally:
    """What came of the calls, and what the emulator saw."""

    answers: dict[int, str]
    errors: dict[int, BaseException]
    requests_per_call: Counter[int]
    faults: int


def _config(emu: Emulator) -> Config:
    """The emulator's address and key, the clients' default timeout, MAX_RETRIES."""
    return Config(emu.base_url, emu.api_key, timeout=DEFAULT_TIMEOUT, max_retries=MAX_RETRIES)


def _prompt(i: int) -> str:
    return f"load call {i}"


async def _drive(emu: Emulator, call: Callable[[int], Awaitable[str]]) -> Tally:
    """Run CALLS calls, CONCURRENCY at a time, and gather the tally."""
    gate = asyncio.Semaphore(CONCURRENCY)
    answers: dict[int, str] = {}
    errors: dict[int, BaseException] = {}

    async def one(i: int) -> None:
        async with gate:
            try:
                answers[i] = await call(i)
            except Exception as exc:  # accounted for below: must be a typed API error
                errors[i] = exc

    await asyncio.gather(*(one(i) for i in range(CALLS)))
    return _tally(emu, answers, errors)


def _tally(emu: Emulator, answers: dict[int, str], errors: dict[int, BaseException]) -> Tally:
    per_call: Counter[int] = Counter()
    for request in emu.requests:
        content = request.body["messages"][-1]["content"]
        text = content if isinstance(content, str) else " ".join(p["text"] for p in content)
        per_call[int(text.rsplit(" ", 1)[1])] += 1
    counts = emu.fault_counts()
    return Tally(answers, errors, per_call, counts.get("429", 0) + counts.get("503", 0))


def _check(tally: Tally) -> None:
    # Every call accounted for, once: an answer or an error, never both, never neither.
    assert set(tally.answers) | set(tally.errors) == set(range(CALLS))
    assert not set(tally.answers) & set(tally.errors)
    # Each answer is the one for its own prompt (nothing crossed, duplicated or lost).
    for i, text in tally.answers.items():
        assert text == expected_answer(_prompt(i))
    # Errors only after the whole budget, and only the injected statuses, typed.
    for i, error in tally.errors.items():
        assert isinstance(error, APIError) and error.status_code in (429, 503), repr(error)
        assert tally.requests_per_call[i] == MAX_RETRIES + 1
    # Retries within budget, and every request the emulator saw is explained by a fault.
    assert max(tally.requests_per_call.values()) <= MAX_RETRIES + 1
    assert set(tally.requests_per_call) == set(range(CALLS))
    total = sum(tally.requests_per_call.values())
    assert total == CALLS + tally.faults - len(tally.errors)
    assert CALLS * FAULT_RATE * 0.6 <= tally.faults <= CALLS * FAULT_RATE * 1.6  # faults did fire


def test_core_async_client_under_load(loaded_emulator: Emulator) -> None:
    baseline = open_fds()

    async def main() -> Tally:
        client = AsyncXAIClient(**_config(loaded_emulator).connection())

        async def call(i: int) -> str:
            completion = await client.create(ChatRequest(MODEL, [user_message(_prompt(i))]))
            return completion.content or ""

        try:
            return await _drive(loaded_emulator, call)
        finally:
            await client.aclose()

    tally = asyncio.run(main())
    _check(tally)
    assert_back_to(baseline)


def test_langchain_abatch_under_load(loaded_emulator: Emulator) -> None:
    baseline = open_fds()
    model: ChatXAIVision = build("langchain", _config(loaded_emulator))

    async def main() -> Sequence[AIMessage | Exception]:
        inputs: list[LanguageModelInput] = [[HumanMessage(_prompt(i))] for i in range(CALLS)]
        try:
            return await model.abatch(
                inputs, config={"max_concurrency": CONCURRENCY}, return_exceptions=True
            )
        finally:
            await model.aclose()

    results = asyncio.run(main())
    assert len(results) == CALLS
    answers = {i: str(r.content) for i, r in enumerate(results) if not isinstance(r, Exception)}
    errors: dict[int, BaseException] = {
        i: r for i, r in enumerate(results) if isinstance(r, Exception)
    }
    _check(_tally(loaded_emulator, answers, errors))
    assert_back_to(baseline)


def test_llama_index_achat_and_astream_under_load(loaded_emulator: Emulator) -> None:
    baseline = open_fds()
    llm: XAIVision = build("llamaindex", _config(loaded_emulator))

    async def call(i: int) -> str:
        messages = [ChatMessage(role="user", content=_prompt(i))]
        if i % 2:
            return (await llm.achat(messages)).message.content or ""
        return "".join([r.delta or "" async for r in await llm.astream_chat(messages)])

    async def main() -> Tally:
        try:
            return await _drive(loaded_emulator, call)
        finally:
            await llm.aclose()

    _check(asyncio.run(main()))
    assert_back_to(baseline)
