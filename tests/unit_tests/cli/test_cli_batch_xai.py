"""`xai-vision batch --engine xai-batch` over loopback: the local engine's results contract,
preflight, a model refused for batches, Ctrl-C while adding, polling and writing then
--resume (one batch, each request added once, each line written once), --cancel, exit codes,
and no API key in any file written."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from cli_batch import each_image_once, interrupted_run, read_records, resumed_run, write_images
from typer.testing import CliRunner
from xai_vision.cli.app import app
from xai_vision.cli.batch_xai import XaiBatchState, ids_path, state_path
from xai_vision.cli.output import ExitCode
from xai_vision.client import XAIClient
from xai_vision.emulator import Emulator
from xai_vision.emulator.catalog import EmulatedModel
from xai_vision.errors import RequestValidationError
from xai_vision.image_batch import image_id

runner = CliRunner()

KEY = "xai-batch-test-secret-4f1d"


def _args(emulator: Emulator, folder: Path, out: Path, *extra: str) -> list[str]:
    return [
        "batch", str(folder), "-p", "Describe this image", "--out", str(out),
        "--base-url", emulator.base_url, "--api-key", KEY, "--timeout", "10",
        "--engine", "xai-batch", "--poll-interval", "0.05", *extra,
    ]  # fmt: skip


def _calls(emulator: Emulator, method: str, suffix: str) -> list[object]:
    return [
        r.body
        for r in emulator.requests
        if r.method == method and r.path.split("?")[0].endswith(suffix)
    ]


def _added_ids(emulator: Emulator) -> list[str]:
    return [
        entry["batch_request_id"]
        for r in emulator.requests
        if r.method == "POST" and r.path.endswith("/requests")
        for entry in r.body["batch_requests"]
    ]


def _created(emulator: Emulator) -> int:
    return len([r for r in emulator.requests if r.method == "POST" and r.path == "/v1/batches"])


def _interrupted_while_polling(
    emulator: Emulator, folder: Path, out: Path, polls: int, sig: signal.Signals = signal.SIGINT
) -> list[str]:
    """Run the job in its own process against a batch that answers in 60 s, and press Ctrl-C
    (or send ``sig``) once it has polled the results ``polls`` times; the job's arguments."""
    emulator.set_batch_delay(60)
    args = _args(emulator, folder, out)
    status, err = interrupted_run(
        args,
        lambda: len(_calls(emulator, "GET", "/results")) >= polls,
        f"the batch was not polled {polls} times in 30 s",
        sig=sig,
    )
    assert status == ExitCode.INTERRUPTED, err.decode()
    return args


