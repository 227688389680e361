"""The base64 codec gives the same answers with pybase64 (a dependency) and without it."""

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
    """Run the test once per codec; the stdlib run is what a platform without pybase64 gets."""
    if request.param == "pybase64":
        pytest.importorskip("pybase64", reason="pybase64 is a dependency")
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
    pytest.importorskip("pybase64", reason="pybase64 is a dependency")
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


#: Run in a fresh interpreter where pybase64 and orjson cannot be imported: the fallbacks serve
#: the whole wire path (an image prepared from a data URI, then the request body).
_WITHOUT_FAST_CODECS = """
import sys
sys.modules["pybase64"] = None
sys.modules["orjson"] = None
from xai_vision import _base64, _json
from xai_vision.endpoints import ChatCompletionsEndpoint
from xai_vision.images import prepare_image
from xai_vision.messages import ChatRequest, user_message
image = prepare_image(sys.stdin.read())
request = ChatRequest.build("grok-4", [user_message(["What is it?", image])])
body = ChatCompletionsEndpoint().build_body(request)
backends = f"{_base64.BACKEND} {_json.BACKEND}\\n".encode()
sys.stdout.buffer.write(backends + b"".join(body.iter_bytes()))
"""


def test_without_pybase64_and_orjson_the_stdlib_fallbacks_send_the_same_bytes() -> None:
    import io
    import subprocess
    import sys

    from PIL import Image
    from xai_vision.endpoints import ChatCompletionsEndpoint
    from xai_vision.images import prepare_image
    from xai_vision.messages import ChatRequest, user_message

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_FAST_CODECS],
        input=uri.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    backends, _, fallback_body = done.stdout.partition(b"\n")
    assert backends == b"stdlib json"
    request = ChatRequest.build("grok-4", [user_message(["What is it?", prepare_image(uri)])])
    body = ChatCompletionsEndpoint().build_body(request)
    assert fallback_body == b"".join(body.iter_bytes())
    assert uri.encode() in fallback_body
