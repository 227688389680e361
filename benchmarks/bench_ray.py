"""Ray engine benchmark (issue 16): the ray engine against the local engine and Ray's own
``ray.data.llm`` HTTP processor, on one machine and one emulator (its own process).

Throughput: the same images and prompt through (a) the local engine (``run_batch``, one
process, ``--concurrency`` requests in flight), (b) ``xai_vision.ray.ask_images`` (an actor
pool of the same total concurrency), (c) ``HttpRequestProcessorConfig`` + ``build_processor``
with the same chat completions bodies. The emulator answers after ``--latency`` seconds, so
the figures show how each engine keeps requests in flight, not the emulator's speed.

Then the three behaviours the issue names, checked against the emulator's request log:
  rate   a limit of Q requests/s with 2 workers: the most requests in any one second
  faults requests answered 503 beyond the retries: what becomes of the job
  nulls  the request bodies the processor sent: keys whose value is null in message parts

    python benchmarks/bench_ray.py            # 240 images (~2 min); writes RAY_RESULTS.md
    python benchmarks/bench_ray.py --quick    # 16 images, the smoke mode

Ray starts locally (``ray.init(num_cpus=2)``), or joins ``RAY_ADDRESS`` when it is set.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import ray
from PIL import Image
from ray.data.llm import HttpRequestProcessorConfig, build_processor
from xai_vision.cli.batch import BatchSettings, batch_items, run_batch
from xai_vision.client import AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.images import prepare_image
from xai_vision.ray import ask_images, init_ray

HERE = Path(__file__).resolve().parent
PROMPT = "Describe this image in one line."
MODEL = "grok-4-fast-non-reasoning"


def write_images(folder: Path, count: int) -> list[Path]:
    """``count`` distinct small PNGs (a photo-sized image would measure image encoding)."""
    paths = []
    for i in range(count):
        buffer = io.BytesIO()
        Image.new("RGB", (64 + i % 50, 48 + i % 30), (i * 7 % 256, 90, 200)).save(buffer, "PNG")
        path = folder / f"img_{i:04d}.png"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def chat_times(emu: Emulator) -> list[float]:
    """Arrival times of the chat requests the emulator received, sorted."""
    return sorted(r.received_at for r in emu.requests if r.path.endswith("/chat/completions"))


def most_in_one_second(times: list[float]) -> int:
    """The most requests that arrived within any one second."""
    best, start = 0, 0
    for end, arrived in enumerate(times):
        while arrived - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def rate_figures(times: list[float]) -> dict[str, float]:
    """The most requests in any one second, and the mean rate from the first to the last."""
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    return {"most_in_one_second": most_in_one_second(times), "mean_per_s": (len(times) - 1) / span}


def timed(emu: Emulator, run: Callable[[], int]) -> dict[str, float]:
    """One run: wall seconds, seconds until the first request arrived, and images/s between
    the first and the last request (the steady state, without the engine's start-up)."""
    emu.clear_requests()
    started_wall, started = time.time(), time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - started
    times = chat_times(emu)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    return {
        "rows": rows,
        "seconds": seconds,
        "to_first_request": times[0] - started_wall,
        "steady_images_per_s": (len(times) - 1) / span,
    }


# --------------------------------------------------------------------------- the engines


def local_engine(emu: Emulator, paths: list[Path], concurrency: int) -> int:
    settings = BatchSettings(prompt=PROMPT, model=MODEL, concurrency=concurrency)
    lines: list[dict[str, Any]] = []

    async def go() -> None:
        async with AsyncXAIClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            await run_batch(client, batch_items(paths), lines.append, settings)

    asyncio.run(go())
    return len(lines)


def ray_engine(
    emu: Emulator, paths: list[Path], workers: int, per_worker: int, **extra: Any
) -> Any:
    dataset = ray.data.from_items(
        [{"image": str(p)} for p in paths], override_num_blocks=max(1, len(paths) // 8)
    )
    return ask_images(
        dataset,
        PROMPT,
        model=MODEL,
        api_key=emu.api_key,
        base_url=emu.base_url,
        workers=workers,
        concurrency_per_worker=per_worker,
        **extra,
    )


def chat_body(image: str) -> dict[str, Any]:
    """The body the local engine sends for ``image`` (the core's one body builder)."""
    settings = BatchSettings(prompt=PROMPT, model=MODEL)
    return settings.request(prepare_image(image, index=1)).to_body()


def ray_http_processor(emu: Emulator, paths: list[Path], workers: int, **config: Any) -> Any:
    """Ray's own HTTP processor over the same bodies (``preprocess`` builds them)."""
    processor = build_processor(
        HttpRequestProcessorConfig(
            url=f"{emu.base_url}/chat/completions",
            headers={"Authorization": f"Bearer {emu.api_key}"},
            concurrency=workers,
            batch_size=8,
            # A quarter CPU per worker, as the ray engine's (the default is a whole CPU).
            http_request_stage={"num_cpus": 0.25},
            **config,
        ),
        preprocess=lambda row: {"payload": chat_body(row["image"])},
        postprocess=lambda row: {
            "answer": row["http_response"]["choices"][0]["message"]["content"]
        },
    )
    return processor(
        ray.data.from_items(
            [{"image": str(p)} for p in paths], override_num_blocks=max(1, len(paths) // 8)
        )
    )


# --------------------------------------------------------------------------- the checks


def null_keys(body: Any, where: str = "") -> list[str]:
    """Paths of keys whose value is null inside ``messages`` of a request body."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if value is None and "messages" in where:
                found.append(f"{where}.{key}")
            found += null_keys(value, f"{where}.{key}" if where else key)
    elif isinstance(body, list):
        for value in body:
            found += null_keys(value, f"{where}[]")
    return found


def check_rate(emu: Emulator, paths: list[Path], qps: int) -> dict[str, Any]:
    """Both engines limited to ``qps`` requests/s with 2 workers: the most in any second.

    The emulator answers at once here, so only the limit holds requests back.
    """
    found: dict[str, Any] = {}
    emu.set_latency(0.0)
    emu.clear_requests()
    ray_engine(emu, paths, 2, 8, requests_per_second=qps).take_all()
    found["xai_vision.ray (requests_per_second)"] = rate_figures(chat_times(emu))
    emu.clear_requests()
    ray_http_processor(emu, paths, 2, qps=qps).take_all()
    found["ray.data.llm HTTP processor (qps)"] = rate_figures(chat_times(emu))
    emu.set_latency(None)
    return {"limit": qps, "most_in_one_second": found}


def check_faults(emu: Emulator, paths: list[Path], failures: int) -> dict[str, str]:
    """``failures`` requests answered 503 and no retries: what each engine's job does."""
    found: dict[str, str] = {}
    emu.clear_requests()
    emu.fail_next(failures, status=503)
    rows = ray_engine(emu, paths, 2, 8, max_retries=0).take_all()
    errors = sum(1 for row in rows if row["error"] is not None)
    found["xai_vision.ray"] = f"finished: {len(rows)} rows, {errors} with an error"
    emu.reset()
    emu.fail_next(failures, status=503)
    try:
        rows = ray_http_processor(emu, paths, 2, max_retries=0).take_all()
        found["ray.data.llm HTTP processor"] = f"finished: {len(rows)} rows"
    except Exception as error:  # the processor raises for the job
        found["ray.data.llm HTTP processor"] = f"job failed: {type(error).__name__}"
    emu.reset()
    return found


def check_nulls(emu: Emulator, paths: list[Path]) -> dict[str, Any]:
    """The null keys in the message parts each engine sent, and whether the emulator took them."""
    found: dict[str, Any] = {}
    for name, run in (
        ("xai_vision.ray", lambda: ray_engine(emu, paths[:2], 1, 2).take_all()),
        ("ray.data.llm HTTP processor", lambda: ray_http_processor(emu, paths[:2], 1).take_all()),
    ):
        emu.clear_requests()
        run()
        bodies = [r.body for r in emu.requests if r.path.endswith("/chat/completions")]
        found[name] = sorted({key for body in bodies for key in null_keys(body)})
    return found


# --------------------------------------------------------------------------- report


def report(results: dict[str, Any]) -> str:
    lines = [
        "# Ray engine benchmark (issue 16)",
        "",
        "Generated by `python benchmarks/bench_ray.py`.",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in results["machine"].items()),
        "",
        f"## Throughput: {results['images']} images, emulator latency {results['latency']} s",
        "",
        "| engine | in flight | wall s | s to first request | images/s, first to last request |",
        "|---|---|---:|---:|---:|",
    ]
    for name, row in results["throughput"].items():
        lines.append(
            f"| {name} | {row['in_flight']} | {row['seconds']:.2f} | "
            f"{row['to_first_request']:.2f} | {row['steady_images_per_s']:.1f} |"
        )
    rate = results["rate"]
    lines += [
        "",
        f"## A limit of {rate['limit']} requests/s, 2 workers, an emulator answering at once: "
        "what it received",
        "",
        "| engine | most in one second | mean requests/s |",
        "|---|---:|---:|",
        *(
            f"| {k} | {v['most_in_one_second']} | {v['mean_per_s']:.1f} |"
            for k, v in rate["most_in_one_second"].items()
        ),
        "",
        f"## {results['failures']} requests answered 503, no retries",
        "",
        *(f"- {k}: {v}" for k, v in results["faults"].items()),
        "",
        "## Null keys in the message parts sent",
        "",
        *(f"- {k}: {', '.join(v) or 'none'}" for k, v in results["nulls"].items()),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="16 images: the smoke mode")
    parser.add_argument("--images", type=int, default=240)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=HERE / "RAY_RESULTS.md")
    parser.add_argument("--json", type=Path, default=HERE / "ray_results.json")
    args = parser.parse_args()
    count = 16 if args.quick else args.images
    qps, failures, in_flight = 4, 3, 16

    started_ray = init_ray(2)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        with (
            Emulator(mode="subprocess", latency=args.latency) as emu,
            tempfile.TemporaryDirectory() as tmp,
        ):
            paths = write_images(Path(tmp), count)
            ray_engine(emu, paths[:4], 2, 8).take_all()  # warm-up: workers import once
            throughput: dict[str, dict[str, float]] = {}
            runs: dict[str, tuple[int, Callable[[], int]]] = {
                "local engine (run_batch)": (
                    in_flight,
                    lambda: local_engine(emu, paths, in_flight),
                ),
                "xai_vision.ray (2 workers x 8)": (
                    in_flight,
                    lambda: len(ray_engine(emu, paths, 2, in_flight // 2).take_all()),
                ),
                "ray.data.llm HTTP processor (2 workers, batch 8)": (
                    16,
                    lambda: len(ray_http_processor(emu, paths, 2).take_all()),
                ),
            }
            for name, (flight, run) in runs.items():
                found = timed(emu, run)
                assert found.pop("rows") == count, name
                throughput[name] = {"in_flight": flight, **found}
                print(f"{name}: {found}", file=sys.stderr)
            results = {
                "machine": {
                    "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                        "%Y-%m-%d %H:%M UTC"
                    ),
                    "nproc": os.cpu_count(),
                    "python": platform.python_version(),
                    "ray": version("ray"),
                    "load average (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
                },
                "images": count,
                "latency": args.latency,
                "throughput": throughput,
                "rate": check_rate(emu, paths[: 16 if args.quick else 64], qps),
                "failures": failures,
                "faults": check_faults(emu, paths[:12], failures),
                "nulls": check_nulls(emu, paths),
            }
    finally:
        if started_ray:
            ray.shutdown()
    args.out.write_text(report(results))
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
