"""SSE decoding: frames, line endings, comments, arbitrary chunk boundaries, cut-off frames."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

from hypothesis import given, settings
from hypothesis import strategies as st
from xai_vision.sse import DONE, SSEDecoder, SSEEvent, aiter_sse, iter_sse

STREAM = (
    b'data: {"a":1}\n\n'
    b": keep-alive comment\n\n"
    b"event: update\nid: 7\ndata: line one\ndata: line two\n\n"
    b"data:no-space\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SSEEvent('{"a":1}'),
    SSEEvent("line one\nline two", event="update", id="7"),
    SSEEvent("no-space", id="7"),
    SSEEvent(DONE, id="7"),
]


def decode_all(pieces: list[bytes]) -> list[SSEEvent]:
    return list(iter_sse(pieces))


def test_whole_stream_decodes_every_event_in_order() -> None:
    assert decode_all([STREAM]) == EXPECTED


def test_crlf_and_cr_line_endings_decode_like_lf() -> None:
    assert decode_all([STREAM.replace(b"\n", b"\r\n")]) == EXPECTED
    assert decode_all([STREAM.replace(b"\n", b"\r")]) == EXPECTED


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    pieces = [b'data: {"a":1}\r', b"\n\r", b"\ndata: x\r\n\r\n"]
    assert decode_all(pieces) == [SSEEvent('{"a":1}'), SSEEvent("x")]


def test_byte_at_a_time_feeding_gives_the_same_events() -> None:
    assert decode_all([bytes([b]) for b in STREAM]) == EXPECTED


def test_multibyte_utf8_split_across_chunks_survives() -> None:
    frame = "data: Olá 😊\n\n".encode()
    cut = frame.index("😊".encode()) + 2
    assert decode_all([frame[:cut], frame[cut:]]) == [SSEEvent("Olá 😊")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(STREAM)]
    pieces = [STREAM[a:b] for a, b in itertools.pairwise(bounds)]
    crlf = STREAM.replace(b"\n", b"\r\n")
    crlf_bounds = [0, *sorted(min(c * 2, len(crlf)) for c in cuts), len(crlf)]
    crlf_pieces = [crlf[a:b] for a, b in itertools.pairwise(crlf_bounds)]
    assert decode_all(pieces) == EXPECTED
    assert decode_all(crlf_pieces) == EXPECTED


def test_frame_cut_off_at_end_is_reported_incomplete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a":1}\n\ndata: {"b":') == [SSEEvent('{"a":1}')]
    assert decoder.pending
    assert decoder.close() == [SSEEvent('{"b":', complete=False)]
    assert not decoder.pending


def test_last_frame_without_blank_line_is_kept_but_marked_incomplete() -> None:
    assert decode_all([b"data: [DONE]"]) == [SSEEvent(DONE, complete=False)]
    assert decode_all([b"data: [DONE]\n"]) == [SSEEvent(DONE, complete=False)]


def test_blank_lines_and_comments_alone_produce_nothing() -> None:
    assert decode_all([b"\n\n: ping\n\n\r\n"]) == []
    assert not SSEDecoder().close()


def test_unknown_fields_and_field_without_colon_are_ignored() -> None:
    assert decode_all([b"retry: 100\nfoo: bar\ndata\ndata: x\n\n"]) == [SSEEvent("\nx")]


def test_async_iteration_matches_sync() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for b in (STREAM[:10], STREAM[10:55], STREAM[55:]):
            yield b

    async def collect() -> list[SSEEvent]:
        return [event async for event in aiter_sse(chunks())]

    assert asyncio.run(collect()) == EXPECTED
