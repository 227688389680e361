"""The base64 codec gives the same answers with pybase64 (the ``fast`` extra) and without it."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from xai_vision import _base64


@pytest.fixture(params=["pybase64", "stdlib"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once per codec; the stdlib run is what users without ``fast`` get."""
    if request.param == "pybase64":
        pytest.importorskip("pybase64", reason="the fast extra is installed by the dev setup")
    monkeypatch.setattr(_base64, "_HAVE_PYBASE64", request.param == "pybase64")
    return str(request.param)


@given(data=st.binary(max_size=300))
def test_round_trip_matches_the_stdlib(data: bytes) -> None:
    for have in (True, False):
        _base64._HAVE_PYBASE64 = have
        try:
            encoded = _base64.b64encode_str(data)
            assert encoded == base64.b64encode(data).decode("ascii")
            assert _base64.b64decode_strict(encoded) == data
        finally:
            _base64._HAVE_PYBASE64 = _base64.BACKEND == "pybase64"


@pytest.mark.parametrize(
    "payload",
    ["YWJj!", "YW Jj", "YWJ", "YWJj\n", "abc", "Y-_j", "ÿÿÿÿ"],
    ids=["bang", "space", "short", "newline", "unpadded", "urlsafe", "non-ascii"],
)
def test_invalid_payloads_raise_binascii_error(backend: str, payload: str) -> None:
    with pytest.raises(binascii.Error):
        _base64.b64decode_strict(payload)


@pytest.mark.parametrize("payload", ["QUFB=", "QUFB====", "AAAA="])
def test_excess_padding_is_refused_by_both_codecs(backend: str, payload: str) -> None:
    """The stdlib alone would accept these (as pybase64 does not): both refuse them."""
    with pytest.raises(binascii.Error):
        _base64.b64decode_strict(payload)


def test_backend_names_the_codec_in_use() -> None:
    try:
        import pybase64  # noqa: F401
    except ImportError:
        assert _base64.BACKEND == "stdlib"
    else:
        assert _base64.BACKEND == "pybase64"


@contextmanager
def pieces_of(size: int) -> Iterator[None]:
    """Decode every payload over ``size`` characters in pieces of ``size`` (real sizes: MiB)."""
    saved = _base64.ONE_PASS_MAX, _base64.PIECE
    _base64.ONE_PASS_MAX = _base64.PIECE = size
    try:
        yield
    finally:
        _base64.ONE_PASS_MAX, _base64.PIECE = saved


def _answer(decode: Callable[[], bytes]) -> bytes | str:
    try:
        return decode()
    except binascii.Error:
        return "error"


@given(data=st.binary(max_size=120), piece=st.sampled_from([4, 8, 12]), pybase64=st.booleans())
def test_decoding_in_pieces_round_trips(data: bytes, piece: int, pybase64: bool) -> None:
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    _base64._HAVE_PYBASE64 = pybase64 and _base64.BACKEND == "pybase64"
    try:
        with pieces_of(piece):
            assert _base64.b64decode_strict_from(uri, 22) == data
    finally:
        _base64._HAVE_PYBASE64 = _base64.BACKEND == "pybase64"


@given(text=st.text(alphabet="QAw/+=!é", max_size=28), piece=st.sampled_from([4, 8]))
def test_pieces_give_the_one_pass_answer_for_any_text(text: str, piece: int) -> None:
    """Both codecs, in pieces, answer as pybase64 does in one pass: '=' only at the very end."""
    pytest.importorskip("pybase64", reason="the fast extra is installed by the dev setup")
    expected = _answer(lambda: _base64.b64decode_strict(text))
    try:
        for have in (True, False):
            _base64._HAVE_PYBASE64 = have
            with pieces_of(piece):
                assert _answer(lambda: _base64.b64decode_strict_from("x," + text, 2)) == expected
    finally:
        _base64._HAVE_PYBASE64 = _base64.BACKEND == "pybase64"


@pytest.mark.parametrize("payload", ["QQ==QUFB", "QUFBQQ==QUFB", "QUFB=QUF", "QUE=QUFB"])
def test_padding_in_a_middle_piece_is_refused_though_valid_alone(
    backend: str, payload: str
) -> None:
    with pieces_of(4), pytest.raises(binascii.Error):
        _base64.b64decode_strict_from(payload, 0)


def test_a_real_sized_payload_decodes_in_pieces_with_padding_only_at_the_end(backend: str) -> None:
    data = bytes(range(256)) * (_base64.ONE_PASS_MAX // 256) + b"x"  # > ONE_PASS_MAX chars
    encoded = base64.b64encode(data).decode("ascii")
    assert encoded.endswith("=") and len(encoded) > _base64.ONE_PASS_MAX
    assert _base64.b64decode_strict_from("data:," + encoded, 6) == data
    at = 6 + _base64.PIECE  # a piece boundary: the piece before it ends in a valid "QQ=="
    broken = "data:," + encoded[: _base64.PIECE - 4] + "QQ==" + encoded[_base64.PIECE :]
    assert len(broken) == len(encoded) + 6 and broken[at - 4 : at] == "QQ=="
    with pytest.raises(binascii.Error):
        _base64.b64decode_strict_from(broken, 6)
