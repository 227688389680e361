"""Peak memory of an xAI Batch API submission: 10,000 vs 100,000 images in the same run.

Each size runs in a fresh process (Linux: ``/proc/self/status`` VmHWM, the peak resident set,
reset through ``/proc/self/clear_refs`` after a warm-up) that builds one request per image with
the core's body builder (one small PNG, prepared once, sent under 100,000 ids: the body per
image is what a folder of small images gives), chunks them with
:func:`xai_vision.batches.chunk_requests` and adds every chunk to one batch of an emulator
running in its own process (``Emulator(mode="subprocess")``). The emulator holds the requests
unprocessed (a long ``batch_delay``): the figure is the submission's, not the answers'.

The peak must not grow with the job: the submission holds one chunk at a time, so it is bounded
by the chunk limit, not the image count. Both sizes run at xAI's limit (25,000,000 bytes) and at
a 1,000,000-byte limit, where both jobs span many chunks.

    python benchmarks/bench_xai_batch_memory.py            # 10k and 100k images
    python benchmarks/bench_xai_batch_memory.py --quick    # 200 and 2,000 (a smoke run)
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image
from run import status_kib
from xai_vision import ChatRequest, XAIClient, image_part, prepare_image, text_part, user_message
from xai_vision.batches import MAX_ADD_REQUESTS_BYTES, chunk_requests
from xai_vision.emulator import Emulator
from xai_vision.emulator.config import EmulatorSettings

MIB = 1024 * 1024


def child(images: int, chunk_bytes: int, base_url: str, api_key: str) -> dict[str, float]:
    """Submit ``images`` requests in chunks of at most ``chunk_bytes``; the figures as JSON."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(buffer, "PNG")
    image = prepare_image(buffer.getvalue())
    prompt = text_part("Describe this image in one line.")

    def requests() -> Iterator[tuple[str, ChatRequest]]:
        for index in range(images):
            message = user_message([prompt, image_part(image)])
            request = ChatRequest(model="grok-4-fast-non-reasoning", messages=[message])
            yield f"img-{index:07d}", request

    with XAIClient(api_key=api_key, base_url=base_url, timeout=120) as client:
        warm = client.batches.create("warm-up")
        warm_up = next(chunk_requests([("w", next(requests())[1])]))
        client.batches.add_requests(warm.batch_id, warm_up)
        gc.collect()
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the current RSS
        base = status_kib("VmRSS")
        started = time.perf_counter()
        batch = client.batches.create(f"bench-{images}")
        chunks = largest = 0
        for chunk in chunk_requests(requests(), max_bytes=chunk_bytes):
            client.batches.add_requests(batch.batch_id, chunk)
            chunks += 1
            largest = max(largest, chunk.body.length)
            del chunk  # as the CLI does: one chunk held while the next is built, not two
        seconds = time.perf_counter() - started
        peak_mib = (status_kib("VmHWM") - base) / 1024
        received = client.batches.get(batch.batch_id).state.num_requests
    return {
        "images": images,
        "chunk_limit": chunk_bytes,
        "chunks": chunks,
        "largest_body": largest,
        "received": received,
        "seconds": seconds,
        "peak_growth_mib": peak_mib,
    }


def run(sizes: list[int], limits: list[int]) -> list[dict[str, float]]:
    """Each (limit, size) in a fresh process against one emulator in its own process."""
    settings = EmulatorSettings(batch_delay=3600.0)
    rows = []
    with Emulator(mode="subprocess", settings=settings) as emulator:
        for limit in limits:
            for size in sizes:
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(size), str(limit),
                     emulator.base_url, emulator.api_key],
                    capture_output=True, text=True, check=True, timeout=1800,
                )  # fmt: skip
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
                emulator.reset()  # forget the held requests before the next size
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 and 2,000 images")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        images, limit, base_url, key = args.child
        print(json.dumps(child(int(images), int(limit), base_url, key)))
        return
    sizes = [200, 2_000] if args.quick else [10_000, 100_000]
    limits = [20_000, 100_000] if args.quick else [MAX_ADD_REQUESTS_BYTES, 1_000_000]
    rows = run(sizes, limits)
    print(
        "| images | chunk limit (bytes) | chunks | largest body | received | s | peak RSS growth |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['images']:,} | {row['chunk_limit']:,} | {row['chunks']} | "
            f"{row['largest_body']:,} | {row['received']:,} | {row['seconds']:.1f} | "
            f"{row['peak_growth_mib']:.1f} MiB |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
