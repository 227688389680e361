"""The steps of ``xai-vision batch``: resolve inputs, open the output, run, summarise, exit code.

The command owns the output file and the summary; an engine only turns images into result
lines, handed to a ``write`` callable (see :mod:`xai_vision.cli.batch` for the contract). The
local engine runs the requests from this process with
:class:`~xai_vision.client.AsyncXAIClient`.

The summary and the exit status come from what the output file holds once the run is over,
counted over the job's images: answered (a line without an error), failed (a line with one),
left (no line yet). Exit 0 only when every image is answered.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.text import Text

from xai_vision.cli.batch import (
    BatchItem,
    BatchOutcome,
    BatchTotals,
    CostGuard,
    JsonlWriter,
    ResumeState,
    batch_items,
    discover_images,
    load_resume_state,
    read_results,
    replace_results,
    run_batch,
)
from xai_vision.cli.output import (
    ExitCode,
    batch_progress,
    exit_code_for,
    format_usd,
    stderr_console,
)
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.endpoints import endpoint_for
from xai_vision.errors import RequestValidationError, XAIVisionError
from xai_vision.image_batch import BatchSettings
from xai_vision.images import prepare_image
from xai_vision.pricing import CostEstimate, ticks_to_usd

__all__ = [
    "BatchEstimate",
    "BatchOutput",
    "BatchRun",
    "BatchSummary",
    "ClientSettings",
    "OutputMode",
    "batch_exit_code",
    "estimate_batch",
    "open_output",
    "output_mode",
    "preflight",
    "print_estimate",
    "print_summary",
    "resolve_inputs",
    "run_local",
    "stop_on_sigterm",
    "summarise",
]

Write = Callable[[dict[str, Any]], None]


class OutputMode(Enum):
    """What to do with an existing ``--out`` file (one flag each; at most one is given)."""

    NEW = "new"  # refuse a non-empty file
    OVERWRITE = "overwrite"  # start it afresh
    RESUME = "resume"  # keep its lines, add the images it lacks
    RETRY_FAILED = "retry-failed"  # send again the images whose line holds an error


@dataclass(frozen=True)
class ClientSettings:
    """How the local engine reaches xAI (or the emulator)."""

    api_key: str | None
    base_url: str | None
    timeout: float
    max_retries: int
    #: The wire form: ``chat_completions`` or ``responses`` (see :func:`endpoint_for`).
    api: str = "chat_completions"

    def client(self, *, live_facts: bool = True) -> XAIClient:
        """A sync client with these settings (``live_facts=False``: no model list read)."""
        return XAIClient(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            live_facts=live_facts,
        )

    def async_client(self) -> AsyncXAIClient:
        """An async client with these settings, on their wire form."""
        return AsyncXAIClient(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            endpoint=endpoint_for(self.api),
        )


@dataclass
class BatchOutput:
    """The ``--out`` file of a job: where it is, how it is opened, what it held before."""

    path: Path
    mode: OutputMode
    before: ResumeState

    def todo(self, items: Sequence[BatchItem]) -> list[BatchItem]:
        """The images this run sends: those without a line, or with ``--retry-failed`` those
        whose line holds an error."""
        if self.mode is OutputMode.RETRY_FAILED:
            failed = self.before.failed
            return [item for item in items if item.id in failed]
        return [item for item in items if item.id not in self.before.results]

    @contextmanager
    def writing(self) -> Iterator[Write]:
        """Where the run's lines go: appended as they come; with ``--retry-failed`` kept until
        the run ends (however it ends), then swapped in for the old lines in one replace."""
        if self.mode is not OutputMode.RETRY_FAILED:
            with JsonlWriter(self.path, truncate=self.mode is OutputMode.OVERWRITE) as writer:
                yield writer.write
            return
        replacements: dict[str, dict[str, Any]] = {}
        try:
            yield lambda record: replacements.__setitem__(record["id"], record)
        finally:
            if replacements:
                replace_results(self.path, replacements)


@dataclass
class BatchRun:
    """What one run did: the images it set out to do and what became of them."""

    todo: list[BatchItem]
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    interrupted: bool = False


@dataclass(frozen=True)
class BatchSummary:
    """The job's images by what the output file holds for them after the run."""

    images: int
    answered: int
    failed: int
    left: int
    other_lines: int  # lines for images not in this job (e.g. from other inputs)
    file_totals: BatchTotals


