"""``POST /responses``: xAI's recommended endpoint, as a second wire form of the same request.

The body builder turns a :class:`~xai_vision.messages.ChatRequest` (chat-shaped, endpoint-neutral
messages) into ``input`` items; the parsers turn a ``response`` object and its stream events
into the same :mod:`xai_vision.models` types chat completions gives, so the adapters do not
care which endpoint answered. xAI's responses usage has no image-token count: it is estimated
by the tile rule from the request's images and marked as an estimate.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from PIL import Image

from xai_vision import _wire as wire
from xai_vision.catalog import model_facts
from xai_vision.errors import APIError, RequestValidationError, ResponseParseError
from xai_vision.images import is_data_uri
from xai_vision.models import ChatCompletion, ChatCompletionChunk, ToolCall, ToolCallDelta, Usage
from xai_vision.sse import SSEEvent
from xai_vision.tokens import estimate_image_tokens, most_image_tokens

if TYPE_CHECKING:
    from xai_vision.messages import ChatRequest

__all__ = [
    "ENCRYPTED_REASONING",
    "UNSUPPORTED_PARAMS",
    "ResponsesEndpoint",
    "estimate_request_image_tokens",
    "parse_responses_usage",
    "responses_body",
]

#: What ``include`` asks for to get the reasoning back, encrypted, for the next turn.
ENCRYPTED_REASONING: Final = "reasoning.encrypted_content"
#: Chat-completions parameters the responses endpoint has no field for (refused before sending).
UNSUPPORTED_PARAMS: Final = (
    "stop",
    "seed",
    "n",
    "logit_bias",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "max_completion_tokens",
    "response_format",
    "stream_options",
)
_ENDPOINT: Final = "the responses endpoint"
#: Base64 characters decoded to read an inline image's size: a few KiB hold most headers; a
#: JPEG with large metadata before its frame header gets a second, longer look.
_HEADER_CHARS: Final = (4 * 1024, 96 * 1024)


# --------------------------------------------------------------------------- request


def _content_part(part: Mapping[str, Any], *, assistant: bool) -> dict[str, Any]:
    if part["type"] == "text":
        return {"type": "output_text" if assistant else "input_text", "text": part["text"]}
    if part["type"] == "file":
        return _input_file(part["file"])
    image = part["image_url"]
    item: dict[str, Any] = {"type": "input_image", "image_url": image["url"]}
    if "detail" in image:
        item["detail"] = image["detail"]
    return item


def _input_file(file: Mapping[str, Any]) -> dict[str, Any]:
    """A ``file`` part as ``input_file``: inline base64 + filename, ``file_id`` or ``file_url``."""
    if "file_data" in file:
        return {"type": "input_file", "file_data": file["file_data"], "filename": file["filename"]}
    if "file_id" in file:
        return {"type": "input_file", "file_id": file["file_id"]}
    return {"type": "input_file", "file_url": file["url"]}


def _content(content: Any, *, assistant: bool = False) -> Any:
    if isinstance(content, str):
        return content
    return [_content_part(part, assistant=assistant) for part in content]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part["type"] == "text")


def _images_of(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return []
    return [_content_part(part, assistant=False) for part in content if part["type"] != "text"]


def _assistant_items(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An assistant turn: its encrypted reasoning, its text (and images), its function calls."""
    items: list[dict[str, Any]] = []
    encrypted = message.get("reasoning_encrypted_content")
    if encrypted:
        reasoning = message.get("reasoning_content")
        summary = [{"type": "summary_text", "text": reasoning}] if reasoning else []
        items.append({"type": "reasoning", "summary": summary, "encrypted_content": encrypted})
    content = message.get("content")
    if content:  # None or "" with tool calls: no message item
        items.append({"role": "assistant", "content": _content(content, assistant=True)})
    for call in message.get("tool_calls") or ():
        function = call["function"]
        items.append(
            {
                "type": "function_call",
                "call_id": call["id"],
                "name": function["name"],
                "arguments": function["arguments"],
            }
        )
    return items


