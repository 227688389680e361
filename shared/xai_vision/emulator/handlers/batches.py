"""xAI's Batch API: ``POST /v1/batches``, ``GET /v1/batches``, ``GET /v1/batches/{id}``,
``POST /v1/batches/{id}/requests``, ``GET /v1/batches/{id}/results``, ``POST
/v1/batches/{id}:cancel``, in xAI's shapes.

Each added request is answered like a live chat completions request: the same checks
(:func:`~xai_vision.emulator.checks.check_chat_request`; a rejection becomes the request's error
result) and the same answer (:func:`~xai_vision.emulator.answers.build_answer`,
:func:`~xai_vision.emulator.handlers.chat_completions.completion_body`), billed at batch prices
(half). Injected faults and latency apply as on the answering endpoints. A worker per batch
answers its queue in order, each request no earlier than the processing delay
(``EmulatorSettings.batch_delay``, or the ``set_batch_delay`` control) after it was added;
``fail_batch_requests`` makes chosen requests finish with an error. An add-requests body over
``EmulatorSettings.batch_max_request_bytes`` (xAI's 25,000,000) is a 413; an id already in the
batch a 400; a model in ``EmulatorSettings.batch_refused_models`` a 400 "not supported for batch
processing", before anything is queued.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

from xai_vision.emulator.answers import build_answer
from xai_vision.emulator.batch_store import BatchStore
from xai_vision.emulator.catalog import resolve_model
from xai_vision.emulator.checks import DESERIALIZE, check_chat_request
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.handlers.answering import inject_request_faults, request_json
from xai_vision.emulator.handlers.chat_completions import completion_body
from xai_vision.emulator.http11 import Exchange
from xai_vision.emulator.validation import Rejection
from xai_vision.pricing import batch_price_ticks

__all__ = [
    "add_requests",
    "cancel_batch",
    "create_batch",
    "get_batch",
    "get_results",
    "list_batches",
    "stop_batch_workers",
]

#: Results a page holds unless ``page_size`` says otherwise, and the most it may say.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

#: Background workers, kept referenced until they finish.
_WORKERS: set[asyncio.Task[None]] = set()


def _unknown(batch_id: str) -> Rejection:
    return Rejection(404, f"The batch {batch_id} does not exist or belongs to another team.")


def _page_size(query: Mapping[str, str]) -> int:
    raw = query.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or int(raw) < 1:
        raise Rejection(400, f"page_size: expected a positive integer, got {raw!r}")
    return min(int(raw), MAX_PAGE_SIZE)


def _offset(query: Mapping[str, str]) -> int:
    token = query.get("pagination_token")
    if not token:
        return 0
    if not token.startswith("page-") or not token[5:].isdigit():
        raise Rejection(400, f"pagination_token: {token!r} is not a token this API gave")
    return int(token[5:])


async def create_batch(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """``POST /v1/batches {"name"}``: a new empty batch."""
    if not await inject_request_faults(context, exchange):
        return
    body = request_json(exchange.request)
    if not isinstance(body, dict) or not isinstance(body.get("name", ""), str):
        raise Rejection(422, f"{DESERIALIZE}: expected an object with a string `name`")
    created = context.state.batches.create(exchange.request.owner(), body.get("name") or "")
    await exchange.send_json(200, created)


async def list_batches(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """``GET /v1/batches``: the key's batches, newest first, a page at a time."""
    if not await inject_request_faults(context, exchange):
        return
    query = exchange.request.query()
    start, size = _offset(query), _page_size(query)
    found = context.state.batches.listing(exchange.request.owner())
    page = found[start : start + size]
    end = start + len(page)
    token = f"page-{end}" if end < len(found) else None
    await exchange.send_json(200, {"batches": page, "pagination_token": token})


async def get_batch(context: HandlerContext, exchange: Exchange, params: Mapping[str, str]) -> None:
    """``GET /v1/batches/{batch_id}``: the batch object with its state counts."""
    await _answer_batch(context, exchange, params["batch_id"], BatchStore.get)


