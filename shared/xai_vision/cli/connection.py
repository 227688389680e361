"""Where the commands send requests: xAI (or ``--base-url``), or an embedded emulator.

``ask --emulator``, ``batch --emulator`` and ``demo`` without a key all start the emulator
the same way, here: in this process, on loopback, for as long as the command runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.text import Text

from xai_vision.cli.output import stderr_console
from xai_vision.errors import RequestValidationError

__all__ = ["Connection", "connect"]


@dataclass(frozen=True)
class Connection:
    """The API key and base URL a command's clients use (None: the client's defaults)."""

    api_key: str | None
    base_url: str | None


@contextmanager
def connect(
    *, api_key: str | None, base_url: str | None, emulator: bool, why: str = "--emulator"
) -> Iterator[Connection]:
    """The given key and URL; or, with ``emulator``, an embedded emulator's (no key needed).

    The emulator runs until the block exits; stderr says it is answering (``why`` first).
    Asking for the emulator together with a key or base URL is a usage error.
    """
    if not emulator:
        yield Connection(api_key, base_url)
        return
    if api_key is not None or base_url is not None:
        raise RequestValidationError(
            "--emulator answers from the built-in emulator: leave out --api-key and --base-url"
        )
    from xai_vision.emulator import Emulator

    with Emulator() as running:
        stderr_console().print(
            Text(f"{why}: answering from the local emulator at {running.base_url}", style="dim")
        )
        yield Connection(running.api_key, running.base_url)
