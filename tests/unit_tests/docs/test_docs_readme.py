"""Every Python code block in README.md runs, top to bottom, against the emulator.

Blocks that send an image by public URL (Wikimedia Commons) run offline too: the emulator's
``url_aliases`` maps that host to a loopback server holding a bundled sample, so the emulator
really downloads and describes an image while the request still carries the public URL. Each
block runs with its HTTP(S) proxy set to a closed loopback port (loopback exempt), so any
attempt to reach the internet from the block itself fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from xai_vision.emulator import Emulator, EmulatorSettings

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
#: The public image host README blocks use; offline, the emulator fetches from a loopback server.
PUBLIC_PREFIX = "https://upload.wikimedia.org/"
PUBLIC_URL = re.compile(r"[\"'](" + re.escape(PUBLIC_PREFIX) + r"[^\"'\s]+)[\"']")
#: The bundled sample the loopback server answers every public-URL path with.
STAND_IN = "sky.jpg"
#: A closed loopback port: a proxy that refuses every connection.
NO_INTERNET = "http://127.0.0.1:9"


class _StandInServer(ThreadingHTTPServer):
    """Serves one image for every path and records the paths asked for."""

    image: bytes = b""
    paths: list[str]


class _StandInHandler(BaseHTTPRequestHandler):
    server: _StandInServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(self.server.image)))
        self.end_headers()
        self.wfile.write(self.server.image)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no request lines on stderr."""


@pytest.fixture
def stand_in_server() -> Iterator[_StandInServer]:
    """A loopback HTTP server answering every path with the sample ``sky.jpg``."""
    from xai_vision.samples import sample_path

    server = _StandInServer(("127.0.0.1", 0), _StandInHandler)
    server.image = sample_path(STAND_IN).read_bytes()
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def readme_emulator(stand_in_server: _StandInServer) -> Iterator[Emulator]:
    """A fresh emulator that fetches ``https://upload.wikimedia.org/...`` from the server."""
    local = f"http://127.0.0.1:{stand_in_server.server_address[1]}/"
    with Emulator(settings=EmulatorSettings(url_aliases=((PUBLIC_PREFIX, local),))) as emulator:
        yield emulator


def sent_image_urls(requests: list[Any]) -> list[str]:
    """The ``image_url.url`` of every image part the emulator received."""
    urls: list[str] = []
    for request in requests:
        for message in (request.body or {}).get("messages") or []:
            content = message.get("content")
            if isinstance(content, list):
                urls += [
                    part["image_url"]["url"]
                    for part in content
                    if isinstance(part, dict) and part.get("type") == "image_url"
                ]
    return urls


def readme_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_states_both_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "<!-- main-command -->" in text
    assert "<!-- test-command -->" in text
    assert "xai-vision demo" in text
    assert "pytest" in text


def test_readme_has_python_blocks() -> None:
    assert len(readme_blocks()) >= 10


def test_readme_snippets_match_their_files() -> None:
    """README's marked blocks are the runnable files in docs/snippets, byte for byte."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import sync_readme
    finally:
        sys.path.pop(0)
    text = README.read_text(encoding="utf-8")
    assert sync_readme.synced(text) == text, "run: python docs/sync_readme.py"
    for snippet in sorted((ROOT / "docs" / "snippets").glob("*.py")):
        assert f"<!-- snippet: {snippet.stem} -->" in text, f"{snippet.name} is not in README"


def test_both_quickstarts_send_a_path_bytes_and_a_url() -> None:
    """Each adapter's quickstart shows all three image sources (and so runs the URL check)."""
    for adapter, by_bytes in (
        ("langchain_xai_vision", 'image_block(Path("sky.jpg").read_bytes())'),
        ("llama_index_xai_vision", 'ImageBlock(image=Path("sky.jpg").read_bytes())'),
    ):
        [quickstart] = [
            b for b in readme_blocks() if "quickstart" in b.splitlines()[0] and adapter in b
        ]
        assert "apple.png" in quickstart and by_bytes in quickstart, adapter
        assert PUBLIC_URL.search(quickstart), f"{adapter} quickstart sends no image by URL"


@pytest.mark.parametrize("index", range(len(readme_blocks())))
def test_readme_block_runs(
    index: int,
    tmp_path: Path,
    readme_emulator: Emulator,
    stand_in_server: _StandInServer,
) -> None:
    from xai_vision import samples

    for path in samples.sample_paths():
        shutil.copy(path, tmp_path / path.name)
    code = readme_blocks()[index]
    script = tmp_path / f"block_{index}.py"
    script.write_text(code, encoding="utf-8")
    env = {
        **os.environ,
        "XAI_API_KEY": "xai-readme-test-key",
        "XAI_BASE_URL": readme_emulator.base_url,
        # Anything but loopback goes through a proxy that refuses: no internet for the block.
        **{name: NO_INTERNET for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")},
        **{name.lower(): NO_INTERNET for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")},
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"README block {index} failed:\n{code}\n{result.stderr}"
    assert result.stdout.strip(), f"README block {index} printed nothing"
    if "XAI_API_KEY" in code:
        # A block that talks to xAI (here: the emulator) shows a real exchange with images, or
        # a file uploaded to the Files API (the log keeps the form's summary: its "file").
        requests = readme_emulator.requests
        bodies = [r.body for r in requests if isinstance(r.body, dict)]  # GETs have none
        assert any(
            "image_url" in str(body.get("messages"))
            or "input_image" in str(body.get("input"))
            or isinstance(body.get("file"), dict)
            for body in bodies
        ), f"README block {index} sent no image or file to the emulator"
    public_urls = set(PUBLIC_URL.findall(code))
    if public_urls:
        # The URL went out as that URL (not fetched client-side into a data URI), and the
        # emulator downloaded it (through its alias) to describe it.
        sent = sent_image_urls(readme_emulator.requests)
        for url in public_urls:
            assert url in sent, f"README block {index} did not send {url} as a URL: {sent}"
            fetched = [path.lstrip("/") for path in stand_in_server.paths]
            assert url.removeprefix(PUBLIC_PREFIX) in fetched, (url, fetched)
