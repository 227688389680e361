"""LangChain adapter: ``ChatXAIVision``, a chat model that lets Grok see images, and
``image_block``, which turns a path, bytes, PIL image or URL into a message content block."""

from langchain_xai_vision.chat_models import ChatXAIVision
from langchain_xai_vision.images import image_block

__all__ = ["ChatXAIVision", "image_block"]
