"""Where one call's client CPU goes: each step of the image and body path, timed alone.

For the W1 image (a ~1 MB 1024x768 JPEG) it times, per call, what ``ChatXAIVision`` /
``XAIVision`` do between the caller's image and the bytes on the wire, next to what the raw
httpx floor does, so a CPU target miss can be traced to a step. No server is involved.

    python benchmarks/bench_hot_path.py
"""

from __future__ import annotations

import base64
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import jpeg_near
from xai_vision import _json
from xai_vision.endpoints import ChatCompletionsEndpoint
from xai_vision.images import ImageOptions, parse_data_uri, prepare_image
from xai_vision.images.checks import verify_structure
from xai_vision.images.options import ImageContext
from xai_vision.images.sources import encode_data_uri
from xai_vision.messages import ChatRequest, user_message


def ms(step: Callable[[], object], repeats: int = 30) -> float:
    """Median milliseconds of ``step`` over ``repeats`` runs (after one warm-up)."""
    step()
    times = []
    for _ in range(repeats):
        started = time.process_time()
        step()
        times.append(time.process_time() - started)
    return 1000 * statistics.median(times)


def main() -> None:
    data = jpeg_near((1024, 768), 1_000_000)
    uri = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
    payload = uri.split(",", 1)[1]
    prepared = prepare_image(data)
    request = ChatRequest("grok-4", [user_message(["What is in this image?", prepared])])
    body_dict = request.to_body()
    endpoint = ChatCompletionsEndpoint()
    ctx = ImageContext("bench", None, None, ImageOptions())

    def verify() -> None:
        verify_structure(data, "jpeg", ctx)

    rows = [
        ("caller: base64 of the image (every client)", lambda: base64.b64encode(data)),
        ("floor: stdlib json.dumps of the body", lambda: json.dumps(body_dict).encode()),
        ("core: orjson body (build_body)", lambda: endpoint.build_body(request)),
        ("core: parse_data_uri (header regex + one decode)", lambda: parse_data_uri(uri)),
        (
            "  stdlib b64decode(validate=True), for comparison",
            lambda: base64.b64decode(payload, validate=True),
        ),
        ("core: Image.open (header)", lambda: Image.open(io.BytesIO(data))),
        ("core: verify_structure (JPEG)", verify),
        (
            "core: encode_data_uri (base64 for the data URI)",
            lambda: encode_data_uri(data, "image/jpeg"),
        ),
        ("core: prepare_image(bytes), all steps", lambda: prepare_image(data)),
        ("core: prepare_image(data URI), all steps", lambda: prepare_image(uri)),
        ("JSON: orjson dumps of the body dict", lambda: _json.dumps(body_dict)),
    ]

    print(f"image: {len(data):,} bytes JPEG, data URI {len(uri):,} chars\n")
    print(f"{'step':<52}{'CPU ms':>8}")
    for label, step in rows:
        print(f"{label:<52}{ms(step):>8.2f}")


if __name__ == "__main__":
    main()
