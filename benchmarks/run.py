"""Client benchmark (issue 7): CPU overhead, bytes on the wire, concurrency and memory.

Runs the emulator in its own process and drives, side by side in one run, this project's
``ChatXAIVision`` and ``XAIVision``, ``langchain-xai``'s ``ChatXAI``, ``llama-index``'s
``OpenAILike`` with ``ImageBlock``s, and raw ``httpx`` with a hand-built body (the floor).

    python benchmarks/run.py            # full run (a few minutes); writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick    # small counts, < 60 s (the CI smoke mode)

Workloads (full counts; ``--quick`` shrinks them):
  W1  300 sequential non-streaming calls, one ~1 MB 1024x768 JPEG each: client CPU per call
  W2  300 streaming calls with the same image: client CPU per call, time to first token
  W3  400 concurrent calls (abatch / asyncio.gather), small image: calls/s, client CPU per call
  W4  one 12 MP camera JPEG: request bytes and image tokens, with and without optimisation
  W5  one ~20 MiB PNG, a fresh process per client: peak RSS growth (VmHWM)

Client CPU is ``time.process_time()`` of this process only; the emulator is another process.
Calls are split into interleaved rounds (every client once per round, order rotated) and
the median over rounds is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_images import encode, photo, png_near  # noqa: E402
from clients import CLIENTS, Client, Image, available, make  # noqa: E402
from xai_vision.emulator import Emulator  # noqa: E402

MIB = 1024 * 1024
FLOOR = "raw httpx"
OURS = ("ChatXAIVision", "XAIVision")
PEER_OF = {"ChatXAIVision": "ChatXAI", "XAIVision": "OpenAILike"}
PACKAGES = (
    "xai-vision",
    "httpx",
    "orjson",
    "pydantic",
    "pillow",
    "langchain-core",
    "langchain-xai",
    "langchain-openai",
    "openai",
    "llama-index-core",
    "llama-index-llms-openai",
    "llama-index-llms-openai-like",
)


@dataclass(frozen=True)
class Sizes:
    """Call counts and image sizes for one run."""

    rounds: int
    w1_calls: int
    w2_calls: int
    w3_calls: int
    w3_rounds: int
    w4_size: tuple[int, int]
    w5_bytes: int


FULL = Sizes(
    rounds=5, w1_calls=300, w2_calls=300, w3_calls=400, w3_rounds=5, w4_size=(4000, 3000),
    w5_bytes=20 * MIB - 64 * 1024,
)  # fmt: skip
QUICK = Sizes(
    rounds=2, w1_calls=6, w2_calls=6, w3_calls=20, w3_rounds=2, w4_size=(1600, 1200),
    w5_bytes=2 * MIB,
)  # fmt: skip


@dataclass
class Results:
    """Everything measured, keyed by workload then client; written as JSON and Markdown."""

    sizes: Sizes
    clients: dict[str, str] = field(default_factory=dict)  # name -> "ok" | "not installed" | error
    w1: dict[str, dict[str, float]] = field(default_factory=dict)
    w2: dict[str, dict[str, float]] = field(default_factory=dict)
    w3: dict[str, dict[str, float]] = field(default_factory=dict)
    w4: dict[str, dict[str, float]] = field(default_factory=dict)
    w5: dict[str, dict[str, float]] = field(default_factory=dict)
    images: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "sizes": self.sizes.__dict__,
            "clients": self.clients,
            "workloads": {
                "W1": self.w1,
                "W2": self.w2,
                "W3": self.w3,
                "W4": self.w4,
                "W5": self.w5,
            },
            "images": self.images,
        }


# --------------------------------------------------------------------------- inputs


def jpeg_near(size: tuple[int, int], target: int) -> bytes:
    """A photo-like JPEG of ``size`` whose length is closest to ``target`` over a few qualities."""
    image = photo(size)
    candidates = [encode(image, "JPEG", quality=q, subsampling=0) for q in (90, 94, 96, 97, 98)]
    return min(candidates, key=lambda data: abs(len(data) - target))


def b64_len(n: int) -> int:
    """Length of the base64 text of ``n`` bytes."""
    return 4 * ((n + 2) // 3)


# --------------------------------------------------------------------------- measuring


def _cpu_wall(run: Callable[[], None]) -> tuple[float, float]:
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - cpu, time.perf_counter() - wall


def check_answer(text: str, images: int = 1) -> None:
    """The emulator's answer names the image count: a client that lost the image fails loudly."""
    expected = f"I see {images} image" + ("s" if images != 1 else "")
    if not text.startswith(expected):
        raise RuntimeError(f"unexpected answer (image lost?): {text[:80]!r}")


