"""The rate limiter's rule on its own (a fake clock, no Ray): at most N starts in any second,
at most T estimated tokens in any minute, first come first served."""

from __future__ import annotations

import pytest
from xai_vision.errors import RequestValidationError
from xai_vision.ray import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def starts(limiter: SlidingWindowLimiter, clock: Clock, count: int, tokens: int = 0) -> list[float]:
    """When each of ``count`` requests asked at once may start."""
    return [clock.now + limiter.reserve(tokens) for _ in range(count)]


def test_n_per_second_start_at_once_the_next_n_a_second_later() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(3, clock=clock)
    times = starts(limiter, clock, 7)
    assert times == [100.0, 100.0, 100.0, 101.0, 101.0, 101.0, 102.0]


def test_a_fractional_rate_spaces_single_starts() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(0.5, clock=clock)
    assert starts(limiter, clock, 3) == [100.0, 102.0, 104.0]


def test_no_window_ever_holds_more_than_the_limit() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(4, clock=clock)
    times: list[float] = []
    for step in range(60):  # asks arriving every 0.1 s, faster than 4 a second
        clock.now = 100.0 + step * 0.1
        times.append(clock.now + limiter.reserve())
    assert times == sorted(times)
    for i in range(len(times) - 4):
        assert times[i + 4] - times[i] >= 1.0 - 1e-9


def test_tokens_per_minute_hold_back_what_does_not_fit() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(None, 1000, clock=clock)
    assert starts(limiter, clock, 2, tokens=400) == [100.0, 100.0]
    assert starts(limiter, clock, 1, tokens=400) == [160.0]  # 1,200 would not fit
    clock.now = 161.0
    assert starts(limiter, clock, 1, tokens=100) == [161.0]


def test_a_request_bigger_than_the_budget_waits_for_an_empty_minute() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(None, 500, clock=clock)
    assert starts(limiter, clock, 2, tokens=2000) == [100.0, 160.0]


@pytest.mark.parametrize(("rps", "tpm"), [(0, None), (-1, None), (None, 0)])
def test_bad_limits_are_refused(rps: float | None, tpm: int | None) -> None:
    with pytest.raises(RequestValidationError, match=r"per_(second|minute)"):
        SlidingWindowLimiter(rps, tpm)
