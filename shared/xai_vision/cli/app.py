"""The ``xai-vision`` commands: ask, batch, tokens, emulator, demo, samples (typer + rich).

Every command turns the core's typed errors into one clear line on stderr and an exit code
from :class:`~xai_vision.cli.output.ExitCode`; no command prints a traceback for bad input.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from xai_vision import _json
from xai_vision.batches import MAX_ADD_REQUESTS_BYTES
from xai_vision.catalog import DEFAULT_MODEL, model_facts
from xai_vision.cli.batch import read_results
from xai_vision.cli.batch_job import (
    BatchOutput,
    ClientSettings,
    OutputMode,
    batch_exit_code,
    estimate_batch,
    open_output,
    output_mode,
    print_estimate,
    print_summary,
    resolve_inputs,
    run_local,
    stop_on_sigterm,
    summarise,
)
from xai_vision.cli.batch_xai import (
    XaiBatchOptions,
    at_batch_prices,
    cancel_xai_batch,
    run_xai_batch,
)
from xai_vision.cli.connection import connect
from xai_vision.cli.output import (
    ExitCode,
    exit_code_for,
    format_usd,
    report_error,
    stderr_console,
    usage_text,
)
from xai_vision.client import XAIClient
from xai_vision.endpoints import endpoint_for
from xai_vision.errors import RequestValidationError, XAIVisionError
from xai_vision.image_batch import BatchSettings, usage_record
from xai_vision.images import ImageOptions, PreparedImage, prepare_image
from xai_vision.live import LanguageModel
from xai_vision.messages import (
    ChatRequest,
    ImageCollector,
    WireMessage,
    system_message,
    text_part,
    user_message,
)
from xai_vision.pricing import estimate_cost
from xai_vision.stream import StreamAccumulator
from xai_vision.tokens import (
    DETAILS,
    ESTIMATE_NOTE,
    Detail,
    PromptTokens,
    count_prompt_tokens,
    estimate_image_tokens,
)

app = typer.Typer(
    name="xai-vision",
    help="Ask xAI's Grok about images: one question, a whole folder, or an offline token estimate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class DetailChoice(str, Enum):
    """The ``detail`` levels xAI takes, as a command-line choice."""

    auto = "auto"
    low = "low"
    high = "high"


def _detail(choice: DetailChoice | None) -> Detail | None:
    if choice is None:
        return None
    detail: Detail = choice.value
    return detail


ImagesArgument = Annotated[
    list[str],
    typer.Argument(help="Image files, or http(s) URLs / data URIs (ask only).", show_default=False),
]
PromptOption = Annotated[
    str, typer.Option("--prompt", "-p", help="The question to ask about the image(s).")
]
DetailOption = Annotated[
    DetailChoice | None,
    typer.Option(
        "--detail", "-d", case_sensitive=False, help="Image detail: auto (default), low or high."
    ),
]
ModelOption = Annotated[str, typer.Option("--model", "-m", help="xAI model that takes images.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="xAI API key. Default: $XAI_API_KEY.",
        show_default=False,
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="API base URL. Default: $XAI_BASE_URL, else $XAI_API_BASE, else https://api.x.ai/v1.",
        show_default=False,
    ),
]
OptimizeOption = Annotated[
    bool,
    typer.Option(
        "--optimize",
        help="Downscale to what xAI processes and re-encode: same tokens, fewer bytes.",
    ),
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each request.")
]


class API(str, Enum):
    """The wire form ``--api`` chooses."""

    chat_completions = "chat-completions"
    responses = "responses"


APIOption = Annotated[
    API,
    typer.Option(
        "--api",
        help="xAI endpoint: chat-completions (OpenAI-compatible) or responses (xAI's recommended).",
    ),
]
EmulatorOption = Annotated[
    bool,
    typer.Option(
        "--emulator",
        help="Answer from the built-in emulator (offline, no key needed) instead of xAI.",
    ),
]


@contextmanager
def _reporting() -> Iterator[None]:
    """Turn typed errors and Ctrl-C into a message and an exit code."""
    try:
        yield
    except XAIVisionError as error:
        raise typer.Exit(report_error(error)) from None
    except KeyboardInterrupt:
        stderr_console().print(Text("interrupted", style="bold red"))
        raise typer.Exit(ExitCode.INTERRUPTED) from None


def _image_source(argument: str) -> str | Path:
    """URLs and data URIs stay strings; everything else is a file path."""
    lowered = argument[:8].lower()
    if lowered.startswith(("http://", "https://", "data:")):
        return argument
    return Path(argument)


@app.callback()
def _root() -> None:
    """Ask xAI's Grok about images from the command line (answers on stdout, the rest on stderr)."""


