"""Retry decisions, backoff with jitter, and Retry-After / retry-after-ms parsing."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from xai_vision.errors import RequestValidationError
from xai_vision.retry import RetryPolicy, is_retryable_status, parse_retry_after

NOW = 1_800_000_000.0


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 405, 413, 415, 422])
def test_non_retryable_statuses(status: int) -> None:
    assert not is_retryable_status(status)


def test_retry_after_ms_wins_over_retry_after() -> None:
    headers = httpx.Headers({"Retry-After-Ms": "1500", "Retry-After": "9"})
    assert parse_retry_after(headers) == 1.5


def test_retry_after_seconds_including_fractions() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "3"})) == 3.0
    assert parse_retry_after(httpx.Headers({"Retry-After": " 0.25 "})) == 0.25


def test_retry_after_http_date_is_relative_to_now() -> None:
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": date}), now=lambda: NOW) == 7.0


def test_retry_after_date_in_the_past_means_no_wait() -> None:
    date = email.utils.formatdate(NOW - 30, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": date}), now=lambda: NOW) == 0.0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Retry-After": "soon"},
        {"Retry-After": "-1"},
        {"Retry-After": "nan"},
        {"Retry-After": "inf"},
        {"retry-after-ms": "x"},
    ],
)
def test_unusable_retry_after_is_none(headers: dict[str, str]) -> None:
    assert parse_retry_after(httpx.Headers(headers)) is None


def test_bad_retry_after_ms_falls_back_to_retry_after() -> None:
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "x", "Retry-After": "2"})) == 2.0


def test_backoff_doubles_from_half_a_second_and_caps_at_eight() -> None:
    no_jitter = RetryPolicy(random=lambda: 0.0)
    assert [no_jitter.backoff(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_jitter_takes_off_at_most_a_quarter() -> None:
    full_jitter = RetryPolicy(random=lambda: 1.0)
    assert [full_jitter.backoff(n) for n in range(5)] == [0.375, 0.75, 1.5, 3.0, 6.0]
    real = RetryPolicy()
    for n in range(8):
        assert min(0.5 * 2**n, 8.0) * 0.75 <= real.backoff(n) <= min(0.5 * 2**n, 8.0)


def test_delay_honours_server_ask_up_to_the_cap() -> None:
    policy = RetryPolicy(random=lambda: 0.0)
    assert policy.delay(0, httpx.Headers({"Retry-After": "42"})) == 42.0
    assert policy.delay(0, httpx.Headers({"Retry-After": "60"})) == 60.0
    # Beyond the cap the server's ask is ignored and the computed backoff used instead.
    assert policy.delay(1, httpx.Headers({"Retry-After": "61"})) == 1.0
    assert policy.delay(2, None) == 2.0


def test_cap_is_configurable() -> None:
    policy = RetryPolicy(max_retry_after=5, random=lambda: 0.0)
    assert policy.delay(0, httpx.Headers({"retry-after-ms": "4000"})) == 4.0
    assert policy.delay(0, httpx.Headers({"retry-after-ms": "6000"})) == 0.5


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_retries", -1), ("initial_delay", -0.1), ("jitter", 1.5), ("max_delay", "8")],
)
def test_invalid_settings_are_rejected_with_their_name(field: str, value: object) -> None:
    with pytest.raises(RequestValidationError, match=field):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]
