"""Chat answers: the deterministic content, tool calls and usage for a checked request.

The answer is computed from what was received, in the format documented in ARCHITECTURE.md
("Emulator answer format"). Text and image tokens use the core's estimates
(:mod:`xai_vision.tokens`), so what the emulator bills is what the adapters estimate.
"""

from __future__ import annotations

import re
import time
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from xai_vision import _json
from xai_vision.emulator.checks import ChatCall
from xai_vision.emulator.fill import PromptValues, fill_schema
from xai_vision.emulator.state import ScriptedReply
from xai_vision.emulator.validation import Rejection
from xai_vision.tokens import CHARS_PER_TOKEN, estimate_text_tokens

__all__ = ["Answer", "ToolCallOut", "build_answer", "describe_request", "text_pieces"]

_PIECE = re.compile(r"\s*\S{1,16}|\s+$")
_WORD = re.compile(r"[a-z0-9]+")


def text_pieces(text: str) -> list[str]:
    """Small stream deltas (a word with its leading space, at most 16 characters each)."""
    return _PIECE.findall(text)


@dataclass(frozen=True)
class ToolCallOut:
    """One tool call the emulator answers with."""

    id: str
    name: str
    arguments: str


@dataclass
class Answer:
    """Everything one response (JSON or stream) is made from."""

    id: str
    created: int
    model: str
    system_fingerprint: str
    content: str
    reasoning_content: str | None
    reasoning_tokens: int
    show_reasoning: bool
    tool_calls: list[ToolCallOut]
    finish_reason: str
    usage: dict[str, Any]
    n: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def describe_request(call: ChatCall) -> str:
    """The answer text in the documented format (images in order, then the question)."""
    lines = [f"Tool {name} returned: {text}" for name, text in call.tool_results]
    count = len(call.images)
    if count == 0:
        lines.append("I see no images.")
    else:
        lines.append(f"I see {count} image{'s' if count != 1 else ''}.")
    lines += [f"Image {i}: {image.describe()}." for i, image in enumerate(call.images, 1)]
    if call.documents:
        count = len(call.documents)
        lines.append(f"I see {count} document{'s' if count != 1 else ''}.")
        lines += [f"Document {i}: {doc.describe()}." for i, doc in enumerate(call.documents, 1)]
    lines.append(f"You asked: {call.question}")
    return "\n".join(lines)


def _reasoning_text(call: ChatCall) -> str:
    count = len(call.images)
    return (
        f"The request has {count} image{'s' if count != 1 else ''} and asks: "
        f"{call.question[:120]}. I will describe each image in order and repeat the question."
    )


def _call_id(seed: str) -> str:
    return f"call_{zlib.crc32(seed.encode()) % 100_000_000:08d}"


def _select_tools(call: ChatCall) -> list[dict[str, Any]]:
    """The tools to call: the named one, else those the prompt names, else the best match."""
    choice = call.body.get("tool_choice")
    if isinstance(choice, dict):
        wanted = choice["function"]["name"]
        return [t for t in call.tools if t["name"] == wanted]
    words = set(_WORD.findall(call.question.lower()))

    def name_score(tool: dict[str, Any]) -> int:
        parts = _WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", tool["name"]).lower())
        return sum(1 for p in parts if p in words)

    scored = [(name_score(t), i, t) for i, t in enumerate(call.tools)]
    matching = [s for s in scored if s[0] > 0]
    if matching:
        if call.body.get("parallel_tool_calls") is not False and len(matching) > 1:
            return [t for _, _, t in matching]
        return [max(matching, key=lambda s: (s[0], -s[1]))[2]]

    def description_score(tool: dict[str, Any]) -> int:
        described = {
            w for w in _WORD.findall(str(tool.get("description", "")).lower()) if len(w) > 3
        }
        return len(described & words)

    best = max(
        ((description_score(t), -i, t) for i, t in enumerate(call.tools)), key=lambda s: s[:2]
    )
    return [best[2]]


def _fill_or_reject(schema: Any, values: PromptValues, what: str) -> Any:
    """A value for ``schema``; a schema the emulator cannot follow is a 400 naming it."""
    try:
        return fill_schema(schema, values)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise Rejection(400, f"{what}: invalid JSON schema ({exc})") from None


def _make_tool_calls(call: ChatCall, fallback: str) -> list[ToolCallOut]:
    out: list[ToolCallOut] = []
    for index, tool in enumerate(_select_tools(call)):
        parameters = tool.get("parameters", {})
        arguments = _fill_or_reject(
            parameters, PromptValues(call.question, fallback), f"tool {tool['name']!r} parameters"
        )
        if not isinstance(arguments, dict):
            arguments = {}
        text = _json.dumps(arguments).decode()
        seed = f"{tool['name']}|{text}|{index}|{len(call.body['messages'])}"
        out.append(ToolCallOut(_call_id(seed), tool["name"], text))
    return out


