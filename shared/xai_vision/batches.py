"""xAI's Batch API (``/v1/batches``): typed objects, the results parser, the add-requests
chunker, and the ``client.batches`` namespace of :class:`~xai_vision.client.XAIClient` and
:class:`~xai_vision.client.AsyncXAIClient`.

A batch is created empty, filled by ``POST /v1/batches/{id}/requests`` calls of at most
25,000,000 bytes each, polled until ``num_pending`` is 0, and read back a page of results at a
time. Batches are billed at half the standard prices
(:func:`~xai_vision.pricing.batch_price_ticks`).
Every request of a batch is a chat completions body built by the core's one body builder
(:class:`~xai_vision.chat_completions.ChatCompletionsEndpoint`), whatever endpoint the client
otherwise uses: xAI's batches carry ``chat_get_completion`` requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field

from xai_vision import _json
from xai_vision._wire import RequestBody
from xai_vision.chat_completions import ChatCompletionsEndpoint
from xai_vision.errors import (
    APIError,
    BadRequestError,
    BatchModelRefusedError,
    RequestValidationError,
    ResponseParseError,
)
from xai_vision.files import resource_path
from xai_vision.models import ChatCompletion, parse_model

if TYPE_CHECKING:
    from xai_vision.client import AsyncXAIClient, XAIClient
    from xai_vision.messages import ChatRequest

__all__ = [
    "MAX_ADD_REQUESTS_BYTES",
    "AsyncBatches",
    "Batch",
    "BatchChunk",
    "BatchCounts",
    "BatchList",
    "BatchRequestEntry",
    "BatchResult",
    "BatchResultsPage",
    "Batches",
    "batch_request_entry",
    "chunk_entries",
    "chunk_requests",
    "parse_results_page",
]

#: The most bytes one ``POST /v1/batches/{id}/requests`` body may hold (xAI's limit).
MAX_ADD_REQUESTS_BYTES: Final = 25_000_000

#: How xAI words a model it does not take in batches.
_REFUSED_FOR_BATCH: Final = "not supported for batch processing"

_CHAT_BODIES: Final = ChatCompletionsEndpoint()
_CHUNK_HEAD: Final = b'{"batch_requests":['
_CHUNK_TAIL: Final = b"]}"


# --------------------------------------------------------------------------- objects


class BatchCounts(BaseModel):
    """A batch's requests by state (xAI's ``state`` object)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    num_requests: int = 0
    num_pending: int = 0
    num_success: int = 0
    num_error: int = 0
    num_cancelled: int = 0

    @property
    def finished(self) -> int:
        """Requests no longer pending: answered, failed or cancelled."""
        return self.num_success + self.num_error + self.num_cancelled


class Batch(BaseModel):
    """A batch object (create, get, cancel and list all answer with it)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    batch_id: str
    name: str | None = None
    create_time: str | None = None
    expire_time: str | None = None
    cancel_time: str | None = None
    state: BatchCounts = Field(default_factory=BatchCounts)
    cost_breakdown: dict[str, Any] | None = None

    @property
    def total_cost_usd_ticks(self) -> int | None:
        """What the batch cost so far, in ticks (1e-10 USD), when xAI says."""
        ticks = (self.cost_breakdown or {}).get("total_cost_usd_ticks")
        return ticks if isinstance(ticks, int) and not isinstance(ticks, bool) else None

    @property
    def cancelled(self) -> bool:
        """Whether the batch was cancelled."""
        return self.cancel_time is not None


class BatchList(BaseModel):
    """One page of ``GET /v1/batches``."""

    model_config = ConfigDict(frozen=True)

    batches: list[Batch] = Field(default_factory=list)
    pagination_token: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """One finished request: its answer, or xAI's error for it."""

    batch_request_id: str
    completion: ChatCompletion | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def succeeded(self) -> bool:
        """Whether the request was answered."""
        return self.completion is not None

    def error(self) -> APIError:
        """The failure as a typed error (for a result that failed)."""
        return APIError(self.error_message or "the batch request failed", code=self.error_code)


@dataclass(frozen=True)
class BatchResultsPage:
    """One page of results; ``pagination_token`` None means no more finished results *for now*
    (the batch may still be running)."""

    results: list[BatchResult]
    pagination_token: str | None


