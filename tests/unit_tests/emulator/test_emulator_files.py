"""The emulator's Files API (``/v1/files``), driven by httpx's own multipart encoder (not the
core's): answers valid against xAI's spec, 404 / 413 / 415 / 400 in xAI's flat error body,
auth, per-key files, paging, the request log's form summary, and the file store handlers read."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import pytest
from xai_vision.emulator import Emulator
from xai_vision.emulator.documents import file_reader
from xai_vision.emulator.file_store import FileStore
from xai_vision.emulator.multipart import parse_form
from xai_vision.emulator.response_store import owner_of
from xai_vision.emulator.validation import Rejection
from xai_vision.files import MAX_FILE_BYTES

from tests.conftest import SchemaValidator

NOT_FOUND = "Some requested entity was not found"


def upload(
    client: httpx.Client, data: bytes, name: str = "doc.pdf", **fields: Any
) -> httpx.Response:
    return client.post("/files", files={"file": (name, data, "application/pdf")}, data=fields)


def test_upload_get_content_list_delete_match_the_spec(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    before = int(time.time())
    response = upload(client, b"%PDF-1.7 hello", purpose="assistants")
    assert response.status_code == 200, response.text
    file = response.json()
    xai_schema("File").validate(file)
    assert file["object"] == "file" and file["id"].startswith("file_")
    assert (file["filename"], file["bytes"], file["purpose"]) == ("doc.pdf", 14, "assistants")
    assert before <= file["created_at"] <= time.time() and file["expires_at"] is None

    got = client.get(f"/files/{file['id']}")
    assert got.status_code == 200 and got.json() == file
    content = client.get(f"/files/{file['id']}/content")
    assert content.headers["content-type"] == "application/octet-stream"
    assert content.content == b"%PDF-1.7 hello"
    listed = client.get("/files").json()
    xai_schema("ListFilesResponse").validate(listed)
    assert listed == {"data": [file], "pagination_token": file["id"]}

    deleted = client.delete(f"/files/{file['id']}")
    assert deleted.status_code == 200
    xai_schema("DeleteFileResponse").validate(deleted.json())
    assert deleted.json() == {"id": file["id"], "object": "file", "deleted": True}
    assert client.get("/files").json() == {"data": [], "pagination_token": None}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/files/file_nope"),
        ("GET", "/files/file_nope/content"),
        ("DELETE", "/files/file_nope"),
    ],
)
def test_an_unknown_id_is_a_404_in_xais_body(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.json() == {"code": NOT_FOUND, "error": "File with id 'file_nope' not found."}


def test_a_file_over_the_limit_is_a_413(client: httpx.Client, xai_emulator: Emulator) -> None:
    response = upload(client, bytes(MAX_FILE_BYTES + 1), "big.bin")
    assert response.status_code == 413
    body = response.json()
    assert set(body) == {"code", "error"} and str(MAX_FILE_BYTES) in body["error"]
    assert client.get("/files").json()["data"] == []
    [logged] = [r for r in xai_emulator.requests if r.method == "POST"]
    assert logged.body["file"]["bytes"] == MAX_FILE_BYTES + 1  # summarised, not kept
    assert upload(client, bytes(MAX_FILE_BYTES), "limit.bin").status_code == 200


def test_auth_is_checked_like_every_route(xai_emulator: Emulator) -> None:
    with httpx.Client(base_url=xai_emulator.base_url, trust_env=False) as anonymous:
        assert anonymous.get("/files").status_code == 401
        assert upload(anonymous, b"x").status_code == 401
    with Emulator(valid_keys=["good-key"]) as strict:
        headers = {"Authorization": "Bearer wrong-key"}
        with httpx.Client(base_url=strict.base_url, headers=headers, trust_env=False) as wrong:
            response = wrong.get("/files")
    assert response.status_code == 400 and "Incorrect API key" in response.json()["error"]


def test_another_key_sees_none_of_the_files(client: httpx.Client, xai_emulator: Emulator) -> None:
    file_id = upload(client, b"mine").json()["id"]
    headers = {"Authorization": "Bearer another-team"}
    with httpx.Client(base_url=xai_emulator.base_url, headers=headers, trust_env=False) as other:
        assert other.get(f"/files/{file_id}").status_code == 404
        assert other.delete(f"/files/{file_id}").status_code == 404
        assert other.get("/files").json()["data"] == []
    assert client.get(f"/files/{file_id}").status_code == 200


@pytest.mark.parametrize(
    ("content", "headers", "status", "message"),
    [
        (b'{"file": "x"}', {"Content-Type": "application/json"}, 415, "multipart/form-data"),
        (b"no boundary here", {"Content-Type": "multipart/form-data; boundary=b"}, 400, "boundary"),
        (
            b'--b\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nx\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"},
            400,
            "`file` part",
        ),
        (
            b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"},
            400,
            "unnamed `file` part",
        ),
        (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx',
            {"Content-Type": "multipart/form-data; boundary=b"},
            400,
            "closing boundary",
        ),
    ],
)
def test_a_bad_form_is_refused(
    client: httpx.Client, content: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    response = client.post("/files", content=content, headers=headers)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_expires_after_is_checked_and_must_come_first(client: httpx.Client) -> None:
    kept = upload(client, b"x", expires_after="3600").json()
    assert kept["expires_at"] == kept["created_at"] + 3600
    too_short = upload(client, b"x", expires_after="60")
    assert too_short.status_code == 400 and "between 3600 and 2592000" in too_short.text
    late = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: form-data; name="expires_after"\r\n\r\n3600\r\n--b--\r\n'
    )
    response = client.post(
        "/files", content=late, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 400 and "before file" in response.text


def test_list_pages_orders_and_sorts(client: httpx.Client, xai_schema: SchemaValidator) -> None:
    ids = [upload(client, b"x" * (5 - i), f"{'cab'[i]}.txt").json()["id"] for i in range(3)]
    first = client.get("/files", params={"limit": 2, "order": "asc"}).json()
    xai_schema("ListFilesResponse").validate(first)
    assert [f["id"] for f in first["data"]] == ids[:2]
    rest = client.get(
        "/files", params={"limit": 2, "order": "asc", "pagination_token": first["pagination_token"]}
    ).json()
    assert [f["id"] for f in rest["data"]] == ids[2:]
    assert [f["id"] for f in client.get("/files").json()["data"]] == ids[::-1]  # newest first
    by_name = client.get("/files", params={"sort_by": "filename", "order": "asc"}).json()
    assert [f["filename"] for f in by_name["data"]] == ["a.txt", "b.txt", "c.txt"]
    by_size = client.get("/files", params={"sort_by": "size", "order": "asc"}).json()
    assert [f["bytes"] for f in by_size["data"]] == [3, 4, 5]
    for bad in ({"limit": 0}, {"limit": "x"}, {"order": "up"}, {"pagination_token": "file_x"}):
        assert client.get("/files", params=bad).status_code == 400, bad


def test_the_log_keeps_a_summary_of_the_form_never_its_bytes(
    client: httpx.Client, xai_emulator: Emulator
) -> None:
    data = b"SECRET-DOCUMENT-CONTENT" * 100
    upload(client, data, "contract.pdf", purpose="assistants")
    [logged] = xai_emulator.requests
    assert logged.body == {
        "purpose": "assistants",
        "file": {
            "filename": "contract.pdf",
            "content_type": "application/pdf",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    }
    assert logged.body_size > len(data)
    assert "SECRET-DOCUMENT" not in repr(logged)
    assert logged.headers["authorization"] == "Bearer [REDACTED]"


def test_faults_apply_to_the_files_routes(client: httpx.Client, xai_emulator: Emulator) -> None:
    xai_emulator.fail_next(1, status=503)
    assert upload(client, b"x").status_code == 503
    assert upload(client, b"x").status_code == 200


def test_forget_file_and_reset_lose_files(client: httpx.Client, xai_emulator: Emulator) -> None:
    kept, lost = (upload(client, b"x").json()["id"] for _ in range(2))
    assert xai_emulator.forget_file(lost) is True
    assert xai_emulator.forget_file(lost) is False
    assert client.get(f"/files/{lost}").status_code == 404
    assert client.get(f"/files/{kept}").status_code == 200
    xai_emulator.reset()
    assert client.get(f"/files/{kept}").status_code == 404


def test_forget_file_reaches_a_subprocess_emulator() -> None:
    with Emulator(mode="subprocess") as emulator:
        headers = {"Authorization": f"Bearer {emulator.api_key}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers, trust_env=False) as http:
            file_id = upload(http, b"x").json()["id"]
            assert emulator.forget_file(file_id) is True
            assert http.get(f"/files/{file_id}").status_code == 404


def test_the_store_gives_handlers_a_files_bytes_by_owner_and_id() -> None:
    store = FileStore(max_entries=2)
    alice, bob = owner_of("alice-key"), owner_of("bob-key")
    as_alice, as_bob = file_reader(store, alice), file_reader(store, bob)
    first = store.put(alice, "a.pdf", "assistants", b"%PDF a")
    assert as_alice(first.id) == (b"%PDF a", "a.pdf")
    assert as_bob(first.id) is None
    assert as_alice("file_unknown") is None
    store.put(alice, "b.pdf", "", b"b")
    store.put(bob, "c.pdf", "", b"c")  # the oldest goes
    assert as_alice(first.id) is None and len(store) == 2
    expired = store.put(alice, "d.pdf", "", b"d", expires_after=-1)
    assert as_alice(expired.id) is None


def test_the_form_parser_reads_names_types_and_escapes() -> None:
    body = (
        b"preamble\r\n--xyz\r\n"
        b'Content-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n'
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a \\"q\\" %22b%22.pdf"'
        b"\r\nContent-Type: application/pdf\r\n\r\n--xyz-not-a-boundary\r\n\r\n--xyz\r\n"
        b"Content-Disposition: form-data; name=\"other\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
        b"\r\n\r\n\r\n--xyz--\r\n"
    )
    parts = parse_form(body, 'multipart/form-data; boundary="xyz"')
    assert [(p.name, p.filename, p.content_type, p.data) for p in parts] == [
        ("purpose", None, None, b"assistants"),
        ("file", 'a "q" "b".pdf', "application/pdf", b"--xyz-not-a-boundary\r\n"),
        ("other", "résumé.txt", None, b""),
    ]
    with pytest.raises(Rejection) as caught:
        parse_form(body, "multipart/form-data")
    assert caught.value.status == 415
