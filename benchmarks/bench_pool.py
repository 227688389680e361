"""A/B of AsyncXAIClient's pool settings under 400 concurrent calls (the W3 fix).

Swaps the client's pool limits and its admission gate (an asyncio.Semaphore the size of the
pool) and times 400 concurrent ``create`` calls against the subprocess emulator answering
after 50 ms, so calls pile up the same way every round whatever else the machine is doing.

    python benchmarks/bench_pool.py [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import statistics
import time
from typing import Any

import httpx
from PIL import Image
from xai_vision import client as client_module
from xai_vision.client import AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.images import prepare_image
from xai_vision.messages import ChatRequest, user_message

CALLS = 400


def limits(connections: int, idle: int) -> httpx.Limits:
    """Pool limits: at most ``connections`` open, ``idle`` of them kept between calls."""
    return httpx.Limits(max_connections=connections, max_keepalive_connections=idle)


#: name -> (pool limits, gate on)
CONFIGS: dict[str, tuple[httpx.Limits, bool]] = {
    "gate, 100 connections, 20 idle (now)": (limits(100, 20), True),
    "no gate, 100 connections, 20 idle (before)": (limits(100, 20), False),
    "gate, 100 connections, 100 idle": (limits(100, 100), True),
    "no gate, 100 connections, 100 idle": (limits(100, 100), False),
    "no gate, 1000 connections, 100 idle (openai)": (limits(1000, 100), False),
}


def request() -> ChatRequest:
    """A small one-image request (the emulator's cost per call stays low)."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "PNG")
    return ChatRequest(
        "grok-4-fast-non-reasoning", [user_message(["ping", prepare_image(buffer.getvalue())])]
    )


async def burst(base_url: str, limits: httpx.Limits, gate: bool) -> tuple[float, float]:
    """(calls/s, client CPU ms per call) of one burst of CALLS concurrent calls."""
    original_limits, original_slot = client_module._LIMITS, AsyncXAIClient._slot
    client_module._LIMITS = limits  # type: ignore[misc]
    if not gate:
        AsyncXAIClient._slot = lambda self: contextlib.nullcontext()  # type: ignore[method-assign]
    try:
        body = request()
        async with AsyncXAIClient(api_key="bench", base_url=base_url) as client:
            await asyncio.gather(*(client.create(body) for _ in range(20)))
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(client.create(body) for _ in range(CALLS)))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        client_module._LIMITS = original_limits  # type: ignore[misc]
        AsyncXAIClient._slot = original_slot  # type: ignore[method-assign]
    return CALLS / wall, 1000 * cpu / CALLS


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, float]]] = {name: [] for name in CONFIGS}
    with Emulator(mode="subprocess") as emu:
        emu.set_latency(0.05)
        for _ in range(args.rounds):
            for name, (limits, gate) in CONFIGS.items():
                rows[name].append(asyncio.run(burst(emu.base_url, limits, gate)))
                emu.clear_requests()
    print(f"{'pool setting':<46}{'calls/s':>9}{'CPU ms/call':>13}   (medians of {args.rounds})")
    for name, found in rows.items():
        rate: Any = statistics.median(r for r, _ in found)
        cpu: Any = statistics.median(c for _, c in found)
        print(f"{name:<46}{rate:>9.0f}{cpu:>13.2f}")


if __name__ == "__main__":
    main()
