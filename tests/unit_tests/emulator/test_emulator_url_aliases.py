"""``url_aliases``: public image URLs fetched from a loopback stand-in, so offline tests can
send the URLs real code sends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from xai_vision.emulator import Emulator, EmulatorConfigError, EmulatorSettings

from tests.conftest import make_image_bytes

BLUE = make_image_bytes("blue", (40, 20))


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = self.path == "/mirror/pics/blue.png"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(BLUE) if found else 0))
        self.end_headers()
        self.wfile.write(BLUE if found else b"")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def mirror() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/mirror/"
    server.shutdown()
    server.server_close()


def _ask(emu: Emulator, url: str) -> httpx.Response:
    body = {
        "model": "grok-4-fast-non-reasoning",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What colour?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    }
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    return httpx.post(f"{emu.base_url}/chat/completions", json=body, headers=headers, timeout=10)


@pytest.mark.parametrize("mode", ["thread", "subprocess"])
def test_aliased_public_url_is_fetched_from_the_loopback_mirror(mirror: str, mode: str) -> None:
    settings = EmulatorSettings(url_aliases=(("https://images.example.org/", mirror),))
    with Emulator(settings=settings, mode=mode) as emu:  # type: ignore[arg-type]
        answer = _ask(emu, "https://images.example.org/pics/blue.png")
        assert answer.status_code == 200, answer.text
        content = answer.json()["choices"][0]["message"]["content"]
        assert "Image 1: 40x20 png, detail auto, landscape" in content
        assert "mostly blue" in content
        # the log keeps the URL the client sent, not the mirror's
        sent = emu.requests[-1].body["messages"][0]["content"][1]["image_url"]["url"]
        assert sent == "https://images.example.org/pics/blue.png"


def test_unaliased_public_url_is_still_refused(mirror: str) -> None:
    settings = EmulatorSettings(url_aliases=(("https://images.example.org/", mirror),))
    with Emulator(settings=settings) as emu:
        answer = _ask(emu, "https://elsewhere.example.org/pics/blue.png")
        assert answer.status_code == 400
        assert "Failed to fetch image" in answer.json()["error"]


def test_an_alias_must_point_at_loopback() -> None:
    with pytest.raises(EmulatorConfigError, match="loopback"):
        EmulatorSettings(url_aliases=(("https://a.example/", "https://b.example/"),))
