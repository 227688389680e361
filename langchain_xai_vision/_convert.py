"""LangChain <-> core conversions for :class:`~langchain_xai_vision.ChatXAIVision`.

Pure functions, as partner packages keep them: :func:`convert_messages` (LangChain -> wire, images
checked and numbered by one :class:`~xai_vision.messages.ImageCollector` per request),
:func:`completion_to_message`, :func:`chunk_to_message_chunk` and :func:`usage_to_metadata`
(core -> LangChain), and the tool / tool-choice translations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_function
from xai_vision.documents import DocumentOptions
from xai_vision.errors import RequestValidationError
from xai_vision.images import ImageOptions
from xai_vision.messages import (
    AssistantMessage,
    ContentPart,
    ImageCollector,
    WireMessage,
    assistant_message,
    document_parts,
    function_tool,
    normalise_tool_choice,
    system_message,
    text_part,
    tool_message,
    user_message,
)
from xai_vision.models import ChatCompletion, ChatCompletionChunk, Usage
from xai_vision.stream import StreamAccumulator

from langchain_xai_vision.documents import document_reference, is_document_block
from langchain_xai_vision.images import image_reference, is_image_block

__all__ = [
    "ENCRYPTED_REASONING_KEY",
    "PROVIDER",
    "StreamState",
    "chat_result",
    "chunk_to_message_chunk",
    "completion_to_message",
    "convert_all",
    "convert_messages",
    "usage_to_metadata",
    "wire_tool",
    "wire_tool_choice",
]

PROVIDER = "xai"
_IMAGE_DEFAULTS = ImageOptions()
#: Where an answer's encrypted reasoning (responses endpoint) travels, to be sent back next turn.
ENCRYPTED_REASONING_KEY = "reasoning_encrypted_content"
# Block types that carry no input for xAI and are dropped from assistant history.
_ASSISTANT_SKIPPED_BLOCKS = frozenset(
    {"tool_use", "tool_call", "tool_call_chunk", "reasoning", "thinking", "redacted_thinking"}
)


# --------------------------------------------------------------------------- LangChain -> wire


def convert_messages(
    messages: Sequence[BaseMessage],
    image_options: ImageOptions | None = None,
    documents: DocumentOptions | None = None,
) -> list[WireMessage]:
    """LangChain messages as xAI wire messages; every image and PDF is checked before anything
    is sent.

    Images are numbered across the whole request in order, and ``image_options`` (policy,
    limits, optimisation, images per request) applies to each of them; ``documents`` says how
    PDFs travel (file parts, or rendered pages).
    """
    return convert_all(messages, ImageCollector(image_options), documents)


def convert_all(
    messages: Sequence[BaseMessage],
    collector: ImageCollector,
    documents: DocumentOptions | None = None,
) -> list[WireMessage]:
    """The messages as wire messages, their images prepared by ``collector``."""
    return [
        _convert_message(message, collector, i, documents) for i, message in enumerate(messages)
    ]


def has_documents(messages: Sequence[BaseMessage]) -> bool:
    """Whether any message carries a ``file`` block (PDF work that async paths run off-loop)."""
    return any(
        isinstance(block, Mapping) and is_document_block(block)
        for message in messages
        if isinstance(message.content, list)
        for block in message.content
    )


def _convert_message(
    message: BaseMessage, collector: ImageCollector, i: int, documents: DocumentOptions | None
) -> WireMessage:
    """One LangChain message as one wire message."""
    where = f"message {i} ({message.type})"
    role = message.role if isinstance(message, ChatMessage) else message.type
    if isinstance(message, HumanMessage) or role in ("human", "user"):
        content = _content(message.content, collector, where, documents=documents)
        return user_message(content, name=message.name)
    if isinstance(message, SystemMessage) or role in ("system", "developer"):
        content = _content(message.content, collector, where, documents=documents)
        return system_message(content, name=message.name)
    if isinstance(message, AIMessage) or role in ("ai", "assistant"):
        return _assistant(message, collector, where)
    if isinstance(message, ToolMessage):
        content = _content(message.content, collector, where, documents=documents)
        return tool_message(message.tool_call_id, content)
    raise RequestValidationError(
        f"{where}: messages of type {message.type!r} (role {role!r}) cannot be sent to xAI; "
        "use system, human, ai or tool messages"
    )


def _content(
    content: str | list[str | dict[str, Any]],
    collector: ImageCollector,
    where: str,
    skipped: frozenset[str] = frozenset(),
    *,
    documents: DocumentOptions | None = None,
) -> str | list[ContentPart]:
    """Message content as a string or wire parts; images go through the request's collector.

    Blocks whose type is in ``skipped`` carry nothing xAI takes back (tool-use and reasoning
    blocks of an assistant turn; its tool calls travel in ``tool_calls``) and are left out.
    """
    if isinstance(content, str):
        return content
    parts: list[ContentPart] = []
    for j, block in enumerate(content):
        block_where = f"{where}, block {j}"
        text = _block_text(block, block_where)
        if text is not None:
            parts.append(text_part(text))
        elif is_image_block(cast(Mapping[str, Any], block)):
            ref = image_reference(cast(Mapping[str, Any], block), where=block_where)
            parts.append(collector.add(ref.source, detail=ref.detail))
        elif is_document_block(cast(Mapping[str, Any], block)):
            document = document_reference(cast(Mapping[str, Any], block), where=block_where)
            parts += document_parts(document, collector, documents)
        elif _block_type(block) not in skipped:
            raise RequestValidationError(
                f"{block_where}: content block type {_block_type(block)!r} is not supported; "
                "xAI takes text, image and file (PDF) blocks"
            )
    return parts


def _block_text(block: object, where: str) -> str | None:
    """The text of a string or text block; None for any other block; an error if malformed."""
    if isinstance(block, str):
        return block
    if not isinstance(block, Mapping):
        raise RequestValidationError(
            f"{where}: content blocks must be strings or dicts, got {type(block).__name__}"
        )
    if block.get("type") != "text":
        return None
    text = block.get("text")
    if not isinstance(text, str):
        raise RequestValidationError(f"{where}: text block needs a 'text' string")
    return text


def _block_type(block: object) -> object:
    """A block's ``type`` (for error messages and skipping)."""
    return block.get("type") if isinstance(block, Mapping) else type(block).__name__


