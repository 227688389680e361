"""``xai-vision batch --engine xai-batch``: the job through xAI's Batch API (half price, outside
the rate limits, results usually within a day).

Steps: a preflight (``GET /v1/models/{model}``: a key xAI refuses or a model it does not know
stops the job before anything is created), one batch, its requests added in bodies of at most
25,000,000 bytes (built as the images are read: never all at once), then polls with backoff
until ``num_pending`` is 0, writing each finished result as its JSONL line (the contract of
:mod:`xai_vision.image_batch`; ``id`` is the ``batch_request_id``) as soon as a page of results
holds it.

What was done is kept beside ``--out`` so that Ctrl-C at any step resumes (``--resume``)
without a second batch, a request added twice or a line written twice:

- ``<out>.xai-batch.json``: the batch's name (chosen before it is created, so a batch whose
  creation was cut off is found again by name), its id, the results page to read next,
  whether it was cancelled. Never the API key.
- ``<out>.xai-batch.ids``: the ids sent, one a line, each chunk's written before it is sent;
  on resume the batch's ``num_requests`` says whether the last chunk arrived.

Lines already in ``--out`` are never written again (results are matched by id). Both files are
removed once every result of the batch is written. ``--retry-failed`` sends the images whose
line holds an error in a new batch; their new lines replace the old ones when the run ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text

from xai_vision import _json
from xai_vision.batches import (
    MAX_ADD_REQUESTS_BYTES,
    Batch,
    BatchRequestEntry,
    BatchResult,
    batch_request_entry,
    chunk_entries,
)
from xai_vision.cli.batch import BatchItem, _write_atomically
from xai_vision.cli.batch_job import (
    BatchEstimate,
    BatchOutput,
    BatchRun,
    ClientSettings,
    OutputMode,
    images_count,
    preflight,
)
from xai_vision.cli.output import batch_progress, format_usd, stderr_console
from xai_vision.client import XAIClient
from xai_vision.errors import (
    APIError,
    BatchModelRefusedError,
    RequestValidationError,
    XAIVisionError,
)
from xai_vision.image_batch import BatchSettings, answered_line, failed_line
from xai_vision.images import prepare_image
from xai_vision.pricing import ticks_to_usd

__all__ = [
    "XaiBatchOptions",
    "XaiBatchState",
    "at_batch_prices",
    "cancel_xai_batch",
    "ids_path",
    "run_xai_batch",
    "state_path",
]

Write = Callable[[dict[str, Any]], None]

#: Results asked for per page.
RESULTS_PAGE_SIZE = 100

#: The longest wait between polls (seconds).
MAX_POLL_INTERVAL = 60.0


@dataclass(frozen=True)
class XaiBatchOptions:
    """How the engine talks to the Batch API: body size and polling (``--chunk-bytes``,
    ``--poll-interval``)."""

    #: The largest add-requests body (xAI's limit is 25,000,000 bytes).
    chunk_bytes: int = MAX_ADD_REQUESTS_BYTES
    #: Seconds before the first poll; doubled after each poll that brings nothing new.
    poll_interval: float = 2.0

    def __post_init__(self) -> None:
        if not 1_000 <= self.chunk_bytes <= MAX_ADD_REQUESTS_BYTES:
            raise RequestValidationError(
                f"--chunk-bytes must be between 1000 and {MAX_ADD_REQUESTS_BYTES}, "
                f"got {self.chunk_bytes}"
            )
        if not self.poll_interval > 0:
            raise RequestValidationError(
                f"--poll-interval must be more than 0, got {self.poll_interval}"
            )


def state_path(out: Path) -> Path:
    """Where the batch of ``out`` is recorded."""
    return out.with_name(out.name + ".xai-batch.json")


def ids_path(out: Path) -> Path:
    """Where the ids sent to the batch of ``out`` are listed."""
    return out.with_name(out.name + ".xai-batch.ids")


@dataclass
class XaiBatchState:
    """What the state file holds (never the API key)."""

    name: str
    model: str
    batch_id: str | None = None
    #: The results page to read next (None: from the first).
    results_token: str | None = None
    cancelled: bool = False

    @classmethod
    def load(cls, out: Path) -> XaiBatchState | None:
        """The recorded state of ``out``'s batch, or None when there is none."""
        path = state_path(out)
        if not path.exists():
            return None
        try:
            data = _json.loads(path.read_bytes())
            if isinstance(data, dict):
                data.pop("added", None)  # written by earlier versions: the ids file says it
            return cls(**data)
        except (_json.JSONDecodeError, TypeError) as exc:
            raise RequestValidationError(
                f"{path} is not a batch state file this version wrote ({exc}); move it away "
                "to start the batch afresh"
            ) from None

    def save(self, out: Path) -> None:
        """Write the state beside ``out`` (one atomic replace)."""
        _write_atomically(state_path(out), _json.dumps(asdict(self)))


