"""A faithful local xAI API (chat completions and responses) for tests, demos and benchmarks.

Start it::

    from xai_vision.emulator import Emulator

    with Emulator() as emu:                      # thread mode, 127.0.0.1, ephemeral port
        client = XAIClient(api_key=emu.api_key, base_url=emu.base_url)
        ...
        emu.requests[-1].body                    # what went over the wire (key redacted)

or as the pytest fixture ``xai_emulator`` (``xai_emulator_env`` also sets ``XAI_API_KEY`` and
``XAI_BASE_URL``), or ``Emulator(mode="subprocess")``, ``python -m xai_vision.emulator --port
8765`` or ``xai-vision emulator --port 8765``.

What it serves: ``POST /v1/chat/completions``, ``POST /v1/responses``, ``GET`` and ``DELETE
/v1/responses/{id}``, ``GET /v1/models`` and ``/v1/models/{id}``. Requests are validated against
xAI's OpenAPI ``ChatRequest`` / ``ModelRequest`` schemas (packaged with this module; a built-in
validator, so no ``jsonschema`` dependency; a top-level field the schema does not list is a 422)
and xAI's image rules (format
from magic bytes: JPEG, PNG, WebP, static GIF; data-URI MIME agreeing with the bytes; strict
base64; 20 MiB; ``detail`` auto|low|high; 10 images a message; no images to text-only models;
URL images fetched only from loopback hosts, with a 5 s timeout; ``url_aliases`` lets a
public URL prefix stand for a loopback one, and ``stand_ins`` answers one with a bundled sample
image (``README_STAND_INS``: the README's Wikimedia photos, served by default by ``xai-vision
emulator``), so offline code can send the URLs real code sends). Rejections use xAI's flat
``{"code", "error"}`` bodies: 401 without credentials, 400 for a key configured as invalid,
404 unknown model, 405, 413, 415, 422 for schema violations, 400 for the rest.

Answers are deterministic, computed from what was received::

    I see 2 images.
    Image 1: 64x48 png, detail high, landscape, bright, mostly red.
    Image 2: 32x32 jpeg, detail auto, square, dark, mostly blue.
    You asked: What is in these images?

(a second colour is named when it covers at least 15% of the picture: ``mostly red, some
white``), with usage from the project's token rule (image tokens via ``estimate_image_tokens``,
text at 4 characters a token plus 3 a message), reasoning tokens for reasoning models (total =
prompt + completion + reasoning; grok-3-mini also returns ``reasoning_content``),
``cost_in_usd_ticks``, a deterministic prompt cache (a request that repeats a leading run of
whole messages of an earlier one, same key and model, reports that prefix's text tokens as
``prompt_tokens_details.cached_tokens`` once it holds 1,024 text tokens; settings
``prompt_cache``, ``prompt_cache_min_tokens``, ``prompt_cache_entries``; ``reset()`` empties
it), ``max_tokens`` truncation (``finish_reason: "length"``) and ``stop``. Tools are called
when given (named ``tool_choice``, else the tools the prompt names, in parallel unless
``parallel_tool_calls`` is false), with arguments valid against their JSON schema and filled
from the prompt's numbers and quoted strings; a tool result gets an answer that quotes it.
``response_format`` json_object / json_schema answers are valid JSON objects. Streams are
framed like recorded xAI traffic; tool calls stream whole (xAI) or, with
``stream_tool_calls="split"``, as OpenAI-style fragments.

The responses endpoint gives the same answers and tokens for the same conversation, as a
``response`` object (output items: reasoning, message, function calls; usage ``input_tokens``,
``output_tokens`` without the reasoning, ``total_tokens`` with it) or as its named events
(``response.created`` ... ``response.completed`` / ``response.incomplete``). Responses are
stored unless ``store`` is false (``GET``/``DELETE`` by the key that created them;
``previous_response_id`` continues one); ``strict_image_store=True`` refuses storing images.

Drive it: ``queue_reply(...)`` (text, tool calls, reasoning, or an error status/body),
``fail_next(n, status=429|500|503, retry_after=...)``, ``set_latency(seconds, chunk_delay)``,
``cut_stream(after_frames)``, ``fail_stream(after_frames)`` (an error inside the stream),
``malformed_next("json" | "sse")``, ``reset_next(n)`` (TCP
reset before any byte), ``truncate_next(n)`` (body cut short of its Content-Length),
``slow_next(seconds, n)``, ``set_fault_rate(0.1, statuses=(429, 503), seed=...)`` (a seeded
random share of requests fails), ``fault_counts()``, ``reset()`` (which also forgets stored
responses).

Models and tokens: ``GET /v1/language-models`` (and ``/{id}``) lists each model's input
modalities, aliases and the prices it bills by; ``POST /v1/tokenize-text`` cuts text into
pieces of 4 characters, so its count is the text tokens usage reports. Tests add or change
models with ``Emulator(models=[EmulatedModel("grok-9-vision", aliases=("grok-9",)),
EmulatedModel("grok-9-text", images=False)])`` (served and accepted like the built-in ones) and
break both endpoints with ``fail_model_endpoints(503)`` (``None`` mends them).

Watch it: ``log_requests=True`` (a setting and an ``Emulator`` argument) prints one line per
request on stderr: method, path, model, image count, status, tokens; never the key, headers,
message text or image data. Images answered from a stand-in are reported there too.
"""

from xai_vision.emulator.catalog import EmulatedModel
from xai_vision.emulator.config import (
    DEFAULT_API_KEY,
    README_STAND_INS,
    EmulatorConfigError,
    EmulatorError,
    EmulatorSettings,
    EmulatorStartError,
)
from xai_vision.emulator.emulator import Emulator
from xai_vision.emulator.server import serve
from xai_vision.emulator.state import RecordedRequest

__all__ = [
    "DEFAULT_API_KEY",
    "README_STAND_INS",
    "EmulatedModel",
    "Emulator",
    "EmulatorConfigError",
    "EmulatorError",
    "EmulatorSettings",
    "EmulatorStartError",
    "RecordedRequest",
    "serve",
]
