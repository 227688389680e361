"""The HTML page, parsed: every line once, small thumbnails, escaping, totals, no network."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from report_helpers import (
    WIRE_USAGE,
    Node,
    answered,
    entries,
    failed,
    flat_usage,
    image_file,
    read_page,
    write_jsonl,
)
from xai_vision.errors import RequestValidationError
from xai_vision.report import THUMBNAIL_EDGE, read_results, render_report, write_report
from xai_vision.report.thumbnails import MAX_THUMBNAIL_EDGE, THUMBNAIL_MAX_BYTES

HOSTILE = (
    '</div></script><script>document.title="pwned"</script>'
    "<img src=x onerror=\"document.title='pwned'\"> & \"quotes\" 'single' {{ 7*7 }}"
)


def _decode(uri: str) -> tuple[str, Image.Image, int]:
    header, _, payload = uri.partition(",")
    data = base64.b64decode(payload, validate=True)
    image = Image.open(io.BytesIO(data))
    image.load()
    return header, image, len(data)


def _photo(path: Path, size: tuple[int, int], seed: int = 0) -> Path:
    """A photograph-like JPEG: gradients and noise, which compress like a real photo."""
    import random

    rng = random.Random(seed)
    small = Image.new("RGB", (size[0] // 8, size[1] // 8))
    small.putdata(
        [
            (x * 255 // small.width, y * 255 // small.height, rng.randrange(256))
            for y in range(small.height)
            for x in range(small.width)
        ]
    )
    image = small.resize(size, Image.Resampling.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=92)
    return path


def _near(pixel: Any, expected: tuple[int, ...], tolerance: int = 8) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def _totals(page: Node) -> dict[str, str | None]:
    return {
        node.attrs["data-total"] or "": node.attrs.get("data-value")
        for node in page.find_all()
        if "data-total" in node.attrs
    }


# --------------------------------------------------------------------------- every line once


def test_every_line_is_one_entry_once_in_order_duplicates_kept(tmp_path: Path) -> None:
    red = image_file(tmp_path / "red.png", (220, 20, 30))
    records: list[dict[str, Any] | str] = [
        answered(str(red), "first"),
        failed(str(tmp_path / "bad.png")),
        answered(str(red), "second time, same source"),
        answered("https://example.com/x.jpg"),
        '{"source": "' + str(red) + '", "answer": "cut',
    ]
    results = write_jsonl(tmp_path / "results.jsonl", records)
    summary = write_report(results, tmp_path / "report.html")
    page = read_page(tmp_path / "report.html")
    cards = entries(page)
    assert [c.attrs["data-line"] for c in cards] == ["1", "2", "3", "4", "5"]
    assert [c.attrs["data-status"] for c in cards] == [
        "answered", "failed", "answered", "answered", "broken",
    ]  # fmt: skip
    assert len({c.attrs["id"] for c in cards}) == 5
    # The same source on lines 1, 3 and 5: each card has its own thumbnail.
    assert all(cards[i].find("img") is not None for i in (0, 2, 4))
    assert cards[0].find("div", "answer").text() == "first"
    assert cards[2].find("div", "answer").text() == "second time, same source"
    assert (summary.entries, summary.answered, summary.failed, summary.broken) == (5, 3, 1, 1)
    assert (summary.thumbnails, summary.placeholders) == (3, 2)
    data = json.loads(page.find("script", id="report-data").text())
    assert [e["line"] for e in data["entries"]] == [1, 2, 3, 4, 5]


def test_the_torn_last_line_is_shown_as_a_broken_entry_with_a_notice(tmp_path: Path) -> None:
    results = write_jsonl(
        tmp_path / "results.jsonl", [answered("a.png"), '{"source": "b.png", "answer": "A ca']
    )
    summary = write_report(results, tmp_path / "report.html")
    page = read_page(tmp_path / "report.html")
    notices = [n.text() for n in page.find_all("p", "notice")]
    assert notices == [
        "line 2 is cut short (the run was interrupted while writing it); "
        "it is shown as a broken entry"
    ]
    assert summary.notices == tuple(notices)
    broken = entries(page)[1]
    assert broken.attrs["data-status"] == "broken"
    assert broken.find("span", "name").text() == "b.png"
    assert broken.find("pre", "raw").text() == '{"source": "b.png", "answer": "A ca'


def test_an_empty_results_file_gives_an_empty_report(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_bytes(b"")
    summary = write_report(results, tmp_path / "report.html")
    page = read_page(tmp_path / "report.html")
    assert entries(page) == []
    assert summary.entries == 0
    assert "No results in this file yet." in page.find("main").text()


# --------------------------------------------------------------------------- thumbnails


def test_thumbnails_are_small_jpeg_or_png_that_decode(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    sources = [
        _photo(folder / "photo.jpg", (2400, 1600)),
        image_file(folder / "tall.png", (10, 120, 200), size=(300, 900)),
        image_file(folder / "alpha.png", (0, 200, 0, 128), size=(640, 480)),
        image_file(folder / "small.webp", (250, 200, 0), size=(40, 30), fmt="WEBP"),
        image_file(folder / "frame.gif", (0, 0, 255), size=(500, 100), fmt="GIF"),
        image_file(folder / "old.bmp", (90, 90, 90), size=(200, 200), fmt="BMP"),
    ]
    results = write_jsonl(tmp_path / "results.jsonl", [answered(str(s)) for s in sources])
    write_report(results, tmp_path / "report.html")
    cards = entries(read_page(tmp_path / "report.html"))
    seen = {}
    for card, source in zip(cards, sources, strict=True):
        img = card.find("img")
        assert img is not None, source.name
        header, image, size = _decode(img.attrs["src"] or "")
        assert header in ("data:image/jpeg;base64", "data:image/png;base64"), source.name
        assert max(image.size) <= MAX_THUMBNAIL_EDGE and size <= THUMBNAIL_MAX_BYTES
        assert (img.attrs["width"], img.attrs["height"]) == (str(image.width), str(image.height))
        seen[source.name] = (header, image)
    # Downscaled to the edge, aspect kept; small images are not enlarged.
    assert seen["photo.jpg"][1].size == (THUMBNAIL_EDGE, THUMBNAIL_EDGE * 2 // 3)
    assert seen["tall.png"][1].size == (THUMBNAIL_EDGE // 3, THUMBNAIL_EDGE)
    assert seen["small.webp"][1].size == (40, 30)
    # Transparency stays (PNG); the pictures are the sources' colours.
    assert seen["alpha.png"][0] == "data:image/png;base64"
    assert _near(seen["alpha.png"][1].convert("RGBA").getpixel((5, 5)), (0, 200, 0, 128), 2)
    assert _near(seen["tall.png"][1].convert("RGB").getpixel((20, 100)), (10, 120, 200), 2)
    assert _near(seen["small.webp"][1].convert("RGB").getpixel((20, 15)), (250, 200, 0))
    assert _near(seen["frame.gif"][1].convert("RGB").getpixel((20, 15)), (0, 0, 255))


def test_a_report_of_many_photos_stays_small(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "photo.jpg", (1600, 1200))
    folder = tmp_path / "imgs"
    folder.mkdir()
    records = []
    for i in range(40):
        copy = folder / f"p{i:02d}.jpg"
        copy.write_bytes(photo.read_bytes())
        records.append(answered(str(copy), "A gradient with noise. " * 10))
    summary = write_report(write_jsonl(tmp_path / "r.jsonl", records), tmp_path / "r.html")
    assert summary.thumbnails == 40
    # Under 10 KB an image all told (thumbnail, answer, usage, chart bar): 1,000 such photos
    # make a report under 10 MB.
    assert summary.size_bytes / 40 < 10_000, summary.size_bytes


def test_sources_resolve_against_the_results_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    image_file(run / "imgs" / "a.png", (1, 2, 3))
    write_jsonl(run / "results.jsonl", [answered("imgs/a.png")])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    summary = write_report(Path("../run/results.jsonl"), Path("report.html"))
    assert summary.thumbnails == 1
    card = entries(read_page(elsewhere / "report.html"))[0]
    _, image, _ = _decode(card.find("img").attrs["src"] or "")
    assert image.convert("RGB").getpixel((0, 0)) == (1, 2, 3)
    assert card.find("span", "name").text() == "a.png"


class _CountingHandler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        body = (Path(__file__).parent / "report_helpers.py").read_bytes()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def image_host() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that counts requests: a report must never fetch from it."""
    hits: list[str] = []
    handler = type("Handler", (_CountingHandler,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_unreadable_sources_get_an_inline_placeholder_and_urls_are_never_fetched(
    tmp_path: Path, image_host: tuple[str, list[str]]
) -> None:
    host, hits = image_host
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    sources = {
        "gone.png": "file not found",
        f"{host}/cat.png": "remote URL: not downloaded",
        "s3://bucket/x.png": "s3:// URL",
        "notes.txt": "not an image",
        "folder.png": "is a directory",
        "corrupt.png": "corrupt PNG",
    }
    results = write_jsonl(tmp_path / "results.jsonl", [answered(s) for s in sources])
    summary = write_report(results, tmp_path / "report.html")
    assert (summary.thumbnails, summary.placeholders) == (0, len(sources))
    page = read_page(tmp_path / "report.html")
    for card, reason in zip(entries(page), sources.values(), strict=True):
        assert card.find("img") is None
        placeholder = card.find("figure", "placeholder")
        assert placeholder is not None and placeholder.find("svg") is not None
        assert reason in placeholder.text(), (reason, placeholder.text())
    assert hits == []
    # A broken line with no source to recover: a placeholder, not the results folder.
    broken = write_jsonl(tmp_path / "broken.jsonl", [answered("gone.png"), "{not json"])
    write_report(broken, tmp_path / "broken.html")
    last = entries(read_page(tmp_path / "broken.html"))[1]
    assert "no source on this line" in last.find("figure", "placeholder").text()
    # The URL source is a link to click, never a resource the page loads.
    link = entries(page)[1].find("a", "name")
    assert link is not None and link.attrs["href"] == f"{host}/cat.png"
    assert "noopener" in (link.attrs["rel"] or "")


def test_the_page_loads_nothing_but_its_own_data_uris(tmp_path: Path) -> None:
    image_file(tmp_path / "a.png")
    results = write_jsonl(
        tmp_path / "results.jsonl",
        [answered("a.png"), answered("https://example.com/b.png"), failed("c.png")],
    )
    write_report(results, tmp_path / "report.html")
    page = read_page(tmp_path / "report.html")
    for node in page.iter():
        for name in ("src", "srcset", "poster", "data", "background", "xlink:href"):
            value = node.attrs.get(name)
            assert value is None or value.startswith(("data:image/jpeg;", "data:image/png;")), (
                node.tag,
                name,
            )
        if node.tag in ("link", "iframe", "object", "embed", "base", "use", "image"):
            pytest.fail(f"the page has a <{node.tag}>")
        if node.tag == "a":
            href = node.attrs["href"] or ""
            assert href.startswith("#line-") or href == "https://example.com/b.png", href
    # Placeholders and the chart are inline SVG and CSS, not data: images.
    data_images = [n for n in page.find_all("img")]
    assert len(data_images) == 1
    style = page.find("style").text()
    assert "url(" not in style and "@import" not in style


# --------------------------------------------------------------------------- escaping


def test_answers_and_every_other_field_are_text_never_markup(tmp_path: Path) -> None:
    image_file(tmp_path / "a.png")
    hostile_name = tmp_path / ('x"><script>document.title="pwned"</script>.png')
    image_file(hostile_name)
    record = answered(str(hostile_name), HOSTILE) | {"id": HOSTILE, "model": HOSTILE}
    failure = failed("a.png", kind=HOSTILE, message=HOSTILE)
    results = write_jsonl(tmp_path / "results.jsonl", [record, failure, HOSTILE])
    html = (write_report(results, tmp_path / "report.html").path).read_text(encoding="utf-8")
    page = read_page(tmp_path / "report.html")
    scripts = page.find_all("script")
    assert [s.attrs.get("type") for s in scripts] == ["application/json", None]
    assert all(not name.startswith("on") for node in page.iter() for name in node.attrs)
    # Two thumbnails (both files exist); the <img> in the answers is text.
    assert len(page.find_all("img")) == 2
    previews = [f for f in page.find_all("figure", "thumb") if f.find("img") is not None]
    assert len(previews) == 2
    first, second, third = entries(page)
    assert first.find("div", "answer").text() == HOSTILE
    assert first.find("span", "model").text() == HOSTILE
    assert second.find("span", "etype").text() == HOSTILE
    assert second.find("p", "emsg").text() == HOSTILE
    assert third.find("pre", "raw").text() == HOSTILE
    assert page.find("title").text().startswith("Batch report")
    assert "{{ 7*7 }}" in first.find("div", "answer").text()
    # The page data holds the answer as JSON, closing no script early.
    data = json.loads(scripts[0].text())
    assert HOSTILE in data["entries"][0]["text"]
    assert html.count("</script>") == 2
    assert "<script>document" not in html and "<img src=x" not in html


def test_only_the_pages_own_script_may_run(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "results.jsonl", [answered("a.png")])
    write_report(results, tmp_path / "report.html")
    page = read_page(tmp_path / "report.html")
    [meta] = page.find_all("meta", http_equiv="Content-Security-Policy")
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in (meta.attrs["content"] or "").split(";")
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["img-src"] == ["data:"]
    script = page.find_all("script")[1].text()
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy["script-src"] == [f"'sha256-{digest}'"]
    assert "filter" in script and "search" in script


# --------------------------------------------------------------------------- totals


def test_totals_match_the_jsonl(tmp_path: Path) -> None:
    wire = WIRE_USAGE
    records: list[dict[str, Any] | str] = [
        answered(f"img{i}.png", image=256 * (i + 1), text=7 + i, completion=20 + i)
        for i in range(6)
    ]
    records += [
        {"source": "wire.png", "answer": "ok", "usage": wire, "error": None},
        failed("bad.png"),
        '{"source": "torn.png"',
    ]
    results = write_jsonl(tmp_path / "results.jsonl", records)
    summary = write_report(results, tmp_path / "report.html")
    totals = _totals(read_page(tmp_path / "report.html"))

    # The expected figures, straight from the file.
    lines = [json.loads(line) for line in results.read_text().splitlines()[:-1]]
    flat = [line["usage"] for line in lines[:6]]
    expected = {
        "entries": 9,
        "answered": 7,
        "failures": 2,
        "broken": 1,
        "image_tokens": sum(u["image_tokens"] for u in flat) + 1280,
        "text_tokens": sum(u["text_tokens"] for u in flat) + 20,
        "cached_tokens": 16,
        "prompt_tokens": sum(u["prompt_tokens"] for u in flat) + 1300,
        "completion_tokens": sum(u["completion_tokens"] for u in flat) + 40,
        "reasoning_tokens": 60,
        "total_tokens": sum(u["total_tokens"] for u in flat) + 1400,
        "cost_in_usd_ticks": 6 * 1_000_000 + 2_345_678,
    }
    assert totals == {name: str(value) for name, value in expected.items()}
    assert summary.usage.total_tokens == expected["total_tokens"]
    assert summary.failures == 2
    assert summary.cost_usd == pytest.approx(expected["cost_in_usd_ticks"] * 1e-10)
    page = read_page(tmp_path / "report.html")
    tokens_tile = next(
        n for n in page.find_all("div", "value") if n.attrs.get("data-total") == "total_tokens"
    )
    assert tokens_tile.text() == f"{expected['total_tokens']:,}"


def test_each_card_shows_its_usage_and_cost(tmp_path: Path) -> None:
    usage = flat_usage(image=1792, text=12, completion=345, reasoning_tokens=67, cached_tokens=8)
    usage["cost_in_usd_ticks"] = 123_456_789
    results = write_jsonl(
        tmp_path / "results.jsonl",
        [{"source": "a.png", "answer": "x", "usage": usage, "error": None}],
    )
    write_report(results, tmp_path / "report.html")
    card = entries(read_page(tmp_path / "report.html"))[0]
    shown = {
        dl_item.find("dt").text(): dl_item.find("dd").text()
        for dl_item in card.find("dl", "usage").children
        if isinstance(dl_item, Node)
    }
    assert shown == {
        "image": "1,792",
        "text": "12",
        "cached": "8",
        "completion": "345",
        "reasoning": "67",
        "total": f"{usage['total_tokens']:,}",
        "cost": "$0.0123",  # four decimals from a cent up, six below
    }


def test_the_chart_has_a_bar_per_entry_linking_to_it(tmp_path: Path) -> None:
    records: list[dict[str, Any] | str] = [answered(f"{i}.png", image=100 * i) for i in range(1, 6)]
    records.insert(2, failed("x.png"))
    results = write_jsonl(tmp_path / "results.jsonl", records)
    write_report(results, tmp_path / "report.html")
    page = read_page(tmp_path / "report.html")
    chart = page.find("svg", "bars")
    assert chart is not None
    links = [a.attrs["href"] for a in chart.find_all("a")]
    assert links == [f"#line-{n}" for n in range(1, 7)]
    ids = {card.attrs["id"] for card in entries(page)}
    assert {link.lstrip("#") for link in links} <= ids
    failures = chart.find("path", "s-failed")
    assert failures is not None and (failures.attrs["d"] or "").count("M") == 1
    image_bars = chart.find("path", "s-image")
    assert image_bars is not None and (image_bars.attrs["d"] or "").count("M") == 5
    titles = [t.text() for t in chart.find_all("title")]
    assert titles[2] == "line 3: x.png: failed, no usage"
    assert titles[4].startswith("line 5: 4.png: ")


# --------------------------------------------------------------------------- files and errors


def test_write_report_replaces_the_file_whole_and_refuses_bad_targets(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "results.jsonl", [answered("a.png")])
    out = tmp_path / "report.html"
    out.write_text("an old report")
    write_report(results, out)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "results.jsonl"]
    with pytest.raises(RequestValidationError, match="would overwrite the results file"):
        write_report(results, tmp_path / "." / "results.jsonl")
    with pytest.raises(RequestValidationError, match="does not exist"):
        write_report(results, tmp_path / "nowhere" / "report.html")
    with pytest.raises(RequestValidationError, match="is a folder"):
        write_report(results, tmp_path)
    with pytest.raises(RequestValidationError, match="thumbnail_edge must be 16 to 256 px"):
        write_report(results, tmp_path / "big.html", thumbnail_edge=512)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "results.jsonl"]
    assert read_results(results).entries[0].source == "a.png"  # untouched


def test_render_report_gives_the_same_page_without_writing(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "results.jsonl", [answered("a.png"), failed("b.png")])
    html = render_report(read_results(results), title="Shelf photos")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Shelf photos</title>" in html
    assert list(tmp_path.iterdir()) == [results]


def test_without_jinja2_the_error_names_the_extra(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "results.jsonl", [answered("a.png")])
    code = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "jinja2" or name.startswith("jinja2."):
            raise ImportError("No module named 'jinja2'")
sys.meta_path.insert(0, Block())
from xai_vision.report import read_results, write_report
assert len(read_results({str(results)!r}).entries) == 1  # reading needs no Jinja2
write_report({str(results)!r}, {str(tmp_path / "r.html")!r})
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert 'pip install "xai-vision[cli]"' in result.stderr
    assert not (tmp_path / "r.html").exists()
