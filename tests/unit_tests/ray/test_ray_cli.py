"""``xai-vision batch --engine ray`` against the emulator: the local engine's ids and sources,
exit codes, ``--resume`` after a real Ctrl-C (a process that joins the session's Ray through
``RAY_ADDRESS``), a refused key or unknown model stopping the job before Ray runs anything,
and the key in no file written."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cli_batch import (
    batch_args,
    cli_command,
    cli_env,
    each_image_once,
    interrupted_run,
    read_records,
    write_images,
)
from report_helpers import check_report_of_batch, colour_folder
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.emulator import Emulator

runner = CliRunner()
#: A key the emulator accepts (any non-empty key) that no file may hold afterwards.
SECRET = "xai-ray-test-key-7f3a9c0d5e1b2468"


def chat_requests(emulator: Emulator) -> list[Any]:
    return [r for r in emulator.requests if r.path.endswith("/chat/completions")]


def files_holding(folder: Path, needle: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_ray_writes_the_local_engines_lines_and_resume_adds_only_what_is_missing(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 5)
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    local = runner.invoke(app, batch_args(xai_emulator, folder, local_out))
    assert local.exit_code == ExitCode.OK, local.output
    xai_emulator.clear_requests()

    args = [*batch_args(xai_emulator, folder, ray_out, "--engine", "ray", "--rps", "50")]
    args[args.index("--api-key") + 1] = SECRET
    first = runner.invoke(app, [*args, "--report", str(tmp_path / "report.html")])
    assert first.exit_code == ExitCode.OK, first.output
    assert "5 answered, 0 failed, 0 left, of 5 images" in first.stderr
    assert len(chat_requests(xai_emulator)) == 5

    def lines(out: Path) -> dict[str, tuple[Any, ...]]:
        return {r["id"]: (r["source"], r["answer"], r["error"]) for r in read_records(out)}

    assert lines(ray_out) == lines(local_out)  # same ids, sources and answers, one line each
    assert [list(r) for r in read_records(ray_out)] == [list(r) for r in read_records(local_out)]

    # A broken image joins the folder: --resume sends it alone and writes its error line.
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    before = ray_out.read_bytes()
    again = runner.invoke(app, [*args, "--resume"])
    assert again.exit_code == ExitCode.FAILED, again.output
    assert "5 already in" in again.stderr
    assert ray_out.read_bytes().startswith(before)
    records = read_records(ray_out)
    assert len(records) == 6 and Counter(r["id"] for r in records).most_common(1)[0][1] == 1
    assert records[-1]["error"]["type"] == "ImageDecodeError"
    assert len(chat_requests(xai_emulator)) == 5  # nothing sent again
    # --retry-failed sends the broken image again (it fails before any request) and swaps
    # its line in place: the file keeps one line per image.
    retried = runner.invoke(app, [*args, "--retry-failed"])
    assert retried.exit_code == ExitCode.FAILED, retried.output
    assert "1 with an error line" in retried.stderr
    assert [r["id"] for r in read_records(ray_out)] == [r["id"] for r in records]
    assert len(chat_requests(xai_emulator)) == 5
    # The key is in no file the command wrote (results, report), nor in Ray's own logs.
    assert files_holding(tmp_path, SECRET.encode()) == []
    session = Path(ray_cluster._private.worker._global_node.get_session_dir_path())
    assert files_holding(session / "logs", SECRET.encode()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_interrupted_ray_run_resumes_to_every_image_exactly_once(
    ray_cluster: Any, tmp_path: Path, sig: signal.Signals
) -> None:
    folder = tmp_path / "imgs"
    paths = write_images(folder, 24)
    out = tmp_path / "results.jsonl"
    env = {**cli_env(), "RAY_ADDRESS": ray_cluster.get_runtime_context().gcs_address}
    with Emulator(latency=0.05) as emulator:
        emulator.fail_next(3, status=429, retry_after_ms=5)
        args = batch_args(emulator, folder, out, "--engine", "ray", "--rps", "6")
        status, err = interrupted_run(
            args,
            lambda: out.exists() and out.read_bytes().count(b"\n") >= 3,
            "the ray batch wrote nothing in 30 s",
            env=env,
            sig=sig,
        )
        assert status == ExitCode.INTERRUPTED, err.decode()
        done_first = read_records(out)
        assert 3 <= len(done_first) < 24, "the interrupt must land mid-batch"
        sent_first = len(chat_requests(emulator))
        second = subprocess.run(
            cli_command([*args, "--resume"]), capture_output=True, env=env, timeout=90
        )
        assert second.returncode == ExitCode.OK, second.stderr.decode()
        sent_second = len(chat_requests(emulator)) - sent_first

    records = each_image_once(out, paths)
    assert all(r["error"] is None for r in records)
    # No image with a line after the first run was sent again.
    assert sent_second == 24 - len(done_first)


def test_a_refused_key_stops_before_any_image_is_sent(ray_cluster: Any, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 2)
    out = tmp_path / "out.jsonl"
    with Emulator(invalid_keys=["xai-revoked-key-123456"]) as emulator:
        args = batch_args(emulator, folder, out, "--engine", "ray")
        args[args.index("--api-key") + 1] = "xai-revoked-key-123456"
        result = runner.invoke(app, args)
        assert chat_requests(emulator) == []
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "Incorrect API key" in result.stderr
    assert not out.exists() or read_records(out) == []


def test_a_model_xai_does_not_know_stops_before_ray_runs_anything(
    ray_cluster: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 2)
    out = tmp_path / "out.jsonl"
    with Emulator() as emulator:
        args = batch_args(emulator, folder, out, "--engine", "ray", "--model", "grok-never-was")
        result = runner.invoke(app, args)
        paths = [r.path for r in emulator.requests]
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "grok-never-was" in result.stderr
    # The preflight alone: no model list for the actors, no image sent.
    assert paths == ["/v1/models/grok-never-was"]
    assert not out.exists() or read_records(out) == []


def test_max_cost_and_bad_limits_are_usage_errors(xai_emulator: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 1)
    for number, extra in enumerate((["--max-cost", "1"], ["--rps", "0"])):
        out = tmp_path / f"out{number}.jsonl"
        result = runner.invoke(
            app, batch_args(xai_emulator, folder, out, "--engine", "ray", *extra)
        )
        assert result.exit_code == ExitCode.USAGE, result.output
        assert extra[0] in result.stderr
    assert chat_requests(xai_emulator) == []


def test_report_of_a_ray_batch_shows_every_line_with_its_totals(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    folder = colour_folder(tmp_path / "imgs")
    result = runner.invoke(app, batch_args(xai_emulator, folder, out, "--engine", "ray"))
    assert result.exit_code == ExitCode.FAILED, result.output  # broken.png failed
    check_report_of_batch(out)
