"""Function tools the core and emulator tests offer the model, built by the core
(``xai_vision.messages.function_tool``): a city's weather, and the sum of two integers."""

from __future__ import annotations

from xai_vision.messages import function_tool

WEATHER = function_tool(
    "weather",
    "Get the weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
ADD = function_tool(
    "add",
    "Add two numbers",
    {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)
