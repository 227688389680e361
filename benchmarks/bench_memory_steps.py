"""Where W5's peak memory comes from: resident-set growth after each step of one big-PNG call.

In one fresh process (Linux: ``/proc/self/status``, with the peak reset through
``/proc/self/clear_refs``) it reads the W5 PNG, builds the caller's data URI as a LangChain user
would, prepares it with the core, builds the request body and walks its pieces as the client
sends them, printing peak and current RSS growth as multiples of the base64 payload after each
step. No server is involved.

    python benchmarks/bench_memory_steps.py
"""

from __future__ import annotations

import base64
import gc
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import MIB, png_near, status_kib
from xai_vision.endpoints import ChatCompletionsEndpoint
from xai_vision.images import prepare_image
from xai_vision.messages import ChatRequest, user_message


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "w5.png"
        path.write_bytes(png_near(20 * MIB - 64 * 1024))
        payload_kib = (path.stat().st_size + 2) // 3 * 4 / 1024
        gc.collect()
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the current RSS
        base = status_kib("VmRSS")

        def step(name: str) -> None:
            peak = (status_kib("VmHWM") - base) / payload_kib
            now = (status_kib("VmRSS") - base) / payload_kib
            print(f"{name:<40}peak {peak:5.2f}x   now {now:5.2f}x")

        data = path.read_bytes()
        step("caller reads the PNG")
        uri = "data:image/png;base64," + base64.b64encode(data).decode()
        step("caller builds its data URI")
        image = prepare_image(uri)
        step("core: prepare_image")
        request = ChatRequest("grok-4", [user_message(["What is this?", image])])
        body = ChatCompletionsEndpoint().build_body(request)
        step("core: request body (build_body)")
        sent = sum(len(piece) for piece in body.iter_bytes())  # what httpx writes, piece by piece
        step("core: body pieces encoded as sent")
        print(
            f"\nthe caller's string is sent as it is: {image.url is uri};"
            f" body {sent:,} B in {len(body.parts)} parts (Content-Length {body.length:,})"
        )


if __name__ == "__main__":
    main()
