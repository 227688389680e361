"""What the endpoints that answer a prompt share: injected faults, the JSON body, scripted
error replies, the prompt cache, and sending the answer (JSON or an event stream) with the
faults queued for it. Chat completions and responses both go through these steps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from xai_vision import _json
from xai_vision.emulator.checks import ChatCall
from xai_vision.emulator.faults import StreamFailure
from xai_vision.emulator.handlers import HandlerContext
from xai_vision.emulator.http11 import Exchange, HTTPRequest
from xai_vision.emulator.prompt_cache import prompt_prefixes
from xai_vision.emulator.state import ScriptedReply
from xai_vision.emulator.validation import Rejection

__all__ = [
    "DONE_FRAME",
    "cached_tokens",
    "inject_request_faults",
    "request_json",
    "send_answer",
    "send_scripted_error",
    "send_stream",
]

#: The frame that ends a stream.
DONE_FRAME = b"data: [DONE]\n\n"


async def inject_request_faults(context: HandlerContext, exchange: Exchange) -> bool:
    """Latency, a slow or reset connection, then a queued or random error status (raised as
    Rejection). False when the connection was reset: nothing more is sent."""
    state = context.state
    latency = state.latency if state.latency is not None else context.settings.latency
    connection_faults = state.faults.take_connection_faults()
    latency += connection_faults.delay
    if latency > 0:
        await asyncio.sleep(latency)
    if connection_faults.reset:
        exchange.reset()
        return False
    fault = state.faults.take_fault()
    if fault is not None:
        raise Rejection(fault.status, fault.message, headers=fault.headers())
    return True


def request_json(request: HTTPRequest) -> Any:
    """The request's JSON body; 415 without a JSON content type, 400 when it does not parse."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not request.body or content_type != "application/json":
        raise Rejection(415, "Expected request with `Content-Type: application/json`")
    try:
        return _json.loads(request.body)
    except _json.JSONDecodeError as exc:
        raise Rejection(400, f"Failed to parse the request body as JSON: {exc}") from None


async def send_scripted_error(exchange: Exchange, scripted: ScriptedReply | None) -> bool:
    """Send a scripted error reply (True), or nothing when ``scripted`` is not one (False)."""
    if scripted is None or scripted.status is None:
        return False
    payload = (
        scripted.body
        if scripted.body is not None
        else {
            "code": scripted.code or Rejection(scripted.status, "").code,
            "error": scripted.error or f"Scripted error {scripted.status}",
        }
    )
    await exchange.send_json(scripted.status, payload, headers=scripted.headers)
    return True


def cached_tokens(context: HandlerContext, request: HTTPRequest, call: ChatCall) -> int:
    """The request's text tokens read from the prompt cache (0 when it is off); the request's
    own prefixes are remembered for the next one."""
    settings = context.settings
    if not settings.prompt_cache or call.text_tokens < settings.prompt_cache_min_tokens:
        return 0
    prefixes = prompt_prefixes(request.bearer_key() or "", call.model.name, call.body)
    return context.state.prompt_cache.lookup_and_store(prefixes, settings.prompt_cache_min_tokens)


async def send_answer(context: HandlerContext, exchange: Exchange, payload: Any) -> None:
    """Send a JSON answer, broken or cut short when such a fault is queued."""
    faults = context.state.faults
    data = _json.dumps(payload)
    if faults.take_malformed_json():
        data = data[: max(1, len(data) // 2)]
    if faults.take_truncated_json():
        await exchange.send_truncated(data)
        return
    await exchange.send(200, data)


async def send_stream(
    context: HandlerContext,
    exchange: Exchange,
    frames: Sequence[bytes],
    failure_frame: Callable[[StreamFailure], bytes],
) -> None:
    """Stream ``frames`` (the last one ends the stream), with the stream faults queued for it:
    a failure replaces the frames after its count with ``failure_frame(failure)``, a
    malformed frame, a cut or reset connection."""
    state = context.state
    faults = state.faults.take_stream_faults()
    delay = state.chunk_delay if state.chunk_delay is not None else context.settings.chunk_delay
    sent = list(frames)
    if faults.failure is not None:
        kept = min(faults.failure.after_frames, len(sent) - 1)
        sent = [*sent[:kept], failure_frame(faults.failure)]
    if faults.malformed:
        broken = min(1, len(sent) - 1)
        sent[broken] = sent[broken][: max(8, len(sent[broken]) // 2)] + b"\n\n"
    await exchange.send_events(
        sent, delay=delay, cut_after=faults.cut_after, reset_on_cut=faults.reset
    )
