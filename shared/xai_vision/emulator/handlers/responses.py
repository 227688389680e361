"""``POST /v1/responses`` (plain and streamed), ``GET`` and ``DELETE /v1/responses/{id}``.

A request is checked and answered by the same machinery as chat completions
(:mod:`~xai_vision.emulator.responses_checks` turns it into the chat shape), so the answer text,
tool calls, structured output and tokens are chat completions' own; this module writes them as
a ``response`` object (output items: reasoning, message, function calls) or as its stream of
named events, keeps it when ``store`` is true (the default), and serves the stored ones.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from typing import Any

from xai_vision import _json
from xai_vision.emulator.answers import Answer, build_answer, text_pieces
from xai_vision.emulator.config import ToolCallMode
from xai_vision.emulator.documents import file_reader
from xai_vision.emulator.faults import StreamFailure
from xai_vision.emulator.handlers import HandlerContext, answering
from xai_vision.emulator.http11 import Exchange
from xai_vision.emulator.response_store import StoredResponse
from xai_vision.emulator.responses_checks import ResponsesCall, check_responses_request
from xai_vision.emulator.validation import Rejection

__all__ = [
    "create_response",
    "delete_response",
    "get_response",
    "response_events",
    "response_object",
    "responses_usage",
]


# --------------------------------------------------------------------------- handlers


async def create_response(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """Answer one responses request: injected faults, xAI's checks, the answer, storing it."""
    if not await answering.inject_request_faults(context, exchange):
        return
    body = answering.request_json(exchange.request)
    owner = exchange.request.owner()
    state = context.state
    checked = await check_responses_request(
        body,
        context.settings,
        context.fetch_image,
        state.responses,
        owner,
        file_reader(state.files, owner),
    )
    scripted = state.take_reply()
    if await answering.send_scripted_error(exchange, scripted):
        return
    call = checked.call
    answer = build_answer(
        call, scripted, cached_tokens=answering.cached_tokens(context, exchange.request, call)
    )
    response_id = str(uuid.uuid4())
    response = response_object(checked, answer, response_id)
    exchange.usage = response["usage"]
    if checked.store:
        conversation = [*call.body["messages"], _assistant_message(answer)]
        state.responses.put(owner, StoredResponse(response, conversation))
    if not call.stream:
        await answering.send_answer(context, exchange, response)
        return
    events = response_events(checked, answer, response, mode=context.settings.stream_tool_calls)
    frames = [_frame(name, payload) for name, payload in events]

    def failure_frame(failure: StreamFailure) -> bytes:
        return _frame(*_failure_event(failure, response))

    await answering.send_stream(context, exchange, [*frames, answering.DONE_FRAME], failure_frame)


