"""Request validation against xAI's OpenAPI spec (loaded from this package at run time).

Decision: the emulator ships in the core, whose only dependencies are httpx, pillow and
pydantic, so it carries its own validator for the JSON Schema subset the spec uses (``type``,
``properties``, ``required``, ``enum``, ``const``, ``oneOf``/``anyOf``/``allOf``, ``items``,
``min/maxItems``, numeric bounds, ``additionalProperties``, ``propertyNames``, ``$ref``, and
``format: int32/int64`` ranges). It behaves like xAI's deserialiser: integers must be JSON
integers, and the first failure is reported with its path. ``jsonschema`` is never needed at
run time; the tests cross-check this validator against it.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
from collections.abc import Mapping
from typing import Any

from xai_vision import _json

__all__ = ["Rejection", "SchemaValidator", "load_spec", "spec_validator"]

_INT_RANGES: dict[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}

#: gRPC status texts xAI puts in the ``code`` field of its flat error bodies.
STATUS_CODES: dict[int, str] = {
    400: "Client specified an invalid argument",
    401: "The request does not have valid authentication credentials",
    403: "The caller does not have permission to execute the specified operation",
    404: "Some requested entity was not found",
    405: "Operation is not implemented or not supported",
    408: "Deadline expired before operation could complete",
    413: "Client specified an invalid argument",
    415: "Client specified an invalid argument",
    422: "Client specified an invalid argument",
    429: "Some resource has been exhausted",
    500: "Internal error",
    502: "The service is currently unavailable",
    503: "The service is currently unavailable",
    504: "Deadline expired before operation could complete",
}


class Rejection(Exception):  # noqa: N818 - an HTTP answer, not a failure of the emulator
    """An HTTP error answer: status, xAI's flat body ``{"code", "error"}`` and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.code = code if code is not None else STATUS_CODES.get(status, "Unknown error")
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{status}: {message}")

    def body(self) -> dict[str, str]:
        """The flat error body xAI sends."""
        return {"code": self.code, "error": self.message}


@functools.lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """xAI's OpenAPI spec, read once from the package data."""
    text = (
        importlib.resources.files("xai_vision.emulator").joinpath("xai-openapi.json").read_bytes()
    )
    spec: dict[str, Any] = _json.loads(text)
    return spec


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "null":
        return value is None
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _best_failure(failures: list[tuple[str, str]]) -> tuple[str, str]:
    """The failure of the branch that got furthest; enum misses on one path are merged."""

    # Branches whose type matched (a failure other than "invalid type") explain more.
    def rank(failure: tuple[str, str]) -> tuple[int, bool]:
        return len(failure[0]), not failure[1].startswith("invalid type")

    top = max(rank(f) for f in failures)
    deepest = [f for f in failures if rank(f) == top]
    paths = {p for p, _ in deepest}
    if (
        len(deepest) > 1
        and len(paths) == 1
        and all(r.startswith("unknown variant") for _, r in deepest)
    ):
        head = deepest[0][1].split(", expected one of ")[0]
        variants = [r.split(", expected one of ")[1] for _, r in deepest]
        return deepest[0][0], f"{head}, expected one of {', '.join(variants)}"
    return deepest[0]


