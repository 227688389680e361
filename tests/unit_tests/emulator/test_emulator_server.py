"""The emulator's HTTP server: lifecycle, routing, auth, HTTP/1.1 details, modes and the CLI."""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from xai_vision.emulator import DEFAULT_API_KEY, Emulator

from tests.conftest import SchemaValidator

TEXT_BODY = {"model": "grok-4-fast-non-reasoning", "messages": [{"role": "user", "content": "hi"}]}


def test_base_url_is_loopback_with_an_ephemeral_port(xai_emulator: Emulator) -> None:
    assert xai_emulator.base_url == f"http://127.0.0.1:{xai_emulator.port}/v1"
    assert xai_emulator.port and xai_emulator.port > 0


def test_stop_releases_the_port_and_base_url_needs_a_running_server() -> None:
    emulator = Emulator().start()
    port = emulator.port
    emulator.stop()
    emulator.stop()  # twice is fine
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.base_url
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port or 0)) != 0


def test_two_emulators_are_independent() -> None:
    with Emulator() as first, Emulator() as second:
        assert first.port != second.port
        httpx.post(f"{first.base_url}/chat/completions", json=TEXT_BODY, timeout=10)
        assert len(first.requests) == 1
        assert second.requests == []


def test_keep_alive_serves_many_requests_on_one_connection(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    for _ in range(5):
        assert client.post("/chat/completions", json=TEXT_BODY).status_code == 200
    # httpx pools one connection; the server must not have closed it in between.
    assert client.post("/chat/completions", json=TEXT_BODY).headers.get("connection") != "close"
    assert len(xai_emulator.requests) == 6


def test_models_list_and_lookup(client: httpx.Client) -> None:
    listed = client.get("/models")
    assert listed.status_code == 200
    payload = listed.json()
    assert payload["object"] == "list"
    ids = [m["id"] for m in payload["data"]]
    assert "grok-4-fast-non-reasoning" in ids
    assert all(set(m) == {"id", "created", "object", "owned_by"} for m in payload["data"])
    one = client.get("/models/grok-4-fast")
    assert one.status_code == 200 and one.json()["id"] == "grok-4-fast-reasoning"
    missing = client.get("/models/gpt-4o")
    assert missing.status_code == 404
    assert "model not found" in missing.json()["error"]


def test_models_responses_validate_against_the_spec(
    client: httpx.Client, xai_schema: SchemaValidator
) -> None:
    for name, path in (("ListModelsResponse", "/models"), ("Model", "/models/grok-3")):
        xai_schema(name).validate(client.get(path).json())


def test_unknown_path_is_404_with_flat_body(client: httpx.Client) -> None:
    response = client.post("/nope", json={})
    assert response.status_code == 404
    assert set(response.json()) == {"code", "error"}


def test_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.get("/chat/completions")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["code"]
    assert client.post("/models").status_code == 405


@pytest.mark.parametrize(
    ("content", "headers"),
    [(b"", {"content-type": "application/json"}), (b"{}", {"content-type": "text/plain"})],
)
def test_empty_body_or_wrong_content_type_is_415(
    client: httpx.Client, content: bytes, headers: dict[str, str]
) -> None:
    response = client.post("/chat/completions", content=content, headers=headers)
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["error"]


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/chat/completions", content=b'{"model": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"].startswith("Failed to parse the request body as JSON")


def test_body_over_the_limit_is_413() -> None:
    from xai_vision.emulator import EmulatorSettings

    with Emulator(settings=EmulatorSettings(max_body_bytes=1000)) as emulator:
        response = httpx.post(
            f"{emulator.base_url}/chat/completions",
            content=b"{" + b" " * 2000 + b"}",
            headers={"content-type": "application/json", "authorization": "Bearer k"},
            timeout=10,
        )
    assert response.status_code == 413
    assert "length limit" in response.json()["error"]


