"""Settings and request plumbing shared by both LlamaIndex classes (a pydantic mixin).

Holds the configuration fields, the one :class:`~xai_vision.client.XAIClient` per instance
(sync and async share its settings), and the request/response round trips in LlamaIndex
terms. The public classes only choose which framework shape to return.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from typing import Any, TypeVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    MessageRole,
)
from llama_index.core.constants import DEFAULT_NUM_OUTPUTS
from pydantic import BaseModel, Field, PrivateAttr, SecretStr
from typing_extensions import Self
from xai_vision.catalog import DEFAULT_MODEL, model_facts
from xai_vision.client import XAIClient
from xai_vision.conversation import chain_point, conversation_key, conversation_start
from xai_vision.documents import DocumentOptions
from xai_vision.endpoints import endpoint_for
from xai_vision.errors import RequestValidationError
from xai_vision.images import ImageOptions
from xai_vision.messages import ChatRequest, ImageCollector, WireMessage
from xai_vision.models import ChatCompletionChunk
from xai_vision.tokens import Detail, PromptTokens

from llama_index_xai_vision._convert import (
    RESPONSE_ID_KEY,
    STORED_KEY,
    StreamState,
    chat_response,
    completion_response,
    has_documents,
    pydantic_response_format,
    to_wire_messages,
    user_wire_message,
)

#: What a stream yields: ``ChatResponse`` (chat) or ``CompletionResponse`` (completion).
Answer = TypeVar("Answer", ChatResponse, CompletionResponse)


def _turn(message: ChatMessage) -> tuple[str | None, bool | None]:
    """An answer's response id and whether xAI stored it; (None, None) for other messages."""
    if message.role != MessageRole.ASSISTANT:
        return None, None
    stored = message.additional_kwargs.get(STORED_KEY)
    response_id = message.additional_kwargs.get(RESPONSE_ID_KEY)
    return (
        response_id if isinstance(response_id, str) else None,
        stored if isinstance(stored, bool) else False,
    )


#: Fields a deep copy shares instead of copying (services, not configuration).
_SHARED_FIELDS = frozenset({"callback_manager", "rate_limiter"})


def context_window_for(model: str) -> int:
    """xAI's documented context window for a model name (the core catalogue's, by family)."""
    return model_facts(model).context_window


