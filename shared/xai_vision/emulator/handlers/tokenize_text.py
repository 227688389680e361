"""``POST /v1/tokenize-text``: the tokens of a text, as the emulator bills text.

The emulator's tokenizer cuts text into pieces of 4 characters (the last may be shorter), so
the count is exactly :func:`xai_vision.tokens.estimate_text_tokens`, the rule its usage
follows: a client that counts text here gets the emulator's ``prompt_tokens`` for it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from xai_vision.emulator.catalog import resolve_model
from xai_vision.emulator.checks import model_not_found
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.handlers.answering import request_json
from xai_vision.emulator.handlers.language_models import check_model_endpoints
from xai_vision.emulator.http11 import Exchange
from xai_vision.emulator.validation import Rejection, spec_schema, spec_validator
from xai_vision.tokens import CHARS_PER_TOKEN

__all__ = ["handle", "tokenize"]

_DESERIALIZE = "Failed to deserialize the JSON body into the target type"
#: Token ids are drawn from a vocabulary this size (deterministically, from the piece).
_VOCABULARY = 131_072


def tokenize(text: str) -> list[dict[str, Any]]:
    """``text`` as ``TokenizeResponseToken`` objects: pieces of 4 characters, in order."""
    tokens = []
    for start in range(0, len(text), CHARS_PER_TOKEN):
        piece = text[start : start + CHARS_PER_TOKEN]
        data = piece.encode("utf-8", "surrogatepass")
        tokens.append(
            {
                "token_id": zlib.crc32(data) % _VOCABULARY,
                "string_token": piece,
                "token_bytes": list(data),
            }
        )
    return tokens


async def handle(context: HandlerContext, exchange: Exchange, params: Mapping[str, str]) -> None:
    """Tokenise ``text`` for ``model`` (aliases resolved; 404 for a name xAI does not know)."""
    check_model_endpoints(context)
    body = request_json(exchange.request)
    if not isinstance(body, dict):
        raise Rejection(422, f"{_DESERIALIZE}: expected struct TokenizeRequest")
    problem = spec_validator().first_error(body, spec_schema("TokenizeRequest"))
    if problem is not None:
        raise Rejection(422, f"{_DESERIALIZE}: {problem}")
    for required in ("model", "text"):
        if body.get(required) is None:
            raise Rejection(422, f"{_DESERIALIZE}: missing field `{required}`")
    model = body["model"]
    if resolve_model(model, None, context.settings.models) is None:
        raise model_not_found(model)
    await exchange.send_json(200, {"token_ids": tokenize(body["text"])})
