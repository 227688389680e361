"""`xai-vision demo`, the entry point without the cli extra, and the bundled samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.demo import DEMO_QUESTIONS
from xai_vision.emulator import Emulator
from xai_vision.samples import SAMPLE_NAMES, sample_path, sample_paths

runner = CliRunner()
NO_XAI_ENV: dict[str, str | None] = {
    "XAI_API_KEY": None,
    "XAI_BASE_URL": None,
    "XAI_API_BASE": None,
}
ADAPTER_TITLES = ("ChatXAIVision", "XAIVision", "XAIVisionMultiModal")


def test_demo_without_a_key_runs_both_adapters_on_the_emulator() -> None:
    result = runner.invoke(app, ["demo"], env=NO_XAI_ENV)
    assert result.exit_code == 0, result.output
    assert "local emulator" in result.stderr
    for title in ADAPTER_TITLES:
        assert title in result.stdout
    for _, question in DEMO_QUESTIONS:
        # Each adapter asked each question and got the emulator's echo back.
        assert result.stdout.count(f"You asked: {question}") == len(ADAPTER_TITLES)
    assert result.stdout.count("usage: image tokens") == len(ADAPTER_TITLES) * len(DEMO_QUESTIONS)
    assert "usage: image tokens ?" not in result.stdout  # every adapter reported image tokens


def test_demo_with_a_key_uses_the_given_server(xai_emulator: Emulator) -> None:
    result = runner.invoke(
        app,
        ["demo", "--base-url", xai_emulator.base_url, "--api-key", xai_emulator.api_key],
        env=NO_XAI_ENV,
    )
    assert result.exit_code == 0, result.output
    assert "local emulator" not in result.stderr
    chats = [r for r in xai_emulator.requests if r.path.endswith("/chat/completions")]
    assert len(chats) == len(ADAPTER_TITLES) * len(DEMO_QUESTIONS)
    assert all(r.headers.get("authorization", r.headers.get("Authorization")) for r in chats)


def test_demo_names_an_adapter_that_is_not_importable_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_xai_vision", None)  # import now fails
    result = runner.invoke(app, ["demo"], env=NO_XAI_ENV)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("skipped: not importable") == 1
    assert "xai-vision[langchain]" in result.stdout
    _, question = DEMO_QUESTIONS[0]
    assert result.stdout.count(f"You asked: {question}") == 2  # both LlamaIndex classes ran


def test_demo_reports_an_api_error_with_its_exit_code(xai_emulator: Emulator) -> None:
    result = runner.invoke(
        app,
        ["demo", "--model", "no-such-model", "--base-url", xai_emulator.base_url,
         "--api-key", xai_emulator.api_key],
        env=NO_XAI_ENV,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "status 404" in result.stderr


def test_main_without_the_cli_extra_says_what_to_install() -> None:
    code = "import sys; sys.modules['typer'] = None; from xai_vision.cli import main; main()"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 2
    assert "xai-vision[cli]" in completed.stderr
    assert "typer" in completed.stderr


def test_python_dash_m_runs_the_cli() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "xai_vision.cli", "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    for command in ("ask", "batch", "tokens", "emulator", "demo", "samples"):
        assert command in completed.stdout


def test_samples_are_small_readable_images() -> None:
    paths = sample_paths()
    assert [p.name for p in paths] == list(SAMPLE_NAMES)
    assert sum(p.stat().st_size for p in paths) < 200 * 1024
    for path in paths:
        with Image.open(path) as image:
            image.load()
            assert min(image.size) >= 64


def test_sample_generator_reproduces_the_committed_sizes(tmp_path: Path) -> None:
    from xai_vision.samples import make_samples

    for name in SAMPLE_NAMES:
        with Image.open(sample_path(name)) as committed:
            drawn = make_samples.SAMPLES[name][0]()
            assert drawn.size == committed.size


def test_unknown_sample_is_named() -> None:
    with pytest.raises(ValueError, match=r"nope\.png"):
        sample_path("nope.png")
