"""The control operations: how an ``Emulator`` drives the state of a server it runs.

In thread mode ``Emulator`` calls :func:`run_control` directly; in subprocess mode it posts
the same operation and JSON arguments to ``/_emulator/<operation>``. Only the operations in
:data:`CONTROL_OPERATIONS` exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from xai_vision.emulator.state import EmulatorState, ScriptedReply

__all__ = ["CONTROL_OPERATIONS", "CONTROL_PREFIX", "run_control"]

#: Path prefix of the control endpoint (never recorded, logged or authenticated).
CONTROL_PREFIX = "/_emulator/"

Operation = Callable[[EmulatorState, dict[str, Any]], Any]


def _queue_reply(state: EmulatorState, args: dict[str, Any]) -> None:
    reply_args = dict(args)
    reply_args["tool_calls"] = tuple(reply_args.get("tool_calls") or ())
    reply_args["headers"] = dict(reply_args.get("headers") or {})
    state.queue_reply(ScriptedReply(**reply_args))


#: Operation name -> what it does to the state (its JSON-friendly result, or None).
CONTROL_OPERATIONS: Mapping[str, Operation] = MappingProxyType(
    {
        "requests": lambda state, args: [r.to_json() for r in state.requests()],
        "clear_requests": lambda state, args: state.clear_requests(),
        "reset": lambda state, args: state.reset(),
        "queue_reply": _queue_reply,
        "fail_next": lambda state, args: state.faults.fail_next(**args),
        "cut_stream": lambda state, args: state.faults.cut_stream(**args),
        "fail_stream": lambda state, args: state.faults.fail_stream(**args),
        "malformed_next": lambda state, args: state.faults.malformed_next(**args),
        "set_latency": lambda state, args: state.set_latency(**args),
        "reset_next": lambda state, args: state.faults.reset_next(**args),
        "truncate_next": lambda state, args: state.faults.truncate_next(**args),
        "slow_next": lambda state, args: state.faults.slow_next(**args),
        "set_fault_rate": lambda state, args: state.faults.set_fault_rate(**args),
        "fault_counts": lambda state, args: state.faults.fault_counts(),
        "fail_model_endpoints": lambda state, args: state.fail_model_endpoints(**args),
        "set_batch_delay": lambda state, args: state.batches.set_delay(**args),
        "fail_batch_requests": lambda state, args: state.batches.fail_requests(**args),
        "forget_file": lambda state, args: state.files.forget(**args),
    }
)


def run_control(state: EmulatorState, operation: str, args: dict[str, Any]) -> Any:
    """Run one named operation; KeyError for a name not in :data:`CONTROL_OPERATIONS`."""
    try:
        chosen = CONTROL_OPERATIONS[operation]
    except KeyError:
        raise KeyError(f"unknown operation {operation!r}") from None
    return chosen(state, args)