class XAISettings(BaseModel):
    """Configuration and the one client shared by both LlamaIndex classes."""

    model: str = Field(default=DEFAULT_MODEL, description="xAI model name.")
    api_key: SecretStr | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description=(
            "xAI API key; XAI_API_KEY when unset. Never serialised, not even by pickle "
            "(an unpickled copy reads XAI_API_KEY)."
        ),
    )
    base_url: str | None = Field(
        default=None, description="API base URL; XAI_BASE_URL / XAI_API_BASE, else api.x.ai."
    )
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, gt=0, description="Cap on generated tokens.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds per HTTP request.")
    max_retries: int = Field(default=2, ge=0)
    detail: Detail | None = Field(
        default=None, description="Detail for images that set none (auto, low, high)."
    )
    image_options: ImageOptions = Field(
        default_factory=ImageOptions, description="Image limits, policy and optimisation."
    )
    document_options: DocumentOptions = Field(
        default_factory=DocumentOptions,
        description=(
            "How PDF DocumentBlocks travel: file parts (mode 'file'; chat completions uploads "
            "them through the Files API first) or rendered page images (mode 'pages')."
        ),
    )
    include_usage: bool = Field(
        default=True, description="Ask for usage on streams (stream_options.include_usage)."
    )
    context_window: int | None = Field(
        default=None, gt=0, description="Override the model's context window."
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra request body fields sent with every call."
    )
    use_responses_api: bool = Field(
        default=False,
        description=(
            "Send requests to xAI's responses endpoint (POST /v1/responses, the one xAI "
            "recommends) instead of chat completions; answers and usage look the same."
        ),
    )
    store: bool | None = Field(
        default=None,
        description=(
            "Responses endpoint: keep answers on xAI's side. None: not when a request holds "
            "an image (xAI advises against it), else xAI's default (stored)."
        ),
    )
    use_previous_response_id: bool = Field(
        default=False,
        description=(
            "Responses endpoint: when the history ends in a stored answer, send only the "
            "messages after it with previous_response_id."
        ),
    )
    conversation_id: str | None = Field(
        default=None,
        description=(
            "Prompt-cache routing key (x-grok-conv-id / prompt_cache_key); None derives one "
            "from the conversation's first system and user messages."
        ),
    )

    _client: XAIClient = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        """Build the one client this instance uses for every call, sync and async."""
        super().model_post_init(context)
        self._client = XAIClient(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=self.max_retries,
            endpoint=endpoint_for("responses" if self.use_responses_api else "chat_completions"),
        )

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy with its own client (connection pools cannot be copied).

        Callback managers and rate limiters are services, so the copy shares them.
        """
        fields = type(self).model_fields
        values = {
            name: getattr(self, name)
            if name in _SHARED_FIELDS
            else copy.deepcopy(getattr(self, name), memo)
            for name in fields
        }
        return type(self)(**values)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state without the API key (an unpickled copy reads ``XAI_API_KEY``)."""
        state: dict[str, Any] = super().__getstate__()
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k != "api_key"}
        return state

    @property
    def client(self) -> XAIClient:
        """The client every call goes through (one per instance)."""
        return self._client

    def _metadata_fields(self) -> dict[str, Any]:
        """What both classes' metadata say alike: model, context window, answer size, chat."""
        return {
            "context_window": self.context_window or context_window_for(self.model),
            "num_output": self.max_tokens or DEFAULT_NUM_OUTPUTS,
            "is_chat_model": True,
            "model_name": self.model,
        }

    def close(self) -> None:
        """Close this instance's connection pools (sync)."""
        self._client.close()

    async def aclose(self) -> None:
        """Close this instance's connection pools (sync and async)."""
        await self._client.aclose()

    # ----------------------------------------------------------------- token counts

    def _wire_for_count(
        self, messages: Sequence[ChatMessage]
    ) -> tuple[list[WireMessage], ImageCollector]:
        collector = ImageCollector(self.image_options)
        return to_wire_messages(messages, collector, self.detail, self.document_options), collector

    def count_tokens(self, messages: Sequence[ChatMessage]) -> PromptTokens:
        """The prompt tokens ``chat(messages)`` would send, message by message.

        Text is counted by xAI's tokenizer (``/v1/tokenize-text``, once per text; offline the
        4-characters estimate, and ``note`` says so); images are checked and prepared as for
        a request and estimated by the tile rule, plus 3 tokens a message. ``.total`` is what
        ``raw["usage"]["prompt_tokens"]`` (read by ``TokenCountingHandler``) should show.
        """
        wire, collector = self._wire_for_count(messages)
        return self._client.count_tokens(wire, collector.images, model=self.model)

    async def acount_tokens(self, messages: Sequence[ChatMessage]) -> PromptTokens:
        """Async :meth:`count_tokens`."""
        wire, collector = self._wire_for_count(messages)
        return await self._client.async_client.count_tokens(
            wire, collector.images, model=self.model
        )

    # ----------------------------------------------------------------- requests

    def _request(
        self,
        wire: list[WireMessage],
        kwargs: dict[str, Any],
        *,
        conversation: str | None = None,
        previous_response_id: str | None = None,
    ) -> ChatRequest:
        """A ChatRequest from the instance defaults overridden by per-call keywords.

        Keywords naming a ChatRequest field (``additional_kwargs`` included) set that field;
        the rest are extra body fields; ``response_format`` may be a pydantic class.
        """
        options: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "conversation_id": self.conversation_id or conversation or conversation_key(wire),
            **self.additional_kwargs,
            **kwargs,
        }
        if self.use_responses_api:
            options.setdefault("store", self.store)
            if previous_response_id is not None:
                options["previous_response_id"] = previous_response_id
        if "stream" in options:
            raise RequestValidationError(
                "stream: use the stream_* methods instead of a 'stream' keyword"
            )
        response_format = options.get("response_format")
        if isinstance(response_format, type) and issubclass(response_format, BaseModel):
            options["response_format"] = pydantic_response_format(response_format)
        return ChatRequest.build(
            self.model,
            wire,
            options,
            max_images_per_message=self.image_options.max_images_per_message,
        )

    def _chat_request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatRequest:
        point = None
        if self.use_responses_api and self.use_previous_response_id:
            point = chain_point([_turn(message) for message in messages])
        if point is None:
            collector = ImageCollector(self.image_options)
            wire = to_wire_messages(messages, collector, self.detail, self.document_options)
            return self._request(wire, kwargs)
        index, response_id = point
        head = messages[: index + 1]
        start = conversation_start(head, lambda m: m.role, MessageRole.SYSTEM, MessageRole.USER)
        key = conversation_key(
            to_wire_messages(
                start, ImageCollector(self.image_options), self.detail, self.document_options
            )
        )
        tail = to_wire_messages(
            messages[index + 1 :],
            ImageCollector(self.image_options),
            self.detail,
            self.document_options,
        )
        return self._request(tail, kwargs, conversation=key, previous_response_id=response_id)

    async def _achat_request(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> ChatRequest:
        """:meth:`_chat_request` for async paths: with PDFs in a worker thread (PDFium work,
        serialised by the core's lock, never blocks the event loop)."""
        if has_documents(messages):
            return await asyncio.to_thread(self._chat_request, messages, kwargs)
        return self._chat_request(messages, kwargs)

    def _prompt_request(
        self, prompt: str, images: Sequence[object] | None, kwargs: dict[str, Any]
    ) -> ChatRequest:
        collector = ImageCollector(self.image_options)
        return self._request([user_wire_message(prompt, images, collector, self.detail)], kwargs)

    # ----------------------------------------------------------------- round trips

    def _do_chat(self, request: ChatRequest) -> ChatResponse:
        return chat_response(self._client.create(request))

    def _do_complete(self, request: ChatRequest) -> CompletionResponse:
        return completion_response(self._client.create(request))

    async def _do_achat(self, request: ChatRequest) -> ChatResponse:
        return chat_response(await self._client.acreate(request))

    async def _do_acomplete(self, request: ChatRequest) -> CompletionResponse:
        return completion_response(await self._client.acreate(request))

    def _stream_answers(
        self, request: ChatRequest, answer: Callable[[StreamState, ChatCompletionChunk], Answer]
    ) -> Generator[Answer, None, None]:
        """``answer`` (``StreamState.chat`` or ``StreamState.completion``) after each chunk of
        ``request``'s stream that adds something; bad input raises here, not at the first one."""
        chunks = self._client.stream(request, include_usage=self.include_usage)

        def gen() -> Generator[Answer, None, None]:
            state = StreamState()
            for chunk in chunks:
                if state.add(chunk):
                    yield answer(state, chunk)

        return gen()

    def _astream_answers(
        self, request: ChatRequest, answer: Callable[[StreamState, ChatCompletionChunk], Answer]
    ) -> AsyncGenerator[Answer, None]:
        """Async :meth:`_stream_answers`."""
        chunks = self._client.astream(request, include_usage=self.include_usage)

        async def gen() -> AsyncGenerator[Answer, None]:
            state = StreamState()
            async for chunk in chunks:
                if state.add(chunk):
                    yield answer(state, chunk)

        return gen()
