"""``benchmarks/layers.py``: every layer of ChatXAIVision's call runs against the emulator, and
its table takes each ratio and step within a round. Shape, never speed."""

from __future__ import annotations

from types import ModuleType

import pytest
from benchmark_scripts import load_benchmark
from xai_vision.emulator import Emulator


@pytest.fixture(scope="module")
def layers() -> ModuleType:
    return load_benchmark("layers.py", "bench_layers")


def test_every_layer_calls_the_emulator_both_ways_and_gets_a_figure_a_round(
    layers: ModuleType,
) -> None:
    with Emulator() as emu:
        found = layers.build_layers(emu.base_url, layers.jpeg_near((320, 240), 60_000))
        names = [layer.name for layer in found]
        for streaming in (False, True):
            emu.clear_requests()
            cpu = layers.measure(found, 2, 1, streaming, lambda: None)
            assert list(cpu) == names
            assert all(len(figures) == 2 and min(figures) > 0 for figures in cpu.values())
            sent = emu.requests
            # raw httpx twice (its own body and the prebuilt one), then five layers of ours
            assert len(sent) == 2 * len(found)
            assert all(bool(r.body.get("stream")) is streaming for r in sent)
    assert names[:2] == [layers.RAW, layers.RAW_OWN]
    assert names[-1] == "+ the caller's message"


def test_ratios_and_steps_are_taken_round_by_round(layers: ModuleType) -> None:
    """raw httpx's CPU doubles in round two: per-round ratios stay put where pooled ones would
    not, and a step is the layer's ratio minus the one above it, round by round."""
    found = [
        layers.Layer(name, name, lambda: None, lambda: None)
        for name in (layers.RAW, layers.RAW_OWN, "core", "+ build")
    ]
    w1 = {layers.RAW: [10.0, 20.0], layers.RAW_OWN: [3.0, 6.0], "core": [4.0, 8.0],
          "+ build": [5.0, 12.0]}  # fmt: skip
    w2 = {name: [2 * x for x in figures] for name, figures in w1.items()}
    rows = layers.table(found, w1, w2)
    assert len(rows) == 2 + len(found)
    split = [row.strip("| ").split(" | ") for row in rows[2:]]
    cells = {row[0]: row for row in split}
    assert cells[layers.RAW][3:5] == ["1.00 (1.00–1.00)x", "-"]
    assert cells[layers.RAW_OWN][3:5] == ["0.30 (0.30–0.30)x", "-"]
    assert cells["core"][3:5] == ["0.40 (0.40–0.40)x", "+0.100x"]
    # build: 0.5 then 0.6 of raw httpx; steps over core 0.1 and 0.2, median 0.15
    assert cells["+ build"][3:5] == ["0.55 (0.50–0.60)x", "+0.150x"]
    assert cells["+ build"][6:8] == ["0.55 (0.50–0.60)x", "+0.150x"]
