"""The HTTP client: :class:`XAIClient` (sync, plus ``acreate`` / ``astream``) and
:class:`AsyncXAIClient` over httpx.

Each client keeps one connection pool for its lifetime, sends bodies built once by its
:class:`~xai_vision.endpoints.Endpoint` (in pieces, with a Content-Length: a big image is
never joined into one body), retries what is worth retrying, and turns every
failure into a typed :mod:`xai_vision.errors` exception. The API key is held as a
:class:`pydantic.SecretStr`: it appears in no repr, log line or error message.

A missing key raises :class:`~xai_vision.errors.MissingAPIKeyError` when the first request
would be sent, not at construction, so a client can be built before the key is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _package_version
from typing import TYPE_CHECKING, Any, Final, cast

import httpx
from pydantic import SecretStr

from xai_vision import _json
from xai_vision.catalog import model_facts
from xai_vision.documents import PDF_MIME_TYPE
from xai_vision.endpoints import (
    STREAM_DONE,
    ChatCompletionsEndpoint,
    Endpoint,
    RequestBody,
    StreamParser,
)
from xai_vision.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    MissingAPIKeyError,
    RateLimitError,
    RequestValidationError,
    ResponseParseError,
    StreamError,
    StreamInterruptedError,
    XAIVisionError,
    error_class_for_status,
)
from xai_vision.files import AsyncFiles, FileIdCache, Files, resolve_file_cache
from xai_vision.live import (
    LanguageModels,
    LiveFacts,
    ModelProfile,
    check_request_against,
    live_facts_for,
    model_profile,
)
from xai_vision.models import ChatCompletion, ChatCompletionChunk, Usage
from xai_vision.pricing import CostEstimate, batch_price_ticks, estimate_cost
from xai_vision.retry import RetryPolicy, is_retryable_status, parse_retry_after
from xai_vision.sse import SSEDecoder
from xai_vision.tokens import (
    ESTIMATE_NOTE,
    EstimatedImage,
    PromptTokens,
    count_prompt_tokens,
    estimate_text_tokens,
    prompt_texts,
)

if TYPE_CHECKING:
    from xai_vision.batches import AsyncBatches, Batches
    from xai_vision.messages import ChatRequest

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "AsyncXAIClient", "XAIClient"]

DEFAULT_BASE_URL: Final = "https://api.x.ai/v1"
DEFAULT_TIMEOUT: Final = 60.0
#: Connect timeout when the timeout is given as one number: fail fast on an unreachable host.
_CONNECT_TIMEOUT: Final = 10.0
#: Connections per pool. Only 20 stay open while idle: httpcore checks every idle connection's
#: socket on every pool event, so 100 idle ones cost more CPU than reopening (benchmarks, W3).
_MAX_CONNECTIONS: Final = 100
_LIMITS: Final = httpx.Limits(max_connections=_MAX_CONNECTIONS, max_keepalive_connections=20)
_REQUEST_ID_HEADERS: Final = ("x-request-id", "request-id", "xai-request-id", "x-xai-request-id")
_MAX_ERROR_TEXT: Final = 500

logger = logging.getLogger("xai_vision")
_NO_GATE: Final = contextlib.nullcontext()

try:
    _VERSION = _package_version("xai-vision")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    _VERSION = "0"
USER_AGENT: Final = f"xai-vision/{_VERSION}"


# --------------------------------------------------------------------------- configuration


def _resolve_key(api_key: str | SecretStr | None) -> SecretStr | None:
    if isinstance(api_key, SecretStr):
        value = api_key.get_secret_value()
    elif api_key is None:
        value = os.environ.get("XAI_API_KEY", "")
    elif isinstance(api_key, str):
        value = api_key
    else:
        raise RequestValidationError(
            f"api_key has type {type(api_key).__name__}: expected a str or pydantic.SecretStr"
        )
    value = value.strip()
    if not value:
        return None
    if not value.isascii() or not value.isprintable():
        # Never echo the value: it is a secret even when malformed.
        raise RequestValidationError("api_key is invalid: it holds non-ASCII or control characters")
    return SecretStr(value)


def _resolve_base_url(base_url: str | None) -> str:
    value = (
        base_url
        or os.environ.get("XAI_BASE_URL")
        or os.environ.get("XAI_API_BASE")
        or DEFAULT_BASE_URL
    )
    if not isinstance(value, str):
        raise RequestValidationError(f"base_url={value!r} is invalid: expected a str")
    try:
        url = httpx.URL(value.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise RequestValidationError(f"base_url={value!r} is not a valid URL: {exc}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise RequestValidationError(
            f"base_url={value!r} is invalid: expected an http(s) URL with a host"
        )
    if url.userinfo:
        raise RequestValidationError(
            "base_url is invalid: credentials in the URL are not allowed; pass api_key"
        )
    return str(url).rstrip("/")


def _resolve_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        if None in (timeout.connect, timeout.read, timeout.write, timeout.pool):
            raise RequestValidationError(
                "timeout is invalid: every phase of an httpx.Timeout needs a limit"
            )
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise RequestValidationError(
            f"timeout={timeout!r} is invalid: expected seconds > 0 or an httpx.Timeout"
        )
    return httpx.Timeout(float(timeout), connect=min(float(timeout), _CONNECT_TIMEOUT))


def _request_id(headers: httpx.Headers) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)
    return None


def _is_retryable(error: XAIVisionError) -> bool:
    if isinstance(error, StreamInterruptedError):
        return False
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, (StreamError, ResponseParseError)):
        return False
    return (
        isinstance(error, APIError)
        and error.status_code is not None
        and (is_retryable_status(error.status_code))
    )


class _Stream:
    """Per-stream state: SSE decoding, end detection, and the interrupted-stream check."""

    __slots__ = ("_decoder", "_parser", "chunks", "done", "finished", "received")

    def __init__(self, parser: StreamParser) -> None:
        self._parser = parser
        self._decoder = SSEDecoder()
        self.received = False
        self.done = False
        self.finished = False
        self.chunks = 0

    def feed(self, data: bytes) -> Iterator[ChatCompletionChunk]:
        """Chunks completed by ``data``, in order (an error frame raises in its place)."""
        self.received = True
        for event in self._decoder.feed(data):
            item = self._parser.parse_event(event)
            if item is STREAM_DONE:
                self.done = True
                return
            if isinstance(item, ChatCompletionChunk):
                if item.finish_reason is not None:
                    self.finished = True
                self.chunks += 1
                yield item

    def close(self) -> list[ChatCompletionChunk]:
        """End of body: a trailing unterminated frame is used if whole; else the stream was cut."""
        out: list[ChatCompletionChunk] = []
        for event in self._decoder.close():
            try:
                item = self._parser.parse_event(event)
            except ResponseParseError as exc:
                if self.finished:  # the answer is whole; only a trailing frame was cut
                    break
                raise StreamInterruptedError(
                    f"the stream ended in the middle of a frame after {self.chunks} chunks"
                ) from exc
            if item is STREAM_DONE:
                self.done = True
            elif isinstance(item, ChatCompletionChunk):
                self.finished = self.finished or item.finish_reason is not None
                out.append(item)
        if not (self.done or self.finished):
            raise StreamInterruptedError(
                f"the stream ended without a finish_reason or [DONE] after {self.chunks} chunks:"
                " the answer is incomplete"
            )
        self.chunks += len(out)
        return out


class _BaseClient:
    """Configuration, headers, error mapping and retry decisions shared by both clients."""

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        base_url: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        endpoint: Endpoint | None,
        retry_policy: RetryPolicy | None,
        live_facts: LiveFacts | bool,
        file_cache: FileIdCache | str | os.PathLike[str] | None = None,
    ) -> None:
        self._api_key = _resolve_key(api_key)
        self._file_cache = resolve_file_cache(file_cache)
        self._base_url = _resolve_base_url(base_url)
        if live_facts is True:
            key = self._api_key.get_secret_value() if self._api_key is not None else None
            self._live: LiveFacts | None = live_facts_for(self._base_url, key)
        elif live_facts is False:
            self._live = None
        elif isinstance(live_facts, LiveFacts):
            self._live = live_facts
        else:
            raise RequestValidationError(
                f"live_facts has type {type(live_facts).__name__}: expected a bool or LiveFacts"
            )
        self._timeout = _resolve_timeout(timeout)
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise RequestValidationError(
                f"max_retries={max_retries!r} is invalid: expected an int >= 0"
            )
        self._retry = dataclasses.replace(retry_policy or RetryPolicy(), max_retries=max_retries)
        self._endpoint: Endpoint = endpoint if endpoint is not None else ChatCompletionsEndpoint()
        self._url = self._base_url + self._endpoint.path
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        headers["User-Agent"] = USER_AGENT
        for name, value in (default_headers or {}).items():
            if name.lower() == "authorization":
                raise RequestValidationError(
                    "default_headers sets Authorization: pass the key as api_key instead"
                )
            headers[name] = value
        self._headers = headers
        self._stream_headers = {**headers, "Accept": "text/event-stream"}

    # ---------------------------------------------------------------- public configuration

    @property
    def api_key(self) -> SecretStr | None:
        """The key in use, as a SecretStr (None until one is configured)."""
        return self._api_key

    @property
    def base_url(self) -> str:
        """The resolved base URL, without a trailing slash."""
        return self._base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout applied to every request."""
        return self._timeout

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._retry.max_retries

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry and backoff settings."""
        return self._retry

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint that encodes requests and decodes answers."""
        return self._endpoint

    @property
    def live_facts(self) -> LiveFacts | None:
        """xAI's model list and token counts as this client caches them (None: turned off,
        the built-in facts and estimates only)."""
        return self._live

    @property
    def file_cache(self) -> FileIdCache:
        """The ids of bytes already uploaded (``files.file_id_for``): in memory, and on disk
        when the client was given ``file_cache=<path>``."""
        return self._file_cache

    def __repr__(self) -> str:
        key = "set" if self._api_key is not None else "unset"
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, endpoint={self._endpoint!r},"
            f" timeout={self._timeout.read}, max_retries={self._retry.max_retries},"
            f" api_key={key})"
        )

    # ---------------------------------------------------------------- live model facts

    def _live_on(self) -> LiveFacts | None:
        """The live facts, when they can be fetched (on, and a key to ask with)."""
        return self._live if self._api_key is not None else None

    def _needs_model_list(self, request: ChatRequest) -> bool:
        """Whether a request needs xAI's model list before it is sent: its name is one the
        built-in table does not know (a new model, or an alias only xAI can resolve)."""
        return not model_facts(request.model, request.reasoning_effort).known

    def _text_count_note(self, model: str) -> str:
        """Why a count falls back to the estimate, for :attr:`PromptTokens.note`."""
        if self._live is None:
            reason = "live facts are off"
        elif self._api_key is None:
            reason = "no API key to ask xAI's tokenizer with"
        else:
            reason = f"xAI's tokenizer failed: {self._live.tokens_error(model) or 'unknown'}"
        return f"{ESTIMATE_NOTE} ({reason})"

    @staticmethod
    def _tokenize_body(model: str, text: str) -> dict[str, str]:
        return {"model": model, "text": text}

    @staticmethod
    def _cost_estimate(
        request: ChatRequest, prompt: PromptTokens, profile: ModelProfile
    ) -> CostEstimate:
        return estimate_cost(prompt, profile.prices, max_output_tokens=request.max_tokens)

    @staticmethod
    def _with_usage(
        item: ChatCompletion | ChatCompletionChunk, usage: Usage | None
    ) -> ChatCompletion | ChatCompletionChunk:
        return item if usage is item.usage else item.model_copy(update={"usage": usage})

    # ---------------------------------------------------------------- request plumbing

    @staticmethod
    def _check_against(request: ChatRequest, models: LanguageModels | None) -> None:
        """Refuse ``request`` before sending when xAI's entry for its model rules it out."""
        if models is not None:
            profile = model_profile(request.model, request.reasoning_effort, models)
            check_request_against(request, profile)

    @staticmethod
    def _priced_by(usage: Usage, model: str, models: LanguageModels | None) -> Usage:
        """``usage`` with its cost computed from the prices ``models`` list for ``model``."""
        prices = model_profile(model, None, models).prices
        return usage if prices is None else usage.priced(prices)

    def _prompt_tokens(
        self,
        model: str,
        counts: Mapping[str, int] | None,
        messages: Sequence[Mapping[str, Any]],
        images: Sequence[EstimatedImage],
        tools: Sequence[Mapping[str, Any]] | None,
        response_format: Mapping[str, Any] | None,
    ) -> PromptTokens:
        """The prompt's tokens: text by the tokenizer's ``counts``, else estimated (a note
        says so); images by the tile rule."""
        if counts is None:
            note = self._text_count_note(model)
            return count_prompt_tokens(messages, images, tools, response_format, note=note)
        return count_prompt_tokens(
            messages, images, tools, response_format, text_tokens=counts.__getitem__
        )

    def _uploads_documents(self, request: ChatRequest) -> bool:
        """Whether inline PDFs must go through the Files API first (chat completions' ``file``
        part takes only ``file_id`` or ``url``; responses takes inline ``file_data``)."""
        return isinstance(self._endpoint, ChatCompletionsEndpoint) and (
            request.has_inline_documents()
        )

    def _call_headers(self, length: int | None, *, stream: bool = False) -> dict[str, str]:
        """Headers of one call: the key, the accept type and, for a body of ``length`` bytes,
        its type and length (httpx then sends a body's pieces as they are, not chunked)."""
        headers = dict(self._stream_headers if stream else self._headers)
        headers["Authorization"] = self._bearer()
        if length is None:
            del headers["Content-Type"]
        else:
            headers["Content-Length"] = str(length)
        return headers

    def _chat_call(
        self, request: ChatRequest, *, stream: bool = False, include_usage: bool = True
    ) -> tuple[RequestBody, dict[str, str]]:
        """The body and headers of a chat request to the endpoint (logged at debug level)."""
        if stream:
            body = self._endpoint.build_body(request, stream=True, include_usage=include_usage)
        else:
            body = self._endpoint.build_body(request)
        headers = self._call_headers(body.length, stream=stream)
        headers.update(self._endpoint.headers(request))
        self._log_request(request, body, stream=stream)
        return body, headers

    def _bearer(self) -> str:
        """The Authorization value; MissingAPIKeyError when no key is configured."""
        if self._api_key is None:
            raise MissingAPIKeyError(
                "no xAI API key: pass api_key=... or set the XAI_API_KEY environment variable"
            )
        return "Bearer " + self._api_key.get_secret_value()

    def _api_url(self, path: str) -> str:
        """``path`` (e.g. ``/language-models``) under the base URL; never another host."""
        if (
            not isinstance(path, str)
            or not path.startswith("/")
            or path.startswith("//")
            or "\\" in path
            or not path.isprintable()
            or "://" in path
        ):
            raise RequestValidationError(
                f"path={path!r} is invalid: expected an API path under the base URL,"
                " such as '/language-models'"
            )
        return self._base_url + path

    def _parse_json(self, response: httpx.Response, url: str) -> Any:
        """The JSON of a 2xx answer; ResponseParseError when it is not JSON."""
        content = response.content
        try:
            return _json.loads(content)
        except _json.JSONDecodeError as exc:
            raise ResponseParseError(
                f"the answer from {url} is not valid JSON ({exc}): {content[:200]!r}",
                status_code=response.status_code,
                request_id=_request_id(response.headers),
            ) from exc

    def _redact(self, text: str) -> str:
        if self._api_key is not None:
            secret = self._api_key.get_secret_value()
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def _log_request(self, request: ChatRequest, body: RequestBody, *, stream: bool) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "POST %s stream=%s bytes=%d %s",
                self._url,
                stream,
                body.length,
                self._endpoint.describe(request),
            )

    def _api_error(self, response: httpx.Response, content: bytes) -> APIError:
        """The typed error for a non-2xx response; the key is redacted from everything kept."""
        status = response.status_code
        headers = response.headers
        if self._api_key is not None:
            content = content.replace(self._api_key.get_secret_value().encode(), b"***")
        body: Any = None
        message: str | None = None
        code: Any = None
        try:
            body = _json.loads(content) if content else None
        except _json.JSONDecodeError:
            body = content.decode("utf-8", errors="replace")
        if isinstance(body, Mapping):
            error = body.get("error")
            if isinstance(error, Mapping):  # OpenAI style {"error": {"message", "type", "code"}}
                message = _text(error.get("message"))
                code = error.get("code") or error.get("type")
            elif error is not None:  # xAI's flat {"code", "error"}
                message = _text(error)
                code = body.get("code")
            else:
                message = _text(body.get("message") or body.get("detail"))
                code = body.get("code")
        elif isinstance(body, str) and body.strip():
            message = body.strip()[:_MAX_ERROR_TEXT]
        if 300 <= status < 400:
            location = headers.get("location", "?")
            message = f"redirect to {location} not followed (the key is never sent to another URL)"
        if not message:
            message = response.reason_phrase or f"HTTP {status}"
        message = self._redact(message)
        kwargs: dict[str, Any] = {
            "status_code": status,
            "code": None if code is None else str(code),
            "request_id": _request_id(headers),
            "body": body,
        }
        cls = error_class_for_status(status, message)
        if issubclass(cls, RateLimitError):
            return cls(message, retry_after=parse_retry_after(headers), **kwargs)
        return cls(message, **kwargs)

    def _parse_json_response(
        self, response: httpx.Response, request: ChatRequest
    ) -> ChatCompletion:
        data = self._parse_json(response, self._url)
        try:
            return self._endpoint.parse_response(data, request)
        except ResponseParseError as exc:
            exc.status_code = response.status_code
            exc.request_id = _request_id(response.headers)
            raise

    def _stream_body_error(self, response: httpx.Response, content: bytes) -> XAIVisionError:
        """A 2xx answer to a stream request that is JSON, not an event stream."""
        try:
            data = _json.loads(content)
        except _json.JSONDecodeError:
            data = None
        if isinstance(data, Mapping) and "error" in data:
            error = self._api_error(response, content)
            return StreamError(
                error.message,
                status_code=response.status_code,
                code=error.code,
                request_id=error.request_id,
                body=error.body,
            )
        return ResponseParseError(
            "expected a text/event-stream answer to a stream request, got"
            f" {response.headers.get('content-type', 'no content type')}",
            status_code=response.status_code,
            request_id=_request_id(response.headers),
        )

    def _transport_error(
        self, exc: httpx.HTTPError, *, streamed: _Stream | None, url: str | None = None
    ) -> XAIVisionError:
        url = url or self._url
        detail = self._redact(f"{type(exc).__name__}: {exc}")
        if streamed is not None and streamed.received:
            return StreamInterruptedError(
                f"the stream broke after {streamed.chunks} chunks ({detail}): the answer is"
                " incomplete"
            )
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"the request to {url} timed out ({detail})")
        return APIConnectionError(f"the request to {url} failed ({detail})")

    def _next_try_delay(
        self,
        failure: httpx.Response | httpx.HTTPError,
        retries: int,
        *,
        url: str | None = None,
        max_retries: int | None = None,
        streamed: _Stream | None = None,
    ) -> float:
        """After a failed attempt (a non-2xx ``failure`` response, its body read, or a
        transport error): the seconds to wait before the next, else its typed error raised."""
        if isinstance(failure, httpx.HTTPError):
            error: XAIVisionError = self._transport_error(failure, streamed=streamed, url=url)
            headers = None
        else:
            error, headers = self._api_error(failure, failure.content), failure.headers
        limit = self._retry_limit(max_retries)
        if retries >= limit or not _is_retryable(error):
            raise error
        delay = self._retry.delay(retries, headers)
        logger.info(
            "retrying %s in %.2fs (retry %d of %d) after: %s",
            url or self._url,
            delay,
            retries + 1,
            limit,
            error,
        )
        return delay

    def _retry_limit(self, max_retries: int | None) -> int:
        """The retries one call may make: the client's, or a valid per-call override."""
        if max_retries is None:
            return self._retry.max_retries
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise RequestValidationError(
                f"max_retries={max_retries!r} is invalid: expected an int >= 0"
            )
        return max_retries

    def _log_response(
        self, response: httpx.Response, started: float, url: str | None = None
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s in %.0f ms (request id %s)",
                response.status_code,
                url or self._url,
                (time.perf_counter() - started) * 1000,
                _request_id(response.headers),
            )


