"""Fixtures for the LangChain integration tests: the backend (the emulator, or xAI itself when
``XAI_LIVE=1`` and ``XAI_API_KEY`` are set), a loopback image server, and langchain-tests'
image downloads served from memory so nothing reaches the internet."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from loopback import QuietHandler, serving
from pdfs import make_pdf
from PIL import Image, ImageDraw
from xai_vision.emulator import Emulator, EmulatorSettings

LIVE = os.environ.get("XAI_LIVE") == "1" and bool(os.environ.get("XAI_API_KEY"))


@dataclass(frozen=True)
class Backend:
    """Where the tests' models connect: the key, base URL and (offline) the emulator."""

    api_key: str
    base_url: str | None
    emulator: Emulator | None

    def params(self) -> dict[str, Any]:
        """Connection arguments for ``ChatXAIVision``."""
        return {"api_key": self.api_key, "base_url": self.base_url, "timeout": 30.0}


def png(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    """A solid-colour PNG made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def invoice_png() -> bytes:
    """An invoice-like picture: a white page with a header and three priced lines."""
    image = Image.new("RGB", (480, 320), "white")
    draw = ImageDraw.Draw(image)
    lines = [
        "INVOICE #1042",
        "Apples      3 x 1.20   3.60",
        "Bread       1 x 2.50   2.50",
        "Coffee      2 x 4.00   8.00",
        "TOTAL                 14.10",
    ]
    for i, line in enumerate(lines):
        draw.text((24, 24 + 52 * i), line, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


#: Public image hosts the standard suite sends URLs of; offline, the emulator fetches them
#: from the loopback image server instead (it never reaches the internet).
PUBLIC_IMAGE_HOSTS = ("https://raw.githubusercontent.com/",)


@pytest.fixture(scope="module")
def lc_backend(image_server: str) -> Iterator[Backend]:
    """One backend per test module: a fresh emulator offline, xAI when live."""
    if LIVE:
        yield Backend(os.environ["XAI_API_KEY"], os.environ.get("XAI_BASE_URL"), None)
        return
    aliases = tuple((host, f"{image_server}/public/") for host in PUBLIC_IMAGE_HOSTS)
    with Emulator(settings=EmulatorSettings(url_aliases=aliases)) as emulator:
        yield Backend(emulator.api_key, emulator.base_url, emulator)


@pytest.fixture
def lc_params(lc_backend: Backend) -> dict[str, Any]:
    """Connection arguments for ``ChatXAIVision`` (key, base URL, timeout)."""
    return lc_backend.params()


@pytest.fixture
def live() -> bool:
    """Whether the tests run against xAI itself rather than the emulator."""
    return LIVE


@pytest.fixture(name="invoice_png")
def invoice_png_fixture() -> bytes:
    """An invoice-like PNG (header, three priced lines, a total)."""
    return invoice_png()


@pytest.fixture
def emulator(lc_backend: Backend) -> Emulator:
    """The module's emulator with its request log and scripted replies cleared (offline only)."""
    if lc_backend.emulator is None:
        pytest.skip("inspects the emulator's request log; not available against live xAI")
    lc_backend.emulator.reset()
    return lc_backend.emulator


class _ImageHandler(QuietHandler):
    images: dict[str, bytes] = {}

    def do_GET(self) -> None:
        data = self.images.get(self.path)
        if data is None and self.path.startswith("/public/"):
            data = png("green", (96, 64))  # what the suite's public image URL stands for
        self.send_response(200 if data is not None else 404)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data or b"")))
        self.end_headers()
        self.wfile.write(data or b"")


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    """A loopback HTTP server (base URL returned) serving ``/red.png``, ``/blue.png``,
    ``/invoice.png``: image URLs the emulator can fetch, as xAI fetches public ones."""
    handler = type(
        "Handler",
        (_ImageHandler,),
        {
            "images": {
                "/red.png": png("red"),
                "/blue.png": png("blue", (32, 32)),
                "/invoice.png": invoice_png(),
            }
        },
    )
    with serving(handler) as base_url:
        yield base_url


@pytest.fixture(autouse=True)
def _standard_suite_images_served_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    """langchain-tests downloads its sample PNG and PDF with ``httpx.get``; hand it local ones.

    Only the suite module's ``httpx`` name is replaced, so every other HTTP call is untouched.
    """
    import langchain_tests.integration_tests.chat_models as suite

    def get(url: str, **_: Any) -> httpx.Response:
        if url.endswith(".pdf"):  # test_pdf_inputs / test_pdf_tool_message's sample PDF
            content = make_pdf(["Dummy PDF file"])
        elif url.endswith(".png"):
            content = png("green", (96, 64))
        else:
            raise AssertionError(f"unexpected download in the standard suite: {url}")
        return httpx.Response(200, content=content, request=httpx.Request("GET", url))

    monkeypatch.setattr(suite, "httpx", SimpleNamespace(get=get))