# --------------------------------------------------------------------------- ask


@app.command()
def ask(
    images: ImagesArgument,
    prompt: PromptOption,
    detail: DetailOption = None,
    model: ModelOption = DEFAULT_MODEL,
    json_output: JsonOption = False,
    optimize: OptimizeOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
    timeout: TimeoutOption = 60.0,
    emulator: EmulatorOption = False,
    api: APIOption = API.chat_completions,
) -> None:
    """Ask one question about one or more images; stream the answer, then print usage."""
    with _reporting():
        level = _detail(detail)
        collector = ImageCollector(ImageOptions(optimize=optimize))
        parts = [collector.add(_image_source(argument), detail=level) for argument in images]
        request = ChatRequest(model=model, messages=[user_message([text_part(prompt), *parts])])
        accumulator = StreamAccumulator()
        with (
            connect(api_key=api_key, base_url=base_url, emulator=emulator) as to,
            XAIClient(
                api_key=to.api_key,
                base_url=to.base_url,
                timeout=timeout,
                endpoint=endpoint_for(api.value),
            ) as client,
        ):
            for chunk in client.stream(request):
                accumulator.add(chunk)
                if chunk.content and not json_output:
                    sys.stdout.write(chunk.content)
                    sys.stdout.flush()
        completion = accumulator.completion()
        prepared = collector.images
        # URLs cannot be sized offline: no estimate when any image is remote.
        estimated = None if any(i.is_remote for i in prepared) else collector.estimated_tokens
        if json_output:
            result: dict[str, Any] = {
                "model": completion.model,
                "answer": completion.content,
                "finish_reason": completion.finish_reason,
                "usage": usage_record(completion.usage),
                "estimated_image_tokens": estimated,
                "images": [_image_record(image) for image in prepared],
            }
            sys.stdout.write(_json.dumps(result).decode("utf-8") + "\n")
            return
        if completion.content and not completion.content.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
        stderr_console().print(usage_text(completion.usage, estimated_image_tokens=estimated))


def _image_record(image: PreparedImage) -> dict[str, Any]:
    return {
        "source": image.source,
        "mime_type": image.mime_type,
        "width": image.width,
        "height": image.height,
        "bytes": image.byte_size,
        "detail": image.detail,
        "estimated_tokens": image.estimated_tokens,
    }


# --------------------------------------------------------------------------- tokens


def _original(path: Path) -> dict[str, Any]:
    """Format, size and bytes of the file as it is on disk (header read only)."""
    from PIL import Image

    from xai_vision.images import detect_image_format

    data = path.read_bytes()
    record: dict[str, Any] = {"format": detect_image_format(data), "bytes": len(data)}
    try:
        with Image.open(path) as image:
            record["width"], record["height"] = image.size
    except OSError:
        record["width"] = record["height"] = None
    return record


def _sent(image: PreparedImage) -> dict[str, Any]:
    fmt = image.mime_type.split("/", 1)[1] if image.mime_type else None
    return {"format": fmt, "width": image.width, "height": image.height, "bytes": image.byte_size}


def _describe(original: dict[str, Any], sent: dict[str, Any]) -> str:
    changes = []
    if original["format"] != sent["format"]:
        changes.append(f"{original['format']}→{sent['format']}")
    if (original["width"], original["height"]) != (sent["width"], sent["height"]):
        changes.append(f"resized to {sent['width']}x{sent['height']}")
    if not changes and original["bytes"] != sent["bytes"]:
        changes.append("re-encoded")
    return ", ".join(changes) or "sent as is"


