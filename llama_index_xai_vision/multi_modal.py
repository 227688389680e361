"""``XAIVisionMultiModal``: a LlamaIndex ``MultiModalLLM`` over xAI's image understanding.

For the ``image_documents`` API (``MultiModalVectorStoreIndex`` query engines,
``MultiModalLLMCompletionProgram``). ``MultiModalLLM`` already wraps the eight methods with
callbacks and instrumentation, so they are left undecorated here (decorating them again would
fire every event twice); ``rate_limiter`` and ``to_payload()``, which those wrappers read but only
``BaseLLM`` defines, are provided.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
)
from llama_index.core.constants import DEFAULT_NUM_INPUT_FILES
from llama_index.core.multi_modal_llms import MultiModalLLM, MultiModalLLMMetadata
from pydantic import Field

from llama_index_xai_vision._base import XAISettings
from llama_index_xai_vision._convert import ImageInput, StreamState

__all__ = ["XAIVisionMultiModal"]


class XAIVisionMultiModal(XAISettings, MultiModalLLM):
    """xAI Grok vision as a LlamaIndex multi-modal LLM.

    ``complete("What is this?", image_documents=[...])`` takes ``ImageDocument``, ``ImageNode``
    and ``ImageBlock`` (path, URL, base64 or bytes; MIME sniffed from the bytes); ``chat`` takes
    ``ChatMessage.blocks``. Images are checked by the core before anything is sent.
    """

    rate_limiter: Any | None = Field(
        default=None, exclude=True, description="Optional BaseRateLimiter throttling calls."
    )

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialisation; contains "multi" as multi-modal indexes expect."""
        return "xai_vision_multi_modal_llm"

    @property
    def metadata(self) -> MultiModalLLMMetadata:
        """Model name, context window and capabilities of this instance."""
        return MultiModalLLMMetadata(
            **self._metadata_fields(),
            num_input_files=self.image_options.max_images_per_request or DEFAULT_NUM_INPUT_FILES,
            is_function_calling_model=False,
        )

    def to_payload(self) -> dict[str, Any]:
        """What callbacks and instrumentation events record: metadata only, never the key."""
        return {"class_name": self.class_name(), **self.metadata.model_dump()}

    def complete(
        self,
        prompt: str,
        image_documents: Sequence[ImageInput] | None = None,
        **kwargs: Any,
    ) -> CompletionResponse:
        """Answer ``prompt`` about ``image_documents`` (none is fine: chat engines send none)."""
        return self._do_complete(self._prompt_request(prompt, image_documents, kwargs))

    def stream_complete(
        self,
        prompt: str,
        image_documents: Sequence[ImageInput] | None = None,
        **kwargs: Any,
    ) -> CompletionResponseGen:
        """Stream the answer: each response has the text so far and its ``delta``."""
        return self._stream_answers(
            self._prompt_request(prompt, image_documents, kwargs), StreamState.completion
        )

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Answer a conversation; images ride in ``ChatMessage.blocks``."""
        return self._do_chat(self._chat_request(messages, kwargs))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream a conversation's answer (cumulative message, ``delta``, usage at the end)."""
        return self._stream_answers(self._chat_request(messages, kwargs), StreamState.chat)

    async def acomplete(
        self,
        prompt: str,
        image_documents: Sequence[ImageInput] | None = None,
        **kwargs: Any,
    ) -> CompletionResponse:
        """Async :meth:`complete`."""
        return await self._do_acomplete(self._prompt_request(prompt, image_documents, kwargs))

    async def astream_complete(
        self,
        prompt: str,
        image_documents: Sequence[ImageInput] | None = None,
        **kwargs: Any,
    ) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`."""
        return self._astream_answers(
            self._prompt_request(prompt, image_documents, kwargs), StreamState.completion
        )

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async :meth:`chat`."""
        return await self._do_achat(await self._achat_request(messages, kwargs))

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat`."""
        return self._astream_answers(await self._achat_request(messages, kwargs), StreamState.chat)
