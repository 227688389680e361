"""The endpoints a request can go to, and the protocol the client talks to.

Two wire forms, one model: :class:`ChatCompletionsEndpoint` (``POST /chat/completions``) and
:class:`ResponsesEndpoint` (``POST /responses``, xAI's recommended endpoint) take the same
:class:`~xai_vision.messages.ChatRequest` and give the same :mod:`xai_vision.models` types, so
the adapters never see which one answered. :func:`endpoint_for` picks one by name.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from xai_vision._wire import STREAM_DONE, Endpoint, RequestBody, StreamDone, StreamParser
from xai_vision.chat_completions import ChatCompletionsEndpoint, parse_usage
from xai_vision.errors import RequestValidationError
from xai_vision.responses import ResponsesEndpoint

__all__ = [
    "API_NAMES",
    "STREAM_DONE",
    "APIName",
    "ChatCompletionsEndpoint",
    "Endpoint",
    "RequestBody",
    "ResponsesEndpoint",
    "StreamDone",
    "StreamParser",
    "endpoint_for",
    "parse_usage",
]

APIName: TypeAlias = Literal["chat_completions", "responses"]
#: The names :func:`endpoint_for` takes (the CLI's ``--api`` values use dashes or underscores).
API_NAMES: tuple[APIName, ...] = ("chat_completions", "responses")


def endpoint_for(api: str) -> Endpoint:
    """The endpoint named ``api``: ``"chat_completions"`` or ``"responses"``."""
    name = api.replace("-", "_") if isinstance(api, str) else api
    if name == "chat_completions":
        return ChatCompletionsEndpoint()
    if name == "responses":
        return ResponsesEndpoint()
    raise RequestValidationError(f"api={api!r} is not one of {', '.join(API_NAMES)}")