async def cancel_batch(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """``POST /v1/batches/{batch_id}:cancel``: waiting requests are cancelled."""
    await _answer_batch(context, exchange, params["batch_id"], BatchStore.cancel)


async def get_results(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """``GET /v1/batches/{batch_id}/results``: finished results in the order they finished;
    a null ``pagination_token`` when no more have finished yet."""
    if not await inject_request_faults(context, exchange):
        return
    query = exchange.request.query()
    start, size = _offset(query), _page_size(query)
    found = context.state.batches.results(exchange.request.owner(), params["batch_id"], start, size)
    if found is None:
        raise _unknown(params["batch_id"])
    page, end = found
    token = None if end is None else f"page-{end}"
    await exchange.send_json(200, {"results": page, "pagination_token": token})


def _entries(body: Any) -> list[tuple[str, Any]]:
    """The (batch_request_id, chat body) pairs of an add-requests body; 422 for another shape."""
    entries = body.get("batch_requests") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise Rejection(422, f"{DESERIALIZE}: expected a non-empty `batch_requests` list")
    pairs: list[tuple[str, Any]] = []
    for i, entry in enumerate(entries):
        request_id = entry.get("batch_request_id") if isinstance(entry, dict) else None
        wrapped = entry.get("batch_request") if isinstance(entry, dict) else None
        chat = wrapped.get("chat_get_completion") if isinstance(wrapped, dict) else None
        if not isinstance(request_id, str) or not request_id or not isinstance(chat, dict):
            raise Rejection(
                422,
                f"{DESERIALIZE}: batch_requests[{i}]: expected `batch_request_id` (a string) and "
                "`batch_request.chat_get_completion` (a chat completions request)",
            )
        pairs.append((request_id, chat))
    return pairs


def _check_batch_model(context: HandlerContext, body: Mapping[str, Any]) -> None:
    """400 for a model xAI does not take in batches (named directly or through an alias)."""
    requested = body.get("model")
    if not isinstance(requested, str):
        return
    refused = context.settings.batch_refused_models
    info = resolve_model(requested, None, context.settings.models)
    if requested in refused or (info is not None and info.name in refused):
        raise Rejection(400, f"Model {requested} is not supported for batch processing.")


async def add_requests(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """``POST /v1/batches/{batch_id}/requests``: queue the requests (all or none)."""
    if not await inject_request_faults(context, exchange):
        return
    limit = context.settings.batch_max_request_bytes
    if len(exchange.request.body) > limit:
        raise Rejection(
            413, f"The request body is {len(exchange.request.body)} bytes; at most {limit} bytes"
        )
    entries = _entries(request_json(exchange.request))
    for _, chat in entries:
        _check_batch_model(context, chat)
    batch_id = params["batch_id"]
    refusal, start = context.state.batches.add(exchange.request.owner(), batch_id, entries)
    if refusal == "unknown":
        raise _unknown(batch_id)
    if refusal is not None:
        raise Rejection(400, refusal)
    if start:
        worker = asyncio.get_running_loop().create_task(_work(context, batch_id))
        _WORKERS.add(worker)
        worker.add_done_callback(_WORKERS.discard)
    await exchange.send_json(200, {})


async def _work(context: HandlerContext, batch_id: str) -> None:
    """Answer the batch's queue in order, each request once its delay has passed."""
    store = context.state.batches
    while (pending := store.next_pending(batch_id)) is not None:
        # The delay may change meanwhile (set_batch_delay): look again every 50 ms.
        while (
            wait := pending.added_at
            + store.current_delay(context.settings.batch_delay)
            - time.time()
        ) > 0:
            await asyncio.sleep(min(wait, 0.05))
        store.finish(
            batch_id, pending, await _answer(context, pending.batch_request_id, pending.body)
        )
        await asyncio.sleep(0)  # let the server answer polls between requests


async def _answer(context: HandlerContext, request_id: str, body: Any) -> dict[str, Any]:
    """One request's result: the chat answer at batch prices, or its error."""
    failure = context.state.batches.failure_for(request_id)
    if failure is not None:
        return {
            "batch_request_id": request_id,
            "error": {"code": failure[0], "message": failure[1]},
        }
    try:
        if isinstance(body, dict) and body.get("stream"):
            raise Rejection(400, "stream: batch requests are answered whole, not streamed")
        call = await check_chat_request(body, context.settings, context.fetch_image)
    except Rejection as rejection:
        error = {"code": rejection.code, "message": rejection.message}
        return {"batch_request_id": request_id, "error": error}
    answer = build_answer(call)
    if context.settings.report_cost:
        answer.usage["cost_in_usd_ticks"] = batch_price_ticks(answer.usage["cost_in_usd_ticks"])
    else:
        answer.usage.pop("cost_in_usd_ticks", None)
    response = {"chat_get_completion": completion_body(answer)}
    return {"batch_request_id": request_id, "response": response}


async def stop_batch_workers() -> None:
    """Cancel the batch workers running on this loop (the server is closing)."""
    loop = asyncio.get_running_loop()
    mine = [task for task in _WORKERS if task.get_loop() is loop and not task.done()]
    for task in mine:
        task.cancel()
    await asyncio.gather(*mine, return_exceptions=True)


async def _answer_batch(
    context: HandlerContext,
    exchange: Exchange,
    batch_id: str,
    action: Callable[[BatchStore, bytes, str], dict[str, Any] | None],
) -> None:
    """Answer (after any queued fault) with the batch object ``action`` gives for the key's
    batch ``batch_id``, or xAI's 404 when the key has no such batch."""
    if not await inject_request_faults(context, exchange):
        return
    found = action(context.state.batches, exchange.request.owner(), batch_id)
    if found is None:
        raise _unknown(batch_id)
    await exchange.send_json(200, found)
