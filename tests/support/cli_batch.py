"""What the ``xai-vision batch`` tests share: a folder of distinct PNGs, the command line against
an emulator, a run in its own process interrupted by Ctrl-C, and the output file read back as
complete lines, one for each image."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from xai_vision.emulator import Emulator
from xai_vision.image_batch import image_id

PROMPT = "Describe this image"


def write_images(folder: Path, count: int) -> list[Path]:
    """``count`` PNGs ``img_000.png``... of distinct sizes (24+i x 16+i), so an answer shows
    which image it is about."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        buffer = io.BytesIO()
        colour = (i * 5 % 256, 255 - i * 5 % 256, 80)
        Image.new("RGB", (24 + i, 16 + i), colour).save(buffer, format="PNG")
        path = folder / f"img_{i:03d}.png"
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def batch_args(emulator: Emulator, folder: Path, out: Path, *extra: str) -> list[str]:
    """``batch`` over ``folder`` into ``out``, against ``emulator``, then ``extra``."""
    return [
        "batch", str(folder), "-p", PROMPT, "--out", str(out),
        "--base-url", emulator.base_url, "--api-key", emulator.api_key, "--timeout", "10",
        *extra,
    ]  # fmt: skip


def cli_env() -> dict[str, str]:
    """This environment without ``XAI_*`` settings (the command line says it all), 100 columns."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XAI_")}
    env["COLUMNS"] = "100"
    return env


def cli_command(args: list[str]) -> list[str]:
    """``xai-vision args`` as a process runs it."""
    return [sys.executable, "-m", "xai_vision.cli", *args]


def interrupted_run(
    args: list[str],
    ready: Callable[[], bool],
    stalled: str,
    env: dict[str, str] | None = None,
    sig: signal.Signals = signal.SIGINT,
    background: bool = False,
) -> tuple[int, bytes]:
    """Run ``xai-vision args`` in its own process and press Ctrl-C (SIGINT; or send ``sig``)
    as soon as ``ready()``; its (exit status, stderr). ``stalled``: the failure if that takes
    30 s. ``env``: the process's environment (default :func:`cli_env`). ``background``: start
    it with SIGINT ignored, as a shell without job control starts a background job."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # A shell without job control starts background jobs with SIGINT ignored, and an
        # ignored signal stays ignored in every child, so the CLI would never see the Ctrl-C.
        # A caught signal is reset to the default at exec: the CLI starts as at a terminal.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    command = cli_command(args)
    if background:  # exec keeps an ignored signal ignored
        ignore = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        command = [sys.executable, "-c", ignore + "os.execv(sys.argv[1], sys.argv[1:])", *command]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or cli_env()
    )
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, stalled
            time.sleep(0.02)
        process.send_signal(sig)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, err


def resumed_run(args: list[str], env: dict[str, str] | None = None, timeout: float = 60) -> bytes:
    """Run ``xai-vision args --resume`` in its own process (``env``: as for
    :func:`interrupted_run`); it must exit 0. Its stderr."""
    run = subprocess.run(
        cli_command([*args, "--resume"]), capture_output=True, env=env or cli_env(), timeout=timeout
    )
    assert run.returncode == 0, run.stderr.decode()
    return run.stderr


def result_lines(out: Path) -> list[bytes]:
    """The output's lines, newlines kept; the file must end with a complete line."""
    data = out.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "the output must end with a complete line"
    return data.splitlines(keepends=True)


def read_records(out: Path) -> list[dict[str, Any]]:
    """The output's JSONL records."""
    return [json.loads(line) for line in result_lines(out)]


def each_image_once(out: Path, paths: Sequence[Path]) -> list[dict[str, Any]]:
    """The output's records, checked to be one line for each image of ``paths`` (its resolved
    path as ``source``, the stable id of that source as ``id``) and no more."""
    records = read_records(out)
    sources = Counter(record["source"] for record in records)
    assert set(sources) == {str(p.resolve()) for p in paths}
    assert set(sources.values()) == {1}, [s for s, n in sources.items() if n > 1]
    assert all(record["id"] == image_id(record["source"]) for record in records), records
    return records
