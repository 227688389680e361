"""``log_requests``: one line per API request on stderr, with no key and no image data."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import httpx
import pytest
from xai_vision.emulator import Emulator, EmulatorSettings

MODEL = "grok-4-fast-non-reasoning"
KEY = "xai-a-secret-key-for-the-log-test"
TOKENS = r"prompt_tokens=\d+ completion_tokens=\d+ total_tokens=\d+"


def request_lines(err: str) -> list[str]:
    """The request lines among the emulator's stderr lines."""
    return [line for line in err.splitlines() if re.match(r"[A-Z]+ /", line)]


def post(emulator: Emulator, body: object, path: str = "/chat/completions") -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}"}
    return httpx.post(
        f"{emulator.base_url}{path}", json=body, headers=headers, timeout=30, trust_env=False
    )


def test_each_request_gets_one_line_with_model_images_status_and_tokens(
    capfd: pytest.CaptureFixture[str], image_bytes: Callable[..., bytes]
) -> None:
    encoded = base64.b64encode(image_bytes("red", (64, 48))).decode()
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{encoded}"}}
    content = [{"type": "text", "text": "a private question"}, image, image]
    with Emulator(log_requests=True) as emulator:
        ok = post(emulator, {"model": MODEL, "messages": [{"role": "user", "content": content}]})
        httpx.get(
            f"{emulator.base_url}/models?api_key={KEY}",
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=30,
        )
        post(emulator, {"model": "grok-unknown-9", "messages": [{"role": "user", "content": "hi"}]})
        post(emulator, {"model": "grok-3-mini", "messages": [{"role": "user", "content": "hi"}]})
        post(emulator, {}, path="/nowhere")
    usage = ok.json()["usage"]
    err = capfd.readouterr().err
    lines = request_lines(err)
    assert lines[0] == (
        f"POST /v1/chat/completions model={MODEL} images=2 status=200 "
        f"prompt_tokens={usage['prompt_tokens']} completion_tokens={usage['completion_tokens']} "
        f"total_tokens={usage['total_tokens']}"
    )
    assert lines[1] == "GET /v1/models model=- images=0 status=200"  # no query string
    assert lines[2] == "POST /v1/chat/completions model=grok-unknown-9 images=0 status=404"
    assert re.fullmatch(
        rf"POST /v1/chat/completions model=grok-3-mini images=0 status=200 {TOKENS} "
        r"reasoning_tokens=[1-9]\d*",
        lines[3],
    )
    assert lines[4] == "POST /v1/nowhere model=- images=0 status=404"
    assert len(lines) == 5
    for secret in (KEY, encoded[:40], "a private question"):
        assert secret not in err


def test_streams_faults_and_resets_are_logged_with_their_outcome(
    capfd: pytest.CaptureFixture[str],
) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
    with Emulator(log_requests=True) as emulator:
        assert post(emulator, streamed).status_code == 200
        emulator.fail_next(1, status=503)
        assert post(emulator, body).status_code == 503
        emulator.reset_next(1)
        with pytest.raises(httpx.TransportError):
            post(emulator, body)
    lines = request_lines(capfd.readouterr().err)
    assert re.fullmatch(
        rf"POST /v1/chat/completions model={MODEL} images=0 status=200 {TOKENS}", lines[0]
    )
    assert lines[1:] == [
        f"POST /v1/chat/completions model={MODEL} images=0 status=503",
        f"POST /v1/chat/completions model={MODEL} images=0 status=reset",
    ]


def test_a_hostile_model_name_stays_on_one_escaped_line_without_the_key(
    capfd: pytest.CaptureFixture[str],
) -> None:
    model = f"evil\nPOST /forged status=200 {KEY}"
    with Emulator(log_requests=True) as emulator:
        post(emulator, {"model": model, "messages": [{"role": "user", "content": "hi"}]})
    err = capfd.readouterr().err
    (line,) = request_lines(err)
    assert line == (
        'POST /v1/chat/completions model="evil\\nPOST /forged status=200 [REDACTED]" '
        "images=0 status=404"
    )
    assert KEY not in err


def test_subprocess_mode_logs_on_its_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    settings = EmulatorSettings(log_requests=True)
    with Emulator(settings=settings, mode="subprocess") as emulator:
        post(emulator, {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
        emulator.clear_requests()  # control calls are not API requests: never logged
    lines = request_lines(capfd.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith(f"POST /v1/chat/completions model={MODEL} ")


def test_nothing_is_logged_unless_asked(capfd: pytest.CaptureFixture[str]) -> None:
    with Emulator() as emulator:
        post(emulator, {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
    assert capfd.readouterr().err == ""
