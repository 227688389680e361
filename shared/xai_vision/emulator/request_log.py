"""The request log (``EmulatorSettings.log_requests``): one line per API request, on stderr.

``POST /v1/chat/completions model=grok-4-fast-non-reasoning images=1 status=200
prompt_tokens=1812 completion_tokens=40 total_tokens=1852`` (one line; ``reasoning_tokens=``
too when there are any; a responses answer shows its own names, ``input_tokens=``
``output_tokens=``). A request that never got an answer (a reset connection) shows
``status=reset``. What a line may show is chosen, never copied whole from the request: no
headers (so no key), no query string, no message text or image data; the model name and the
path are cut short and escaped, and the request's own Bearer key is masked if it appears.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Mapping
from typing import Any

from xai_vision import _json

__all__ = ["count_images", "log_to_stderr", "loggable_url", "request_line"]

#: Characters a model name or a path may show as they are; anything else is JSON-escaped.
_PLAIN = re.compile(r"[A-Za-z0-9._~:/@%+=,;!$&'()*-]*")
#: Content part types that carry an image (chat completions; the Responses API).
_IMAGE_PART_TYPES = frozenset({"image_url", "input_image"})


def log_to_stderr(line: str) -> None:
    """Write one log line to the current stderr, flushed at once (a closed stderr loses it:
    logging never stops the emulator from answering)."""
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _loggable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, JSON-quoted unless it is plain (no spaces or
    control characters that could forge another log line)."""
    cut = text if len(text) <= limit else text[: limit - 3] + "..."
    return cut if _PLAIN.fullmatch(cut) else _json.dumps(cut).decode()


def loggable_url(url: str) -> str:
    """An image URL for a log line: without its query string or fragment, cut short, escaped."""
    return _loggable(url.split("?", 1)[0].split("#", 1)[0], 160)


def count_images(body: Any) -> int:
    """How many image parts a JSON request body holds, wherever they are."""
    count = 0
    pending = [body]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if value.get("type") in _IMAGE_PART_TYPES:
                count += 1
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count


def request_line(
    method: str,
    path: str,
    body: Any,
    status: int | None,
    usage: Mapping[str, Any] | None,
    *,
    key: str | None = None,
) -> str:
    """The log line of one answered request (``key``: the request's Bearer key, masked)."""
    model = body.get("model") if isinstance(body, dict) else None
    fields = [
        method if _PLAIN.fullmatch(method) else "?",
        _loggable(path, 200),
        f"model={_loggable(model, 80) if isinstance(model, str) else '-'}",
        f"images={count_images(body)}",
        f"status={status if status is not None else 'reset'}",
    ]
    if usage is not None:
        responses = "input_tokens" in usage
        names = (
            ("input_tokens", "output_tokens", "total_tokens")
            if responses
            else ("prompt_tokens", "completion_tokens", "total_tokens")
        )
        for name in names:
            fields.append(f"{name}={usage.get(name)}")
        details = usage.get("output_tokens_details" if responses else "completion_tokens_details")
        details = details if isinstance(details, Mapping) else {}
        if details.get("reasoning_tokens"):
            fields.append(f"reasoning_tokens={details['reasoning_tokens']}")
    line = " ".join(fields)
    if key and len(key) >= 8:
        line = line.replace(key, "[REDACTED]")
    return line
