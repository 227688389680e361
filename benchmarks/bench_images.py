"""Image preparation benchmark: encode throughput, and what the opt-in optimisation saves.

Prints prepare_image throughput (MB of source image per second) for a ~20 MiB PNG and a 12 MP
JPEG, as they are and optimised, then the request body bytes and estimated image tokens of a
one-image request before and after optimisation. Images are generated with Pillow.

    python benchmarks/bench_images.py            # full sizes
    python benchmarks/bench_images.py --quick    # small sizes, one run: a smoke test
"""

from __future__ import annotations

import argparse
import io
import math
import time
from collections.abc import Callable
from functools import partial

from PIL import Image
from xai_vision import _json
from xai_vision.images import ImageOptions, PreparedImage, prepare_image
from xai_vision.messages import ChatRequest, user_message

MIB = 1024 * 1024


def photo(size: tuple[int, int]) -> Image.Image:
    """Photograph-like pixels: gradients plus colour noise (compresses like a real photo)."""
    gradient = Image.linear_gradient("L").resize(size)
    transposes = (
        Image.Transpose.ROTATE_180,
        Image.Transpose.FLIP_LEFT_RIGHT,
        Image.Transpose.FLIP_TOP_BOTTOM,
    )
    bands = [
        Image.blend(gradient, Image.effect_noise(size, 30 + 10 * i), 0.3).transpose(t)
        for i, t in enumerate(transposes)
    ]
    return Image.merge("RGB", bands)


def encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def png_near(target_bytes: int) -> bytes:
    """A photo-like PNG just under ``target_bytes`` (found by scaling the pixel count)."""
    width, height = 1600, 1200
    data = encode(photo((width, height)), "PNG")
    for _ in range(3):
        scale = math.sqrt(target_bytes * 0.97 / len(data))
        width, height = int(width * scale), int(height * scale)
        data = encode(photo((width, height)), "PNG")
        if 0.9 * target_bytes <= len(data) <= target_bytes:
            break
    return data


def best_time(run: Callable[[], PreparedImage], repeats: int) -> tuple[float, PreparedImage]:
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def request_bytes(image: PreparedImage) -> int:
    """Bytes of a one-image chat-completions request body carrying ``image``."""
    request = ChatRequest("grok-4", [user_message(["What is in this image?", image])])
    return len(_json.dumps(request.to_body()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small images, one run (smoke test)")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    png_target = 2 * MIB if args.quick else 20 * MIB
    jpeg_size = (1200, 900) if args.quick else (4000, 3000)

    print("generating images ...", flush=True)
    sources = {
        f"PNG  {png_target / MIB:.0f} MiB": png_near(png_target),
        f"JPEG {jpeg_size[0] * jpeg_size[1] / 1e6:.0f} MP": encode(
            photo(jpeg_size), "JPEG", quality=92
        ),
    }
    plain, optimised = ImageOptions(), ImageOptions(optimize=True)

    print(f"\n{'source':<14}{'mode':<10}{'in MB':>8}{'out MB':>9}{'seconds':>9}{'MB/s':>9}")
    results: dict[str, tuple[PreparedImage, PreparedImage]] = {}
    for name, data in sources.items():
        pair = []
        for mode, options in (("as-is", plain), ("optimize", optimised)):
            seconds, prepared = best_time(partial(prepare_image, data, options=options), repeats)
            size_mb = len(data) / 1e6
            out_mb = (prepared.byte_size or 0) / 1e6
            print(
                f"{name:<14}{mode:<10}{size_mb:>8.2f}{out_mb:>9.2f}{seconds:>9.3f}"
                f"{size_mb / seconds:>9.1f}"
            )
            pair.append(prepared)
        results[name] = (pair[0], pair[1])

    print(f"\n{'source':<14}{'request bytes before':>22}{'after':>12}{'ratio':>8}{'tokens':>16}")
    for name, (before, after) in results.items():
        b, a = request_bytes(before), request_bytes(after)
        tokens = f"{before.estimated_tokens} -> {after.estimated_tokens}"
        print(f"{name:<14}{b:>22,}{a:>12,}{b / a:>7.1f}x{tokens:>16}")


if __name__ == "__main__":
    main()
