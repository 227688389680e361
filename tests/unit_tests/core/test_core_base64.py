"""The base64 codec gives the same answers with pybase64 (the ``fast`` extra) and without it."""

from __future__ import annotations

import base64
import binascii

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
