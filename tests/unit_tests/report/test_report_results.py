"""Reading results files: one entry per line, both usage shapes, torn and foreign lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_helpers import WIRE_USAGE, answered, failed, flat_usage, write_jsonl
from xai_vision.endpoints import parse_usage
from xai_vision.errors import RequestValidationError
from xai_vision.report import read_results, usage_from_record


def test_every_non_blank_line_is_one_entry_in_order_nothing_merged(tmp_path: Path) -> None:
    results = write_jsonl(
        tmp_path / "r.jsonl",
        [answered("a.png"), failed("b.png"), "\n", answered("a.png", "again"), answered("c.png")],
    )
    read = read_results(results)
    assert [(e.line, e.source, e.status) for e in read.entries] == [
        (1, "a.png", "answered"),
        (2, "b.png", "failed"),
        (4, "a.png", "answered"),  # the same source twice: two entries
        (5, "c.png", "answered"),
    ]
    assert read.notices == ()
    assert read.entries[2].answer == "again"


def test_flat_and_wire_usage_read_the_same_numbers() -> None:
    flat = {
        "prompt_tokens": 1300,
        "image_tokens": 1280,
        "text_tokens": 20,
        "cached_tokens": 16,
        "completion_tokens": 40,
        "reasoning_tokens": 60,
        "total_tokens": 1400,
        "cost_in_usd_ticks": 2_345_678,
        "cost_usd": 0.0002345678,
    }
    from_flat = usage_from_record(flat)
    from_wire = usage_from_record(WIRE_USAGE)
    assert from_flat is not None and from_wire is not None
    expected = parse_usage(WIRE_USAGE).model_dump(exclude={"raw"})
    assert from_flat.model_dump(exclude={"raw"}) == expected
    assert from_wire.model_dump(exclude={"raw"}) == expected
    assert expected["image_tokens"] == 1280 and expected["reasoning_tokens"] == 60
    assert usage_from_record(None) is None
    assert usage_from_record("12 tokens") is None


def test_totals_sum_every_line_with_usage(tmp_path: Path) -> None:
    results = write_jsonl(
        tmp_path / "r.jsonl",
        [
            answered("a.png", image=512, text=8, completion=30),
            {"source": "b.png", "answer": "x", "usage": WIRE_USAGE, "error": None},
            failed("c.png"),
        ],
    )
    usage = read_results(results).usage
    assert usage.image_tokens == 512 + 1280
    assert usage.prompt_tokens == 520 + 1300
    assert usage.completion_tokens == 30 + 40
    assert usage.reasoning_tokens == 60
    assert usage.cached_tokens == 16
    assert usage.text_tokens == 8 + 20
    assert usage.total_tokens == 550 + 1400
    assert usage.cost_in_usd_ticks == 1_000_000 + 2_345_678


def test_totals_leave_text_tokens_and_cost_unknown_when_never_reported(tmp_path: Path) -> None:
    record = answered("a.png")
    del record["usage"]["text_tokens"], record["usage"]["cost_in_usd_ticks"]
    usage = read_results(write_jsonl(tmp_path / "r.jsonl", [record])).usage
    assert usage.text_tokens is None
    assert usage.cost_in_usd_ticks is None and usage.cost_usd is None


def test_a_torn_last_line_is_a_broken_entry_with_a_notice(tmp_path: Path) -> None:
    results = write_jsonl(
        tmp_path / "r.jsonl",
        [answered("a.png"), '{"id": "x1", "source": "/imgs/b \\"2\\".png", "answer": "A dog on a'],
    )
    read = read_results(results)
    assert [e.status for e in read.entries] == ["answered", "broken"]
    torn = read.entries[1]
    assert torn.line == 2
    assert torn.source == '/imgs/b "2".png'  # recovered from the text of the line
    assert torn.broken_text is not None and torn.broken_text.endswith("A dog on a")
    assert torn.error_message is not None and "cut short" in torn.error_message
    assert read.notices == (
        "line 2 is cut short (the run was interrupted while writing it); "
        "it is shown as a broken entry",
    )


def test_only_a_torn_line_is_still_a_results_file(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "r.jsonl", ['{"source": "a.p'])
    read = read_results(results)
    assert [e.status for e in read.entries] == ["broken"]


def test_a_whole_last_line_without_a_newline_is_a_result(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "r.jsonl", [json.dumps(answered("a.png"))])
    read = read_results(results)
    assert [e.status for e in read.entries] == ["answered"]
    assert read.notices == ()


def test_lines_that_are_not_results_are_broken_entries_saying_why(tmp_path: Path) -> None:
    results = write_jsonl(
        tmp_path / "r.jsonl",
        [answered("a.png"), "not json at all\n", "[1, 2]\n", '{"answer": "no source"}\n'],
    )
    read = read_results(results)
    assert [e.status for e in read.entries] == ["answered", "broken", "broken", "broken"]
    assert read.notices[0] == "line 2 is not valid JSON; it is shown as a broken entry"
    assert "line 3 is not a batch result" in read.notices[1]
    assert "line 4 is not a batch result" in read.notices[2]
    assert read.entries[1].broken_text == "not json at all"


def test_broken_text_is_shortened(tmp_path: Path) -> None:
    results = write_jsonl(tmp_path / "r.jsonl", [answered("a.png"), "x" * 5000])
    text = read_results(results).entries[1].broken_text
    assert text is not None and len(text) <= 301 and text.endswith("…")


def test_errors_in_every_shape(tmp_path: Path) -> None:
    api_error = {
        "type": "BadRequestError",
        "message": "status 400: nope",
        "status_code": 400,
        "code": "invalid_argument",
    }
    results = write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"source": "a.png", "answer": None, "usage": None, "error": api_error},
            {"source": "b.png", "answer": None, "usage": None, "error": "timed out"},
            {"source": "c.png", "answer": None, "usage": None, "error": {"code": 7}},
        ],
    )
    a, b, c = read_results(results).entries
    assert (a.error_type, a.error_message) == ("BadRequestError", "status 400: nope")
    assert a.error_detail == "status 400, code invalid_argument"
    assert (b.status, b.error_type, b.error_message) == ("failed", "Error", "timed out")
    assert (c.status, c.error_type, c.error_message, c.error_detail) == (
        "failed",
        "Error",
        "",
        None,
    )


def test_fields_beyond_the_core_four(tmp_path: Path) -> None:
    record = answered("a.png") | {"id": "3f2a9c", "answer": {"items": [1, 2]}}
    entry = read_results(write_jsonl(tmp_path / "r.jsonl", [record])).entries[0]
    assert entry.id == "3f2a9c"
    assert entry.model == "grok-4-fast-non-reasoning"
    assert entry.answer == '{"items":[1,2]}'  # a structured answer, shown as JSON text


def test_missing_folder_and_foreign_files_are_typed_errors_naming_the_file(
    tmp_path: Path,
) -> None:
    with pytest.raises(RequestValidationError, match="no such results file") as missing:
        read_results(tmp_path / "nope.jsonl")
    assert "nope.jsonl" in str(missing.value)
    with pytest.raises(RequestValidationError, match="is a folder"):
        read_results(tmp_path)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("shopping list\neggs\n")
    with pytest.raises(RequestValidationError, match="not a batch results file") as caught:
        read_results(foreign)
    assert "notes.txt" in str(caught.value)


def test_an_empty_file_has_no_entries(tmp_path: Path) -> None:
    empty = tmp_path / "r.jsonl"
    empty.write_bytes(b"")
    read = read_results(empty)
    assert read.entries == () and read.notices == ()
    assert read.usage.total_tokens == 0


def test_flat_usage_without_total_gets_xais_rule() -> None:
    usage = usage_from_record(
        {k: v for k, v in flat_usage(reasoning_tokens=5).items() if k != "total_tokens"}
    )
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens + 5
