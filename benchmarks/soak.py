"""Soak: 5,000 calls through the core and both adapters against the emulator with injected
faults, checking that memory stays flat and nothing is lost. Not part of CI (takes minutes).

Calls rotate through core ``create`` / ``stream``, LangChain ``ainvoke`` and LlamaIndex
``astream_chat``, half of them with a small image, ``--concurrency`` at a time, while the
emulator (its own process) fails ``--fault-rate`` of requests with 429 or 503. Memory is
sampled (RSS and tracemalloc) every ``--every`` calls after a warm-up; the run fails if it
grows by more than the allowed slack between the first and the last sample, if any call is
unaccounted for, or if sockets stay open after the clients are closed.

    python benchmarks/soak.py                  # 5,000 calls (~1-2 min)
    python benchmarks/soak.py --calls 1000     # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import io
import os
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from PIL import Image
from xai_vision.client import AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.errors import APIError, XAIVisionError
from xai_vision.messages import (
    ChatRequest,
    ContentPart,
    ImageCollector,
    text_part,
    user_message,
)

from langchain_xai_vision import ChatXAIVision
from llama_index_xai_vision import XAIVision

MODEL = "grok-4-fast-non-reasoning"
MAX_RETRIES = 2


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, format="PNG")
    return buffer.getvalue()


IMAGE = _png()


def rss_kib() -> int:
    """Resident set size of this process, KiB (from /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_sockets() -> int:
    """Sockets this process holds open."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            continue
    return count


@dataclass
class Stats:
    """Outcomes and memory samples of one soak run."""

    answers: int = 0
    wrong_answers: int = 0
    typed_errors: Counter[str] = field(default_factory=Counter)
    untyped_errors: list[str] = field(default_factory=list)
    samples: list[tuple[int, int, int]] = field(default_factory=list)  # (calls, rss KiB, heap B)


class Soak:
    """The clients and the call rotation."""

    def __init__(self, emu: Emulator) -> None:
        self.core = AsyncXAIClient(api_key=emu.api_key, base_url=emu.base_url)
        self.chat = ChatXAIVision(model=MODEL, api_key=emu.api_key, base_url=emu.base_url)
        self.llm = XAIVision(model=MODEL, api_key=emu.api_key, base_url=emu.base_url)

    async def close(self) -> None:
        """Close every pool."""
        await self.core.aclose()
        await self.chat.aclose()
        await self.llm.aclose()

    def call(self, i: int) -> tuple[Callable[[], Awaitable[str]], str]:
        """Call ``i`` (a coroutine factory) and the answer's first line it must produce."""
        prompt = f"soak call {i}"
        with_image = i % 2 == 1
        first_line = "I see 1 image." if with_image else "I see no images."
        kind = i % 4

        async def core_create() -> str:
            completion = await self.core.create(self._request(prompt, with_image))
            return completion.content or ""

        async def core_stream() -> str:
            parts = [
                c.content or "" async for c in self.core.stream(self._request(prompt, with_image))
            ]
            return "".join(parts)

        async def langchain() -> str:
            content: list[str | dict[str, object]] = [{"type": "text", "text": prompt}]
            if with_image:
                content.append({"type": "image", "base64": _b64(IMAGE), "mime_type": "image/png"})
            message = await self.chat.ainvoke([HumanMessage(content=content)])
            return str(message.content)

        async def llama_index() -> str:
            blocks: list[TextBlock | ImageBlock] = [TextBlock(text=prompt)]
            if with_image:
                blocks.append(ImageBlock(image=IMAGE))
            stream = await self.llm.astream_chat([ChatMessage(role="user", blocks=blocks)])
            return "".join([r.delta or "" async for r in stream])

        return (core_create, core_stream, langchain, llama_index)[kind], first_line

    @staticmethod
    def _request(prompt: str, with_image: bool) -> ChatRequest:
        parts: list[ContentPart] = [text_part(prompt)]
        if with_image:
            parts.append(ImageCollector().add(IMAGE))
        return ChatRequest(MODEL, [user_message(parts)])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def soak(emu: Emulator, calls: int, concurrency: int, every: int, warmup: int) -> Stats:
    """Run the calls, sampling memory every ``every`` completed calls after ``warmup``."""
    stats = Stats()
    runner = Soak(emu)
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def one(i: int) -> None:
        nonlocal done
        make, first_line = runner.call(i)
        async with gate:
            try:
                text = await make()
            except XAIVisionError as exc:
                name = type(exc).__name__
                if isinstance(exc, APIError) and exc.status_code in (429, 503):
                    stats.typed_errors[name] += 1
                else:
                    stats.untyped_errors.append(f"call {i}: {name}: {exc}")
            except Exception as exc:  # anything else is a failure of the soak
                stats.untyped_errors.append(f"call {i}: {type(exc).__name__}: {exc}")
            else:
                stats.answers += 1
                expected_tail = f"You asked: soak call {i}"
                if not (text.startswith(first_line) and text.endswith(expected_tail)):
                    stats.wrong_answers += 1
        done += 1
        if done >= warmup and (done - warmup) % every == 0:
            gc.collect()
            stats.samples.append((done, rss_kib(), tracemalloc.get_traced_memory()[0]))

    # Submit in waves so pending coroutines do not dominate the memory being measured.
    wave = concurrency * 4
    for start in range(0, calls, wave):
        await asyncio.gather(*(one(i) for i in range(start, min(start + wave, calls))))
    await runner.close()
    return stats


def main() -> int:
    """Run the soak and print its figures; exit 1 if memory grew or anything was lost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--every", type=int, default=500, help="sample memory every N calls")
    parser.add_argument("--warmup", type=int, default=1000, help="calls before the first sample")
    parser.add_argument("--rss-slack-mib", type=float, default=16.0)
    parser.add_argument("--heap-slack-mib", type=float, default=4.0)
    args = parser.parse_args()
    warmup = min(args.warmup, args.calls // 5)

    tracemalloc.start()
    with Emulator(mode="subprocess") as emu:
        emu.set_fault_rate(args.fault_rate, statuses=(429, 503), seed=1, retry_after_ms=20)
        emu.fault_counts()  # opens the control connection before the socket baseline
        sockets_before = open_sockets()
        started = time.perf_counter()
        stats = asyncio.run(soak(emu, args.calls, args.concurrency, args.every, warmup))
        elapsed = time.perf_counter() - started
        faults = emu.fault_counts()
        requests = len(emu.requests)
        sockets_after = open_sockets()
    tracemalloc.stop()

    accounted = stats.answers + sum(stats.typed_errors.values()) + len(stats.untyped_errors)
    first, last = stats.samples[0], stats.samples[-1]
    rss_growth = (last[1] - first[1]) / 1024
    heap_growth = (last[2] - first[2]) / 2**20
    print(
        f"calls: {args.calls} in {elapsed:.1f} s ({args.calls / elapsed:.0f}/s), "
        f"concurrency {args.concurrency}"
    )
    print(f"requests seen by the emulator: {requests}; faults injected: {dict(faults)}")
    print(
        f"answers: {stats.answers} (wrong: {stats.wrong_answers}); "
        f"typed errors after all retries: {dict(stats.typed_errors)}; "
        f"other errors: {len(stats.untyped_errors)}; accounted: {accounted}/{args.calls}"
    )
    print("memory samples (calls, RSS MiB, traced heap MiB):")
    for calls, rss, heap in stats.samples:
        print(f"  {calls:6d}  {rss / 1024:7.1f}  {heap / 2**20:7.2f}")
    print(f"growth first->last sample: RSS {rss_growth:+.1f} MiB, heap {heap_growth:+.2f} MiB")
    print(f"sockets: {sockets_before} before, {sockets_after} after closing the clients")
    for line in stats.untyped_errors[:10]:
        print("  error:", line)

    ok = (
        accounted == args.calls
        and not stats.untyped_errors
        and stats.wrong_answers == 0
        and requests
        == args.calls
        + sum(int(v) for k, v in faults.items() if k in ("429", "503"))
        - sum(stats.typed_errors.values())
        and rss_growth <= args.rss_slack_mib
        and heap_growth <= args.heap_slack_mib
        and sockets_after <= sockets_before
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
