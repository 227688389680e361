"""The emulator's ``/v1/batches`` on the wire: xAI's shapes (batch object, state counts, list,
results), its refusals (413, 422, 404, duplicate ids, models refused for batches), the
per-request failure and delay controls, and answers equal to the live endpoint's."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from xai_vision.emulator import Emulator
from xai_vision.emulator.config import EmulatorSettings

MODEL = "grok-4-fast-non-reasoning"
DOT = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMB"
    "AQDJ/pLvAAAAAElFTkSuQmCC"
)


def _chat(question: str = "What is this?", model: str = MODEL) -> dict[str, Any]:
    content = [{"type": "text", "text": question}, {"type": "image_url", "image_url": {"url": DOT}}]
    return {"model": model, "messages": [{"role": "user", "content": content}]}


def _entry(request_id: str, chat: dict[str, Any]) -> dict[str, Any]:
    return {"batch_request_id": request_id, "batch_request": {"chat_get_completion": chat}}


def _done(client: httpx.Client, batch_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        batch: dict[str, Any] = client.get(f"/batches/{batch_id}").json()
        if batch["state"]["num_pending"] == 0:
            return batch
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_a_batch_goes_through_in_xais_shapes(client: httpx.Client) -> None:
    created = client.post("/batches", json={"name": "shapes"})
    assert created.status_code == 200
    batch = created.json()
    assert set(batch) == {
        "batch_id",
        "name",
        "create_time",
        "expire_time",
        "state",
        "cost_breakdown",
    }
    assert batch["state"] == {
        "num_requests": 0, "num_pending": 0, "num_success": 0, "num_error": 0, "num_cancelled": 0,
    }  # fmt: skip
    body = {"batch_requests": [_entry("a", _chat()), _entry("b", _chat(model="grok-unheard-of"))]}
    added = client.post(f"/batches/{batch['batch_id']}/requests", json=body)
    assert added.status_code == 200, added.text
    finished = _done(client, batch["batch_id"])
    assert finished["state"]["num_success"] == finished["state"]["num_error"] == 1
    live = client.post("/chat/completions", json=_chat()).json()
    results = client.get(f"/batches/{batch['batch_id']}/results").json()
    assert results["pagination_token"] is None
    ok, failed = results["results"]
    completion = ok["response"]["chat_get_completion"]
    assert ok["batch_request_id"] == "a" and completion["object"] == "chat.completion"
    assert (
        completion["choices"][0]["message"]["content"] == live["choices"][0]["message"]["content"]
    )
    assert completion["usage"]["cost_in_usd_ticks"] == live["usage"]["cost_in_usd_ticks"] // 2
    assert finished["cost_breakdown"] == {
        "total_cost_usd_ticks": completion["usage"]["cost_in_usd_ticks"]
    }
    assert failed["batch_request_id"] == "b"
    assert (
        set(failed["error"]) == {"code", "message"}
        and "grok-unheard-of" in failed["error"]["message"]
    )
    listing = client.get("/batches").json()
    assert [b["batch_id"] for b in listing["batches"]] == [batch["batch_id"]]
    assert listing["pagination_token"] is None


def test_refusals_answer_before_anything_is_queued(client: httpx.Client) -> None:
    batch_id = client.post("/batches", json={"name": "refusals"}).json()["batch_id"]
    path = f"/batches/{batch_id}/requests"
    assert client.post(path, json={"batch_requests": []}).status_code == 422
    assert (
        client.post(path, json={"batch_requests": [{"batch_request_id": "x"}]}).status_code == 422
    )
    twice = client.post(path, json={"batch_requests": [_entry("d", _chat()), _entry("d", _chat())]})
    assert twice.status_code == 400 and "unique" in twice.json()["error"]
    refused = client.post(
        path, json={"batch_requests": [_entry("r", _chat(model="grok-code-fast-1"))]}
    )
    assert refused.status_code == 400
    assert (
        refused.json()["error"] == "Model grok-code-fast-1 is not supported for batch processing."
    )
    assert (
        client.post(
            "/batches/batch_nope/requests", json={"batch_requests": [_entry("n", _chat())]}
        ).status_code
        == 404
    )
    assert client.get("/batches/batch_nope/results").status_code == 404
    assert client.post("/batches/batch_nope:cancel").status_code == 404
    assert client.get(f"/batches/{batch_id}").json()["state"]["num_requests"] == 0


def test_a_body_over_the_limit_is_413() -> None:
    settings = EmulatorSettings(batch_max_request_bytes=2_000)
    with (
        Emulator(settings=settings) as emulator,
        httpx.Client(
            base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"}
        ) as client,
    ):
        batch_id = client.post("/batches", json={"name": "limit"}).json()["batch_id"]
        entries = [_entry(f"e{i}", _chat()) for i in range(8)]
        over = client.post(f"/batches/{batch_id}/requests", json={"batch_requests": entries})
        fits = client.post(f"/batches/{batch_id}/requests", json={"batch_requests": entries[:2]})
    assert over.status_code == 413
    assert fits.status_code == 200


def test_delay_failures_pages_and_cancel_are_controlled(
    client: httpx.Client, xai_emulator: Emulator
) -> None:
    xai_emulator.set_batch_delay(60)
    xai_emulator.fail_batch_requests(["r1"], code="Internal error", message="lost")
    batch_id = client.post("/batches", json={"name": "controls"}).json()["batch_id"]
    body = {"batch_requests": [_entry(f"r{i}", _chat(f"question {i}")) for i in range(5)]}
    assert client.post(f"/batches/{batch_id}/requests", json=body).status_code == 200
    assert client.get(f"/batches/{batch_id}").json()["state"]["num_pending"] == 5
    xai_emulator.set_batch_delay(None)
    _done(client, batch_id)
    first = client.get(f"/batches/{batch_id}/results", params={"page_size": 2}).json()
    second = client.get(
        f"/batches/{batch_id}/results",
        params={"page_size": 2, "pagination_token": first["pagination_token"]},
    ).json()
    assert [r["batch_request_id"] for r in first["results"] + second["results"]] == [
        "r0",
        "r1",
        "r2",
        "r3",
    ]
    assert first["results"][1]["error"] == {"code": "Internal error", "message": "lost"}
    xai_emulator.set_batch_delay(60)
    late = {"batch_requests": [_entry("late", _chat())]}
    assert client.post(f"/batches/{batch_id}/requests", json=late).status_code == 200
    cancelled = client.post(f"/batches/{batch_id}:cancel").json()
    assert cancelled["cancel_time"] and cancelled["state"]["num_cancelled"] == 1
    assert cancelled["state"]["num_requests"] == 6 and cancelled["state"]["num_pending"] == 0


@pytest.mark.parametrize("token", ["garbage", "page-x"])
def test_a_token_the_api_never_gave_is_400(client: httpx.Client, token: str) -> None:
    batch_id = client.post("/batches", json={"name": "tokens"}).json()["batch_id"]
    answer = client.get(f"/batches/{batch_id}/results", params={"pagination_token": token})
    assert answer.status_code == 400
