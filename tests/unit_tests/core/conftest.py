"""What the core client's tests share: a retry sleep that records instead of waiting."""

from __future__ import annotations

import pytest
from retry_sleeps import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    """A fresh :class:`Sleeps`: the client's retry waits, recorded, none slept."""
    return Sleeps()
