"""`xai-vision report`: a real batch's results (on the emulator) become one HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_helpers import check_report_of_batch, colour_folder, report_cards
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.emulator import Emulator

runner = CliRunner()


#: Every batch engine's options on this machine (each writes the one results contract).
ENGINES = {
    "local": [],
    "xai-batch": ["--engine", "xai-batch", "--poll-interval", "0.05"],
}


def _batch(emulator: Emulator, folder: Path, out: Path, engine: str = "local") -> None:
    result = runner.invoke(
        app,
        [
            "batch", str(folder), "-p", "What colour?", "--out", str(out),
            "--base-url", emulator.base_url, "--api-key", emulator.api_key, *ENGINES[engine],
        ],
    )  # fmt: skip
    assert result.exit_code == ExitCode.FAILED, result.output  # broken.png failed


@pytest.mark.parametrize("engine", ENGINES)
def test_report_of_a_real_batch_shows_every_line_with_its_totals(
    xai_emulator: Emulator, tmp_path: Path, engine: str
) -> None:
    out = tmp_path / "results.jsonl"
    _batch(xai_emulator, colour_folder(tmp_path / "imgs"), out, engine)
    check_report_of_batch(out)


def test_report_of_an_interrupted_run_notes_the_torn_line(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    _batch(xai_emulator, colour_folder(tmp_path / "imgs"), out)
    with out.open("a") as handle:
        handle.write('{"source": "/x/img_9.png", "answer": "half of a')
    page = tmp_path / "page.html"
    result = runner.invoke(app, ["report", str(out), "--out", str(page), "--title", "Shelf"])
    assert result.exit_code == 0, result.output
    assert "note: line 5 is cut short (the run was interrupted while writing it)" in result.stderr
    html = page.read_text(encoding="utf-8")
    assert ("5", "broken") in report_cards(html)
    assert "<title>Shelf</title>" in html
    assert "5 images, 3 answered, 2 failed" in result.stderr


def test_report_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["report", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == ExitCode.USAGE
    assert "nope.jsonl: no such results file" in missing.stderr
    assert "Traceback" not in missing.output

    notes = tmp_path / "notes.txt"
    notes.write_text("milk\neggs\n")
    foreign = runner.invoke(app, ["report", str(notes)])
    assert foreign.exit_code == ExitCode.USAGE
    assert "not a batch results file" in foreign.stderr

    results = tmp_path / "r.jsonl"
    results.write_text('{"source": "a.png", "answer": "x", "usage": null, "error": null}\n')
    same = runner.invoke(app, ["report", str(results), "--out", str(results)])
    assert same.exit_code == ExitCode.USAGE
    assert "would overwrite the results file" in same.stderr
    assert results.read_text().startswith('{"source": "a.png"')


def test_batch_writes_the_report_at_its_end(xai_emulator: Emulator, tmp_path: Path) -> None:
    out, page = tmp_path / "results.jsonl", tmp_path / "page.html"
    result = runner.invoke(
        app,
        [
            "batch", str(colour_folder(tmp_path / "imgs")), "-p", "What colour?", "--out", str(out),
            "--base-url", xai_emulator.base_url, "--api-key", xai_emulator.api_key,
            "--report", str(page),
        ],
    )  # fmt: skip
    assert result.exit_code == ExitCode.FAILED, result.output  # broken.png: the batch's own code
    records = [json.loads(line) for line in out.read_text().splitlines()]
    html = page.read_text(encoding="utf-8")
    assert sorted(report_cards(html)) == sorted(
        (str(n), "failed" if r["error"] else "answered") for n, r in enumerate(records, 1)
    )
    assert f"wrote {page}" in result.output.replace("\n", "")
