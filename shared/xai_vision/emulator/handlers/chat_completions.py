"""``POST /v1/chat/completions``: faults first, then the checks, the answer, and its body.

The answer is sent as one ``chat.completion`` JSON object or, with ``stream``, as
``chat.completion.chunk`` frames framed like recorded xAI streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xai_vision import _json
from xai_vision.emulator.answers import Answer, build_answer, text_pieces
from xai_vision.emulator.checks import check_chat_request
from xai_vision.emulator.config import ToolCallMode
from xai_vision.emulator.documents import file_reader
from xai_vision.emulator.faults import StreamFailure
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.handlers.answering import (
    DONE_FRAME,
    cached_tokens,
    inject_request_faults,
    request_json,
    send_answer,
    send_scripted_error,
    send_stream,
)
from xai_vision.emulator.http11 import Exchange

__all__ = ["completion_body", "handle", "stream_chunks"]


async def handle(context: HandlerContext, exchange: Exchange, params: Mapping[str, str]) -> None:
    """Answer one chat request: injected faults, then xAI's checks, then the answer."""
    if not await inject_request_faults(context, exchange):
        return
    body = request_json(exchange.request)
    owner = exchange.request.owner()
    call = await check_chat_request(
        body,
        context.settings,
        context.fetch_image,
        file_reader(context.state.files, owner),
    )
    scripted = context.state.take_reply()
    if await send_scripted_error(exchange, scripted):
        return
    cached = cached_tokens(context, exchange.request, call)
    answer = build_answer(call, scripted, cached_tokens=cached)
    if not context.settings.report_cost:
        answer.usage.pop("cost_in_usd_ticks", None)
    exchange.usage = answer.usage
    if not call.stream:
        await send_answer(context, exchange, completion_body(answer))
        return
    chunks = stream_chunks(
        answer, include_usage=call.include_usage, mode=context.settings.stream_tool_calls
    )
    frames = [b"data: " + _json.dumps(chunk) + b"\n\n" for chunk in chunks]
    await send_stream(context, exchange, [*frames, DONE_FRAME], _failure_frame)


def _failure_frame(failure: StreamFailure) -> bytes:
    """An error inside a chat stream: xAI's flat error object as a data frame."""
    return b"data: " + _json.dumps({"code": failure.code, "error": failure.message}) + b"\n\n"


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
