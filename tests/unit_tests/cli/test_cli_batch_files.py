"""Batch file handling without a server: discovery, the JSONL writer and resume repair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xai_vision.cli.batch import (
    JsonlWriter,
    batch_items,
    discover_images,
    load_resume_state,
    read_results,
    replace_results,
)
from xai_vision.errors import ImageSourceError, RequestValidationError
from xai_vision.image_batch import BatchSettings, image_id


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_discover_expands_folders_globs_and_files_once_in_order(tmp_path: Path) -> None:
    a = _touch(tmp_path / "imgs" / "a.png")
    b = _touch(tmp_path / "imgs" / "b.JPG")
    _touch(tmp_path / "imgs" / "notes.txt")  # not an image suffix: folders skip it
    c = _touch(tmp_path / "more" / "c.webp")
    found = discover_images([str(tmp_path / "imgs"), str(tmp_path / "more" / "*.webp"), str(a)])
    assert found == [a.resolve(), b.resolve(), c.resolve()]


def test_discover_takes_existing_paths_with_glob_characters_literally(tmp_path: Path) -> None:
    image = _touch(tmp_path / "shots [2024]" / "a.png")
    assert discover_images([str(tmp_path / "shots [2024]")]) == [image.resolve()]


def test_discover_recursive_glob(tmp_path: Path) -> None:
    deep = _touch(tmp_path / "x" / "y" / "deep.png")
    top = _touch(tmp_path / "top.png")
    assert set(discover_images([str(tmp_path / "**" / "*.png")])) == {
        deep.resolve(),
        top.resolve(),
    }


@pytest.mark.parametrize(
    ("argument", "reason"),
    [("missing.png", "no such file"), ("*.nothing", "matched no files"), ("empty", "no image")],
)
def test_discover_rejects_what_matches_nothing(tmp_path: Path, argument: str, reason: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageSourceError) as caught:
        discover_images([str(tmp_path / argument)])
    assert reason in str(caught.value)
    assert argument in str(caught.value)


def test_writer_appends_one_complete_line_per_record(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with JsonlWriter(out) as writer:
        writer.write({"source": "a", "answer": "line one\nwith a newline", "error": None})
    with JsonlWriter(out) as writer:
        writer.write({"source": "b", "answer": "ü", "error": None})
    lines = out.read_bytes().split(b"\n")
    assert lines[-1] == b""
    assert [json.loads(line)["source"] for line in lines[:-1]] == ["a", "b"]


def test_writer_refuses_after_close(tmp_path: Path) -> None:
    writer = JsonlWriter(tmp_path / "out.jsonl")
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        writer.write({"source": "a"})


def test_resume_cuts_a_torn_last_line_and_collects_sources(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    good = [
        {
            "source": "/a.png",
            "answer": "A",
            "usage": {"image_tokens": 512, "total_tokens": 600, "cost_in_usd_ticks": 10},
            "error": None,
        },
        {
            "source": "/b.png",
            "answer": None,
            "usage": None,
            "error": {"type": "ImageDecodeError", "message": "bad"},
        },
    ]
    complete = b"".join(json.dumps(r).encode() + b"\n" for r in good)
    torn = b'{"source": "/c.png", "answ'
    out.write_bytes(complete + torn)
    state = load_resume_state(out)
    # Lines written before ids existed get the id their source has: the same images are done.
    assert state.results == {image_id("/a.png"): False, image_id("/b.png"): True}
    assert state.repaired_bytes == len(torn)
    assert out.read_bytes() == complete
    assert (state.totals.succeeded, state.totals.failed) == (1, 1)
    assert state.totals.image_tokens == 512 and state.totals.cost_in_usd_ticks == 10
    # A second read finds nothing to repair.
    assert load_resume_state(out).repaired_bytes == 0


def test_resume_of_a_missing_or_empty_file_is_empty(tmp_path: Path) -> None:
    assert load_resume_state(tmp_path / "none.jsonl").results == {}
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert load_resume_state(tmp_path / "empty.jsonl").results == {}


def test_resume_refuses_a_file_that_is_not_batch_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    original = b'{"source": "/a.png"}\nnot json\n{"source": "/half'
    out.write_bytes(original)
    with pytest.raises(RequestValidationError, match="line 2"):
        load_resume_state(out)
    assert out.read_bytes() == original  # nothing cut from a file we do not understand


def test_image_ids_are_stable_and_unique_within_a_job(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    first = batch_items([a, b, a])
    assert [item.source for item in first] == [str(a), str(b), str(a)]
    assert len({item.id for item in first}) == 3  # the same file listed twice: two ids
    assert first[2].id == f"{first[0].id}-2"
    # Derived from the source alone: the same in another run, whatever the position.
    assert [item.id for item in batch_items([b, a])] == [first[1].id, first[0].id]
    assert first[0].id == image_id(str(a)) != image_id(str(b))
    assert len(image_id(str(a))) == 16 and int(image_id(str(a)), 16) >= 0


def test_resume_reads_ids_as_written_and_refuses_a_non_string_id(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "custom-1", "source": "/a.png", "error": null}\n')
    assert load_resume_state(out).results == {"custom-1": False}
    out.write_text('{"id": 7, "source": "/a.png", "error": null}\n')
    with pytest.raises(RequestValidationError, match="line 1"):
        load_resume_state(out)


def test_read_results_changes_nothing_and_counts_a_torn_tail(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    data = b'{"source": "/a.png", "error": {"type": "X"}}\n{"source": "/a.png"}\n{"sou'
    out.write_bytes(data)
    state = read_results(out)
    assert out.read_bytes() == data
    assert state.torn_bytes == len(b'{"sou') and state.repaired_bytes == 0
    # A source on two lines: two occurrences, two ids (the second one answered).
    assert state.results == {image_id("/a.png"): True, image_id("/a.png", 2): False}
    assert state.failed == {image_id("/a.png")} and state.repeated == set()


def test_replace_results_swaps_lines_by_id_and_keeps_every_other_byte(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    lines = [
        b'{"id": "k1", "source": "/a.png", "error": {"type": "X"}}\n',
        b"\n",  # a blank line stays a blank line
        b'{"source":"/b.png",  "answer": "spacing kept", "error": null}\r\n',
        b'{"source": "/c.png", "error": {"type": "Y"}}\n',  # no id: it has /c.png's id
    ]
    out.write_bytes(b"".join(lines) + b'{"id": "torn')
    new_a = {"id": "k1", "source": "/a.png", "answer": "A", "error": None}
    new_c = {"id": image_id("/c.png"), "source": "/c.png", "answer": "C", "error": None}
    gone = {"id": "not-in-file", "source": "/d.png", "answer": "D", "error": None}
    replace_results(out, {image_id("/c.png"): new_c, "k1": new_a, "not-in-file": gone})
    after = out.read_bytes().splitlines(keepends=True)
    assert after[1:3] == lines[1:3]
    assert [json.loads(after[i]) for i in (0, 3, 4)] == [new_a, new_c, gone]
    assert len(after) == 5  # the torn tail is dropped, the unknown id added at the end
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"concurrency": 0}, "--concurrency"), ({"prompt": "  "}, "--prompt")],
)
def test_settings_validate(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"prompt": "p", "model": "m", **kwargs}
    with pytest.raises(RequestValidationError, match=message):
        BatchSettings(**values)  # type: ignore[arg-type]