def _kib(size: int | None) -> str:
    return "?" if size is None else f"{size / 1024:,.1f} KiB"


@app.command()
def tokens(
    images: Annotated[list[Path], typer.Argument(help="Image files.", show_default=False)],
    detail: DetailOption = None,
    json_output: JsonOption = False,
    prompt: Annotated[
        str | None,
        typer.Option(
            "--prompt",
            "-p",
            help="Also count a request: this text with the images, tokens per message.",
            show_default=False,
        ),
    ] = None,
    system: Annotated[
        str | None,
        typer.Option(
            "--system", help="A system message for the request counted.", show_default=False
        ),
    ] = None,
    model: ModelOption = DEFAULT_MODEL,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Estimate the text too: send nothing at all."),
    ] = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
    timeout: TimeoutOption = 60.0,
    emulator: EmulatorOption = False,
) -> None:
    """Estimate image tokens and show what pre-processing would do; with --prompt, the tokens
    of each message of that request and its estimated cost.

    Images are estimated offline and never sent. With --prompt and a key, the text is counted
    by xAI's tokenizer and priced at xAI's listed prices; without one (or --offline) the
    text is estimated too, and the output says so.
    """
    level = _detail(detail)
    levels: tuple[Detail, ...] = (level,) if level is not None else DETAILS
    rows: list[dict[str, Any]] = []
    failures: list[XAIVisionError] = []
    sent_images: list[PreparedImage] = []
    for path in images:
        try:
            prepared = prepare_image(path, detail=level)
            optimised = prepare_image(path, detail=level, options=ImageOptions(optimize=True))
        except XAIVisionError as error:
            failures.append(error)
            report_error(error)
            continue
        sent_images.append(prepared)
        original = _original(path)
        sent = _sent(prepared)
        width, height = prepared.width, prepared.height
        assert width is not None and height is not None  # a local file always has a size
        rows.append(
            {
                "source": str(path),
                "original": original,
                "sent": sent,
                "preprocessing": _describe(original, sent),
                "optimized": _sent(optimised),
                "tokens": {
                    name: prepared.estimated_tokens
                    if name == level
                    else estimate_image_tokens((width, height), name)
                    for name in levels
                },
            }
        )
    totals: dict[str, int] = {name: sum(row["tokens"][name] for row in rows) for name in levels}
    request: dict[str, Any] | None = None
    if prompt is not None or system is not None:
        with _reporting():
            request = _count_request(
                prompt,
                system,
                sent_images,
                model=model,
                offline=offline,
                connection={"api_key": api_key, "base_url": base_url, "emulator": emulator},
                timeout=timeout,
            )
    if json_output:
        payload: dict[str, Any] = {"images": rows, "total_tokens": totals}
        if request is not None:
            payload["request"] = request
        sys.stdout.write(_json.dumps(payload).decode("utf-8") + "\n")
    else:
        _print_token_table(rows, levels, totals)
        if request is not None:
            _print_request_table(request)
    if failures:
        raise typer.Exit(exit_code_for(failures[0]))


def _count_request(
    prompt: str | None,
    system: str | None,
    images: list[PreparedImage],
    *,
    model: str,
    offline: bool,
    connection: dict[str, Any],
    timeout: float,
) -> dict[str, Any]:
    """The request ``tokens --prompt`` describes, counted message by message, and its cost."""
    collector = ImageCollector()
    parts = ([text_part(prompt)] if prompt else []) + [collector.add(i) for i in images]
    wire: list[WireMessage] = [system_message(system)] if system else []
    if parts:
        wire.append(user_message(parts))
    cost_usd: float | None = None
    if offline:
        note = f"{ESTIMATE_NOTE} (--offline)"
        counted: PromptTokens = count_prompt_tokens(wire, collector.images, note=note)
    else:
        with (
            connect(**connection) as to,
            XAIClient(api_key=to.api_key, base_url=to.base_url, timeout=timeout) as client,
        ):
            counted = client.count_tokens(wire, collector.images, model=model)
            prices = client.model_profile(model).prices
        cost_usd = estimate_cost(counted, prices).prompt_usd
    return {
        "model": model,
        "messages": [
            {
                "role": m.role,
                "text_tokens": m.text_tokens,
                "images": m.images,
                "image_tokens": m.image_tokens,
                "overhead_tokens": m.overhead_tokens,
                "total": m.total,
            }
            for m in counted.messages
        ],
        "prompt_tokens": counted.total,
        "text_exact": counted.text_exact,
        "note": counted.note,
        "prompt_cost_usd": cost_usd,
    }


