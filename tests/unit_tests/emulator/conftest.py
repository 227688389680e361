"""What the emulator's tests share: an HTTP client for the test's emulator, jsonschema
validators for the schemas of xAI's OpenAPI spec (an independent check of what the emulator
sends), a streamed chat request with its framing checked, and a responses stream's named
events."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from xai_vision.emulator import Emulator
from xai_vision.emulator.validation import load_spec

SchemaValidator = Callable[[str], jsonschema.Draft202012Validator]

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


#: Schemas whose ``oneOf`` is read as ``anyOf``: their branches leave ``type`` a free string, so
#: a function_call output item also matches CustomToolCall and a reasoning input item
#: CompactionOutputItem (xai-api-facts.md, "Responses API").
LOOSE_ONE_OF = ("ModelOutput", "ModelInputPart")


@functools.cache
def _schema_validator(name: str) -> jsonschema.Draft202012Validator:
    spec = load_spec()
    schemas = dict(spec["components"]["schemas"])
    for loose in LOOSE_ONE_OF:
        schemas[loose] = {"anyOf": schemas[loose]["oneOf"]}
    components = {**spec["components"], "schemas": schemas}
    return jsonschema.Draft202012Validator({**schemas[name], "components": components})


@pytest.fixture(scope="session")
def xai_schema() -> SchemaValidator:
    """``xai_schema("ChatResponse").validate(payload)``: jsonschema's validator for one
    ``components.schemas`` entry of xAI's spec (``LOOSE_ONE_OF`` read as ``anyOf``)."""
    return _schema_validator


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
