"""Models the project has never seen, as xAI's live model list would show them (issue 15's
tests): an image model with its aliases and prices, and a text-only model."""

from __future__ import annotations

from xai_vision.emulator import EmulatedModel

#: A new image model, listed with two aliases and its prices.
UNSEEN_IMAGE_MODEL = EmulatedModel(
    "grok-9-vision-0101",
    aliases=("grok-9-vision", "grok-9-vision-latest"),
    prompt_price=4_000,
    image_price=9_000,
    cached_price=1_000,
    completion_price=20_000,
)
#: A new model that takes no images.
UNSEEN_TEXT_MODEL = EmulatedModel("grok-9-text", images=False)
#: Both, as a test's emulator adds them.
UNSEEN_MODELS = (UNSEEN_IMAGE_MODEL, UNSEEN_TEXT_MODEL)