def _assistant(message: BaseMessage, collector: ImageCollector, where: str) -> AssistantMessage:
    """An assistant turn: its text and images, tool calls (valid and invalid) and reasoning."""
    parts = _content(message.content, collector, where, _ASSISTANT_SKIPPED_BLOCKS)
    content: str | list[ContentPart]
    if isinstance(parts, str) or any(part["type"] != "text" for part in parts):
        content = parts
    else:
        # Text blocks of one turn are pieces of one answer (as streamed); send them as one string.
        content = "".join(part["text"] for part in parts if part["type"] == "text")
    tool_calls: list[dict[str, Any]] = []
    reasoning: str | None = None
    if isinstance(message, AIMessage):
        tool_calls = [
            {"id": call["id"], "name": call["name"], "arguments": call["args"]}
            for call in message.tool_calls
        ]
        # Calls whose arguments did not parse go back as the model wrote them.
        tool_calls += [
            {"id": call["id"], "name": call["name"], "arguments": call["args"] or ""}
            for call in message.invalid_tool_calls
        ]
        raw_reasoning = message.additional_kwargs.get("reasoning_content")
        reasoning = raw_reasoning if isinstance(raw_reasoning, str) and raw_reasoning else None
        raw_encrypted = message.additional_kwargs.get(ENCRYPTED_REASONING_KEY)
        encrypted = raw_encrypted if isinstance(raw_encrypted, str) and raw_encrypted else None
    return assistant_message(
        content or (None if tool_calls else ""),
        tool_calls=tool_calls or None,
        reasoning_content=reasoning,
        reasoning_encrypted_content=encrypted,
        name=message.name,
    )


# --------------------------------------------------------------------------- wire -> LangChain


def usage_to_metadata(usage: Usage) -> UsageMetadata:
    """xAI usage as LangChain ``UsageMetadata``.

    ``output_tokens`` counts reasoning too (xAI keeps it outside ``completion_tokens``), so
    ``input + output == total``. ``input_token_details`` has ``image`` always and ``cache_read``
    only when non-zero; text tokens are left out because cached tokens are part of them and the
    details must not sum above ``input_tokens``.
    """
    input_details: dict[str, int] = {"image": usage.image_tokens}
    if usage.cached_tokens:
        input_details["cache_read"] = usage.cached_tokens
    return UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        input_token_details=cast(Any, input_details),
        output_token_details={"reasoning": usage.reasoning_tokens},
    )


def _response_metadata(
    *,
    model: str,
    response_id: str,
    finish_reason: str | None,
    system_fingerprint: str | None,
    usage: Usage | None,
    stored: bool | None = None,
) -> dict[str, Any]:
    """The response metadata both invoke and the last stream chunk carry (``stored``: whether
    xAI kept a responses-endpoint answer, so a later turn may continue it by its id)."""
    metadata: dict[str, Any] = {
        "model_name": model,
        "model_provider": PROVIDER,
        "id": response_id,
        "finish_reason": finish_reason,
        "system_fingerprint": system_fingerprint,
    }
    if usage is not None:
        metadata["usage"] = usage.raw or usage.model_dump(exclude={"raw"})
        metadata.update(usage.cost_fields())
        if usage.image_tokens_estimated:
            metadata["image_tokens_estimated"] = True
    if stored is not None:
        metadata["stored"] = stored
    return metadata


