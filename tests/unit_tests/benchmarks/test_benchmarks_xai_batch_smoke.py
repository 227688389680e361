"""Smoke test of ``benchmarks/bench_xai_batch_memory.py --quick``: it still submits every image.

No memory figure is checked here (benchmarks are not tests): only that each size's requests all
reached the emulator, in bodies no larger than the chunk limit, split into several chunks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmark_scripts import BENCHMARKS


def test_quick_run_submits_every_image_in_chunks_under_the_limit(tmp_path: Path) -> None:
    figures = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_xai_batch_memory.py"), "--quick",
         "--json", str(figures)],
        capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(figures.read_text())
    assert {(row["images"], row["chunk_limit"]) for row in rows} == {
        (200, 20_000), (2_000, 20_000), (200, 100_000), (2_000, 100_000),
    }  # fmt: skip
    for row in rows:
        assert row["received"] == row["images"]
        assert 0 < row["largest_body"] <= row["chunk_limit"]
    assert all(row["chunks"] > 1 for row in rows if row["images"] == 2_000)
    assert "peak RSS growth" in done.stdout