def test_chunked_request_bodies_are_read(xai_emulator: Emulator) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"model": "grok-4-fast-non-reasoning",'
        yield b' "messages": [{"role": "user", "content": "chunked"}]}'

    response = httpx.post(
        f"{xai_emulator.base_url}/chat/completions",
        content=body(),
        headers={"content-type": "application/json", "authorization": "Bearer k"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"].endswith("You asked: chunked")


# --------------------------------------------------------------------------- auth


def test_no_authorization_is_401_no_credentials(xai_emulator: Emulator) -> None:
    response = httpx.post(f"{xai_emulator.base_url}/chat/completions", json=TEXT_BODY, timeout=10)
    assert response.status_code == 401
    assert response.json()["error"] == "No credentials presented."


def test_malformed_authorization_is_401(xai_emulator: Emulator) -> None:
    for header in ("Basic abc", "Bearer", "Token xyz"):
        response = httpx.post(
            f"{xai_emulator.base_url}/chat/completions",
            json=TEXT_BODY,
            headers={"authorization": header},
            timeout=10,
        )
        assert response.status_code == 401, header


def test_any_non_empty_key_is_accepted_by_default(xai_emulator: Emulator) -> None:
    response = httpx.post(
        f"{xai_emulator.base_url}/chat/completions",
        json=TEXT_BODY,
        headers={"authorization": "Bearer anything-at-all"},
        timeout=10,
    )
    assert response.status_code == 200


def test_invalid_key_is_400_incorrect_api_key_masked() -> None:
    secret = "xai-this-is-a-wrong-key-yz"
    with Emulator(invalid_keys=[secret]) as emulator:
        response = httpx.post(
            f"{emulator.base_url}/chat/completions",
            json=TEXT_BODY,
            headers={"authorization": f"Bearer {secret}"},
            timeout=10,
        )
        logged = emulator.requests[-1]
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "Client specified an invalid argument"
    assert body["error"].startswith("Incorrect API key provided: xa***yz")
    assert secret not in response.text
    assert secret not in repr(logged) and logged.headers["authorization"] == "Bearer [REDACTED]"


def test_valid_keys_setting_rejects_other_keys() -> None:
    from xai_vision.emulator import EmulatorSettings

    with Emulator(settings=EmulatorSettings(valid_keys=("good-key",))) as emulator:
        url = f"{emulator.base_url}/models"
        good = httpx.get(url, headers={"authorization": "Bearer good-key"}, timeout=10)
        bad = httpx.get(url, headers={"authorization": "Bearer other-key"}, timeout=10)
    assert good.status_code == 200
    assert bad.status_code == 400 and "Incorrect API key" in bad.json()["error"]


def test_request_log_redacts_the_key_and_parses_the_body(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    client.post("/chat/completions", json=TEXT_BODY, headers={"x-custom": "kept"})
    logged = xai_emulator.last_request
    assert logged.method == "POST" and logged.path == "/v1/chat/completions"
    assert logged.body == TEXT_BODY
    assert logged.headers["authorization"] == "Bearer [REDACTED]"
    assert logged.headers["x-custom"] == "kept"
    assert DEFAULT_API_KEY not in repr(xai_emulator.requests)
    xai_emulator.clear_requests()
    assert xai_emulator.requests == []


def test_request_log_times_each_arrival(xai_emulator: Emulator, client: httpx.Client) -> None:
    """``received_at`` (wall clock) orders the log: request rates are measured from it."""
    import time

    before = time.time()
    for _ in range(3):
        client.post("/chat/completions", json=TEXT_BODY)
    times = [r.received_at for r in xai_emulator.requests]
    assert before <= times[0] <= times[1] <= times[2] <= time.time()


# --------------------------------------------------------------------------- concurrency


async def test_hundreds_of_concurrent_connections_are_served(xai_emulator: Emulator) -> None:
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=xai_emulator.base_url,
        headers={"authorization": "Bearer k"},
        limits=limits,
        timeout=30,
        trust_env=False,
    ) as http:
        responses = await asyncio.gather(
            *(http.post("/chat/completions", json=TEXT_BODY) for _ in range(200))
        )
    assert [r.status_code for r in responses] == [200] * 200
    assert len(xai_emulator.requests) == 200


# --------------------------------------------------------------------------- modes


def test_subprocess_mode_serves_and_is_controllable() -> None:
    with Emulator(mode="subprocess", invalid_keys=["xai-revoked-key"]) as emulator:
        assert emulator.base_url.startswith("http://127.0.0.1:")
        revoked = httpx.get(
            f"{emulator.base_url}/models",
            headers={"authorization": "Bearer xai-revoked-key"},
            timeout=10,
        )
        assert revoked.status_code == 400  # settings reach the subprocess
        emulator.queue_reply("scripted over the control endpoint")
        emulator.fail_next(1, status=503)
        url = f"{emulator.base_url}/chat/completions"
        headers = {"authorization": f"Bearer {emulator.api_key}"}
        first = httpx.post(url, json=TEXT_BODY, headers=headers, timeout=10)
        second = httpx.post(url, json=TEXT_BODY, headers=headers, timeout=10)
        logged = emulator.requests
    assert first.status_code == 503
    assert second.json()["choices"][0]["message"]["content"] == "scripted over the control endpoint"
    assert [r.body for r in logged] == [None, TEXT_BODY, TEXT_BODY]
    assert 0 < logged[0].received_at <= logged[1].received_at <= logged[2].received_at
    assert logged[1].headers["authorization"] == "Bearer [REDACTED]"


def test_cli_entry_prints_its_url_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "xai_vision.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("xai-vision emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        response = httpx.get(f"{url}/models", headers={"authorization": "Bearer k"}, timeout=10)
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()


def test_invalid_mode_and_tool_call_setting_are_rejected() -> None:
    with pytest.raises(ValueError, match="mode"):  # EmulatorConfigError is a ValueError
        Emulator(mode="process")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stream_tool_calls"):
        Emulator(stream_tool_calls="fragments")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"latency": -1.0}, "latency must be >= 0"),
        ({"max_images_per_message": 0}, "max_images_per_message"),
        ({"max_image_bytes": 0}, "max_image_bytes"),
        ({"image_formats": ()}, "image_formats"),
        ({"stream_tool_calls": "bits"}, "stream_tool_calls"),
    ],
)
def test_bad_settings_raise_a_typed_error_naming_the_setting(
    kwargs: dict[str, object], fragment: str
) -> None:
    from xai_vision.emulator import EmulatorConfigError, EmulatorSettings
    from xai_vision.errors import XAIVisionError

    with pytest.raises(EmulatorConfigError, match=fragment) as caught:
        EmulatorSettings(**kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, XAIVisionError)