def output_mode(*, resume: bool, overwrite: bool, retry_failed: bool = False) -> OutputMode:
    """The mode the flags ask for; two of them at once is a usage error."""
    given = [
        (flag, mode)
        for flag, mode, on in (
            ("--resume", OutputMode.RESUME, resume),
            ("--overwrite", OutputMode.OVERWRITE, overwrite),
            ("--retry-failed", OutputMode.RETRY_FAILED, retry_failed),
        )
        if on
    ]
    if len(given) > 1:
        raise RequestValidationError(f"{given[0][0]} and {given[1][0]} exclude each other")
    return given[0][1] if given else OutputMode.NEW


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``, ``docker stop``, a CI job's timeout) stops a batch
    the way Ctrl-C does: every line written stays whole, the state is saved, the summary is
    printed, exit 130, and ``--resume`` continues. Outside the main thread, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def as_ctrl_c(signum: int, frame: object) -> None:
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
            raise KeyboardInterrupt  # Ctrl-C itself is ignored here (a background job)
        signal.raise_signal(signal.SIGINT)  # through asyncio's own Ctrl-C handling when it runs

    previous = signal.signal(signal.SIGTERM, as_ctrl_c)
    try:
        yield
    finally:
        # None: a handler set outside Python, which cannot be put back; the default stands in.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def preflight(client: XAIClient, model: str) -> None:
    """Ask xAI about the key and the model (``GET /v1/models/{model}``) before an engine
    creates or starts anything: a refused key or a model xAI does not know raises here."""
    client.get_json(f"/models/{quote(model, safe='')}")


def resolve_inputs(paths: Sequence[str]) -> list[BatchItem]:
    """Files, folders and globs -> the job's images, each with its stable id."""
    return batch_items(discover_images(paths))


def open_output(out: Path, mode: OutputMode, items: Sequence[BatchItem]) -> BatchOutput:
    """Check ``out`` against the mode; to resume or retry, read it and repair a torn last line.

    ``--retry-failed`` needs the file, and refuses one where an image to retry has two lines
    (replacing both would write it twice).
    """
    if mode is OutputMode.NEW and out.exists() and out.stat().st_size > 0:
        raise RequestValidationError(
            f"--out {out} already exists: pass --resume to continue it, "
            "or --overwrite to start over"
        )
    if mode is OutputMode.RETRY_FAILED and not out.is_file():
        raise RequestValidationError(f"--out {out} does not exist: there is nothing to retry")
    continuing = mode in (OutputMode.RESUME, OutputMode.RETRY_FAILED)
    before = load_resume_state(out) if continuing else ResumeState()
    if before.repaired_bytes:
        stderr_console().print(
            f"repaired {out}: removed a half-written last line ({before.repaired_bytes} bytes)"
        )
    output = BatchOutput(out, mode, before)
    if mode is OutputMode.RETRY_FAILED:
        repeated = [item.source for item in output.todo(items) if item.id in before.repeated]
        if repeated:
            raise RequestValidationError(
                f"--out {out}: {repeated[0]} has more than one line; keep one of them "
                "before --retry-failed"
            )
    return output


def run_local(
    items: Sequence[BatchItem],
    output: BatchOutput,
    settings: BatchSettings,
    client: ClientSettings,
) -> BatchRun:
    """Send the images ``output`` calls for from this process, one line per image.

    Ctrl-C stops the run and is recorded in the result (lines written so far stay); a fatal
    error (bad key, unknown model) propagates.
    """
    run = BatchRun(todo=output.todo(items))
    console, todo = stderr_console(), len(run.todo)
    if output.mode is OutputMode.RETRY_FAILED:
        console.print(
            f"{images_count(len(items))}: {todo} with an error line in {output.path} to try again; "
            f"the other lines stay as they are (concurrency {settings.concurrency})"
        )
    else:
        console.print(
            f"{images_count(len(items))}: {len(items) - todo} already in {output.path}, "
            f"{todo} to do (concurrency {settings.concurrency})"
        )
    with output.writing() as write:
        try:
            asyncio.run(_run_with_progress(run.todo, write, settings, run.outcome, client))
        except KeyboardInterrupt:
            run.interrupted = True
    return run