def _forget(out: Path) -> None:
    for path in (state_path(out), ids_path(out)):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _read_ids(out: Path) -> list[str]:
    path = ids_path(out)
    if not path.exists():
        return []
    return path.read_text("utf-8").splitlines()


def _keep_ids(out: Path, count: int) -> None:
    """Cut the ids file to its first ``count`` ids."""
    kept = _read_ids(out)[:count]
    _write_atomically(ids_path(out), "".join(f"{i}\n" for i in kept).encode())


def _append_ids(out: Path, ids: Sequence[str]) -> None:
    fd = os.open(ids_path(out), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, "".join(f"{i}\n" for i in ids).encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def at_batch_prices(found: BatchEstimate) -> BatchEstimate:
    """A dry run's estimates at the Batch API's prices (half the standard ones)."""
    found.estimates = [(item, estimate.at_batch_prices()) for item, estimate in found.estimates]
    return found


# --------------------------------------------------------------------------- the run


@dataclass
class _Job:
    """One run of the engine: what it knows and writes."""

    client: XAIClient
    out: Path
    state: XaiBatchState
    items: dict[str, BatchItem]
    written: set[str]
    write: Write
    run: BatchRun
    settings: BatchSettings
    options: XaiBatchOptions
    unknown_results: int = 0
    last_batch: Batch | None = field(default=None)

    def record(self, record: dict[str, Any]) -> None:
        """Write one line (once per id) and count it."""
        self.write(record)
        self.written.add(record["id"])
        self.run.outcome.totals.add_record(record)


def run_xai_batch(
    items: Sequence[BatchItem],
    output: BatchOutput,
    settings: BatchSettings,
    client_settings: ClientSettings,
    options: XaiBatchOptions | None = None,
) -> BatchRun:
    """Run the job through one xAI batch (see the module's docstring); Ctrl-C is recorded in
    the result. A fatal error (key refused, unknown model, a model refused for batches)
    propagates."""
    options = options or XaiBatchOptions()
    out = output.path
    state = XaiBatchState.load(out)
    if state is not None and output.mode is OutputMode.OVERWRITE:
        _forget(out)
        state = None
    if state is not None and output.mode is OutputMode.NEW:
        raise RequestValidationError(
            f"{state_path(out)} records a batch for --out {out}: pass --resume to continue it, "
            "--cancel to cancel it, or --overwrite to start over"
        )
    if state is not None and state.model != settings.model:
        raise RequestValidationError(
            f"the recorded batch asks {state.model}, not --model {settings.model}: resume with "
            f"--model {state.model}, or --cancel it first"
        )
    run = BatchRun(todo=output.todo(items))
    console = stderr_console()
    doing = (
        f"{len(run.todo)} with an error line to try again"
        if output.mode is OutputMode.RETRY_FAILED
        else f"{len(items) - len(run.todo)} already in {out}, {len(run.todo)} to do"
    )
    console.print(f"{images_count(len(items))}: {doing} (xAI Batch API: half the standard prices)")
    with client_settings.client() as client, output.writing() as write:
        job = _Job(
            client=client,
            out=out,
            state=state
            or XaiBatchState(name=f"xai-vision-{secrets.token_hex(8)}", model=settings.model),
            items={item.id: item for item in items},
            # With --retry-failed the error lines are to be replaced: not yet written.
            written=set(output.before.results) - {item.id for item in run.todo},
            write=write,
            run=run,
            settings=settings,
            options=options,
        )
        try:
            _run(job, fresh=state is None)
        except KeyboardInterrupt:
            run.interrupted = True
    if job.last_batch is not None and job.last_batch.total_cost_usd_ticks is not None:
        console.print(
            f"batch {job.last_batch.batch_id}: cost so far "
            f"{format_usd(ticks_to_usd(job.last_batch.total_cost_usd_ticks))} (xAI's figure, "
            "at batch prices)"
        )
    if job.unknown_results:
        console.print(f"{job.unknown_results} results were for images not in this job: skipped")
    return run


def _run(job: _Job, *, fresh: bool) -> None:
    state, out = job.state, job.out
    if fresh:
        if not job.run.todo:
            return
        preflight(job.client, job.settings.model)
        state.save(out)  # the name first: a batch created but not recorded is found by it
    if state.batch_id is None:
        state.batch_id = _find_or_create(job.client, state.name)
        state.save(out)
        stderr_console().print(f"created batch {state.batch_id}")
    else:
        _reconcile(job)
    if not state.cancelled:
        _submit(job)
    _collect(job)


def _find_or_create(client: XAIClient, name: str) -> str:
    """The batch named ``name`` (created by a run cut off before it recorded the id), else a
    new one."""
    token: str | None = None
    while True:
        page = client.batches.list(pagination_token=token)
        for batch in page.batches:
            if batch.name == name:
                return batch.batch_id
        token = page.pagination_token
        if token is None:
            break
    return client.batches.create(name).batch_id


def _reconcile(job: _Job) -> None:
    """After a cut-off run: the ids file keeps only what the batch holds (the last chunk
    arrived or not, as ``num_requests`` says)."""
    state = job.state
    assert state.batch_id is not None
    batch = job.client.batches.get(state.batch_id)
    job.last_batch = batch
    sent = _read_ids(job.out)
    confirmed = min(batch.state.num_requests, len(sent))
    if confirmed != len(sent):
        _keep_ids(job.out, confirmed)
    state.cancelled = state.cancelled or batch.cancelled
    state.save(job.out)


def _entries(job: _Job, todo: Sequence[BatchItem]) -> Iterator[BatchRequestEntry]:
    """Each image's batch request, read when needed; an unreadable image becomes its line."""
    settings = job.settings
    for item in todo:
        try:
            prepared = prepare_image(
                item.path, detail=settings.detail, options=settings.image_options, index=1
            )
            yield batch_request_entry(
                item.id, settings.request(prepared), max_bytes=job.options.chunk_bytes
            )
        except XAIVisionError as error:  # this image's own problem: its line says why
            job.record(failed_line(item.id, item.source, error))


def _submit(job: _Job) -> None:
    """Add the images that are neither in the batch nor in ``--out``, chunk by chunk."""
    state, out = job.state, job.out
    assert state.batch_id is not None
    in_batch = set(_read_ids(out))
    todo = [i for i in job.run.todo if i.id not in in_batch and i.id not in job.written]
    if not todo:
        return
    console = stderr_console()
    added = 0
    for chunk in chunk_entries(_entries(job, todo), max_bytes=job.options.chunk_bytes):
        before = ids_path(out).stat().st_size if ids_path(out).exists() else 0
        _append_ids(out, chunk.ids)
        try:
            job.client.batches.add_requests(state.batch_id, chunk, model=job.settings.model)
        except BatchModelRefusedError:
            with contextlib.suppress(XAIVisionError):
                job.client.batches.cancel(state.batch_id)
            _forget(out)
            raise
        except APIError:  # xAI answered: the chunk was not added
            os.truncate(ids_path(out), before)
            raise
        added += len(chunk.ids)
        del chunk  # sent: let it go before the next one is built (one chunk held, not two)
        console.print(f"batch {state.batch_id}: {added} requests added ({len(todo)} images to add)")


def _counts(batch: Batch) -> str:
    counts = batch.state
    return (
        f"pending {counts.num_pending} · answered {counts.num_success} · "
        f"failed {counts.num_error} · cancelled {counts.num_cancelled}"
    )


def _collect(job: _Job) -> None:
    """Poll until nothing is pending, writing each finished result once."""
    state, options = job.state, job.options
    assert state.batch_id is not None
    wait = options.poll_interval
    with batch_progress() as progress:
        task = progress.add_task("batch", total=None)
        while True:
            batch = job.client.batches.get(state.batch_id)
            job.last_batch = batch
            progress.update(
                task,
                description=_counts(batch),
                total=batch.state.num_requests,
                completed=batch.state.finished,
            )
            new = _write_results(job)
            if batch.state.num_pending == 0:
                break
            if new:
                wait = options.poll_interval
            time.sleep(wait)
            if not new:
                wait = min(wait * 2, MAX_POLL_INTERVAL)
    _forget(job.out)


def _write_results(job: _Job) -> int:
    """Read the finished results from the recorded page on; write those without a line.
    Returns how many lines were written."""
    state = job.state
    assert state.batch_id is not None
    written = 0
    while True:
        page = job.client.batches.results(
            state.batch_id,
            page_size=RESULTS_PAGE_SIZE,
            pagination_token=state.results_token,
        )
        for result in page.results:
            written += _write_result(job, result)
        if page.pagination_token is None:
            return written  # no more for now: read this page again next time
        state.results_token = page.pagination_token
        state.save(job.out)


def _write_result(job: _Job, result: BatchResult) -> int:
    if result.batch_request_id in job.written:
        return 0
    item = job.items.get(result.batch_request_id)
    if item is None:
        job.unknown_results += 1
        return 0
    if result.completion is not None:
        job.record(answered_line(item.id, item.source, result.completion))
    else:
        job.record(failed_line(item.id, item.source, result.error()))
    return 1


def cancel_xai_batch(out: Path, client_settings: ClientSettings) -> Batch:
    """``--cancel``: cancel the batch recorded beside ``out`` (its finished results stay;
    ``--resume`` writes them)."""
    state = XaiBatchState.load(out)
    if state is None or state.batch_id is None:
        raise RequestValidationError(
            f"no xAI batch is recorded beside --out {out} ({state_path(out).name}): "
            "nothing to cancel"
        )
    with client_settings.client() as client:
        batch = client.batches.cancel(state.batch_id)
    state.cancelled = True
    state.save(out)
    stderr_console().print(
        Text(
            f"cancelled batch {batch.batch_id}: {_counts(batch)}; run the same command with "
            "--resume to write the results that finished",
            style="bold",
        )
    )
    return batch
