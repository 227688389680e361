"""``xai-vision batch``: one prompt over many images, one JSONL line per image, resumable.

The results contract (every engine writes it): one JSON object per line and per image, with
``id``, ``source``, ``answer``, ``usage`` and ``error`` (:mod:`xai_vision.image_batch`).

Each finished image becomes one line written with a single unbuffered ``write`` on an
``O_APPEND`` descriptor, so a crash can tear at most the last line; ``--resume`` cuts that
torn tail off and skips every image that already has a line. Transient failures that outlive
the client's retries (429, 5xx, timeouts, connection errors) are not written: the image stays
undone for the next ``--resume``. Failures that would hit every image (bad key, no permission,
unknown model) stop the whole batch. ``--retry-failed`` sends again the images whose line holds
an error and swaps the new lines in with :func:`replace_results` (one atomic replace).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xai_vision import _json
from xai_vision.client import AsyncXAIClient
from xai_vision.errors import ImageSourceError, RequestValidationError, XAIVisionError
from xai_vision.image_batch import (
    FATAL_ERRORS,
    TRANSIENT_ERRORS,
    BatchSettings,
    answered_line,
    failed_line,
    image_id,
)
from xai_vision.images import prepare_image
from xai_vision.models import ChatCompletion, Usage
from xai_vision.pricing import TICKS_PER_USD, CostEstimate

__all__ = [
    "IMAGE_SUFFIXES",
    "BatchItem",
    "BatchOutcome",
    "BatchTotals",
    "CostGuard",
    "CostLimitReached",
    "JsonlWriter",
    "ResumeState",
    "batch_items",
    "discover_images",
    "load_resume_state",
    "read_results",
    "replace_results",
    "run_batch",
]

#: File name endings a directory argument contributes (globs and explicit files take anything).
IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
)


def _has_magic(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def discover_images(arguments: Sequence[str]) -> list[Path]:
    """Expand files, directories (their image files) and globs into absolute paths, in order.

    Duplicates are dropped. A missing path or a pattern matching nothing raises
    :class:`ImageSourceError` naming it, so a typo fails before any request.
    """
    found: dict[Path, None] = {}
    for argument in arguments:
        # An existing path is taken literally, even with glob characters in its name.
        if _has_magic(argument) and not Path(argument).exists():
            matches = [Path(m) for m in sorted(glob.glob(argument, recursive=True))]
            files = [m for m in matches if m.is_file()]
            if not files:
                raise ImageSourceError("the pattern matched no files", source=argument)
        else:
            path = Path(argument)
            if path.is_dir():
                files = sorted(
                    p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                )
                if not files:
                    raise ImageSourceError("the folder has no image files", source=argument)
            elif path.exists():
                files = [path]
            else:
                raise ImageSourceError("no such file or folder", source=argument)
        for file in files:
            found.setdefault(file.resolve(), None)
    return list(found)


# --------------------------------------------------------------------------- a job's images


@dataclass(frozen=True)
class BatchItem:
    """One image of a batch job: its id and the file it is read from."""

    id: str
    path: Path

    @property
    def source(self) -> str:
        """The image as written in the ``source`` field: its absolute path."""
        return str(self.path)


def batch_items(paths: Iterable[Path]) -> list[BatchItem]:
    """Give each path its id, in order (a path listed again gets the next occurrence)."""
    seen: Counter[str] = Counter()
    items = []
    for path in paths:
        seen[str(path)] += 1
        items.append(BatchItem(image_id(str(path), seen[str(path)]), path))
    return items


# --------------------------------------------------------------------------- output file


#: The usage counts a batch sums (the JSONL line's ``usage`` fields of the same names).
_TOKEN_COUNTS = (
    "prompt_tokens",
    "image_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "total_tokens",
)


@dataclass
class BatchTotals:
    """Counts and token sums over the images of one run (or of a whole output file)."""

    succeeded: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    image_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    cost_in_usd_ticks: int | None = None

    def add_record(self, record: dict[str, Any]) -> None:
        """Count one JSONL record (as written by this module)."""
        if record.get("error"):
            self.failed += 1
        else:
            self.succeeded += 1
        usage = record.get("usage")
        if not isinstance(usage, dict):
            return
        for name in _TOKEN_COUNTS:
            value = usage.get(name)
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        ticks = usage.get("cost_in_usd_ticks")
        if isinstance(ticks, int):
            self.cost_in_usd_ticks = (self.cost_in_usd_ticks or 0) + ticks

    def merged(self, other: BatchTotals) -> BatchTotals:
        """The sum of two totals (e.g. the lines already in the file plus this run's)."""
        ticks = [t for t in (self.cost_in_usd_ticks, other.cost_in_usd_ticks) if t is not None]
        counts = {
            name: getattr(self, name) + getattr(other, name)
            for name in ("succeeded", "failed", *_TOKEN_COUNTS)
        }
        return BatchTotals(**counts, cost_in_usd_ticks=sum(ticks) if ticks else None)

    @property
    def written(self) -> int:
        """Images with a line: answered or failed for good."""
        return self.succeeded + self.failed

    @property
    def cost_usd(self) -> float | None:
        """Total reported cost in USD, when xAI reported any."""
        if self.cost_in_usd_ticks is None:
            return None
        return Usage(cost_in_usd_ticks=self.cost_in_usd_ticks).cost_usd


@dataclass
class ResumeState:
    """What an existing output file already holds."""

    #: image id -> whether its line holds an error (the last line, should an id repeat)
    results: dict[str, bool] = field(default_factory=dict)
    #: ids found on more than one line (a file written by two runs at once, or edited)
    repeated: set[str] = field(default_factory=set)
    totals: BatchTotals = field(default_factory=BatchTotals)
    #: bytes of a torn last line: cut off by :func:`load_resume_state`, counted by both readers
    torn_bytes: int = 0
    repaired_bytes: int = 0

    @property
    def failed(self) -> set[str]:
        """The ids whose line holds an error."""
        return {image for image, error in self.results.items() if error}


@dataclass(frozen=True)
class ResultLine:
    """One complete line of an output file: its bytes as they are, and what it says."""

    number: int
    raw: bytes
    record: dict[str, Any] | None  # None for a blank line
    id: str | None  # None for a blank line


def read_result_lines(out: Path, data: bytes) -> Iterator[ResultLine]:
    """The complete lines of ``data`` (the bytes of ``out``), each with its image id.

    A line written before ids existed has none: it gets the id its ``source`` has (the n-th
    line of a source, the n-th occurrence). A line that is not a JSON object with a ``source``
    means the file is not ours or was edited: that raises :class:`RequestValidationError`
    rather than guessing. A torn last line (no trailing newline) is not yielded.
    """
    seen: Counter[str] = Counter()
    complete = data[: data.rfind(b"\n") + 1]
    for number, raw in enumerate(complete.split(b"\n")[:-1], start=1):
        if not raw.strip():
            yield ResultLine(number, raw, None, None)
            continue
        try:
            record = _json.loads(raw)
        except _json.JSONDecodeError:
            record = None
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("source"), str)
            or not isinstance(record.get("id", ""), str)
        ):
            raise RequestValidationError(
                f"--out {out}: line {number} is not a batch result (a JSON object with a "
                "'source'); fix or move the file before resuming"
            )
        source: str = record["source"]
        seen[source] += 1
        yield ResultLine(number, raw, record, record.get("id") or image_id(source, seen[source]))