def request_probe(emu: Emulator, client: Client, image: Image) -> tuple[int, int | None]:
    """Bytes of one request body as the emulator received it, and the image tokens charged."""
    emu.clear_requests()
    answer = client.call(image)
    check_answer(answer.text)
    size = emu.last_request.body_size
    emu.clear_requests()
    return size, answer.image_tokens


def run_w1(client: Client, image: Image, calls: int) -> dict[str, float]:
    def go() -> None:
        for _ in range(calls):
            check_answer(client.call(image).text)

    cpu, wall = _cpu_wall(go)
    return {"cpu_ms": 1000 * cpu / calls, "wall_ms": 1000 * wall / calls}


def run_w2(client: Client, image: Image, calls: int) -> dict[str, float]:
    """CPU per call over the round; time to first token and the call's whole time, per call.

    ``ttft_ms`` and ``wall_ms`` are both medians over the same calls: each call's first token
    comes before its end, so the median TTFT can never exceed the median call time.
    """
    ttfts: list[float] = []
    walls: list[float] = []

    def go() -> None:
        for _ in range(calls):
            started = time.perf_counter()
            pieces: list[str] = []
            for piece in client.stream(image):
                if not pieces:
                    ttfts.append(time.perf_counter() - started)
                pieces.append(piece)
            walls.append(time.perf_counter() - started)
            check_answer("".join(pieces))

    cpu, _ = _cpu_wall(go)
    return {
        "cpu_ms": 1000 * cpu / calls,
        "wall_ms": 1000 * statistics.median(walls),
        "ttft_ms": 1000 * statistics.median(ttfts),
    }


def run_w3(
    loop: asyncio.AbstractEventLoop, client: Client, image: Image, calls: int
) -> dict[str, float]:
    def go() -> None:
        answers = loop.run_until_complete(client.abatch([image] * calls))
        if len(answers) != calls:
            raise RuntimeError(f"{len(answers)} answers to {calls} calls")
        for answer in answers:
            check_answer(answer.text)

    cpu, wall = _cpu_wall(go)
    return {"calls_per_s": calls / wall, "cpu_ms": 1000 * cpu / calls}


def median_rows(rows: list[dict[str, float]]) -> dict[str, float]:
    """Per-metric medians over rounds, plus the best and worst round (``<key>_min`` / ``_max``).

    The spread shows how much other load on the machine moved a figure between rounds.
    """
    out = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    for key in rows[0]:
        out[f"{key}_min"] = min(row[key] for row in rows)
        out[f"{key}_max"] = max(row[key] for row in rows)
    return out


