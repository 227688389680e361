"""``python -m xai_vision.emulator --port 8765``: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from xai_vision import _json
from xai_vision.emulator.config import EmulatorSettings
from xai_vision.emulator.emulator import _READY_PREFIX
from xai_vision.emulator.server import serve


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m xai_vision.emulator",
        description="Local xAI API emulator (chat completions, responses, models).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--stream-tool-calls", choices=("whole", "split"), default=None)
    parser.add_argument(
        "--invalid-key", action="append", default=[], help="answer 400 for this key"
    )
    parser.add_argument("--latency", type=float, default=None, help="seconds added per answer")
    parser.add_argument("--settings-json", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = (
        EmulatorSettings.from_json(_json.loads(args.settings_json))
        if args.settings_json
        else EmulatorSettings()
    )
    changes: dict[str, object] = {}
    if args.stream_tool_calls:
        changes["stream_tool_calls"] = args.stream_tool_calls
    if args.invalid_key:
        changes["invalid_keys"] = (*settings.invalid_keys, *args.invalid_key)
    if args.latency is not None:
        changes["latency"] = args.latency
    if changes:
        import dataclasses

        settings = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]

    def ready(url: str) -> None:
        sys.stdout.write(f"{_READY_PREFIX}{url}\n")
        sys.stdout.flush()

    serve(args.host, args.port, settings=settings, on_ready=ready)


if __name__ == "__main__":
    main()
