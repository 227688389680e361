"""The ``xai-vision`` command line. Needs the ``cli`` extra (typer, rich)."""

from __future__ import annotations

import sys

__all__ = ["main"]

#: Exit status when the ``cli`` extra is not installed (a usage problem, like a bad option).
MISSING_EXTRA_EXIT = 2


def main() -> None:
    """The ``xai-vision`` script: run the typer app, or say which extra is missing."""
    try:
        import rich  # noqa: F401
        import typer  # noqa: F401
    except ImportError as error:
        sys.stderr.write(
            f"xai-vision: the command line needs the 'cli' extra ({error.name} is missing).\n"
            "Install it with: pip install 'xai-vision[cli]'\n"
        )
        raise SystemExit(MISSING_EXTRA_EXIT) from None
    from xai_vision.cli.app import app

    app(prog_name="xai-vision")
