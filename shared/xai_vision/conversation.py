"""What both adapters need to carry a conversation across turns: a stable key for prompt-cache
routing, and where a stored response lets a request send only the new messages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

M = TypeVar("M")

__all__ = ["chain_point", "conversation_key", "conversation_start"]

#: Characters kept from each end of an image URL for the key (a data URI is megabytes).
_URL_ENDS = 64


def _fingerprint(content: Any) -> str:
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for part in content or ():
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "text":
            pieces.append(str(part.get("text", "")))
        elif part.get("type") == "image_url":
            url = str(part.get("image_url", {}).get("url", ""))
            pieces.append(f"<image {len(url)} {url[:_URL_ENDS]} {url[-_URL_ENDS:]}>")
    return "\x1f".join(pieces)


def conversation_key(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """A key that every turn of one conversation shares: a hash of its first system message
    and first user message (text, and each image's length and ends, never its whole payload).

    Sent as ``x-grok-conv-id`` / ``prompt_cache_key`` so xAI routes the turns to the same prompt
    cache. None when there is no user message yet.
    """
    system = next((m for m in messages if m.get("role") == "system"), None)
    user = next((m for m in messages if m.get("role") == "user"), None)
    if user is None:
        return None
    digest = hashlib.sha256()
    for message in (system, user):
        digest.update(_fingerprint(message.get("content")).encode() if message else b"")
        digest.update(b"\x1e")
    return "xv-" + digest.hexdigest()[:32]


def conversation_start(
    messages: Sequence[M], role_of: Callable[[M], object], system: object, user: object
) -> list[M]:
    """The first ``system`` and the first ``user`` message of a framework's history, in that
    order: all :func:`conversation_key` reads, so an adapter converts only these to key a
    chained request whose earlier messages it does not send."""
    first = [next((m for m in messages if role_of(m) == role), None) for role in (system, user)]
    return [m for m in first if m is not None]


def chain_point(turns: Sequence[tuple[str | None, bool | None]]) -> tuple[int, str] | None:
    """The last turn that is a stored response, as (its index, its response id); None if none.

    ``turns`` has one ``(response id, stored)`` pair per message (``(None, None)`` for messages
    that are not model answers). Only a response xAI stored can be continued by
    ``previous_response_id``; after an unstored one (e.g. it held an image) the whole history
    must be sent.
    """
    for index in range(len(turns) - 1, -1, -1):
        response_id, stored = turns[index]
        if response_id is not None or stored is not None:
            return (index, response_id) if stored is True and response_id else None
    return None