def _no_key_in_files(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the API key is in {path}"


def test_lines_follow_the_local_engines_contract_at_half_its_cost(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs", 5)
    (tmp_path / "imgs" / "broken.png").write_bytes(b"not an image at all")
    local_out, batch_out = tmp_path / "local.jsonl", tmp_path / "batch.jsonl"
    with Emulator() as emulator:
        local_args = _args(emulator, tmp_path / "imgs", local_out)
        local = runner.invoke(app, local_args[: local_args.index("--engine")])
        batch = runner.invoke(app, _args(emulator, tmp_path / "imgs", batch_out))
        created = _created(emulator)
    assert local.exit_code == batch.exit_code == ExitCode.FAILED, batch.output
    assert created == 1
    local_lines = {r["id"]: r for r in read_records(local_out)}
    batch_lines = {r["id"]: r for r in read_records(batch_out)}
    assert local_lines.keys() == batch_lines.keys()
    assert len(batch_lines) == 6
    for image, line in batch_lines.items():
        twin = local_lines[image]
        assert (line["source"], line["answer"]) == (twin["source"], twin["answer"])
        if twin["error"] is not None:
            assert line["error"] == twin["error"]  # unreadable: the same error line
            continue
        assert line["usage"]["cost_in_usd_ticks"] == twin["usage"]["cost_in_usd_ticks"] // 2
    assert not state_path(batch_out).exists() and not ids_path(batch_out).exists()
    _no_key_in_files(tmp_path)


def test_every_image_answered_exits_0_and_per_request_failures_become_error_lines(
    tmp_path: Path,
) -> None:
    paths = write_images(tmp_path / "imgs", 4)
    out = tmp_path / "out.jsonl"
    with Emulator() as emulator:
        assert runner.invoke(app, _args(emulator, tmp_path / "imgs", out)).exit_code == 0
        failing = image_id(str(paths[2].resolve()))
        emulator.fail_batch_requests([failing], code="Internal error", message="shard lost")
        again = runner.invoke(app, _args(emulator, tmp_path / "imgs", out, "--overwrite"))
    assert again.exit_code == ExitCode.FAILED
    records = {r["id"]: r for r in each_image_once(out, paths)}
    assert "shard lost" in records[failing]["error"]["message"]
    assert records[failing]["error"]["code"] == "Internal error"
    assert records[failing]["answer"] is None
    assert sum(1 for r in records.values() if r["error"] is None) == 3


@pytest.mark.parametrize(
    ("extra", "emulator_args"),
    [(("--model", "grok-never-was"), {}), ((), {"valid_keys": ["some-other-key"]})],
    ids=["model xAI does not know", "key xAI refuses"],
)
def test_preflight_stops_before_anything_is_created_with_the_local_engines_exit_code(
    tmp_path: Path, extra: tuple[str, ...], emulator_args: dict[str, object]
) -> None:
    write_images(tmp_path / "imgs", 2)
    out = tmp_path / "out.jsonl"
    with Emulator(**emulator_args) as emulator:  # type: ignore[arg-type]
        args = _args(emulator, tmp_path / "imgs", out, *extra)
        result = runner.invoke(app, args)
        paths = [r.path for r in emulator.requests]
        local = runner.invoke(app, [*args[: args.index("--engine")], *extra, "--overwrite"])
    assert result.exit_code == local.exit_code == ExitCode.FAILED, result.output
    assert paths == [f"/v1/models/{extra[1] if extra else 'grok-4-fast-non-reasoning'}"]
    assert not state_path(out).exists()


def test_a_model_unknown_to_the_project_is_not_refused_by_it(tmp_path: Path) -> None:
    paths = write_images(tmp_path / "imgs", 2)
    out = tmp_path / "out.jsonl"
    with Emulator(models=[EmulatedModel("grok-vision-2031")]) as emulator:
        result = runner.invoke(
            app, _args(emulator, tmp_path / "imgs", out, "--model", "grok-vision-2031")
        )
    assert result.exit_code == 0, result.output
    each_image_once(out, paths)


def test_a_model_refused_for_batches_stops_after_the_first_chunk(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs", 6)
    out = tmp_path / "out.jsonl"
    with Emulator(models=[EmulatedModel("grok-4.5")]) as emulator:
        args = _args(
            emulator, tmp_path / "imgs", out, "--model", "grok-4.5", "--chunk-bytes", "3000"
        )
        result = runner.invoke(app, args)
        adds = _calls(emulator, "POST", "/requests")
        cancels = _calls(emulator, "POST", ":cancel")
    assert result.exit_code == ExitCode.FAILED
    assert "not supported for batch processing" in result.output
    assert "grok-4.5" in result.output
    assert len(adds) == 1, "the job must stop at the first chunk"
    assert len(cancels) == 1, "the empty batch is cancelled"
    assert not state_path(out).exists() and not ids_path(out).exists()


def test_ctrl_c_while_adding_resumes_without_a_second_batch_or_a_request_added_twice(
    tmp_path: Path,
) -> None:
    paths = write_images(tmp_path / "imgs", 12)
    out = tmp_path / "out.jsonl"
    with Emulator(latency=0.25) as emulator:
        args = _args(emulator, tmp_path / "imgs", out, "--chunk-bytes", "1000")
        status, err = interrupted_run(
            args,
            lambda: len(_calls(emulator, "POST", "/requests")) >= 2,
            "no chunk was added in 30 s",
        )
        assert status == ExitCode.INTERRUPTED, err.decode()
        first = _added_ids(emulator)
        assert 2 <= len(first) < 12, "the interrupt must land while adding"
        assert state_path(out).exists()
        emulator.set_latency(0)
        resumed_run(args)
        added, created = _added_ids(emulator), _created(emulator)
    assert created == 1
    assert sorted(added) == sorted({image_id(str(p.resolve())) for p in paths})
    each_image_once(out, paths)
    assert not state_path(out).exists()
    _no_key_in_files(tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_ctrl_c_while_polling_resumes_the_same_batch_and_adds_nothing(
    tmp_path: Path, sig: signal.Signals
) -> None:
    paths = write_images(tmp_path / "imgs", 4)
    out = tmp_path / "out.jsonl"
    with Emulator() as emulator:
        args = _interrupted_while_polling(emulator, tmp_path / "imgs", out, polls=2, sig=sig)
        assert not out.exists() or out.read_bytes() == b""
        recorded = json.loads(state_path(out).read_bytes())
        assert len(ids_path(out).read_text().splitlines()) == 4 and recorded["batch_id"]
        emulator.set_batch_delay(0)
        resumed_run(args)
        assert len(_added_ids(emulator)) == 4 and _created(emulator) == 1
        assert len(_calls(emulator, "GET", "/models/grok-4-fast-non-reasoning")) == 1
    each_image_once(out, paths)
    _no_key_in_files(tmp_path)


def test_ctrl_c_while_writing_results_resumes_without_a_line_twice(tmp_path: Path) -> None:
    paths = write_images(tmp_path / "imgs", 230)
    out = tmp_path / "out.jsonl"
    # Every call takes 0.4 s, so Ctrl-C lands between two results pages (100 lines each).
    with Emulator(latency=0.4) as emulator:
        args = _args(emulator, tmp_path / "imgs", out)
        status, err = interrupted_run(
            args,
            lambda: out.exists() and 100 <= out.read_bytes().count(b"\n") < 230,
            "no results page was written in 30 s",
        )
        assert status == ExitCode.INTERRUPTED, err.decode()
        written = out.read_bytes()
        assert 100 <= written.count(b"\n") < 230
        emulator.set_latency(0)
        resumed_run(args)
        assert len(_added_ids(emulator)) == 230 and _created(emulator) == 1
    assert out.read_bytes().startswith(written)
    each_image_once(out, paths)
    assert not state_path(out).exists()


def test_cancel_cancels_the_recorded_batch_and_exits_0(tmp_path: Path) -> None:
    paths = write_images(tmp_path / "imgs", 3)
    out = tmp_path / "out.jsonl"
    with Emulator() as emulator:
        args = _interrupted_while_polling(emulator, tmp_path / "imgs", out, polls=1)
        cancelled = runner.invoke(app, [*args, "--cancel"])
        assert cancelled.exit_code == 0, cancelled.output
        assert "cancelled batch" in cancelled.output
        assert len(_calls(emulator, "POST", ":cancel")) == 1
        # The cancelled requests have no line: --resume writes what finished and says so.
        left = runner.invoke(app, [*args, "--resume"])
        assert left.exit_code == ExitCode.FAILED, left.output
        assert "3 left" in left.output
        # A later --resume is a new batch for the images still without a line.
        emulator.set_batch_delay(0)
        done = runner.invoke(app, [*args, "--resume"])
        assert done.exit_code == 0, done.output
        assert _created(emulator) == 2
    each_image_once(out, paths)
    _no_key_in_files(tmp_path)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs", 1)
    out = tmp_path / "out.jsonl"
    with Emulator() as emulator:
        nothing_to_cancel = runner.invoke(
            app, [*_args(emulator, tmp_path / "imgs", out), "--cancel"]
        )
        small = runner.invoke(
            app, [*_args(emulator, tmp_path / "imgs", out), "--chunk-bytes", "10"]
        )
        sent = [r.path for r in emulator.requests]
    assert nothing_to_cancel.exit_code == ExitCode.USAGE
    assert "nothing to cancel" in nothing_to_cancel.output
    assert small.exit_code == ExitCode.USAGE
    assert sent == []


def test_dry_run_estimates_at_half_the_standard_prices(tmp_path: Path) -> None:
    write_images(tmp_path / "imgs", 2)
    with Emulator() as emulator:
        base = _args(emulator, tmp_path / "imgs", tmp_path / "o.jsonl", "--dry-run")
        local = runner.invoke(app, [a for a in base if a not in ("--engine", "xai-batch")])
        batch = runner.invoke(app, base)
    assert local.exit_code == batch.exit_code == 0

    def total(output: str) -> float:
        line = next(x for x in output.splitlines() if x.lstrip("│┃ ").startswith("total"))
        return float(line.rsplit("$", 1)[1].split()[0])

    assert total(batch.output) == pytest.approx(total(local.output) / 2, rel=1e-3)
    assert "half the standard prices" in batch.output


def test_retry_failed_sends_the_error_lines_again_in_a_new_batch(tmp_path: Path) -> None:
    paths = write_images(tmp_path / "imgs", 4)
    out = tmp_path / "out.jsonl"
    failing = image_id(str(paths[1].resolve()))
    with Emulator() as emulator:
        emulator.fail_batch_requests([failing])
        first = runner.invoke(app, _args(emulator, tmp_path / "imgs", out))
        assert first.exit_code == ExitCode.FAILED, first.output
        before = {
            r["id"]: line
            for r, line in zip(read_records(out), out.read_bytes().splitlines(), strict=True)
        }
        emulator.reset()  # the failure is gone
        retry = runner.invoke(app, [*_args(emulator, tmp_path / "imgs", out), "--retry-failed"])
        assert retry.exit_code == 0, retry.output
        assert _added_ids(emulator) == [failing]
    after = out.read_bytes().splitlines()
    records = each_image_once(out, paths)
    assert all(r["error"] is None for r in records)
    for record, line in zip(records, after, strict=True):
        if record["id"] != failing:
            assert line == before[record["id"]], "other lines stay byte for byte"


def test_a_batch_created_but_not_recorded_is_found_by_its_name_on_resume(tmp_path: Path) -> None:
    paths = write_images(tmp_path / "imgs", 3)
    out = tmp_path / "out.jsonl"
    with Emulator() as emulator:
        # A run cut off between creating its batch and writing the batch's id down.
        XaiBatchState(name="xai-vision-cut-off", model="grok-4-fast-non-reasoning").save(out)
        with XAIClient(api_key=KEY, base_url=emulator.base_url, timeout=10) as client:
            orphan = client.batches.create("xai-vision-cut-off").batch_id
        result = runner.invoke(app, [*_args(emulator, tmp_path / "imgs", out), "--resume"])
        assert result.exit_code == 0, result.output
        assert _created(emulator) == 1
        added_to = {
            r.path for r in emulator.requests if r.method == "POST" and r.path.endswith("/requests")
        }
    assert added_to == {f"/v1/batches/{orphan}/requests"}
    each_image_once(out, paths)


def test_a_state_file_of_an_earlier_version_with_its_added_count_still_resumes(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"
    earlier = {"name": "xai-vision-old", "model": "m", "batch_id": "batch_1", "added": 4}
    state_path(out).write_text(json.dumps(earlier))
    loaded = XaiBatchState.load(out)
    assert loaded == XaiBatchState(name="xai-vision-old", model="m", batch_id="batch_1")
    state_path(out).write_text(json.dumps({**earlier, "unknown": 1}))
    with pytest.raises(RequestValidationError, match="not a batch state file"):
        XaiBatchState.load(out)