def _structured(call: ChatCall, answer_text: str) -> str | None:
    fmt = call.body.get("response_format") or {}
    kind = fmt.get("type")
    fallback = call.images[0].describe() if call.images else call.question
    if kind == "json_object":
        # Keys the prompt asks for ("... with 'setup' and 'punchline' keys"), else "answer".
        keys: list[str] = []
        if re.search(r"\b(keys?|fields?|properties)\b", call.question, re.IGNORECASE):
            quoted = PromptValues(call.question, "").strings
            keys = [q for q in quoted if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", q)]
        return _json.dumps({key: answer_text for key in keys or ["answer"]}).decode()
    if kind == "json_schema":
        spec = fmt.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
        value = _fill_or_reject(
            schema, PromptValues(call.question, fallback), "response_format.json_schema.schema"
        )
        return _json.dumps(value).decode()
    return None


def _scripted_tool_calls(reply: ScriptedReply) -> list[ToolCallOut]:
    out: list[ToolCallOut] = []
    for i, spec in enumerate(reply.tool_calls):
        arguments = spec.get("arguments", {})
        text = arguments if isinstance(arguments, str) else _json.dumps(arguments).decode()
        call_id = spec.get("id") or _call_id(f"{spec['name']}|{text}|{i}|scripted")
        out.append(ToolCallOut(call_id, spec["name"], text))
    return out


def build_answer(
    call: ChatCall, scripted: ScriptedReply | None = None, *, cached_tokens: int = 0
) -> Answer:
    """Compute the answer and its usage for a checked request (or use the scripted reply).

    ``cached_tokens`` (from the prompt cache) is reported in ``prompt_tokens_details``; it is
    part of the text tokens, so it is capped at them. ``cost_in_usd_ticks`` follows the model's
    prices (:meth:`~xai_vision.pricing.ModelPrices.cost_ticks`: cached tokens at the cached
    price, image tokens at the image price), the prices ``/v1/language-models`` lists.
    """
    model = call.model
    tool_calls: list[ToolCallOut] = []
    finish = "stop"
    if scripted is not None:
        content = scripted.content or ""
        tool_calls = _scripted_tool_calls(scripted)
        reasoning = scripted.reasoning_content
        if reasoning is None and model.reasoning:
            reasoning = _reasoning_text(call)
        show_reasoning = scripted.reasoning_content is not None or model.reasoning_text
    else:
        description = describe_request(call)
        choice = call.body.get("tool_choice")
        wants_tools = bool(call.tools) and choice != "none" and not call.tool_results
        if wants_tools:
            fallback = call.images[0].describe() if call.images else call.question
            tool_calls = _make_tool_calls(call, fallback)
            content = ""
        else:
            structured = _structured(call, description)
            content = structured if structured is not None else description
        reasoning = _reasoning_text(call) if model.reasoning else None
        show_reasoning = model.reasoning_text
    if tool_calls:
        finish = "tool_calls"
        content = content or ""
    else:
        for stop in call.stop:
            at = content.find(stop)
            if at >= 0:
                content = content[:at]
        if call.max_tokens is not None and estimate_text_tokens(content) > call.max_tokens:
            content = content[: call.max_tokens * CHARS_PER_TOKEN]
            finish = "length"
    if scripted is not None and scripted.finish_reason is not None:
        finish = scripted.finish_reason

    reasoning_tokens = len(text_pieces(reasoning)) if reasoning else 0
    completion = estimate_text_tokens(content) + sum(
        estimate_text_tokens(tc.name) + estimate_text_tokens(tc.arguments) for tc in tool_calls
    )
    completion *= call.n
    reasoning_tokens *= call.n
    prompt = call.text_tokens + call.image_tokens
    cached = max(0, min(cached_tokens, call.text_tokens))
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion + reasoning_tokens,
        "prompt_tokens_details": {
            "text_tokens": call.text_tokens,
            "audio_tokens": 0,
            "image_tokens": call.image_tokens,
            "cached_tokens": cached,
        },
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        "num_sources_used": 0,
        "cost_in_usd_ticks": model.prices.cost_ticks(
            prompt_tokens=prompt,
            image_tokens=call.image_tokens,
            cached_tokens=cached,
            output_tokens=completion + reasoning_tokens,
        ),
    }
    return Answer(
        id=f"{uuid.uuid4()}_us-east-1",
        created=int(time.time()),
        model=model.name,
        system_fingerprint=model.system_fingerprint,
        content=content,
        reasoning_content=reasoning,
        reasoning_tokens=reasoning_tokens // call.n,
        show_reasoning=show_reasoning,
        tool_calls=tool_calls,
        finish_reason=finish,
        usage=usage,
        n=call.n,
    )
