"""`xai-vision models`, `tokens --prompt` and the cost side of `batch` (--dry-run, --max-cost,
--max-tokens, the summary's cost), against an emulator serving models the project has never
seen."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner
from unseen_models import UNSEEN_MODELS
from xai_vision.cli.app import app
from xai_vision.cli.output import ExitCode
from xai_vision.client import XAIClient
from xai_vision.emulator import Emulator, EmulatorSettings
from xai_vision.images import prepare_image
from xai_vision.messages import ChatRequest, image_part, system_message, text_part, user_message

runner = CliRunner()
PROMPT = "Describe this image in a few words"
MODELS = (*UNSEEN_MODELS,)
NO_ENV: dict[str, str | None] = {"XAI_API_KEY": None, "XAI_BASE_URL": None, "XAI_API_BASE": None}


@pytest.fixture
def emulator(unseen_models_emulator: Emulator) -> Emulator:
    return unseen_models_emulator


def connection(emulator: Emulator) -> list[str]:
    return ["--base-url", emulator.base_url, "--api-key", emulator.api_key, "--timeout", "10"]


def write_png(path: Path, size: tuple[int, int], color: str = "red") -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def images(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [(300, 200), (900, 500), (64, 48), (1400, 1000)]
    return [write_png(folder / f"img_{i}.png", size) for i, size in enumerate(sizes)]


def chat_paths(emulator: Emulator) -> list[str]:
    return [r.path for r in emulator.requests if r.path == "/v1/chat/completions"]


def records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines()]


# --------------------------------------------------------------------------- models


def test_models_json_lists_images_prices_and_context(emulator: Emulator) -> None:
    result = runner.invoke(app, ["models", "--json", *connection(emulator)], env=NO_ENV)
    assert result.exit_code == 0, result.output
    models = {m["id"]: m for m in json.loads(result.stdout)["models"]}
    vision = models["grok-9-vision-0101"]
    assert vision["aliases"] == ["grok-9-vision", "grok-9-vision-latest"] and vision["takes_images"]
    assert vision["prices_usd_per_million_tokens"]["prompt_image"] == pytest.approx(0.90)
    assert vision["prices_ticks_per_token"]["completion_text"] == 20_000
    assert vision["context_window"] is None  # a family the project does not know
    assert not models["grok-9-text"]["takes_images"]
    assert models["grok-4-0709"]["context_window"] == 256_000
    assert emulator.api_key not in result.output


def test_models_table(emulator: Emulator) -> None:
    result = runner.invoke(app, ["models", *connection(emulator)], env={**NO_ENV, "COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "grok-9-vision-0101" in line)
    assert "yes" in row and "$0.40" in row and "$0.90" in row and "$2.00" in row and "?" in row
    text_row = next(line for line in result.stdout.splitlines() if "grok-9-text" in line)
    assert " no " in text_row


def test_models_says_why_when_the_list_cannot_be_fetched(emulator: Emulator) -> None:
    emulator.fail_model_endpoints(503)
    result = runner.invoke(app, ["models", *connection(emulator)], env=NO_ENV)
    assert result.exit_code == ExitCode.FAILED
    assert "xAI answered an error" in result.stderr and "503" in result.stderr
    unreachable = ["models", "--base-url", "http://127.0.0.1:9/v1", "--api-key", "k"]
    assert runner.invoke(app, unreachable, env=NO_ENV).exit_code == ExitCode.NETWORK


def test_models_on_the_built_in_emulator() -> None:
    result = runner.invoke(app, ["models", "--json", "--emulator"], env=NO_ENV)
    assert result.exit_code == 0, result.output
    ids = [m["id"] for m in json.loads(result.stdout)["models"]]
    assert "grok-4-fast-non-reasoning" in ids


# --------------------------------------------------------------------------- tokens --prompt


def test_tokens_counts_each_message_like_the_emulator_bills(
    emulator: Emulator, tmp_path: Path
) -> None:
    photo = write_png(tmp_path / "photo.png", (900, 500))
    args = ["tokens", "--json", str(photo), "-p", PROMPT, "--system", "Be brief."]
    args += ["--model", "grok-9-vision", *connection(emulator)]
    result = runner.invoke(app, args, env=NO_ENV)
    assert result.exit_code == 0, result.output
    request = json.loads(result.stdout)["request"]
    assert request["text_exact"] and "tokenizer" in request["note"]
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert request["messages"][1]["image_tokens"] == 7 * 256
    assert chat_paths(emulator) == []  # counting sends no chat request and no image
    prepared = prepare_image(photo)
    billed = XAIClient(api_key=emulator.api_key, base_url=emulator.base_url).create(
        ChatRequest(
            model="grok-9-vision",
            messages=[
                system_message("Be brief."),
                user_message([text_part(PROMPT), image_part(prepared)]),
            ],
        )
    )
    usage = billed.usage
    assert usage is not None and request["prompt_tokens"] == usage.prompt_tokens
    output_ticks = usage.output_tokens * 20_000
    assert request["prompt_cost_usd"] == pytest.approx(
        ((usage.cost_in_usd_ticks or 0) - output_ticks) * 1e-10
    )


def test_tokens_offline_estimates_the_text_and_sends_nothing(tmp_path: Path) -> None:
    photo = write_png(tmp_path / "photo.png", (64, 48))
    env = {"XAI_API_KEY": "k", "XAI_BASE_URL": "http://127.0.0.1:9/v1"}  # discard port
    result = runner.invoke(
        app, ["tokens", "--json", str(photo), "-p", "hello", "--offline"], env=env
    )
    assert result.exit_code == 0, result.output
    request = json.loads(result.stdout)["request"]
    assert not request["text_exact"] and request["note"].endswith("(--offline)")
    assert request["prompt_tokens"] == 2 + 512 + 3
    assert request["prompt_cost_usd"] is None


def test_tokens_table_shows_tokens_per_message(emulator: Emulator, tmp_path: Path) -> None:
    photo = write_png(tmp_path / "photo.png", (64, 48))
    result = runner.invoke(
        app,
        ["tokens", str(photo), "-p", "What is it?", *connection(emulator)],
        env={**NO_ENV, "COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    assert "Prompt tokens by message" in result.stdout
    assert "text (xAI's tokenizer)" in result.stdout
    assert "estimated prompt cost: $" in result.stdout


# --------------------------------------------------------------------------- batch


def test_batch_dry_run_estimates_what_the_run_then_bills(
    emulator: Emulator, tmp_path: Path
) -> None:
    images(tmp_path / "imgs")
    base = ["batch", str(tmp_path / "imgs"), "-p", PROMPT, "--model", "grok-9-vision"]
    base += [*connection(emulator), "--max-tokens", "40"]
    dry = runner.invoke(app, [*base, "--dry-run"], env={**NO_ENV, "COLUMNS": "120"})
    assert dry.exit_code == 0, dry.output
    assert chat_paths(emulator) == []
    assert "total (4 images)" in dry.stdout and "xAI's tokenizer" in dry.stdout
    cells = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in dry.stdout.splitlines()
        if line.startswith("│ img_")
    ]
    rows = {row[0]: row[1:] for row in cells}
    assert len(rows) == 4
    out = tmp_path / "out.jsonl"
    run = runner.invoke(app, [*base, "--out", str(out)], env=NO_ENV)
    assert run.exit_code == 0, run.output
    for record in records(out):
        image_tokens, prompt_tokens, cost = rows[Path(record["source"]).name]
        usage = record["usage"]
        assert (int(image_tokens), int(prompt_tokens)) == (
            usage["image_tokens"],
            usage["prompt_tokens"],
        )
        prompt_ticks = usage["cost_in_usd_ticks"] - usage["completion_tokens"] * 20_000
        assert cost == f"${prompt_ticks * 1e-10:.6f}"


def test_batch_dry_run_with_resume_estimates_only_what_is_left(
    emulator: Emulator, tmp_path: Path
) -> None:
    paths = images(tmp_path / "imgs")
    out = tmp_path / "out.jsonl"
    first = ["batch", str(paths[0]), "-p", PROMPT, "--out", str(out), *connection(emulator)]
    assert runner.invoke(app, first, env=NO_ENV).exit_code == 0
    args = ["batch", str(tmp_path / "imgs"), "-p", PROMPT, "--out", str(out), "--resume"]
    result = runner.invoke(app, [*args, "--dry-run", *connection(emulator)], env=NO_ENV)
    assert result.exit_code == 0, result.output
    assert "total (3 images)" in result.stdout and "img_0" not in result.stdout
    assert len(records(out)) == 1  # the file is only read


def test_batch_needs_out_unless_dry_run(tmp_path: Path) -> None:
    images(tmp_path / "imgs")
    result = runner.invoke(app, ["batch", str(tmp_path / "imgs"), "-p", PROMPT], env=NO_ENV)
    assert result.exit_code == ExitCode.USAGE
    assert "--out is required" in result.stderr


def test_max_cost_stops_before_the_limit_and_resume_finishes(
    emulator: Emulator, tmp_path: Path
) -> None:
    images(tmp_path / "imgs")
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "imgs"), "-p", PROMPT, "--out", str(out)]
    args += ["--model", "grok-9-vision", "--max-tokens", "30", "--concurrency", "2"]
    limit = 0.004  # each image costs up to about $0.0023 here (prompt plus 30 output tokens)
    result = runner.invoke(
        app, [*args, "--max-cost", str(limit), *connection(emulator)], env=NO_ENV
    )
    assert result.exit_code == ExitCode.FAILED, result.output
    assert "stopped by --max-cost $0.004" in result.stderr and "--resume" in result.stderr
    spent = sum(r["usage"]["cost_in_usd_ticks"] for r in records(out)) * 1e-10
    assert 0 < spent <= limit
    assert 0 < len(records(out)) < 4
    again = [*args, "--resume", "--max-cost", "1", *connection(emulator)]
    assert runner.invoke(app, again, env=NO_ENV).exit_code == 0
    assert len(records(out)) == 4


def test_max_cost_without_prices_sends_nothing(emulator: Emulator, tmp_path: Path) -> None:
    images(tmp_path / "imgs")
    emulator.fail_model_endpoints(503)
    out = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "imgs"), "-p", PROMPT, "--out", str(out), "--max-cost", "1"]
    result = runner.invoke(app, [*args, *connection(emulator)], env=NO_ENV)
    assert result.exit_code == ExitCode.USAGE
    assert "--max-cost needs xAI's prices" in result.stderr and "nothing was sent" in result.stderr
    assert chat_paths(emulator) == []


def test_the_summary_totals_a_cost_computed_from_xais_prices(tmp_path: Path) -> None:
    images(tmp_path / "imgs")
    out = tmp_path / "out.jsonl"
    with Emulator(settings=EmulatorSettings(models=MODELS, report_cost=False)) as emulator:
        args = ["batch", str(tmp_path / "imgs"), "-p", PROMPT, "--out", str(out)]
        args += ["--model", "grok-9-vision", *connection(emulator)]
        result = runner.invoke(app, args, env=NO_ENV)
    assert result.exit_code == 0, result.output
    lines = records(out)
    assert all(r["usage"]["cost_computed"] for r in lines)
    total = sum(r["usage"]["cost_in_usd_ticks"] for r in lines) * 1e-10
    assert f"cost ${total:.6f}" in result.stderr
