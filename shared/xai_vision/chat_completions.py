"""``POST /chat/completions``: the OpenAI-compatible wire form (xAI's "legacy" endpoint).

Its body builder (:meth:`ChatRequest.to_body` as JSON in pieces), response parser and
stream-chunk parser, all into the :mod:`xai_vision.models` types the adapters read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from xai_vision._wire import (
    NO_HEADERS,
    STREAM_DONE,
    RequestBody,
    StreamDone,
    arguments_text,
    as_int,
    describe_request,
    event_json,
    id_and_model,
    json_body,
    object_or_empty,
    str_or_none,
    stream_error,
)
from xai_vision.errors import RequestValidationError, ResponseParseError
from xai_vision.models import ChatCompletion, ChatCompletionChunk, ToolCall, ToolCallDelta, Usage
from xai_vision.sse import SSEEvent

if TYPE_CHECKING:
    from xai_vision.messages import ChatRequest

__all__ = ["CONVERSATION_HEADER", "ChatCompletionsEndpoint", "parse_usage"]

#: The header that routes one conversation's requests to the same prompt cache.
CONVERSATION_HEADER: Final = "x-grok-conv-id"
_EMPTY: Final[dict[str, Any]] = {}


def _image_url_of(part: Mapping[str, Any]) -> str | None:
    if part.get("type") != "image_url":
        return None
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, Mapping) else None
    return url if isinstance(url, str) else None


def _with_image_url(part: Mapping[str, Any], url: str) -> dict[str, Any]:
    return {**part, "image_url": {**part["image_url"], "url": url}}


def parse_usage(raw: Mapping[str, Any]) -> Usage:
    """xAI's usage object as :class:`Usage` (total = prompt + completion + reasoning).

    A missing ``total_tokens`` is computed by xAI's rule; ``raw`` keeps the wire object.
    """
    prompt_details = object_or_empty(raw.get("prompt_tokens_details"))
    completion_details = object_or_empty(raw.get("completion_tokens_details"))
    prompt = as_int(raw.get("prompt_tokens"))
    completion = as_int(raw.get("completion_tokens"))
    reasoning = as_int(completion_details.get("reasoning_tokens"))
    total = raw.get("total_tokens")
    text_tokens = prompt_details.get("text_tokens")
    cost = raw.get("cost_in_usd_ticks")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total if isinstance(total, int) else prompt + completion + reasoning,
        text_tokens=text_tokens if isinstance(text_tokens, int) else None,
        image_tokens=as_int(prompt_details.get("image_tokens")),
        cached_tokens=as_int(prompt_details.get("cached_tokens")),
        reasoning_tokens=reasoning,
        cost_in_usd_ticks=cost if isinstance(cost, int) and not isinstance(cost, bool) else None,
        raw=dict(raw),
    )


def _tool_call(raw: Any, position: int) -> ToolCall:
    if not isinstance(raw, Mapping):
        raise ResponseParseError(f"tool_calls[{position}] is not an object")
    function = raw.get("function")
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise ResponseParseError(f"tool_calls[{position}] lacks function.name")
    call_id = raw.get("id")
    return ToolCall(
        id=call_id if isinstance(call_id, str) else f"call_{position}",
        name=function["name"],
        arguments=arguments_text(function.get("arguments")) or "",
        type=raw.get("type") or "function",
    )


def _tool_call_delta(raw: Any, position: int) -> ToolCallDelta:
    if not isinstance(raw, Mapping):
        raise ResponseParseError(f"delta.tool_calls[{position}] is not an object")
    function = raw.get("function")
    if not isinstance(function, Mapping):
        function = {}
    index = raw.get("index")
    return ToolCallDelta(
        index=index if isinstance(index, int) else position,
        id=str_or_none(raw.get("id")),
        name=str_or_none(function.get("name")),
        arguments=arguments_text(function.get("arguments")),
        type=str_or_none(raw.get("type")),
    )


def _first_choice(choices: Any) -> Mapping[str, Any] | None:
    if not isinstance(choices, list):
        raise ResponseParseError("'choices' is missing or not a list")
    if not choices:
        return None
    first = choices[0]
    if isinstance(first, dict) and first.get("index", 0) == 0:
        return first
    for choice in choices:
        if isinstance(choice, dict) and choice.get("index", 0) == 0:
            return choice
    raise ResponseParseError("'choices' has no object with index 0")


def _without_encrypted_reasoning(request: ChatRequest) -> ChatRequest:
    """``request`` without the responses endpoint's encrypted reasoning (chat has no such field)."""
    messages = [
        {k: v for k, v in m.items() if k != "reasoning_encrypted_content"} for m in request.messages
    ]
    return replace(request, messages=messages)  # type: ignore[arg-type]


