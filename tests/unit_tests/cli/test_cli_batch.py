"""`xai-vision batch` over loopback: a real interrupt and --resume, 429s, failures that stay."""

from __future__ import annotations

import re
import signal
import socket
from pathlib import Path

import pytest
from cli_batch import (
    PROMPT,
    batch_args,
    cli_env,
    each_image_once,
    interrupted_run,
    read_records,
    resumed_run,
    write_images,
)
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.emulator import Emulator
from xai_vision.image_batch import image_id

runner = CliRunner()


def test_interrupted_batch_of_50_with_429s_resumes_to_every_image_exactly_once(
    tmp_path: Path,
) -> None:
    paths = write_images(tmp_path / "imgs", 50)
    out = tmp_path / "results.jsonl"
    with Emulator(latency=0.15) as emulator:
        emulator.fail_next(8, status=429, retry_after=0)
        emulator.fail_next(4, status=429)  # no Retry-After: the client's own backoff
        args = batch_args(
            emulator, tmp_path / "imgs", out, "--concurrency", "3", "--max-retries", "10"
        )
        status, first_err = interrupted_run(
            args,
            lambda: out.exists() and out.read_bytes().count(b"\n") >= 10,
            "the batch wrote nothing in 30 s",
        )
        assert status == ExitCode.INTERRUPTED, first_err.decode()
        assert b"--resume" in first_err
        written = out.read_bytes()
        done_first = read_records(out)
        assert 10 <= len(done_first) < 50, "the interrupt must land mid-batch"
        # One summary, one count: what the file holds, and what is left for --resume.
        left = 50 - len(done_first)
        summary = first_err.decode()
        assert f"{len(done_first)} answered, 0 failed, {left} left, of 50 images" in summary
        assert f"interrupted: {left} images left" in summary
        assert set(re.findall(r"(\d+) (?:images )?left", summary)) == {str(left)}

        # A torn write from a crash: half a line with no newline at the end.
        pending = next(
            p for p in paths if str(p.resolve()) not in {r["source"] for r in done_first}
        )
        out.write_bytes(written + b'{"source": "' + str(pending.resolve()).encode() + b'", "answ')
        emulator.fail_next(6, status=429, retry_after_ms=20)

        second_err = resumed_run(args)
        assert b"repaired" in second_err
        assert f"{len(done_first)} already in".encode() in second_err
        chat_requests = [r for r in emulator.requests if r.path.endswith("/chat/completions")]

    assert out.read_bytes().startswith(written), "lines from the first run must be kept as is"
    records = each_image_once(out, paths)
    for record in records:
        assert record["error"] is None, record
        assert f"You asked: {PROMPT}" in record["answer"]
        assert record["usage"]["image_tokens"] > 0
    # Every injected 429 was served (and retried through): 50 answers + 18 faults at least.
    assert len(chat_requests) >= 50 + 18


@pytest.mark.parametrize("background", [False, True], ids=["foreground", "ctrl_c_ignored"])
def test_sigterm_stops_a_batch_like_ctrl_c_and_resume_finishes_it(
    tmp_path: Path, background: bool
) -> None:
    """``kill`` / ``docker stop``: whole lines, the summary and --resume, as after Ctrl-C; also
    in a background job, where Ctrl-C itself is ignored."""
    paths = write_images(tmp_path / "imgs", 30)
    out = tmp_path / "results.jsonl"
    with Emulator(latency=0.15) as emulator:
        args = batch_args(emulator, tmp_path / "imgs", out, "--concurrency", "2")
        status, err = interrupted_run(
            args,
            lambda: out.exists() and out.read_bytes().count(b"\n") >= 4,
            "the batch wrote nothing in 30 s",
            sig=signal.SIGTERM,
            background=background,
        )
        assert status == ExitCode.INTERRUPTED, err.decode()
        written = out.read_bytes()
        done_first = read_records(out)
        assert 4 <= len(done_first) < 30, "SIGTERM must land mid-batch"
        assert written.endswith(b"\n")
        assert f"interrupted: {30 - len(done_first)} images left" in err.decode()
        resumed_run(args)
    assert out.read_bytes().startswith(written)
    each_image_once(out, paths)


def test_batch_writes_failures_once_and_resume_skips_them(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 3)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, batch_args(xai_emulator, folder, out), env={"XAI_API_KEY": None})
    assert result.exit_code == ExitCode.FAILED, result.output
    records = read_records(out)
    assert len(records) == 4
    failed = [r for r in records if r["error"]]
    assert [Path(r["source"]).name for r in failed] == ["broken.png"]
    assert failed[0]["error"]["type"] == "ImageDecodeError"
    assert "broken.png" in failed[0]["error"]["message"]
    assert "3 answered, 1 failed" in result.stderr
    requests_before = len(xai_emulator.requests)

    again = runner.invoke(app, [*batch_args(xai_emulator, folder, out), "--resume"])
    # The file still holds an error line: --resume exits 1 too, as the first run did.
    assert again.exit_code == ExitCode.FAILED, again.output
    assert "4 already in" in again.stderr
    assert "1 image failed" in again.stderr and "--retry-failed" in again.stderr
    assert len(read_records(out)) == 4
    assert len(xai_emulator.requests) == requests_before


def test_batch_leaves_temporary_failures_for_resume(xai_emulator: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 3)
    out = tmp_path / "out.jsonl"
    xai_emulator.fail_next(3, status=503)
    args = batch_args(xai_emulator, folder, out, "--max-retries", "0", "--concurrency", "1")
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.FAILED, result.output
    assert out.read_bytes() == b""  # nothing written: a 503 is not the image's fault
    assert "3 images hit temporary errors" in result.stderr

    resumed = runner.invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert sorted(Path(r["source"]).name for r in read_records(out)) == [
        "img_000.png", "img_001.png", "img_002.png",
    ]  # fmt: skip


