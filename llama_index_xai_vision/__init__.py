"""LlamaIndex adapter: ``XAIVision`` (an LLM whose messages carry images) and
``XAIVisionMultiModal`` (a ``MultiModalLLM`` for ``image_documents`` and multi-modal indexes)."""

from llama_index_xai_vision.llm import XAIVision
from llama_index_xai_vision.multi_modal import XAIVisionMultiModal

__all__ = ["XAIVision", "XAIVisionMultiModal"]
