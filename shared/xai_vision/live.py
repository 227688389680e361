"""What xAI publishes about its models and text tokens, fetched on first need and cached.

``GET /v1/language-models`` lists each model's input modalities, aliases and prices;
``POST /v1/tokenize-text`` counts text exactly. The client fetches them through
:class:`LiveFacts`, one per base URL and key (:func:`live_facts_for`): in memory, and opt-in
on disk (``XAI_VISION_MODEL_CACHE`` = a directory; ``XAI_VISION_MODEL_CACHE_MAX_AGE`` =
seconds, a day by default). The key is never written: the disk cache is per base URL.

A failed fetch never fails a request: the built-in table (:mod:`xai_vision.catalog`) and the
estimates (:mod:`xai_vision.tokens`) stand in, and the fetch is tried again after a minute,
not on every call. A name neither knows is never blocked here (only xAI's own 404 stops it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from xai_vision import _json
from xai_vision.catalog import DEFAULT_MODEL, ModelFacts, model_facts
from xai_vision.errors import RequestValidationError, ResponseParseError, XAIVisionError
from xai_vision.pricing import ModelPrices

if TYPE_CHECKING:
    from xai_vision.messages import ChatRequest

__all__ = [
    "CACHE_DIR_ENV",
    "CACHE_MAX_AGE_ENV",
    "DEFAULT_MAX_AGE",
    "RETRY_AFTER_FAILURE",
    "LanguageModel",
    "LanguageModels",
    "LiveFacts",
    "ModelProfile",
    "check_request_against",
    "live_facts_for",
    "model_profile",
]

logger = logging.getLogger("xai_vision")

#: Seconds before a failed fetch is tried again (until then the fallback answers at once).
RETRY_AFTER_FAILURE: Final = 60.0
#: Seconds a fetched model list stays fresh (memory and disk).
DEFAULT_MAX_AGE: Final = 24 * 3600.0
#: A directory to keep the model list in between runs (opt-in; unset: memory only).
CACHE_DIR_ENV: Final = "XAI_VISION_MODEL_CACHE"
#: Seconds a model list on disk (and in memory) stays fresh.
CACHE_MAX_AGE_ENV: Final = "XAI_VISION_MODEL_CACHE_MAX_AGE"
#: Texts whose token count is remembered (per base URL and key); the oldest are forgotten.
TOKEN_CACHE_SIZE: Final = 4096
#: tokenize-text calls in flight at once for one async count.
_TOKENIZE_CONCURRENCY: Final = 8


# --------------------------------------------------------------------------- the model list


def _strings(entry: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = entry.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ResponseParseError(f"language model {name} must be a list of str, got {value!r}")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class LanguageModel:
    """One model as ``GET /v1/language-models`` describes it."""

    id: str
    aliases: tuple[str, ...]
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    prices: ModelPrices
    fingerprint: str | None = None
    created: int | None = None
    version: str | None = None

    @property
    def takes_images(self) -> bool:
        """Whether xAI lists ``image`` among the model's input modalities."""
        return "image" in self.input_modalities

    @classmethod
    def from_json(cls, entry: object) -> LanguageModel:
        """One ``LanguageModel`` object; ResponseParseError when it is not one."""
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            raise ResponseParseError(f"a language model needs an 'id' string, got {entry!r:.200}")
        created = entry.get("created")
        fingerprint, version = entry.get("fingerprint"), entry.get("version")
        return cls(
            id=entry["id"],
            aliases=_strings(entry, "aliases"),
            input_modalities=_strings(entry, "input_modalities"),
            output_modalities=_strings(entry, "output_modalities"),
            prices=ModelPrices.from_language_model(entry),
            fingerprint=fingerprint if isinstance(fingerprint, str) else None,
            created=created if isinstance(created, int) and not isinstance(created, bool) else None,
            version=version if isinstance(version, str) else None,
        )


class LanguageModels:
    """xAI's model list, looked up by id or alias."""

    __slots__ = ("_by_name", "fetched_at", "models")

    def __init__(self, models: Iterable[LanguageModel], fetched_at: float) -> None:
        self.models: tuple[LanguageModel, ...] = tuple(models)
        #: When the list was fetched (seconds since the epoch).
        self.fetched_at = fetched_at
        self._by_name: dict[str, LanguageModel] = {}
        for model in self.models:
            for alias in model.aliases:
                self._by_name.setdefault(alias, model)
        for model in self.models:  # an id wins over another model's alias
            self._by_name[model.id] = model

    @classmethod
    def from_json(cls, payload: object, fetched_at: float) -> LanguageModels:
        """A ``ListLanguageModelsResponse``; ResponseParseError when it is not one."""
        entries = payload.get("models") if isinstance(payload, Mapping) else None
        if not isinstance(entries, list):
            raise ResponseParseError("the language-models answer has no 'models' list")
        return cls((LanguageModel.from_json(entry) for entry in entries), fetched_at)

    def get(self, name: str) -> LanguageModel | None:
        """The model ``name`` is the id or an alias of, if xAI lists it."""
        return self._by_name.get(name)

    def __len__(self) -> int:
        return len(self.models)

    def __repr__(self) -> str:
        return f"LanguageModels({len(self.models)} models)"


