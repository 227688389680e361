"""The report in a real browser (headless Chromium): thumbnails drawn, script runs, answers inert.

Needs Debian's ``chromium`` package (``.ci/run`` installs it). Chromium runs offline: every
request would go to a proxy on a closed loopback port, and the page asks for none.
"""

from __future__ import annotations

import shutil
import subprocess
from itertools import count
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from report_helpers import (
    CHROMIUM_FLAGS,
    Node,
    answered,
    entries,
    failed,
    image_file,
    parse_html,
    write_jsonl,
)
from xai_vision.report import write_report
from xai_vision.samples import sample_path

FLAGS = CHROMIUM_FLAGS
_profiles = count()


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed: apt-get install chromium (.ci/run installs it)")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / f"chromium-profile-{next(_profiles)}"  # a fresh profile each run
    result = subprocess.run(
        [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result


def _screenshot(tmp_path: Path, page: Path, size: tuple[int, int]) -> Image.Image:
    shot = tmp_path / "shot.png"
    _run(tmp_path, f"--window-size={size[0]},{size[1]}", f"--screenshot={shot}", page.as_uri())
    with Image.open(shot) as image:
        return image.convert("RGB")


def _dom(tmp_path: Path, page: Path, fragment: str = "") -> Node:
    """The page's DOM after its script ran (``--dump-dom``)."""
    result = _run(tmp_path, "--dump-dom", page.as_uri() + fragment)
    return parse_html(result.stdout.decode("utf-8"))


def _pixels_near(image: Image.Image, color: tuple[int, int, int], tolerance: int) -> int:
    """How many pixels of ``image`` are within ``tolerance`` of ``color`` in every channel."""
    red, green, blue = (
        channel.point(lambda value, c=c: 255 if abs(value - c) <= tolerance else 0)
        for channel, c in zip(image.split(), color, strict=True)
    )
    return ImageChops.multiply(ImageChops.multiply(red, green), blue).histogram()[255]


GREEN_SQUARE = (30, 170, 60)  # the bundled green_square.png, one colour
APPLE_RED = (200, 20, 30)  # the body of the bundled apple.png
MAGENTA = (230, 0, 230)
ORANGE = (255, 140, 0)


def test_the_screenshot_shows_every_thumbnail_and_a_placeholder_for_a_lost_image(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for name in ("green_square.png", "apple.png", "sky.jpg"):
        shutil.copy(sample_path(name), folder / name)
    image_file(folder / "magenta.png", MAGENTA, size=(120, 90))
    lost = image_file(folder / "orange.png", ORANGE, size=(120, 90))
    names = ["green_square.png", "apple.png", "sky.jpg", "magenta.png", "orange.png"]
    results = write_jsonl(
        tmp_path / "results.jsonl",
        [answered(f"imgs/{name}", f"This is {name}.") for name in names],
    )
    lost.unlink()  # moved away after the batch: the report shows a placeholder
    report = write_report(results, tmp_path / "report.html").path

    shot = _screenshot(tmp_path, report, (1280, 2200))
    assert shot.size == (1280, 2200)
    # Each shown thumbnail is drawn at its own size (one px per px at scale factor 1).
    assert _pixels_near(shot, GREEN_SQUARE, 4) >= 0.9 * 128 * 128
    assert _pixels_near(shot, MAGENTA, 4) >= 0.9 * 120 * 90
    assert _pixels_near(shot, APPLE_RED, 14) >= 8_000  # a JPEG thumbnail: near, not exact
    # The lost image's colour is nowhere; its card shows the placeholder instead.
    assert _pixels_near(shot, ORANGE, 14) == 0
    dom = _dom(tmp_path, report)
    lost_card = entries(dom)[4]
    assert lost_card.find("figure", "placeholder") is not None
    assert "file not found" in lost_card.text()


def test_filter_and_search_run_in_the_browser(tmp_path: Path) -> None:
    image_file(tmp_path / "a.png")
    results = write_jsonl(
        tmp_path / "results.jsonl",
        [
            answered("a.png", "A red apple on a table."),
            answered("b.png", "A blue sky over hills."),
            failed("c.png", message="corrupt PNG file"),
            answered("d.png", "Another APPLE, green this time."),
        ],
    )
    report = write_report(results, tmp_path / "report.html").path

    def visible(fragment: str) -> tuple[list[str], str]:
        dom = _dom(tmp_path, report, fragment)
        lines = [c.attrs["data-line"] or "" for c in entries(dom) if "hidden" not in c.attrs]
        shown = dom.find(id="shown")
        assert shown is not None
        return lines, shown.text()

    assert visible("") == (["1", "2", "3", "4"], "4 of 4 shown")
    assert visible("#filter=failed") == (["3"], "1 of 4 shown")
    assert visible("#filter=answered") == (["1", "2", "4"], "3 of 4 shown")
    assert visible("#q=apple") == (["1", "4"], "2 of 4 shown")  # any case
    assert visible("#q=corrupt%20png") == (["3"], "1 of 4 shown")  # errors too
    assert visible("#filter=failed&q=apple") == ([], "0 of 4 shown")
    no_match = _dom(tmp_path, report, "#q=zebra").find(id="no-match")
    assert no_match is not None and "hidden" not in no_match.attrs


def test_markup_in_answers_never_runs_in_the_browser(tmp_path: Path) -> None:
    attack = (
        "<script>document.title='pwned'</script>"
        "<img src=x onerror=\"document.title='pwned'\">"
        "<svg onload=\"document.title='pwned'\"></svg>"
    )
    results = write_jsonl(
        tmp_path / "results.jsonl",
        [answered("a.png", attack), failed("b.png", kind=attack, message=attack), attack],
    )
    report = write_report(results, tmp_path / "report.html").path
    dom = _dom(tmp_path, report)
    title = dom.find("title")
    assert title is not None and title.text() == "Batch report: results.jsonl"
    # The page's own script did run (it rewrites the count); the attack is text in its card.
    shown = dom.find(id="shown")
    assert shown is not None and shown.text() == "3 of 3 shown"
    first = entries(dom)[0].find("div", "answer")
    assert first is not None and first.text() == attack
    assert not any(name.startswith("on") for node in dom.iter() for name in node.attrs)
