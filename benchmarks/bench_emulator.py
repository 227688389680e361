"""Emulator capacity: concurrent connections and small requests per second.

Runs the emulator in subprocess mode (its own interpreter and core) and drives it with a lean
asyncio HTTP/1.1 client (raw sockets, keep-alive), so the figure measures the server, not
httpx. Targets from issue 3: >= 500 concurrent connections, >= 1,000 small requests/s.

    python benchmarks/bench_emulator.py            # full run (~20 s)
    python benchmarks/bench_emulator.py --quick    # short run (~5 s)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from xai_vision.emulator import Emulator

BODY = json.dumps(
    {"model": "grok-4-fast-non-reasoning", "messages": [{"role": "user", "content": "ping"}]}
).encode()
STREAM_BODY = json.dumps(
    {
        "model": "grok-4-fast-non-reasoning",
        "messages": [{"role": "user", "content": "ping"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
).encode()


def request_bytes(port: int, body: bytes) -> bytes:
    """One keep-alive POST /v1/chat/completions."""
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Authorization: Bearer bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one response (Content-Length or chunked); return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
    }
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status


async def concurrent_connections(port: int, count: int) -> tuple[float, int]:
    """Open ``count`` connections at once, send one request on each; (seconds, ok count)."""
    payload = request_bytes(port, BODY)
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def open_one() -> None:
        opened.append(await asyncio.open_connection("127.0.0.1", port))

    started = time.perf_counter()
    await asyncio.gather(*(open_one() for _ in range(count)))

    async def use(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        writer.write(payload)
        return await read_response(reader)

    statuses = await asyncio.gather(*(use(r, w) for r, w in opened))
    elapsed = time.perf_counter() - started
    for _, writer in opened:
        writer.close()
    return elapsed, sum(1 for s in statuses if s == 200)


async def throughput(
    port: int, connections: int, seconds: float, body: bytes
) -> tuple[int, int, list[float]]:
    """Keep-alive request loops for ``seconds``; returns (done, ok, latencies)."""
    payload = request_bytes(port, body)
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    done = ok = 0

    async def loop() -> None:
        nonlocal done, ok
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                writer.write(payload)
                status = await read_response(reader)
                latencies.append(time.perf_counter() - sent)
                done += 1
                ok += status == 200
        finally:
            writer.close()

    await asyncio.gather(*(loop() for _ in range(connections)))
    return done, ok, latencies


async def run(port: int, quick: bool) -> bool:
    """All measurements; returns whether the targets were met."""
    seconds = 2.0 if quick else 8.0
    held, served = await concurrent_connections(port, 500)
    print(f"500 concurrent connections: {served}/500 answered 200 in {held:.2f} s")

    done, ok, latencies = await throughput(port, 32, seconds, BODY)
    rate = done / seconds
    p50 = statistics.median(latencies) * 1000
    p99 = sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"small JSON requests: {rate:,.0f} req/s over 32 keep-alive connections "
        f"({ok}/{done} ok, p50 {p50:.1f} ms, p99 {p99:.1f} ms)"
    )
    s_done, s_ok, _ = await throughput(port, 32, seconds / 2, STREAM_BODY)
    print(f"small streamed requests: {s_done / (seconds / 2):,.0f} req/s ({s_ok}/{s_done} ok)")
    met = served == 500 and rate >= 1000 and ok == done
    print("targets (>= 500 concurrent, >= 1,000 req/s):", "met" if met else "NOT met")
    return met


def main() -> None:
    """Start a subprocess emulator and measure it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter run")
    args = parser.parse_args()
    with Emulator(mode="subprocess") as emulator:
        met = asyncio.run(run(emulator.port or 0, args.quick))
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
