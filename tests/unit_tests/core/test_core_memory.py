"""Big payloads are never copied whole: a data URI is decoded from the caller's string in
pieces, with every error named exactly as a one-pass decode names it."""

from __future__ import annotations

import base64
import tracemalloc

import pytest
from xai_vision import _base64
from xai_vision.errors import ImageSourceError
from xai_vision.images import parse_data_uri

HEADER = "data:image/png;base64,"


@pytest.fixture(scope="module")
def big() -> tuple[str, bytes]:
    """A data URI whose payload is over the one-pass limit (about 1.5x), and its bytes."""
    data = bytes(range(256)) * (_base64.ONE_PASS_MAX * 9 // 8 // 256) + b"\x01"
    return HEADER + base64.b64encode(data).decode("ascii"), data


def test_a_big_payload_is_decoded_without_a_payload_sized_copy(big: tuple[str, bytes]) -> None:
    uri, data = big
    assert len(uri) - len(HEADER) > _base64.ONE_PASS_MAX
    tracemalloc.start()
    try:
        mime, decoded = parse_data_uri(uri)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (mime, decoded) == ("image/png", data)
    # The result, plus a piece of text and its decoded bytes (a whole slice would be 4/3 more).
    assert peak < len(data) + 3 * _base64.PIECE


def _reason(uri: str) -> str:
    with pytest.raises(ImageSourceError) as info:
        parse_data_uri(uri)
    return info.value.reason


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(
            lambda p: p[: _base64.PIECE - 4] + "QQ==" + p[_base64.PIECE :], id="QQ==-ends-a-piece"
        ),
        pytest.param(lambda p: p[:4] + "QQ==" + p[8:], id="QQ==-in-the-first-piece"),
        pytest.param(lambda p: p[:-8] + "QQ==" + p[-4:], id="QQ==-before-the-last-quantum"),
        pytest.param(lambda p: p[:-5] + "!" + p[-4:], id="bad-character-at-the-end"),
        pytest.param(
            lambda p: p[: _base64.PIECE * 2] + " " + p[_base64.PIECE * 2 + 1 :], id="space"
        ),
        pytest.param(lambda p: p[:-1], id="cut-by-one"),
        pytest.param(lambda p: p[:-2], id="cut-by-two"),
        pytest.param(lambda p: p + "=", id="excess-padding"),
        pytest.param(lambda p: p[:1000] + "é" + p[1001:], id="non-ascii"),
    ],
)
def test_a_big_payload_is_refused_for_the_reason_a_one_pass_decode_gives(
    big: tuple[str, bytes], corrupt: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = corrupt(big[0][len(HEADER) :])  # type: ignore[operator]
    assert len(payload) > _base64.ONE_PASS_MAX
    in_pieces = _reason(HEADER + payload)
    monkeypatch.setattr(_base64, "ONE_PASS_MAX", len(payload))
    assert in_pieces == _reason(HEADER + payload)
    assert in_pieces.startswith("bad base64 in data URI: ")
