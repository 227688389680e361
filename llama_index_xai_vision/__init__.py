"""LlamaIndex adapter: ``XAIVision`` (an LLM whose messages carry images) and
``XAIVisionMultiModal`` (a ``MultiModalLLM`` for ``image_documents`` and multi-modal indexes)."""

from xai_vision._extras import require

require("llama_index.core", extra="llama-index", needed_by="llama_index_xai_vision")

from llama_index_xai_vision.llm import XAIVision  # noqa: E402  (after the extra check)
from llama_index_xai_vision.multi_modal import XAIVisionMultiModal  # noqa: E402  (after the extra check)

__all__ = ["XAIVision", "XAIVisionMultiModal"]