def _print_request_table(request: dict[str, Any]) -> None:
    from rich.console import Console

    text = "text (xAI's tokenizer)" if request["text_exact"] else "text (estimate)"
    table = Table(title=f"Prompt tokens by message ({request['model']})", caption=request["note"])
    table.add_column("message")
    for name in (text, "images", "image tokens", "overhead", "total"):
        table.add_column(name, justify="right")
    for m in request["messages"]:
        table.add_row(
            m["role"],
            str(m["text_tokens"]),
            str(m["images"]),
            str(m["image_tokens"]),
            str(m["overhead_tokens"]),
            str(m["total"]),
        )
    table.add_row("total", "", "", "", "", str(request["prompt_tokens"]))
    console = Console(file=sys.stdout, highlight=False, markup=False)
    console.print(table)
    cost = request["prompt_cost_usd"]
    console.print(
        f"estimated prompt cost: {format_usd(cost)} (xAI's listed prices)"
        if cost is not None
        else "estimated prompt cost: unknown (xAI's prices were not fetched)"
    )


def _print_token_table(
    rows: list[dict[str, Any]], levels: tuple[Detail, ...], totals: dict[str, int]
) -> None:
    from rich.console import Console

    if not rows:
        return
    table = Table(title="Estimated image tokens by detail (offline; xAI reports the real count)")
    table.add_column("image", overflow="fold")
    table.add_column("on disk")
    table.add_column("sent")
    table.add_column("optimised")
    for name in levels:
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        original, sent, optimised = row["original"], row["sent"], row["optimized"]
        table.add_row(
            Text(Path(row["source"]).name),
            f"{original['format']} {original['width']}x{original['height']} "
            f"{_kib(original['bytes'])}",
            f"{row['preprocessing']}, {_kib(sent['bytes'])}",
            f"{optimised['width']}x{optimised['height']} {_kib(optimised['bytes'])}",
            *(str(row["tokens"][name]) for name in levels),
        )
    if len(rows) > 1:
        table.add_row("total", "", "", "", *(str(totals[name]) for name in levels))
    Console(file=sys.stdout, highlight=False, markup=False).print(table)


# --------------------------------------------------------------------------- models


def _model_record(model: LanguageModel) -> dict[str, Any]:
    facts = model_facts(model.id)
    return {
        "id": model.id,
        "aliases": list(model.aliases),
        "input_modalities": list(model.input_modalities),
        "takes_images": model.takes_images,
        "prices_usd_per_million_tokens": model.prices.per_million_usd(),
        "prices_ticks_per_token": {
            "prompt_text": model.prices.prompt_text,
            "cached_prompt_text": model.prices.cached_prompt_text,
            "prompt_image": model.prices.prompt_image,
            "completion_text": model.prices.completion_text,
        },
        # xAI does not list context windows: the built-in table's, None for a new family.
        "context_window": facts.context_window if facts.known else None,
    }


def _per_million(usd: float) -> str:
    return f"${usd:,.2f}" if usd >= 0.1 or usd == 0 else f"${usd:,.3f}"


