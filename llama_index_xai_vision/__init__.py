"""LlamaIndex adapter: ``XAIVision`` (an LLM whose messages carry images),
``XAIVisionMultiModal`` (a ``MultiModalLLM`` for ``image_documents`` and multi-modal indexes)
and ``look_closer_tool`` (an agent tool that shows the model a crop of an image)."""

from xai_vision._extras import require

require("llama_index.core", extra="llama-index", needed_by="llama_index_xai_vision")

from llama_index_xai_vision.llm import XAIVision  # noqa: E402  (after the extra check)
from llama_index_xai_vision.multi_modal import XAIVisionMultiModal  # noqa: E402  (after the extra check)
from llama_index_xai_vision.tools import look_closer_tool  # noqa: E402  (after the extra check)

__all__ = ["XAIVision", "XAIVisionMultiModal", "look_closer_tool"]
