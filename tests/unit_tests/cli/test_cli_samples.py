"""`xai-vision samples [DIR]`: the bundled samples copied out, never clobbering a different file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.samples import SAMPLE_NAMES, sample_path

runner = CliRunner()


def test_samples_copies_every_sample_into_a_new_folder(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "samples"
    result = runner.invoke(app, ["samples", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(SAMPLE_NAMES)
    assert set(SAMPLE_NAMES) == {"apple.png", "sky.jpg", "receipt.png", "green_square.png"}
    for name in SAMPLE_NAMES:
        assert (folder / name).read_bytes() == sample_path(name).read_bytes()
        assert f"wrote {folder / name}" in result.stdout
    assert "--emulator" in result.stderr  # what to try next


def test_samples_defaults_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["samples"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SAMPLE_NAMES)
    assert "wrote apple.png" in result.stdout


def test_samples_skips_a_different_file_unless_forced(tmp_path: Path) -> None:
    mine = tmp_path / "apple.png"
    mine.write_bytes(b"my own apple")
    (tmp_path / "sky.jpg").write_bytes(sample_path("sky.jpg").read_bytes())
    (tmp_path / "receipt.png").mkdir()  # not a file: skipped even with --force

    result = runner.invoke(app, ["samples", str(tmp_path)])
    assert result.exit_code == ExitCode.FAILED, result.output
    assert mine.read_bytes() == b"my own apple"
    assert f"skipped {mine}" in result.stderr and "--force" in result.stderr
    assert f"skipped {tmp_path / 'receipt.png'}" in result.stderr
    assert f"unchanged {tmp_path / 'sky.jpg'}" in result.stdout
    assert f"wrote {tmp_path / 'green_square.png'}" in result.stdout
    assert result.stdout.count("wrote ") == 1

    forced = runner.invoke(app, ["samples", str(tmp_path), "--force"])
    assert forced.exit_code == ExitCode.FAILED, forced.output  # the folder is still in the way
    assert mine.read_bytes() == sample_path("apple.png").read_bytes()
    assert f"wrote {mine}" in forced.stdout
    assert f"skipped {mine}" not in forced.stderr


def test_samples_force_replaces_a_symlink_not_its_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"not yours to overwrite")
    folder = tmp_path / "here"
    folder.mkdir()
    (folder / "apple.png").symlink_to(outside)
    result = runner.invoke(app, ["samples", str(folder), "--force"])
    assert result.exit_code == 0, result.output
    assert outside.read_bytes() == b"not yours to overwrite"
    assert not (folder / "apple.png").is_symlink()
    assert (folder / "apple.png").read_bytes() == sample_path("apple.png").read_bytes()


def test_samples_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "a_file"
    target.write_bytes(b"x")
    result = runner.invoke(app, ["samples", str(target)])
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "a_file" in result.stderr and "folder" in result.stderr
    assert target.read_bytes() == b"x"