def _result_error(raw: Any) -> tuple[str | None, str]:
    if isinstance(raw, Mapping):
        code, message = raw.get("code"), raw.get("message") or raw.get("error")
        return (None if code is None else str(code)), str(message or "the batch request failed")
    return None, str(raw or "the batch request failed")


def _parse_result(raw: Any, failed: bool = False) -> BatchResult:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("batch_request_id"), str):
        raise ResponseParseError(f"a batch result lacks a 'batch_request_id': {raw!r:.200}")
    request_id: str = raw["batch_request_id"]
    response = raw.get("response")
    if not failed and isinstance(response, Mapping):
        completion = response.get("chat_get_completion", response)
        return BatchResult(request_id, completion=_CHAT_BODIES.parse_response(completion))
    code, message = _result_error(raw.get("error"))
    return BatchResult(request_id, error_code=code, error_message=message)


def parse_results_page(data: Any) -> BatchResultsPage:
    """A results page in either shape xAI's descriptions give: one ``results`` list (each an
    answer or an ``error``), or ``succeeded`` / ``failed`` lists. The one place that reads them."""
    if not isinstance(data, Mapping):
        raise ResponseParseError(f"a batch results page is not an object: {data!r:.200}")
    token = data.get("pagination_token")
    token = token if isinstance(token, str) and token else None
    if "results" in data:
        results = [_parse_result(item) for item in data.get("results") or []]
    else:
        results = [_parse_result(item) for item in data.get("succeeded") or []]
        results += [_parse_result(item, failed=True) for item in data.get("failed") or []]
    return BatchResultsPage(results, token)


# --------------------------------------------------------------------------- chunks


@dataclass(frozen=True)
class BatchRequestEntry:
    """One request of an add-requests body, encoded: its id, its JSON in pieces, its bytes."""

    batch_request_id: str
    parts: tuple[bytes | str, ...]
    length: int


@dataclass(frozen=True)
class BatchChunk:
    """One add-requests HTTP body (never over its limit) and the ids it carries, in order."""

    ids: tuple[str, ...]
    body: RequestBody


def _check_id(batch_request_id: str) -> None:
    if not isinstance(batch_request_id, str) or not batch_request_id:
        raise RequestValidationError(
            f"batch_request_id={batch_request_id!r} is invalid: expected a non-empty string"
        )


def _joined(parts: tuple[bytes | str, ...]) -> tuple[bytes | str, ...]:
    """``parts`` with each run of JSON bytes joined into one exactly sized object (the
    encoder's output may keep a larger buffer: kilobytes per small body, held per entry)."""
    joined: list[bytes | str] = []
    run: list[bytes] = []
    for part in parts:
        if isinstance(part, bytes):
            run.append(part)
            continue
        if run:
            joined.append(b"".join(run))
            run = []
        joined.append(part)
    if run:
        joined.append(b"".join(run))
    return tuple(joined)


def batch_request_entry(
    batch_request_id: str, request: ChatRequest, *, max_bytes: int = MAX_ADD_REQUESTS_BYTES
) -> BatchRequestEntry:
    """``request`` as one entry of an add-requests body, its chat completions body built by the
    core's body builder (big images stay apart, never joined). RequestValidationError, naming
    the id, when the entry alone cannot fit in a body of ``max_bytes``."""
    _check_id(batch_request_id)
    body = _CHAT_BODIES.build_body(request)
    head = (
        b'{"batch_request_id":'
        + _json.dumps(batch_request_id)
        + b',"batch_request":{"chat_get_completion":'
    )
    entry = BatchRequestEntry(
        batch_request_id, _joined((head, *body.parts, b"}}")), len(head) + body.length + 2
    )
    if entry.length + len(_CHUNK_HEAD) + len(_CHUNK_TAIL) > max_bytes:
        raise RequestValidationError(
            f"batch request {batch_request_id}: its body is {entry.length:,} bytes, more than "
            f"one add-requests call may carry ({max_bytes:,} bytes)"
        )
    return entry