@app.command()
def models(
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
    timeout: TimeoutOption = 60.0,
    emulator: EmulatorOption = False,
) -> None:
    """List xAI's models (GET /v1/language-models): which take images, prices, context window."""
    with (
        _reporting(),
        connect(api_key=api_key, base_url=base_url, emulator=emulator) as to,
        XAIClient(api_key=to.api_key, base_url=to.base_url, timeout=timeout) as client,
    ):
        listed = client.language_models()
    records = [_model_record(model) for model in listed.models]
    if json_output:
        sys.stdout.write(_json.dumps({"models": records}).decode("utf-8") + "\n")
        return
    from rich.console import Console

    table = Table(
        title="xAI models (prices in US$ per million tokens)",
        caption="context: the project's table (xAI does not list it); ? for a new family",
    )
    table.add_column("model", overflow="fold")
    table.add_column("aliases", overflow="fold")
    table.add_column("images")
    for name in ("input", "cached", "image", "output", "context"):
        table.add_column(name, justify="right", no_wrap=True)
    for record in records:
        prices = record["prices_usd_per_million_tokens"]
        context = record["context_window"]
        table.add_row(
            record["id"],
            ", ".join(record["aliases"]),
            "yes" if record["takes_images"] else "no",
            _per_million(prices["prompt_text"]),
            _per_million(prices["cached_prompt_text"]),
            _per_million(prices["prompt_image"]) if record["takes_images"] else "-",
            _per_million(prices["completion_text"]),
            f"{context:,}" if context is not None else "?",
        )
    Console(file=sys.stdout, highlight=False, markup=False).print(table)


# --------------------------------------------------------------------------- batch


class Engine(str, Enum):
    """Where ``batch`` runs the requests."""

    local = "local"
    xai_batch = "xai-batch"
    ray = "ray"


