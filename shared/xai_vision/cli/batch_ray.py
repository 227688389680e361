"""``xai-vision batch --engine ray``: the job's images through :func:`xai_vision.ray.ask_images`.

The rows are written to ``--out`` as Ray hands them back (the results contract of
:mod:`xai_vision.cli.batch`: the same ``id`` and ``source`` as the local engine, one line per
image, each in one ``O_APPEND`` write). As with the local engine, an image whose last try
hit a temporary error (429, 5xx, timeout, network) gets no line, for ``--resume``; a failure
every image would hit stops the job with its typed error. Ray runs locally
(``ray.init(num_cpus=...)``) or, with ``RAY_ADDRESS`` set, on that cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from xai_vision.cli.batch import BatchItem
from xai_vision.cli.batch_job import (
    BatchOutput,
    BatchRun,
    ClientSettings,
    OutputMode,
    preflight,
    stop_on_sigterm,
)
from xai_vision.cli.output import batch_progress, stderr_console
from xai_vision.errors import RequestValidationError, XAIVisionError
from xai_vision.image_batch import (
    FATAL_ERRORS,
    TRANSIENT_ERROR_TYPES,
    BatchSettings,
    error_from_record,
)

__all__ = ["RayOptions", "run_ray"]


@dataclass(frozen=True)
class RayOptions:
    """The ray engine's own settings (``--rps``, ``--tpm``, ``--workers``)."""

    requests_per_second: float | None = None
    tokens_per_minute: int | None = None
    workers: int = 2
    #: CPUs of a local Ray (None: this machine's); ignored when ``RAY_ADDRESS`` is set.
    num_cpus: int | None = None

    def __post_init__(self) -> None:
        if self.requests_per_second is not None and not self.requests_per_second > 0:
            raise RequestValidationError(
                f"--rps must be more than 0, got {self.requests_per_second}"
            )
        if self.tokens_per_minute is not None and self.tokens_per_minute < 1:
            raise RequestValidationError(f"--tpm must be at least 1, got {self.tokens_per_minute}")
        if self.workers < 1:
            raise RequestValidationError(f"--workers must be at least 1, got {self.workers}")


def _preflight(client: ClientSettings, model: str) -> None:
    """Stop before starting Ray on what every image would hit (no key, a key xAI refuses, a
    model it does not know), as xai-batch's preflight does; a transient failure of the check
    itself is left to the requests."""
    with client.client(live_facts=False) as probe:
        try:
            preflight(probe, model)
        except FATAL_ERRORS:
            raise
        except XAIVisionError as error:
            logging.getLogger("xai_vision").debug("ray engine: preflight not answered: %s", error)


def run_ray(
    items: Sequence[BatchItem],
    output: BatchOutput,
    settings: BatchSettings,
    client: ClientSettings,
    options: RayOptions,
) -> BatchRun:
    """Send the images ``output`` calls for through Ray, writing each line as it comes back.

    Ctrl-C stops the run (lines written so far stay; Ray is shut down if this call started it).
    """
    if settings.max_cost is not None:
        raise RequestValidationError(
            "--max-cost works with --engine local only (the ray engine has no shared cost budget)"
        )
    try:
        import ray.data
    except ImportError:
        raise RequestValidationError(
            '--engine ray needs Ray Data, which is not installed: pip install "xai-vision[ray]"'
        ) from None
    from xai_vision.ray import BatchStopped, ask_images, init_ray, result_record

    run = BatchRun(todo=output.todo(items))
    console, todo = stderr_console(), len(run.todo)
    limit = (
        f", at most {options.requests_per_second:g} requests/s"
        if options.requests_per_second
        else ""
    )
    if output.mode is OutputMode.RETRY_FAILED:
        what = f"{todo} with an error line in {output.path} to try again"
    else:
        what = f"{len(items) - todo} already in {output.path}, {todo} to do"
    console.print(
        f"{len(items)} images: {what} (ray: {options.workers} workers, "
        f"{settings.concurrency} requests each{limit})"
    )
    if not run.todo:
        return run
    _preflight(client, settings.model)
    by_id = {item.id: item for item in run.todo}
    started = init_ray(options.num_cpus)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        # Ray Data logs a stopped job as its own failure; the command reports the typed error.
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)
        rows = [{"id": i.id, "source": i.source, "image": str(i.path)} for i in run.todo]
        results = ask_images(
            # Blocks of a few rows: each comes back (and is written) as soon as it is done.
            ray.data.from_items(rows, override_num_blocks=min(-(-todo // 8), 10_000)),
            settings.prompt,
            column="image",
            model=settings.model,
            detail=settings.detail,
            max_tokens=settings.max_tokens,
            image_options=settings.image_options,
            api_key=client.api_key,
            base_url=client.base_url,
            timeout=client.timeout,
            max_retries=client.max_retries,
            api=client.api,
            requests_per_second=options.requests_per_second,
            tokens_per_minute=options.tokens_per_minute,
            workers=options.workers,
            concurrency_per_worker=settings.concurrency,
        )
        with (
            stop_on_sigterm(),  # after ray.init, whose own SIGTERM handler exits at once
            output.writing() as write,
            batch_progress() as progress,
        ):
            task = progress.add_task("images", total=todo)
            try:
                for row in results.iter_rows():
                    record = result_record(row)
                    error = record["error"]
                    if error is not None and error.get("type") in TRANSIENT_ERROR_TYPES:
                        item = by_id[record["id"]]
                        run.outcome.undone.append((item, error_from_record(error)))
                    else:
                        write(record)
                        run.outcome.totals.add_record(record)
                    progress.advance(task)
            except KeyboardInterrupt:
                run.interrupted = True
            except Exception as error:
                stopped = BatchStopped.found_in(error)
                if stopped is None:
                    raise
                raise stopped.typed() from None
    finally:
        if started:
            ray.shutdown()
    return run
