"""`xai-vision batch --retry-failed` and the exit rules, over loopback with emulator faults.

Error lines come from the emulator's fault controls (``fail_next`` with a status xAI does not
retry: 400, 413), so they are real xAI-shaped errors written by the batch itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_batch import batch_args, interrupted_run, read_records, result_lines, write_images
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.emulator import Emulator

runner = CliRunner()


def _size(path: Path) -> str:
    index = int(path.stem.split("_")[1])
    return f"{24 + index}x{16 + index} png"


def _args(emulator: Emulator, folder: Path, out: Path, *extra: str) -> list[str]:
    """The batch command line, one image at a time (errors land on the first images)."""
    return batch_args(emulator, folder, out, "--concurrency", "1", *extra)


def _chats(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/chat/completions"))


def _batch_with_errors(emulator: Emulator, tmp_path: Path, count: int, statuses: list[int]) -> Path:
    """A finished batch of ``count`` images whose first ``len(statuses)`` got those errors."""
    folder = tmp_path / "imgs"
    write_images(folder, count)
    out = tmp_path / "out.jsonl"
    for status in statuses:
        emulator.fail_next(1, status=status)
    result = runner.invoke(app, _args(emulator, folder, out))
    assert result.exit_code == ExitCode.FAILED, result.output
    count_failed = len(statuses)
    assert (
        f"{count_failed} images" if count_failed > 1 else "1 image"
    ) + " failed" in result.stderr
    return out


def test_retry_failed_replaces_exactly_the_error_lines_in_place(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    out = _batch_with_errors(xai_emulator, tmp_path, 6, [400, 413])
    before_lines = result_lines(out)
    before = read_records(out)
    failed = [i for i, r in enumerate(before) if r["error"]]
    assert failed == [0, 1]
    assert before[1]["error"]["status_code"] == 413
    inode = out.stat().st_ino
    out.chmod(0o640)

    resumed = runner.invoke(app, [*_args(xai_emulator, tmp_path / "imgs", out), "--resume"])
    assert resumed.exit_code == ExitCode.FAILED, resumed.output  # the same rule as a plain run
    assert "2 images failed" in resumed.stderr and "--retry-failed" in resumed.stderr

    sent_before = _chats(xai_emulator)
    retried = runner.invoke(app, [*_args(xai_emulator, tmp_path / "imgs", out), "--retry-failed"])
    assert retried.exit_code == 0, retried.output
    assert _chats(xai_emulator) - sent_before == 2  # only the two failed images went out
    after_lines = result_lines(out)
    after = read_records(out)
    assert len(after_lines) == len(before_lines)
    for i, line in enumerate(after_lines):
        if i in failed:
            # Same image, same id, same place; now answered about that very image.
            assert after[i]["id"] == before[i]["id"]
            assert after[i]["source"] == before[i]["source"]
            assert after[i]["error"] is None
            assert _size(Path(after[i]["source"])) in after[i]["answer"]
        else:
            assert line == before_lines[i]  # byte for byte
    # Written beside and moved over: a new file, the old mode, no temporary left behind.
    assert out.stat().st_ino != inode
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "out.jsonl"]
    assert "6 answered, 0 failed, 0 left, of 6 images" in retried.stderr


def test_retry_failed_that_fails_again_keeps_a_line_and_exits_1(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    out = _batch_with_errors(xai_emulator, tmp_path, 4, [413, 413])
    before_lines = result_lines(out)
    xai_emulator.fail_next(1, status=400)  # the first retry fails again, differently
    retried = runner.invoke(app, [*_args(xai_emulator, tmp_path / "imgs", out), "--retry-failed"])
    assert retried.exit_code == ExitCode.FAILED, retried.output
    assert "1 image failed" in retried.stderr
    after = read_records(out)
    assert [r["error"] and r["error"]["status_code"] for r in after] == [400, None, None, None]
    assert result_lines(out)[2:] == before_lines[2:]


def test_retry_failed_keeps_old_lines_on_temporary_errors(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    out = _batch_with_errors(xai_emulator, tmp_path, 3, [400])
    before = out.read_bytes()
    xai_emulator.fail_next(1, status=503)
    args = [*_args(xai_emulator, tmp_path / "imgs", out), "--retry-failed", "--max-retries", "0"]
    retried = runner.invoke(app, args)
    assert retried.exit_code == ExitCode.FAILED, retried.output
    assert out.read_bytes() == before  # nothing to replace: the file is untouched
    assert "1 image hit temporary errors" in retried.stderr
    assert "--retry-failed" in retried.stderr


def test_retry_failed_leaves_images_without_a_line_to_resume(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    out = _batch_with_errors(xai_emulator, tmp_path, 3, [400])
    lines = result_lines(out)
    out.write_bytes(lines[0] + lines[1])  # the last image has no line now
    retried = runner.invoke(app, [*_args(xai_emulator, tmp_path / "imgs", out), "--retry-failed"])
    assert retried.exit_code == ExitCode.FAILED, retried.output  # not every image is answered
    assert "2 answered, 0 failed, 1 left, of 3 images" in retried.stderr
    assert "--resume" in retried.stderr
    assert len(result_lines(out)) == 2

    resumed = runner.invoke(app, [*_args(xai_emulator, tmp_path / "imgs", out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert len({r["id"] for r in read_records(out)}) == 3


def test_retry_failed_usage_errors_send_nothing(xai_emulator: Emulator, tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    write_images(folder, 2)
    out = tmp_path / "out.jsonl"
    missing = runner.invoke(app, [*_args(xai_emulator, folder, out), "--retry-failed"])
    assert missing.exit_code == ExitCode.USAGE
    assert "nothing to retry" in missing.stderr
    both = runner.invoke(app, [*_args(xai_emulator, folder, out), "--retry-failed", "--resume"])
    assert both.exit_code == ExitCode.USAGE
    assert "exclude each other" in both.stderr

    # An image to retry with two lines: replacing both would write it twice.
    out = _batch_with_errors(xai_emulator, tmp_path, 2, [400])
    lines = result_lines(out)
    out.write_bytes(lines[0] + lines[1] + lines[0])
    sent = _chats(xai_emulator)
    twice = runner.invoke(app, [*_args(xai_emulator, folder, out), "--retry-failed"])
    assert twice.exit_code == ExitCode.USAGE, twice.output
    assert "more than one line" in twice.stderr
    assert out.read_bytes() == lines[0] + lines[1] + lines[0]
    assert _chats(xai_emulator) == sent


def test_interrupted_retry_keeps_what_it_got_and_loses_nothing(tmp_path: Path) -> None:
    with Emulator() as emulator:
        out = _batch_with_errors(emulator, tmp_path, 12, [400] * 12)
        before_lines = result_lines(out)
        emulator.set_latency(0.3)
        sent = _chats(emulator)
        status, err = interrupted_run(
            _args(emulator, tmp_path / "imgs", out, "--retry-failed"),
            lambda: _chats(emulator) >= sent + 3,
            "the retry sent nothing in 30 s",
        )
    assert status == ExitCode.INTERRUPTED, err.decode()
    after_lines = result_lines(out)
    after = read_records(out)
    assert len(after_lines) == 12
    answered = [i for i, r in enumerate(after) if r["error"] is None]
    assert 2 <= len(answered) < 12, "the interrupt must land mid-retry"
    for i, line in enumerate(after_lines):
        if i in answered:
            assert after[i]["id"] == json.loads(before_lines[i])["id"]
        else:
            assert line == before_lines[i]
    assert f"{len(answered)} answered, {12 - len(answered)} failed, 0 left" in err.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "out.jsonl"]
