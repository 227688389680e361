"""Fold streamed chunks into the answer so far and one :class:`~xai_vision.models.ChatCompletion`.

Tool calls arrive whole from xAI (one delta per call) and as argument fragments from
OpenAI-style servers (id and name first, then pieces of ``arguments`` at the same index);
both assemble to the same calls.
"""

from __future__ import annotations

from typing import Any

from xai_vision.errors import StreamInterruptedError
from xai_vision.models import ChatCompletion, ChatCompletionChunk, ToolCall, ToolCallDelta, Usage

__all__ = ["StreamAccumulator"]


class _PendingCall:
    """A tool call being assembled from deltas; its ToolCall is rebuilt only after a change."""

    __slots__ = ("_built", "arguments", "id", "name", "type")

    def __init__(self, delta: ToolCallDelta) -> None:
        self.id = delta.id
        self.name = delta.name or ""
        self.type = delta.type or "function"
        self.arguments: list[str] = [delta.arguments] if delta.arguments else []
        self._built: ToolCall | None = None

    def merge(self, delta: ToolCallDelta) -> None:
        self._built = None
        if delta.id and not self.id:
            self.id = delta.id
        if delta.name:
            # Fragments normally carry the name once; a repeated whole name is not appended twice.
            if not self.name or self.name == delta.name:
                self.name = delta.name
            else:
                self.name += delta.name
        if delta.type:
            self.type = delta.type
        if delta.arguments:
            self.arguments.append(delta.arguments)

    def call(self, position: int) -> ToolCall:
        """The call as it stands: built once per change, so reading it every chunk is cheap."""
        if self._built is None:
            if len(self.arguments) > 1:  # keep one joined piece: the next join copies only news
                self.arguments = ["".join(self.arguments)]
            self._built = ToolCall(
                id=self.id or f"call_{position}",
                name=self.name,
                arguments=self.arguments[0] if self.arguments else "",
                type=self.type,
            )
        return self._built


class _Text:
    """Text arriving in pieces; :attr:`value` joins only the pieces added since the last read."""

    __slots__ = ("_joined", "_pieces")

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._joined = ""

    def add(self, piece: str) -> None:
        self._pieces.append(piece)

    def __bool__(self) -> bool:
        return bool(self._pieces or self._joined)

    @property
    def value(self) -> str:
        if self._pieces:
            self._joined += "".join(self._pieces)
            self._pieces.clear()
        return self._joined


