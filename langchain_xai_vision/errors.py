"""The core's errors as langchain-core's model errors, as langchain-openai raises them.

Each class here derives from both the core's error (so ``except xai_vision.RateLimitError``
keeps working) and langchain-core's (so provider-neutral code can ``except
ModelRateLimitError`` or ``ContextOverflowError`` and read ``is_retryable``).
:func:`to_langchain_error` picks the class for an error the core raised.
"""

from __future__ import annotations

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)
from xai_vision import errors

__all__ = [
    "XAIAPIError",
    "XAIAuthenticationError",
    "XAIConnectionError",
    "XAIContextOverflowError",
    "XAIInvalidAPIKeyError",
    "XAIInvalidRequestError",
    "XAIModelNotFoundError",
    "XAIPermissionDeniedError",
    "XAIRateLimitError",
    "XAIStreamInterruptedError",
    "XAITimeoutError",
    "to_langchain_error",
]


class XAIContextOverflowError(errors.ContextOverflowError, ContextOverflowError):
    """The prompt is over the model's context window (xAI's 400)."""


class XAIInvalidAPIKeyError(errors.InvalidAPIKeyError, ModelAuthenticationError):
    """xAI refused the key (its 400 "Incorrect API key provided")."""


class XAIAuthenticationError(errors.AuthenticationError, ModelAuthenticationError):
    """401: no or malformed credentials."""


class XAIPermissionDeniedError(errors.PermissionDeniedError, ModelPermissionDeniedError):
    """403: no permission, blocked, or out of credits."""


class XAIInvalidRequestError(errors.BadRequestError, ModelInvalidRequestError):
    """400: xAI rejected the request as invalid."""


class XAIModelNotFoundError(errors.NotFoundError, ModelNotFoundError):
    """404: unknown model or URL."""


class XAIRateLimitError(errors.RateLimitError, ModelRateLimitError):
    """429: rate limit or quota exhausted (retryable)."""


class XAIAPIError(errors.InternalServerError, ModelAPIError):
    """5xx: xAI failed (retryable)."""


class XAITimeoutError(errors.APITimeoutError, ModelTimeoutError):
    """The request timed out (retryable)."""


class XAIStreamInterruptedError(errors.StreamInterruptedError, ModelConnectionError):
    """The stream broke after it started: the answer is incomplete."""


class XAIConnectionError(errors.APIConnectionError, ModelConnectionError):
    """xAI could not be reached (retryable)."""


#: Core class -> the class raised in its place; a subclass is looked up along its MRO.
_MAPPED: dict[type[errors.XAIVisionError], type[errors.XAIVisionError]] = {
    errors.ContextOverflowError: XAIContextOverflowError,
    errors.InvalidAPIKeyError: XAIInvalidAPIKeyError,
    errors.AuthenticationError: XAIAuthenticationError,
    errors.PermissionDeniedError: XAIPermissionDeniedError,
    errors.BadRequestError: XAIInvalidRequestError,
    errors.NotFoundError: XAIModelNotFoundError,
    errors.RateLimitError: XAIRateLimitError,
    errors.InternalServerError: XAIAPIError,
    errors.APITimeoutError: XAITimeoutError,
    errors.StreamInterruptedError: XAIStreamInterruptedError,
    errors.APIConnectionError: XAIConnectionError,
}


def to_langchain_error(error: errors.XAIVisionError) -> errors.XAIVisionError:
    """``error`` as the class above that matches it (same message and attributes), or
    ``error`` itself when langchain-core has no counterpart (e.g. an image error)."""
    if isinstance(error, tuple(_MAPPED.values())):
        return error
    for cls in type(error).__mro__:
        mapped = _MAPPED.get(cls)
        if mapped is not None:
            converted = mapped.__new__(mapped)
            converted.__dict__.update(vars(error))
            converted.args = error.args
            return converted
    return error
