"""``GET /v1/models`` and ``GET /v1/models/{model_id}``: the emulator's model listing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xai_vision.emulator.catalog import DEFAULT_CREATED, ModelInfo, language_models, resolve_model
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.http11 import Exchange
from xai_vision.emulator.validation import Rejection

__all__ = ["find_listed_model", "get_model", "list_models"]


def _entry(model_id: str, created: int) -> dict[str, Any]:
    return {"id": model_id, "created": created, "object": "model", "owned_by": "xai"}


async def list_models(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """Every listed model, in xAI's ``ListModelsResponse`` shape."""
    listed = language_models(context.settings.models)
    listing = {"data": [_entry(info.name, created) for info, created in listed], "object": "list"}
    await exchange.send_json(200, listing)


async def get_model(context: HandlerContext, exchange: Exchange, params: Mapping[str, str]) -> None:
    """One model by name (aliases resolved); 404 for a name xAI does not know."""
    info, created = find_listed_model(context, params["model_id"])
    await exchange.send_json(200, _entry(info.name, created))


def find_listed_model(context: HandlerContext, requested: str) -> tuple[ModelInfo, int]:
    """The model ``requested`` names (aliases resolved) and its listing date; 404 when xAI
    would not know it. Both model listings look names up this way."""
    models = context.settings.models
    info = resolve_model(requested, None, models) if requested else None
    if info is None:
        raise Rejection(404, f"The model {requested} does not exist (model not found).")
    created = dict((i.name, c) for i, c in language_models(models)).get(info.name, DEFAULT_CREATED)
    return info, created
