"""Core clients of an emulator: its key and base URL, plus the options a test needs."""

from __future__ import annotations

from typing import Any

from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.emulator import Emulator


def emulator_client(emulator: Emulator, **options: Any) -> XAIClient:
    """An :class:`XAIClient` of ``emulator`` (its key and base URL) with ``options``."""
    return XAIClient(api_key=emulator.api_key, base_url=emulator.base_url, **options)


def async_emulator_client(emulator: Emulator, **options: Any) -> AsyncXAIClient:
    """An :class:`AsyncXAIClient` of ``emulator`` (its key and base URL) with ``options``."""
    return AsyncXAIClient(api_key=emulator.api_key, base_url=emulator.base_url, **options)
