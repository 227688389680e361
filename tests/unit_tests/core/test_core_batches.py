"""xAI's Batch API in the core (``client.batches``, the chunker, the results parser) against
the emulator's ``/v1/batches``: bodies under their limit as the emulator received them, ids
once each, pages, cancel, refusals, per-request failures, retries and prices."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from collections.abc import Iterable

import pytest
from PIL import Image
from retry_sleeps import Sleeps
from xai_vision import (
    AsyncXAIClient,
    BatchModelRefusedError,
    ChatRequest,
    NotFoundError,
    PayloadTooLargeError,
    XAIClient,
    image_part,
    prepare_image,
    text_part,
    user_message,
)
from xai_vision._wire import RequestBody
from xai_vision.batches import (
    MAX_ADD_REQUESTS_BYTES,
    Batch,
    BatchResultsPage,
    batch_request_entry,
    chunk_requests,
    parse_results_page,
)
from xai_vision.emulator import Emulator
from xai_vision.emulator.catalog import EmulatedModel
from xai_vision.errors import BadRequestError, RequestValidationError
from xai_vision.pricing import batch_price_ticks

MODEL = "grok-4-fast-non-reasoning"


def _request(index: int, model: str = MODEL) -> ChatRequest:
    buffer = io.BytesIO()
    Image.new("RGB", (20 + index, 12), (index * 7 % 256, 40, 200)).save(buffer, "PNG")
    image = prepare_image(buffer.getvalue())
    content = [text_part(f"What is image {index}?"), image_part(image)]
    return ChatRequest(model=model, messages=[user_message(content)])


def _batch_with(client: XAIClient, name: str, requests: Iterable[tuple[str, ChatRequest]]) -> Batch:
    """A new batch named ``name`` holding ``requests``, added in one body."""
    batch = client.batches.create(name)
    (chunk,) = chunk_requests(requests)
    client.batches.add_requests(batch.batch_id, chunk)
    return batch


def _waiting_batch(
    client: XAIClient, emulator: Emulator, name: str, prefix: str, count: int
) -> Batch:
    """A batch of ``count`` requests (ids ``<prefix>0``...) that the emulator answers only
    after 60 s: all still pending while the test looks."""
    emulator.set_batch_delay(60)
    return _batch_with(client, name, ((f"{prefix}{i}", _request(i)) for i in range(count)))


def _add_calls(emulator: Emulator) -> list[tuple[int, list[str]]]:
    """Each add-requests call the emulator received: its body size and ids."""
    return [
        (r.body_size, [e["batch_request_id"] for e in r.body["batch_requests"]])
        for r in emulator.requests
        if r.method == "POST" and r.path.endswith("/requests")
    ]


def _wait_done(client: XAIClient, batch_id: str) -> None:
    deadline = time.monotonic() + 20
    while client.batches.get(batch_id).state.num_pending:
        assert time.monotonic() < deadline, "the emulator did not finish the batch"
        time.sleep(0.02)


def test_chunks_stay_under_the_limit_as_received_and_carry_each_id_once_in_order(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    limit = 2_500
    ids = [f"req-{i}" for i in range(23)]
    chunks = chunk_requests(((rid, _request(i)) for i, rid in enumerate(ids)), max_bytes=limit)
    batch = client.batches.create("chunks")
    for chunk in chunks:
        assert len(b"".join(chunk.body.iter_bytes())) == chunk.body.length
        client.batches.add_requests(batch.batch_id, chunk)
    calls = _add_calls(xai_emulator)
    assert len(calls) > 3, "the limit must split the job"
    assert max(size for size, _ in calls) <= limit
    # Greedy: each body but the last would have gone over the limit with one more request.
    assert all(size > limit - 420 for size, _ in calls[:-1])
    assert [rid for _, sent in calls for rid in sent] == ids
    _wait_done(client, batch.batch_id)
    assert client.batches.get(batch.batch_id).state.num_success == len(ids)


def test_a_body_at_xais_real_limit_is_accepted_and_one_byte_over_is_a_413(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    noisy = Image.frombytes("RGB", (1100, 1100), os.urandom(1100 * 1100 * 3))
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    image = prepare_image(buffer.getvalue())
    request = ChatRequest(
        model=MODEL, messages=[user_message([text_part("hi"), image_part(image)])]
    )
    per_request = batch_request_entry("x", request).length
    count = MAX_ADD_REQUESTS_BYTES // per_request + 2  # just over one body's worth
    batch = client.batches.create("real limit")
    for chunk in chunk_requests((f"big-{i}", request) for i in range(count)):
        client.batches.add_requests(batch.batch_id, chunk)
    sizes = [size for size, _ in _add_calls(xai_emulator)]
    assert len(sizes) == 2
    assert MAX_ADD_REQUESTS_BYTES - per_request < sizes[0] <= MAX_ADD_REQUESTS_BYTES
    over = b'{"batch_requests":[]}' + b" " * (MAX_ADD_REQUESTS_BYTES - 20)
    with pytest.raises(PayloadTooLargeError):
        client.post_body(f"/batches/{batch.batch_id}/requests", RequestBody.of(over))


def test_a_request_too_big_for_any_body_is_refused_by_name_before_sending() -> None:
    with pytest.raises(RequestValidationError, match="batch request lonely"):
        batch_request_entry("lonely", _request(1), max_bytes=300)


def test_results_come_in_pages_and_a_null_token_only_means_nothing_more_for_now(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    batch = _waiting_batch(client, xai_emulator, "pages", "r", 7)
    waiting = client.batches.results(batch.batch_id)
    assert waiting.results == [] and waiting.pagination_token is None
    assert client.batches.get(batch.batch_id).state.num_pending == 7
    xai_emulator.set_batch_delay(0)
    _wait_done(client, batch.batch_id)
    pages: list[BatchResultsPage] = []
    token = None
    while True:
        page = client.batches.results(batch.batch_id, page_size=3, pagination_token=token)
        pages.append(page)
        token = page.pagination_token
        if token is None:
            break
    assert [len(p.results) for p in pages] == [3, 3, 1]
    assert [r.batch_request_id for p in pages for r in p.results] == [f"r{i}" for i in range(7)]
    first = pages[0].results[0]
    assert (
        first.completion is not None and "You asked: What is image 0?" in first.completion.content
    )


def test_answers_match_the_live_endpoint_at_half_its_price(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    live = client.create(_request(3))
    batch = _batch_with(client, "price", [("one", _request(3))])
    _wait_done(client, batch.batch_id)
    (result,) = client.batches.results(batch.batch_id).results
    assert result.completion is not None and live.usage is not None
    assert result.completion.content == live.content
    usage = result.completion.usage
    assert usage is not None and live.usage.cost_in_usd_ticks is not None
    assert usage.cost_in_usd_ticks == batch_price_ticks(live.usage.cost_in_usd_ticks)
    assert client.batches.get(batch.batch_id).total_cost_usd_ticks == usage.cost_in_usd_ticks


def test_a_cost_xai_does_not_report_is_computed_at_batch_prices() -> None:
    from xai_vision.emulator.config import EmulatorSettings

    with (
        Emulator(settings=EmulatorSettings(report_cost=False)) as emulator,
        XAIClient(api_key=emulator.api_key, base_url=emulator.base_url, timeout=10) as client,
    ):
        live = client.create(_request(2))
        batch = _batch_with(client, "computed", [("c", _request(2))])
        _wait_done(client, batch.batch_id)
        (result,) = client.batches.results(batch.batch_id).results
    assert result.completion is not None and result.completion.usage is not None
    assert live.usage is not None and live.usage.cost_computed
    assert result.completion.usage.cost_computed
    assert result.completion.usage.cost_in_usd_ticks == batch_price_ticks(
        live.usage.cost_in_usd_ticks or 0
    )


def test_failed_and_rejected_requests_are_error_results(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    xai_emulator.fail_batch_requests(["boom"], code="Internal error", message="disk on fire")
    unknown_model = _request(1, model="grok-never-was")
    requests = [("ok", _request(0)), ("boom", _request(1)), ("nope", unknown_model)]
    batch = _batch_with(client, "errors", requests)
    _wait_done(client, batch.batch_id)
    results = {r.batch_request_id: r for r in client.batches.results(batch.batch_id).results}
    assert results["ok"].succeeded
    assert (results["boom"].error_code, results["boom"].error_message) == (
        "Internal error",
        "disk on fire",
    )
    assert "grok-never-was does not exist" in (results["nope"].error_message or "")
    assert client.batches.get(batch.batch_id).state.num_error == 2


def test_cancel_stops_the_waiting_requests_and_later_adds(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    batch = _waiting_batch(client, xai_emulator, "cancel", "c", 4)
    cancelled = client.batches.cancel(batch.batch_id)
    assert cancelled.cancelled
    assert (cancelled.state.num_cancelled, cancelled.state.num_pending) == (4, 0)
    assert any(r.path.endswith(":cancel") for r in xai_emulator.requests)
    with pytest.raises(BadRequestError, match="cancelled"):
        client.batches.add_requests(batch.batch_id, next(chunk_requests([("late", _request(9))])))


def test_ids_already_in_the_batch_are_refused_and_nothing_of_that_body_is_added(
    client: XAIClient,
) -> None:
    batch = _batch_with(client, "dupes", [("a", _request(0))])
    again = next(chunk_requests([("b", _request(1)), ("a", _request(2))]))
    with pytest.raises(BadRequestError, match="a is already in the batch"):
        client.batches.add_requests(batch.batch_id, again)
    assert client.batches.get(batch.batch_id).state.num_requests == 1


def test_a_model_refused_for_batches_is_a_typed_error_naming_it() -> None:
    with (
        Emulator(models=[EmulatedModel("grok-4.5")]) as emulator,
        XAIClient(api_key=emulator.api_key, base_url=emulator.base_url, timeout=10) as client,
    ):
        batch = client.batches.create("refused")
        chunk = next(chunk_requests([("x", _request(0, model="grok-4.5"))]))
        with pytest.raises(BatchModelRefusedError, match=r"grok-4\.5 for batch processing"):
            client.batches.add_requests(batch.batch_id, chunk, model="grok-4.5")
        assert client.batches.get(batch.batch_id).state.num_requests == 0


def test_unknown_and_other_keys_batches_are_404(xai_emulator: Emulator) -> None:
    with (
        XAIClient(api_key="key-one", base_url=xai_emulator.base_url, timeout=10) as one,
        XAIClient(api_key="key-two", base_url=xai_emulator.base_url, timeout=10) as two,
    ):
        batch = one.batches.create("mine")
        with pytest.raises(NotFoundError):
            two.batches.get(batch.batch_id)
        with pytest.raises(NotFoundError):
            one.batches.get("batch_missing")
        assert [b.batch_id for b in one.batches.list().batches] == [batch.batch_id]
        assert two.batches.list().batches == []


def test_batch_calls_are_retried_like_every_call(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    batch = client.batches.create("retry")
    xai_emulator.fail_next(2, status=503)
    client.batches.add_requests(batch.batch_id, next(chunk_requests([("r", _request(0))])))
    assert len(sleeps) == 2
    assert client.batches.get(batch.batch_id).state.num_requests == 1


def test_the_async_client_has_the_same_namespace(xai_emulator: Emulator) -> None:
    async def run() -> list[str]:
        async with AsyncXAIClient(
            api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, timeout=10
        ) as client:
            batch = await client.batches.create("async")
            for chunk in chunk_requests((f"a{i}", _request(i)) for i in range(3)):
                await client.batches.add_requests(batch.batch_id, chunk)
            while (await client.batches.get(batch.batch_id)).state.num_pending:
                await asyncio.sleep(0.02)
            page = await client.batches.results(batch.batch_id)
            assert (await client.batches.cancel(batch.batch_id)).cancelled
            return [r.batch_request_id for r in page.results if r.succeeded]

    assert asyncio.run(run()) == ["a0", "a1", "a2"]


@pytest.mark.parametrize(
    "page",
    [
        {
            "results": [
                {"batch_request_id": "s", "response": {"chat_get_completion": "COMPLETION"}},
                {"batch_request_id": "f", "error": {"code": "Internal", "message": "bad"}},
            ],
            "pagination_token": "next",
        },
        {
            "succeeded": [{"batch_request_id": "s", "response": "COMPLETION"}],
            "failed": [{"batch_request_id": "f", "error": {"code": "Internal", "message": "bad"}}],
            "pagination_token": "next",
        },
    ],
    ids=["results list", "succeeded and failed lists"],
)
def test_both_result_shapes_parse_alike(page: dict[str, object]) -> None:
    completion = {
        "id": "c1",
        "model": MODEL,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
    }
    text = json.dumps(page).replace('"COMPLETION"', json.dumps(completion))
    parsed = parse_results_page(json.loads(text))
    assert parsed.pagination_token == "next"
    by_id = {r.batch_request_id: r for r in parsed.results}
    assert by_id["s"].completion is not None and by_id["s"].completion.content == "hi"
    assert (by_id["f"].error_code, by_id["f"].error_message) == ("Internal", "bad")
    assert not by_id["f"].succeeded
