"""The emulator's prompt cache: ``usage.prompt_tokens_details.cached_tokens`` for repeated prefixes.

xAI caches prompts on its own and reports the cached part of the text prompt as
``cached_tokens``. The emulator reproduces that deterministically, with one rule:

* The cacheable prefix of a request is its tool definitions and ``response_format`` (which
  must be identical), then its messages, whole ones only, in order. Prefixes are keyed by the
  credentials (a digest of the API key, never the key itself) and the resolved model name, so
  another key or another model never shares a cache entry.
* A request reads from the cache the longest prefix of whole messages that an earlier request
  with the same key and model also had, if that prefix holds at least ``min_tokens`` text
  tokens (1,024 by default, OpenAI's documented minimum; recorded xAI traffic shows caching of
  much shorter prompts, so the setting goes down to 1). ``cached_tokens`` is the text tokens of
  that prefix: images in it change the key but count only their message's text (cached tokens
  are part of the text tokens, never image tokens), so ``cached_tokens <= text_tokens``. An
  exact repeat reads the whole text prompt.
* Every request that is answered stores its own prefixes (those of at least ``min_tokens``)
  in an LRU of prefix digests, ``max_entries`` long: memory stays bounded however many
  distinct prompts arrive, and the least recently used prefixes are forgotten first.

A request whose whole text prompt is below ``min_tokens`` skips the cache entirely (no prefix
of it could count), so short prompts with large images cost nothing here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from xai_vision import _json
from xai_vision.emulator.bounded import BoundedMap
from xai_vision.tokens import (
    estimate_messages_text_tokens,
    estimate_text_tokens,
    estimate_tools_tokens,
)

__all__ = ["DEFAULT_MAX_ENTRIES", "DEFAULT_MIN_TOKENS", "PromptCache", "prompt_prefixes"]

#: Text tokens a shared prefix needs before it is reported as cached (OpenAI's minimum).
DEFAULT_MIN_TOKENS = 1024
#: Prefix digests the LRU keeps (about 150 bytes each).
DEFAULT_MAX_ENTRIES = 4096

_DIGEST_SIZE = 16


def _canonical(value: Any) -> Any:
    """``value`` with dict keys sorted at every level (key order on the wire is not the prompt)."""
    if isinstance(value, Mapping):
        return {key: _canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _message_bytes(message: Mapping[str, Any]) -> bytes:
    """One message as canonical JSON; string content is the same prompt as one text part."""
    content = message.get("content")
    if isinstance(content, str):
        message = {**message, "content": [{"type": "text", "text": content}]}
    return _json.dumps(_canonical(message))


def _digest(previous: bytes, data: bytes) -> bytes:
    return hashlib.blake2b(previous + data, digest_size=_DIGEST_SIZE).digest()


def prompt_prefixes(api_key: str, model: str, body: Mapping[str, Any]) -> list[tuple[bytes, int]]:
    """(digest, text tokens) of each prefix ending after a whole message.

    The first prefix ends after message 1; the text tokens of a prefix include the tools' and
    ``response_format``'s, as ``usage.prompt_tokens_details.text_tokens`` does, so the last
    prefix's tokens equal the request's text tokens.
    """
    tools = body.get("tools") or []
    response_format = body.get("response_format")
    tokens = estimate_tools_tokens(tools)
    if response_format is not None:
        tokens += estimate_text_tokens(_json.dumps(response_format).decode())
    scope = hashlib.blake2b(api_key.encode(), digest_size=_DIGEST_SIZE).digest()
    digest = _digest(
        scope,
        _json.dumps(_canonical({"model": model, "tools": tools, "format": response_format})),
    )
    prefixes: list[tuple[bytes, int]] = []
    for message in body.get("messages") or []:
        tokens += estimate_messages_text_tokens([message])
        digest = _digest(digest, _message_bytes(message))
        prefixes.append((digest, tokens))
    return prefixes


class PromptCache(BoundedMap[bytes, int]):
    """A thread-safe LRU of prompt-prefix digests -> their text tokens; see the module
    docstring for the rule."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        super().__init__(max_entries)

    def lookup_and_store(self, prefixes: Sequence[tuple[bytes, int]], min_tokens: int) -> int:
        """The cached text tokens of a request with these prefixes; then remember its prefixes.

        Returns the tokens of the longest prefix already stored (0 if none reaches
        ``min_tokens``). Prefixes below ``min_tokens`` are neither looked up nor stored.
        """
        eligible = [(digest, tokens) for digest, tokens in prefixes if tokens >= min_tokens]
        if not eligible:
            return 0
        with self._lock:
            cached = 0
            for digest, tokens in reversed(eligible):
                if digest in self._entries:
                    cached = tokens
                    break
            for digest, tokens in eligible:
                self._entries[digest] = tokens
                self._entries.move_to_end(digest)
            self._drop_oldest()
            return cached