async def _cost_guard(client: AsyncXAIClient, settings: BatchSettings) -> CostGuard | None:
    """The ``--max-cost`` guard; RequestValidationError when xAI's prices are not known."""
    if settings.max_cost is None:
        return None
    profile = await client.model_profile(settings.model)
    if profile.prices is None:
        live = client.live_facts
        why = (live.models_error if live is not None else None) or "no model list to read"
        raise RequestValidationError(
            f"--max-cost needs xAI's prices for {settings.model}, and they are not known "
            f"({why}); nothing was sent"
        )
    return CostGuard(settings.max_cost)


async def _run_with_progress(
    todo: list[BatchItem],
    write: Write,
    settings: BatchSettings,
    outcome: BatchOutcome,
    client_settings: ClientSettings,
) -> None:
    async with client_settings.async_client() as client:
        if not todo:
            return
        guard = await _cost_guard(client, settings)
        with batch_progress() as progress:
            task = progress.add_task("images", total=len(todo))

            def advance(item: BatchItem, record: dict[str, Any] | None) -> None:
                progress.advance(task)

            await run_batch(
                client, todo, write, settings, on_done=advance, outcome=outcome, guard=guard
            )


@dataclass
class BatchEstimate:
    """What ``--dry-run`` found: each image's estimate, and the images that cannot be sent."""

    model: str
    estimates: list[tuple[BatchItem, CostEstimate]] = field(default_factory=list)
    unreadable: list[tuple[BatchItem, XAIVisionError]] = field(default_factory=list)

    @property
    def total(self) -> CostEstimate | None:
        """The estimates added up (None without any)."""
        found = [estimate for _, estimate in self.estimates]
        if not found:
            return None
        total = found[0]
        for estimate in found[1:]:
            total = total + estimate
        return total


def estimate_batch(
    todo: Sequence[BatchItem], settings: BatchSettings, client_settings: ClientSettings
) -> BatchEstimate:
    """``--dry-run``: prepare each image and estimate its request (tokens and cost) without
    sending it. Only the prompt's text is counted by xAI and its model list read (for
    prices), when a key is set; no image and no chat request leave this machine."""
    result = BatchEstimate(settings.model)
    with client_settings.client() as client:
        for item in todo:
            try:
                prepared = prepare_image(
                    item.path, detail=settings.detail, options=settings.image_options, index=1
                )
            except XAIVisionError as error:
                result.unreadable.append((item, error))
                continue
            estimate = client.estimate_cost(settings.request(prepared), [prepared])
            result.estimates.append((item, estimate))
    return result


def _usd(ticks: int | None) -> str:
    return "unknown" if ticks is None else format_usd(ticks_to_usd(ticks))


def print_estimate(found: BatchEstimate, settings: BatchSettings, *, shown: int = 20) -> None:
    """The dry run's table (the first ``shown`` images, then the total) and what it means."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, markup=False, soft_wrap=True)
    table = Table(title=f"Dry run: nothing sent ({found.model})")
    table.add_column("image", overflow="fold")
    for name in ("image tokens", "prompt tokens", "prompt cost"):
        table.add_column(name, justify="right", no_wrap=True)
    for item, estimate in found.estimates[:shown]:
        table.add_row(
            Text(item.path.name),
            str(estimate.image_tokens),
            str(estimate.prompt_tokens),
            _usd(estimate.prompt_ticks),
        )
    if len(found.estimates) > shown:
        table.add_row(Text(f"... {len(found.estimates) - shown} more"), "", "", "")
    total = found.total
    if total is not None:
        table.add_row(
            Text(f"total ({images_count(total.requests)})"),
            str(total.image_tokens),
            str(total.prompt_tokens),
            _usd(total.prompt_ticks),
        )
    console.print(table)
    if total is None:
        console.print("no image can be sent")
        return
    text = "xAI's tokenizer" if total.text_exact else "estimated (4 characters a token)"
    console.print(f"prompt text: {text}; image tokens: the tile rule (an estimate)")
    if total.prompt_ticks is None:
        console.print("cost: unknown (xAI's prices were not fetched: set a key, or --emulator)")
    elif total.max_ticks is not None:
        console.print(
            f"cost: {_usd(total.prompt_ticks)} for the prompts, at most {_usd(total.max_ticks)} "
            f"with answers of up to {settings.max_tokens} tokens each (--max-tokens)"
        )
    else:
        console.print(
            f"cost: {_usd(total.prompt_ticks)} for the prompts, plus the answers "
            "(--max-tokens bounds them)"
        )
    for item, error in found.unreadable:
        console.print(Text(f"cannot send {item.source}: {error}"))


def summarise(items: Sequence[BatchItem], out: Path) -> BatchSummary:
    """Count the job's images by what ``out`` holds now."""
    after = read_results(out)
    ids = {item.id for item in items}
    answered = sum(1 for item in items if after.results.get(item.id) is False)
    failed = sum(1 for item in items if after.results.get(item.id) is True)
    return BatchSummary(
        images=len(items),
        answered=answered,
        failed=failed,
        left=len(items) - answered - failed,
        other_lines=len(after.results.keys() - ids),
        file_totals=after.totals,
    )


