"""When to retry a failed request, and how long to wait first.

The convention users know from the openai SDK: retry 408, 409, 429, every 5xx, timeouts and
connection errors; back off ``0.5 * 2**n`` seconds capped at 8 s, minus up to 25 % jitter;
a server's ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date) wins when it is
between 0 and 60 s.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from xai_vision.errors import RequestValidationError

__all__ = ["RETRYABLE_STATUS_CODES", "RetryPolicy", "is_retryable_status", "parse_retry_after"]

#: Statuses below 500 that are worth another try.
RETRYABLE_STATUS_CODES: frozenset[int] = frozenset({408, 409, 429})


def is_retryable_status(status_code: int) -> bool:
    """True for 408, 409, 429 and every 5xx."""
    return status_code >= 500 or status_code in RETRYABLE_STATUS_CODES


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, else ``Retry-After``.

    ``Retry-After`` may be a number of seconds or an HTTP date. Returns None when neither
    header is present or parseable, or the value is negative or not finite.
    """
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            seconds = float(value) / 1000.0
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = max(0.0, parsed.timestamp() - now())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries, and the backoff between them. Immutable; share one per client."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("max_retries", "initial_delay", "max_delay", "jitter", "max_retry_after"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise RequestValidationError(
                    f"retry setting {name}={value!r} is invalid: expected a number >= 0"
                )
        if self.jitter > 1:
            raise RequestValidationError(
                f"retry setting jitter={self.jitter!r} is invalid: expected a fraction in [0, 1]"
            )

    def backoff(self, retry_number: int) -> float:
        """The computed wait before retry ``retry_number`` (0-based), jitter applied."""
        delay = min(self.initial_delay * (2.0**retry_number), self.max_delay)
        return delay * (1.0 - self.jitter * self.random())

    def delay(self, retry_number: int, headers: Mapping[str, str] | None = None) -> float:
        """The wait before retry ``retry_number``: the server's ask if sane, else backoff."""
        asked = parse_retry_after(headers)
        if asked is not None and asked <= self.max_retry_after:
            return asked
        return self.backoff(retry_number)
