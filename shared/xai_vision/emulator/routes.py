"""The emulator's API: an allow-list of (method, path pattern) -> handler, and its lookup.

A path no row matches is a 404; a path some row matches with another method is a 405 naming
the methods allowed. ``{name}`` in a pattern matches one path segment, ``{name:path}`` the
rest of the path (possibly empty); the handler receives them as ``params``. Add an endpoint by
writing its handler in :mod:`xai_vision.emulator.handlers` and adding its row here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xai_vision.emulator.handlers import (
    Handler,
    batches,
    chat_completions,
    files,
    language_models,
    models,
    responses,
    tokenize_text,
)
from xai_vision.emulator.validation import Rejection

__all__ = ["ROUTES", "Route", "find_route"]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(:path)?\}")


@dataclass(frozen=True)
class Route:
    """One endpoint: ``method`` on paths matching ``pattern`` is answered by ``handler``."""

    method: str
    pattern: str
    handler: Handler
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts: list[str] = []
        end = 0
        for placeholder in _PLACEHOLDER.finditer(self.pattern):
            parts.append(re.escape(self.pattern[end : placeholder.start()]))
            name, rest = placeholder.group(1), placeholder.group(2)
            parts.append(f"(?P<{name}>{'.*' if rest else '[^/]+'})")
            end = placeholder.end()
        parts.append(re.escape(self.pattern[end:]))
        object.__setattr__(self, "_regex", re.compile("".join(parts)))

    def match(self, path: str) -> dict[str, str] | None:
        """The placeholders' values when ``path`` matches the pattern, else None."""
        found = self._regex.fullmatch(path)
        return found.groupdict() if found is not None else None


#: Every API endpoint the emulator serves (anything else is a 404).
ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/chat/completions", chat_completions.handle),
    Route("POST", "/v1/responses", responses.create_response),
    Route("GET", "/v1/responses/{response_id}", responses.get_response),
    Route("DELETE", "/v1/responses/{response_id}", responses.delete_response),
    Route("GET", "/v1/models", models.list_models),
    Route("GET", "/v1/models/{model_id:path}", models.get_model),
    Route("GET", "/v1/language-models", language_models.list_language_models),
    Route("GET", "/v1/language-models/{model_id:path}", language_models.get_language_model),
    Route("POST", "/v1/tokenize-text", tokenize_text.handle),
    Route("POST", "/v1/batches", batches.create_batch),
    Route("GET", "/v1/batches", batches.list_batches),
    Route("POST", "/v1/batches/{batch_id}:cancel", batches.cancel_batch),
    Route("GET", "/v1/batches/{batch_id}", batches.get_batch),
    Route("POST", "/v1/batches/{batch_id}/requests", batches.add_requests),
    Route("GET", "/v1/batches/{batch_id}/results", batches.get_results),
    Route("POST", "/v1/files", files.upload_file),
    Route("GET", "/v1/files", files.list_files),
    Route("GET", "/v1/files/{file_id}", files.get_file),
    Route("DELETE", "/v1/files/{file_id}", files.delete_file),
    Route("GET", "/v1/files/{file_id}/content", files.get_file_content),
)


def find_route(
    method: str, path: str, routes: tuple[Route, ...] = ROUTES
) -> tuple[Route, dict[str, str]]:
    """The route for ``method`` on ``path`` and its params; Rejection 404 or 405 if none."""
    allowed: list[str] = []
    for route in routes:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        if route.method not in allowed:
            allowed.append(route.method)
    if not allowed:
        raise Rejection(404, f"No such endpoint: {method} {path}")
    raise Rejection(
        405,
        f"Method {method} is not allowed on {path}; use {' or '.join(allowed)}",
        headers={"allow": ", ".join(allowed)},
    )
