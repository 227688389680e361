"""What the core client's tests share: a retry sleep that records instead of waiting, and a
client of the test's emulator that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_clients import emulator_client
from retry_sleeps import Sleeps
from xai_vision.client import XAIClient
from xai_vision.emulator import Emulator


@pytest.fixture
def sleeps() -> Sleeps:
    """A fresh :class:`Sleeps`: the client's retry waits, recorded, none slept."""
    return Sleeps()


@pytest.fixture
def client(xai_emulator: Emulator, sleeps: Sleeps) -> Iterator[XAIClient]:
    """An XAIClient of the test's emulator (10 s timeout; retry waits recorded in ``sleeps``)."""
    with emulator_client(xai_emulator, timeout=10, sleep=sleeps) as c:
        yield c