@app.command()
def batch(
    paths: Annotated[
        list[str],
        typer.Argument(help="Image files, folders or glob patterns.", show_default=False),
    ],
    prompt: PromptOption,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="JSONL results file: one line per image (required unless --dry-run).",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Requests in flight at once.")
    ] = 4,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue --out: skip images already in it, repair its end."),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Send again the images whose line in --out holds an error; replace those lines.",
        ),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Start --out afresh if it already exists.")
    ] = False,
    detail: DetailOption = None,
    model: ModelOption = DEFAULT_MODEL,
    optimize: OptimizeOption = False,
    max_retries: Annotated[
        int,
        typer.Option(
            "--max-retries", min=0, help="Retries per image on 429, 5xx and network errors."
        ),
    ] = 5,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
    timeout: TimeoutOption = 60.0,
    emulator: EmulatorOption = False,
    api: APIOption = API.chat_completions,
    report_path: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the results as one self-contained HTML page (see 'report').",
            show_default=False,
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", min=1, help="Most tokens each answer may generate."),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost",
            min=0.0,
            help="Stop before the run's estimated cost would pass this many US dollars (each "
            "answer reckoned at --max-tokens, else at the costliest answer so far).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Count the images, their tokens and the estimated cost; send no image.",
        ),
    ] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            case_sensitive=False,
            help="local: requests from this machine; xai-batch: xAI's Batch API (half price, "
            "results within a day; state kept beside --out for --resume); ray: Ray Data actors "
            "(local Ray, or the cluster at $RAY_ADDRESS; --concurrency is per worker).",
        ),
    ] = Engine.local,
    cancel: Annotated[
        bool,
        typer.Option("--cancel", help="Cancel the xAI batch recorded beside --out (xai-batch)."),
    ] = False,
    chunk_bytes: Annotated[
        int,
        typer.Option("--chunk-bytes", help="Largest add-requests body (xai-batch; xAI's limit)."),
    ] = MAX_ADD_REQUESTS_BYTES,
    poll_interval: Annotated[
        float,
        typer.Option(
            "--poll-interval", help="Seconds before the first poll, doubled up to 60 (xai-batch)."
        ),
    ] = 2.0,
    rps: Annotated[
        float | None,
        typer.Option(
            "--rps",
            min=0.0,
            help="ray: most requests per second across all workers, retries included.",
            show_default=False,
        ),
    ] = None,
    tpm: Annotated[
        int | None,
        typer.Option(
            "--tpm",
            min=1,
            help="ray: most estimated tokens per minute across all workers.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="ray: actors sending requests.")
    ] = 2,
) -> None:
    """Ask the same question about many images, writing one JSONL line per image."""
    with _reporting():
        settings = BatchSettings(
            prompt=prompt,
            model=model,
            detail=_detail(detail),
            concurrency=concurrency,
            image_options=ImageOptions(optimize=optimize),
            max_tokens=max_tokens,
            max_cost=max_cost,
        )
        mode = output_mode(resume=resume, overwrite=overwrite, retry_failed=retry_failed)
        xai_batch = engine is Engine.xai_batch
        options = XaiBatchOptions(chunk_bytes=chunk_bytes, poll_interval=poll_interval)
        if cancel:
            if not xai_batch or out is None:
                raise RequestValidationError("--cancel needs --engine xai-batch and --out")
            with connect(api_key=api_key, base_url=base_url, emulator=emulator) as to:
                client = ClientSettings(to.api_key, to.base_url, timeout, max_retries, api.value)
                cancel_xai_batch(out, client)
            return
        items = resolve_inputs(paths)
        if dry_run:
            todo = items
            if out is not None and mode in (OutputMode.RESUME, OutputMode.RETRY_FAILED):
                todo = BatchOutput(out, mode, read_results(out)).todo(items)
            with connect(api_key=api_key, base_url=base_url, emulator=emulator) as to:
                client = ClientSettings(to.api_key, to.base_url, timeout, max_retries, api.value)
                found = estimate_batch(todo, settings, client)
                print_estimate(at_batch_prices(found) if xai_batch else found, settings)
                if xai_batch:
                    typer.echo("prices: xAI's Batch API (half the standard prices)")
            return
        if out is None:
            raise RequestValidationError("--out is required (the results file), unless --dry-run")
        output = open_output(out, mode, items)
        with connect(api_key=api_key, base_url=base_url, emulator=emulator) as to:
            client = ClientSettings(to.api_key, to.base_url, timeout, max_retries, api.value)
            with stop_on_sigterm():  # run_ray sets it again after ray.init replaces it
                if xai_batch:
                    run = run_xai_batch(items, output, settings, client, options)
                elif engine is Engine.ray:
                    from xai_vision.cli.batch_ray import RayOptions, run_ray

                    ray_options = RayOptions(rps, tpm, workers)
                    run = run_ray(items, output, settings, client, ray_options)
                else:
                    run = run_local(items, output, settings, client)
        summary = summarise(items, out)
        print_summary(summary, run, output)
        if report_path is not None:
            _write_report(out, report_path, title=None)
        raise typer.Exit(batch_exit_code(summary, run))


# --------------------------------------------------------------------------- emulator, demo


@app.command()
def emulator(
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any).")
    ] = 8765,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    latency: Annotated[
        float, typer.Option("--latency", min=0.0, help="Seconds added before every answer.")
    ] = 0.0,
    stand_ins: Annotated[
        bool,
        typer.Option(
            "--stand-ins/--no-stand-ins",
            help="Answer the README's example image URLs (Wikimedia) with a bundled sample.",
        ),
    ] = True,
    log_requests: Annotated[
        bool,
        typer.Option(
            "--log-requests",
            help="One line per request on stderr: method, path, model, images, status, tokens.",
        ),
    ] = False,
) -> None:
    """Serve the local xAI emulator (an offline stand-in for api.x.ai) until Ctrl-C.

    Prints two `export` lines on stdout to paste into another shell; everything else on stderr.
    """
    import shlex

    from xai_vision.emulator import DEFAULT_API_KEY, README_STAND_INS, EmulatorSettings, serve

    console = stderr_console()
    settings = EmulatorSettings(
        latency=latency,
        stand_ins=README_STAND_INS if stand_ins else (),
        log_requests=log_requests,
    )

    def ready(url: str) -> None:
        sys.stdout.write(
            f"export XAI_BASE_URL={shlex.quote(url)}\n"
            f"export XAI_API_KEY={shlex.quote(DEFAULT_API_KEY)}\n"
        )
        sys.stdout.flush()
        console.print(Text.assemble(("xAI emulator listening on ", "bold"), url))
        notes = ["Point clients at it: run the two export lines above (stdout) in their shell."]
        notes += [
            f"Image URLs under {prefix} are answered with the bundled sample {sample}, offline"
            " (--no-stand-ins: refused instead)."
            for prefix, sample in settings.stand_ins
        ]
        if log_requests:
            notes.append("Logging one line per request here.")
        notes.append("Stop with Ctrl-C.")
        console.print(Text("\n".join(notes), style="dim"))

    with _reporting():
        try:
            serve(host=host, port=port, settings=settings, on_ready=ready)
        except OSError as error:
            console.print(Text(f"error: cannot listen on {host}:{port}: {error}", style="bold red"))
            raise typer.Exit(ExitCode.USAGE) from None