def images_count(count: int) -> str:
    """ "1 image", "2 images"."""
    return f"{count} image" if count == 1 else f"{count} images"


def _totals_line(label: str, totals: BatchTotals) -> Text:
    text = Text(f"{label}: ", style="bold")
    text.append(
        f"image tokens {totals.image_tokens} · prompt {totals.prompt_tokens} · "
        f"completion {totals.completion_tokens} · "
        + (f"reasoning {totals.reasoning_tokens} · " if totals.reasoning_tokens else "")
        + f"total {totals.total_tokens}"
    )
    if totals.cost_usd is not None:
        text.append(f" · cost {format_usd(totals.cost_usd)}")
    return text


def print_summary(summary: BatchSummary, run: BatchRun, output: BatchOutput) -> None:
    """The job's counts, this run's, tokens, then what to do about what is not answered."""
    console = stderr_console()
    totals, undone = run.outcome.totals, run.outcome.undone
    others = f" (and {summary.other_lines} lines for other images)" if summary.other_lines else ""
    console.print(
        Text(
            f"{output.path}: {summary.answered} answered, {summary.failed} failed, "
            f"{summary.left} left, of {images_count(summary.images)}{others}",
            style="bold",
        )
    )
    console.print(
        f"this run: {totals.succeeded} answered, {totals.failed} failed, "
        f"{len(undone)} hit temporary errors, of {len(run.todo)} to do"
        + (" (interrupted)" if run.interrupted else "")
    )
    console.print(_totals_line("tokens (this run)", totals))
    if run.outcome.cost_stop is not None:
        console.print(
            Text(
                f"stopped by {run.outcome.cost_stop}; {images_count(summary.left)} left: raise "
                "--max-cost and run the same command with --resume to go on",
                style="bold yellow",
            )
        )
    if summary.file_totals.written > totals.written:
        whole = summary.file_totals
        console.print(_totals_line(f"tokens (whole file, {whole.written} lines)", whole))
    _print_next_steps(summary, run, retry=output.mode is OutputMode.RETRY_FAILED)


def _print_next_steps(summary: BatchSummary, run: BatchRun, *, retry: bool) -> None:
    """What stopped the run, and which flag finishes the job: --resume for images without a
    line, --retry-failed for lines that hold an error."""
    console, undone = stderr_console(), run.outcome.undone
    if run.interrupted:
        left = (
            f": {images_count(summary.left)} left; run the same command with --resume to finish"
            if summary.left
            else ""
        )
        console.print(Text(f"interrupted{left}", style="bold yellow"))
    elif undone:
        for item, error in undone[:5]:
            console.print(Text(f"not done: {item.source}: {error}", style="yellow"))
        again = "--retry-failed" if retry else "--resume"
        console.print(
            Text(
                f"{images_count(len(undone))} hit temporary errors and were not written; "
                f"run again with {again} to retry them",
                style="bold yellow",
            )
        )
    if retry and summary.left and not run.interrupted:
        console.print(
            Text(
                f"{images_count(summary.left)} without a line yet; run the same command with "
                "--resume to do them",
                style="bold yellow",
            )
        )
    if summary.failed:
        console.print(
            Text(
                f"{images_count(summary.failed)} failed (their lines hold an error); run the same "
                "command with --retry-failed to try them again",
                style="bold yellow",
            )
        )


def batch_exit_code(summary: BatchSummary, run: BatchRun) -> ExitCode:
    """130 interrupted; 1 when lines hold errors; images left by temporary errors: their code
    when all agree (e.g. 5 for the network), else 1; 0 when every image is answered."""
    if run.interrupted:
        return ExitCode.INTERRUPTED
    if summary.failed:
        return ExitCode.FAILED
    undone_codes = {exit_code_for(error) for _, error in run.outcome.undone}
    if len(undone_codes) == 1:
        return undone_codes.pop()
    return ExitCode.FAILED if summary.left else ExitCode.OK
