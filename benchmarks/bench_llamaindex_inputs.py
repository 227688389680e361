"""LlamaIndex input forms: client CPU per call with an ImageBlock of bytes vs of a path.

W1 hands every client the image's bytes; for LlamaIndex clients most of that call's CPU is
llama-index-core validating the ``ImageBlock`` inside ``ChatMessage`` (it base64-decodes and
re-encodes inline bytes). This measures the same ~1 MB 1024x768 JPEG given as
``ImageBlock(image=bytes)`` and as ``ImageBlock(path=...)`` (the file read counted in the
call), through XAIVision and OpenAILike, in interleaved rounds against the subprocess emulator.

    python benchmarks/bench_llamaindex_inputs.py            # 5 rounds of 20 calls
    python benchmarks/bench_llamaindex_inputs.py --quick    # 2 rounds of 3 calls
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clients import MODEL, OpenAILikeClient, XAIVisionClient
from run import cpu_rounds, jpeg_near
from xai_vision.emulator import Emulator


def _calls(llm: Any, data: bytes, path: Path) -> dict[str, Callable[[], Any]]:
    from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

    def by_bytes() -> Any:
        block = ImageBlock(image=data, image_mimetype="image/jpeg")
        return llm.chat([ChatMessage(role="user", blocks=[TextBlock(text="What?"), block])])

    def by_path() -> Any:
        block = ImageBlock(path=path, image_mimetype="image/jpeg")
        return llm.chat([ChatMessage(role="user", blocks=[TextBlock(text="What?"), block])])

    return {"ImageBlock(image=bytes)": by_bytes, "ImageBlock(path=...)": by_path}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 calls")
    args = parser.parse_args()
    rounds, per_round = (2, 3) if args.quick else (5, 20)
    data = jpeg_near((1024, 768), 1_000_000)  # the W1 image
    path = Path(tempfile.mkdtemp()) / "w1.jpg"
    path.write_bytes(data)
    with Emulator(mode="subprocess") as emu:
        clients = {
            "XAIVision": XAIVisionClient(emu.base_url),
            "OpenAILike": OpenAILikeClient(emu.base_url),
        }
        cases = {
            (client, form): call
            for client, wrapper in clients.items()
            for form, call in _calls(wrapper.llm, data, path).items()
        }
        cpu = cpu_rounds(cases, rounds, per_round)
    print(f"{len(data):,}-byte 1024x768 JPEG, model {MODEL}, median of {rounds} rounds")
    print(f"{'client':<12} {'input':<26} {'CPU ms/call':>12} {'vs bytes':>9}")
    for client in clients:
        base = statistics.median(cpu[(client, "ImageBlock(image=bytes)")])
        for form in ("ImageBlock(image=bytes)", "ImageBlock(path=...)"):
            ms = statistics.median(cpu[(client, form)])
            print(f"{client:<12} {form:<26} {ms:>12.2f} {ms / base:>8.2f}x")


if __name__ == "__main__":
    main()
