"""Reading a batch results file (JSONL) into entries, one per line, for the report.

Every non-blank line becomes one :class:`ResultEntry`, in file order, with nothing merged or
de-duplicated. A line that is not a complete batch result (the half-written last line of an
interrupted run, an edited line) becomes a ``"broken"`` entry with a notice saying why, so the
report still shows everything else. Usage is read in both shapes engines write: the CLI's flat
record (``image_tokens`` at the top) and xAI's wire object (``prompt_tokens_details``, ...).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from xai_vision import _json
from xai_vision.endpoints import parse_usage
from xai_vision.errors import RequestValidationError
from xai_vision.models import Usage

__all__ = [
    "EntryStatus",
    "ResultEntry",
    "ResultsFile",
    "read_results",
    "total_usage",
    "usage_from_record",
]

EntryStatus = Literal["answered", "failed", "broken"]

#: How much of a broken line the report shows.
BROKEN_TEXT_LIMIT = 300

#: ``"source": "..."`` in a line that is not valid JSON (a torn last line usually still has it).
_SOURCE_IN_TEXT = re.compile(r'"source"\s*:\s*("(?:[^"\\]|\\.)*")')


@dataclass(frozen=True)
class ResultEntry:
    """One line of a results file: an answered image, a failed one, or a broken line."""

    line: int  # 1-based line number in the file
    status: EntryStatus
    source: str | None = None
    id: str | None = None
    answer: str | None = None
    usage: Usage | None = None
    model: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_detail: str | None = None  # "status 400, code invalid_argument" for xAI errors
    broken_text: str | None = None  # the start of a broken line, as it is in the file


@dataclass(frozen=True)
class ResultsFile:
    """Every entry of a results file, and notices about lines that are not whole results."""

    path: Path
    entries: tuple[ResultEntry, ...]
    notices: tuple[str, ...]

    def count(self, status: EntryStatus) -> int:
        """How many entries have ``status``."""
        return sum(1 for entry in self.entries if entry.status == status)

    @property
    def usage(self) -> Usage:
        """The sum of every entry's usage."""
        return total_usage(entry.usage for entry in self.entries)


