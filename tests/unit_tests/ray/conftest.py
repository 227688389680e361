"""One local Ray for every Ray test (started once: a Ray start takes seconds on 2 cores).

``ray.init(num_cpus=2)``: a real local cluster (Ray refuses ``local_mode`` now); actors of a
quarter CPU each, so a job's two workers and its tasks fit. Shut down when the session ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import ray


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """The running local Ray (its ``ray`` module); its address joins it from another process."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield ray
    finally:
        ray.shutdown()
