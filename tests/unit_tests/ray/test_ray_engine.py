"""``xai_vision.ray.ask_images`` on the session's local Ray against the emulator: every row
accounted for under injected faults, the rate limit held across workers (retries counted,
measured from the emulator's request log), resume by ids, bad images as error rows, and a
failure every image would hit stopping the job with its typed error."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cli_batch import write_images
from pydantic import SecretStr
from xai_vision.emulator import Emulator
from xai_vision.errors import NotFoundError
from xai_vision.image_batch import TRANSIENT_ERROR_TYPES, image_id
from xai_vision.ray import RESULT_COLUMNS, BatchStopped, ask_images, result_record

PROMPT = "What is this?"


def chat_requests(emulator: Emulator) -> list[Any]:
    return [r for r in emulator.requests if r.path.endswith("/chat/completions")]


def run(ray: Any, emulator: Emulator, rows: list[dict[str, Any]], **options: Any) -> list[Any]:
    dataset = ray.data.from_items(rows)
    options.setdefault("timeout", 10)
    results = ask_images(
        dataset, PROMPT, api_key=emulator.api_key, base_url=emulator.base_url, **options
    )
    return list(results.take_all())


def test_every_row_is_accounted_for_under_faults_and_bad_images(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    paths = [str(p) for p in write_images(tmp_path / "imgs", 12)]
    broken = tmp_path / "imgs" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    missing = str(tmp_path / "imgs" / "missing.png")
    images = [*paths, str(broken), missing]
    xai_emulator.fail_next(3, status=503)
    xai_emulator.fail_next(2, status=429)
    rows = run(ray_cluster, xai_emulator, [{"image": p} for p in images], max_retries=0)

    assert set(rows[0]) == set(RESULT_COLUMNS)
    by_source = {row["source"]: row for row in rows}
    assert len(rows) == len(images) and set(by_source) == {str(Path(p).resolve()) for p in images}
    assert Counter(row["id"] for row in rows) == Counter(image_id(s) for s in by_source)
    errors = {s: json.loads(r["error"]) for s, r in by_source.items() if r["error"] is not None}
    assert errors.pop(str(broken.resolve()))["type"] == "ImageDecodeError"
    assert errors.pop(missing)["type"] == "ImageSourceError"
    # With no retries, each injected fault is one row's typed, temporary error; the job went on.
    assert Counter(e["type"] for e in errors.values()) == {
        "InternalServerError": 3,
        "RateLimitError": 2,
    }
    assert {e["type"] for e in errors.values()} <= TRANSIENT_ERROR_TYPES
    answered = [r for r in rows if r["error"] is None]
    assert len(answered) == 12 - 5 == len(chat_requests(xai_emulator)) - 5
    for row in answered:
        record = result_record(row)
        assert record["answer"].startswith("I see 1 image.") and PROMPT in record["answer"]
        assert record["usage"]["image_tokens"] > 0 and record["model"]
        assert list(record) == ["id", "source", "answer", "usage", "error", "model"]


def test_the_rate_limit_holds_across_workers_and_counts_retries(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    rps = 4
    paths = write_images(tmp_path / "imgs", 10)
    xai_emulator.fail_next(4, status=503, retry_after_ms=1)
    rows = run(
        ray_cluster,
        xai_emulator,
        [{"image": str(p)} for p in paths],
        requests_per_second=rps,
        workers=2,
        concurrency_per_worker=8,
        max_retries=3,
    )
    assert [r["error"] for r in rows] == [None] * 10
    times = sorted(r.received_at for r in chat_requests(xai_emulator))
    assert len(times) == 10 + 4  # every retry went through the limiter too
    # Any rps+1 requests the emulator received span at least a second (less a little for
    # the time between a permit and the request's arrival). Two workers of 8 requests each
    # would otherwise send all 14 at once.
    spans = [times[i + rps] - times[i] for i in range(len(times) - rps)]
    assert min(spans) >= 0.85, spans


def test_skip_ids_leaves_those_images_unsent(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    paths = write_images(tmp_path / "imgs", 4)
    done = {image_id(str(paths[1].resolve())), image_id(str(paths[3].resolve()))}
    rows = run(ray_cluster, xai_emulator, [{"image": str(p)} for p in paths], skip_ids=done)
    assert len(chat_requests(xai_emulator)) == 2  # the skipped images were never sent
    assert sorted(row["source"] for row in rows) == [
        str(paths[0].resolve()),
        str(paths[2].resolve()),
    ]
    assert all(row["error"] is None for row in rows)


def test_bytes_are_images_named_by_their_digest(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    data = [p.read_bytes() for p in write_images(tmp_path / "imgs", 2)]
    rows = run(ray_cluster, xai_emulator, [{"picture": d} for d in data], column="picture")
    assert sorted((r["id"], r["source"]) for r in rows) == sorted(
        (hashlib.sha256(d).hexdigest()[:16], f"bytes[{len(d)}]") for d in data
    )
    assert all(row["error"] is None and row["answer"] for row in rows)


def test_an_id_column_names_the_rows(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    (path,) = write_images(tmp_path / "imgs", 1)
    rows = run(ray_cluster, xai_emulator, [{"id": "mine-1", "image": str(path)}])
    assert [(r["id"], r["source"]) for r in rows] == [("mine-1", str(path.resolve()))]


def test_a_model_xai_does_not_know_stops_the_job_with_its_typed_error(
    ray_cluster: Any, xai_emulator: Emulator, tmp_path: Path
) -> None:
    paths = write_images(tmp_path / "imgs", 2)
    with pytest.raises(Exception) as info:  # Ray wraps what the actor raised
        run(ray_cluster, xai_emulator, [{"image": str(p)} for p in paths], model="grok-nope-9")
    stopped = BatchStopped.found_in(info.value)
    assert stopped is not None, repr(info.value)
    assert isinstance(stopped.typed(), NotFoundError)
    assert stopped.typed().status_code == 404


def test_the_connection_handed_to_the_actors_hides_the_key(xai_emulator: Emulator) -> None:
    """What the actors receive shows no key when printed (Ray logs actor arguments); the
    whole job's files and Ray's session logs are checked in test_ray_cli.py."""
    from xai_vision.ray import _Connection

    secret = "xai-ray-repr-key-5b8e2d7c1a9f"
    connection = _Connection(SecretStr(secret), xai_emulator.base_url, 10, 0, "chat_completions")
    for shown in (repr(connection), str(connection)):
        assert secret not in shown
    assert connection.api_key is not None and connection.api_key.get_secret_value() == secret
