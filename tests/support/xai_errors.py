"""Errors as the tests expect them: xAI's flat ``{"code", "error"}`` answer from the
emulator, and bad input refused by a typed error before any request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from xai_vision.emulator import Emulator


def assert_rejected(response: httpx.Response, status: int, *fragments: str) -> None:
    """``response`` is xAI's flat error body with ``status``: a non-empty ``code`` and an
    ``error`` message holding each of ``fragments``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "error"}
    assert isinstance(body["code"], str) and body["code"]
    for fragment in fragments:
        assert fragment in body["error"], body["error"]


@contextmanager
def refused_before_sending(
    emulator: Emulator, error: type[Exception], match: str | None = None
) -> Iterator[None]:
    """The block raises ``error`` (its message matching ``match``) and the emulator has
    received no request: bad input is refused before anything is sent."""
    with pytest.raises(error, match=match):
        yield
    assert emulator.requests == []
