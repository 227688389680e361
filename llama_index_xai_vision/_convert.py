"""LlamaIndex <-> core conversion shared by :class:`XAIVision` and :class:`XAIVisionMultiModal`.

Inbound: ``ChatMessage`` blocks, ``ImageBlock``, ``ImageNode`` and ``ImageDocument`` become core
wire messages (images go through one :class:`~xai_vision.messages.ImageCollector` per request, so
they are checked, numbered and limited by the core). Outbound: core ``ChatCompletion`` and stream
chunks become ``ChatResponse`` / ``CompletionResponse`` with usage in ``raw["usage"]`` and in
``additional_kwargs``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json
from llama_index.core.schema import BaseNode, ImageNode, MediaResource
from pydantic import BaseModel
from xai_vision.documents import (
    PDF_MIME_TYPE,
    DocumentOptions,
    PreparedDocument,
    prepare_document,
)
from xai_vision.errors import (
    DocumentDecodeError,
    ImageSourceError,
    NoToolCallError,
    RequestValidationError,
)
from xai_vision.images import ImageSource, base64_data_uri
from xai_vision.messages import (
    ContentPart,
    ImageCollector,
    ImagePart,
    WireMessage,
    assistant_message,
    document_parts,
    json_schema_response_format,
    system_message,
    text_part,
    tool_message,
    user_message,
)
from xai_vision.models import ChatCompletion, ChatCompletionChunk, ToolCall, Usage
from xai_vision.stream import StreamAccumulator
from xai_vision.tokens import Detail, check_detail

__all__ = [
    "ImageInput",
    "StreamState",
    "chat_response",
    "completion_response",
    "image_input_source",
    "pydantic_response_format",
    "to_wire_messages",
    "tool_selections",
    "usage_kwargs",
    "user_wire_message",
]

#: ``additional_kwargs`` keys of an answer from the responses endpoint: its id and whether xAI
#: stored it (so a later request may continue it), and its encrypted reasoning (sent back).
RESPONSE_ID_KEY = "response_id"
STORED_KEY = "stored"
ENCRYPTED_REASONING_KEY = "reasoning_encrypted_content"

#: Every image input the adapters take: LlamaIndex blocks, image nodes and image documents.
ImageInput = ImageBlock | ImageNode | BaseNode

Part = ContentPart


def _b64_data_uri(data: bytes | str, mime: object, where: str) -> str:
    """A data URI around the base64 LlamaIndex stores image bytes as, for the core to decode once.

    The core's one rule (:func:`~xai_vision.images.base64_data_uri`); a misshapen payload is
    a RequestValidationError naming the block, as for every other malformed LlamaIndex input.
    """
    try:
        return base64_data_uri(data, mime, source=where)
    except ImageSourceError as exc:
        raise RequestValidationError(f"{where}: {exc.reason}") from None


def _block_source(block: ImageBlock, where: str) -> ImageSource:
    """The core source of an ImageBlock, in LlamaIndex's own order: data, then path, then URL."""
    if isinstance(block.image, io.IOBase):
        block.image.seek(0)
        raw = block.image.read()
        if not isinstance(raw, bytes):
            raise RequestValidationError(f"{where}: the image stream must be binary")
        return raw
    if block.image is not None and (block.image or (block.path is None and block.url is None)):
        # ImageBlock's validator always stores bytes base64-encoded; b"" reaches the core,
        # which names it as empty.
        return _b64_data_uri(block.image, block.image_mimetype, where) if block.image else b""
    if block.path is not None:
        return Path(block.path)
    if block.url is not None:
        return str(block.url)
    raise RequestValidationError(f"{where}: the ImageBlock has no image, path or url")


def _node_source(node: BaseNode, where: str) -> ImageSource:
    """The core source of an image node or document: data, then path, then URL.

    Documents (``ImageDocument`` included) keep the image in ``image_resource``; an
    ``ImageNode`` keeps base64 ``image``, ``image_path`` and ``image_url``.
    """
    resource = getattr(node, "image_resource", None)
    if isinstance(resource, MediaResource):
        data, path, url = resource.data, resource.path, resource.url
        mime = resource.mimetype
    else:
        data = getattr(node, "image", None)
        mime = getattr(node, "image_mimetype", None)
        path = getattr(node, "image_path", None)
        url = getattr(node, "image_url", None)
    if data:
        return _b64_data_uri(data, mime, where)
    if path:
        return Path(path)
    if url:
        return str(url)
    file_path = node.metadata.get("file_path")
    if isinstance(file_path, str) and file_path:
        return Path(file_path)
    raise RequestValidationError(
        f"{where}: {type(node).__name__} {node.node_id!r} holds no image (no data, path or url)"
    )


