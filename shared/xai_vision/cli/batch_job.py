"""The steps of ``xai-vision batch``: resolve inputs, open the output, run, summarise, exit code.

The command owns the output file and the summary; an engine only turns images into result
lines (see :mod:`xai_vision.cli.batch` for the contract). The local engine runs the requests
from this process with :class:`~xai_vision.client.AsyncXAIClient`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from xai_vision.cli.batch import (
    BatchItem,
    BatchOutcome,
    BatchSettings,
    BatchTotals,
    JsonlWriter,
    ResumeState,
    batch_items,
    discover_images,
    load_resume_state,
    run_batch,
)
from xai_vision.cli.output import ExitCode, exit_code_for, format_usd, stderr_console
from xai_vision.client import AsyncXAIClient
from xai_vision.errors import RequestValidationError

__all__ = [
    "BatchOutput",
    "BatchRun",
    "ClientSettings",
    "OutputMode",
    "batch_exit_code",
    "open_output",
    "output_mode",
    "print_summary",
    "resolve_inputs",
    "run_local",
]


class OutputMode(Enum):
    """What to do with an existing ``--out`` file."""

    NEW = "new"  # refuse a non-empty file
    OVERWRITE = "overwrite"  # start it afresh
    RESUME = "resume"  # keep its lines, add the images it lacks


@dataclass(frozen=True)
class ClientSettings:
    """How the local engine reaches xAI (or the emulator)."""

    api_key: str | None
    base_url: str | None
    timeout: float
    max_retries: int


@dataclass
class BatchOutput:
    """The ``--out`` file of a job: where it is, how it is opened, what it held before."""

    path: Path
    mode: OutputMode
    before: ResumeState

    def todo(self, items: Sequence[BatchItem]) -> list[BatchItem]:
        """The images this run sends: those without a line yet."""
        return [item for item in items if item.id not in self.before.results]


@dataclass
class BatchRun:
    """What one run did: the images it set out to do and what became of them."""

    todo: list[BatchItem]
    skipped: int
    outcome: BatchOutcome = field(default_factory=BatchOutcome)
    interrupted: bool = False


def output_mode(*, resume: bool, overwrite: bool) -> OutputMode:
    """The mode the flags ask for; contradicting flags are a usage error."""
    if resume and overwrite:
        raise RequestValidationError("--resume and --overwrite exclude each other")
    if resume:
        return OutputMode.RESUME
    return OutputMode.OVERWRITE if overwrite else OutputMode.NEW


def resolve_inputs(paths: Sequence[str]) -> list[BatchItem]:
    """Files, folders and globs -> the job's images, each with its stable id."""
    return batch_items(discover_images(paths))


def open_output(out: Path, mode: OutputMode) -> BatchOutput:
    """Check ``out`` against the mode; for ``--resume`` read it and repair a torn last line."""
    if mode is OutputMode.NEW and out.exists() and out.stat().st_size > 0:
        raise RequestValidationError(
            f"--out {out} already exists: pass --resume to continue it, "
            "or --overwrite to start over"
        )
    before = load_resume_state(out) if mode is OutputMode.RESUME else ResumeState()
    if before.repaired_bytes:
        stderr_console().print(
            f"repaired {out}: removed a half-written last line ({before.repaired_bytes} bytes)"
        )
    return BatchOutput(out, mode, before)


def run_local(
    items: Sequence[BatchItem],
    output: BatchOutput,
    settings: BatchSettings,
    client: ClientSettings,
) -> BatchRun:
    """Send the images ``output`` lacks from this process, appending a line per image.

    Ctrl-C stops the run and is recorded in the result (lines written so far stay); a fatal
    error (bad key, unknown model) propagates.
    """
    todo = output.todo(items)
    run = BatchRun(todo=todo, skipped=len(items) - len(todo))
    stderr_console().print(
        f"{len(items)} images: {run.skipped} already in {output.path}, {len(todo)} to do "
        f"(concurrency {settings.concurrency})"
    )
    with JsonlWriter(output.path, truncate=output.mode is OutputMode.OVERWRITE) as writer:
        try:
            asyncio.run(_run_with_progress(todo, writer, settings, run.outcome, client))
        except KeyboardInterrupt:
            run.interrupted = True
    return run


async def _run_with_progress(
    todo: list[BatchItem],
    writer: JsonlWriter,
    settings: BatchSettings,
    outcome: BatchOutcome,
    client_settings: ClientSettings,
) -> None:
    async with AsyncXAIClient(
        api_key=client_settings.api_key,
        base_url=client_settings.base_url,
        timeout=client_settings.timeout,
        max_retries=client_settings.max_retries,
    ) as client:
        if not todo:
            return
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr_console(),
        ) as progress:
            task = progress.add_task("images", total=len(todo))

            def advance(item: BatchItem, record: dict[str, Any] | None) -> None:
                progress.advance(task)

            await run_batch(client, todo, writer.write, settings, on_done=advance, outcome=outcome)


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


def print_summary(run: BatchRun, output: BatchOutput) -> None:
    """Counts and tokens of this run (and of the whole file when resuming), then what is left."""
    console = stderr_console()
    totals, outcome = run.outcome.totals, run.outcome
    console.print(
        f"this run: {totals.succeeded} answered, {totals.failed} failed, "
        f"{len(outcome.undone)} left for --resume, {run.skipped} skipped"
    )
    console.print(_totals_line("tokens (this run)", totals))
    if output.mode is OutputMode.RESUME and output.before.totals.written:
        whole = output.before.totals.merged(totals)
        console.print(_totals_line(f"tokens (whole file, {whole.written} lines)", whole))
    if run.interrupted:
        left = len(run.todo) - totals.written
        console.print(
            Text(
                f"interrupted: {totals.written} lines written this run, {left} images "
                f"left; run the same command with --resume to finish",
                style="bold yellow",
            )
        )
        return
    for item, error in outcome.undone[:5]:
        console.print(Text(f"not done: {item.source}: {error}", style="yellow"))
    if outcome.undone:
        console.print(
            Text(
                f"{len(outcome.undone)} images hit temporary errors and were not written; "
                "run again with --resume to retry them",
                style="bold yellow",
            )
        )


def batch_exit_code(run: BatchRun) -> ExitCode:
    """130 when interrupted; the undone images' code when all agree (e.g. NETWORK) and none
    failed; 1 when any failed or stayed undone; else 0."""
    outcome = run.outcome
    if run.interrupted:
        return ExitCode.INTERRUPTED
    undone_codes = {exit_code_for(error) for _, error in outcome.undone}
    if len(undone_codes) == 1 and not outcome.totals.failed:
        return undone_codes.pop()
    if outcome.undone or outcome.totals.failed:
        return ExitCode.FAILED
    return ExitCode.OK
