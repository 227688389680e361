"""What the emulator's tests share: an HTTP client for the test's emulator, jsonschema
validators for the schemas of xAI's OpenAPI spec (an independent check of what the emulator
sends), and a streamed chat request with its framing checked."""

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


@functools.cache
def _schema_validator(name: str) -> jsonschema.Draft202012Validator:
    spec = load_spec()
    schema = {**spec["components"]["schemas"][name], "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="session")
def xai_schema() -> SchemaValidator:
    """``xai_schema("ChatResponse").validate(payload)``: jsonschema's validator for one
    ``components.schemas`` entry of xAI's spec."""
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
