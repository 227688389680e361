"""The emulator's API endpoints: one module per endpoint, each a handler for the route table.

A handler is ``async def handle(context, exchange, params) -> None``: it reads
``exchange.request``, answers through ``exchange`` (or raises
:class:`~xai_vision.emulator.validation.Rejection` for an error answer), and gets the path's
``{placeholders}`` in ``params``. Routing, method checks (405), authentication and the request
log happen before it is called (:mod:`xai_vision.emulator.routes`, :mod:`.server`), so a new
endpoint is a module here plus a row in :data:`xai_vision.emulator.routes.ROUTES`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from xai_vision.emulator.checks import Fetcher
from xai_vision.emulator.config import EmulatorSettings
from xai_vision.emulator.http11 import Exchange
from xai_vision.emulator.state import EmulatorState

__all__ = ["Handler", "HandlerContext"]


@dataclass(frozen=True)
class HandlerContext:
    """What every handler may use: the settings, the state, and the image fetcher."""

    settings: EmulatorSettings
    state: EmulatorState
    fetch_image: Fetcher


Handler = Callable[[HandlerContext, Exchange, Mapping[str, str]], Awaitable[None]]
