"""`xai-vision emulator`: serves on the asked port until Ctrl-C, and real clients can use it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from xai_vision.client import XAIClient
from xai_vision.emulator import DEFAULT_API_KEY
from xai_vision.messages import ChatRequest, user_message


def test_emulator_command_serves_until_interrupted() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XAI_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "xai_vision.cli", "emulator", "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 30
        url = None
        while url is None:
            assert time.monotonic() < deadline, "no ready line in 30 s"
            line = process.stderr.readline()
            assert line or process.poll() is None, process.communicate()
            if "listening on " in line:
                url = line.split("listening on ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        with XAIClient(api_key=DEFAULT_API_KEY, base_url=url, timeout=10) as client:
            answer = client.create(ChatRequest(model="grok-4", messages=[user_message("ping")]))
        assert answer.content is not None and "You asked: ping" in answer.content
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=15)
        assert process.returncode == 0, rest
        assert "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_emulator_command_reports_a_busy_port() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        completed = subprocess.run(
            [sys.executable, "-m", "xai_vision.cli", "emulator", "--port", str(port)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert completed.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in completed.stderr
