"""What LlamaIndex tells its observers, kept for tests: every instrumentation event
(:func:`recording_events`) and every legacy callback event (:class:`CallbackRecorder`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from llama_index.core.callbacks import CBEventType
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent


class EventRecorder(BaseEventHandler):
    """Keeps every instrumentation event."""

    events: list[BaseEvent] = []

    @classmethod
    def class_name(cls) -> str:
        return "EventRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@contextmanager
def recording_events() -> Iterator[EventRecorder]:
    """An :class:`EventRecorder` on the root dispatcher for the length of the block."""
    dispatcher = get_dispatcher()
    recorder = EventRecorder(events=[])
    dispatcher.add_event_handler(recorder)
    try:
        yield recorder
    finally:
        dispatcher.event_handlers.remove(recorder)


class CallbackRecorder(BaseCallbackHandler):
    """Keeps every legacy callback event as (event type, "start" or "end", payload)."""

    def __init__(self) -> None:
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])
        self.events: list[tuple[CBEventType, Literal["start", "end"], dict[str, Any] | None]] = []

    def count(self, event_type: CBEventType, phase: Literal["start", "end"]) -> int:
        """How many ``phase`` events of ``event_type`` arrived."""
        return sum(1 for kind, when, _ in self.events if (kind, when) == (event_type, phase))

    @property
    def payloads(self) -> list[dict[str, Any] | None]:
        """Every event's payload, in order."""
        return [payload for _, _, payload in self.events]

    def on_event_start(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        parent_id: str = "",
        **kwargs: Any,
    ) -> str:
        self.events.append((event_type, "start", payload))
        return event_id

    def on_event_end(
        self,
        event_type: CBEventType,
        payload: dict[str, Any] | None = None,
        event_id: str = "",
        **kwargs: Any,
    ) -> None:
        self.events.append((event_type, "end", payload))

    def start_trace(self, trace_id: str | None = None) -> None:
        return None

    def end_trace(
        self, trace_id: str | None = None, trace_map: dict[str, list[str]] | None = None
    ) -> None:
        return None