_SPENT_STREAM: Final = httpx.ByteStream(b"")


def _release(response: httpx.Response) -> None:
    """Let a finished exchange go now: an httpx response and its bound stream refer to each other,
    so the response, and the request whose body holds the images, would otherwise live until the
    next garbage collection (a payload-sized buffer per call; fresh pages for the next one)."""
    response.stream = _SPENT_STREAM


def _json_content(body: Any) -> bytes:
    """``body`` as JSON bytes; RequestValidationError when it is not JSON data."""
    try:
        return _json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise RequestValidationError(f"body is not JSON data: {exc}") from exc


def _at_batch_prices(usage: Usage) -> Usage:
    """``usage`` with a computed cost (``cost_computed``) halved: batches cost half."""
    if not usage.cost_computed or usage.cost_in_usd_ticks is None:
        return usage
    return usage.model_copy(
        update={"cost_in_usd_ticks": batch_price_ticks(usage.cost_in_usd_ticks)}
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------- async client


class AsyncXAIClient(_BaseClient):
    """Async client: ``await create(request)``, ``async for chunk in stream(request)``.

    Owns one ``httpx.AsyncClient`` per event loop (built on first use in that loop) unless
    ``http_client`` is given, which is then used as-is and never closed by this client.
    ``sleep`` replaces :func:`asyncio.sleep` between retries (tests make it instant).
    ``file_cache`` (a path, or a shared :class:`~xai_vision.files.FileIdCache`) keeps the ids
    of ``files.file_id_for`` across processes.
    ``before_attempt`` is awaited before every HTTP attempt, retries included (e.g. to wait
    for a permit from a rate limiter shared by many clients).
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        endpoint: Endpoint | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        live_facts: LiveFacts | bool = True,
        file_cache: FileIdCache | str | os.PathLike[str] | None = None,
        before_attempt: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            endpoint=endpoint,
            retry_policy=retry_policy,
            live_facts=live_facts,
            file_cache=file_cache,
        )
        self._files: AsyncFiles | None = None
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise RequestValidationError(
                f"http_client has type {type(http_client).__name__}: expected httpx.AsyncClient"
            )
        self._external = http_client
        self._owned: httpx.AsyncClient | None = None
        self._owned_loop: asyncio.AbstractEventLoop | None = None
        self._gate: asyncio.Semaphore | None = None
        self._sleep = sleep if sleep is not None else asyncio.sleep
        self._before_attempt = before_attempt

    def _client(self) -> httpx.AsyncClient:
        if self._external is not None:
            return self._external
        loop = asyncio.get_running_loop()
        if self._owned is None or self._owned_loop is not loop or self._owned.is_closed:
            # A pool is bound to the loop that opened its connections; a new loop needs a new one.
            self._owned = httpx.AsyncClient(
                timeout=self._timeout, limits=_LIMITS, follow_redirects=False
            )
            self._owned_loop = loop
            self._gate = asyncio.Semaphore(_MAX_CONNECTIONS)
        return self._owned

    @property
    def files(self) -> AsyncFiles:
        """xAI's Files API on this client, as coroutines: upload, list, get, content,
        delete, file_id_for (:class:`~xai_vision.files.AsyncFiles`)."""
        if self._files is None:
            self._files = AsyncFiles(self, self._file_cache)
        return self._files

    def _slot(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """Admission to the owned pool: callers over its size wait here, in O(1).

        httpcore rescans its whole wait queue on every pool event, so hundreds of concurrent
        calls queued inside the pool cost more CPU than the calls themselves.
        """
        return self._gate if self._gate is not None and self._external is None else _NO_GATE

    async def create(self, request: ChatRequest) -> ChatCompletion:
        """Send ``request`` and return the whole answer (retrying what is retryable).

        A model the built-in table does not know is looked up in xAI's model list first
        (fetched once, cached): an image request to a model listed without image input
        raises RequestValidationError before anything is sent.
        """
        await self._check_live(request)
        request = await self._with_uploaded_documents(request)
        body, headers = self._chat_call(request)
        response = await self._send("POST", self._url, body.acontent, headers)
        completion = self._parse_json_response(response, request)
        usage = await self._priced(completion.usage, completion.model or request.model)
        return cast(ChatCompletion, self._with_usage(completion, usage))

    # ---------------------------------------------------------------- model facts, tokens, cost

    async def _fetch_model_list(self) -> Any:
        return await self.get_json("/language-models", max_retries=0)

    async def _model_list(self, *, needed: bool = True) -> LanguageModels | None:
        live = self._live_on()
        if live is None:
            return None
        if not needed:
            return live.cached_models()
        return await live.amodels(self._fetch_model_list)

    async def _check_live(self, request: ChatRequest) -> None:
        if self._live_on() is not None:  # else the built-in rules alone: ChatRequest applied them
            models = await self._model_list(needed=self._needs_model_list(request))
            self._check_against(request, models)

    async def _priced(self, usage: Usage | None, model: str) -> Usage | None:
        """``usage`` with its cost computed from xAI's prices when xAI reported none."""
        if usage is None or usage.cost_in_usd_ticks is not None:
            return usage
        return self._priced_by(usage, model, await self._model_list())

    async def language_models(self) -> LanguageModels:
        """xAI's model list (``GET /v1/language-models``): cached, else fetched now; the
        fetch's typed error when it fails."""
        live = self._live
        if live is None:
            return LanguageModels.from_json(await self.get_json("/language-models"), time.time())

        async def fetch() -> Any:
            return await self.get_json("/language-models")

        models = await live.amodels(fetch, force=True)
        assert models is not None  # force: a failure raises
        return models

    async def model_profile(self, model: str, reasoning_effort: str | None = None) -> ModelProfile:
        """What is known about ``model``: xAI's entry (fetched on first need; the built-in
        table alone when that fails) and the built-in facts of the name it resolves to."""
        return model_profile(model, reasoning_effort, await self._model_list())

    async def count_tokens(
        self,
        messages: Sequence[Mapping[str, Any]],
        images: Sequence[EstimatedImage] = (),
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        model: str,
        response_format: Mapping[str, Any] | None = None,
    ) -> PromptTokens:
        """The prompt tokens of wire ``messages``, message by message: text counted by xAI's
        tokenizer (``POST /v1/tokenize-text``, once per text), images by the tile rule; the
        estimate, saying so in ``note``, when the tokenizer cannot be reached."""
        counts = await self._text_counts(model, prompt_texts(messages, tools, response_format))
        return self._prompt_tokens(model, counts, messages, images, tools, response_format)

    async def count_text(self, text: str, *, model: str) -> int:
        """The tokens of ``text`` alone: xAI's tokenizer (once per text), else the estimate
        (4 characters a token; a warning says so)."""
        if not isinstance(text, str):
            raise RequestValidationError(f"text must be a str, got {type(text).__name__}")
        counts = await self._text_counts(model, [text])
        return estimate_text_tokens(text) if counts is None else counts[text]

    async def _text_counts(self, model: str, texts: Sequence[str]) -> dict[str, int] | None:
        live = self._live_on()
        if live is None:
            return None

        async def tokenize(text: str) -> Any:
            body = self._tokenize_body(model, text)
            return await self.post_json("/tokenize-text", body, max_retries=0)

        return await live.atext_counts(model, texts, tokenize)

    async def estimate_cost(
        self, request: ChatRequest, images: Sequence[EstimatedImage] = ()
    ) -> CostEstimate:
        """What ``request`` is expected to cost, before sending it: its prompt tokens (see
        :meth:`count_tokens`; ``images`` are its prepared images) at xAI's listed prices,
        and at most ``max_tokens`` answer tokens."""
        prompt = await self.count_tokens(
            request.messages,
            images,
            request.tools,
            model=request.model,
            response_format=request.response_format,
        )
        profile = await self.model_profile(request.model, request.reasoning_effort)
        return self._cost_estimate(request, prompt, profile)

    async def get_json(self, path: str, *, max_retries: int | None = None) -> Any:
        """``GET`` an API path (e.g. ``/language-models``) and return its JSON.

        The same key, headers, timeout, retries and typed errors as :meth:`create`;
        ``max_retries`` overrides the client's for this call.
        """
        url = self._api_url(path)
        headers = self._call_headers(None)
        response = await self._send("GET", url, lambda: None, headers, max_retries)
        return self._parse_json(response, url)

    async def post_json(self, path: str, body: Any, *, max_retries: int | None = None) -> Any:
        """``POST`` a JSON body to an API path (e.g. ``/tokenize-text``) and return its JSON."""
        url = self._api_url(path)
        content = _json_content(body)
        headers = self._call_headers(len(content))
        response = await self._send("POST", url, lambda: content, headers, max_retries)
        return self._parse_json(response, url)

    async def post_body(
        self, path: str, body: RequestBody, *, max_retries: int | None = None
    ) -> Any:
        """``POST`` a JSON body already encoded in pieces (never joined) and return its JSON."""
        url = self._api_url(path)
        headers = self._call_headers(body.length)
        # Always as pieces: httpx keeps a bytes body on its request, which a reference cycle of
        # its response holds until the garbage collector runs (chunk after chunk of a batch).
        response = await self._send("POST", url, body.aiter_bytes, headers, max_retries)
        return self._parse_json(response, url)

    @property
    def batches(self) -> AsyncBatches:
        """xAI's Batch API through this client (:class:`~xai_vision.batches.AsyncBatches`)."""
        from xai_vision.batches import AsyncBatches

        return AsyncBatches(self)

    async def batch_priced(self, usage: Usage, model: str | None) -> Usage:
        """A batch answer's usage: xAI's cost as reported, else computed at batch prices."""
        if usage.cost_in_usd_ticks is not None:
            return usage
        priced = await self._priced(usage, model or "")
        return _at_batch_prices(priced) if priced is not None else usage

    async def _send(
        self,
        method: str,
        url: str,
        content: Callable[[], bytes | AsyncIterator[bytes] | None],
        headers: dict[str, str],
        max_retries: int | None = None,
    ) -> httpx.Response:
        """One call with retries: the 2xx response, else the typed error. ``content`` gives a
        fresh body for each attempt."""
        limit = self._retry_limit(max_retries)
        client = self._client()
        retries = 0
        while True:
            if self._before_attempt is not None:
                await self._before_attempt()
            started = time.perf_counter()
            outcome: httpx.Response | httpx.HTTPError
            try:
                async with self._slot():
                    outcome = await client.request(
                        method,
                        url,
                        content=content(),
                        headers=headers,
                        timeout=self._timeout,
                        follow_redirects=False,
                    )
                _release(outcome)
            except httpx.HTTPError as exc:
                outcome = exc
            else:
                self._log_response(outcome, started, url)
                if 200 <= outcome.status_code < 300:
                    return outcome
            await self._sleep(self._next_try_delay(outcome, retries, url=url, max_retries=limit))
            retries += 1

    def stream(
        self, request: ChatRequest, *, include_usage: bool = True
    ) -> AsyncIterator[ChatCompletionChunk]:
        """Chunks as they arrive: ``async for chunk in client.stream(request)``.

        Input and key problems raise here, before iteration; a failure before the first
        byte of the body is retried, a failure after it raises StreamInterruptedError. A
        stream is complete at ``[DONE]`` or, if the body ends without it, at a finish_reason
        (the usage chunk may then be missing).
        """
        if self._uploads_documents(request):
            return self._stream_after_upload(request, include_usage)
        body, headers = self._chat_call(request, stream=True, include_usage=include_usage)
        return self._stream(request, body, headers)

    async def _with_uploaded_documents(self, request: ChatRequest) -> ChatRequest:
        """``request`` with its inline PDFs uploaded (by ``files.file_id_for``) when needed."""
        if not self._uploads_documents(request):
            return request

        async def upload(data: bytes, filename: str) -> str:
            return await self.files.file_id_for(data, filename, mime_type=PDF_MIME_TYPE)

        return await request.awith_uploaded_documents(upload)

    async def _stream_after_upload(
        self, request: ChatRequest, include_usage: bool
    ) -> AsyncIterator[ChatCompletionChunk]:
        await self._check_live(request)  # before the upload: a refused request sends nothing
        request = await self._with_uploaded_documents(request)
        body, headers = self._chat_call(request, stream=True, include_usage=include_usage)
        chunks = cast(
            AsyncGenerator[ChatCompletionChunk, None], self._stream(request, body, headers)
        )
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            await chunks.aclose()

    async def _stream(
        self, request: ChatRequest, body: RequestBody, headers: dict[str, str]
    ) -> AsyncIterator[ChatCompletionChunk]:
        await self._check_live(request)  # the first step, so an awaited fetch can run
        chunks = self._stream_chunks(request, body, headers)
        try:
            async for chunk in chunks:
                if chunk.usage is not None and chunk.usage.cost_in_usd_ticks is None:
                    usage = await self._priced(chunk.usage, chunk.model or request.model)
                    chunk = cast(ChatCompletionChunk, self._with_usage(chunk, usage))
                yield chunk
        finally:
            await chunks.aclose()  # an early stop releases the connection now, not at GC

    async def _stream_chunks(
        self, request: ChatRequest, body: RequestBody, headers: dict[str, str]
    ) -> AsyncGenerator[ChatCompletionChunk, None]:
        client = self._client()
        retries = 0
        while True:
            if self._before_attempt is not None:
                await self._before_attempt()
            started = time.perf_counter()
            failure: httpx.Response | httpx.HTTPError
            state = _Stream(self._endpoint.stream_parser(request))
            exchange: httpx.Response | None = None
            try:
                async with client.stream(
                    "POST",
                    self._url,
                    content=body.acontent(),
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                ) as response:
                    exchange = response
                    self._log_response(response, started)
                    if not 200 <= response.status_code < 300:
                        await response.aread()
                        failure = response
                    elif response.headers.get("content-type", "").startswith("application/json"):
                        raise self._stream_body_error(response, await response.aread())
                    else:
                        async for data in response.aiter_bytes():
                            if state.done:  # drain, so the connection goes back to the pool
                                continue
                            for chunk in state.feed(data):
                                yield chunk
                        if not state.done:
                            for chunk in state.close():
                                yield chunk
                        logger.debug("stream from %s ended: %d chunks", self._url, state.chunks)
                        return
            except httpx.HTTPError as exc:
                if state.done:  # failed while draining after [DONE]: the answer is whole
                    return
                failure = exc
            finally:
                if exchange is not None:
                    _release(exchange)
            await self._sleep(self._next_try_delay(failure, retries, streamed=state))
            retries += 1

    async def aclose(self) -> None:
        """Close the connection pool this client owns (an injected client is left open)."""
        if self._owned is not None:
            owned, loop = self._owned, self._owned_loop
            self._owned, self._owned_loop = None, None
            # A pool opened in another (finished) loop cannot be closed from this one.
            if loop is asyncio.get_running_loop():
                await owned.aclose()

    async def __aenter__(self) -> AsyncXAIClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# --------------------------------------------------------------------------- sync client


class XAIClient(_BaseClient):
    """The client: ``create`` / ``stream`` (sync) and ``acreate`` / ``astream`` (async).

    Owns one ``httpx.Client`` for its lifetime unless ``http_client`` is given (then used
    as-is and never closed here); the async methods use an :class:`AsyncXAIClient` built on
    first use with the same settings (``async_http_client`` is injected into it).
    ``sleep`` / ``async_sleep`` replace the waits between retries (tests make them instant).
    ``file_cache`` (a path, or a shared :class:`~xai_vision.files.FileIdCache`) keeps the ids
    of ``files.file_id_for`` across processes; the async twin shares this client's cache.
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        endpoint: Endpoint | None = None,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        async_sleep: Callable[[float], Awaitable[None]] | None = None,
        live_facts: LiveFacts | bool = True,
        file_cache: FileIdCache | str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            endpoint=endpoint,
            retry_policy=retry_policy,
            live_facts=live_facts,
            file_cache=file_cache,
        )
        self._files: Files | None = None
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise RequestValidationError(
                f"http_client has type {type(http_client).__name__}: expected httpx.Client"
            )
        self._external = http_client
        self._owned: httpx.Client | None = None
        self._lock = threading.Lock()
        self._async_http_client = async_http_client
        self._async: AsyncXAIClient | None = None
        self._sleep = sleep if sleep is not None else time.sleep
        self._async_sleep = async_sleep
        self._default_headers = dict(default_headers or {})

    def _client(self) -> httpx.Client:
        if self._external is not None:
            return self._external
        owned = self._owned
        if owned is None:
            with self._lock:  # threads sharing a fresh client must share one pool
                if self._owned is None:
                    self._owned = httpx.Client(
                        timeout=self._timeout, limits=_LIMITS, follow_redirects=False
                    )
                owned = self._owned
        return owned

    @property
    def async_client(self) -> AsyncXAIClient:
        """The async twin with the same settings, built on first use."""
        with self._lock:
            if self._async is None:
                self._async = self._make_async_client()
            return self._async

    def _make_async_client(self) -> AsyncXAIClient:
        return AsyncXAIClient(
            api_key=self._api_key,
            base_url=self._base_url,
            timeout=self._timeout,
            max_retries=self._retry.max_retries,
            default_headers=self._default_headers,
            http_client=self._async_http_client,
            endpoint=self._endpoint,
            retry_policy=self._retry,
            sleep=self._async_sleep,
            live_facts=self._live if self._live is not None else False,
            file_cache=self._file_cache,
        )

    @property
    def files(self) -> Files:
        """xAI's Files API on this client: upload, list, get, content, delete, file_id_for
        (:class:`~xai_vision.files.Files`; the async twin's is ``async_client.files``)."""
        with self._lock:
            if self._files is None:
                self._files = Files(self, self._file_cache)
            return self._files

    def create(self, request: ChatRequest) -> ChatCompletion:
        """Send ``request`` and return the whole answer (retrying what is retryable).

        A model the built-in table does not know is looked up in xAI's model list first
        (fetched once, cached): an image request to a model listed without image input
        raises RequestValidationError before anything is sent. The answer's usage carries
        its cost: xAI's, or computed from xAI's listed prices (``cost_computed``).
        """
        self._check_live(request)
        request = self._with_uploaded_documents(request)
        body, headers = self._chat_call(request)
        response = self._send("POST", self._url, body.content, headers)
        completion = self._parse_json_response(response, request)
        usage = self._priced(completion.usage, completion.model or request.model)
        return cast(ChatCompletion, self._with_usage(completion, usage))

    def _with_uploaded_documents(self, request: ChatRequest) -> ChatRequest:
        """``request`` with its inline PDFs uploaded (by ``files.file_id_for``) when needed."""
        if not self._uploads_documents(request):
            return request
        return request.with_uploaded_documents(
            lambda data, filename: self.files.file_id_for(data, filename, mime_type=PDF_MIME_TYPE)
        )

    # ---------------------------------------------------------------- model facts, tokens, cost

    def _fetch_model_list(self) -> Any:
        return self.get_json("/language-models", max_retries=0)

    def _model_list(self, *, needed: bool = True) -> LanguageModels | None:
        live = self._live_on()
        if live is None:
            return None
        if not needed:
            return live.cached_models()
        return live.models(self._fetch_model_list)

    def _check_live(self, request: ChatRequest) -> None:
        if self._live_on() is not None:  # else the built-in rules alone: ChatRequest applied them
            models = self._model_list(needed=self._needs_model_list(request))
            self._check_against(request, models)

    def _priced(self, usage: Usage | None, model: str) -> Usage | None:
        """``usage`` with its cost computed from xAI's prices when xAI reported none."""
        if usage is None or usage.cost_in_usd_ticks is not None:
            return usage
        return self._priced_by(usage, model, self._model_list())

    def language_models(self) -> LanguageModels:
        """xAI's model list (``GET /v1/language-models``): cached, else fetched now; the
        fetch's typed error when it fails."""
        live = self._live
        if live is None:
            return LanguageModels.from_json(self.get_json("/language-models"), time.time())
        models = live.models(lambda: self.get_json("/language-models"), force=True)
        assert models is not None  # force: a failure raises
        return models

    def model_profile(self, model: str, reasoning_effort: str | None = None) -> ModelProfile:
        """What is known about ``model``: xAI's entry (fetched on first need; the built-in
        table alone when that fails) and the built-in facts of the name it resolves to."""
        return model_profile(model, reasoning_effort, self._model_list())

    def count_tokens(
        self,
        messages: Sequence[Mapping[str, Any]],
        images: Sequence[EstimatedImage] = (),
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        model: str,
        response_format: Mapping[str, Any] | None = None,
    ) -> PromptTokens:
        """The prompt tokens of wire ``messages``, message by message: text counted by xAI's
        tokenizer (``POST /v1/tokenize-text``, once per text), images by the tile rule; the
        estimate, saying so in ``note``, when the tokenizer cannot be reached."""
        counts = self._text_counts(model, prompt_texts(messages, tools, response_format))
        return self._prompt_tokens(model, counts, messages, images, tools, response_format)

    def count_text(self, text: str, *, model: str) -> int:
        """The tokens of ``text`` alone: xAI's tokenizer (once per text), else the estimate
        (4 characters a token; a warning says so)."""
        if not isinstance(text, str):
            raise RequestValidationError(f"text must be a str, got {type(text).__name__}")
        counts = self._text_counts(model, [text])
        return estimate_text_tokens(text) if counts is None else counts[text]

    def _text_counts(self, model: str, texts: Sequence[str]) -> dict[str, int] | None:
        live = self._live_on()
        if live is None:
            return None

        def tokenize(text: str) -> Any:
            return self.post_json("/tokenize-text", self._tokenize_body(model, text), max_retries=0)

        return live.text_counts(model, texts, tokenize)

    def estimate_cost(
        self, request: ChatRequest, images: Sequence[EstimatedImage] = ()
    ) -> CostEstimate:
        """What ``request`` is expected to cost, before sending it: its prompt tokens (see
        :meth:`count_tokens`; ``images`` are its prepared images) at xAI's listed prices,
        and at most ``max_tokens`` answer tokens."""
        prompt = self.count_tokens(
            request.messages,
            images,
            request.tools,
            model=request.model,
            response_format=request.response_format,
        )
        profile = self.model_profile(request.model, request.reasoning_effort)
        return self._cost_estimate(request, prompt, profile)

    def get_json(self, path: str, *, max_retries: int | None = None) -> Any:
        """``GET`` an API path (e.g. ``/language-models``) and return its JSON.

        The same key, headers, timeout, retries and typed errors as :meth:`create`;
        ``max_retries`` overrides the client's for this call.
        """
        url = self._api_url(path)
        headers = self._call_headers(None)
        response = self._send("GET", url, lambda: None, headers, max_retries)
        return self._parse_json(response, url)

    def post_json(self, path: str, body: Any, *, max_retries: int | None = None) -> Any:
        """``POST`` a JSON body to an API path (e.g. ``/tokenize-text``) and return its JSON."""
        url = self._api_url(path)
        content = _json_content(body)
        headers = self._call_headers(len(content))
        response = self._send("POST", url, lambda: content, headers, max_retries)
        return self._parse_json(response, url)

    def post_body(self, path: str, body: RequestBody, *, max_retries: int | None = None) -> Any:
        """``POST`` a JSON body already encoded in pieces (never joined) and return its JSON."""
        url = self._api_url(path)
        headers = self._call_headers(body.length)
        # Always as pieces: httpx keeps a bytes body on its request, which a reference cycle of
        # its response holds until the garbage collector runs (chunk after chunk of a batch).
        response = self._send("POST", url, body.iter_bytes, headers, max_retries)
        return self._parse_json(response, url)

    @property
    def batches(self) -> Batches:
        """xAI's Batch API through this client (:class:`~xai_vision.batches.Batches`)."""
        from xai_vision.batches import Batches

        return Batches(self)

    def batch_priced(self, usage: Usage, model: str | None) -> Usage:
        """A batch answer's usage: xAI's cost as reported, else computed at batch prices."""
        if usage.cost_in_usd_ticks is not None:
            return usage
        priced = self._priced(usage, model or "")
        return _at_batch_prices(priced) if priced is not None else usage

    def _send(
        self,
        method: str,
        url: str,
        content: Callable[[], bytes | Iterator[bytes] | None],
        headers: dict[str, str],
        max_retries: int | None = None,
    ) -> httpx.Response:
        """One call with retries: the 2xx response, else the typed error. ``content`` gives a
        fresh body for each attempt."""
        limit = self._retry_limit(max_retries)
        client = self._client()
        retries = 0
        while True:
            started = time.perf_counter()
            outcome: httpx.Response | httpx.HTTPError
            try:
                outcome = client.request(
                    method,
                    url,
                    content=content(),
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                )
                _release(outcome)
            except httpx.HTTPError as exc:
                outcome = exc
            else:
                self._log_response(outcome, started, url)
                if 200 <= outcome.status_code < 300:
                    return outcome
            self._sleep(self._next_try_delay(outcome, retries, url=url, max_retries=limit))
            retries += 1

    def stream(
        self, request: ChatRequest, *, include_usage: bool = True
    ) -> Iterator[ChatCompletionChunk]:
        """Chunks as they arrive: ``for chunk in client.stream(request)``.

        Input and key problems raise here, before iteration; a failure before the first
        byte of the body is retried, a failure after it raises StreamInterruptedError. A
        stream is complete at ``[DONE]`` or, if the body ends without it, at a finish_reason
        (the usage chunk may then be missing).
        """
        self._check_live(request)
        request = self._with_uploaded_documents(request)
        body, headers = self._chat_call(request, stream=True, include_usage=include_usage)
        return self._priced_stream(request, self._stream(request, body, headers))

    def _priced_stream(
        self, request: ChatRequest, chunks: Generator[ChatCompletionChunk, None, None]
    ) -> Iterator[ChatCompletionChunk]:
        """The chunks, the usage chunk with its cost computed when xAI reported none."""
        with contextlib.closing(chunks):
            for chunk in chunks:
                if chunk.usage is not None and chunk.usage.cost_in_usd_ticks is None:
                    usage = self._priced(chunk.usage, chunk.model or request.model)
                    chunk = cast(ChatCompletionChunk, self._with_usage(chunk, usage))
                yield chunk

    def _stream(
        self, request: ChatRequest, body: RequestBody, headers: dict[str, str]
    ) -> Generator[ChatCompletionChunk, None, None]:
        client = self._client()
        retries = 0
        while True:
            started = time.perf_counter()
            failure: httpx.Response | httpx.HTTPError
            state = _Stream(self._endpoint.stream_parser(request))
            exchange: httpx.Response | None = None
            try:
                with client.stream(
                    "POST",
                    self._url,
                    content=body.content(),
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                ) as response:
                    exchange = response
                    self._log_response(response, started)
                    if not 200 <= response.status_code < 300:
                        response.read()
                        failure = response
                    elif response.headers.get("content-type", "").startswith("application/json"):
                        raise self._stream_body_error(response, response.read())
                    else:
                        for data in response.iter_bytes():
                            if state.done:  # drain, so the connection goes back to the pool
                                continue
                            yield from state.feed(data)
                        if not state.done:
                            yield from state.close()
                        logger.debug("stream from %s ended: %d chunks", self._url, state.chunks)
                        return
            except httpx.HTTPError as exc:
                if state.done:  # failed while draining after [DONE]: the answer is whole
                    return
                failure = exc
            finally:
                if exchange is not None:
                    _release(exchange)
            self._sleep(self._next_try_delay(failure, retries, streamed=state))
            retries += 1

    async def acreate(self, request: ChatRequest) -> ChatCompletion:
        """Async :meth:`create`, through :attr:`async_client`."""
        return await self.async_client.create(request)

    async def aget_json(self, path: str, *, max_retries: int | None = None) -> Any:
        """Async :meth:`get_json`, through :attr:`async_client`."""
        return await self.async_client.get_json(path, max_retries=max_retries)

    async def apost_json(self, path: str, body: Any, *, max_retries: int | None = None) -> Any:
        """Async :meth:`post_json`, through :attr:`async_client`."""
        return await self.async_client.post_json(path, body, max_retries=max_retries)

    def astream(
        self, request: ChatRequest, *, include_usage: bool = True
    ) -> AsyncIterator[ChatCompletionChunk]:
        """Async :meth:`stream`, through :attr:`async_client`."""
        return self.async_client.stream(request, include_usage=include_usage)

    def close(self) -> None:
        """Close the connection pool this client owns (an injected client is left open)."""
        if self._owned is not None:
            owned, self._owned = self._owned, None
            owned.close()

    async def aclose(self) -> None:
        """Close both pools this client owns."""
        self.close()
        if self._async is not None:
            await self._async.aclose()

    def __enter__(self) -> XAIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> XAIClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
