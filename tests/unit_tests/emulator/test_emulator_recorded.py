"""Every recorded real xAI request, replayed against the emulator, gets an answer of the same
kind and shape as xAI's: same resolved model, same tool names, same finish reason, same keys."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from recorded import INTERACTIONS, Interaction, recorded


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


@pytest.mark.parametrize("item", INTERACTIONS, ids=str)
def test_recorded_request_gets_an_answer_shaped_like_xais(
    client: httpx.Client, item: Interaction
) -> None:
    response = client.post("/chat/completions", json=item.request)
    assert response.status_code == 200, response.text
    ours, theirs = _summary(response.text), _summary(item.body)
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
    item = recorded("TestOpenAICompatibleCommon__xai-grok-4-fast__tool", 1)
    answer = client.post("/chat/completions", json=item.request).json()
    assert answer["choices"][0]["message"]["content"].startswith("Tool weather returned: 40 C\n")
