"""Ray Data engine: one prompt over a ``ray.data.Dataset`` of images, answered by an actor pool.

:func:`ask_images` takes a dataset with an image column (a path, an http(s) URL or data URI,
or the image's bytes) and returns a dataset with ``id``, ``source``, ``answer``, ``model``,
``usage`` and ``error`` columns, one row per image: the fields of the batch command's JSONL
line (``usage`` and ``error`` are that line's objects as JSON text, so no null keys are added
to them on the way through Arrow). It is built on ``map_batches`` with a pool of IO-bound
actors (a fraction of a CPU each), each holding one :class:`~xai_vision.client.AsyncXAIClient`
and answering many images at once.

The rows carry the line :mod:`xai_vision.image_batch` defines for every engine (ids, error
types, record shape), so this module needs no CLI package. A failed image is a row with an
error; the job goes on. Only failures that every image would
hit (a key xAI refuses, a model it does not know) stop the job, as :class:`BatchStopped`.
``requests_per_second`` (and ``tokens_per_minute``) hold across all workers and count every
HTTP attempt, retries included: every attempt first waits for a permit from one limiter actor
(:class:`RateLimiter`). The API key is handed to the actors as a ``SecretStr``: it is
in no row, repr or log line.

Needs the ``ray`` extra (``pip install "xai-vision[ray]"``).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from xai_vision import _extras, _json
from xai_vision.catalog import DEFAULT_MODEL
from xai_vision.client import AsyncXAIClient
from xai_vision.endpoints import endpoint_for
from xai_vision.errors import RateLimiterTimeoutError, RequestValidationError, XAIVisionError
from xai_vision.image_batch import (
    FATAL_ERRORS,
    BatchSettings,
    answered_line,
    error_from_record,
    error_record,
    failed_line,
    image_id,
    result_line,
)
from xai_vision.images import ImageOptions, is_data_uri, is_http_url, prepare_image
from xai_vision.tokens import Detail, estimate_prompt_tokens

_extras.require("ray.data", extra="ray", needed_by="xai_vision.ray")

import ray  # noqa: E402 - after the check that names the extra
import ray.data  # noqa: E402

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "RESULT_COLUMNS",
    "BatchStopped",
    "RateLimiter",
    "ask_images",
    "image_source",
    "init_ray",
    "result_record",
]

#: The columns of :func:`ask_images`' dataset, in the order the JSONL line has them.
RESULT_COLUMNS = ("id", "source", "answer", "usage", "error", "model")


#: Seconds a worker waits for the limiter actor's answer (it books a start in microseconds;
#: longer means the actor is gone or swamped): then RateLimiterTimeoutError, image undone.
PERMIT_TIMEOUT = 30.0

#: Blocks an actor works on at once (Ray Data runs one at a time by default).
_TASKS_PER_WORKER = 4

#: The estimated tokens of the request being sent by the current task (the limiter books them).
_REQUEST_TOKENS: contextvars.ContextVar[int] = contextvars.ContextVar("request_tokens", default=0)


class BatchStopped(Exception):  # noqa: N818 - the job's stop, carried across processes
    """A failure every image would hit (a refused key, an unknown model): the job stopped.

    ``record`` is the error as the JSONL line writes it (type, message, status, code);
    :meth:`typed` rebuilds the :mod:`xai_vision.errors` exception it came from.
    """

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = dict(record)
        super().__init__(f"{self.record.get('type')}: {self.record.get('message')}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (BatchStopped, (self.record,))

    def typed(self) -> XAIVisionError:
        """The typed error it came from (see :func:`error_from_record`)."""
        return error_from_record(self.record)

    @staticmethod
    def found_in(error: BaseException) -> BatchStopped | None:
        """The :class:`BatchStopped` that ``error`` (Ray's wrapping of it) carries, if any."""
        seen: set[int] = set()
        pending: list[BaseException | None] = [error]
        while pending:
            current = pending.pop()
            if current is None or id(current) in seen:
                continue
            seen.add(id(current))
            if isinstance(current, BatchStopped) and hasattr(current, "record"):
                return current
            pending += [current.__cause__, current.__context__]
            pending += [getattr(current, "cause", None)]  # RayTaskError keeps the original here
        return None


# --------------------------------------------------------------------------- rate limit


class RateLimiter:
    """Requests start at least ``1 / requests_per_second`` apart, so no second holds more
    than ``requests_per_second`` of them (evenly spaced: no burst at a window's edge); when
    set, at most ``tokens_per_minute`` estimated tokens start in any 60 s.

    :meth:`reserve` books the next free start time (first come, first served) and returns how
    long the caller waits for it. Run as one Ray actor per job, it is the one clock every
    worker asks before each HTTP attempt.
    """

    def __init__(
        self,
        requests_per_second: float | None,
        tokens_per_minute: int | None = None,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if requests_per_second is not None and not requests_per_second > 0:
            raise RequestValidationError(
                f"requests_per_second must be more than 0, got {requests_per_second}"
            )
        if tokens_per_minute is not None and tokens_per_minute < 1:
            raise RequestValidationError(
                f"tokens_per_minute must be at least 1, got {tokens_per_minute}"
            )
        self._clock = clock or time.monotonic
        self._interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self._tpm = tokens_per_minute
        self._tokens: deque[tuple[float, int]] = deque()
        self._tokens_booked = 0
        self._last = float("-inf")

    def reserve(self, tokens: int = 0) -> float:
        """Book one request of ``tokens`` estimated tokens; the seconds to wait before it."""
        now = self._clock()
        start = max(now, self._last + self._interval)
        if self._tpm is not None and tokens > 0:
            amount = min(tokens, self._tpm)
            start = self._token_start(start, amount)
            self._tokens.append((start, amount))
            self._tokens_booked += amount
        self._last = start
        return max(0.0, start - now)

    def _token_start(self, start: float, tokens: int) -> float:
        """The earliest time from ``start`` at which ``tokens`` more fit in the last 60 s."""
        assert self._tpm is not None
        while self._tokens and self._tokens[0][0] <= start - 60.0:
            self._tokens_booked -= self._tokens.popleft()[1]
        booked = self._tokens_booked
        for granted, amount in self._tokens:
            if booked + tokens <= self._tpm:
                break
            booked -= amount
            start = max(start, granted + 60.0)
        return start


def _permit_waiter(limiter: Any, timeout: float | None = None) -> Callable[[], Awaitable[None]]:
    """The client's ``before_attempt``: ask the limiter actor (at most ``timeout`` seconds,
    default :data:`PERMIT_TIMEOUT`), then wait the time it gives."""
    timeout = PERMIT_TIMEOUT if timeout is None else timeout

    async def wait_for_permit() -> None:
        try:
            delay = await asyncio.wait_for(limiter.reserve.remote(_REQUEST_TOKENS.get()), timeout)
        except asyncio.TimeoutError:
            raise RateLimiterTimeoutError(
                f"the rate limiter did not answer within {timeout:g} s: the image was not sent"
            ) from None
        if delay > 0:
            await asyncio.sleep(delay)

    return wait_for_permit


# --------------------------------------------------------------------------- the actors


@dataclass(frozen=True)
class _Connection:
    """How the actors reach xAI; the key is a SecretStr and stays out of the repr."""

    api_key: SecretStr | None = field(repr=False)
    base_url: str | None
    timeout: float
    max_retries: int
    api: str


def image_source(value: Any) -> str:
    """What the ``source`` field says for an image value: the absolute path of a file (as the
    local engine writes it), a URL or data URI as given, ``bytes[N]`` for raw bytes."""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"bytes[{len(bytes(value))}]"
    text = str(value)
    if is_http_url(text) or is_data_uri(text):
        return text
    return str(Path(text).resolve())


def _default_id(value: Any, source: str) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return hashlib.sha256(bytes(value)).hexdigest()[:16]
    return image_id(source)


class _ImageAnswerer:
    """One actor of the pool: one async client, at most ``settings.concurrency`` requests in
    flight across the batches Ray hands it at once."""

    def __init__(
        self, settings: BatchSettings, connection: _Connection, column: str, limiter: Any
    ) -> None:
        self._settings = settings
        self._column = column
        hook = _permit_waiter(limiter) if limiter is not None else None
        self._client = AsyncXAIClient(
            api_key=connection.api_key,
            base_url=connection.base_url,
            timeout=connection.timeout,
            max_retries=connection.max_retries,
            endpoint=endpoint_for(connection.api),
            before_attempt=hook,
        )
        self._gate: asyncio.Semaphore | None = None

    async def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        if self._gate is None:  # made in the loop Ray runs this actor's batches on
            self._gate = asyncio.Semaphore(self._settings.concurrency)
        found = zip(batch["id"], batch["source"], batch[self._column], strict=True)
        rows = await asyncio.gather(
            *(self._answer(str(image), str(source), value) for image, source, value in found)
        )
        return {name: [row[name] for row in rows] for name in RESULT_COLUMNS}

    async def _answer(self, image: str, source: str, value: Any) -> dict[str, Any]:
        assert self._gate is not None
        async with self._gate:
            try:
                if isinstance(value, bytes | bytearray | memoryview):
                    value = bytes(value)
                elif not isinstance(value, str):
                    value = str(value)
                prepared = await asyncio.to_thread(
                    prepare_image,
                    value,
                    detail=self._settings.detail,
                    options=self._settings.image_options,
                    index=1,
                )
                request = self._settings.request(prepared)
                tokens = estimate_prompt_tokens(request.messages, [prepared])
                _REQUEST_TOKENS.set(tokens + (self._settings.max_tokens or 0))
                completion = await self._client.create(request)
            except FATAL_ERRORS as error:
                raise BatchStopped(error_record(error)) from None
            except XAIVisionError as error:
                return _row(failed_line(image, source, error))
        return _row(answered_line(image, source, completion))


def _row(line: Mapping[str, Any]) -> dict[str, Any]:
    """A result line as a dataset row: ``usage`` and ``error`` as JSON text, every column set."""
    usage, error = line["usage"], line["error"]
    return {
        **line,
        "usage": None if usage is None else _json.dumps(usage).decode(),
        "error": None if error is None else _json.dumps(error).decode(),
        "model": line.get("model"),
    }


def _with_ids(column: str, skip: frozenset[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A batch function adding ``id`` and ``source`` where missing, dropping ids in ``skip``."""

    def add_ids(batch: dict[str, Any]) -> dict[str, Any]:
        values = list(batch[column])
        sources = (
            [str(s) for s in batch["source"]]
            if "source" in batch
            else [image_source(v) for v in values]
        )
        ids = (
            [str(i) for i in batch["id"]]
            if "id" in batch
            else [_default_id(v, s) for v, s in zip(values, sources, strict=True)]
        )
        keep = [position for position, image_id in enumerate(ids) if image_id not in skip]
        out: dict[str, Any] = {}
        for name, column_values in batch.items():
            listed = list(column_values)
            out[name] = [listed[p] for p in keep]
        out["id"] = [ids[p] for p in keep]
        out["source"] = [sources[p] for p in keep]
        return out

    return add_ids


# --------------------------------------------------------------------------- public API


def ask_images(
    dataset: ray.data.Dataset,
    prompt: str,
    *,
    column: str = "image",
    model: str = DEFAULT_MODEL,
    detail: Detail | None = None,
    max_tokens: int | None = None,
    image_options: ImageOptions | None = None,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 5,
    api: str = "chat_completions",
    requests_per_second: float | None = None,
    tokens_per_minute: int | None = None,
    workers: int = 2,
    concurrency_per_worker: int = 8,
    cpus_per_worker: float = 0.25,
    batch_size: int = 8,
    skip_ids: Collection[str] = (),
) -> ray.data.Dataset:
    """Ask ``prompt`` about every image of ``dataset``; a dataset of one result row per image.

    ``column`` holds each image: a path, an http(s) URL or data URI, or bytes. An ``id``
    column, when present, names each image (else: the batch command's id of its source, or
    of the bytes' SHA-256); a ``source`` column is kept as it is. Ids in ``skip_ids`` are
    left out (to resume). ``workers`` actors of ``cpus_per_worker`` CPUs each keep up to
    ``concurrency_per_worker`` requests in flight; ``requests_per_second`` and
    ``tokens_per_minute`` (estimated prompt tokens plus ``max_tokens``) hold across all of
    them, retries included. ``api_key`` / ``base_url``: as for the client (``XAI_API_KEY``,
    ``XAI_BASE_URL`` of this process by default). The dataset is lazy: iterate or write it
    to run the job.
    """
    if column not in dataset.columns():
        raise RequestValidationError(
            f"column={column!r}: the dataset has no such column (it has {dataset.columns()})"
        )
    for name, value in (("workers", workers), ("batch_size", batch_size)):
        if value < 1:
            raise RequestValidationError(f"{name} must be at least 1, got {value}")
    if not cpus_per_worker > 0:
        raise RequestValidationError(f"cpus_per_worker must be more than 0, got {cpus_per_worker}")
    settings = BatchSettings(
        prompt=prompt,
        model=model,
        detail=detail,
        concurrency=concurrency_per_worker,
        image_options=image_options,
        max_tokens=max_tokens,
    )
    # The client's own rules for the key and URL, resolved here, where the environment is.
    probe = AsyncXAIClient(api_key=api_key, base_url=base_url, live_facts=False)
    connection = _Connection(probe.api_key, probe.base_url, timeout, max_retries, api)
    endpoint_for(api)  # an unknown wire form fails here, not in every actor
    limiter = None
    if requests_per_second is not None or tokens_per_minute is not None:
        RateLimiter(requests_per_second, tokens_per_minute)  # checks the values
        limiter = (
            ray.remote(num_cpus=0)(RateLimiter)
            .options(max_concurrency=1)
            .remote(requests_per_second, tokens_per_minute)
        )
    with_ids = dataset.map_batches(
        _with_ids(column, frozenset(skip_ids)),
        batch_format="numpy",
        batch_size=None,
        num_cpus=cpus_per_worker,
    )
    results = with_ids.map_batches(
        _ImageAnswerer,
        fn_constructor_kwargs={
            "settings": settings,
            "connection": connection,
            "column": column,
            "limiter": limiter,
        },
        batch_size=batch_size,
        batch_format="numpy",
        # Several blocks at once per actor (it waits on the network): the requests in flight
        # are bounded by concurrency_per_worker, not by Ray's one-task-at-a-time default.
        compute=ray.data.ActorPoolStrategy(
            size=workers, max_concurrent_calls_per_actor=_TASKS_PER_WORKER
        ),
        num_cpus=cpus_per_worker,
    )
    # BatchStopped reaches the driver as itself (Ray's wrapper would drop it); this dataset's
    # own context, so the caller's other datasets keep Ray's default.
    results.context.raise_original_map_exception = True
    return results


def result_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The JSONL line of a result row, exactly as the local engine writes it (no ``model`` key
    on a failed image's line)."""
    usage, error = row["usage"], row["error"]
    return result_line(
        row["id"],
        row["source"],
        answer=row["answer"],
        usage=None if usage is None else _json.loads(usage),
        error=None if error is None else _json.loads(error),
        model=row["model"],
    )


def init_ray(num_cpus: int | None = None) -> bool:
    """Start Ray unless it is running: with ``RAY_ADDRESS`` set, join that cluster (no
    ``num_cpus``: the cluster has its own); else a local Ray of ``num_cpus`` CPUs (default:
    this machine's). True when this call started it (the caller then shuts it down)."""
    if ray.is_initialized():
        return False
    if os.environ.get("RAY_ADDRESS"):
        ray.init(log_to_driver=False)
    else:
        ray.init(
            num_cpus=num_cpus or os.cpu_count() or 1,
            include_dashboard=False,
            log_to_driver=False,
        )
    return True