def chunk_entries(
    entries: Iterable[BatchRequestEntry], *, max_bytes: int = MAX_ADD_REQUESTS_BYTES
) -> Iterator[BatchChunk]:
    """Group ``entries`` into add-requests bodies of at most ``max_bytes`` each, in order.

    Lazy: one chunk is held at a time, so a million-request job never holds all its bodies.
    """
    if max_bytes < len(_CHUNK_HEAD) + len(_CHUNK_TAIL) + 1:
        raise RequestValidationError(f"max_bytes={max_bytes} is too small for any request")
    empty = len(_CHUNK_HEAD) + len(_CHUNK_TAIL)
    body = _ChunkBody()
    ids: list[str] = []
    length = empty
    for entry in entries:
        if empty + entry.length > max_bytes:
            raise RequestValidationError(
                f"batch request {entry.batch_request_id}: its body is {entry.length:,} bytes, "
                f"more than one add-requests call may carry ({max_bytes:,} bytes)"
            )
        if ids and length + 1 + entry.length > max_bytes:
            yield BatchChunk(tuple(ids), body.finish(length))
            body, ids, length = _ChunkBody(), [], empty
        if ids:
            body.add(b",")
            length += 1
        for part in entry.parts:
            body.add(part)
        ids.append(entry.batch_request_id)
        length += entry.length
    if ids:
        yield BatchChunk(tuple(ids), body.finish(length))


#: JSON text gathered into one piece before it joins a chunk's parts: fewer, larger writes.
_PIECE_BYTES: Final = 1024 * 1024


class _ChunkBody:
    """The parts of one add-requests body: small JSON pieces joined into pieces of about
    ``_PIECE_BYTES`` (many tiny writes are slow to send), long strings (big images) kept apart."""

    def __init__(self) -> None:
        self.parts: list[bytes | str] = []
        self._run: list[bytes] = [_CHUNK_HEAD]
        self._run_bytes = len(_CHUNK_HEAD)

    def add(self, part: bytes | str) -> None:
        if isinstance(part, str):
            self._flush()
            self.parts.append(part)
            return
        self._run.append(part)
        self._run_bytes += len(part)
        if self._run_bytes >= _PIECE_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._run:
            self.parts.append(b"".join(self._run))
            self._run, self._run_bytes = [], 0

    def finish(self, length: int) -> RequestBody:
        self.add(_CHUNK_TAIL)
        self._flush()
        return RequestBody(tuple(self.parts), length)


def chunk_requests(
    requests: Iterable[tuple[str, ChatRequest]], *, max_bytes: int = MAX_ADD_REQUESTS_BYTES
) -> Iterator[BatchChunk]:
    """(batch_request_id, request) pairs -> add-requests bodies of at most ``max_bytes`` each
    (see :func:`chunk_entries`; each body built by :func:`batch_request_entry`)."""
    return chunk_entries(
        (batch_request_entry(rid, request, max_bytes=max_bytes) for rid, request in requests),
        max_bytes=max_bytes,
    )


# --------------------------------------------------------------------------- namespaces


def _batch_path(batch_id: str, suffix: str = "") -> str:
    return resource_path("batches", "batch_id", batch_id, suffix)


def _results_path(batch_id: str, page_size: int | None, pagination_token: str | None) -> str:
    query: dict[str, str] = {}
    if page_size is not None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise RequestValidationError(
                f"page_size={page_size!r} is invalid: expected an int >= 1"
            )
        query["page_size"] = str(page_size)
    if pagination_token is not None:
        query["pagination_token"] = pagination_token
    return _batch_path(batch_id, "/results") + (f"?{urlencode(query)}" if query else "")


def _list_path(page_size: int | None, pagination_token: str | None) -> str:
    query = {} if page_size is None else {"page_size": str(page_size)}
    if pagination_token is not None:
        query["pagination_token"] = pagination_token
    return "/batches" + (f"?{urlencode(query)}" if query else "")


def _refused_for_batch(error: BadRequestError, model: str | None) -> BatchModelRefusedError:
    named = f"the model {model}" if model else "the model"
    return BatchModelRefusedError(
        f"xAI does not take {named} for batch processing ({error.message}); pick another "
        "model, or run these requests without a batch",
        status_code=error.status_code,
        code=error.code,
        request_id=error.request_id,
        body=error.body,
    )


def _add_requests_error(error: APIError, model: str | None) -> APIError:
    if isinstance(error, BadRequestError) and _REFUSED_FOR_BATCH in error.message.lower():
        return _refused_for_batch(error, model)
    return error