def image_input_source(item: object, where: str) -> tuple[ImageSource, Detail | None]:
    """The core source and detail of one image input; RequestValidationError for anything else."""
    if isinstance(item, ImageBlock):
        return _block_source(item, where), check_detail(item.detail, where)
    resource = getattr(item, "image_resource", None)
    if isinstance(item, ImageNode) or (
        isinstance(item, BaseNode) and isinstance(resource, MediaResource)
    ):
        return _node_source(item, where), None
    raise RequestValidationError(
        f"{where}: expected an ImageBlock, ImageNode or ImageDocument, got {type(item).__name__}"
    )


def _add_image(
    collector: ImageCollector, item: object, default_detail: Detail | None, where: str
) -> ImagePart:
    source, detail = image_input_source(item, where)
    return collector.add(source, detail=detail or default_detail)


def _text(parts: list[Part]) -> str:
    """The text parts joined as LlamaIndex's ``ChatMessage.content`` joins them."""
    return "\n".join(part["text"] for part in parts if part["type"] == "text")


def _content(parts: list[Part]) -> str | list[Part]:
    """A plain string when the message is only text, else the parts in order."""
    if all(part["type"] == "text" for part in parts):
        return _text(parts)
    return parts


def _legacy_tool_calls(raw_calls: object, where: str) -> list[ToolCall]:
    """OpenAI-style ``additional_kwargs["tool_calls"]`` (dicts or SDK objects) as core calls."""
    calls: list[ToolCall] = []
    if not isinstance(raw_calls, list):
        raise RequestValidationError(f"{where}: additional_kwargs['tool_calls'] must be a list")
    for call in raw_calls:
        data = call.model_dump() if hasattr(call, "model_dump") else call
        if not isinstance(data, dict) or not isinstance(data.get("function"), dict):
            raise RequestValidationError(f"{where}: malformed tool call {call!r}")
        function = data["function"]
        arguments = function.get("arguments") or "{}"
        calls.append(
            ToolCall(
                id=str(data.get("id") or ""),
                name=str(function.get("name") or ""),
                arguments=arguments if isinstance(arguments, str) else json.dumps(arguments),
            )
        )
    return calls


def _block_tool_call(block: ToolCallBlock, position: int) -> ToolCall:
    kwargs = block.tool_kwargs
    return ToolCall(
        id=block.tool_call_id or f"call_{position}",
        name=block.tool_name,
        arguments=kwargs if isinstance(kwargs, str) else json.dumps(kwargs),
    )


def _message_name(message: ChatMessage, where: str) -> str | None:
    """``additional_kwargs["name"]`` (where OpenAI-style LlamaIndex code puts a message's name)."""
    name = message.additional_kwargs.get("name")
    if name is None or message.role in (MessageRole.TOOL, MessageRole.FUNCTION):
        return None
    if not isinstance(name, str):
        raise RequestValidationError(
            f"{where}: additional_kwargs['name'] must be a str, got {type(name).__name__}"
        )
    return name


#: The title DocumentBlock gives a block that has none.
_DEFAULT_DOCUMENT_TITLE = "input_document"


def document_source(block: DocumentBlock, where: str) -> PreparedDocument:
    """A DocumentBlock as a checked PDF: its bytes (``resolve_document()``; ``.data`` holds
    base64) or path, read and opened now; a URL is kept as a reference (never downloaded)."""
    mime = block.document_mimetype
    if mime is not None and mime != PDF_MIME_TYPE:
        raise RequestValidationError(
            f"{where}: a DocumentBlock of type {mime!r} cannot be sent; xAI reads PDF documents "
            f"({PDF_MIME_TYPE}) and images (ImageBlock)"
        )
    filename = _document_filename(block)
    label = f"{where}, {filename}" if filename else where
    if block.data is not None:
        try:
            data = block.resolve_document().read()
        except ValueError as exc:  # LlamaIndex's "resolve_document returned zero bytes"
            raise DocumentDecodeError(str(exc), source=label) from None
        return prepare_document(bytes(data), filename=filename, label=label)
    if block.path is not None:
        return prepare_document(Path(block.path), filename=filename)
    if block.url is not None:
        return prepare_document(str(block.url), filename=filename)
    raise RequestValidationError(f"{where}: the DocumentBlock has no data, path or url")


def _document_filename(block: DocumentBlock) -> str | None:
    """The name xAI sees: the block's title (LlamaIndex's default one aside), else the path's."""
    if block.title and block.title != _DEFAULT_DOCUMENT_TITLE:
        return block.title if block.title.lower().endswith(".pdf") else f"{block.title}.pdf"
    return Path(block.path).name if block.path is not None else None


def has_documents(messages: Sequence[ChatMessage]) -> bool:
    """Whether any message carries a DocumentBlock (PDF work async paths run off the loop)."""
    return any(isinstance(block, DocumentBlock) for m in messages for block in m.blocks)


