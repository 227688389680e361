"""``POST /v1/chat/completions``: faults first, then the checks, the answer, and its body.

The answer is sent as one ``chat.completion`` JSON object or, with ``stream``, as
``chat.completion.chunk`` frames framed like recorded xAI streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from xai_vision import _json
from xai_vision.emulator.answers import Answer, build_answer, text_pieces
from xai_vision.emulator.checks import ChatCall, check_chat_request
from xai_vision.emulator.config import ToolCallMode
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.http11 import Exchange, HTTPRequest
from xai_vision.emulator.prompt_cache import prompt_prefixes
from xai_vision.emulator.validation import Rejection

__all__ = ["completion_body", "handle", "stream_chunks"]


async def handle(context: HandlerContext, exchange: Exchange, params: Mapping[str, str]) -> None:
    """Answer one chat request: injected faults, then xAI's checks, then the answer."""
    state, settings, request = context.state, context.settings, exchange.request
    latency = state.latency if state.latency is not None else settings.latency
    connection_faults = state.faults.take_connection_faults()
    latency += connection_faults.delay
    if latency > 0:
        await asyncio.sleep(latency)
    if connection_faults.reset:
        exchange.reset()
        return
    fault = state.faults.take_fault()
    if fault is not None:
        raise Rejection(fault.status, fault.message, headers=fault.headers())
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not request.body or content_type != "application/json":
        raise Rejection(415, "Expected request with `Content-Type: application/json`")
    try:
        body = _json.loads(request.body)
    except _json.JSONDecodeError as exc:
        raise Rejection(400, f"Failed to parse the request body as JSON: {exc}") from None
    call = await check_chat_request(body, settings, context.fetch_image)
    scripted = state.take_reply()
    if scripted is not None and scripted.status is not None:
        payload = (
            scripted.body
            if scripted.body is not None
            else {
                "code": scripted.code or Rejection(scripted.status, "").code,
                "error": scripted.error or f"Scripted error {scripted.status}",
            }
        )
        await exchange.send_json(scripted.status, payload, headers=scripted.headers)
        return
    answer = build_answer(call, scripted, cached_tokens=_cached_tokens(context, request, call))
    if not settings.report_cost:
        answer.usage.pop("cost_in_usd_ticks", None)
    exchange.usage = answer.usage
    if call.stream:
        chunks = stream_chunks(
            answer, include_usage=call.include_usage, mode=settings.stream_tool_calls
        )
        await _send_stream(context, exchange, chunks)
        return
    data = _json.dumps(completion_body(answer))
    if state.faults.take_malformed_json():
        data = data[: max(1, len(data) // 2)]
    if state.faults.take_truncated_json():
        await exchange.send_truncated(data)
        return
    await exchange.send(200, data)


def _cached_tokens(context: HandlerContext, request: HTTPRequest, call: ChatCall) -> int:
    """The request's text tokens read from the prompt cache (0 when it is off); the request's
    own prefixes are remembered for the next one."""
    settings = context.settings
    if not settings.prompt_cache or call.text_tokens < settings.prompt_cache_min_tokens:
        return 0
    prefixes = prompt_prefixes(request.bearer_key() or "", call.model.name, call.body)
    return context.state.prompt_cache.lookup_and_store(prefixes, settings.prompt_cache_min_tokens)


async def _send_stream(
    context: HandlerContext, exchange: Exchange, chunks: list[dict[str, Any]]
) -> None:
    """Stream ``chunks`` as SSE frames, with the stream faults queued for this stream."""
    state = context.state
    faults = state.faults.take_stream_faults()
    delay = state.chunk_delay if state.chunk_delay is not None else context.settings.chunk_delay
    frames = [b"data: " + _json.dumps(chunk) + b"\n\n" for chunk in chunks]
    frames.append(b"data: [DONE]\n\n")
    if faults.malformed:
        broken = min(1, len(frames) - 1)
        frames[broken] = frames[broken][: max(8, len(frames[broken]) // 2)] + b"\n\n"
    await exchange.send_events(
        frames, delay=delay, cut_after=faults.cut_after, reset_on_cut=faults.reset
    )


def completion_body(answer: Answer) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` object, keys in xAI's order."""
    message: dict[str, Any] = {"role": "assistant", "content": answer.content}
    if answer.show_reasoning and answer.reasoning_content:
        message["reasoning_content"] = answer.reasoning_content
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": tc.id,
                "function": {"name": tc.name, "arguments": tc.arguments},
                "type": "function",
            }
            for tc in answer.tool_calls
        ]
    message["refusal"] = None
    return {
        "id": answer.id,
        "object": "chat.completion",
        "created": answer.created,
        "model": answer.model,
        "choices": [
            {"index": i, "message": message, "finish_reason": answer.finish_reason}
            for i in range(answer.n)
        ],
        "usage": answer.usage,
        "system_fingerprint": answer.system_fingerprint,
    }


def _tool_call_deltas(answer: Answer, mode: ToolCallMode) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = []
    for index, tc in enumerate(answer.tool_calls):
        if mode == "whole":
            deltas.append(
                {
                    "tool_calls": [
                        {
                            "id": tc.id,
                            "function": {"name": tc.name, "arguments": tc.arguments},
                            "index": index,
                            "type": "function",
                        }
                    ]
                }
            )
            continue
        deltas.append(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": tc.id,
                        "type": "function",
                        "function": {"name": tc.name, "arguments": ""},
                    }
                ]
            }
        )
        step = max(1, min(8, len(tc.arguments) // 3 or 1))
        for start in range(0, len(tc.arguments), step):
            fragment = tc.arguments[start : start + step]
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
    return deltas


def stream_chunks(
    answer: Answer, *, include_usage: bool, mode: ToolCallMode
) -> list[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a stream, framed like xAI's recordings."""
    deltas: list[dict[str, Any]] = []
    if answer.reasoning_content and answer.show_reasoning:
        deltas += [{"reasoning_content": piece} for piece in text_pieces(answer.reasoning_content)]
    else:
        deltas += [{} for _ in range(max(0, answer.reasoning_tokens))]
    if deltas:
        deltas[0] = {**deltas[0], "role": "assistant"}
    else:
        deltas.append({"role": "assistant"})
    deltas += [{"content": piece} for piece in text_pieces(answer.content)]
    deltas += _tool_call_deltas(answer, mode)

    chunks: list[dict[str, Any]] = []

    def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {
            "id": answer.id,
            "object": "chat.completion.chunk",
            "created": answer.created,
            "model": answer.model,
            "choices": choices,
        }
        if usage is not None:
            body["usage"] = usage
        body["system_fingerprint"] = answer.system_fingerprint
        chunks.append(body)

    for index in range(answer.n):
        for delta in deltas:
            chunk([{"index": index, "delta": delta}])
        chunk([{"index": index, "delta": {}, "finish_reason": answer.finish_reason}])
    if include_usage:
        chunk([], answer.usage)
    return chunks