def test_batch_network_failure_exits_5_and_leaves_every_image_for_resume(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 3)
    out = tmp_path / "out.jsonl"
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [
        "batch", str(folder), "-p", PROMPT, "--out", str(out), "--api-key", "k",
        "--base-url", f"http://127.0.0.1:{port}/v1", "--max-retries", "0",
    ]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.NETWORK, result.output
    assert "3 images hit temporary errors" in result.stderr
    assert out.read_bytes() == b""


def test_batch_stops_on_a_refused_key_without_writing(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 5)
    out = tmp_path / "out.jsonl"
    with Emulator(valid_keys=["the-right-key"]) as emulator:
        args = batch_args(emulator, folder, out)
        result = runner.invoke(app, args)  # emulator.api_key is not the right key
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "API key" in result.stderr
    assert out.read_bytes() == b""


def test_batch_refuses_to_overwrite_without_a_flag(xai_emulator: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 2)
    out = tmp_path / "out.jsonl"
    out.write_text('{"source": "/elsewhere.png"}\n')
    result = runner.invoke(app, batch_args(xai_emulator, folder, out))
    assert result.exit_code == ExitCode.USAGE
    assert "--resume" in result.stderr and "--overwrite" in result.stderr
    assert out.read_text() == '{"source": "/elsewhere.png"}\n'
    assert xai_emulator.requests == []

    fresh = runner.invoke(app, [*batch_args(xai_emulator, folder, out), "--overwrite"])
    assert fresh.exit_code == 0, fresh.output
    assert len(read_records(out)) == 2


def test_batch_without_key_exits_3(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 1)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        [
            "batch",
            str(folder),
            "-p",
            PROMPT,
            "--out",
            str(out),
            "--base-url",
            "http://127.0.0.1:9/v1",
        ],
        env={"XAI_API_KEY": None},
    )
    assert result.exit_code == ExitCode.MISSING_KEY, result.output
    assert "XAI_API_KEY" in result.stderr and "--emulator" in result.stderr


def test_batch_emulator_runs_without_a_key(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    paths = write_images(folder, 3)
    out = tmp_path / "out.jsonl"
    no_key: dict[str, str | None] = {"XAI_API_KEY": None, "XAI_BASE_URL": None}
    result = runner.invoke(
        app, ["batch", str(folder), "-p", PROMPT, "--out", str(out), "--emulator"], env=no_key
    )
    assert result.exit_code == 0, result.output
    assert "--emulator: answering from the local emulator" in result.stderr
    records = read_records(out)
    assert sorted(r["source"] for r in records) == [str(p.resolve()) for p in paths]
    assert all(r["error"] is None and f"You asked: {PROMPT}" in r["answer"] for r in records)


def test_batch_summary_totals_tokens(xai_emulator: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 4)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, batch_args(xai_emulator, folder, out, "--detail", "low"))
    assert result.exit_code == 0, result.output
    records = read_records(out)
    image_tokens = sum(r["usage"]["image_tokens"] for r in records)
    total = sum(r["usage"]["total_tokens"] for r in records)
    assert image_tokens == 4 * 256  # low detail: one tile per image
    assert f"image tokens {image_tokens}" in result.stderr
    assert f"total {total}" in result.stderr
    assert "cost $" in result.stderr


def test_batch_prints_paths_with_brackets_as_they_are(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    folder = tmp_path / "[red] shots"
    write_images(folder, 2)
    out = tmp_path / "[out].jsonl"
    result = runner.invoke(app, batch_args(xai_emulator, folder, out))
    assert result.exit_code == 0, result.output
    assert "[out].jsonl" in result.stderr  # rich markup would have eaten "[out]"
    assert {Path(r["source"]).parent.name for r in read_records(out)} == {"[red] shots"}


def test_every_line_has_an_id_that_stays_across_runs_and_resumes(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    folder = tmp_path / "imgs"
    paths = write_images(folder, 3)
    out = tmp_path / "out.jsonl"
    args = batch_args(xai_emulator, folder, out, "--concurrency", "1")
    assert runner.invoke(app, args).exit_code == 0
    first = read_records(out)
    assert [r["source"] for r in first] == [str(p.resolve()) for p in paths]  # as before ids
    assert [r["id"] for r in first] == [image_id(str(p.resolve())) for p in paths]
    assert len({r["id"] for r in first}) == 3

    # Drop the middle line: --resume writes it again, with the same id.
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0] + lines[2])
    assert runner.invoke(app, [*args, "--resume"]).exit_code == 0
    assert read_records(out)[-1]["id"] == first[1]["id"]

    # A fresh run over the same images (listed twice, in another order) gives the same ids.
    again = batch_args(xai_emulator, folder, out, "--overwrite", "--concurrency", "1")
    again[1:2] = [str(paths[2]), str(folder), str(paths[0])]
    assert runner.invoke(app, again).exit_code == 0
    assert [r["id"] for r in read_records(out)] == [first[2]["id"], first[0]["id"], first[1]["id"]]


def test_batch_on_the_responses_endpoint(xai_emulator: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 3)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, batch_args(xai_emulator, folder, out, "--api", "responses"), env=cli_env()
    )
    assert result.exit_code == 0, result.output
    assert {r.path for r in xai_emulator.requests} == {"/v1/responses"}
    records = read_records(out)
    assert len(records) == 3 and all(r["answer"] and not r["error"] for r in records)
    assert all(r["usage"]["image_tokens"] > 0 for r in records)
    assert all(r["usage"]["image_tokens_estimated"] is True for r in records)
