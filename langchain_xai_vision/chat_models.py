"""``ChatXAIVision``: a LangChain chat model over the xai-vision core (no openai SDK).

The class only wires LangChain's interface to the core; the message, usage and tool
conversions are the pure functions of :mod:`langchain_xai_vision._convert`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Literal, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
)
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.base import OutputParserLike
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils import secret_from_env
from langchain_core.utils.function_calling import convert_to_openai_function
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr
from xai_vision.catalog import DEFAULT_MODEL
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.conversation import chain_point, conversation_key, conversation_start
from xai_vision.documents import DocumentOptions
from xai_vision.endpoints import endpoint_for
from xai_vision.errors import RequestValidationError, XAIVisionError
from xai_vision.images import ImageOptions
from xai_vision.messages import (
    ChatRequest,
    ImageCollector,
    WireMessage,
    json_schema_response_format,
)
from xai_vision.tokens import PromptTokens

from langchain_xai_vision._convert import (
    PROVIDER,
    StreamState,
    chat_result,
    convert_all,
    convert_messages,
    has_documents,
    wire_tool,
    wire_tool_choice,
)
from langchain_xai_vision.errors import to_langchain_error

__all__ = ["ChatXAIVision"]

_IMAGE_DEFAULTS = ImageOptions()
_DOCUMENT_DEFAULTS = DocumentOptions()
StructuredMethod = Literal["json_schema", "json_mode", "function_calling"]


# --------------------------------------------------------------------------- the chat model


class _ClientCache:
    """A model's HTTP clients by connection settings (thread-safe).

    Copying a model copies no clients (they own sockets and locks): a deep copy or an
    unpickled model starts with an empty cache.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[Hashable, XAIClient] = {}

    def get(self, key: Hashable, make: Callable[[], XAIClient]) -> XAIClient:
        """The client for ``key``, made with ``make`` the first time."""
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = make()
            return client

    def drain(self) -> list[XAIClient]:
        """Remove and return every client (the model makes new ones if used again)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            return clients

    def __deepcopy__(self, memo: dict[int, Any]) -> _ClientCache:
        return _ClientCache()

    def __reduce__(self) -> tuple[type[_ClientCache], tuple[()]]:
        return (_ClientCache, ())

    def __repr__(self) -> str:
        return f"_ClientCache({len(self._clients)} clients)"


class ChatXAIVision(BaseChatModel):
    """xAI Grok chat model that sees images, for LangChain chains and agents.

    Takes images in every form LangChain code writes (OpenAI ``image_url``, standard v0/v1
    ``image`` blocks, Anthropic ``source`` blocks, or :func:`~langchain_xai_vision.image_block`),
    keeps ``detail``, checks each image before sending, and reports image and reasoning tokens
    in ``usage_metadata``.

    Example:
        ```python
        from langchain_xai_vision import ChatXAIVision, image_block
        from langchain_core.messages import HumanMessage

        model = ChatXAIVision()  # key from XAI_API_KEY
        answer = model.invoke(
            [HumanMessage([{"type": "text", "text": "What is this?"},
                           image_block("photo.jpg", detail="high")])]
        )
        ```
    """

    model_config = ConfigDict(populate_by_name=True)

    model: str = Field(default=DEFAULT_MODEL, alias="model_name")
    """xAI model name; xAI may answer with a resolved name (in ``response_metadata``)."""
    temperature: float | None = None
    """Sampling temperature, 0 to 2 (checked before sending); None leaves xAI's default."""
    max_tokens: int | None = Field(default=None, gt=0)
    """Most tokens to generate; None leaves xAI's default."""
    top_p: float | None = None
    """Nucleus sampling mass; None leaves xAI's default."""
    seed: int | None = None
    """Seed for best-effort deterministic sampling."""
    reasoning_effort: Literal["low", "high"] | None = None
    """Reasoning effort for models that take it (grok-3-mini); grok-4 reasoning models refuse it."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Default stop sequences; a per-call ``stop`` replaces them."""
    timeout: float = Field(default=60.0, gt=0)
    """Seconds allowed for each HTTP request (every call has one)."""
    max_retries: int = Field(default=2, ge=0)
    """Retries on 408/409/429/5xx, timeouts and connection errors, with backoff."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("XAI_API_KEY", default=None), alias="xai_api_key"
    )
    """xAI API key; read from ``XAI_API_KEY`` when not given. Never shown or serialised."""
    base_url: str | None = Field(default=None, alias="xai_api_base")
    """API base URL; None lets the core read ``XAI_BASE_URL`` / ``XAI_API_BASE`` or use xAI's."""
    default_headers: dict[str, str] | None = None
    """Extra HTTP headers sent with every request."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra request-body fields sent as they are (e.g. ``{"presence_penalty": 0.5}``)."""
    streaming: bool = False
    """Stream even on ``invoke`` (tokens reach callbacks as they arrive)."""
    use_responses_api: bool = False
    """Send requests to xAI's responses endpoint (``POST /v1/responses``, the one xAI
    recommends) instead of chat completions; answers, usage and streams look the same."""
    store: bool | None = None
    """Responses endpoint: keep answers on xAI's side. None: not when a request holds an image
    (xAI advises against it), else xAI's default (stored)."""
    use_previous_response_id: bool = False
    """Responses endpoint: when the history ends in a stored answer, send only the messages after
    it with ``previous_response_id`` (after an unstored answer the whole history goes)."""
    conversation_id: str | None = None
    """Prompt-cache routing key for this conversation (``x-grok-conv-id`` / ``prompt_cache_key``).
    None derives one from the conversation's first system and user messages."""

    image_policy: Literal["resize", "strict"] = _IMAGE_DEFAULTS.policy
    """Over-limit images: ``resize`` downscales and re-encodes them, ``strict`` raises."""
    optimize_images: bool = _IMAGE_DEFAULTS.optimize
    """Downscale every image to what xAI processes at its detail level, saving upload bytes."""
    max_image_bytes: int = Field(default=_IMAGE_DEFAULTS.max_bytes, gt=0)
    """Largest image accepted, in bytes after decoding."""
    max_image_edge: int = Field(default=_IMAGE_DEFAULTS.max_edge, gt=0)
    """Longest image edge accepted, in pixels."""
    max_image_pixels: int = Field(default=_IMAGE_DEFAULTS.max_pixels, gt=0)
    """Decompression-bomb guard: most pixels an image may decode to."""
    max_images_per_request: int | None = Field(default=_IMAGE_DEFAULTS.max_images_per_request, gt=0)
    """Most images one request may carry; None for no limit."""
    max_images_per_message: int | None = Field(default=_IMAGE_DEFAULTS.max_images_per_message, gt=0)
    """Most images one message may carry (xAI's stricter source: 10); None for no limit."""
    animated_images: Literal["error", "first_frame"] = _IMAGE_DEFAULTS.animated
    """Animated images: refuse them, or send their first frame."""
    send_webp_as_is: bool = _IMAGE_DEFAULTS.send_webp_as_is
    """Send WebP images byte for byte; by default they are converted (xAI has refused WebP)."""

    document_mode: Literal["file", "pages"] = _DOCUMENT_DEFAULTS.mode
    """PDF ``file`` blocks: ``file`` sends the PDF as a file part (xAI reads it; chat completions
    uploads it through the Files API first), ``pages`` renders pages to image parts."""
    document_pages: str | None = None
    """``pages`` mode: which pages to render ("1-3,5"; None: every page)."""
    document_detail: Literal["auto", "low", "high"] = _DOCUMENT_DEFAULTS.detail
    """``pages`` mode: the detail of each page image (its size follows the image-token rule)."""

    _clients: _ClientCache = PrivateAttr(default_factory=lambda: _ClientCache())

    # ----------------------------------------------------------------- LangChain identity

    def __getstate__(self) -> dict[Any, Any]:
        """Pickle state without the API key (an unpickled copy reads ``XAI_API_KEY``)."""
        state: dict[Any, Any] = super().__getstate__()
        state["__dict__"] = {**state["__dict__"], "api_key": None}
        return state

    @property
    def _llm_type(self) -> str:
        """Type label LangChain uses in traces and ``dict()``."""
        return "xai-vision-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The key is serialised as a reference to ``XAI_API_KEY``, never by value."""
        return {"api_key": "XAI_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """The model can be saved with ``dumpd`` and restored with ``load``."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """Where ``load`` finds this class: ``["langchain_xai_vision", "chat_models"]``."""
        return ["langchain_xai_vision", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        """The settings that make two models answer differently (no secrets)."""
        return {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "reasoning_effort": self.reasoning_effort,
            "stop": self.stop,
            "base_url": self.base_url,
            **self.model_kwargs,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """LangSmith tracing parameters; a per-call ``model`` is reported as the model."""
        params = LangSmithParams(
            ls_provider=PROVIDER,
            ls_model_name=str(kwargs.get("model") or self.model),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, int | float):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = stop
        return params

    # ----------------------------------------------------------------- configuration

    @property
    def image_options(self) -> ImageOptions:
        """The core's image options built from this model's image fields."""
        return ImageOptions(
            policy=self.image_policy,
            max_bytes=self.max_image_bytes,
            max_edge=self.max_image_edge,
            max_pixels=self.max_image_pixels,
            max_images_per_request=self.max_images_per_request,
            max_images_per_message=self.max_images_per_message,
            optimize=self.optimize_images,
            animated=self.animated_images,
            send_webp_as_is=self.send_webp_as_is,
        )

    @property
    def document_options(self) -> DocumentOptions:
        """The core's document options built from this model's document fields."""
        return DocumentOptions(
            mode=self.document_mode, pages=self.document_pages, detail=self.document_detail
        )

    def _get_client(self) -> XAIClient:
        """The client for this model's connection settings: made on first use, then reused.

        Keyed by the settings, so a copy with another key, URL or timeout (``model_copy``,
        ``configurable_fields``) gets its own client instead of the original's.
        """
        headers = tuple(sorted((self.default_headers or {}).items()))
        api = "responses" if self.use_responses_api else "chat_completions"
        key = (self.api_key, self.base_url, self.timeout, self.max_retries, headers, api)
        return self._clients.get(
            key,
            lambda: XAIClient(
                api_key=self.api_key.get_secret_value() if self.api_key else None,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                default_headers=self.default_headers,
                endpoint=endpoint_for(api),
            ),
        )

    def close(self) -> None:
        """Close this model's connection pools now instead of at garbage collection."""
        for client in self._clients.drain():
            client.close()

    async def aclose(self) -> None:
        """Close this model's connection pools, async ones included."""
        for client in self._clients.drain():
            await client.aclose()

    def _get_async_client(self) -> AsyncXAIClient:
        """The async twin of the sync client (same settings; one pool per event loop)."""
        return self._get_client().async_client

    def _build_request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> ChatRequest:
        """One core request from the messages, this model's settings and per-call keywords.

        Messages are converted (and images checked) first, so bad input fails before sending.
        """
        options: dict[str, Any] = {}
        head: Sequence[BaseMessage] = ()
        if self.use_responses_api:
            options["store"] = self.store
            point = chain_point([_turn(message) for message in messages])
            if self.use_previous_response_id and point is not None:
                index, options["previous_response_id"] = point
                head, messages = messages[: index + 1], messages[index + 1 :]
        wire_messages = convert_messages(messages, self.image_options, self.document_options)
        options |= {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "stop": self.stop,
            "seed": self.seed,
            "reasoning_effort": self.reasoning_effort,
        }
        options["conversation_id"] = self.conversation_id or self._conversation_key(
            head, wire_messages
        )
        # LangChain passes its own ``stream`` flag along; streaming is chosen by the method.
        options.update((key, value) for key, value in kwargs.items() if key != "stream")
        if stop is not None:
            options["stop"] = stop
        return ChatRequest.build(
            self.model,
            wire_messages,
            options,
            extra=self.model_kwargs,
            max_images_per_message=self.max_images_per_message,
        )

    async def _abuild_request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> ChatRequest:
        """:meth:`_build_request` for async paths: with PDFs in a worker thread (PDFium work,
        serialised by the core's lock, never blocks the event loop)."""
        if has_documents(messages):
            return await asyncio.to_thread(self._build_request, messages, stop, kwargs)
        return self._build_request(messages, stop, kwargs)

    def _conversation_key(
        self, head: Sequence[BaseMessage], wire_messages: list[WireMessage]
    ) -> str | None:
        """The derived cache-routing key: from the conversation's start, also when only the
        messages after a stored answer (``head`` left out) are sent."""
        if head:
            start = conversation_start(head, lambda m: m.type, "system", "human")
            return conversation_key(
                convert_messages(start, self.image_options, self.document_options)
            )
        return conversation_key(wire_messages)

    # ----------------------------------------------------------------- token estimates

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` by xAI's tokenizer (``/v1/tokenize-text``, once per text).

        Offline, or when xAI cannot be asked, the core's estimate (4 characters a token) and
        a warning on the ``xai_vision`` logger saying the counts are estimates; LangChain's
        default would need ``transformers``.
        """
        return self._get_client().count_text(text, model=self.model)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Prompt tokens of ``messages`` (and ``tools``), as xAI bills them.

        Text (messages and tool schemas) is counted by xAI's tokenizer like
        :meth:`get_num_tokens`; images are checked and prepared as for a request (so bad ones
        raise here too) and estimated by xAI's tile rule (an image given by URL counts as the
        most one can cost); each message adds 3 tokens (an estimate too).
        """
        return self.count_tokens(messages, tools).total

    def count_tokens(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> PromptTokens:
        """:meth:`get_num_tokens_from_messages` message by message: text and image tokens of
        each, and whether the text was counted exactly (``text_exact``, ``note``)."""
        collector = ImageCollector(self.image_options)
        wire = convert_all(messages, collector, self.document_options)
        wire_tools = [wire_tool(tool, None) for tool in tools] if tools else None
        return self._get_client().count_tokens(wire, collector.images, wire_tools, model=self.model)

    # ----------------------------------------------------------------- generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One request, one answer."""
        request = self._build_request(messages, stop, kwargs)
        with _langchain_errors():
            completion = self._get_client().create(request)
        return chat_result(completion)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One request, one answer, without blocking the event loop."""
        request = await self._abuild_request(messages, stop, kwargs)
        with _langchain_errors():
            completion = await self._get_async_client().create(request)
        return chat_result(completion)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Chunks as xAI sends them; usage and metadata on the last one only."""
        request = self._build_request(messages, stop, kwargs)
        state = StreamState()
        stream = self._get_client().stream(request, include_usage=True)
        try:
            with _langchain_errors():
                for chunk in stream:
                    message = state.add(chunk)
                    if message is not None:
                        yield _emit(message, run_manager.on_llm_new_token if run_manager else None)
        finally:
            _close(stream)
        yield _emit(
            state.final_chunk(request.model), run_manager.on_llm_new_token if run_manager else None
        )

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Chunks as xAI sends them, asynchronously; usage and metadata on the last one only."""
        request = await self._abuild_request(messages, stop, kwargs)
        state = StreamState()
        stream = self._get_async_client().stream(request, include_usage=True)
        try:
            with _langchain_errors():
                async for chunk in stream:
                    message = state.add(chunk)
                    if message is not None:
                        generation = ChatGenerationChunk(message=message)
                        if run_manager:
                            await run_manager.on_llm_new_token(generation.text, chunk=generation)
                        yield generation
        finally:
            await _aclose(stream)
        final = ChatGenerationChunk(message=state.final_chunk(request.model))
        if run_manager:
            await run_manager.on_llm_new_token(final.text, chunk=final)
        yield final

    # ----------------------------------------------------------------- tools and structure

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer tools to the model.

        ``tool_choice``: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (must call
        one), a tool name (must call that one), or an xAI ``tool_choice`` dict.
        ``parallel_tool_calls=False`` asks for at most one call per turn.
        """
        wire_tools = [wire_tool(tool, strict) for tool in tools]
        names = [tool["function"]["name"] for tool in wire_tools]
        if tool_choice is not None and tool_choice is not False:
            kwargs["tool_choice"] = wire_tool_choice(tool_choice, names)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return self.bind(tools=wire_tools, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable that answers with data matching ``schema`` (pydantic class, TypedDict or
        JSON schema), images in the input welcome.

        ``method``: ``json_schema`` (xAI structured outputs, default), ``json_mode`` (any JSON
        object; describe the shape in the prompt) or ``function_calling`` (a forced tool call).
        ``include_raw=True`` returns ``{"raw", "parsed", "parsing_error"}`` instead of raising.
        """
        if kwargs:
            raise RequestValidationError(
                f"with_structured_output got unexpected arguments: {sorted(kwargs)}"
            )
        if method not in ("json_schema", "json_mode", "function_calling"):
            raise RequestValidationError(
                f"with_structured_output method {method!r} is not one of "
                "'json_schema', 'json_mode', 'function_calling'"
            )
        if schema is None and method != "json_mode":
            raise RequestValidationError(f"with_structured_output method {method!r} needs a schema")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        ls_format = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        parser: OutputParserLike[Any]
        if method == "function_calling":
            assert schema is not None  # checked above; narrows for mypy
            function = convert_to_openai_function(schema)
            llm = self.bind_tools(
                [schema], tool_choice=function["name"], strict=strict, parallel_tool_calls=False
            ).bind(ls_structured_output_format=ls_format)
            if is_pydantic:
                parser = PydanticToolsParser(tools=[cast(type, schema)], first_tool_only=True)
            else:
                parser = JsonOutputKeyToolsParser(key_name=function["name"], first_tool_only=True)
        else:
            if method == "json_mode":
                response_format: dict[str, Any] = {"type": "json_object"}
            else:
                assert schema is not None  # checked above; narrows for mypy
                function = convert_to_openai_function(schema)
                response_format = json_schema_response_format(
                    function["parameters"], name=function["name"], strict=strict
                )
            llm = self.bind(response_format=response_format, ls_structured_output_format=ls_format)
            parser = (
                PydanticOutputParser(pydantic_object=cast(Any, schema))
                if is_pydantic
                else JsonOutputParser()
            )
        if not include_raw:
            return llm | parser
        parser_assign = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
        parser_with_fallback = parser_assign.with_fallbacks(
            [parser_none], exception_key="parsing_error"
        )
        return RunnableMap(raw=llm) | parser_with_fallback


# --------------------------------------------------------------------------- helpers


def _turn(message: BaseMessage) -> tuple[str | None, bool | None]:
    """An answer's response id and whether xAI stored it; (None, None) for other messages."""
    if not isinstance(message, AIMessage):
        return None, None
    stored = message.response_metadata.get("stored")
    response_id = message.response_metadata.get("id") or message.id
    return response_id, stored if isinstance(stored, bool) else False


@contextmanager
def _langchain_errors() -> Iterator[None]:
    """Raise the core's HTTP and transport errors as their langchain-core counterparts."""
    try:
        yield
    except XAIVisionError as exc:
        converted = to_langchain_error(exc)
        if converted is exc:
            raise
        raise converted from exc


def _emit(message: AIMessageChunk, on_token: Callable[..., Any] | None) -> ChatGenerationChunk:
    """Wrap a message chunk and hand its text to the callbacks."""
    generation = ChatGenerationChunk(message=message)
    if on_token is not None:
        on_token(generation.text, chunk=generation)
    return generation


def _close(stream: Any) -> None:
    """Close a sync stream early (releases its connection) if it can be closed."""
    close = getattr(stream, "close", None)
    if callable(close):
        close()


async def _aclose(stream: Any) -> None:
    """Close an async stream early (releases its connection) if it can be closed."""
    aclose = getattr(stream, "aclose", None)
    if callable(aclose):
        await aclose()
