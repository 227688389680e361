"""Both wire forms for adapter tests: ``use_responses_api`` off and on, an adapter on the
emulator with one of them, and the path each request then reaches on the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from xai_vision.emulator import Emulator
from xai_vision.endpoints import endpoint_for

#: ``use_responses_api`` values: chat completions, then responses.
USE_RESPONSES_API = (False, True)

Adapter = TypeVar("Adapter")


def adapter_on(
    adapter: Callable[..., Adapter], emulator: Emulator, use_responses_api: bool, **fields: Any
) -> Adapter:
    """``adapter`` (``ChatXAIVision``, ``XAIVision``...) on ``emulator`` (its key and base URL)
    with that wire form and ``fields``."""
    return adapter(
        api_key=emulator.api_key,
        base_url=emulator.base_url,
        use_responses_api=use_responses_api,
        **fields,
    )


def emulator_path(use_responses_api: bool) -> str:
    """The emulator path a request reaches with ``use_responses_api`` (``/v1/...``)."""
    return "/v1" + endpoint_for("responses" if use_responses_api else "chat_completions").path