class SchemaValidator:
    """Validates JSON values against schemas that may ``$ref`` into one root document."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._order: dict[int, tuple[Mapping[str, Any], list[tuple[str, Any]]]] = {}

    def _ordered(self, properties: Mapping[str, Any]) -> list[tuple[str, Any]]:
        """Properties with ``enum``/``const`` first: in a ``oneOf`` of message variants the
        ``role`` discriminator then rejects a wrong branch before its content is walked."""
        cached = self._order.get(id(properties))
        if cached is not None and cached[0] is properties:
            return cached[1]
        items = sorted(
            properties.items(),
            key=lambda item: (
                not (isinstance(item[1], Mapping) and ("enum" in item[1] or "const" in item[1]))
            ),
        )
        self._order[id(properties)] = (properties, items)
        return items

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow ``$ref`` (local ``#/...`` pointers only) until a schema without one."""
        seen = 0
        while "$ref" in schema:
            ref = schema["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise ValueError(f"unsupported $ref {ref!r}")
            node: Any = self._root
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = node
            seen += 1
            if seen > 64:
                raise ValueError(f"$ref cycle at {ref!r}")
        return schema

    def first_error(self, value: Any, schema: Mapping[str, Any], path: str = "") -> str | None:
        """The first violation as ``"<path>: <reason>"``, or None when ``value`` is valid."""
        found = self._check(value, schema, path)
        if found is None:
            return None
        where, reason = found
        return f"{where}: {reason}" if where else reason

    def _check(
        self, value: Any, schema: Mapping[str, Any] | bool, path: str
    ) -> tuple[str, str] | None:
        if schema is True:
            return None
        if schema is False:
            return path, "no value is allowed here"
        schema = self.resolve(schema)

        expected = schema.get("type")
        if expected is not None:
            types = expected if isinstance(expected, list) else [expected]
            if not any(_type_ok(value, t) for t in types):
                return path, f"invalid type: {_kind(value)}, expected {' or '.join(types)}"
        if "const" in schema and value != schema["const"]:
            return path, f"expected {schema['const']!r}"
        if "enum" in schema and value not in schema["enum"]:
            variants = ", ".join(f"`{v}`" for v in schema["enum"])
            return path, f"unknown variant `{value}`, expected one of {variants}"

        for key in ("oneOf", "anyOf"):
            if key in schema:
                failures = [self._check(value, sub, path) for sub in schema[key]]
                if all(f is not None for f in failures):
                    return _best_failure([f for f in failures if f is not None])
        for sub in schema.get("allOf", ()):
            found = self._check(value, sub, path)
            if found is not None:
                return found

        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return self._check_number(value, schema, path)
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                return path, f"shorter than {schema['minLength']} characters"
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                return path, f"longer than {schema['maxLength']} characters"
            return None
        if isinstance(value, list):
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                return path, f"more than {schema['maxItems']} items ({len(value)})"
            if "minItems" in schema and len(value) < schema["minItems"]:
                return path, f"fewer than {schema['minItems']} items ({len(value)})"
            items = schema.get("items")
            if items is not None:
                for i, item in enumerate(value):
                    found = self._check(item, items, _join(path, i))
                    if found is not None:
                        return found
            return None
        if isinstance(value, dict):
            return self._check_object(value, schema, path)
        return None

    def _check_number(
        self, value: float, schema: Mapping[str, Any], path: str
    ) -> tuple[str, str] | None:
        if isinstance(value, float) and not math.isfinite(value):
            return path, "not a finite number"
        bounds = _INT_RANGES.get(schema.get("format", ""))
        if bounds is not None and isinstance(value, int) and not bounds[0] <= value <= bounds[1]:
            return path, f"{value} is out of range for {schema['format']}"
        if "minimum" in schema and value < schema["minimum"]:
            return path, f"{value} is less than the minimum {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return path, f"{value} is greater than the maximum {schema['maximum']}"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return path, f"{value} must be greater than {schema['exclusiveMinimum']}"
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return path, f"{value} must be less than {schema['exclusiveMaximum']}"
        return None

    def _check_object(
        self, value: dict[str, Any], schema: Mapping[str, Any], path: str
    ) -> tuple[str, str] | None:
        for name in schema.get("required", ()):
            if name not in value:
                return path, f"missing field `{name}`"
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name, sub in self._ordered(properties):
            if name in value:
                found = self._check(value[name], sub, _join(path, name))
                if found is not None:
                    return found
        names = schema.get("propertyNames")
        if isinstance(names, Mapping):
            names = self.resolve(names)
            for name in value:
                if names.get("type") == "integer":
                    try:
                        int(name)
                    except ValueError:
                        return _join(path, name), "key must be an integer"
                else:
                    found = self._check(name, names, _join(path, name))
                    if found is not None:
                        return found
        extra = schema.get("additionalProperties", True)
        if extra is not True:
            for name, item in value.items():
                if name in properties:
                    continue
                if extra is False:
                    return path, f"unknown field `{name}`"
                found = self._check(item, extra, _join(path, name))
                if found is not None:
                    return found
        return None


@functools.lru_cache(maxsize=1)
def spec_validator() -> SchemaValidator:
    """A validator whose ``$ref`` pointers resolve into the packaged spec."""
    return SchemaValidator(load_spec())


def spec_schema(name: str) -> dict[str, Any]:
    """The spec's ``components.schemas[name]`` (e.g. ``ChatRequest``)."""
    schema: dict[str, Any] = load_spec()["components"]["schemas"][name]
    return schema