def input_items(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Chat-shaped wire messages as responses ``input`` items.

    A tool result is a ``function_call_output`` whose output is a string only, so the images
    of a run of tool results travel in one user message right after the run.
    """
    items: list[dict[str, Any]] = []
    tool_images: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role != "tool" and tool_images:
            items.append(_tool_images_message(tool_images))
            tool_images = []
        if role == "tool":
            content = message["content"]
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message["tool_call_id"],
                    "output": _text_of(content),
                }
            )
            tool_images += _images_of(content)
        elif role == "assistant":
            items += _assistant_items(message)
        else:
            item: dict[str, Any] = {"role": role, "content": _content(message["content"])}
            if role == "user" and message.get("name"):  # xAI takes a name on user messages only
                item["name"] = message["name"]
            items.append(item)
    if tool_images:
        items.append(_tool_images_message(tool_images))
    return items


def _tool_images_message(images: list[dict[str, Any]]) -> dict[str, Any]:
    if any(item["type"] == "input_file" for item in images):
        text = "The file the tool returned:" if len(images) == 1 else "What the tools returned:"
    else:
        one = len(images) == 1
        text = "The image the tool returned:" if one else "The images the tools returned:"
    return {"role": "user", "content": [{"type": "input_text", "text": text}, *images]}


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = tool["function"]
    return {"type": "function", **function}


def _tool_choice(choice: str | Mapping[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, str):
        return choice
    return {"type": "function", "name": choice["function"]["name"]}


def _text_format(response_format: Mapping[str, Any]) -> dict[str, Any]:
    kind = response_format["type"]
    if kind != "json_schema":
        return {"format": {"type": kind}}
    return {"format": {"type": "json_schema", **response_format["json_schema"]}}


def _check_expressible(request: ChatRequest) -> None:
    for name in UNSUPPORTED_PARAMS:
        if name == "response_format":  # a field of the request: sent as ``text.format``
            continue
        value = getattr(request, name, None) if name in ("stop", "seed") else None
        if value is not None or name in request.extra:
            raise RequestValidationError(
                f"parameter {name!r} cannot be sent to {_ENDPOINT} (it has no such field): "
                "drop it, or use the chat completions endpoint"
            )
    if request.previous_response_id is not None and "instructions" in request.extra:
        raise RequestValidationError(
            "instructions cannot be sent with previous_response_id (xAI uses the stored "
            "conversation's system prompt): drop one of them"
        )


def responses_body(request: ChatRequest, *, stream: bool = False) -> dict[str, Any]:
    """The ``POST /responses`` body for ``request``; RequestValidationError for what the
    endpoint cannot express (``stop``, ``seed``, ``n``, penalties, ...), before sending."""
    _check_expressible(request)
    body: dict[str, Any] = {"model": request.model, "input": input_items(request.messages)}
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.max_tokens is not None:
        body["max_output_tokens"] = request.max_tokens
    if request.tools is not None:
        body["tools"] = [_tool(tool) for tool in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.parallel_tool_calls is not None:
        body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.response_format is not None:
        body["text"] = _text_format(request.response_format)
    if request.reasoning_effort is not None:
        body["reasoning"] = {"effort": request.reasoning_effort}
    store = request.store
    if store is None and request.images():
        store = False  # xAI: stored requests with images may fail
    if store is not None:
        body["store"] = store
    if store is False and model_facts(request.model, request.reasoning_effort).reasoning:
        body["include"] = [ENCRYPTED_REASONING]  # an unstored turn's reasoning comes back to us
    if request.previous_response_id is not None:
        body["previous_response_id"] = request.previous_response_id
    if request.conversation_id is not None:
        body["prompt_cache_key"] = request.conversation_id
    if stream:
        body["stream"] = True
    body.update(request.extra)
    return body


# --------------------------------------------------------------------------- usage


def _inline_image_size(url: str) -> tuple[int, int] | None:
    """Width and height of a data-URI image from its first bytes, or None if not readable."""
    comma = url.find(",", 0, 200)
    if comma < 0 or ";base64" not in url[:comma]:
        return None
    for length in _HEADER_CHARS:
        chars = url[comma + 1 : comma + 1 + length]
        chars = chars[: len(chars) - len(chars) % 4]
        try:
            with Image.open(io.BytesIO(base64.b64decode(chars))) as image:
                width, height = image.size
        except (binascii.Error, OSError, Image.DecompressionBombError):  # OSError: unidentified
            if len(chars) < length - 3:  # the whole payload was read: no header in it
                return None
            continue
        return int(width), int(height)
    return None


def estimate_request_image_tokens(request: ChatRequest) -> int | None:
    """The tile-rule estimate of the request's image tokens (None when it has no images).

    An inline image is sized from its header; an image sent by URL (or one whose header is
    not in its first bytes) counts as the most an image costs at its detail.
    """
    images = request.images()
    if not images:
        return None
    total = 0
    for image in images:
        detail = image.get("detail", "auto")
        size = _inline_image_size(image["url"]) if is_data_uri(image["url"]) else None
        total += most_image_tokens(detail) if size is None else estimate_image_tokens(size, detail)
    return total


def parse_responses_usage(raw: Mapping[str, Any], image_tokens: int | None = None) -> Usage:
    """Responses usage as :class:`Usage`: ``input_tokens`` -> prompt, ``output_tokens`` ->
    completion (reasoning outside it, as xAI counts: total = input + output + reasoning).

    ``image_tokens`` is the request's tile-rule estimate (responses usage has no image count).
    """
    input_details = wire.object_or_empty(raw.get("input_tokens_details"))
    output_details = wire.object_or_empty(raw.get("output_tokens_details"))
    prompt = wire.as_int(raw.get("input_tokens"))
    completion = wire.as_int(raw.get("output_tokens"))
    reasoning = wire.as_int(output_details.get("reasoning_tokens"))
    total = raw.get("total_tokens")
    cost = raw.get("cost_in_usd_ticks")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total if type(total) is int else prompt + completion + reasoning,
        image_tokens=image_tokens or 0,
        image_tokens_estimated=image_tokens is not None,
        cached_tokens=wire.as_int(input_details.get("cached_tokens")),
        reasoning_tokens=reasoning,
        cost_in_usd_ticks=cost if type(cost) is int else None,
        raw=dict(raw),
    )


# --------------------------------------------------------------------------- response


def _finish_reason(data: Mapping[str, Any], has_calls: bool) -> str | None:
    status = data.get("status")
    if status == "incomplete":
        details = data.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, Mapping) else None
        return "content_filter" if reason == "content_filter" else "length"
    if status in ("completed", None):
        return "tool_calls" if has_calls else "stop"
    return wire.str_or_none(status)


def _failure(data: Mapping[str, Any], what: str) -> APIError:
    error = data.get("error")
    message = error.get("message") if isinstance(error, Mapping) else error
    code = error.get("code") if isinstance(error, Mapping) else None
    return APIError(
        f"{what} failed: {message or 'no reason given'}",
        code=None if code is None else str(code),
        body=dict(data),
    )


class _Output:
    """What a response's ``output`` items say, folded."""

    def __init__(self, output: Any) -> None:
        if not isinstance(output, list):
            raise ResponseParseError("the response lacks an 'output' list")
        self.text: list[str] = []
        self.refusal: list[str] = []
        self.reasoning: list[str] = []
        self.encrypted: str | None = None
        self.calls: list[ToolCall] = []
        for position, item in enumerate(output):
            if not isinstance(item, Mapping):
                raise ResponseParseError(f"output[{position}] is not an object")
            kind = item.get("type")
            if kind == "message":
                self._message(item)
            elif kind == "function_call":
                self.calls.append(_function_call(item, position))
            elif kind == "reasoning":
                self._reasoning(item)
            # server-side tool items (web search, ...) stay in ``raw``

    def _message(self, item: Mapping[str, Any]) -> None:
        for part in item.get("content") or ():
            if not isinstance(part, Mapping):
                continue
            if part.get("type") == "output_text" and isinstance(part.get("text"), str):
                self.text.append(part["text"])
            elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                self.refusal.append(part["refusal"])

    def _reasoning(self, item: Mapping[str, Any]) -> None:
        pieces = [
            part["text"]
            for part in (item.get("summary") or item.get("content") or ())
            if isinstance(part, Mapping) and isinstance(part.get("text"), str)
        ]
        self.reasoning += pieces
        encrypted = item.get("encrypted_content")
        if isinstance(encrypted, str) and encrypted:
            self.encrypted = encrypted


def _function_call(item: Mapping[str, Any], position: int) -> ToolCall:
    call_id = item.get("call_id") or item.get("id")
    name = item.get("name")
    if not isinstance(name, str):
        raise ResponseParseError(f"output[{position}] is a function_call without a name")
    return ToolCall(
        id=call_id if isinstance(call_id, str) else f"call_{position}",
        name=name,
        arguments=wire.arguments_text(item.get("arguments")) or "",
    )


def _completion(data: Any, request: ChatRequest | None) -> ChatCompletion:
    response_id, model = wire.id_and_model(data, "the response")
    if data.get("status") == "failed":
        raise _failure(data, "the response")
    output = _Output(data.get("output"))
    usage = data.get("usage")
    created = data.get("created_at")
    stored = data.get("store")
    estimate = estimate_request_image_tokens(request) if request is not None else None
    return ChatCompletion(
        id=response_id,
        model=model,
        created=created if type(created) is int else None,
        content="".join(output.text) if output.text else None,
        reasoning_content="".join(output.reasoning) if output.reasoning else None,
        reasoning_encrypted_content=output.encrypted,
        refusal="".join(output.refusal) if output.refusal else None,
        tool_calls=output.calls,
        finish_reason=_finish_reason(data, bool(output.calls)),
        usage=parse_responses_usage(usage, estimate) if isinstance(usage, Mapping) else None,
        stored=stored if isinstance(stored, bool) else None,
        raw=data,
    )


# --------------------------------------------------------------------------- stream


class ResponsesStreamParser:
    """One responses stream's events as chunks (events carry no id or model after the first,
    and a function call's pieces are known by their output index, so this keeps state)."""

    def __init__(self, request: ChatRequest | None = None) -> None:
        self._request = request
        self._id = ""
        self._model = request.model if request is not None else ""
        self._created: int | None = None
        self._calls: dict[int, int] = {}  # output index -> tool-call index
        self._sent: dict[tuple[str, int, int], int] = {}  # characters of each text sent so far

    def _chunk(self, **fields: Any) -> ChatCompletionChunk:
        return ChatCompletionChunk(id=self._id, model=self._model, created=self._created, **fields)

    def _rest(self, key: tuple[str, int, int], text: str) -> str:
        """What of ``text`` (a piece's whole text, or a delta when ``key`` is new) is not sent."""
        sent = self._sent.get(key, 0)
        self._sent[key] = max(sent, len(text))
        return text[sent:] if len(text) > sent else ""

    def parse_event(self, event: SSEEvent) -> ChatCompletionChunk | wire.StreamDone | None:
        """One event as a chunk; STREAM_DONE at ``[DONE]``; None for bookkeeping events."""
        obj = wire.event_json(event)
        if obj is None or obj is wire.STREAM_DONE:
            return obj
        if not isinstance(obj, dict):
            raise ResponseParseError(f"a stream event is not a JSON object: {event.data[:200]!r}")
        kind = obj.get("type") or event.event
        if kind == "error" or (kind is None and "error" in obj):
            raise wire.stream_error(obj, obj.get("error") or obj.get("message"))
        if not isinstance(kind, str) or not kind.startswith("response."):
            return None
        return self._event(kind[len("response.") :], obj)

    def _event(self, kind: str, obj: dict[str, Any]) -> ChatCompletionChunk | None:
        output_index = wire.as_int(obj.get("output_index"))
        if kind in ("created", "in_progress"):
            self._start(obj.get("response"))
            return self._chunk(role="assistant") if kind == "created" else None
        if kind in ("output_text.delta", "output_text.done"):
            key = ("text", output_index, wire.as_int(obj.get("content_index")))
            text = obj.get("delta" if kind.endswith("delta") else "text")
            piece = self._piece(key, text, delta=kind.endswith("delta"))
            return self._chunk(content=piece) if piece else None
        if kind.startswith(("reasoning_summary_text.", "reasoning_text.")):
            index = obj.get("summary_index", obj.get("content_index"))
            key = ("reasoning", output_index, wire.as_int(index))
            delta = kind.endswith(".delta")
            text = obj.get("delta" if delta else "text")
            piece = self._piece(key, text, delta=delta) if kind.endswith(("delta", "done")) else ""
            return self._chunk(reasoning_content=piece) if piece else None
        if kind in ("output_item.added", "output_item.done"):
            return self._item(obj.get("item"), output_index)
        if kind in ("function_call_arguments.delta", "function_call_arguments.done"):
            delta = kind.endswith("delta")
            return self._arguments(output_index, obj.get("delta" if delta else "arguments"), delta)
        if kind in ("completed", "incomplete"):
            return self._finish(obj.get("response"))
        if kind == "failed":
            response = obj.get("response")
            error = response.get("error") if isinstance(response, Mapping) else None
            raise wire.stream_error(obj, error or "the response failed")
        return None

    def _piece(self, key: tuple[str, int, int], text: Any, *, delta: bool) -> str:
        if not isinstance(text, str) or not text:
            return ""
        if delta:
            self._sent[key] = self._sent.get(key, 0) + len(text)
            return text
        return self._rest(key, text)

    def _start(self, response: Any) -> None:
        if isinstance(response, Mapping):
            self._id = wire.str_or_none(response.get("id")) or self._id
            self._model = wire.str_or_none(response.get("model")) or self._model
            created = response.get("created_at")
            self._created = created if type(created) is int else self._created

    def _item(self, item: Any, output_index: int) -> ChatCompletionChunk | None:
        if not isinstance(item, Mapping):
            return None
        kind = item.get("type")
        if kind == "function_call":
            arguments = wire.arguments_text(item.get("arguments")) or ""
            if output_index not in self._calls:
                self._calls[output_index] = len(self._calls)
                index = self._calls[output_index]
                self._sent[("call", output_index, 0)] = len(arguments)
                call_id = item.get("call_id") or item.get("id")
                delta = ToolCallDelta(
                    index=index,
                    id=call_id if isinstance(call_id, str) else None,
                    name=wire.str_or_none(item.get("name")),
                    arguments=arguments or None,
                    type="function",
                )
                return self._chunk(tool_calls=[delta])
            return self._arguments(output_index, arguments, delta=False)
        if kind == "reasoning":
            encrypted = item.get("encrypted_content")
            if isinstance(encrypted, str) and encrypted:
                return self._chunk(reasoning_encrypted_content=encrypted)
        return None

    def _arguments(self, output_index: int, text: Any, delta: bool) -> ChatCompletionChunk | None:
        index = self._calls.get(output_index)
        if index is None or not isinstance(text, str) or not text:
            return None
        piece = self._piece(("call", output_index, 0), text, delta=delta)
        if not piece:
            return None
        return self._chunk(tool_calls=[ToolCallDelta(index=index, arguments=piece)])

    def _finish(self, response: Any) -> ChatCompletionChunk:
        if not isinstance(response, Mapping):
            raise ResponseParseError("a response.completed event lacks its 'response' object")
        self._start(response)
        usage = response.get("usage")
        estimate = (
            estimate_request_image_tokens(self._request) if self._request is not None else None
        )
        output = response.get("output")
        has_calls = bool(self._calls) or (
            isinstance(output, list)
            and any(isinstance(i, Mapping) and i.get("type") == "function_call" for i in output)
        )
        stored = response.get("store")
        return self._chunk(
            finish_reason=_finish_reason(response, has_calls),
            usage=parse_responses_usage(usage, estimate) if isinstance(usage, Mapping) else None,
            stored=stored if isinstance(stored, bool) else None,
            raw=dict(response),
        )


# --------------------------------------------------------------------------- endpoint


def _image_url_of(part: Mapping[str, Any]) -> str | None:
    url = part.get("image_url") if part.get("type") == "input_image" else None
    return url if isinstance(url, str) else None


def _with_image_url(part: Mapping[str, Any], url: str) -> dict[str, Any]:
    return {**part, "image_url": url}


class ResponsesEndpoint:
    """``POST /responses``: xAI's recommended endpoint (``input_image`` parts, output items)."""

    path: str = "/responses"

    def build_body(
        self, request: ChatRequest, *, stream: bool = False, include_usage: bool = True
    ) -> wire.RequestBody:
        """The JSON body (:func:`responses_body`) in pieces; usage always comes with
        ``response.completed``, so ``include_usage`` has nothing to switch."""
        body = responses_body(request, stream=stream)
        try:
            return wire.json_body(body, "input", _image_url_of, _with_image_url)
        except (TypeError, ValueError) as exc:
            raise RequestValidationError(f"the request cannot be encoded as JSON: {exc}") from exc

    def headers(self, request: ChatRequest) -> Mapping[str, str]:
        """None: the conversation key travels in the body (``prompt_cache_key``)."""
        return wire.NO_HEADERS

    def parse_response(self, data: Any, request: ChatRequest | None = None) -> ChatCompletion:
        """A ``response`` object as a ChatCompletion (image tokens estimated from ``request``)."""
        return _completion(data, request)

    def stream_parser(self, request: ChatRequest | None = None) -> ResponsesStreamParser:
        """A fresh parser for one stream of events."""
        return ResponsesStreamParser(request)

    def describe(self, request: ChatRequest) -> str:
        """Model, message / image counts and the set options; never text or image payloads."""
        return "responses " + wire.describe_request(request)

    def __repr__(self) -> str:
        return "ResponsesEndpoint()"