class ChatCompletionsEndpoint:
    """``POST /chat/completions``: OpenAI-compatible chat completions with ``image_url`` parts."""

    path: str = "/chat/completions"

    def build_body(
        self, request: ChatRequest, *, stream: bool = False, include_usage: bool = True
    ) -> RequestBody:
        """The JSON body (:meth:`ChatRequest.to_body`) with the stream flags (:func:`_json_body`).

        The request validated itself when built; what only the responses endpoint can express
        (``store``, ``previous_response_id``) is refused here, before anything is sent.
        """
        for name in ("store", "previous_response_id"):
            if getattr(request, name) is not None:
                raise RequestValidationError(
                    f"{name} cannot be sent to the chat completions endpoint (it has no such "
                    "field): use the responses endpoint (use_responses_api=True / --api responses)"
                )
        if request.has_inline_documents():
            raise RequestValidationError(
                "the chat completions endpoint takes a document only by file_id or url: upload "
                "inline PDFs first (XAIClient does it through the Files API before sending)"
            )
        if any("reasoning_encrypted_content" in message for message in request.messages):
            request = _without_encrypted_reasoning(request)
        if not stream:
            body = request.to_body()
        elif include_usage:
            body = request.to_body(stream=True, stream_options={"include_usage": True})
        else:
            body = request.to_body(stream=True)
        try:
            return json_body(body, "messages", _image_url_of, _with_image_url)
        except (TypeError, ValueError) as exc:
            raise RequestValidationError(f"the request cannot be encoded as JSON: {exc}") from exc

    def headers(self, request: ChatRequest) -> Mapping[str, str]:
        """``x-grok-conv-id`` when the request names a conversation (prompt-cache routing)."""
        key = request.conversation_id
        return {CONVERSATION_HEADER: key} if key else NO_HEADERS

    def stream_parser(self, request: ChatRequest | None = None) -> ChatCompletionsEndpoint:
        """Chunks carry everything they need: this endpoint parses every stream itself."""
        return self

    def parse_response(self, data: Any, request: ChatRequest | None = None) -> ChatCompletion:
        """A ``chat.completion`` object as a ChatCompletion (choice 0)."""
        response_id, model = id_and_model(data, "the response")
        choice = _first_choice(data.get("choices"))
        message: Mapping[str, Any] = {}
        finish_reason = None
        if choice is not None:
            raw_message = choice.get("message")
            if not isinstance(raw_message, Mapping):
                raise ResponseParseError("choices[0] lacks a 'message' object", body=data)
            message = raw_message
            finish_reason = str_or_none(choice.get("finish_reason"))
        raw_calls = message.get("tool_calls")
        tool_calls = (
            [_tool_call(call, i) for i, call in enumerate(raw_calls)]
            if isinstance(raw_calls, list)
            else []
        )
        usage = data.get("usage")
        created = data.get("created")
        return ChatCompletion(
            id=response_id,
            model=model,
            created=created if isinstance(created, int) else None,
            content=str_or_none(message.get("content")),
            reasoning_content=str_or_none(message.get("reasoning_content")),
            refusal=str_or_none(message.get("refusal")),
            tool_calls=tool_calls,
            finish_reason=finish_reason,
            system_fingerprint=str_or_none(data.get("system_fingerprint")),
            usage=parse_usage(usage) if isinstance(usage, Mapping) else None,
            raw=data,
        )

    def parse_chunk(self, data: Any) -> ChatCompletionChunk:
        """A ``chat.completion.chunk`` object as a ChatCompletionChunk (choice 0)."""
        if isinstance(data, dict) and "error" in data:
            raise stream_error(data)
        response_id, model = id_and_model(data, "a stream chunk")
        choice = _first_choice(data.get("choices"))
        delta: dict[str, Any] = _EMPTY
        finish_reason = None
        if choice is not None:
            raw_delta = choice.get("delta")
            if isinstance(raw_delta, dict):
                delta = raw_delta
            finish_reason = str_or_none(choice.get("finish_reason"))
        # Most chunks carry one or two delta keys (or none): skip the lookups when empty.
        role = content = reasoning = None
        tool_calls: list[ToolCallDelta] = []
        if delta:
            role = str_or_none(delta.get("role"))
            content = str_or_none(delta.get("content"))
            reasoning = str_or_none(delta.get("reasoning_content"))
            raw_calls = delta.get("tool_calls")
            if isinstance(raw_calls, list):
                tool_calls = [_tool_call_delta(call, i) for i, call in enumerate(raw_calls)]
        usage = data.get("usage")
        created = data.get("created")
        return ChatCompletionChunk(
            id=response_id,
            model=model,
            created=created if type(created) is int else None,
            role=role,
            content=content,
            reasoning_content=reasoning,
            tool_calls=tool_calls,
            finish_reason=finish_reason,
            system_fingerprint=str_or_none(data.get("system_fingerprint")),
            usage=parse_usage(usage) if isinstance(usage, dict) else None,
            raw=data,
        )

    def parse_event(self, event: SSEEvent) -> ChatCompletionChunk | StreamDone | None:
        """``[DONE]`` ends the stream; other frames are JSON chunks; empty frames are skipped."""
        data = event_json(event)
        return data if data is None or data is STREAM_DONE else self.parse_chunk(data)

    def describe(self, request: ChatRequest) -> str:
        """Model, message / image counts and the set options; never text or image payloads."""
        return describe_request(request)

    def __repr__(self) -> str:
        return "ChatCompletionsEndpoint()"