class Batches:
    """``client.batches`` of :class:`~xai_vision.client.XAIClient`: xAI's Batch API, with the
    client's key, timeout, retries and typed errors."""

    def __init__(self, client: XAIClient) -> None:
        self._client = client

    def create(self, name: str) -> Batch:
        """Create an empty batch named ``name``."""
        return parse_model(Batch, self._client.post_json("/batches", {"name": name}), "a batch")

    def get(self, batch_id: str) -> Batch:
        """The batch now: its state counts (poll until ``num_pending`` is 0) and cost."""
        return parse_model(Batch, self._client.get_json(_batch_path(batch_id)), "a batch")

    def list(
        self, *, page_size: int | None = None, pagination_token: str | None = None
    ) -> BatchList:
        """One page of the team's batches."""
        data = self._client.get_json(_list_path(page_size, pagination_token))
        return parse_model(BatchList, data, "a batch list")

    def add_requests(self, batch_id: str, chunk: BatchChunk, *, model: str | None = None) -> None:
        """Add one chunk (see :func:`chunk_requests`) to the batch. A model xAI does not take
        for batches raises :class:`~xai_vision.errors.BatchModelRefusedError` (``model`` names
        it in the message)."""
        try:
            self._client.post_body(_batch_path(batch_id, "/requests"), chunk.body)
        except APIError as error:
            raise _add_requests_error(error, model) from None

    def results(
        self, batch_id: str, *, page_size: int | None = None, pagination_token: str | None = None
    ) -> BatchResultsPage:
        """One page of finished results (a None ``pagination_token`` in the answer: no more
        finished results for now). Usage without a cost is priced at batch prices."""
        page = parse_results_page(
            self._client.get_json(_results_path(batch_id, page_size, pagination_token))
        )
        return BatchResultsPage([self._priced(r) for r in page.results], page.pagination_token)

    def cancel(self, batch_id: str) -> Batch:
        """Cancel the batch: pending requests are not processed; finished results stay."""
        data = self._client.post_json(_batch_path(batch_id, ":cancel"), {})
        return parse_model(Batch, data, "a batch")

    def _priced(self, result: BatchResult) -> BatchResult:
        completion = result.completion
        if completion is None or completion.usage is None:
            return result
        usage = self._client.batch_priced(completion.usage, completion.model)
        return BatchResult(result.batch_request_id, completion.model_copy(update={"usage": usage}))


class AsyncBatches:
    """``client.batches`` of :class:`~xai_vision.client.AsyncXAIClient` (see :class:`Batches`)."""

    def __init__(self, client: AsyncXAIClient) -> None:
        self._client = client

    async def create(self, name: str) -> Batch:
        """Create an empty batch named ``name``."""
        data = await self._client.post_json("/batches", {"name": name})
        return parse_model(Batch, data, "a batch")

    async def get(self, batch_id: str) -> Batch:
        """The batch now: its state counts and cost."""
        data = await self._client.get_json(_batch_path(batch_id))
        return parse_model(Batch, data, "a batch")

    async def list(
        self, *, page_size: int | None = None, pagination_token: str | None = None
    ) -> BatchList:
        """One page of the team's batches."""
        data = await self._client.get_json(_list_path(page_size, pagination_token))
        return parse_model(BatchList, data, "a batch list")

    async def add_requests(
        self, batch_id: str, chunk: BatchChunk, *, model: str | None = None
    ) -> None:
        """Add one chunk to the batch (see :meth:`Batches.add_requests`)."""
        try:
            await self._client.post_body(_batch_path(batch_id, "/requests"), chunk.body)
        except APIError as error:
            raise _add_requests_error(error, model) from None

    async def results(
        self, batch_id: str, *, page_size: int | None = None, pagination_token: str | None = None
    ) -> BatchResultsPage:
        """One page of finished results (see :meth:`Batches.results`)."""
        data = await self._client.get_json(_results_path(batch_id, page_size, pagination_token))
        page = parse_results_page(data)
        priced = [await self._priced(result) for result in page.results]
        return BatchResultsPage(priced, page.pagination_token)

    async def cancel(self, batch_id: str) -> Batch:
        """Cancel the batch (see :meth:`Batches.cancel`)."""
        data = await self._client.post_json(_batch_path(batch_id, ":cancel"), {})
        return parse_model(Batch, data, "a batch")

    async def _priced(self, result: BatchResult) -> BatchResult:
        completion = result.completion
        if completion is None or completion.usage is None:
            return result
        usage = await self._client.batch_priced(completion.usage, completion.model)
        return BatchResult(result.batch_request_id, completion.model_copy(update={"usage": usage}))