async def get_response(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """A stored response, as it was answered; 404 for an id this key never stored."""
    owner = exchange.request.owner()
    stored = context.state.responses.get(owner, params["response_id"])
    if stored is None:
        raise _not_found(params["response_id"])
    await exchange.send_json(200, stored.response)


async def delete_response(
    context: HandlerContext, exchange: Exchange, params: Mapping[str, str]
) -> None:
    """Forget a stored response (``{"id", "object": "response", "deleted": true}``); 404 for
    an id this key never stored or already deleted."""
    owner = exchange.request.owner()
    response_id = params["response_id"]
    if not context.state.responses.delete(owner, response_id):
        raise _not_found(response_id)
    await exchange.send_json(200, {"id": response_id, "object": "response", "deleted": True})


def _not_found(response_id: str) -> Rejection:
    return Rejection(404, f"Response with id {response_id!r} not found.")


def _assistant_message(answer: Answer) -> dict[str, Any]:
    """The answer as the chat message a later ``previous_response_id`` request continues."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": answer.content if answer.content or not answer.tool_calls else None,
    }
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": tc.id,
                "type": "function",
                "function": {"name": tc.name, "arguments": tc.arguments},
            }
            for tc in answer.tool_calls
        ]
    return message


# --------------------------------------------------------------------------- the response


def responses_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Chat-completions usage in the responses form: ``output_tokens`` leave the reasoning
    out, as ``completion_tokens`` do (total = input + output + reasoning)."""
    prompt_details = usage["prompt_tokens_details"]
    completion_details = usage["completion_tokens_details"]
    return {
        "input_tokens": usage["prompt_tokens"],
        "input_tokens_details": {"cached_tokens": prompt_details["cached_tokens"]},
        "output_tokens": usage["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": completion_details["reasoning_tokens"]},
        "total_tokens": usage["total_tokens"],
        "num_sources_used": 0,
        "num_server_side_tools_used": 0,
        "cost_in_usd_ticks": usage["cost_in_usd_ticks"],
    }


def _encrypted(reasoning: str) -> str:
    """An opaque stand-in for xAI's encrypted reasoning (accepted back, never read)."""
    return base64.b64encode(f"xai-emulator-reasoning:{reasoning}".encode()).decode()


def _reasoning_item(checked: ResponsesCall, answer: Answer, response_id: str) -> dict[str, Any]:
    """The reasoning item: its text as the summary when the model shows its reasoning (as
    chat completions' ``reasoning_content``), else an empty summary."""
    reasoning = answer.reasoning_content or ""
    shown = answer.show_reasoning and bool(reasoning)
    item: dict[str, Any] = {
        "id": f"rs_{response_id}",
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": reasoning}] if shown else [],
        "status": "completed",
    }
    if checked.encrypted_reasoning:
        item["encrypted_content"] = _encrypted(reasoning)
    return item


def _message_item(answer: Answer, response_id: str, status: str) -> dict[str, Any]:
    return {
        "id": f"msg_{response_id}",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": [{"type": "output_text", "text": answer.content, "annotations": []}],
    }


def _call_item(call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    return {
        "id": f"fc_{call_id}",
        "type": "function_call",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def _incomplete(answer: Answer) -> bool:
    return answer.finish_reason == "length"


def _output(checked: ResponsesCall, answer: Answer, response_id: str) -> list[dict[str, Any]]:
    """The output items: reasoning (reasoning models), the message, the function calls."""
    items: list[dict[str, Any]] = []
    if answer.reasoning_content:
        items.append(_reasoning_item(checked, answer, response_id))
    if answer.content or not answer.tool_calls:
        status = "incomplete" if _incomplete(answer) else "completed"
        items.append(_message_item(answer, response_id, status))
    items += [_call_item(tc.id, tc.name, tc.arguments, "completed") for tc in answer.tool_calls]
    return items


def response_object(checked: ResponsesCall, answer: Answer, response_id: str) -> dict[str, Any]:
    """The whole ``response`` object (``ModelResponse``), keys in the spec's example order."""
    body = checked.body
    incomplete = _incomplete(answer)
    fmt = (body.get("text") or {}).get("format")
    return {
        "id": response_id,
        "object": "response",
        "created_at": answer.created,
        "completed_at": int(time.time()),
        "model": answer.model,
        "output": _output(checked, answer, response_id),
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "previous_response_id": body.get("previous_response_id"),
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": body.get("reasoning"),
        "temperature": body.get("temperature"),
        "text": {"format": fmt if fmt is not None else {"type": "text"}},
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p"),
        "top_logprobs": body.get("top_logprobs") or 0,
        "usage": responses_usage(answer.usage),
        "user": body.get("user"),
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "status": "incomplete" if incomplete else "completed",
        "store": checked.store,
        "metadata": body.get("metadata") if body.get("metadata") is not None else {},
        "background": False,
        "service_tier": "default",
        "truncation": "disabled",
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
    }


# --------------------------------------------------------------------------- the stream


def _frame(name: str, payload: dict[str, Any]) -> bytes:
    return f"event: {name}\n".encode() + b"data: " + _json.dumps(payload) + b"\n\n"


def _in_progress(response: Mapping[str, Any]) -> dict[str, Any]:
    """``response`` as the stream's first events show it: started, nothing out yet."""
    return {
        **response,
        "status": "in_progress",
        "completed_at": None,
        "output": [],
        "usage": None,
        "incomplete_details": None,
    }


def _failure_event(
    failure: StreamFailure, response: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """An injected failure: an ``error`` event before the response exists (no frame sent),
    else ``response.failed`` carrying the response with its error."""
    error = {"code": failure.code, "message": failure.message}
    if failure.after_frames == 0:
        return "error", {"type": "error", **error, "param": None, "sequence_number": 0}
    failed = {**_in_progress(response), "status": "failed", "error": error}
    return "response.failed", {
        "type": "response.failed",
        "sequence_number": failure.after_frames,
        "response": failed,
    }


def _argument_pieces(arguments: str, mode: ToolCallMode) -> list[str]:
    """A call's arguments as deltas: whole (xAI streams calls whole) or in small fragments."""
    if mode == "whole" or not arguments:
        return [arguments] if arguments else []
    step = max(1, min(8, len(arguments) // 3 or 1))
    return [arguments[start : start + step] for start in range(0, len(arguments), step)]


def response_events(
    checked: ResponsesCall, answer: Answer, response: Mapping[str, Any], *, mode: ToolCallMode
) -> list[tuple[str, dict[str, Any]]]:
    """The named events of a streamed response, ``response`` (the finished object) last."""
    events: list[tuple[str, dict[str, Any]]] = []

    def emit(name: str, **fields: Any) -> None:
        events.append((name, {"type": name, "sequence_number": len(events), **fields}))

    started = _in_progress(response)
    emit("response.created", response=started)
    emit("response.in_progress", response=started)
    for index, item in enumerate(response["output"]):
        kind = item["type"]
        item_id = item["id"]
        if kind == "reasoning":
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "summary": [], "status": "in_progress"},
            )
            for summary_index, summary in enumerate(item["summary"]):
                for piece in text_pieces(summary["text"]):
                    emit(
                        "response.reasoning_summary_text.delta",
                        item_id=item_id,
                        output_index=index,
                        summary_index=summary_index,
                        delta=piece,
                    )
                emit(
                    "response.reasoning_summary_text.done",
                    item_id=item_id,
                    output_index=index,
                    summary_index=summary_index,
                    text=summary["text"],
                )
        elif kind == "message":
            text = item["content"][0]["text"]
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "content": [], "status": "in_progress"},
            )
            empty = {"type": "output_text", "text": "", "annotations": []}
            place = {"item_id": item_id, "output_index": index, "content_index": 0}
            emit("response.content_part.added", **place, part=empty)
            for piece in text_pieces(text):
                emit("response.output_text.delta", **place, delta=piece)
            emit("response.output_text.done", **place, text=text)
            emit("response.content_part.done", **place, part=item["content"][0])
        else:
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "arguments": "", "status": "in_progress"},
            )
            for piece in _argument_pieces(item["arguments"], mode):
                emit(
                    "response.function_call_arguments.delta",
                    item_id=item_id,
                    output_index=index,
                    delta=piece,
                )
            emit(
                "response.function_call_arguments.done",
                item_id=item_id,
                output_index=index,
                arguments=item["arguments"],
            )
        emit("response.output_item.done", output_index=index, item=item)
    finished = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    emit(finished, response=dict(response))
    return events