# --------------------------------------------------------------------------- a model's profile


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """Everything known about one requested model name: xAI's entry when its list names it,
    and the built-in facts (context window, parameter rules) of the name it resolves to."""

    requested: str
    #: The built-in facts of :attr:`name` (patterns; ``known`` False when none matched).
    facts: ModelFacts
    #: xAI's entry for the name (by id or alias), when the live list was available and has it.
    live: LanguageModel | None

    @property
    def name(self) -> str:
        """The resolved name: xAI's id for it, else the built-in alias resolution."""
        return self.live.id if self.live is not None else self.facts.name

    @property
    def source(self) -> Literal["live", "built-in"]:
        """Where :attr:`takes_images` and :attr:`prices` come from."""
        return "live" if self.live is not None else "built-in"

    @property
    def takes_images(self) -> bool:
        """xAI's input modalities when listed; else the built-in facts (True for a name the
        project does not know: never blocked here)."""
        return self.live.takes_images if self.live is not None else self.facts.takes_images

    @property
    def prices(self) -> ModelPrices | None:
        """xAI's listed prices (None without the live list: the project has no price table)."""
        return self.live.prices if self.live is not None else None

    @property
    def context_window(self) -> int:
        """The built-in context window of the resolved name."""
        return self.facts.context_window


def model_profile(
    model: str, reasoning_effort: str | None = None, models: LanguageModels | None = None
) -> ModelProfile:
    """The profile of ``model``: xAI's entry from ``models`` (when given and listed) and the
    built-in facts of the name it resolves to."""
    live = models.get(model) if models is not None else None
    facts = model_facts(live.id if live is not None else model, reasoning_effort)
    return ModelProfile(requested=model, facts=facts, live=live)


def check_request_against(request: ChatRequest, profile: ModelProfile) -> None:
    """Refuse, before sending, what the profile says xAI would refuse: images to a model whose
    live entry lacks ``image`` input, and the parameters a model resolved through xAI's
    aliases does not take (the built-in rules of the name it resolves to)."""
    if request.images() and not profile.takes_images:
        inputs = " and ".join(profile.live.input_modalities) if profile.live else "text"
        raise RequestValidationError(
            f"model {request.model!r} does not take images: xAI lists its input as {inputs} "
            f"only (from {profile.source} model facts); use a model that takes images, such "
            f"as {DEFAULT_MODEL!r}"
        )
    if (
        profile.live is None
        or not profile.facts.known
        or model_facts(request.model, request.reasoning_effort).known
    ):
        return  # no rules known, or ChatRequest applied them to the name as given
    params = request.params()
    for name in profile.facts.rejected_params:
        if params.get(name) is not None:
            raise RequestValidationError(
                f"model {request.model!r} ({profile.name}) does not take the parameter "
                f"{name!r} (xAI answers 400); drop it or use a model that takes it"
            )


# --------------------------------------------------------------------------- the cache


class _Gate:
    """When a fetch may be tried: not within ``retry_after`` seconds of a failure."""

    __slots__ = ("error", "failed_at")

    def __init__(self) -> None:
        self.failed_at: float | None = None
        self.error: str | None = None

    def open(self, now: float, retry_after: float) -> bool:
        return self.failed_at is None or now - self.failed_at >= retry_after

    def fail(self, now: float, error: str) -> None:
        self.failed_at, self.error = now, error

    def clear(self) -> None:
        self.failed_at = self.error = None


