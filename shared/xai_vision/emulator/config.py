"""The emulator's settings: one frozen object shared by the server, the checks and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from xai_vision.emulator.catalog import EmulatedModel
from xai_vision.emulator.prompt_cache import DEFAULT_MAX_ENTRIES, DEFAULT_MIN_TOKENS
from xai_vision.errors import XAIVisionError
from xai_vision.samples import SAMPLE_NAMES

__all__ = [
    "DEFAULT_API_KEY",
    "README_STAND_INS",
    "EmulatorConfigError",
    "EmulatorError",
    "EmulatorSettings",
    "EmulatorStartError",
    "ToolCallMode",
]

ToolCallMode = Literal["whole", "split"]

#: A key tests can use; any non-empty Bearer key is accepted unless configured otherwise.
DEFAULT_API_KEY = "xai-emulator-key"

#: The public image URLs README's examples send (Wikimedia Commons photos), each answered with a
#: bundled sample (:mod:`xai_vision.samples`): ``xai-vision emulator`` serves these by default.
README_STAND_INS: tuple[tuple[str, str], ...] = (("https://upload.wikimedia.org/", "sky.jpg"),)


class EmulatorError(XAIVisionError):
    """Base class of the emulator's own errors (not the HTTP errors it answers with)."""


class EmulatorConfigError(EmulatorError, ValueError):
    """A setting or a control call got a bad value; names the argument and the reason."""


class EmulatorStartError(EmulatorError, RuntimeError):
    """The emulator is not running: it failed to start, or was used before start()."""


