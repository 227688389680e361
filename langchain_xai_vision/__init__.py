"""LangChain adapter: ``ChatXAIVision``, a chat model that lets Grok see images, and
``image_block``, which turns a path, bytes, PIL image or URL into a message content block."""

from xai_vision._extras import require

require("langchain_core", extra="langchain", needed_by="langchain_xai_vision")

from langchain_xai_vision.chat_models import ChatXAIVision  # noqa: E402  (after the extra check)
from langchain_xai_vision.images import image_block  # noqa: E402  (after the extra check)

__all__ = ["ChatXAIVision", "image_block"]
