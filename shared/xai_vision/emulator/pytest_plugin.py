"""Pytest fixtures for the emulator (a ``pytest11`` entry point: installing xai-vision is enough).

``xai_emulator``: a fresh emulator per test (thread mode starts in a few milliseconds, so
tests never share state). ``xai_emulator_env``: the same, with ``XAI_API_KEY`` and
``XAI_BASE_URL`` pointing at it for code that reads the environment.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xai_vision.emulator.emulator import Emulator


@pytest.fixture
def xai_emulator() -> Iterator[Emulator]:
    """A running emulator for one test; use ``.base_url`` and ``.api_key``."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def xai_emulator_env(xai_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The test's emulator, with ``XAI_API_KEY`` / ``XAI_BASE_URL`` set to reach it."""
    monkeypatch.setenv("XAI_API_KEY", xai_emulator.api_key)
    monkeypatch.setenv("XAI_BASE_URL", xai_emulator.base_url)
    monkeypatch.delenv("XAI_API_BASE", raising=False)
    return xai_emulator
