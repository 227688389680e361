"""The one JSON encoder/decoder used on the wire: orjson when importable, else the stdlib.

Both produce the same compact UTF-8 bytes for the same input (keys in insertion order, no
whitespace, non-ASCII kept as UTF-8), so request bodies are deterministic either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

try:
    import orjson

    _HAVE_ORJSON = True
except ImportError:  # pragma: no cover - exercised only where orjson is absent
    _HAVE_ORJSON = False

__all__ = ["BACKEND", "JSONDecodeError", "dumps", "dumps_stdlib", "loads", "loads_stdlib"]

#: Raised by :func:`loads` on malformed input (orjson's error subclasses this too).
JSONDecodeError = json.JSONDecodeError

_stdlib_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=lambda o: _default(o)
)

#: Which encoder is in use: ``"orjson"`` or ``"json"``.
BACKEND = "orjson" if _HAVE_ORJSON else "json"


def dumps_stdlib(obj: Any) -> bytes:
    """The stdlib encoder: compact UTF-8 bytes, the same output as orjson's for JSON data."""
    return _stdlib_encoder.encode(obj).encode("utf-8")


def loads_stdlib(data: bytes | bytearray | memoryview | str) -> Any:
    """The stdlib decoder, accepting the same inputs as orjson's."""
    if isinstance(data, memoryview):
        data = data.tobytes()
    return json.loads(data)


def _default(obj: Any) -> Any:
    """JSON forms of read-only containers (MappingProxy, ...); sets are refused: unordered."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes, bytearray)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


if _HAVE_ORJSON:
    _orjson_dumps = orjson.dumps

    def dumps(obj: Any) -> bytes:
        """Serialise to compact UTF-8 JSON bytes in one pass."""
        return _orjson_dumps(obj, default=_default)

else:  # pragma: no cover - exercised only where orjson is absent
    dumps = dumps_stdlib

#: Parse JSON text or bytes; raises :class:`JSONDecodeError` on malformed input.
loads: Callable[[bytes | bytearray | memoryview | str], Any] = (
    orjson.loads if _HAVE_ORJSON else loads_stdlib
)