@app.command()
def demo(
    model: ModelOption = DEFAULT_MODEL,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
    timeout: TimeoutOption = 60.0,
) -> None:
    """Run the bundled sample images through both adapters (on the emulator without a key)."""
    from xai_vision.cli.demo import run_demo

    with _reporting():
        code = run_demo(model=model, api_key=api_key, base_url=base_url, timeout=timeout)
    raise typer.Exit(code)


# --------------------------------------------------------------------------- samples


@app.command()
def samples(
    folder: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="Folder to copy them into (created if missing).", show_default=False
        ),
    ] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files of the same name that differ.")
    ] = False,
) -> None:
    """Copy the bundled sample images (apple.png, sky.jpg, ...) into DIR (default: here)."""
    from xai_vision.cli.samples import copy_samples

    console = stderr_console()
    with _reporting():
        try:
            copied = copy_samples(folder, force=force)
        except OSError as error:
            console.print(Text(f"error: cannot write into {folder}: {error}", style="bold red"))
            raise typer.Exit(ExitCode.USAGE) from None
    for path in copied.written:
        sys.stdout.write(f"wrote {path}\n")
    for path in copied.unchanged:
        sys.stdout.write(f"unchanged {path} (already the sample)\n")
    for path in copied.skipped:
        console.print(
            Text(
                f"skipped {path}: something different is there; --force overwrites it",
                style="yellow",
            )
        )
    if copied.skipped:
        raise typer.Exit(ExitCode.FAILED)
    apple = shlex.quote(str(folder / "apple.png"))
    console.print(Text(f'Try: xai-vision ask {apple} -p "What is this?" --emulator', style="dim"))


# --------------------------------------------------------------------------- report


@app.command()
def report(
    results: Annotated[
        Path,
        typer.Argument(help="A batch results file (JSONL), from any engine.", show_default=False),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="HTML file to write. Default: the results file with .html.",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", help="Page title. Default: 'Batch report: <file name>'."),
    ] = None,
) -> None:
    """Write a batch's results as one self-contained HTML page (works offline, mails as is)."""
    with _reporting():
        _write_report(results, out or results.with_suffix(".html"), title=title)


def _write_report(results: Path, out: Path, *, title: str | None) -> None:
    """Write the HTML report of ``results`` to ``out``; say what it holds on stderr."""
    console = stderr_console()
    try:
        from xai_vision.report import write_report

        summary = write_report(results, out, title=title)
    except ImportError as error:
        console.print(Text(f"error: {error}", style="bold red"))
        raise typer.Exit(ExitCode.USAGE) from None
    for notice in summary.notices:
        console.print(Text(f"note: {notice}", style="yellow"))
    cost = "" if summary.cost_usd is None else f", cost {format_usd(summary.cost_usd)}"
    console.print(
        f"wrote {summary.path} ({summary.size_bytes / 1024:,.0f} KiB): {summary.entries} images, "
        f"{summary.answered} answered, {summary.failures} failed, "
        f"{summary.usage.total_tokens:,} tokens{cost}"
    )
