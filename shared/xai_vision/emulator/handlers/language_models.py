"""``GET /v1/language-models`` and ``GET /v1/language-models/{model_id}``: what xAI publishes
about each model (input modalities, aliases, prices), for the models the emulator serves.

The prices listed are the ones the emulator bills by, so a client that prices a usage with
them gets the ``cost_in_usd_ticks`` the emulator reports.
"""

from __future__ import annotations

from collections.abc import Mapping

from xai_vision.emulator.catalog import language_model_entry, language_models
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.handlers.models import find_listed_model
from xai_vision.emulator.http11 import Exchange
from xai_vision.emulator.validation import Rejection

__all__ = ["check_model_endpoints", "get_language_model", "list_language_models"]


def check_model_endpoints(context: HandlerContext) -> None:
    """Raise the outage a test set with ``Emulator.fail_model_endpoints``, if any."""
    status = context.state.model_endpoints_status
    if status is not None:
        raise Rejection(status, f"The model service is unavailable (emulated outage {status})")


async def list_language_models(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """Every model, in xAI's ``ListLanguageModelsResponse`` shape."""
    check_model_endpoints(context)
    listed = language_models(context.settings.models)
    models = [language_model_entry(info, created) for info, created in listed]
    await exchange.send_json(200, {"models": models})


async def get_language_model(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """One model by id or alias (its entry names the id); 404 for a name xAI does not know."""
    check_model_endpoints(context)
    info, created = find_listed_model(context, params["model_id"])
    await exchange.send_json(200, language_model_entry(info, created))
