"""Every recorded real xAI request, replayed against the emulator, gets an answer of the same
kind and shape as xAI's: same resolved model, same tool names, same finish reason, same keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

RECORDED = Path(__file__).parents[2] / "data" / "recorded"


def _interactions() -> list[tuple[str, int, dict[str, Any], str]]:
    found = []
    for path in sorted(RECORDED.glob("*.yaml")):
        cassette = yaml.safe_load(path.read_text())
        for i, interaction in enumerate(cassette["interactions"]):
            body = json.loads(interaction["request"]["body"])
            found.append((path.name, i, body, interaction["response"]["body"]))
    return found


INTERACTIONS = _interactions()


def _chunks(text: str) -> list[dict[str, Any]]:
    return [json.loads(e[len("data: ") :]) for e in text.split("\n\n") if e.startswith("data: {")]


def _summary(response_text: str) -> dict[str, Any]:
    """Model, tool names, finish reason and key sets of a JSON or SSE answer."""
    if response_text.startswith("data: "):
        chunks = _chunks(response_text)
        choices = [c["choices"][0] for c in chunks if c["choices"]]
        deltas = [choice["delta"] for choice in choices]
        return {
            "model": chunks[0]["model"],
            "tools": [tc["function"]["name"] for d in deltas for tc in d.get("tool_calls", [])],
            "finish": [d["finish_reason"] for d in choices if "finish_reason" in d],
            "chunk_keys": {tuple(c) for c in chunks},
            "usage_keys": set(chunks[-1]["usage"]) - {"cost_in_usd_ticks"},
            "ids": {c["id"] for c in chunks},
        }
    payload = json.loads(response_text)
    message = payload["choices"][0]["message"]
    return {
        "model": payload["model"],
        "tools": [tc["function"]["name"] for tc in message.get("tool_calls", [])],
        "finish": [payload["choices"][0]["finish_reason"]],
        "keys": list(payload),
        "message_keys": set(message),
        "usage_keys": set(payload["usage"]) - {"cost_in_usd_ticks"},
        "tool_call_keys": [set(tc) for tc in message.get("tool_calls", [])],
    }


def test_every_cassette_was_found() -> None:
    assert len(INTERACTIONS) == 21


@pytest.mark.parametrize(
    ("name", "index", "request_body", "recorded"),
    INTERACTIONS,
    ids=[f"{n.removesuffix('.yaml')}-{i}" for n, i, _, _ in INTERACTIONS],
)
def test_recorded_request_gets_an_answer_shaped_like_xais(
    client: httpx.Client, name: str, index: int, request_body: dict[str, Any], recorded: str
) -> None:
    response = client.post("/chat/completions", json=request_body)
    assert response.status_code == 200, response.text
    ours, theirs = _summary(response.text), _summary(recorded)
    assert ours["model"] == theirs["model"]
    assert ours["tools"] == theirs["tools"]
    assert ours["finish"] == theirs["finish"]
    assert ours["usage_keys"] == theirs["usage_keys"]
    if "chunk_keys" in theirs:
        assert ours["chunk_keys"] == theirs["chunk_keys"]
        assert len(ours["ids"]) == 1
    else:
        assert ours["keys"] == theirs["keys"]
        assert ours["tool_call_keys"] == theirs["tool_call_keys"]
        # grok-3-mini returns its reasoning text; the others return none (fact 15).
        assert ours["message_keys"] == theirs["message_keys"]


def test_recorded_tool_results_are_used_in_the_answer(client: httpx.Client) -> None:
    name, _, body, _ = next(
        item for item in INTERACTIONS if "grok-4-fast__tool.yaml" in item[0] and item[1] == 1
    )
    content = client.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    assert content.startswith("Tool weather returned: 40 C\n"), name