def to_wire_messages(
    messages: Sequence[ChatMessage],
    collector: ImageCollector,
    default_detail: Detail | None = None,
    documents: DocumentOptions | None = None,
) -> list[WireMessage]:
    """LlamaIndex chat messages as core wire messages, images in every role kept (never dropped).

    Text and image blocks keep their order, in system and assistant messages too (xAI's
    schema gives every role the same content type); ``additional_kwargs["name"]`` is sent as
    the message's ``name``. Tool calls come from ``ToolCallBlock`` (or the
    legacy ``additional_kwargs["tool_calls"]``); reasoning (``ThinkingBlock``) is the model's own
    output and is not sent back; cache points are hints xAI has no field for. A PDF
    ``DocumentBlock`` is checked and sent as ``documents`` says (a file part, or rendered pages).
    Any other block (audio, video, citations) raises RequestValidationError before anything is
    sent.
    """
    wire: list[WireMessage] = []
    for number, message in enumerate(messages):
        role = message.role
        where = f"message {number} ({role.value})"
        parts: list[Part] = []
        calls: list[ToolCall] = []
        for block_number, block in enumerate(message.blocks):
            if isinstance(block, TextBlock):
                parts.append(text_part(block.text))
            elif isinstance(block, ImageBlock):
                parts.append(
                    _add_image(collector, block, default_detail, f"{where}, block {block_number}")
                )
            elif isinstance(block, DocumentBlock):
                document = document_source(block, f"{where}, block {block_number}")
                parts += document_parts(document, collector, documents)
            elif isinstance(block, ToolCallBlock):
                calls.append(_block_tool_call(block, len(calls)))
            elif isinstance(block, (ThinkingBlock, CachePoint)):
                continue
            else:
                raise RequestValidationError(
                    f"{where}, block {block_number}: {type(block).__name__} is not supported; "
                    "xAI takes text, images and PDF documents"
                )
        if not calls and message.additional_kwargs.get("tool_calls"):
            calls = _legacy_tool_calls(message.additional_kwargs["tool_calls"], where)
        if calls and role != MessageRole.ASSISTANT:
            raise RequestValidationError(f"{where}: only assistant messages can carry tool calls")

        name = _message_name(message, where)
        if role in (MessageRole.SYSTEM, MessageRole.DEVELOPER):
            wire.append(system_message(_content(parts), name=name))
        elif role == MessageRole.USER:
            wire.append(user_message(_content(parts), name=name))
        elif role == MessageRole.ASSISTANT:
            encrypted = message.additional_kwargs.get(ENCRYPTED_REASONING_KEY)
            wire.append(
                assistant_message(
                    _content(parts) if parts else None,
                    tool_calls=calls or None,
                    name=name,
                    reasoning_encrypted_content=encrypted if isinstance(encrypted, str) else None,
                )
            )
        elif role in (MessageRole.TOOL, MessageRole.FUNCTION):
            call_id = message.additional_kwargs.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise RequestValidationError(
                    f"{where}: a tool result needs additional_kwargs['tool_call_id']"
                )
            wire.append(tool_message(call_id, _content(parts)))
        else:
            raise RequestValidationError(
                f"{where}: role {role.value!r} is not one xAI takes (system, user, assistant, tool)"
            )
    return wire


def user_wire_message(
    prompt: str,
    images: Sequence[object] | None,
    collector: ImageCollector,
    default_detail: Detail | None = None,
) -> WireMessage:
    """One user message: the prompt text, then each image in order (the completion shape)."""
    parts: list[Part] = [text_part(prompt)]
    for number, item in enumerate(images or ()):
        parts.append(_add_image(collector, item, default_detail, f"image_documents[{number}]"))
    return user_message(_content(parts))


def pydantic_response_format(output_cls: type[BaseModel]) -> dict[str, Any]:
    """xAI's ``json_schema`` response format for a pydantic class (name made wire-safe)."""
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", output_cls.__name__)[:64] or "output"
    return json_schema_response_format(output_cls.model_json_schema(), name=name)


# --------------------------------------------------------------------------- responses


def usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    """Usage as flat ``additional_kwargs`` (empty when the response reported none)."""
    if usage is None:
        return {}
    kwargs: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "image_tokens": usage.image_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cached_tokens": usage.cached_tokens,
    }
    return kwargs | usage.cost_fields()


def raw_with_cost(raw: dict[str, Any], usage: Usage | None) -> dict[str, Any]:
    """xAI's JSON as it came, plus the answer's cost at the top (``raw["usage"]`` untouched,
    so ``TokenCountingHandler`` reads xAI's own counts)."""
    if usage is None or usage.cost_in_usd_ticks is None:
        return raw
    return {**raw, **usage.cost_fields()}