def completion_to_message(completion: ChatCompletion) -> AIMessage:
    """A whole xAI answer as an ``AIMessage``: text, tool calls, reasoning, usage and metadata."""
    tool_calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in completion.tool_calls:
        try:
            args = json.loads(call.arguments) if call.arguments.strip() else {}
        except json.JSONDecodeError as exc:
            invalid.append(
                invalid_tool_call(
                    name=call.name, args=call.arguments, id=call.id, error=f"invalid JSON: {exc}"
                )
            )
            continue
        if not isinstance(args, dict):
            invalid.append(
                invalid_tool_call(
                    name=call.name,
                    args=call.arguments,
                    id=call.id,
                    error="arguments are not a JSON object",
                )
            )
            continue
        tool_calls.append(tool_call(name=call.name, args=args, id=call.id))
    additional_kwargs: dict[str, Any] = {}
    if completion.reasoning_content:
        additional_kwargs["reasoning_content"] = completion.reasoning_content
    if completion.refusal:
        additional_kwargs["refusal"] = completion.refusal
    if completion.reasoning_encrypted_content:
        additional_kwargs[ENCRYPTED_REASONING_KEY] = completion.reasoning_encrypted_content
    return AIMessage(
        content=completion.content or "",
        id=completion.id,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        additional_kwargs=additional_kwargs,
        usage_metadata=usage_to_metadata(completion.usage) if completion.usage else None,
        response_metadata=_response_metadata(
            model=completion.model,
            response_id=completion.id,
            finish_reason=completion.finish_reason,
            system_fingerprint=completion.system_fingerprint,
            usage=completion.usage,
            stored=completion.stored,
        ),
    )


def chunk_to_message_chunk(chunk: ChatCompletionChunk) -> AIMessageChunk | None:
    """The content of one stream chunk (text, reasoning, tool-call pieces), or None if empty.

    Finish reason, usage and model name are not put on these chunks: :class:`StreamState`
    emits them once, on the last chunk, so that adding chunks never double counts or
    concatenates them.
    """
    additional_kwargs: dict[str, Any] = {}
    if chunk.reasoning_content:
        additional_kwargs["reasoning_content"] = chunk.reasoning_content
    call_chunks = [
        tool_call_chunk(name=delta.name, args=delta.arguments, id=delta.id, index=delta.index)
        for delta in chunk.tool_calls
    ]
    if not chunk.content and not additional_kwargs and not call_chunks:
        return None
    return AIMessageChunk(
        content=chunk.content or "",
        id=chunk.id,
        additional_kwargs=additional_kwargs,
        tool_call_chunks=call_chunks,
    )


class StreamState:
    """One stream in LangChain's terms, over the core's :class:`StreamAccumulator`.

    :meth:`add` gives a message chunk per piece of content; the answer's identity, finish
    reason and usage go on :meth:`final_chunk` only, so adding chunks never double counts them.
    """

    def __init__(self) -> None:
        self.accumulator = StreamAccumulator()

    def add(self, chunk: ChatCompletionChunk) -> AIMessageChunk | None:
        """Fold ``chunk`` in; its content as a message chunk, or None if it has none."""
        self.accumulator.add(chunk)
        return chunk_to_message_chunk(chunk)

    def final_chunk(self, fallback_model: str) -> AIMessageChunk:
        """The last chunk: usage, finish reason, model and id, marked ``chunk_position="last"``."""
        acc = self.accumulator
        usage = acc.usage
        encrypted = acc.reasoning_encrypted_content
        return AIMessageChunk(
            content="",
            id=acc.id,
            additional_kwargs={ENCRYPTED_REASONING_KEY: encrypted} if encrypted else {},
            usage_metadata=usage_to_metadata(usage) if usage else None,
            response_metadata=_response_metadata(
                model=acc.model or fallback_model,
                response_id=acc.id or "",
                finish_reason=acc.finish_reason,
                system_fingerprint=acc.system_fingerprint,
                usage=usage,
                stored=acc.stored,
            ),
            chunk_position="last",
        )


def chat_result(completion: ChatCompletion) -> ChatResult:
    """A one-generation ``ChatResult`` for a completion."""
    message = completion_to_message(completion)
    return ChatResult(
        generations=[
            ChatGeneration(
                message=message,
                generation_info={"finish_reason": completion.finish_reason},
            )
        ],
        llm_output={"model_name": completion.model, "id": completion.id},
    )


def wire_tool(
    tool: dict[str, Any] | type | Callable[..., Any] | BaseTool, strict: bool | None
) -> dict[str, Any]:
    """Any LangChain tool form as an xAI function tool."""
    function = convert_to_openai_function(tool, strict=strict)
    wire = function_tool(function["name"], function.get("description"), function.get("parameters"))
    if strict is not None:
        wire["function"]["strict"] = strict
    return wire


def wire_tool_choice(choice: str | bool | dict[str, Any], names: list[str]) -> Any:
    """LangChain's ``tool_choice`` spellings as xAI's: ``"any"`` and ``True`` mean "required"."""
    if choice is True or choice == "any":
        choice = "required"
    return normalise_tool_choice(choice, names)
