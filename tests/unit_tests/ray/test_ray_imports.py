"""``xai_vision.ray`` is core: importing it loads no command-line package (the ``ray`` extra
installs Ray Data alone), while the CLI and Ray engines still share one line contract."""

from __future__ import annotations

import subprocess
import sys

import xai_vision.cli.batch as local_engine
import xai_vision.ray as ray_engine
from xai_vision import image_batch


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_the_ray_engine_imports_without_the_cli_packages() -> None:
    # None in sys.modules makes an import fail, as if the cli extra were not installed.
    # (httpx itself imports click and rich when they are there, so "loaded" is not the test.)
    code = (
        "import sys\n"
        "for name in ('typer', 'rich', 'click', 'jinja2'): sys.modules[name] = None\n"
        "import xai_vision.ray\n"
        "print(sorted(m for m in sys.modules if m.split('.')[:2] == ['xai_vision', 'cli']))\n"
    )
    assert _run(code) == "[]"


def test_importing_the_ray_engine_loads_neither_typer_nor_the_cli() -> None:
    code = (
        "import sys, xai_vision.ray\n"
        "print(sorted(m for m in ('typer', 'jinja2', 'xai_vision.cli') if m in sys.modules))\n"
    )
    assert _run(code) == "[]"


def test_the_engines_build_lines_with_the_one_core_function() -> None:
    # The same objects, not copies: a change to the line shape reaches every engine.
    assert local_engine.answered_line is image_batch.answered_line
    assert local_engine.failed_line is image_batch.failed_line
    assert ray_engine.answered_line is image_batch.answered_line
    assert ray_engine.result_line is image_batch.result_line
    assert ray_engine.FATAL_ERRORS is local_engine.FATAL_ERRORS is image_batch.FATAL_ERRORS
