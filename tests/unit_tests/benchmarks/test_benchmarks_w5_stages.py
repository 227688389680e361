"""``benchmarks/run.py``'s W5 child in its three measures, each in a fresh process against the
emulator: the figures are the kind each measure gives (never a speed or memory target)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from benchmark_scripts import load_benchmark
from xai_vision.emulator import Emulator


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return load_benchmark("run.py", "bench_run_w5")


@pytest.fixture(scope="module")
def png(run: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("w5") / "w5.png"
    path.write_bytes(run.png_near(5 * run.MIB))
    return path


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux /proc only")
def test_the_call_alone_grows_less_than_the_message_construction(
    run: ModuleType, png: Path
) -> None:
    """LlamaIndex's message holds the image's base64 and its construction reads the PNG:
    built apart, the call's own growth leaves both out."""
    with Emulator() as emu:
        construction = run.run_w5("XAIVision", png, emu.base_url, "construction")
        own = run.run_w5("XAIVision", png, emu.base_url, "own")
    assert construction["payload_b64_mib"] == own["payload_b64_mib"] > 6.0
    # At least the PNG's bytes (0.75x) and the block's base64 (1.0x) are held at the end.
    assert construction["ratio_to_payload"] >= 1.7
    assert 0 <= own["ratio_to_payload"] < construction["ratio_to_payload"]


def test_an_unknown_stage_is_refused_naming_the_stages(run: ModuleType, png: Path) -> None:
    with pytest.raises(RuntimeError, match="W5 stage must be one of call, own, construction"):
        run.run_w5("raw httpx", png, "http://127.0.0.1:9", "everything")
