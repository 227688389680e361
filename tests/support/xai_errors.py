"""xAI's error answer as the emulator's tests expect it: a status and the flat
``{"code", "error"}`` body."""

from __future__ import annotations

import httpx


def assert_rejected(response: httpx.Response, status: int, *fragments: str) -> None:
    """``response`` is xAI's flat error body with ``status``: a non-empty ``code`` and an
    ``error`` message holding each of ``fragments``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "error"}
    assert isinstance(body["code"], str) and body["code"]
    for fragment in fragments:
        assert fragment in body["error"], body["error"]
