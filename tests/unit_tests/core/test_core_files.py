"""``client.files``: xAI's Files API through the core clients, against the emulator over
loopback HTTP: uploads streamed from disk, the round trip, typed errors, the size limit before
sending, and ``file_id_for``'s content-addressed reuse (in memory, on disk, across clients)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from retry_sleeps import Sleeps
from xai_errors import refused_before_sending
from xai_vision import (
    FileIdCache,
    FileObject,
    FileTooLargeError,
    NotFoundError,
    RequestValidationError,
    XAIClient,
)
from xai_vision.client import AsyncXAIClient
from xai_vision.emulator import Emulator
from xai_vision.emulator.state import RecordedRequest
from xai_vision.files import MAX_FILE_BYTES, UPLOAD_CHUNK_BYTES

#: A key distinctive enough to search for in files, reprs and messages.
SECRET_KEY = "xai-files-test-SECRET-0123456789abcdef"


def uploads(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if r.method == "POST" and r.path == "/v1/files"]


def payload(size: int, seed: int = 1) -> bytes:
    """``size`` bytes that differ from one seed to another."""
    block = hashlib.sha256(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def client_of(emulator: Emulator, **kwargs: Any) -> XAIClient:
    return XAIClient(api_key=SECRET_KEY, base_url=emulator.base_url, timeout=10, **kwargs)


# --------------------------------------------------------------------------- upload and round trip


def test_upload_from_a_path_round_trips_with_progress(
    client: XAIClient, xai_emulator: Emulator, tmp_path: Path
) -> None:
    data = payload(3 * UPLOAD_CHUNK_BYTES + 123)
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    progress: list[tuple[int, int]] = []

    file = client.files.upload(path, on_progress=lambda sent, total: progress.append((sent, total)))

    assert isinstance(file, FileObject)
    assert (file.filename, file.bytes, file.purpose) == ("report.pdf", len(data), "assistants")
    assert file.id.startswith("file_")
    # One call per chunk read from disk, rising to the whole file.
    assert [sent for sent, _ in progress] == [
        UPLOAD_CHUNK_BYTES,
        2 * UPLOAD_CHUNK_BYTES,
        3 * UPLOAD_CHUNK_BYTES,
        len(data),
    ]
    assert {total for _, total in progress} == {len(data)}
    assert client.files.get(file.id) == file
    assert client.files.content(file.id) == data
    assert [f.id for f in client.files.list()] == [file.id]
    # The log keeps the form's summary, never the file's bytes.
    [logged] = uploads(xai_emulator.requests)
    assert logged.body == {
        "purpose": "assistants",
        "file": {
            "filename": "report.pdf",
            "content_type": "application/pdf",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    }
    assert logged.headers["content-length"] == str(logged.body_size)


def test_upload_of_bytes_needs_a_name_and_takes_a_type(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    refusal = r"filename is needed.*bytes\[5\]"
    with refused_before_sending(xai_emulator, RequestValidationError, refusal):
        client.files.upload(b"hello")

    file = client.files.upload(
        bytearray(b"a,b\n1,2\n"), filename="table.csv", purpose="batch", mime_type="text/x-csv"
    )
    assert (file.filename, file.bytes, file.purpose) == ("table.csv", 8, "batch")
    assert client.files.content(file.id) == b"a,b\n1,2\n"
    [logged] = uploads(xai_emulator.requests)
    assert logged.body["file"]["content_type"] == "text/x-csv"


def test_a_name_with_quotes_and_accents_arrives_as_given(client: XAIClient) -> None:
    name = 'Résumé "final".txt'
    file = client.files.upload(b"x", filename=name)
    assert file.filename == name
    assert client.files.get(file.id).filename == name


def test_a_big_upload_never_holds_the_file_in_memory(tmp_path: Path) -> None:
    """The body is read from disk a chunk at a time: the client's peak allocation stays far
    below the file's size (the emulator runs in another process, so only the client counts)."""
    size = 24 * 1024 * 1024
    path = tmp_path / "big.bin"
    with path.open("wb") as out:
        for i in range(size // (1024 * 1024)):
            out.write(payload(1024 * 1024, seed=i))
    with Emulator(mode="subprocess") as emulator, client_of(emulator) as client:
        client.files.list()  # the connection and imports first: only the upload is measured
        tracemalloc.start()
        try:
            file = client.files.upload(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert file.bytes == size
        assert peak < size / 8, f"peak {peak} bytes while uploading {size}"

        async def upload_async() -> tuple[FileObject, int]:
            files = client.async_client.files
            await files.list()
            tracemalloc.start()
            try:
                uploaded = await files.upload(path)
                return uploaded, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        file, peak = asyncio.run(upload_async())
        assert file.bytes == size
        assert peak < size / 8, f"async: peak {peak} bytes while uploading {size}"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert [r.body["file"]["sha256"] for r in uploads(emulator.requests)] == [digest] * 2


def test_a_retried_upload_resends_the_whole_file(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps, tmp_path: Path
) -> None:
    data = payload(2 * UPLOAD_CHUNK_BYTES + 7)
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    xai_emulator.fail_next(1, status=503)
    progress: list[int] = []

    file = client.files.upload(path, on_progress=lambda sent, total: progress.append(sent))

    assert len(sleeps) == 1
    sent = uploads(xai_emulator.requests)
    assert len(sent) == 2
    assert sent[0].body == sent[1].body  # the same form, whole, both times
    assert sent[1].body["file"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert progress == [UPLOAD_CHUNK_BYTES, 2 * UPLOAD_CHUNK_BYTES, len(data)] * 2
    assert client.files.content(file.id) == data


def test_delete_then_every_call_is_a_typed_not_found(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    file = client.files.upload(b"short-lived", filename="a.txt")
    deleted = client.files.delete(file.id)
    assert (deleted.id, deleted.deleted) == (file.id, True)
    for call in (client.files.get, client.files.content, client.files.delete):
        with pytest.raises(NotFoundError) as caught:
            call(file.id)
        assert caught.value.status_code == 404
        assert file.id in caught.value.message
        assert caught.value.code == "Some requested entity was not found"
    assert client.files.list() == []


def test_list_follows_pages(client: XAIClient) -> None:
    ids = {client.files.upload(payload(10, seed=i), filename=f"{i}.txt").id for i in range(103)}
    listed = client.files.list()
    assert len(listed) == 103
    assert {f.id for f in listed} == ids


@pytest.mark.parametrize("file_id", ["", "../models", "a/b", "id with space", "x?y=1", 7])
def test_a_malformed_file_id_is_refused_before_sending(
    client: XAIClient, xai_emulator: Emulator, file_id: Any
) -> None:
    with refused_before_sending(xai_emulator, RequestValidationError, "file_id"):
        client.files.get(file_id)


def test_a_missing_path_is_named_before_sending(
    client: XAIClient, xai_emulator: Emulator, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.pdf"
    unreadable = r"nowhere\.pdf cannot be read"
    with refused_before_sending(xai_emulator, RequestValidationError, unreadable):
        client.files.upload(missing)
    with refused_before_sending(xai_emulator, RequestValidationError, "not a regular file"):
        client.files.upload(tmp_path)


# --------------------------------------------------------------------------- the size limit


def test_a_file_over_the_limit_is_refused_before_any_request(
    client: XAIClient, xai_emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as out:  # sparse: no disk used
        out.truncate(MAX_FILE_BYTES + 1)

    with pytest.raises(FileTooLargeError) as caught:
        client.files.upload(path)
    error = caught.value
    assert isinstance(error, RequestValidationError)
    assert (error.size, error.limit) == (MAX_FILE_BYTES + 1, 48_000_000)
    assert "huge.pdf" in str(error) and "48,000,000" in str(error)

    too_big = bytes(MAX_FILE_BYTES + 1)
    with refused_before_sending(xai_emulator, FileTooLargeError, r"scan\.pdf"):
        client.files.file_id_for(too_big, "scan.pdf")
    with refused_before_sending(xai_emulator, FileTooLargeError, r"scan\.pdf"):
        client.files.upload(too_big, filename="scan.pdf")

    path.write_bytes(b"")  # exactly at the limit passes the check (and a 0-byte file uploads)
    assert client.files.upload(path).bytes == 0


# --------------------------------------------------------------------------- file_id_for


def test_the_same_bytes_are_uploaded_once(client: XAIClient, xai_emulator: Emulator) -> None:
    first = client.files.file_id_for(b"%PDF-1.7 one", "one.pdf")
    assert client.files.file_id_for(b"%PDF-1.7 one", "one.pdf") == first
    assert client.files.file_id_for(memoryview(b"%PDF-1.7 one"), "renamed.pdf") == first
    other = client.files.file_id_for(b"%PDF-1.7 two", "two.pdf")
    assert other != first
    assert len(uploads(xai_emulator.requests)) == 2
    assert xai_emulator.requests[-1].method == "POST"  # the reuse sent nothing at all
    assert client.files.content(first) == b"%PDF-1.7 one"


def test_threads_asking_for_the_same_bytes_share_one_upload(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    xai_emulator.set_latency(0.05)  # the upload is still in flight when the others ask
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(lambda _: client.files.file_id_for(b"threads", "t.txt"), range(6)))
    assert len(set(ids)) == 1
    assert len(uploads(xai_emulator.requests)) == 1
    assert client.files._flights == {}  # no lock left behind per content


def test_the_sync_client_and_its_async_twin_share_one_cache(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    file_id = client.files.file_id_for(b"shared", "s.txt")
    assert asyncio.run(client.async_client.files.file_id_for(b"shared", "s.txt")) == file_id
    assert len(uploads(xai_emulator.requests)) == 1


def test_a_deleted_file_is_forgotten_by_the_cache(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    first = client.files.file_id_for(b"again", "a.txt")
    client.files.delete(first)
    second = client.files.file_id_for(b"again", "a.txt")
    assert second != first
    assert client.files.get(second).bytes == 5


def test_the_disk_cache_carries_ids_to_another_client(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    cache_path = tmp_path / "cache" / "file-ids.json"
    with client_of(xai_emulator, file_cache=cache_path) as first:
        file_id = first.files.file_id_for(b"%PDF contract", "contract.pdf")
    xai_emulator.clear_requests()

    with client_of(xai_emulator, file_cache=str(cache_path)) as second:  # "another process"
        assert second.files.file_id_for(b"%PDF contract", "contract.pdf") == file_id
        assert second.files.file_id_for(b"%PDF contract", "contract.pdf") == file_id
    # Checked once with GET (it came from disk), then trusted; never uploaded again.
    assert [(r.method, r.path) for r in xai_emulator.requests] == [("GET", f"/v1/files/{file_id}")]
    text = cache_path.read_text()
    stored = json.loads(text)
    digest = hashlib.sha256(b"%PDF contract").hexdigest()
    assert stored["files"][xai_emulator.base_url][digest]["id"] == file_id
    assert SECRET_KEY not in text
    assert [p.name for p in cache_path.parent.iterdir()] == ["file-ids.json"]  # no temp left


def test_a_cached_id_xai_lost_is_uploaded_again(xai_emulator: Emulator, tmp_path: Path) -> None:
    cache_path = tmp_path / "file-ids.json"
    with client_of(xai_emulator, file_cache=cache_path) as first:
        lost = first.files.file_id_for(b"expired bytes", "e.txt")
    assert xai_emulator.forget_file(lost) is True
    xai_emulator.clear_requests()

    with client_of(xai_emulator, file_cache=FileIdCache(cache_path)) as second:
        fresh = second.files.file_id_for(b"expired bytes", "e.txt")
        assert fresh != lost
        assert second.files.content(fresh) == b"expired bytes"
    assert [(r.method, r.path) for r in xai_emulator.requests][:2] == [
        ("GET", f"/v1/files/{lost}"),
        ("POST", "/v1/files"),
    ]
    digest = hashlib.sha256(b"expired bytes").hexdigest()
    assert json.loads(cache_path.read_text())["files"][xai_emulator.base_url][digest]["id"] == fresh


def test_a_cache_keyed_by_base_url_never_lends_ids_to_another_server(
    xai_emulator: Emulator, tmp_path: Path
) -> None:
    cache = FileIdCache(tmp_path / "ids.json")
    with client_of(xai_emulator, file_cache=cache) as first:
        first_id = first.files.file_id_for(b"same", "s.txt")
    with Emulator() as other, client_of(other, file_cache=cache) as second:
        second_id = second.files.file_id_for(b"same", "s.txt")
        assert len(uploads(other.requests)) == 1
    assert second_id != first_id
    assert len(json.loads((tmp_path / "ids.json").read_text())["files"]) == 2


def test_an_unreadable_cache_file_starts_empty_and_is_rewritten(
    xai_emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache_path = tmp_path / "ids.json"
    cache_path.write_text("{not json")
    with client_of(xai_emulator, file_cache=cache_path) as client:
        file_id = client.files.file_id_for(b"fine", "f.txt")
        assert client.files.get(file_id).filename == "f.txt"
    assert "unreadable" in caplog.text
    assert json.loads(cache_path.read_text())["version"] == 1
    digest = hashlib.sha256(b"fine").hexdigest()
    assert FileIdCache(cache_path).lookup(xai_emulator.base_url, digest) == (file_id, False)


def test_the_key_is_in_no_repr_cache_or_error(xai_emulator: Emulator, tmp_path: Path) -> None:
    cache_path = tmp_path / "ids.json"
    with client_of(xai_emulator, file_cache=cache_path) as client:
        client.files.file_id_for(b"k", "k.txt")
        texts = [repr(client), repr(client.files), repr(client.file_cache), cache_path.read_text()]
        with pytest.raises(NotFoundError) as missing:
            client.files.get("file_unknown")
        with pytest.raises(FileTooLargeError) as too_big:
            client.files.upload(bytes(MAX_FILE_BYTES + 1), filename="big.bin")
        texts += [str(missing.value), repr(missing.value.body), str(too_big.value)]
    for text in texts:
        assert SECRET_KEY not in text


def test_file_cache_must_be_a_path_or_a_cache() -> None:
    with pytest.raises(RequestValidationError, match="file_cache has type int"):
        XAIClient(api_key="k", file_cache=3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- async


async def test_async_round_trip_from_a_path(xai_emulator: Emulator, tmp_path: Path) -> None:
    data = payload(UPLOAD_CHUNK_BYTES + 1)
    path = tmp_path / "scan.png"
    path.write_bytes(data)
    progress: list[tuple[int, int]] = []
    async with AsyncXAIClient(api_key=SECRET_KEY, base_url=xai_emulator.base_url) as client:
        file = await client.files.upload(
            path, purpose="vision", on_progress=lambda s, t: progress.append((s, t))
        )
        assert progress == [(UPLOAD_CHUNK_BYTES, len(data)), (len(data), len(data))]
        assert (file.filename, file.purpose) == ("scan.png", "vision")
        assert await client.files.get(file.id) == file
        assert await client.files.content(file.id) == data
        assert [f.id for f in await client.files.list()] == [file.id]
        assert (await client.files.delete(file.id)).deleted
        with pytest.raises(NotFoundError):
            await client.files.get(file.id)
    [logged] = uploads(xai_emulator.requests)
    assert logged.body["file"]["content_type"] == "image/png"


async def test_an_async_upload_cut_by_a_reset_is_resent_from_the_start(
    xai_emulator: Emulator, sleeps: Sleeps, tmp_path: Path
) -> None:
    data = payload(2 * UPLOAD_CHUNK_BYTES + 5)
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    xai_emulator.reset_next(1)
    async with AsyncXAIClient(
        api_key=SECRET_KEY, base_url=xai_emulator.base_url, sleep=sleeps.async_sleep
    ) as client:
        file = await client.files.upload(path)
        assert await client.files.content(file.id) == data
    assert len(sleeps) == 1
    digest = hashlib.sha256(data).hexdigest()
    assert [r.body["file"]["sha256"] for r in uploads(xai_emulator.requests)] == [digest] * 2


async def test_concurrent_callers_of_the_same_bytes_share_one_upload(
    xai_emulator: Emulator,
) -> None:
    xai_emulator.set_latency(0.05)  # the upload is still in flight when the others ask
    async with AsyncXAIClient(api_key=SECRET_KEY, base_url=xai_emulator.base_url) as client:
        same = [client.files.file_id_for(b"%PDF shared", "shared.pdf") for _ in range(8)]
        other = client.files.file_id_for(b"%PDF other", "other.pdf")
        *ids, other_id = await asyncio.gather(*same, other)
        assert len(set(ids)) == 1 and other_id != ids[0]
        assert await client.files.file_id_for(b"%PDF shared", "shared.pdf") == ids[0]
    assert len(uploads(xai_emulator.requests)) == 2


async def test_a_failed_shared_upload_fails_every_caller_and_the_next_call_retries(
    xai_emulator: Emulator,
) -> None:
    async with AsyncXAIClient(
        api_key=SECRET_KEY, base_url=xai_emulator.base_url, max_retries=0
    ) as client:
        xai_emulator.fail_next(1, status=500)
        results = await asyncio.gather(
            *[client.files.file_id_for(b"flaky", "f.txt") for _ in range(3)],
            return_exceptions=True,
        )
        assert [type(r).__name__ for r in results] == ["InternalServerError"] * 3
        file_id = await client.files.file_id_for(b"flaky", "f.txt")
        assert await client.files.content(file_id) == b"flaky"
    assert len(uploads(xai_emulator.requests)) == 2


async def test_async_size_limit_before_any_request(xai_emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "huge.bin"
    with path.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)
    async with AsyncXAIClient(api_key=SECRET_KEY, base_url=xai_emulator.base_url) as client:
        with refused_before_sending(xai_emulator, FileTooLargeError, r"huge\.bin"):
            await client.files.upload(path)
        with refused_before_sending(xai_emulator, FileTooLargeError):
            await client.files.file_id_for(bytes(MAX_FILE_BYTES + 1), "b.bin")


def test_upload_reads_a_file_that_shrank_as_a_clear_error(
    client: XAIClient, xai_emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "growing.log"
    path.write_bytes(payload(2 * UPLOAD_CHUNK_BYTES))

    def shrink(sent: int, total: int) -> None:
        os.truncate(path, UPLOAD_CHUNK_BYTES)

    with pytest.raises(RequestValidationError, match=r"growing\.log changed while"):
        client.files.upload(path, on_progress=shrink)
    assert client.files.list() == []
