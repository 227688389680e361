"""Small bundled sample images (drawn by ``make_samples.py``) for the demo, notebooks and docs."""

from __future__ import annotations

import atexit
import contextlib
from importlib.resources import as_file, files
from pathlib import Path

#: sample file name -> what it shows
SAMPLE_DESCRIPTIONS: dict[str, str] = {
    "apple.png": "a red apple on a white background",
    "sky.jpg": "a landscape: blue sky, a sun and green hills",
    "receipt.png": "a shop receipt with four line items and a total",
    "green_square.png": "a plain green square",
}
SAMPLE_NAMES: tuple[str, ...] = tuple(SAMPLE_DESCRIPTIONS)

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def sample_path(name: str) -> Path:
    """The file-system path of one bundled sample (extracted once if installed in a zip)."""
    if name not in SAMPLE_DESCRIPTIONS:
        raise ValueError(f"unknown sample {name!r}; choose one of {', '.join(SAMPLE_NAMES)}")
    resource = files(__name__) / name
    if isinstance(resource, Path):
        return resource
    return _extracted.enter_context(as_file(resource))


def sample_paths() -> list[Path]:
    """The paths of all bundled samples, in a stable order."""
    return [sample_path(name) for name in SAMPLE_NAMES]


__all__ = ["SAMPLE_DESCRIPTIONS", "SAMPLE_NAMES", "sample_path", "sample_paths"]
