"""`xai-vision ask` against the emulator over loopback: streamed text, --json, and error exits."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.emulator import Emulator
from xai_vision.tokens import estimate_image_tokens

runner = CliRunner()


KEY = "xai-cli-test-key-0123456789"


def _png(path: Path, size: tuple[int, int], color: str) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _env(**extra: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {"XAI_API_KEY": None, "XAI_BASE_URL": None, "XAI_API_BASE": None}
    env.update(extra)
    return env


def _ask(base_url: str, *args: str, key: str | None = KEY) -> Any:
    options = ["--base-url", base_url, "--timeout", "10"]
    if key is not None:
        options += ["--api-key", key]
    return runner.invoke(app, ["ask", *args, *options], env=_env())


def test_ask_streams_the_answer_then_prints_usage(xai_emulator: Emulator, tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    result = _ask(xai_emulator.base_url, str(image), "-p", "What colour is this?", "-d", "high")
    assert result.exit_code == 0, result.output
    assert "I see 1 image." in result.stdout
    assert "64x48 png, detail high" in result.stdout
    assert "You asked: What colour is this?" in result.stdout
    expected = estimate_image_tokens((64, 48), "high")
    assert f"image tokens {expected}" in result.stderr
    assert f"(estimated {expected})" in result.stderr
    assert "total" in result.stderr
    # The answer went out as a stream: the emulator saw a streaming request with usage asked.
    body = xai_emulator.requests[-1].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_ask_json_output(xai_emulator: Emulator, tmp_path: Path) -> None:
    red = _png(tmp_path / "red.png", (64, 48), "red")
    blue = _png(tmp_path / "blue.png", (900, 500), "blue")
    result = _ask(
        xai_emulator.base_url,
        str(red),
        str(blue),
        "-p",
        "Compare them",
        "--json",
        "--model",
        "grok-4-fast",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["answer"].startswith("I see 2 images.")
    assert "You asked: Compare them" in payload["answer"]
    assert payload["model"] == "grok-4-fast-reasoning"  # the resolved name, as xAI does
    estimated = estimate_image_tokens((64, 48)) + estimate_image_tokens((900, 500))
    assert payload["estimated_image_tokens"] == estimated
    assert payload["usage"]["image_tokens"] == estimated
    assert payload["usage"]["total_tokens"] >= payload["usage"]["prompt_tokens"] > estimated
    assert [image["width"] for image in payload["images"]] == [64, 900]
    assert result.stderr == ""  # nothing but the JSON object, on stdout


def test_ask_without_key_exits_3_before_any_request(xai_emulator: Emulator, tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    before = len(xai_emulator.requests)
    result = _ask(xai_emulator.base_url, str(image), "-p", "hi", key=None)
    assert result.exit_code == ExitCode.MISSING_KEY
    assert "XAI_API_KEY" in result.stderr and "--api-key" in result.stderr
    assert "--emulator" in result.stderr  # both ways out are named
    assert len(xai_emulator.requests) == before


def test_ask_emulator_answers_without_a_key(tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    result = runner.invoke(app, ["ask", str(image), "-p", "Offline?", "--emulator"], env=_env())
    assert result.exit_code == 0, result.output
    assert "64x48 png" in result.stdout and "You asked: Offline?" in result.stdout
    assert "--emulator: answering from the local emulator at http://127.0.0.1:" in result.stderr
    assert f"image tokens {estimate_image_tokens((64, 48))}" in result.stderr


def test_ask_emulator_with_a_key_or_url_is_a_usage_error(tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    for extra in (["--api-key", KEY], ["--base-url", "http://127.0.0.1:9/v1"]):
        result = runner.invoke(app, ["ask", str(image), "-p", "x", "--emulator", *extra])
        assert result.exit_code == ExitCode.USAGE, result.output
        assert "--emulator" in result.stderr and extra[0] in result.stderr
        assert KEY not in result.output


def test_ask_unreadable_image_exits_4_naming_it(xai_emulator: Emulator, tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    before = len(xai_emulator.requests)
    result = _ask(xai_emulator.base_url, str(bad), "-p", "hi")
    assert result.exit_code == ExitCode.IMAGE
    assert "broken.png" in result.stderr
    assert "Traceback" not in result.output
    assert len(xai_emulator.requests) == before


def test_ask_missing_file_exits_4(xai_emulator: Emulator, tmp_path: Path) -> None:
    result = _ask(xai_emulator.base_url, str(tmp_path / "nope.jpg"), "-p", "hi")
    assert result.exit_code == ExitCode.IMAGE
    assert "nope.jpg" in result.stderr and "no such file" in result.stderr


def test_ask_network_failure_exits_5(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    image = _png(tmp_path / "red.png", (64, 48), "red")
    result = _ask(f"http://127.0.0.1:{port}/v1", str(image), "-p", "hi")
    assert result.exit_code == ExitCode.NETWORK
    assert "network error" in result.stderr
    assert "--base-url" in result.stderr
    assert KEY not in result.output


def test_ask_api_error_exits_1_with_xai_message(xai_emulator: Emulator, tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    result = _ask(xai_emulator.base_url, str(image), "-p", "hi", "--model", "no-such-model")
    assert result.exit_code == ExitCode.FAILED
    assert "status 404" in result.stderr
    assert "--model" in result.stderr  # the hint
    assert KEY not in result.output


def test_ask_rate_limit_is_retried(xai_emulator: Emulator, tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    xai_emulator.fail_next(2, status=429, retry_after=0)
    result = _ask(xai_emulator.base_url, str(image), "-p", "still there?")
    assert result.exit_code == 0, result.output
    assert "You asked: still there?" in result.stdout


@pytest.mark.parametrize("command", ["ask", "batch", "tokens", "emulator", "demo", "samples"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output and command in result.output


def test_bad_detail_is_a_usage_error(tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    result = runner.invoke(app, ["ask", str(image), "-p", "hi", "--detail", "ultra"])
    assert result.exit_code == ExitCode.USAGE
    assert "ultra" in result.output


def test_ask_optimize_sends_fewer_pixels_for_the_same_estimate(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    big = _png(tmp_path / "big.png", (3000, 2000), "green")
    plain = json.loads(_ask(xai_emulator.base_url, str(big), "-p", "x", "--json").stdout)
    optimised = json.loads(
        _ask(xai_emulator.base_url, str(big), "-p", "x", "--json", "--optimize").stdout
    )
    assert optimised["images"][0]["width"] < plain["images"][0]["width"] == 3000
    assert optimised["estimated_image_tokens"] == plain["estimated_image_tokens"]
    assert optimised["usage"]["image_tokens"] == plain["usage"]["image_tokens"]


def test_ask_on_the_responses_endpoint(xai_emulator: Emulator, tmp_path: Path) -> None:
    image = _png(tmp_path / "red.png", (64, 48), "red")
    args = (str(image), "-p", "What colour?", "-d", "high", "--json")
    chat = json.loads(_ask(xai_emulator.base_url, *args).stdout)
    result = _ask(xai_emulator.base_url, *args, "--api", "responses")
    assert result.exit_code == 0, result.output
    sent = xai_emulator.requests[-1]
    assert sent.path == "/v1/responses" and sent.body["stream"] is True
    assert sent.body["input"][0]["content"][1]["type"] == "input_image"
    payload = json.loads(result.stdout)
    assert payload["answer"] == chat["answer"]
    assert payload["usage"]["prompt_tokens"] == chat["usage"]["prompt_tokens"]
    assert payload["usage"]["image_tokens"] == estimate_image_tokens((64, 48), "high")
    assert payload["usage"]["image_tokens_estimated"] is True
    assert "image_tokens_estimated" not in chat["usage"]  # chat completions counts them
