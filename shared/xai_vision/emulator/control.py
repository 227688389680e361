"""The control operations: how an ``Emulator`` drives the state of a server it runs.

In thread mode ``Emulator`` calls :func:`run_control` directly; in subprocess mode it posts
the same operation and JSON arguments to ``/_emulator/<operation>``. Only the operations in
:data:`CONTROL_OPERATIONS` exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from xai_vision.emulator.batch_store import BatchStore
from xai_vision.emulator.faults import FaultInjector
from xai_vision.emulator.file_store import FileStore
from xai_vision.emulator.state import EmulatorState, ScriptedReply

__all__ = ["CONTROL_OPERATIONS", "CONTROL_PREFIX", "STATE_CONTROLS", "run_control"]

#: Path prefix of the control endpoint (never recorded, logged or authenticated).
CONTROL_PREFIX = "/_emulator/"

Operation = Callable[[EmulatorState, dict[str, Any]], Any]


def _queue_reply(state: EmulatorState, args: dict[str, Any]) -> None:
    reply_args = dict(args)
    reply_args["tool_calls"] = tuple(reply_args.get("tool_calls") or ())
    reply_args["headers"] = dict(reply_args.get("headers") or {})
    state.queue_reply(ScriptedReply(**reply_args))


def _state(state: EmulatorState) -> EmulatorState:
    return state


def _faults(state: EmulatorState) -> FaultInjector:
    return state.faults


def _batches(state: EmulatorState) -> BatchStore:
    return state.batches


def _files(state: EmulatorState) -> FileStore:
    return state.files


#: The state controls, each written once: operation -> (the part of the state it acts on, the
#: method run on it with the call's arguments). The :class:`~xai_vision.emulator.Emulator`
#: methods of the same names are these methods, checked against this table.
STATE_CONTROLS: Mapping[str, tuple[Callable[[EmulatorState], Any], Callable[..., Any]]] = (
    MappingProxyType(
        {
            "fail_next": (_faults, FaultInjector.fail_next),
            "cut_stream": (_faults, FaultInjector.cut_stream),
            "fail_stream": (_faults, FaultInjector.fail_stream),
            "malformed_next": (_faults, FaultInjector.malformed_next),
            "reset_next": (_faults, FaultInjector.reset_next),
            "truncate_next": (_faults, FaultInjector.truncate_next),
            "slow_next": (_faults, FaultInjector.slow_next),
            "set_fault_rate": (_faults, FaultInjector.set_fault_rate),
            "fault_counts": (_faults, FaultInjector.fault_counts),
            "fail_model_endpoints": (_state, EmulatorState.fail_model_endpoints),
            "set_latency": (_state, EmulatorState.set_latency),
            "set_batch_delay": (_batches, BatchStore.set_delay),
            "fail_batch_requests": (_batches, BatchStore.fail_requests),
            "forget_file": (_files, FileStore.forget),
        }
    )
)


def _state_control(part: Callable[[EmulatorState], Any], method: Callable[..., Any]) -> Operation:
    return lambda state, args: method(part(state), **args)


#: Operation name -> what it does to the state (its JSON-friendly result, or None).
CONTROL_OPERATIONS: Mapping[str, Operation] = MappingProxyType(
    {
        "requests": lambda state, args: [r.to_json() for r in state.requests()],
        "clear_requests": lambda state, args: state.clear_requests(),
        "reset": lambda state, args: state.reset(),
        "queue_reply": _queue_reply,
        **{name: _state_control(*control) for name, control in STATE_CONTROLS.items()},
    }
)


def run_control(state: EmulatorState, operation: str, args: dict[str, Any]) -> Any:
    """Run one named operation; KeyError for a name not in :data:`CONTROL_OPERATIONS`."""
    try:
        chosen = CONTROL_OPERATIONS[operation]
    except KeyError:
        raise KeyError(f"unknown operation {operation!r}") from None
    return chosen(state, args)