@dataclass(frozen=True)
class EmulatorSettings:
    """How the emulator behaves; every field is JSON-friendly so a subprocess can receive it.

    Image limits follow the looser documented sources (20 MiB, JPEG/PNG/WebP/static GIF) with
    the stricter "10 images per message" as the default; each is a setting.
    """

    #: ``whole``: each tool call in one delta, as recorded from xAI;
    #: ``split``: OpenAI-style argument fragments.
    stream_tool_calls: ToolCallMode = "whole"
    #: Keys answered with 400 "Incorrect API key provided".
    invalid_keys: tuple[str, ...] = ()
    #: When set, only these keys are accepted; any other key is an incorrect key (400).
    valid_keys: tuple[str, ...] | None = None
    #: Seconds added before each answer (chat completions and responses).
    latency: float = 0.0
    #: Seconds between streamed frames.
    chunk_delay: float = 0.0
    max_images_per_message: int | None = 10
    max_image_bytes: int = 20 * 1024 * 1024
    image_formats: tuple[str, ...] = ("jpeg", "png", "webp", "gif")
    #: Largest accepted request body (413 above it).
    max_body_bytes: int = 200 * 1024 * 1024
    #: Timeout for fetching loopback image URLs, like xAI's 5 s.
    fetch_timeout: float = 5.0
    #: Stand-ins for public hosts in offline tests: ``(public prefix, loopback prefix)`` pairs.
    #: An image URL that starts with a public prefix is fetched from the loopback one instead.
    url_aliases: tuple[tuple[str, str], ...] = ()
    #: Public image URLs answered offline from a bundled sample: ``(URL prefix, sample name)``
    #: pairs (names from :data:`xai_vision.samples.SAMPLE_NAMES`). An image URL that starts with
    #: a prefix is never fetched; the sample's bytes are used, and a ``stand-in:`` line on
    #: stderr says so. Checked before ``url_aliases``.
    stand_ins: tuple[tuple[str, str], ...] = ()
    #: Print one line per API request on stderr (method, path, model, image count, status,
    #: tokens); never the key, headers or image data.
    log_requests: bool = False
    #: Report ``cached_tokens`` for prompt prefixes seen before (same key and model); see
    #: :mod:`xai_vision.emulator.prompt_cache` for the rule. False: always 0.
    prompt_cache: bool = True
    #: Text tokens a shared prefix needs to count as cached (OpenAI's 1,024; recorded xAI
    #: traffic shows much shorter prompts cached, so 1 is allowed).
    prompt_cache_min_tokens: int = DEFAULT_MIN_TOKENS
    #: Prefix digests the cache keeps (an LRU); bounds its memory.
    prompt_cache_entries: int = DEFAULT_MAX_ENTRIES
    #: ``POST /v1/responses`` with images and ``store`` true (the default): xAI says such a
    #: request "may fail". False (default): it is answered and stored; True: 400.
    strict_image_store: bool = False
    #: Models added to the built-in ones, or changing one (same id): a name the project has
    #: never seen, a text-only model, other prices or aliases (see :class:`EmulatedModel`).
    models: tuple[EmulatedModel, ...] = ()
    #: Report ``usage.cost_in_usd_ticks``; False answers without it, as xAI traffic recorded
    #: in 2025 does (clients then price the usage themselves).
    report_cost: bool = True
    #: Seconds between a batch request's arrival and its answer (``/v1/batches``).
    batch_delay: float = 0.0
    #: Largest ``POST /v1/batches/{id}/requests`` body (413 above it): xAI's 25,000,000 bytes.
    batch_max_request_bytes: int = 25_000_000
    #: Models xAI does not take for batch processing (a 400 when requests name one).
    batch_refused_models: tuple[str, ...] = ("grok-4.5", "grok-code-fast-1")

    def __post_init__(self) -> None:
        if self.stream_tool_calls not in ("whole", "split"):
            raise EmulatorConfigError(
                f"stream_tool_calls must be 'whole' or 'split', got {self.stream_tool_calls!r}"
            )
        for name in ("latency", "chunk_delay", "fetch_timeout", "batch_delay"):
            if getattr(self, name) < 0:
                raise EmulatorConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.max_images_per_message is not None and self.max_images_per_message < 1:
            raise EmulatorConfigError(
                f"max_images_per_message must be >= 1 or None, got {self.max_images_per_message}"
            )
        for name in (
            "max_image_bytes",
            "max_body_bytes",
            "prompt_cache_min_tokens",
            "prompt_cache_entries",
            "batch_max_request_bytes",
        ):
            if getattr(self, name) < 1:
                raise EmulatorConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        aliases = tuple((str(public), str(local)) for public, local in self.url_aliases)
        object.__setattr__(self, "url_aliases", aliases)
        for public, local in aliases:
            host = urlsplit(local).hostname or ""
            if not public or host not in ("127.0.0.1", "localhost", "::1"):
                raise EmulatorConfigError(
                    f"url_aliases: {public!r} must map to a loopback URL, got {local!r}"
                )
        stand_ins = tuple((str(prefix), str(sample)) for prefix, sample in self.stand_ins)
        object.__setattr__(self, "stand_ins", stand_ins)
        for prefix, sample in stand_ins:
            if urlsplit(prefix).scheme not in ("http", "https") or not urlsplit(prefix).hostname:
                raise EmulatorConfigError(
                    f"stand_ins: {prefix!r} must be an http(s) URL prefix with a host"
                )
            if sample not in SAMPLE_NAMES:
                raise EmulatorConfigError(
                    f"stand_ins: {sample!r} is not a bundled sample; "
                    f"choose one of {', '.join(SAMPLE_NAMES)}"
                )
        if not self.image_formats:
            raise EmulatorConfigError("image_formats must name at least one format")
        models = tuple(
            m if isinstance(m, EmulatedModel) else EmulatedModel.from_json(m) for m in self.models
        )
        object.__setattr__(self, "models", models)
        names = [name for model in models for name in model.names()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise EmulatorConfigError(f"models: {', '.join(repeated)} named more than once")

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable copy (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EmulatorSettings:
        """The inverse of :meth:`to_json`; unknown keys raise ``TypeError``."""
        fixed: dict[str, Any] = {}
        for key, value in data.items():
            fixed[key] = tuple(value) if isinstance(value, list) else value
        return cls(**fixed)