def _assistant_message(
    content: str,
    reasoning: str | None,
    tool_calls: Sequence[ToolCall],
    answer: ChatCompletion | StreamAccumulator | None = None,
) -> ChatMessage:
    """The answer as LlamaIndex holds it: thinking, text, then one ToolCallBlock per call.

    The calls are also in ``additional_kwargs["tool_calls"]`` (wire shape), where older
    LlamaIndex code (e.g. streaming function-calling programs) looks for them.
    """
    blocks: list[ThinkingBlock | TextBlock | ToolCallBlock] = []
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning))
    blocks.append(TextBlock(text=content))
    blocks.extend(
        ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=call.arguments)
        for call in tool_calls
    )
    extra: dict[str, Any] = {}
    if tool_calls:
        extra["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in tool_calls
        ]
    if answer is not None and answer.stored is not None:  # responses endpoint: for chaining
        extra[RESPONSE_ID_KEY] = answer.id
        extra[STORED_KEY] = answer.stored
    if answer is not None and answer.reasoning_encrypted_content:
        extra[ENCRYPTED_REASONING_KEY] = answer.reasoning_encrypted_content
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=list(blocks), additional_kwargs=extra)


def chat_response(completion: ChatCompletion) -> ChatResponse:
    """A whole answer as a ChatResponse; ``raw`` is xAI's JSON, so ``raw["usage"]`` is its usage."""
    return ChatResponse(
        message=_assistant_message(
            completion.content or "",
            completion.reasoning_content,
            completion.tool_calls,
            completion,
        ),
        raw=raw_with_cost(completion.raw, completion.usage),
        additional_kwargs=usage_kwargs(completion.usage),
    )


def completion_response(completion: ChatCompletion) -> CompletionResponse:
    """A whole answer as a CompletionResponse (text only; usage as in :func:`chat_response`)."""
    return CompletionResponse(
        text=completion.content or "",
        raw=raw_with_cost(completion.raw, completion.usage),
        additional_kwargs=usage_kwargs(completion.usage),
    )


class StreamState:
    """One stream in LlamaIndex's terms, over the core's :class:`StreamAccumulator`: each
    response is cumulative (the answer so far) and also carries the chunk's ``delta``."""

    def __init__(self) -> None:
        self.accumulator = StreamAccumulator()

    def add(self, chunk: ChatCompletionChunk) -> bool:
        """Fold one chunk in; False when it carries nothing a caller could see (a thinking tick)."""
        self.accumulator.add(chunk)
        return bool(
            chunk.content
            or chunk.reasoning_content
            or chunk.tool_calls
            or chunk.finish_reason is not None
            or chunk.usage is not None
        )

    def chat(self, chunk: ChatCompletionChunk) -> ChatResponse:
        """The answer so far, as a ChatResponse for ``chunk`` (its raw, usage and delta)."""
        acc = self.accumulator
        extra = usage_kwargs(chunk.usage)
        if chunk.reasoning_content:
            extra["thinking_delta"] = chunk.reasoning_content
        return ChatResponse(
            message=_assistant_message(acc.content, acc.reasoning, acc.tool_calls(), acc),
            delta=chunk.content or "",
            raw=raw_with_cost(chunk.raw, chunk.usage),
            additional_kwargs=extra,
        )

    def completion(self, chunk: ChatCompletionChunk) -> CompletionResponse:
        """The text so far, as a CompletionResponse for ``chunk`` (its raw, usage and delta)."""
        return CompletionResponse(
            text=self.accumulator.content,
            delta=chunk.content or "",
            raw=raw_with_cost(chunk.raw, chunk.usage),
            additional_kwargs=usage_kwargs(chunk.usage),
        )


def tool_selections(response: ChatResponse, *, error_on_no_tool_call: bool) -> list[ToolSelection]:
    """The tool calls in a response as ToolSelections (arguments parsed from xAI's JSON text)."""
    selections: list[ToolSelection] = []
    for block in response.message.blocks:
        if not isinstance(block, ToolCallBlock):
            continue
        arguments: Any = block.tool_kwargs
        if isinstance(arguments, str):
            # Agents call this on every stream chunk, so a split call's partial JSON must parse.
            try:
                arguments = parse_partial_json(arguments) if arguments.strip() else {}
            except (ValueError, TypeError):
                arguments = {}
        if not isinstance(arguments, dict):
            arguments = {}
        selections.append(
            ToolSelection(
                tool_id=block.tool_call_id or "",
                tool_name=block.tool_name,
                tool_kwargs=arguments,
            )
        )
    if not selections and error_on_no_tool_call:
        raise NoToolCallError("Expected at least one tool call, but the response has none.")
    return selections
