"""`xai-vision emulator`: serves on the asked port until Ctrl-C, and real clients can use it;
prints paste-ready export lines, answers README's image URLs offline, logs requests on demand."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
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


# --------------------------------------------------------------------------- the first ten minutes

README = Path(__file__).resolve().parents[3] / "README.md"
EXPORTS = re.compile(
    r"export XAI_BASE_URL=(http://127\.0\.0\.1:\d+/v1)\nexport XAI_API_KEY=(\S+)\n"
)
#: A client configured only by the environment that the pasted export lines set.
PASTED_CLIENT = (
    "from xai_vision.client import XAIClient; "
    "from xai_vision.messages import ChatRequest, user_message; "
    'print(XAIClient().create(ChatRequest("grok-4", [user_message("pasted")])).content)'
)


@dataclass
class RunningCLI:
    """An ``xai-vision emulator`` process whose stdout and stderr go to files."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    base_url: str = ""

    def wait_for(self, path: Path, pattern: str) -> re.Match[str]:
        """Poll ``path`` until ``pattern`` matches its text (30 s at most)."""
        deadline = time.monotonic() + 30
        while (found := re.search(pattern, path.read_text(encoding="utf-8"))) is None:
            assert self.process.poll() is None, f"the emulator exited: {self.err.read_text()}"
            assert time.monotonic() < deadline, f"{pattern!r} not in {path.name} in 30 s"
            time.sleep(0.05)
        return found


@contextlib.contextmanager
def emulator_cli(tmp_path: Path, *flags: str) -> Iterator[RunningCLI]:
    """``xai-vision emulator --port 0 <flags>``, stdout and stderr files (never a terminal);
    entered once the export lines are in the stdout file (the process still running), left
    after Ctrl-C and a clean exit."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XAI_")}
    env.pop("PYTHONUNBUFFERED", None)  # the flush must not depend on it
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "xai_vision.cli", "emulator", "--port", "0", *flags],
            stdout=stdout, stderr=stderr, env=env, cwd=tmp_path,
        )  # fmt: skip
    running = RunningCLI(process, out, err)
    try:
        exports = running.wait_for(out, EXPORTS.pattern)
        assert exports.group(2) == DEFAULT_API_KEY
        running.base_url = exports.group(1)
        yield running
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0, err.read_text()
        assert "Traceback" not in err.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def readme_image_urls() -> list[str]:
    """Every https image URL README's Python examples send."""
    text = README.read_text(encoding="utf-8")
    blocks = "\n".join(re.findall(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE))
    urls = re.findall(r"https://[^\s\"']+\.(?:jpe?g|png|webp|gif)\b", blocks, re.IGNORECASE)
    return sorted(set(urls))


def ask_about(base_url: str, url: str, **headers: str) -> httpx.Response:
    """One user message with the image at ``url``, sent with the default key."""
    content = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    body = {
        "model": "grok-4-fast-non-reasoning",
        "messages": [{"role": "user", "content": content}],
    }
    return httpx.post(
        f"{base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}", **headers},
        timeout=30,
        trust_env=False,
    )


def test_export_lines_reach_a_file_at_once_and_paste_into_a_shell(tmp_path: Path) -> None:
    with emulator_cli(tmp_path) as cli:
        lines = cli.out.read_text(encoding="utf-8").splitlines()
        assert lines == [
            f"export XAI_BASE_URL={cli.base_url}",
            f"export XAI_API_KEY={DEFAULT_API_KEY}",
        ]
        assert f"listening on {cli.base_url}" in cli.err.read_text(encoding="utf-8")
        script = f"{cli.out.read_text(encoding='utf-8')}{sys.executable} -c '{PASTED_CLIENT}'\n"
        clean_env = {k: v for k, v in os.environ.items() if not k.startswith("XAI_")}
        pasted = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=60, env=clean_env
        )
        assert pasted.returncode == 0, pasted.stderr
        assert "You asked: pasted" in pasted.stdout
    assert cli.out.read_text(encoding="utf-8").splitlines() == lines  # nothing else on stdout


def test_readme_image_urls_are_answered_from_a_bundled_sample_and_reported(
    tmp_path: Path,
) -> None:
    urls = readme_image_urls()
    assert any(url.startswith("https://upload.wikimedia.org/") for url in urls), urls
    with emulator_cli(tmp_path) as cli:
        for url in urls:
            response = ask_about(cli.base_url, url)
            assert response.status_code == 200, response.text
            answer = response.json()["choices"][0]["message"]["content"]
            assert "Image 1: 640x360 jpeg" in answer  # the bundled sky.jpg
            report = f"stand-in: {url} answered with the bundled sample sky.jpg\n"
            cli.wait_for(cli.err, re.escape(report))


def test_no_stand_ins_refuses_the_readme_photo(tmp_path: Path) -> None:
    url = readme_image_urls()[0]
    with emulator_cli(tmp_path, "--no-stand-ins") as cli:
        response = ask_about(cli.base_url, url)
        assert response.status_code == 400
        assert "never reaches the internet" in response.json()["error"]
        assert "stand-in" not in cli.err.read_text(encoding="utf-8")


def test_log_requests_prints_one_line_per_request_without_key_or_image_data(
    tmp_path: Path,
) -> None:
    url = readme_image_urls()[0]
    with emulator_cli(tmp_path, "--log-requests") as cli:
        response = ask_about(cli.base_url, url, **{"x-trace": "kept-out"})
        usage = response.json()["usage"]
        httpx.get(
            f"{cli.base_url}/models",
            headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
            timeout=30,
        )
        chat = (
            "POST /v1/chat/completions model=grok-4-fast-non-reasoning images=1 status=200 "
            f"prompt_tokens={usage['prompt_tokens']} "
            f"completion_tokens={usage['completion_tokens']} total_tokens={usage['total_tokens']}\n"
        )
        cli.wait_for(cli.err, re.escape(chat))
        cli.wait_for(cli.err, re.escape("GET /v1/models model=- images=0 status=200\n"))
    err = cli.err.read_text(encoding="utf-8")
    assert DEFAULT_API_KEY not in err and "kept-out" not in err
    assert "What is this?" not in err
    request_lines = [line for line in err.splitlines() if re.match(r"(GET|POST) /", line)]
    assert len(request_lines) == 2


def test_without_log_requests_no_request_lines(tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    with emulator_cli(tmp_path) as cli:
        # One connection: the first request is finished, log line and all, before the
        # second is read; so had it been logged, the line would be in the file by now.
        with httpx.Client(base_url=cli.base_url, headers=headers, trust_env=False) as http:
            assert http.get("/models").status_code == 200
            assert http.get("/models").status_code == 200
        err = cli.err.read_text(encoding="utf-8")
    assert "GET /v1/models" not in err
