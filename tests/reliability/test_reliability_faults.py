"""Faults injected by the emulator, through every surface (core, LangChain, LlamaIndex x2;
sync and async; whole and streamed): each call succeeds after retries or raises the typed
error, in bounded time, with no duplicated output; a stream cut short raises.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pytest
import xai_vision.client as client_module
from surfaces import ALL, STREAMING, SYNC_WHOLE, WHOLE, Config, Outcome, expected_answer, run
from xai_vision.emulator import Emulator
from xai_vision.errors import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    ResponseParseError,
    StreamInterruptedError,
)
from xai_vision.retry import RetryPolicy

PROMPT = "Describe the picture"
EXPECTED = expected_answer(PROMPT)


@dataclass(frozen=True)
class Scenario:
    """A fault, how the call is configured, and what must come of it."""

    inject: Callable[[Emulator, bool], None]  # (emulator, streaming)
    requests: int  # chat requests the emulator must see
    error: type[BaseException] | None = None  # None: the call must succeed
    timeout: float = 10.0
    max_retries: int = 2
    min_seconds: float = 0.0
    max_seconds: float = 8.0
    real_backoff: bool = False  # keep the library's 0.5 s backoff (else shortened to ~20 ms)


def _cut_before_body(emu: Emulator, streaming: bool) -> None:
    # Headers sent, then the connection dies before any body byte: safe to retry.
    if streaming:
        emu.cut_stream(0)
    else:
        emu.truncate_next(1)


SCENARIOS: dict[str, Scenario] = {
    "429 x2, retry-after-ms 150": Scenario(
        lambda e, s: e.fail_next(2, status=429, retry_after_ms=150), 3, min_seconds=0.3
    ),
    "429 without Retry-After (backoff)": Scenario(
        lambda e, s: e.fail_next(1, status=429),
        2,
        min_seconds=0.3,
        max_seconds=3.0,
        real_backoff=True,
    ),
    "429 asking for an hour (capped: backoff instead)": Scenario(
        lambda e, s: e.fail_next(1, status=429, retry_after=3600),
        2,
        min_seconds=0.3,
        max_seconds=3.0,
        real_backoff=True,
    ),
    "429 past the retry budget": Scenario(
        lambda e, s: e.fail_next(3, status=429, retry_after_ms=10), 3, RateLimitError
    ),
    "500 burst": Scenario(lambda e, s: e.fail_next(2, status=500, retry_after_ms=10), 3),
    "503 burst": Scenario(lambda e, s: e.fail_next(2, status=503, retry_after_ms=10), 3),
    "503 burst past the retry budget": Scenario(
        lambda e, s: e.fail_next(5, status=503, retry_after_ms=10), 3, InternalServerError
    ),
    "slow first answer past the timeout": Scenario(
        # the retry's answer must come within the timeout: 1 s leaves room on a loaded machine
        lambda e, s: e.slow_next(3.0),
        2,
        timeout=1.0,
        min_seconds=1.0,
        max_seconds=2.8,
    ),
    "every answer past the timeout": Scenario(
        lambda e, s: e.set_latency(3.0),
        2,
        APITimeoutError,
        timeout=0.3,
        max_retries=1,
        min_seconds=0.6,
        max_seconds=2.5,
    ),
    "connection reset before any byte": Scenario(lambda e, s: e.reset_next(1), 2),
    "connection reset on every try": Scenario(
        lambda e, s: e.reset_next(3), 3, APIConnectionError, max_seconds=4.0
    ),
    "connection dropped after the headers": Scenario(_cut_before_body, 2),
}


def _check(outcome: Outcome, scenario: Scenario, emu: Emulator) -> None:
    assert len(emu.requests) == scenario.requests
    assert scenario.min_seconds <= outcome.elapsed <= scenario.max_seconds
    if scenario.error is None:
        assert outcome.error is None, repr(outcome.error)
        assert outcome.text == EXPECTED  # whole, exactly once: nothing replayed by a retry
    else:
        assert isinstance(outcome.error, scenario.error), repr(outcome.error)
        assert outcome.deltas in ([], [""]) or outcome.text == ""


@pytest.fixture
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client built in the test backs off ~20 ms instead of 0.5 s (retry logic unchanged).

    The adapters take no retry policy, so the default the core client builds is replaced.
    """
    fast = functools.partial(RetryPolicy, initial_delay=0.02, max_delay=0.1)
    monkeypatch.setattr(client_module, "RetryPolicy", fast)