def read_results(path: str | os.PathLike[str]) -> ResultsFile:
    """Read a batch results file (any engine's); one entry per non-blank line, in order.

    Raises :class:`RequestValidationError` naming the file when it cannot be read, or when
    it has complete lines and not one of them is a batch result (not a results file at all).
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise RequestValidationError(f"{file}: no such results file") from None
    except IsADirectoryError:
        raise RequestValidationError(f"{file}: is a folder, not a results file") from None
    except OSError as error:
        raise RequestValidationError(
            f"{file}: cannot read the results file: {error.strerror or error}"
        ) from None
    lines = data.split(b"\n")
    entries: list[ResultEntry] = []
    notices: list[str] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        torn = number == len(lines)  # no newline after it: the writer may have been cut off
        entry, reason = _entry(number, raw, torn=torn)
        entries.append(entry)
        if reason is not None:
            notices.append(f"line {number} {reason}; it is shown as a broken entry")
    complete = [e for e in entries if e.line < len(lines)]
    if complete and all(e.status == "broken" for e in complete):
        raise RequestValidationError(
            f"{file}: not a batch results file (no line is a JSON object with a 'source')"
        )
    return ResultsFile(path=file, entries=tuple(entries), notices=tuple(notices))


def _entry(number: int, raw: bytes, *, torn: bool) -> tuple[ResultEntry, str | None]:
    """The entry of one line, and why it is broken (None when it is a whole result)."""
    try:
        record = _json.loads(raw)
    except (_json.JSONDecodeError, UnicodeDecodeError):
        reason = (
            "is cut short (the run was interrupted while writing it)"
            if torn
            else "is not valid JSON"
        )
        return _broken(number, raw, reason), reason
    if not isinstance(record, dict) or not isinstance(record.get("source"), str):
        reason = "is not a batch result (a JSON object with a 'source')"
        return _broken(number, raw, reason), reason
    return _result(number, record), None


def _broken(number: int, raw: bytes, reason: str) -> ResultEntry:
    text = raw.decode("utf-8", errors="replace").strip()
    source = None
    found = _SOURCE_IN_TEXT.search(text)
    if found is not None:
        try:
            value = _json.loads(found.group(1))
        except _json.JSONDecodeError:
            value = None
        source = value if isinstance(value, str) else None
    if len(text) > BROKEN_TEXT_LIMIT:
        text = text[:BROKEN_TEXT_LIMIT] + "…"
    return ResultEntry(
        line=number,
        status="broken",
        source=source,
        error_type="BrokenLine",
        error_message=f"This line {reason}.",
        broken_text=text,
    )


def _result(number: int, record: dict[str, Any]) -> ResultEntry:
    error = record.get("error")
    error_type = error_message = error_detail = None
    if error:
        error_type, error_message, error_detail = _error_fields(error)
    answer = record.get("answer")
    if answer is not None and not isinstance(answer, str):
        answer = _json.dumps(answer).decode("utf-8")  # an engine's structured answer, as JSON
    return ResultEntry(
        line=number,
        status="failed" if error else "answered",
        source=record["source"],
        id=_text_or_none(record.get("id")),
        answer=answer,
        usage=usage_from_record(record.get("usage")),
        model=_text_or_none(record.get("model")),
        error_type=error_type,
        error_message=error_message,
        error_detail=error_detail,
    )


def _error_fields(error: Any) -> tuple[str, str, str | None]:
    """(type, message, detail) of a line's ``error``: the CLI's object, or any other value."""
    if not isinstance(error, Mapping):
        message = error if isinstance(error, str) else _json.dumps(error).decode("utf-8")
        return "Error", message, None
    error_type = _text_or_none(error.get("type")) or "Error"
    raw_message = error.get("message")
    if isinstance(raw_message, str):
        message = raw_message
    else:
        message = "" if raw_message is None else _json.dumps(raw_message).decode("utf-8")
    details = []
    if isinstance(error.get("status_code"), int):
        details.append(f"status {error['status_code']}")
    if isinstance(error.get("code"), str) and error["code"]:
        details.append(f"code {error['code']}")
    return error_type, message, ", ".join(details) or None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def usage_from_record(value: Any) -> Usage | None:
    """A line's ``usage`` as :class:`Usage`: the CLI's flat record or xAI's wire object."""
    if not isinstance(value, Mapping):
        return None
    wire = dict(value)
    if not isinstance(value.get("prompt_tokens_details"), Mapping):
        names = ("image_tokens", "cached_tokens", "text_tokens")
        wire["prompt_tokens_details"] = {name: value[name] for name in names if name in value}
    if not isinstance(value.get("completion_tokens_details"), Mapping):
        reasoning = value.get("reasoning_tokens")
        wire["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return parse_usage(wire).model_copy(update={"raw": dict(value)})


def total_usage(usages: Iterable[Usage | None]) -> Usage:
    """The sum of ``usages`` (None items skipped); text tokens and cost stay None if never set."""
    total: dict[str, int] = {}
    text_tokens: int | None = None
    ticks: int | None = None
    for usage in usages:
        if usage is None:
            continue
        for name in (
            "prompt_tokens",
            "completion_tokens",
            "total_tokens",
            "image_tokens",
            "cached_tokens",
            "reasoning_tokens",
        ):
            total[name] = total.get(name, 0) + getattr(usage, name)
        if usage.text_tokens is not None:
            text_tokens = (text_tokens or 0) + usage.text_tokens
        if usage.cost_in_usd_ticks is not None:
            ticks = (ticks or 0) + usage.cost_in_usd_ticks
    return Usage(**total, text_tokens=text_tokens, cost_in_usd_ticks=ticks)
