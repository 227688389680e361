"""A faithful local xAI chat-completions endpoint for tests, demos and benchmarks.

``with Emulator() as emu:`` serves ``POST /v1/chat/completions`` and ``GET /v1/models`` on
127.0.0.1, validates requests against xAI's OpenAPI spec and image rules, answers
deterministically from what it received (see ARCHITECTURE.md, "Emulator answer format"),
streams like xAI, and supports scripted replies, fault injection and a request log.
"""

from xai_vision.emulator.config import (
    DEFAULT_API_KEY,
    EmulatorConfigError,
    EmulatorError,
    EmulatorSettings,
    EmulatorStartError,
)
from xai_vision.emulator.emulator import Emulator
from xai_vision.emulator.faults import RecordedRequest
from xai_vision.emulator.server import serve

__all__ = [
    "DEFAULT_API_KEY",
    "Emulator",
    "EmulatorConfigError",
    "EmulatorError",
    "EmulatorSettings",
    "EmulatorStartError",
    "RecordedRequest",
    "serve",
]