@pytest.mark.parametrize("surface", ALL)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fault_is_survived_or_raised_typed(
    surface: str, name: str, request: pytest.FixtureRequest
) -> None:
    scenario = SCENARIOS[name]
    if not scenario.real_backoff:
        request.getfixturevalue("short_backoff")
    with Emulator() as emu:
        scenario.inject(emu, "stream" in surface)
        config = Config(emu.base_url, emu.api_key, scenario.timeout, scenario.max_retries)
        outcome = run(surface, config, PROMPT)
        _check(outcome, scenario, emu)


@pytest.mark.parametrize("surface", ["core.create", "langchain.ainvoke", "llamaindex.stream_chat"])
def test_retry_after_seconds_is_honoured(surface: str) -> None:
    with Emulator() as emu:
        emu.fail_next(1, status=429, retry_after=1)
        outcome = run(surface, Config(emu.base_url, emu.api_key), PROMPT)
        assert outcome.error is None and outcome.text == EXPECTED
        assert 1.0 <= outcome.elapsed < 3.0
        assert len(emu.requests) == 2


def test_rate_limit_error_carries_the_servers_wait() -> None:
    with Emulator() as emu:
        emu.fail_next(3, status=429, retry_after_ms=20)
        outcome = run("core.create", Config(emu.base_url, emu.api_key))
        assert isinstance(outcome.error, RateLimitError)
        assert outcome.error.status_code == 429
        assert outcome.error.retry_after == pytest.approx(0.02)


@pytest.mark.parametrize("reset", [False, True], ids=["dropped", "reset"])
@pytest.mark.parametrize("surface", STREAMING)
def test_stream_cut_midway_raises_and_keeps_what_arrived_without_replay(
    surface: str, reset: bool
) -> None:
    with Emulator() as emu:
        emu.queue_reply("one two three four five six seven eight nine ten")
        emu.cut_stream(3, reset=reset)  # role chunk and two content frames, then it dies
        outcome = run(surface, Config(emu.base_url, emu.api_key), PROMPT)
        assert isinstance(outcome.error, StreamInterruptedError), repr(outcome.error)
        assert outcome.deltas  # something arrived before the cut...
        full = "one two three four five six seven eight nine ten"
        assert full.startswith(outcome.text) and outcome.text != full  # ...a strict prefix
        assert len(emu.requests) == 1  # a stream that delivered text is never retried


@pytest.mark.parametrize("surface", STREAMING)
def test_stream_stalling_past_the_timeout_raises(surface: str) -> None:
    with Emulator() as emu:
        emu.set_latency(None, chunk_delay=3.0)
        # the first chunk must come within the timeout: 1 s leaves room on a loaded machine
        outcome = run(surface, Config(emu.base_url, emu.api_key, timeout=1.0), PROMPT)
        assert isinstance(outcome.error, StreamInterruptedError), repr(outcome.error)
        assert outcome.elapsed < 2.8
        assert len(emu.requests) == 1


@pytest.mark.parametrize(
    ("surface", "kind"),
    [(surface, "sse") for surface in STREAMING] + [(surface, "json") for surface in WHOLE],
)
def test_malformed_answer_raises_typed(surface: str, kind: Literal["json", "sse"]) -> None:
    """A malformed SSE frame (streamed calls) or JSON body (whole calls): typed, not retried."""
    with Emulator() as emu:
        emu.malformed_next(kind)
        outcome = run(surface, Config(emu.base_url, emu.api_key), PROMPT)
        assert isinstance(outcome.error, ResponseParseError), repr(outcome.error)
        assert len(emu.requests) == 1


@pytest.mark.parametrize("surface", SYNC_WHOLE)
def test_server_gone_raises_connection_error_quickly(surface: str) -> None:
    with Emulator() as emu:
        base_url = emu.base_url
    outcome = run(surface, Config(base_url, "xai-key", timeout=2.0, max_retries=1))
    assert isinstance(outcome.error, APIConnectionError), repr(outcome.error)
    assert outcome.elapsed < 3.0
