"""Image URLs: the emulator fetches loopback URLs only, never the internet.

Like xAI it downloads an image URL itself, with a timeout (5 s by default) and a size limit.
So that offline code can send the public URLs real code sends, ``stand_ins`` answers a public
URL prefix with a bundled sample image (no fetch at all), and ``url_aliases`` lets a public URL
prefix stand for a loopback one.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from xai_vision.emulator.config import EmulatorSettings
from xai_vision.emulator.request_log import loggable_url
from xai_vision.emulator.validation import Rejection
from xai_vision.samples import sample_path

__all__ = ["ImageFetcher", "is_loopback_url"]


def is_loopback_url(url: str) -> bool:
    """Whether an http(s) URL points at this machine (127.0.0.0/8, localhost or ::1)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _aliased(url: str, aliases: tuple[tuple[str, str], ...]) -> str:
    """``url`` with a public prefix replaced by its loopback stand-in, if one is configured."""
    for public, local in aliases:
        if url.startswith(public):
            return local + url[len(public) :]
    return url


@functools.cache
def _sample_bytes(name: str) -> bytes:
    return sample_path(name).read_bytes()


class ImageFetcher:
    """Downloads image URLs for the request checks; one connection pool, closed with the server.

    ``log`` receives a line for each image answered from a stand-in.
    """

    def __init__(self, settings: EmulatorSettings, log: Callable[[str], None]) -> None:
        self._settings = settings
        self._log = log
        self._http: httpx.AsyncClient | None = None

    async def fetch(self, url: str, where: str) -> bytes:
        """The bytes at ``url`` (an http(s) URL of the image part at ``where``).

        A URL under a stand-in prefix gets the sample's bytes. Raises Rejection (400) for a
        URL that is not loopback after aliasing, a status other than 200, a body over the
        image size limit, a timeout or a connection failure.
        """
        for prefix, sample in self._settings.stand_ins:
            if url.startswith(prefix):
                self._log(
                    f"stand-in: {loggable_url(url)} answered with the bundled sample {sample}"
                )
                return _sample_bytes(sample)
        url = _aliased(url, self._settings.url_aliases)
        if not is_loopback_url(url):
            raise Rejection(
                400,
                f"{where}.image_url: Failed to fetch image from {url}: the emulator fetches only "
                "loopback URLs (127.0.0.1, localhost, ::1) and never reaches the internet",
            )
        return await self._get(url)

    async def aclose(self) -> None:
        """Close the connection pool (the fetcher can be used again afterwards)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _get(self, url: str) -> bytes:
        timeout = self._settings.fetch_timeout
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False)
        limit = self._settings.max_image_bytes
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise Rejection(
                        400, f"Failed to fetch image from {url}: HTTP status {response.status_code}"
                    )
                chunks: list[bytes] = []
                total = 0
                async for part in response.aiter_bytes():
                    total += len(part)
                    if total > limit:
                        raise Rejection(
                            400, f"Failed to fetch image from {url}: larger than {limit} bytes"
                        )
                    chunks.append(part)
                return b"".join(chunks)
        except httpx.TimeoutException:
            raise Rejection(
                400, f"Failed to fetch image from {url}: timed out after {timeout} s"
            ) from None
        except httpx.HTTPError as exc:
            raise Rejection(
                400, f"Failed to fetch image from {url}: {type(exc).__name__}"
            ) from None
