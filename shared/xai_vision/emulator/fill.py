"""Values that satisfy a JSON schema, filled from the prompt where possible.

Used for tool-call arguments and ``response_format`` objects: numbers come from numbers in the
prompt (in order), strings from quoted strings in the prompt, then from a fallback text (the
image description or the question); enums take their first value, ``const`` its value,
``default`` is used when nothing better is known. Arrays of objects get at least one item.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Mapping
from typing import Any

from xai_vision.emulator.validation import SchemaValidator

__all__ = ["PromptValues", "fill_schema"]

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+)'(?!\w)")
_MAX_DEPTH = 8

_STRING_FORMATS: dict[str, str] = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "hostname": "example.com",
}


def without_json_objects(prompt: str) -> str:
    """``prompt`` with every embedded JSON object removed.

    Frameworks paste the output schema into the prompt (LlamaIndex's format instructions); a
    model does not copy values out of a schema, so neither does the emulator.
    """
    # Template-escaped schemas ("{{...}}") reach the wire as they are from some frameworks.
    prompt = prompt.replace("{{", "{").replace("}}", "}")
    decoder = json.JSONDecoder()
    kept: list[str] = []
    at = 0
    start = prompt.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(prompt, start)
        except ValueError:
            start = prompt.find("{", start + 1)
            continue
        if isinstance(value, dict):
            kept.append(prompt[at:start])
            at = end
        start = prompt.find("{", end)
    kept.append(prompt[at:])
    return "".join(kept)


class PromptValues:
    """Numbers and quoted strings taken from a prompt (outside embedded JSON), in order."""

    def __init__(self, prompt: str, fallback_text: str) -> None:
        prompt = without_json_objects(prompt)
        self.numbers: deque[float] = deque(float(m) for m in _NUMBER.findall(prompt))
        self.strings: deque[str] = deque(
            next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(prompt)
        )
        self.fallback_text = fallback_text

    def number(self) -> float | None:
        """The next number from the prompt, or None when they are used up."""
        return self.numbers.popleft() if self.numbers else None

    def string(self) -> str | None:
        """The next quoted string from the prompt, or None when they are used up."""
        return self.strings.popleft() if self.strings else None


def _merge_all_of(schema: Mapping[str, Any], validator: SchemaValidator) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for sub in schema["allOf"]:
        part = validator.resolve(sub)
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _pick_type(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        non_null = [t for t in declared if t != "null"]
        return non_null[0] if non_null else "null"
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def fill_schema(
    schema: Mapping[str, Any] | bool, values: PromptValues, *, root: Mapping[str, Any] | None = None
) -> Any:
    """A value valid against ``schema`` (``$ref`` resolved inside ``root``, default the schema)."""
    top = schema if isinstance(schema, Mapping) else {}
    validator = SchemaValidator(root if root is not None else top)
    return _fill(schema, values, validator, 0, "value")


def _fill(
    schema: Mapping[str, Any] | bool,
    values: PromptValues,
    validator: SchemaValidator,
    depth: int,
    name: str,
) -> Any:
    if not isinstance(schema, Mapping):
        return values.string() or values.fallback_text or name
    schema = validator.resolve(schema)
    if "allOf" in schema:
        schema = _merge_all_of(schema, validator)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [validator.resolve(b) for b in schema[key] if isinstance(b, Mapping)]
            usable = [b for b in branches if b.get("type") != "null"]
            if not usable:
                return None
            return _fill(usable[0], values, validator, depth, name)

    kind = _pick_type(schema)
    if kind == "null":
        return None
    if kind == "boolean":
        default = schema.get("default")
        return default if isinstance(default, bool) else True
    if kind in ("integer", "number"):
        return _number(schema, values, integer=kind == "integer")
    if kind == "string":
        return _string(schema, values, name)
    if kind == "array":
        low = int(schema.get("minItems", 0))
        count = max(low, 1) if depth < _MAX_DEPTH else low
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        items = schema.get("items", {})
        return [_fill(items, values, validator, depth + 1, name) for _ in range(count)]
    # object
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = list(schema.get("required", []))
    names = list(properties) if depth < _MAX_DEPTH else [n for n in properties if n in required]
    result: dict[str, Any] = {
        key: _fill(properties[key], values, validator, depth + 1, key) for key in names
    }
    for key in required:
        if key not in result:
            extra = schema.get("additionalProperties", True)
            sub = extra if isinstance(extra, Mapping) else {}
            result[key] = _fill(sub, values, validator, depth + 1, key)
    return result


def _number(schema: Mapping[str, Any], values: PromptValues, *, integer: bool) -> int | float:
    found = values.number()
    if found is None:
        default = schema.get("default")
        found = float(default) if isinstance(default, (int, float)) else 0.0
    low = schema.get("minimum")
    high = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        step = 1 if integer else 0.5
        low = max(low if low is not None else float("-inf"), schema["exclusiveMinimum"] + step)
    if "exclusiveMaximum" in schema:
        step = 1 if integer else 0.5
        high = min(high if high is not None else float("inf"), schema["exclusiveMaximum"] - step)
    if low is not None and found < low:
        found = float(low)
    if high is not None and found > high:
        found = float(high)
    if integer:
        return int(found)
    return int(found) if found == int(found) else found


def _string(schema: Mapping[str, Any], values: PromptValues, name: str) -> str:
    fmt = schema.get("format")
    text: str | None = _STRING_FORMATS.get(fmt) if isinstance(fmt, str) else None
    if text is None:
        text = values.string()
    if text is None:
        default = schema.get("default")
        text = default if isinstance(default, str) else (values.fallback_text or name)
    low = int(schema.get("minLength", 0))
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if "maxLength" in schema:
        text = text[: int(schema["maxLength"])]
    return text
