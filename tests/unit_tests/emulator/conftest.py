"""What the emulator's tests share: an HTTP client for the test's emulator, a streamed chat
request with its framing checked, and a responses stream's named events (the spec's schema
validators, ``xai_schema``, are in tests/conftest.py: core tests use them too)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from xai_vision.emulator import Emulator

#: The model the helpers ask for unless told otherwise.
MODEL = "grok-4-fast-non-reasoning"


@pytest.fixture
def client(xai_emulator: Emulator) -> Iterator[httpx.Client]:
    """An httpx client authorised against the test's emulator (base URL ``.../v1``)."""
    headers = {"Authorization": f"Bearer {xai_emulator.api_key}"}
    with httpx.Client(
        base_url=xai_emulator.base_url, headers=headers, timeout=30, trust_env=False
    ) as http:
        yield http


def split_frames(body: str) -> list[str]:
    """The ``data:`` payloads of an SSE body, asserting xAI's exact framing on the way."""
    assert body.endswith("data: [DONE]\n\n"), body[-200:]
    events = body[:-2].split("\n\n")
    payloads = []
    for event in events:
        assert event.startswith("data: "), event[:80]
        assert "\n" not in event, "one line per event, no event:/id: lines"
        payloads.append(event[len("data: ") :])
    assert payloads[-1] == "[DONE]"
    return payloads[:-1]


def post_stream(client: httpx.Client, text: str = "Say hi", **extra: Any) -> list[dict[str, Any]]:
    """POST a streamed chat request (one user message, usage included; ``extra`` body fields
    override) and return its parsed chunks, the framing checked."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": text}],
        "stream": True,
        "stream_options": {"include_usage": True},
        **extra,
    }
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream"
    return [json.loads(p) for p in split_frames(response.text)]


def split_events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """The ``(event name, data)`` pairs of a responses stream, asserting its framing: each
    event is an ``event:`` line and one ``data:`` line whose ``type`` is the event's name,
    numbered by ``sequence_number`` from 0, and the stream ends with ``data: [DONE]``."""
    assert body.endswith("\n\ndata: [DONE]\n\n"), body[-200:]
    events: list[tuple[str, dict[str, Any]]] = []
    for frame in body[: -len("data: [DONE]\n\n")].rstrip("\n").split("\n\n"):
        lines = frame.split("\n")
        assert len(lines) == 2, frame[:200]
        assert lines[0].startswith("event: ") and lines[1].startswith("data: "), frame[:200]
        name = lines[0][len("event: ") :]
        data = json.loads(lines[1][len("data: ") :])
        assert data["type"] == name
        assert data["sequence_number"] == len(events)
        events.append((name, data))
    return events