class LiveFacts:
    """xAI's model list and text-token counts for one base URL and key, cached.

    The client does the HTTP (it passes ``fetch`` / ``tokenize`` callables); this class
    decides when to call them, remembers answers and failures, and keeps the disk cache. It is
    thread-safe, and concurrent first needs share one fetch (per thread, or per event loop).
    ``clock`` (monotonic) and ``now`` (the epoch, for the disk cache) are injectable for tests.
    """

    def __init__(
        self,
        *,
        base_url: str = "",
        cache_dir: str | os.PathLike[str] | None = None,
        max_age: float = DEFAULT_MAX_AGE,
        retry_after: float = RETRY_AFTER_FAILURE,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not max_age > 0 or not retry_after >= 0:
            raise RequestValidationError("max_age must be > 0 and retry_after >= 0 seconds")
        self.base_url = base_url
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.max_age = float(max_age)
        self.retry_after = float(retry_after)
        self._clock = clock
        self._now = now
        self._lock = threading.Lock()
        self._fetch_lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._models: LanguageModels | None = None
        self._models_gate = _Gate()
        self._disk_checked_at: float | None = None
        self._tokens: OrderedDict[tuple[str, bytes], int] = OrderedDict()
        self._token_gates: dict[str, _Gate] = {}

    def __repr__(self) -> str:
        state = f"{len(self._models)} models" if self._models is not None else "no models"
        return f"LiveFacts({self.base_url!r}, {state}, {len(self._tokens)} texts counted)"

    # ---------------------------------------------------------------- models

    @property
    def models_error(self) -> str | None:
        """Why the last model-list fetch failed (None after a success)."""
        return self._models_gate.error

    def cached_models(self) -> LanguageModels | None:
        """The model list if one is fresh in memory or on disk; never fetches."""
        with self._lock:
            models = self._models
            if models is not None and self._now() - models.fetched_at < self.max_age:
                return models
            checked = self._disk_checked_at
            if self.cache_dir is None or (
                checked is not None and self._clock() - checked < self.retry_after
            ):
                return None
            self._disk_checked_at = self._clock()
        found = self._read_disk()
        if found is not None:
            with self._lock:
                self._models = found
        return found

    def models(self, fetch: Callable[[], Any], *, force: bool = False) -> LanguageModels | None:
        """The model list: cached, else fetched with ``fetch()`` (the JSON of
        ``GET /language-models``). When the fetch fails, or failed less than
        :attr:`retry_after` seconds ago: the last list fetched (even past its age), else None.
        ``force`` fetches despite a recent failure and raises the fetch's error."""
        found = self.cached_models()
        if found is not None or not (force or self._models_due()):
            return found or self._stale_models()
        with self._fetch_lock:
            found = self.cached_models()
            if found is not None or not (force or self._models_due()):
                return found or self._stale_models()
            try:
                return self._store_models(fetch())
            except XAIVisionError as error:
                self._models_failed(error)
                if force:
                    raise
                return self._stale_models()

    async def amodels(
        self, fetch: Callable[[], Awaitable[Any]], *, force: bool = False
    ) -> LanguageModels | None:
        """Async :meth:`models`: concurrent first needs in one event loop share one fetch."""
        found = self.cached_models()
        if found is not None or not (force or self._models_due()):
            return found or self._stale_models()
        async with self._loop_lock():
            found = self.cached_models()
            if found is not None or not (force or self._models_due()):
                return found or self._stale_models()
            try:
                return self._store_models(await fetch())
            except XAIVisionError as error:
                self._models_failed(error)
                if force:
                    raise
                return self._stale_models()

    def _stale_models(self) -> LanguageModels | None:
        """The last list fetched, even if past its age (better than none while xAI fails)."""
        with self._lock:
            return self._models

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._lock:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    def _models_due(self) -> bool:
        with self._lock:
            return self._models_gate.open(self._clock(), self.retry_after)

    def _store_models(self, payload: Any) -> LanguageModels:
        models = LanguageModels.from_json(payload, fetched_at=self._now())
        with self._lock:
            self._models = models
            self._models_gate.clear()
        self._write_disk(payload)
        return models

    def _models_failed(self, error: XAIVisionError) -> None:
        with self._lock:
            self._models_gate.fail(self._clock(), f"{type(error).__name__}: {error}")
        logger.warning(
            "xai-vision: could not fetch xAI's model list from %s (%s: %s); using the built-in "
            "model facts, trying again in %.0f s",
            self.base_url or "the API",
            type(error).__name__,
            error,
            self.retry_after,
        )

    # ---------------------------------------------------------------- disk

    def _disk_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(self.base_url.encode("utf-8")).hexdigest()[:16]
        return self.cache_dir / f"language-models-{digest}.json"

    def _read_disk(self) -> LanguageModels | None:
        path = self._disk_path()
        if path is None:
            return None
        try:
            saved = _json.loads(path.read_bytes())
            fetched_at = saved["fetched_at"]
            if saved.get("base_url") != self.base_url or not isinstance(fetched_at, int | float):
                return None
            if self._now() - fetched_at >= self.max_age:
                return None
            return LanguageModels.from_json(saved["response"], fetched_at=float(fetched_at))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, XAIVisionError) as error:
            logger.info("xai-vision: ignoring the model cache %s: %s", path, error)
            return None

    def _write_disk(self, payload: Any) -> None:
        path = self._disk_path()
        if path is None:
            return
        record = {"base_url": self.base_url, "fetched_at": self._now(), "response": payload}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(_json.dumps(record))
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            logger.info("xai-vision: could not write the model cache %s: %s", path, error)

    # ---------------------------------------------------------------- text tokens

    def tokens_error(self, model: str) -> str | None:
        """Why the last tokenize-text call for ``model`` failed (None after a success)."""
        with self._lock:
            gate = self._token_gates.get(model)
            return gate.error if gate is not None else None

    def text_counts(
        self, model: str, texts: Sequence[str], tokenize: Callable[[str], Any]
    ) -> dict[str, int] | None:
        """Exact token counts of ``texts`` for ``model``: remembered, else ``tokenize(text)``
        (the JSON of ``POST /tokenize-text``). None when a call fails or failed less than
        :attr:`retry_after` seconds ago (the caller then estimates)."""
        counts, missing = self._cached_counts(model, texts)
        if not missing:
            return counts
        if not self._tokens_due(model):
            return None
        try:
            for text in missing:
                counts[text] = self._store_count(model, text, tokenize(text))
        except XAIVisionError as error:
            self._tokens_failed(model, error)
            return None
        return counts

    async def atext_counts(
        self, model: str, texts: Sequence[str], tokenize: Callable[[str], Awaitable[Any]]
    ) -> dict[str, int] | None:
        """Async :meth:`text_counts` (a few calls in flight at once)."""
        counts, missing = self._cached_counts(model, texts)
        if not missing:
            return counts
        if not self._tokens_due(model):
            return None
        gate = asyncio.Semaphore(_TOKENIZE_CONCURRENCY)

        async def one(text: str) -> int:
            async with gate:
                return self._store_count(model, text, await tokenize(text))

        try:
            found = await asyncio.gather(*(one(text) for text in missing))
        except XAIVisionError as error:
            self._tokens_failed(model, error)
            return None
        counts.update(zip(missing, found, strict=True))
        return counts

    def _cached_counts(self, model: str, texts: Sequence[str]) -> tuple[dict[str, int], list[str]]:
        counts: dict[str, int] = {"": 0}
        missing: list[str] = []
        with self._lock:
            for text in dict.fromkeys(texts):
                if not text:
                    continue
                key = (model, hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
                found = self._tokens.get(key)
                if found is None:
                    missing.append(text)
                else:
                    self._tokens.move_to_end(key)
                    counts[text] = found
        return counts, missing

    def _tokens_due(self, model: str) -> bool:
        with self._lock:
            gate = self._token_gates.get(model)
            return gate is None or gate.open(self._clock(), self.retry_after)

    def _store_count(self, model: str, text: str, payload: Any) -> int:
        tokens = payload.get("token_ids") if isinstance(payload, Mapping) else None
        if not isinstance(tokens, list):
            raise ResponseParseError("the tokenize-text answer has no 'token_ids' list")
        key = (model, hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
        with self._lock:
            self._tokens[key] = len(tokens)
            self._tokens.move_to_end(key)
            while len(self._tokens) > TOKEN_CACHE_SIZE:
                self._tokens.popitem(last=False)
            self._token_gates.pop(model, None)
        return len(tokens)

    def _tokens_failed(self, model: str, error: XAIVisionError) -> None:
        with self._lock:
            self._token_gates.setdefault(model, _Gate()).fail(
                self._clock(), f"{type(error).__name__}: {error}"
            )
        logger.warning(
            "xai-vision: could not count tokens with xAI's tokenizer at %s (%s: %s); token "
            "counts are estimates (4 characters a token), trying again in %.0f s",
            self.base_url or "the API",
            type(error).__name__,
            error,
            self.retry_after,
        )


# --------------------------------------------------------------------------- one per base URL

_REGISTRY_SIZE: Final = 32
_registry: OrderedDict[tuple[str, str | None], LiveFacts] = OrderedDict()
_registry_lock = threading.Lock()


def _max_age_from_env() -> float:
    value = os.environ.get(CACHE_MAX_AGE_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_AGE
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise RequestValidationError(
            f"{CACHE_MAX_AGE_ENV}={value!r} is invalid: expected seconds > 0"
        )
    return seconds


def live_facts_for(base_url: str, api_key: str | None) -> LiveFacts:
    """The shared :class:`LiveFacts` of one base URL and key (the key is kept only as a hash):
    every client of the process reuses it, so the model list is fetched once. The disk cache
    comes from ``XAI_VISION_MODEL_CACHE`` / ``XAI_VISION_MODEL_CACHE_MAX_AGE``."""
    key_hash = hashlib.sha256(api_key.encode()).hexdigest() if api_key else None
    with _registry_lock:
        found = _registry.get((base_url, key_hash))
        if found is not None:
            _registry.move_to_end((base_url, key_hash))
            return found
    cache_dir = os.environ.get(CACHE_DIR_ENV, "").strip() or None
    created = LiveFacts(base_url=base_url, cache_dir=cache_dir, max_age=_max_age_from_env())
    with _registry_lock:
        found = _registry.setdefault((base_url, key_hash), created)
        while len(_registry) > _REGISTRY_SIZE:
            _registry.popitem(last=False)
        return found
