"""`xai-vision tokens`: the offline estimate and the pre-processing report."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.tokens import MAX_IMAGE_TOKENS, TOKENS_PER_TILE

runner = CliRunner()


def _write(path: Path, size: tuple[int, int], fmt: str, color: str = "red") -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    path.write_bytes(buffer.getvalue())
    return path


def _tokens_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["tokens", "--json", *args])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert isinstance(payload, dict)
    return payload


def test_tokens_follow_the_documented_tile_rule(tmp_path: Path) -> None:
    small = _write(tmp_path / "small.png", (64, 48), "PNG")
    wide = _write(tmp_path / "wide.png", (1000, 400), "PNG")  # 3 x 1 tiles of 448
    huge = _write(tmp_path / "huge.png", (4000, 3000), "PNG")  # capped at 6 tiles
    payload = _tokens_json(str(small), str(wide), str(huge))
    images = payload["images"]
    assert isinstance(images, list)
    by_name = {Path(row["source"]).name: row["tokens"] for row in images}
    # One tile plus the extra tile; low is always one tile's worth.
    assert by_name["small.png"] == {
        "auto": 2 * TOKENS_PER_TILE,
        "low": TOKENS_PER_TILE,
        "high": 2 * TOKENS_PER_TILE,
    }
    assert by_name["wide.png"]["high"] == 4 * TOKENS_PER_TILE
    assert by_name["huge.png"]["high"] == MAX_IMAGE_TOKENS
    assert payload["total_tokens"] == {
        level: sum(tokens[level] for tokens in by_name.values())
        for level in ("auto", "low", "high")
    }


def test_tokens_with_one_detail_reports_only_that_level(tmp_path: Path) -> None:
    image = _write(tmp_path / "one.png", (900, 900), "PNG")
    payload = _tokens_json("--detail", "low", str(image))
    assert payload["images"][0]["tokens"] == {"low": TOKENS_PER_TILE}  # type: ignore[index]


def test_tokens_reports_conversion_and_optimisation(tmp_path: Path) -> None:
    bmp = _write(tmp_path / "scan.bmp", (300, 200), "BMP")
    big = _write(tmp_path / "big.png", (3000, 2000), "PNG", color="blue")
    payload = _tokens_json(str(bmp), str(big))
    rows = {Path(row["source"]).name: row for row in payload["images"]}  # type: ignore[attr-defined]
    scan = rows["scan.bmp"]
    assert scan["original"]["format"] == "bmp"
    assert scan["sent"]["format"] != "bmp"  # xAI does not take BMP: it is converted
    assert scan["preprocessing"].startswith("bmp→")
    assert scan["original"]["bytes"] == bmp.stat().st_size
    large = rows["big.png"]
    assert (large["original"]["width"], large["original"]["height"]) == (3000, 2000)
    # Optimisation shrinks to what xAI processes: fewer pixels and bytes, same tokens.
    assert large["optimized"]["width"] < 3000
    assert large["optimized"]["bytes"] < large["sent"]["bytes"]


def test_tokens_reports_the_jpeg_size_on_disk(tmp_path: Path) -> None:
    photo = _write(tmp_path / "photo.jpg", (640, 360), "JPEG")  # 2 x 1 tiles
    row = _tokens_json(str(photo))["images"][0]  # type: ignore[index]
    assert (row["sent"]["width"], row["sent"]["height"]) == (640, 360)
    assert row["preprocessing"] == "sent as is"
    assert row["tokens"]["high"] == 3 * TOKENS_PER_TILE


def test_tokens_table_names_each_image(tmp_path: Path) -> None:
    first = _write(tmp_path / "first.png", (64, 64), "PNG")
    second = _write(tmp_path / "second.png", (64, 64), "PNG")
    result = runner.invoke(app, ["tokens", str(first), str(second)])
    assert result.exit_code == 0, result.output
    assert "first.png" in result.stdout and "second.png" in result.stdout
    assert "total" in result.stdout


def test_tokens_unreadable_image_is_a_typed_error_and_exit_4(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.png", (64, 64), "PNG")
    bad = tmp_path / "notes.png"
    bad.write_text("not an image at all")
    result = runner.invoke(app, ["tokens", "--json", str(good), str(bad)])
    assert result.exit_code == ExitCode.IMAGE
    assert "notes.png" in result.stderr and "not an image" in result.stderr
    assert "Traceback" not in result.output
    # The readable image is still reported.
    assert [Path(r["source"]).name for r in json.loads(result.stdout)["images"]] == ["good.png"]


def test_tokens_missing_file_exits_4(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tokens", str(tmp_path / "nope.png")])
    assert result.exit_code == ExitCode.IMAGE
    assert "nope.png" in result.stderr and "no such file" in result.stderr


def test_tokens_needs_no_key_and_no_network(tmp_path: Path) -> None:
    image = _write(tmp_path / "img.png", (64, 64), "PNG")
    env = {"XAI_API_KEY": "", "XAI_BASE_URL": "http://127.0.0.1:9/v1"}  # discard port
    result = runner.invoke(app, ["tokens", str(image)], env=env)
    assert result.exit_code == 0, result.output


def test_tokens_reports_a_resize_over_the_edge_limit(tmp_path: Path) -> None:
    strip = _write(tmp_path / "strip.png", (9000, 60), "PNG")  # long edge over 8,192
    row = _tokens_json(str(strip))["images"][0]  # type: ignore[index]
    assert row["original"]["width"] == 9000
    assert row["sent"]["width"] <= 8192
    assert row["preprocessing"].startswith("resized to ")