def test_control_calls_before_start_raise_emulator_start_error() -> None:
    from xai_vision.emulator import EmulatorStartError

    emulator = Emulator()
    assert emulator.requests == []
    with pytest.raises(EmulatorStartError, match="not running"):
        emulator.queue_reply("x")


def test_subprocess_control_errors_are_typed() -> None:
    from xai_vision.emulator import EmulatorConfigError

    with Emulator(mode="subprocess") as emulator, pytest.raises(EmulatorConfigError, match="kind"):
        emulator.malformed_next("xml")  # type: ignore[arg-type]


def test_controls_carry_any_arguments_to_a_subprocess_as_the_state_methods_take_them() -> None:
    from xai_vision.emulator.faults import FaultInjector

    with Emulator(mode="subprocess") as emulator:
        emulator.set_fault_rate(1.0, statuses=range(503, 504), seed=3)  # a range, not a list
        url = f"{emulator.base_url}/chat/completions"
        headers = {"authorization": f"Bearer {emulator.api_key}"}
        failed = httpx.post(url, json=TEXT_BODY, headers=headers, timeout=10)
        emulator.set_fault_rate(0)
        emulator.fail_next(1, status=500)  # positional and keyword
        second = httpx.post(url, json=TEXT_BODY, headers=headers, timeout=10)
        emulator.fail_batch_requests(iter(["req-1"]))  # an iterator
        emulator.fail_batch_requests({"first": "req-2"}.values())  # any other iterable
        counts = emulator.fault_counts()
    assert (failed.status_code, second.status_code) == (503, 500)
    assert counts == {"503": 1, "500": 1}
    # One table: each Emulator control is the method the server runs for its operation.
    from xai_vision.emulator.control import STATE_CONTROLS

    for operation, (_, method) in STATE_CONTROLS.items():
        assert getattr(Emulator, operation).__wrapped__ is method
    # One signature: the Emulator's control is the state method's.
    assert list(inspect.signature(Emulator.fail_next).parameters) == list(
        inspect.signature(FaultInjector.fail_next).parameters
    )


def _raw_exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes; read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_connection_close_is_honoured(xai_emulator: Emulator) -> None:
    request = (
        b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        b"Connection: close\r\n\r\n"
    )
    reply = _raw_exchange(xai_emulator.port or 0, request)  # returns only because it closed
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"\r\nconnection: close" in head.lower()
    assert json.loads(body)["object"] == "list"


def test_pipelined_requests_on_one_connection(xai_emulator: Emulator) -> None:
    one = b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n\r\n"
    last = one.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    reply = _raw_exchange(xai_emulator.port or 0, one + one + last)
    assert reply.count(b"HTTP/1.1 200 OK") == 3


def test_malformed_request_line_is_400_and_closed(xai_emulator: Emulator) -> None:
    reply = _raw_exchange(xai_emulator.port or 0, b"NONSENSE\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request")
    assert b"malformed request line" in reply


def test_an_emulator_bug_answers_500_instead_of_dropping_the_connection(
    xai_emulator: Emulator, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xai_vision.emulator.handlers.chat_completions as chat_module

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(chat_module, "build_answer", broken)
    response = client.post("/chat/completions", json=TEXT_BODY)
    assert response.status_code == 500
    assert response.json() == {
        "code": "Internal error",
        "error": "emulator error: RuntimeError: simulated bug",
    }
