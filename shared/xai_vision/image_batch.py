"""One prompt over many images: what every batch engine shares.

The CLI's local engine, its ``xai-batch`` engine and the Ray Data engine (:mod:`xai_vision.ray`)
send the same request per image (:class:`BatchSettings`), name images the same way
(:func:`image_id`), sort failures the same way (:data:`FATAL_ERRORS`, :data:`TRANSIENT_ERRORS`)
and write the same JSONL line per image (:func:`result_line`). It lives in the core, not the
CLI, so the Ray engine needs neither typer nor rich.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xai_vision.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RateLimiterTimeoutError,
    RequestTimeoutError,
    RequestValidationError,
    XAIVisionError,
)
from xai_vision.images import ImageOptions, PreparedImage
from xai_vision.messages import ChatRequest, image_part, text_part, user_message
from xai_vision.models import ChatCompletion, Usage
from xai_vision.tokens import Detail

__all__ = [
    "FATAL_ERRORS",
    "TRANSIENT_ERRORS",
    "TRANSIENT_ERROR_TYPES",
    "BatchSettings",
    "answered_line",
    "error_from_record",
    "error_record",
    "failed_line",
    "image_id",
    "result_line",
    "usage_record",
]

#: Errors that would fail every image the same way: stop instead of writing one line each.
FATAL_ERRORS: tuple[type[XAIVisionError], ...] = (
    MissingAPIKeyError,
    RequestValidationError,
    AuthenticationError,
    PermissionDeniedError,
    NotFoundError,
)

#: Errors worth trying again later: the image is left undone (no line) for ``--resume``.
TRANSIENT_ERRORS: tuple[type[XAIVisionError], ...] = (
    RateLimitError,
    InternalServerError,
    RequestTimeoutError,
    APIConnectionError,
    RateLimiterTimeoutError,
)


def _with_subclasses(classes: tuple[type[XAIVisionError], ...]) -> frozenset[str]:
    found: set[str] = set()
    pending: list[type] = list(classes)
    while pending:
        cls = pending.pop()
        found.add(cls.__name__)
        pending += cls.__subclasses__()
    return frozenset(found)


#: The names (``error["type"]`` of a line) of :data:`TRANSIENT_ERRORS` and their subclasses:
#: how an engine that gets errors back as records (Ray) tells a transient one.
TRANSIENT_ERROR_TYPES: frozenset[str] = _with_subclasses(TRANSIENT_ERRORS)


def image_id(source: str, occurrence: int = 1) -> str:
    """The stable id of an image in a batch: the first 16 hex digits of SHA-256 of ``source``.

    It depends on nothing but the source (not on the image's position), so it is the same on
    every run and resume. The ``occurrence``-th listing of the same source in one job gets
    ``-2``, ``-3``, ..., so ids are unique within a job.
    """
    digest = hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return digest if occurrence == 1 else f"{digest}-{occurrence}"


@dataclass(frozen=True)
class BatchSettings:
    """What every request of a batch shares."""

    prompt: str
    model: str
    detail: Detail | None = None
    concurrency: int = 4
    image_options: ImageOptions | None = None
    #: The most tokens each answer may generate (None: xAI's default).
    max_tokens: int | None = None
    #: Stop before the run's cost would pass this many US dollars (``--max-cost``).
    max_cost: float | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise RequestValidationError(
                f"--concurrency must be at least 1, got {self.concurrency}"
            )
        if not self.prompt.strip():
            raise RequestValidationError("--prompt must not be empty")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise RequestValidationError(f"--max-tokens must be at least 1, got {self.max_tokens}")
        if self.max_cost is not None and not self.max_cost > 0:
            raise RequestValidationError(f"--max-cost must be more than 0, got {self.max_cost}")

    def request(self, prepared: PreparedImage) -> ChatRequest:
        """The request for one image: the prompt, then the image."""
        message = user_message([text_part(self.prompt), image_part(prepared)])
        return ChatRequest(model=self.model, messages=[message], max_tokens=self.max_tokens)


# --------------------------------------------------------------------------- the JSONL line


def usage_record(usage: Usage | None) -> dict[str, Any] | None:
    """The usage fields written to JSON output (cost in ticks and in USD when known: xAI's,
    or ``cost_computed`` from xAI's listed prices; ``image_tokens_estimated`` when the image
    tokens are the tile-rule estimate)."""
    if usage is None:
        return None
    record: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "image_tokens": usage.image_tokens,
        "text_tokens": usage.text_tokens,
        "cached_tokens": usage.cached_tokens,
        "completion_tokens": usage.completion_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "total_tokens": usage.total_tokens,
        # Every line has the three cost keys; Usage.cost_fields fills them in when known.
        "cost_in_usd_ticks": None,
        "cost_usd": None,
        "cost_computed": False,
        **usage.cost_fields(),
    }
    if usage.image_tokens_estimated:  # the responses endpoint counts no image tokens
        record["image_tokens_estimated"] = True
    return record


def error_record(error: BaseException) -> dict[str, Any]:
    """An error as JSON: its type, message and, for xAI errors, the status and code."""
    record: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, APIError):
        record["status_code"] = error.status_code
        record["code"] = error.code
    return record


def error_from_record(record: Mapping[str, Any]) -> XAIVisionError:
    """The :mod:`xai_vision.errors` exception an :func:`error_record` describes: its class and
    message, and an API error's status and code."""
    import xai_vision.errors as errors

    cls = getattr(errors, str(record.get("type")), None)
    message = str(record.get("message"))
    if isinstance(cls, type) and issubclass(cls, APIError):
        status, code = record.get("status_code"), record.get("code")
        prefix = ", ".join(str(p) for p in (f"status {status}" if status else None, code) if p)
        if prefix and message.startswith(prefix + ": "):
            message = message[len(prefix) + 2 :]
        return cls(message, status_code=status, code=code)
    if isinstance(cls, type) and issubclass(cls, XAIVisionError):
        try:
            return cls(message)
        except TypeError:  # a class whose constructor needs more than the message
            pass
    return XAIVisionError(message)


def result_line(
    image: str,
    source: str,
    *,
    answer: str | None = None,
    usage: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """The JSONL line of one image: ``id``, ``source``, ``answer``, ``usage`` and ``error``,
    plus the answering ``model`` on a line without an error."""
    line: dict[str, Any] = {
        "id": image,
        "source": source,
        "answer": answer,
        "usage": usage,
        "error": error,
    }
    if error is None:
        line["model"] = model
    return line


def answered_line(image: str, source: str, completion: ChatCompletion) -> dict[str, Any]:
    """The line of an answered image."""
    return result_line(
        image,
        source,
        answer=completion.content,
        usage=usage_record(completion.usage),
        model=completion.model,
    )


def failed_line(image: str, source: str, error: XAIVisionError) -> dict[str, Any]:
    """The line of an image that failed for good (unreadable, rejected by xAI)."""
    return result_line(image, source, error=error_record(error))
