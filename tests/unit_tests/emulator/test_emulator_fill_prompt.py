"""Values for tool arguments and json_schema answers come from the prompt, never from a schema
pasted into it."""

from __future__ import annotations

from xai_vision.emulator.fill import PromptValues, without_json_objects


def test_embedded_json_objects_are_removed_and_the_rest_kept() -> None:
    prompt = 'Read {x}: {"a": {"b": 1}, "t": "S"} then "red" 3 {bad'
    assert without_json_objects(prompt) == 'Read {x}:  then "red" 3 {bad'


def test_template_escaped_schemas_are_removed_too() -> None:
    schema = '{{"properties": {{"colour": {{"type": "string"}}}}}}'
    prompt = f'Schema: {schema} Answer "blue" with 2 items.'
    values = PromptValues(prompt, "fallback")
    assert list(values.strings) == ["blue"]
    assert list(values.numbers) == [2.0]


def test_json_arrays_and_plain_braces_are_left_alone() -> None:
    prompt = 'Pick from ["a", "b"] in {curly} 7'
    values = PromptValues(prompt, "")
    assert list(values.strings) == ["a", "b"]
    assert list(values.numbers) == [7.0]