class StreamAccumulator:
    """Feed every chunk of one stream to :meth:`add`; read the answer so far at any time.

    The one place a stream is folded, whichever endpoint sent it: the adapters read
    :attr:`content`, :attr:`reasoning`, :meth:`tool_calls`, :attr:`finish_reason` and
    :attr:`usage` as chunks arrive, and :meth:`completion` gives the whole answer.
    """

    __slots__ = (
        "_calls",
        "_content",
        "_created",
        "_encrypted",
        "_finish_reason",
        "_id",
        "_model",
        "_reasoning",
        "_role",
        "_slots",
        "_stored",
        "_system_fingerprint",
        "_usage",
        "chunks",
    )

    def __init__(self) -> None:
        self.chunks = 0
        self._id: str | None = None
        self._model: str | None = None
        self._created: int | None = None
        self._role: str | None = None
        self._content = _Text()
        self._reasoning = _Text()
        self._calls: list[_PendingCall] = []
        self._slots: dict[int, _PendingCall] = {}
        self._finish_reason: str | None = None
        self._system_fingerprint: str | None = None
        self._usage: Usage | None = None
        self._encrypted: str | None = None
        self._stored: bool | None = None

    @property
    def finished(self) -> bool:
        """True once a finish_reason arrived: the answer itself is complete."""
        return self._finish_reason is not None

    @property
    def id(self) -> str | None:
        """The response id (from the first chunk)."""
        return self._id

    @property
    def model(self) -> str | None:
        """The model that answered (the latest chunk naming one)."""
        return self._model

    @property
    def finish_reason(self) -> str | None:
        """Why generation stopped, once a chunk said so."""
        return self._finish_reason

    @property
    def system_fingerprint(self) -> str | None:
        """The backend fingerprint, once a chunk carried one."""
        return self._system_fingerprint

    @property
    def usage(self) -> Usage | None:
        """The usage from the final chunk, once it arrived."""
        return self._usage

    @property
    def content(self) -> str:
        """The answer text so far ("" before any)."""
        return self._content.value

    @property
    def reasoning(self) -> str:
        """The reasoning text so far ("" before any)."""
        return self._reasoning.value

    def tool_calls(self) -> list[ToolCall]:
        """The tool calls so far, in order; a split call holds the arguments received yet."""
        return [call.call(position) for position, call in enumerate(self._calls)]

    def add(self, chunk: ChatCompletionChunk) -> None:
        """Fold one chunk into the answer."""
        self.chunks += 1
        if self._id is None:
            self._id = chunk.id
            self._model = chunk.model
            self._created = chunk.created
        elif chunk.model:
            self._model = chunk.model
        if chunk.role and self._role is None:
            self._role = chunk.role
        if chunk.content:
            self._content.add(chunk.content)
        if chunk.reasoning_content:
            self._reasoning.add(chunk.reasoning_content)
        for delta in chunk.tool_calls:
            self._add_call(delta)
        if chunk.finish_reason is not None:
            self._finish_reason = chunk.finish_reason
        if chunk.system_fingerprint:
            self._system_fingerprint = chunk.system_fingerprint
        if chunk.usage is not None:
            self._usage = chunk.usage
        if chunk.reasoning_encrypted_content is not None:
            self._encrypted = chunk.reasoning_encrypted_content
        if chunk.stored is not None:
            self._stored = chunk.stored

    @property
    def stored(self) -> bool | None:
        """Whether xAI stored the response, once a chunk said so (responses endpoint)."""
        return self._stored

    @property
    def reasoning_encrypted_content(self) -> str | None:
        """The encrypted reasoning to send back next turn, once it arrived (responses endpoint)."""
        return self._encrypted

    def _add_call(self, delta: ToolCallDelta) -> None:
        pending = self._slots.get(delta.index)
        # A new id at an index already in use is a new call (defensive: some servers reuse 0).
        if pending is None or (delta.id and pending.id and delta.id != pending.id):
            pending = _PendingCall(delta)
            self._slots[delta.index] = pending
            self._calls.append(pending)
        else:
            pending.merge(delta)

    def completion(self) -> ChatCompletion:
        """The answer so far as a ChatCompletion; ``raw`` mirrors a non-streaming response."""
        if self._id is None or self._model is None:
            raise StreamInterruptedError("the stream delivered no chunks")
        content = self._content.value if self._content else None
        reasoning = self._reasoning.value if self._reasoning else None
        tool_calls = self.tool_calls()
        message: dict[str, Any] = {"role": self._role or "assistant", "content": content}
        if reasoning is not None:
            message["reasoning_content"] = reasoning
        if tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": call.type,
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in tool_calls
            ]
        raw: dict[str, Any] = {
            "id": self._id,
            "object": "chat.completion",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "message": message, "finish_reason": self._finish_reason}],
        }
        if self._usage is not None:
            raw["usage"] = self._usage.raw
        if self._system_fingerprint is not None:
            raw["system_fingerprint"] = self._system_fingerprint
        return ChatCompletion(
            id=self._id,
            model=self._model,
            created=self._created,
            content=content,
            reasoning_content=reasoning,
            reasoning_encrypted_content=self._encrypted,
            tool_calls=tool_calls,
            finish_reason=self._finish_reason,
            system_fingerprint=self._system_fingerprint,
            usage=self._usage,
            stored=self._stored,
            raw=raw,
        )