def read_results(out: Path) -> ResumeState:
    """What ``out`` holds, read without changing it (a missing file holds nothing).

    A complete line that is not a batch result raises :class:`RequestValidationError` (see
    :func:`read_result_lines`).
    """
    state = ResumeState()
    if not out.exists():
        return state
    data = out.read_bytes()
    for line in read_result_lines(out, data):
        if line.record is None or line.id is None:
            continue
        if line.id in state.results:
            state.repeated.add(line.id)
        state.results[line.id] = bool(line.record.get("error"))
        state.totals.add_record(line.record)
    state.torn_bytes = len(data) - (data.rfind(b"\n") + 1)
    return state


def load_resume_state(out: Path) -> ResumeState:
    """Read ``out`` (see :func:`read_results`) and cut off a torn last line (no newline).

    Cut only once every complete line checked out: a file we do not understand stays as it is.
    """
    state = read_results(out)
    if state.torn_bytes:
        with out.open("r+b") as handle:
            handle.truncate(out.stat().st_size - state.torn_bytes)
        state.repaired_bytes = state.torn_bytes
    return state


def replace_results(out: Path, replacements: Mapping[str, dict[str, Any]]) -> None:
    """Rewrite ``out`` with the line of each id in ``replacements`` swapped for its new record.

    Every other line stays byte for byte where it was; a replacement whose id has no line
    (the file changed meanwhile) is added at the end, so nothing is lost. The new file is
    written beside ``out`` and moved over it with ``os.replace``: a reader sees the old file
    or the new one, never half of each. A torn last line is dropped.
    """
    pending = dict(replacements)
    lines = []
    for line in read_result_lines(out, out.read_bytes()):
        record = pending.pop(line.id, None) if line.id is not None else None
        lines.append(line.raw if record is None else _json.dumps(record))
    lines += [_json.dumps(record) for record in pending.values()]
    _write_atomically(out, b"".join(line + b"\n" for line in lines))


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` through a temporary file in the same folder (same mode)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class JsonlWriter:
    """Appends one JSON object per line; each line goes out in one unbuffered ``os.write``."""

    def __init__(self, path: Path, *, truncate: bool = False) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if truncate else 0)
        self._fd: int | None = os.open(path, flags, 0o644)

    def write(self, record: dict[str, Any]) -> None:
        """Write ``record`` as one line; returns once the bytes are in the file."""
        if self._fd is None:
            raise ValueError("the writer is closed")
        view = memoryview(_json.dumps(record) + b"\n")
        while view:
            # A regular file takes the whole buffer in one call; the loop covers short writes.
            view = view[os.write(self._fd, view) :]

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------- running


class CostLimitReached(Exception):  # noqa: N818 - a stop signal, not a failure
    """The next request would take the run past ``--max-cost``: stop before sending it."""


class CostGuard:
    """``--max-cost``: admits a request only while what was spent, what is in flight and the
    request's own estimate stay within the limit.

    A request's estimate is its prompt at xAI's prices plus, for its answer, ``--max-tokens``
    at the output price or else the costliest answer so far. It holds as far as the estimates
    do: image tokens follow the tile rule, and reasoning tokens may go beyond ``max_tokens``.
    The run is single-threaded (asyncio), so no lock is needed.
    """

    def __init__(self, limit_usd: float) -> None:
        self.limit_ticks = round(limit_usd * TICKS_PER_USD)
        self.spent_ticks = 0
        self.reserved_ticks = 0
        self.costliest_answer_ticks = 0
        self.stopped = False

    def reserve(self, estimate: CostEstimate) -> tuple[int, int]:
        """Book ``estimate`` (returns what was booked: total and prompt ticks), or raise
        :class:`CostLimitReached` and stop admitting requests."""
        if estimate.prompt_ticks is None:
            raise RequestValidationError("--max-cost needs xAI's prices, which are unknown")
        answer = estimate.max_output_ticks
        ticks = estimate.prompt_ticks + (
            answer if answer is not None else self.costliest_answer_ticks
        )
        would_be = self.spent_ticks + self.reserved_ticks + ticks
        if self.stopped or would_be > self.limit_ticks:
            self.stopped = True
            raise CostLimitReached(
                f"--max-cost ${self.limit_ticks / TICKS_PER_USD:g}: the next image would take "
                f"the run to about ${would_be / TICKS_PER_USD:.6f}"
            )
        self.reserved_ticks += ticks
        return ticks, estimate.prompt_ticks

    def settle(self, booked: tuple[int, int], usage: Usage | None) -> None:
        """A booked request was answered: count what it cost (the booking if unknown)."""
        ticks, prompt_ticks = booked
        self.reserved_ticks -= ticks
        cost = usage.cost_in_usd_ticks if usage is not None else None
        actual = ticks if cost is None else cost
        self.spent_ticks += actual
        self.costliest_answer_ticks = max(self.costliest_answer_ticks, actual - prompt_ticks)

    def release(self, booked: tuple[int, int]) -> None:
        """A booked request failed: nothing was spent."""
        self.reserved_ticks -= booked[0]


@dataclass
class BatchOutcome:
    """The result of one run: this run's totals, images left undone by transient errors, and
    why ``--max-cost`` stopped the run (None when it did not)."""

    totals: BatchTotals = field(default_factory=BatchTotals)
    undone: list[tuple[BatchItem, XAIVisionError]] = field(default_factory=list)
    cost_stop: str | None = None


async def _answer(
    client: AsyncXAIClient, path: Path, settings: BatchSettings, guard: CostGuard | None
) -> ChatCompletion:
    prepared = await asyncio.to_thread(
        prepare_image, path, detail=settings.detail, options=settings.image_options, index=1
    )
    request = settings.request(prepared)
    if guard is None:
        return await client.create(request)
    booked = guard.reserve(await client.estimate_cost(request, [prepared]))
    try:
        completion = await client.create(request)
    except BaseException:
        guard.release(booked)
        raise
    guard.settle(booked, completion.usage)
    return completion


async def run_batch(
    client: AsyncXAIClient,
    items: Iterable[BatchItem],
    write: Callable[[dict[str, Any]], None],
    settings: BatchSettings,
    *,
    on_done: Callable[[BatchItem, dict[str, Any] | None], None] | None = None,
    outcome: BatchOutcome | None = None,
    guard: CostGuard | None = None,
) -> BatchOutcome:
    """Answer every image with at most ``settings.concurrency`` requests in flight.

    Each image's line goes to ``write`` (e.g. :meth:`JsonlWriter.write`) as soon as it is
    known. ``outcome`` (created if not given) is updated as lines are written, so a caller that
    is interrupted still knows what was done. ``on_done(item, record)`` runs after each image
    (``record`` is None when the image was left undone). A fatal error cancels the rest and
    propagates. ``guard`` (``--max-cost``) stops taking images before one would pass the limit;
    the images not sent stay undone, without a line.
    """
    outcome = outcome if outcome is not None else BatchOutcome()
    queue: Iterator[BatchItem] = iter(items)

    async def worker() -> None:
        # One shared iterator: next() runs without an await, so no two workers take one image.
        for item in queue:
            if guard is not None and guard.stopped:
                return
            record: dict[str, Any] | None
            try:
                completion = await _answer(client, item.path, settings, guard)
                record = answered_line(item.id, item.source, completion)
            except CostLimitReached as stop:
                outcome.cost_stop = outcome.cost_stop or str(stop)
                return
            except FATAL_ERRORS:
                raise
            except TRANSIENT_ERRORS as error:
                outcome.undone.append((item, error))
                record = None
            except XAIVisionError as error:  # this image's own problem: unreadable, rejected
                record = failed_line(item.id, item.source, error)
            if record is not None:
                write(record)
                outcome.totals.add_record(record)
            if on_done is not None:
                on_done(item, record)

    workers = [asyncio.create_task(worker()) for _ in range(settings.concurrency)]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return outcome
