"""The rate limiter's rule on its own (a fake clock, no Ray): starts 1/N s apart, at most T
estimated tokens in any minute, first come first served; a worker's wait for it is bounded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from xai_vision.errors import RateLimiterTimeoutError, RequestValidationError
from xai_vision.image_batch import TRANSIENT_ERROR_TYPES
from xai_vision.ray import RateLimiter, _permit_waiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def starts(limiter: RateLimiter, clock: Clock, count: int, tokens: int = 0) -> list[float]:
    """When each of ``count`` requests asked at once may start."""
    return [clock.now + limiter.reserve(tokens) for _ in range(count)]


def test_starts_are_spaced_evenly_at_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(4, clock=clock)
    assert starts(limiter, clock, 5) == [100.0, 100.25, 100.5, 100.75, 101.0]


def test_a_fractional_rate_spaces_single_starts() -> None:
    clock = Clock()
    limiter = RateLimiter(0.5, clock=clock)
    assert starts(limiter, clock, 3) == [100.0, 102.0, 104.0]


def test_an_idle_limiter_lets_the_next_request_go_at_once() -> None:
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert starts(limiter, clock, 2) == [100.0, 100.5]
    clock.now = 105.0
    assert starts(limiter, clock, 1) == [105.0]


def test_no_second_ever_holds_more_than_the_limit() -> None:
    clock = Clock()
    limiter = RateLimiter(4, clock=clock)
    times: list[float] = []
    for step in range(60):  # asks arriving every 0.1 s, faster than 4 a second
        clock.now = 100.0 + step * 0.1
        times.append(clock.now + limiter.reserve())
    assert times == sorted(times)
    for i in range(len(times) - 4):
        assert times[i + 4] - times[i] >= 1.0 - 1e-9


def test_tokens_per_minute_hold_back_what_does_not_fit() -> None:
    clock = Clock()
    limiter = RateLimiter(None, 1000, clock=clock)
    assert starts(limiter, clock, 2, tokens=400) == [100.0, 100.0]
    assert starts(limiter, clock, 1, tokens=400) == [160.0]  # 1,200 would not fit
    clock.now = 161.0
    assert starts(limiter, clock, 1, tokens=100) == [161.0]


def test_a_request_bigger_than_the_budget_waits_for_an_empty_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(None, 500, clock=clock)
    assert starts(limiter, clock, 2, tokens=2000) == [100.0, 160.0]


@pytest.mark.parametrize(("rps", "tpm"), [(0, None), (-1, None), (None, 0)])
def test_bad_limits_are_refused(rps: float | None, tpm: int | None) -> None:
    with pytest.raises(RequestValidationError, match=r"per_(second|minute)"):
        RateLimiter(rps, tpm)


class _SilentLimiter:
    """A limiter actor handle whose ``reserve.remote`` never answers (a lost actor)."""

    def __init__(self) -> None:
        self.reserve = self
        self.cancelled = False

    def remote(self, tokens: int) -> Any:
        async def never() -> float:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled = True
                raise
            return 0.0

        return never()


def test_a_limiter_that_never_answers_is_a_typed_error_in_bounded_time() -> None:
    limiter = _SilentLimiter()
    wait_for_permit = _permit_waiter(limiter, timeout=0.05)
    with pytest.raises(RateLimiterTimeoutError, match=r"did not answer within 0\.05 s"):
        asyncio.run(wait_for_permit())
    assert limiter.cancelled  # the pending ask is given up, not left running
    assert "RateLimiterTimeoutError" in TRANSIENT_ERROR_TYPES  # the image stays undone