def interleaved(
    emu: Emulator, names: list[str], rounds: int, measure: Callable[[str], dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Run ``measure`` for every client in each round, rotating the order; medians per client.
    The emulator's request log is emptied after each measurement, so it never grows."""
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            rows[name].append(measure(name))
            emu.clear_requests()
        print(f"    round {r + 1}/{rounds} done", flush=True)
    return {name: median_rows(found) for name, found in rows.items()}


def cpu_rounds(
    cases: Mapping[Hashable, Callable[[], object]], rounds: int, per_round: int
) -> dict[Hashable, list[float]]:
    """Client CPU ms per call of each case, one figure a round: ``per_round`` calls of each case
    in every round, the order rotated from round to round (after one warm-up call each)."""
    for call in cases.values():
        call()  # warm-up: imports, connections
    cpu: dict[Hashable, list[float]] = {key: [] for key in cases}
    keys = list(cases)
    for r in range(rounds):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            started = time.process_time()
            for _ in range(per_round):
                cases[key]()
            cpu[key].append((time.process_time() - started) / per_round * 1000)
    return cpu


# --------------------------------------------------------------------------- W5 (child)


def status_kib(field_name: str) -> int:
    """A ``/proc/self/status`` figure in KiB (Linux), else ``ru_maxrss``.

    ``VmHWM`` rather than ``ru_maxrss`` where possible: Linux carries ``ru_maxrss`` across
    ``exec``, so a child would report its parent's peak if that was higher.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


#: What a W5 child measures: the whole call with the message built in it (the PNG read too),
#: the call alone with the message built before the baseline, or the message built and no call.
W5_STAGES = ("call", "own", "construction")


def reset_peak() -> None:
    """Make VmHWM the current RSS (Linux ``/proc/self/clear_refs``), so a later peak is the
    peak of what follows; RuntimeError where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError as exc:
        raise RuntimeError(f"cannot reset the peak RSS here ({exc}): Linux only") from exc


def w5_child(name: str, path: str, base_url: str, stage: str = "call") -> None:
    """In a fresh process: warm the client up, then one big-image ``stage``; print RSS figures."""
    if stage not in W5_STAGES:
        raise ValueError(f"W5 stage must be one of {', '.join(W5_STAGES)}, got {stage!r}")
    client = make(name, base_url)
    small = io.BytesIO()
    from PIL import Image as PILImage

    PILImage.new("RGB", (64, 48), "red").save(small, "PNG")
    check_answer(client.call(Image(small.getvalue(), "image/png")).text)
    del small
    image_bytes = Path(path).stat().st_size
    gc.collect()
    if stage == "own":
        built = client.build(Image(Path(path).read_bytes(), "image/png"))
        gc.collect()
        reset_peak()
    baseline = status_kib("VmRSS")
    high_before = status_kib("VmHWM")
    if stage == "call":
        check_answer(client.call(Image(Path(path).read_bytes(), "image/png")).text)
    elif stage == "own":
        check_answer(client.send(built).text)
    else:
        built = client.build(Image(Path(path).read_bytes(), "image/png"))
    peak = status_kib("VmHWM")
    print(
        json.dumps(
            {
                "baseline_kib": baseline,
                "high_before_kib": high_before,
                "peak_kib": peak,
                "image_bytes": image_bytes,
            }
        )
    )


def run_w5(name: str, path: Path, base_url: str, stage: str = "call") -> dict[str, float]:
    """Peak RSS growth of one W5 ``stage`` in a fresh process, over the base64 payload.

    ``stage="call"`` and ``"construction"`` count the PNG's bytes the caller reads (0.75x the
    payload); ``"own"`` starts after the message is built and the PNG dropped.
    """
    out = subprocess.run(
        [sys.executable, __file__, "--w5-child", name, str(path), base_url, stage],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"W5 {stage} child for {name} failed: {out.stderr.strip()[-400:]}")
    found = json.loads(out.stdout.strip().splitlines()[-1])
    growth = (found["peak_kib"] - found["baseline_kib"]) * 1024
    payload = b64_len(found["image_bytes"])
    return {
        "peak_growth_mib": growth / MIB,
        "payload_b64_mib": payload / MIB,
        "ratio_to_payload": growth / payload,
    }


# --------------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load average at the end (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    for package in PACKAGES:
        try:
            info[package] = version(package)
        except PackageNotFoundError:
            info[package] = "not installed"
    return info


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def _get(table: dict[str, dict[str, float]], name: str, key: str) -> float | None:
    return table.get(name, {}).get(key)


def targets(res: Results) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each target in the issue; met is None when not measurable."""
    out: list[tuple[str, str, bool | None]] = []
    for wl, table in (("W1", res.w1), ("W2", res.w2)):
        floor = _get(table, FLOOR, "cpu_ms")
        chatxai = _get(table, "ChatXAI", "cpu_ms")
        for name in OURS:
            ours = _get(table, name, "cpu_ms")
            if ours is None:
                continue
            met = ours <= 1.2 * floor if floor else None
            out.append((f"{wl} {name} CPU <= 1.2x raw httpx", _ratio(ours, floor), met))
            met = ours <= 0.5 * chatxai if chatxai else None
            out.append((f"{wl} {name} CPU <= 0.5x ChatXAI", _ratio(ours, chatxai), met))
    chatxai_rate = _get(res.w3, "ChatXAI", "calls_per_s")
    for name in OURS:
        rate = _get(res.w3, name, "calls_per_s")
        if rate is not None:
            met = rate >= 1.5 * chatxai_rate if chatxai_rate else None
            out.append((f"W3 {name} calls/s >= 1.5x ChatXAI", _ratio(rate, chatxai_rate), met))
    for name in OURS:
        plain, opt = res.w4.get(name), res.w4.get(f"{name} +optimize")
        if plain and opt:
            fewer = plain["request_bytes"] / opt["request_bytes"]
            same = plain.get("image_tokens") == opt.get("image_tokens")
            out.append(
                (
                    f"W4 {name} optimize: >= 5x fewer bytes, same image tokens",
                    f"{fewer:.1f}x fewer, tokens {plain.get('image_tokens'):.0f}"
                    f" -> {opt.get('image_tokens'):.0f}",
                    fewer >= 5 and same,
                )
            )
    for name in OURS:
        ratio = _get(res.w5, name, "ratio_to_payload")
        if ratio is not None:
            out.append((f"W5 {name} peak <= 3x base64 payload", f"{ratio:.2f}x", ratio <= 3))
    return out


#: CPU time per call, the median and the best and worst rounds: W1's and W2's first columns.
CPU_COLUMNS = [
    ("cpu_ms", "CPU ms/call", "{:.2f}"),
    ("cpu_ms_min", "best round", "{:.2f}"),
    ("cpu_ms_max", "worst round", "{:.2f}"),
]


def _table(
    title: str,
    table: dict[str, dict[str, float]],
    columns: list[tuple[str, str, str]],
    ratio_key: str | None,
    higher_is_better: bool = False,
) -> list[str]:
    head = [label for _, label, _ in columns]
    if ratio_key:
        head += ["vs floor", "vs peer (ChatXAI / OpenAILike)"]
    lines = [f"### {title}", "", "| client | " + " | ".join(head) + " |"]
    lines.append("|---" * (len(head) + 1) + "|")
    floor = _get(table, FLOOR, ratio_key) if ratio_key else None
    for name, row in table.items():
        cells = [fmt.format(row[key]) if key in row else "-" for key, _, fmt in columns]
        if ratio_key:
            value = row.get(ratio_key)
            cells.append(_ratio(value, floor))
            peers = [p for p in ("ChatXAI", "OpenAILike") if p in table and p != name]
            cells.append(
                " / ".join(f"{_ratio(value, _get(table, p, ratio_key))}" for p in peers) or "-"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if ratio_key:
        better = "higher" if higher_is_better else "lower"
        lines += ["", f"Ratios are of `{ratio_key}` ({better} is better)."]
    return [*lines, ""]


def markdown(res: Results, info: dict[str, str], quick: bool) -> str:
    s = res.sizes
    lines = [
        "# Benchmark results (issue 7)",
        "",
        "Generated by `python benchmarks/run.py"
        + (" --quick" if quick else "")
        + "`."
        + (" **Quick mode: counts too small for the figures to mean much.**" if quick else ""),
        "",
        "## Machine",
        "",
        *(f"- {key}: {value}" for key, value in info.items()),
        "",
        "## Clients",
        "",
        *(f"- {name}: {state}" for name, state in res.clients.items()),
        "",
        "## Method",
        "",
        '- The emulator (`Emulator(mode="subprocess")`) runs in its own process on 127.0.0.1;'
        " every client talks HTTP/1.1 to it. Client CPU is `time.process_time()` of the"
        " benchmark process only.",
        f"- W1/W2: {s.w1_calls}/{s.w2_calls} calls split into {s.rounds} interleaved rounds"
        " (every client once per round, order rotated); medians of the per-round figures."
        " W2's time to first token and wall time are medians over the round's calls"
        " (the same calls, so TTFT <= wall).",
        f"- W3: {s.w3_calls} concurrent calls per round, {s.w3_rounds} rounds; LangChain"
        " models use `abatch`, the others `asyncio.gather`. A 64x48 PNG, so the figure is"
        " client overhead, not the emulator's image decoding.",
        "- The machine may be shared: the load average below the figures says how busy it"
        " was. W3 is the most sensitive (a busy core slows the emulator, calls pile up, and"
        " httpx's pool does more work per call), hence the best and worst rounds beside"
        " the median.",
        "- Every call hands the client the image's raw bytes: LangChain models get the same"
        " `image_url` data-URI block (base64 encoding counted in the call), LlamaIndex models"
        " an `ImageBlock(image=bytes)`, raw httpx a body built with stdlib `json`.",
        "- Request bytes: the body size the emulator received for one call.",
        "- W5: a fresh process per client; after one warm-up call, RSS now (`/proc/self/status`"
        " VmRSS) is the baseline; peak is VmHWM (peak RSS of this process; not `ru_maxrss`,"
        " which Linux carries over from the parent across exec) after sending the big PNG."
        " The growth includes reading the PNG's bytes into memory.",
        "",
        "## Results",
        "",
    ]
    lines += _table(
        "W1: sequential non-streaming calls, ~1 MB 1024x768 JPEG",
        res.w1,
        [*CPU_COLUMNS, ("wall_ms", "wall ms/call", "{:.2f}"),
         ("request_bytes", "request bytes", "{:,.0f}")],
        "cpu_ms",
    )  # fmt: skip
    lines += _table(
        "W2: streaming calls, same image",
        res.w2,
        [*CPU_COLUMNS, ("ttft_ms", "TTFT ms", "{:.2f}"), ("wall_ms", "wall ms/call", "{:.2f}")],
        "cpu_ms",
    )
    lines += _table(
        "W3: concurrent calls",
        res.w3,
        [
            ("calls_per_s", "calls/s (median)", "{:.0f}"),
            ("calls_per_s_min", "worst round", "{:.0f}"),
            ("calls_per_s_max", "best round", "{:.0f}"),
            ("cpu_ms", "CPU ms/call", "{:.2f}"),
            ("cpu_ms_min", "best round", "{:.2f}"),
        ],
        "calls_per_s",
        higher_is_better=True,
    )
    lines += _table(
        f"W4: one {s.w4_size[0]}x{s.w4_size[1]} camera JPEG",
        res.w4,
        [("request_bytes", "request bytes", "{:,.0f}"), ("image_tokens", "image tokens", "{:.0f}")],
        "request_bytes",
    )
    lines += _table(
        f"W5: one {s.w5_bytes / MIB:.1f} MiB PNG, peak memory (fresh process per client)",
        res.w5,
        [("peak_growth_mib", "peak RSS growth MiB", "{:.1f}"),
         ("payload_b64_mib", "base64 payload MiB", "{:.1f}"),
         ("ratio_to_payload", "growth / payload", "{:.2f}")],
        None,
    )  # fmt: skip
    lines += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for target, measured, met in targets(res):
        verdict = "n/a" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {target} | {measured} | {verdict} |")
    notes = HERE / "optimisations.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def render(source: Path, out: Path) -> None:
    """Rewrite the Markdown report from saved JSON (e.g. after editing optimisations.md)."""
    saved = json.loads(source.read_text())
    sizes: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in saved["sizes"].items()
    }
    res = Results(Sizes(**sizes))
    res.clients = saved["clients"]
    for key in ("w1", "w2", "w3", "w4", "w5"):
        setattr(res, key, saved["workloads"][key.upper()])
    res.images = saved["images"]
    out.write_text(markdown(res, saved["machine"], saved.get("quick", False)))
    print(f"results written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts (< 60 s): CI smoke")
    parser.add_argument("--out", type=Path, help="Markdown results (default benchmarks/RESULTS.md)")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON here")
    parser.add_argument("--clients", nargs="*", choices=list(CLIENTS), help="subset of clients")
    parser.add_argument(
        "--render", type=Path, help="only rewrite --out from a JSON file an earlier run wrote"
    )
    parser.add_argument("--w5-child", nargs=4, metavar=("CLIENT", "PNG", "BASE_URL", "STAGE"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.w5_child:
        w5_child(*args.w5_child)
        return
    if args.render:
        render(args.render, args.out or HERE / "RESULTS.md")
        return
    sizes = QUICK if args.quick else FULL
    out: Path = args.out or (
        Path(tempfile.gettempdir()) / "xai-vision-RESULTS-quick.md"
        if args.quick
        else HERE / "RESULTS.md"
    )
    res = Results(sizes)
    names: list[str] = []
    for name in args.clients or list(CLIENTS):
        if available(name):
            names.append(name)
            res.clients[name] = "ok"
        else:
            res.clients[name] = "not installed"
    print(f"clients: {res.clients}", flush=True)

    print("generating images ...", flush=True)
    w1_image = Image(jpeg_near((1024, 768), 1_000_000), "image/jpeg")
    small = io.BytesIO()
    photo((64, 48)).save(small, "PNG")
    w3_image = Image(small.getvalue(), "image/png")
    w4_image = Image(encode(photo(sizes.w4_size), "JPEG", quality=92), "image/jpeg")
    w5_png = png_near(sizes.w5_bytes)
    res.images = {
        "W1": {"bytes": len(w1_image.data), "base64": b64_len(len(w1_image.data))},
        "W4": {"bytes": len(w4_image.data)},
        "W5": {"bytes": len(w5_png), "base64": b64_len(len(w5_png))},
    }

    loop = asyncio.new_event_loop()
    with Emulator(mode="subprocess") as emu, tempfile.TemporaryDirectory() as tmp:
        clients: dict[str, Client] = {}
        for name in list(names):
            try:
                clients[name] = make(name, emu.base_url)
                check_answer(clients[name].call(w3_image).text)  # warm-up: imports, connection
            except Exception as exc:  # a broken peer is reported, not fatal
                res.clients[name] = f"failed: {type(exc).__name__}: {exc}"[:200]
                names.remove(name)
                clients.pop(name, None)

        print("W1 ...", flush=True)
        w1_calls = max(1, sizes.w1_calls // sizes.rounds)
        res.w1 = interleaved(
            emu, names, sizes.rounds, lambda name: run_w1(clients[name], w1_image, w1_calls)
        )
        for name in names:
            res.w1[name]["request_bytes"] = request_probe(emu, clients[name], w1_image)[0]

        print("W2 ...", flush=True)
        w2_calls = max(1, sizes.w2_calls // sizes.rounds)
        res.w2 = interleaved(
            emu, names, sizes.rounds, lambda name: run_w2(clients[name], w1_image, w2_calls)
        )

        print("W3 ...", flush=True)
        res.w3 = interleaved(
            emu,
            names,
            sizes.w3_rounds,
            lambda name: run_w3(loop, clients[name], w3_image, sizes.w3_calls),
        )

        print("W4 ...", flush=True)
        for name in names:
            size, tokens = request_probe(emu, clients[name], w4_image)
            res.w4[name] = {"request_bytes": size}
            if tokens is not None:
                res.w4[name]["image_tokens"] = tokens
            if CLIENTS[name][2]:
                optimised = make(name, emu.base_url, optimize=True)
                size, tokens = request_probe(emu, optimised, w4_image)
                res.w4[f"{name} +optimize"] = {"request_bytes": size}
                if tokens is not None:
                    res.w4[f"{name} +optimize"]["image_tokens"] = tokens
                loop.run_until_complete(optimised.aclose())

        print("W5 ...", flush=True)
        png_path = Path(tmp) / "w5.png"
        png_path.write_bytes(w5_png)
        for name in names:
            res.w5[name] = run_w5(name, png_path, emu.base_url)
            emu.clear_requests()

        for client in clients.values():
            loop.run_until_complete(client.aclose())
    loop.close()

    info = machine()
    out.write_text(markdown(res, info, args.quick))
    if args.json:
        saved = {"machine": info, "quick": args.quick, **res.to_json()}
        args.json.write_text(json.dumps(saved, indent=2))
    print(f"results written to {out}")
    for target, measured, met in targets(res):
        print(f"  {'ok  ' if met else 'MISS' if met is False else 'n/a '} {target}: {measured}")


if __name__ == "__main__":
    main()
