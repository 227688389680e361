"""Both wire forms for adapter tests: ``use_responses_api`` off and on, and the path each
request then reaches on the emulator."""

from __future__ import annotations

from xai_vision.endpoints import endpoint_for

#: ``use_responses_api`` values: chat completions, then responses.
USE_RESPONSES_API = (False, True)


def emulator_path(use_responses_api: bool) -> str:
    """The emulator path a request reaches with ``use_responses_api`` (``/v1/...``)."""
    return "/v1" + endpoint_for("responses" if use_responses_api else "chat_completions").path
