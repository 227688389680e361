"""Reliability tests: helper modules beside the tests (``surfaces``, ``hostile_corpus``).

Tests import them by name; pytest runs with ``--import-mode=importlib``, which adds no test
folder to ``sys.path``, so this folder is added here.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
