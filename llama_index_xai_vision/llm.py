"""``XAIVision``: a LlamaIndex ``FunctionCallingLLM`` where every message may carry images.

The modern LlamaIndex path: images ride in ``ChatMessage.blocks`` (``ImageBlock`` next to
``TextBlock``). Tool calling (``chat_with_tools``, ``get_tool_calls_from_response``) serves
``FunctionAgent`` and ``ReActAgent``; ``structured_predict`` / ``as_structured_llm`` use xAI's
``json_schema`` response format.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Sequence
from typing import TYPE_CHECKING, Any, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection, dispatcher
from llama_index.core.program.streaming_utils import process_streaming_content_incremental
from llama_index.core.program.utils import FlexibleModel
from llama_index.core.types import Model, PydanticProgramMode
from xai_vision.errors import ResponseParseError
from xai_vision.messages import ChatRequest, function_tool, normalise_tool_choice

from llama_index_xai_vision._base import XAISettings
from llama_index_xai_vision._convert import StreamState, pydantic_response_format, tool_selections

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate, PromptTemplate
    from llama_index.core.tools.types import BaseTool

__all__ = ["XAIVision"]


def _template(prompt: BasePromptTemplate) -> PromptTemplate:
    """``prompt`` for the base class, which annotates PromptTemplate but takes any template."""
    return cast("PromptTemplate", prompt)


def _tool_choice(
    tool_choice: str | dict[str, Any] | None, tool_required: bool, names: list[str]
) -> Any:
    """xAI's ``tool_choice``: LlamaIndex's default from ``tool_required``, else the core's rule."""
    if tool_choice is None:
        return "required" if tool_required else "auto"
    return normalise_tool_choice(tool_choice, names)


