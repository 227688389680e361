"""LangChain adapter: ``ChatXAIVision``, a chat model that lets Grok see images,
``image_block``, which turns a path, bytes, PIL image or URL into a message content block, and
``look_closer_tool``, an agent tool that shows the model a crop of an image."""

from xai_vision._extras import require

require("langchain_core", extra="langchain", needed_by="langchain_xai_vision")

from langchain_xai_vision.chat_models import ChatXAIVision  # noqa: E402  (after the extra check)
from langchain_xai_vision.images import image_block  # noqa: E402  (after the extra check)
from langchain_xai_vision.tools import look_closer_tool  # noqa: E402  (after the extra check)

__all__ = ["ChatXAIVision", "image_block", "look_closer_tool"]
