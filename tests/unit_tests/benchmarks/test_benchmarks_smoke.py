"""Smoke test of ``benchmarks/run.py --quick``: the script still runs every workload and client.

Benchmarks are not tests: no figure is checked against a target here, only that the run
completes, that every installed client produced every workload's figures, and that the
figures are the kind a working client produces (the image reached the wire, usage was read).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from types import ModuleType

import pytest
from benchmark_scripts import BENCHMARKS, load_benchmark

WORKLOADS = ("W1", "W2", "W3", "W4", "W5")
OURS = ("ChatXAIVision", "XAIVision")


def _load_clients() -> ModuleType:
    return load_benchmark("clients.py", "bench_clients")


@dataclass(frozen=True)
class QuickRun:
    """What one ``run.py --quick`` wrote: the JSON figures' sections and the Markdown report."""

    clients: dict[str, str]
    workloads: dict[str, dict[str, dict[str, float]]]
    images: dict[str, dict[str, float]]
    report: str


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> QuickRun:
    """Run the quick mode once for this module."""
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "--quick",
            "--out",
            str(out / "RESULTS.md"),
            "--json",
            str(out / "results.json"),
        ],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    for section in ("clients", "workloads", "images"):
        assert isinstance(results[section], dict), section
    return QuickRun(
        results["clients"],
        results["workloads"],
        results["images"],
        (out / "RESULTS.md").read_text(),
    )


@pytest.mark.timeout(180)
def test_every_workload_has_every_installed_client(quick_run: QuickRun) -> None:
    clients = quick_run.clients
    assert set(clients) == set(_load_clients().CLIENTS)
    # Our own clients and the floor are always installed here; peers may be reported missing.
    for name in ("raw httpx", *OURS):
        assert clients[name] == "ok"
    workloads = quick_run.workloads
    for workload in WORKLOADS:
        assert set(workloads[workload]) >= {n for n, state in clients.items() if state == "ok"}


@pytest.mark.timeout(180)
def test_figures_are_what_working_clients_produce(quick_run: QuickRun) -> None:
    workloads, images = quick_run.workloads, quick_run.images
    for name, row in workloads["W1"].items():
        assert row["cpu_ms"] > 0 and row["wall_ms"] > 0, name
        # The base64 image went over the wire.
        assert row["request_bytes"] > images["W1"]["base64"], name
    for name, row in workloads["W2"].items():
        # Like with like: both are medians over the same calls, and a call's first token
        # comes before its end (a sanity check of the measurement, never a speed check).
        assert 0 < row["ttft_ms"] <= row["wall_ms"], name
        assert row["ttft_ms_max"] <= row["wall_ms_max"], name
    for name, row in workloads["W3"].items():
        assert row["calls_per_s"] > 0, name
    w4 = workloads["W4"]
    plain_tokens = {row["image_tokens"] for key, row in w4.items() if "+optimize" not in key}
    assert len(plain_tokens) == 1 and plain_tokens.pop() > 0
    for name in OURS:
        assert w4[f"{name} +optimize"]["request_bytes"] < w4[name]["request_bytes"]
    for name, row in workloads["W5"].items():
        assert row["peak_growth_mib"] > 0, name
        assert row["payload_b64_mib"] == pytest.approx(images["W5"]["base64"] / 2**20), name


@pytest.mark.timeout(180)
def test_report_names_machine_workloads_clients_and_targets(quick_run: QuickRun) -> None:
    report = quick_run.report
    for heading in ("## Machine", "## Targets", *(f"### {w}:" for w in WORKLOADS)):
        assert heading in report
    assert "- nproc: " in report and "- python: " in report and "- date: " in report
    for name in quick_run.clients:
        assert f"- {name}: " in report
    assert "Quick mode" in report


def test_missing_peer_is_reported_not_installed() -> None:
    clients = _load_clients()
    clients.CLIENTS["absent peer"] = (object, "no_such_package_for_the_benchmark", False)
    assert clients.available("absent peer") is False
    assert clients.available("raw httpx") is True
