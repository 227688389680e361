"""ChatXAIVision's client CPU layer by layer (issue 19's W1 and W2): whose code holds each part.

    python benchmarks/layers.py            # 21 rounds of 10 calls (~4 min here): prints the table
    python benchmarks/layers.py --quick    # 2 rounds of 2 calls (a smoke run)

Each layer is the one above it plus one piece of the call, so the step between two layers is
that piece's cost: from posting a prebuilt body (any client's floor) through xai_vision's
client, ChatXAIVision's request build (the image checks), its LangChain objects and
``BaseChatModel``'s own work, to the caller's data-URI message built in the call (the issue's
measure). Every layer runs in the same interleaved rounds as raw httpx's whole call (data URI
and stdlib JSON built in the call), and each ratio is taken within a round. The middle layers
call ChatXAIVision's private steps (``_build_request``, ``_get_client``, ``_generate``,
``_stream``): a benchmark's view of the call, not an API.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clients import Image, RawHttpx, chat_xai_vision, langchain_message
from round2 import RAW, RAW_OWN, _ratios, _spread
from run import jpeg_near
from xai_vision.emulator import Emulator


@dataclass(frozen=True)
class Layer:
    """One layer: its name, the piece it adds, and one call each way (W1 invoke, W2 stream)."""

    name: str
    adds: str
    invoke: Callable[[], object]
    stream: Callable[[], object]


def build_layers(base_url: str, data: bytes) -> list[Layer]:
    """The layers, floor first; each one's calls against the emulator at ``base_url``."""
    image = Image(data, "image/jpeg")
    raw = RawHttpx(base_url)
    body, stream_body = raw.build(image), raw.build(image, stream=True)
    model = chat_xai_vision(base_url)
    message = langchain_message(image)
    request = model._build_request(message, None, {})
    client = model._get_client()

    def build() -> Any:
        return model._build_request(message, None, {})

    return [
        Layer(
            RAW,
            "the baseline: stdlib base64 data URI and stdlib JSON body built in the call",
            lambda: raw.call(image),
            lambda: list(raw.stream(image)),
        ),
        Layer(
            RAW_OWN,
            "posting the 1.3 MB body and reading the answer: any client's floor",
            lambda: raw.send(body),
            lambda: list(raw.stream_body(stream_body)),
        ),
        Layer(
            "core, request built before",
            "xai_vision's client: orjson body, the call, the answer parsed into its models",
            lambda: client.create(request),
            lambda: list(client.stream(request, include_usage=True)),
        ),
        Layer(
            "+ request build",
            "ChatXAIVision's request build: message conversion, image checks (strict base64, "
            "header, structure)",
            lambda: client.create(build()),
            lambda: list(client.stream(build(), include_usage=True)),
        ),
        Layer(
            "+ adapter",
            "the answer as LangChain objects (`_generate`: AIMessage; `_stream`: a message "
            "chunk and a generation chunk per piece)",
            lambda: model._generate(message),
            lambda: list(model._stream(message)),
        ),
        Layer(
            "+ LangChain's invoke / stream",
            "BaseChatModel's own work: callbacks, run manager, chunk ids and merging",
            lambda: model.invoke(message),
            lambda: list(model.stream(message)),
        ),
        Layer(
            "+ the caller's message",
            "the data-URI HumanMessage built in the call (stdlib base64): the issue's measure",
            lambda: model.invoke(langchain_message(image)),
            lambda: list(model.stream(langchain_message(image))),
        ),
    ]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(
    layers: list[Layer], rounds: int, calls: int, streaming: bool, between: Callable[[], None]
) -> dict[str, list[float]]:
    """CPU ms per call of every layer, one figure a round; the order rotates each round."""
    cpu: dict[str, list[float]] = {layer.name: [] for layer in layers}
    for r in range(rounds):
        for layer in layers[r % len(layers) :] + layers[: r % len(layers)]:
            call = layer.stream if streaming else layer.invoke
            gc.collect()
            started = _cpu_seconds()
            for _ in range(calls):
                call()
            cpu[layer.name].append(1000 * (_cpu_seconds() - started) / calls)
            between()
    return cpu


def table(layers: list[Layer], w1: dict[str, list[float]], w2: dict[str, list[float]]) -> list[str]:
    """Markdown: per layer and workload, CPU ms, the ratio to raw httpx and the step it adds."""
    lines = [
        "| layer | adds | W1 CPU ms | W1 / raw httpx | W1 step | W2 CPU ms | W2 / raw httpx "
        "| W2 step |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, layer in enumerate(layers):
        cells = [layer.name, layer.adds]
        for cpu in (w1, w2):
            ratios = _ratios(cpu[layer.name], cpu[RAW])
            cells += [f"{statistics.median(cpu[layer.name]):.2f}", f"{_spread(ratios)}x"]
            if i < 2:  # the baseline and the floor are not steps of the call
                cells.append("-")
                continue
            below = cpu[layers[i - 1].name]
            steps = [
                (x - y) / base for x, y, base in zip(cpu[layer.name], below, cpu[RAW], strict=True)
            ]
            cells.append(f"{statistics.median(steps):+.3f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 calls")
    parser.add_argument("--rounds", type=int, help="rounds (default 21; quick 2)")
    parser.add_argument("--calls", type=int, help="calls per layer per round (default 10)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 21)
    calls = args.calls or (2 if args.quick else 10)
    data = jpeg_near((1024, 768), 1_000_000)
    with Emulator(mode="subprocess") as emu:
        layers = build_layers(emu.base_url, data)
        for layer in layers:  # warm-up: imports and connections; proves every layer works
            layer.invoke()
            layer.stream()
        w1 = measure(layers, rounds, calls, streaming=False, between=emu.clear_requests)
        w2 = measure(layers, rounds, calls, streaming=True, between=emu.clear_requests)
    print(f"{rounds} rounds of {calls} calls; ratios and steps taken within each round\n")
    print("\n".join(table(layers, w1, w2)))


if __name__ == "__main__":
    main()