class XAIVision(XAISettings, FunctionCallingLLM):
    """xAI Grok as a LlamaIndex LLM: text and images in, text, tool calls and usage out.

    ``chat([ChatMessage(role="user", blocks=[TextBlock(...), ImageBlock(path=...)])])``.
    Usage is in ``raw["usage"]`` (xAI's own object, read by ``TokenCountingHandler``) and in
    ``additional_kwargs`` (prompt, completion, total, image, reasoning and cached tokens).
    """

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialisation; "multi" in it tells multi-modal indexes images are fine."""
        return "xai_vision_multimodal_chat_llm"

    @property
    def metadata(self) -> LLMMetadata:
        """Chat, function calling, model name and context window of this instance."""
        return LLMMetadata(
            **self._metadata_fields(),
            is_function_calling_model=True,
            system_role=MessageRole.SYSTEM,
        )

    # ----------------------------------------------------------------- chat and completion

    def _completion_request(self, prompt: str, kwargs: dict[str, Any]) -> ChatRequest:
        """One user message: the prompt, then any ``image_documents`` (as the multi-modal class)."""
        images = kwargs.pop("image_documents", None)
        return self._prompt_request(prompt, images, kwargs)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Answer a conversation; images ride in ``ChatMessage.blocks``."""
        return self._do_chat(self._chat_request(messages, kwargs))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the answer: cumulative message, ``delta``, usage on the last response."""
        return self._stream_answers(self._chat_request(messages, kwargs), StreamState.chat)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Answer ``prompt`` sent as one user message (``image_documents=[...]`` adds images)."""
        return self._do_complete(self._completion_request(prompt, kwargs))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the answer to ``prompt`` (text so far and ``delta``)."""
        return self._stream_answers(
            self._completion_request(prompt, kwargs), StreamState.completion
        )

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async :meth:`chat`."""
        return await self._do_achat(await self._achat_request(messages, kwargs))

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat`."""
        return self._astream_answers(await self._achat_request(messages, kwargs), StreamState.chat)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async :meth:`complete`."""
        return await self._do_acomplete(self._completion_request(prompt, kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`."""
        return self._astream_answers(
            self._completion_request(prompt, kwargs), StreamState.completion
        )

    # ----------------------------------------------------------------- tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` keywords for a tool-calling turn: xAI function tools and tool_choice."""
        specs = [
            function_tool(
                tool.metadata.get_name(),
                tool.metadata.description,
                tool.metadata.get_parameters_dict(),
            )
            for tool in tools
        ]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            prepared["tools"] = specs
            names = [spec["function"]["name"] for spec in specs]
            prepared["tool_choice"] = _tool_choice(tool_choice, tool_required, names)
            prepared["parallel_tool_calls"] = allow_parallel_tool_calls
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call when parallel calls were not allowed."""
        if not allow_parallel_tool_calls:
            blocks = response.message.blocks
            calls = [block for block in blocks if isinstance(block, ToolCallBlock)]
            if len(calls) > 1:
                response.message.blocks = [
                    block for block in blocks if not isinstance(block, ToolCallBlock)
                ] + [calls[0]]
                legacy = response.message.additional_kwargs.get("tool_calls")
                if isinstance(legacy, list):
                    response.message.additional_kwargs["tool_calls"] = legacy[:1]
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls xAI asked for, arguments parsed into dicts."""
        return tool_selections(response, error_on_no_tool_call=error_on_no_tool_call)

    # ----------------------------------------------------------------- structured output

    @property
    def _json_schema_output(self) -> bool:
        """Structured output through ``json_schema`` unless a program mode was chosen."""
        return self.pydantic_program_mode == PydanticProgramMode.DEFAULT

    def _structured_kwargs(
        self, output_cls: type[Model], llm_kwargs: dict[str, Any] | None
    ) -> dict[str, Any]:
        kwargs = dict(llm_kwargs or {})
        kwargs.pop("tool_choice", None)
        kwargs["response_format"] = pydantic_response_format(output_cls)
        return kwargs

    def _structured_messages(
        self, prompt: BasePromptTemplate, prompt_args: dict[str, Any]
    ) -> list[ChatMessage]:
        """The conversation that asks for a structured answer: the prompt, filled in."""
        return self._extend_messages(prompt.format_messages(llm=self, **prompt_args))

    def _structured_start(
        self, output_cls: type[Model], prompt: BasePromptTemplate, prompt_args: dict[str, Any]
    ) -> list[ChatMessage]:
        """Announce a structured prediction (instrumentation) and return its conversation."""
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        return self._structured_messages(prompt, prompt_args)

    def _structured_end(self, output_cls: type[Model], response: ChatResponse) -> Model:
        """Parse the answer into ``output_cls`` and announce it (instrumentation)."""
        result = self._parse_structured(output_cls, response)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _parse_structured(self, output_cls: type[Model], response: ChatResponse) -> Model:
        text = response.message.content or ""
        try:
            return output_cls.model_validate_json(text)
        except ValueError as exc:
            raise ResponseParseError(
                f"structured output: the answer is not a valid {output_cls.__name__}: {exc}",
                body=text,
            ) from exc

    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """One ``output_cls`` from the answer, via xAI's ``json_schema`` response format."""
        if not self._json_schema_output:
            fallback: Model = super().structured_predict(
                output_cls, _template(prompt), llm_kwargs, **prompt_args
            )
            return fallback
        messages = self._structured_start(output_cls, prompt, prompt_args)
        response = self.chat(messages, **self._structured_kwargs(output_cls, llm_kwargs))
        return self._structured_end(output_cls, response)

    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async :meth:`structured_predict`."""
        if not self._json_schema_output:
            fallback: Model = await super().astructured_predict(
                output_cls, _template(prompt), llm_kwargs, **prompt_args
            )
            return fallback
        messages = self._structured_start(output_cls, prompt, prompt_args)
        response = await self.achat(messages, **self._structured_kwargs(output_cls, llm_kwargs))
        return self._structured_end(output_cls, response)

    def _structured_stream_call(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None, None]:
        """Partial ``output_cls`` objects as the ``json_schema`` answer streams in."""
        if not self._json_schema_output:
            yield from super()._structured_stream_call(
                output_cls, _template(prompt), llm_kwargs, **prompt_args
            )
            return
        messages = self._structured_messages(prompt, prompt_args)
        kwargs = self._structured_kwargs(output_cls, llm_kwargs)
        current: Model | FlexibleModel | None = None
        for response in self.stream_chat(messages, **kwargs):
            current = process_streaming_content_incremental(response, output_cls, current)
            yield current

    async def _structured_astream_call(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model | list[Model] | FlexibleModel | list[FlexibleModel], None]:
        """Async :meth:`_structured_stream_call`."""
        if not self._json_schema_output:
            return await super()._structured_astream_call(
                output_cls, _template(prompt), llm_kwargs, **prompt_args
            )
        messages = self._structured_messages(prompt, prompt_args)
        kwargs = self._structured_kwargs(output_cls, llm_kwargs)
        responses = await self.astream_chat(messages, **kwargs)

        async def gen() -> AsyncGenerator[
            Model | list[Model] | FlexibleModel | list[FlexibleModel], None
        ]:
            current: Model | FlexibleModel | None = None
            async for response in responses:
                current = process_streaming_content_incremental(response, output_cls, current)
                yield current

        return gen()
