"""Clear import errors for optional frameworks: which extra of ``xai-vision`` to install."""

from __future__ import annotations

import importlib


def require(module: str, *, extra: str, needed_by: str) -> None:
    """Import ``module`` or raise ImportError naming the ``xai-vision[extra]`` that provides it."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f'{needed_by} needs {module}, which is not installed: pip install "xai-vision[{extra}]"'
        ) from exc
