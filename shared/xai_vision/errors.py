"""The exception hierarchy shared by the core and both adapters.

Every error this package raises derives from :class:`XAIVisionError`. Input problems
(:class:`ImageError`, :class:`DocumentError`, :class:`RequestValidationError`) are raised
before any request is sent; :class:`APIError` subclasses carry what xAI answered; transport
failures are :class:`APIConnectionError`. Messages never contain the API key.
"""

from __future__ import annotations

from typing import Any


class XAIVisionError(Exception):
    """Base class of every error raised by xai-vision."""


# --------------------------------------------------------------------------- input errors


class ImageError(XAIVisionError, ValueError):
    """An image could not be used; names the image (index and source) and the reason."""

    def __init__(self, reason: str, *, source: str = "<image>", index: int | None = None) -> None:
        self.reason = reason
        self.source = source
        self.index = index
        where = f"image {index} ({source})" if index is not None else f"image ({source})"
        super().__init__(f"{where}: {reason}")


class ImageSourceError(ImageError):
    """The source itself is unusable: missing path, directory, bad scheme, malformed data URI."""


class ImageDecodeError(ImageError):
    """The bytes are not a readable image: empty, truncated, corrupt or not an image at all."""


class UnsupportedImageFormatError(ImageError):
    """A readable image in a form xAI cannot take (e.g. an animated GIF without the opt-in)."""


class ImageTooLargeError(ImageError):
    """An image over a limit (bytes, pixels, decompression-bomb guard) under the strict policy."""


class DocumentError(XAIVisionError, ValueError):
    """A document (PDF) could not be used; names the document and the reason. Raised before
    anything is uploaded or sent."""

    def __init__(self, reason: str, *, source: str = "<document>") -> None:
        self.reason = reason
        self.source = source
        super().__init__(f"document ({source}): {reason}")


class DocumentSourceError(DocumentError):
    """The source itself is unusable: missing path, bad URL scheme, malformed base64."""


class DocumentDecodeError(DocumentError):
    """The bytes are not a readable PDF: not a PDF at all, empty, truncated or corrupt."""


class EncryptedDocumentError(DocumentError):
    """A password-protected PDF: neither xAI nor the page renderer can read it."""


class DocumentTooLargeError(DocumentError):
    """A document over xAI's file size limit (48,000,000 bytes)."""


class TooManyImagesError(XAIVisionError, ValueError):
    """A request carries more images than the configured per-request limit."""


class RequestValidationError(XAIVisionError, ValueError):
    """A request parameter or message is invalid; raised before anything is sent."""


class FileTooLargeError(RequestValidationError):
    """A file for the Files API over xAI's size limit; raised before anything is sent."""

    def __init__(self, source: str, size: int, limit: int) -> None:
        self.source = source
        self.size = size
        self.limit = limit
        super().__init__(
            f"file {source}: {size:,} bytes is over the Files API limit of {limit:,} bytes"
        )


class NoToolCallError(XAIVisionError, ValueError):
    """An answer that had to call a tool called none (e.g. a function-calling program)."""


# --------------------------------------------------------------------------- API errors


class APIError(XAIVisionError):
    """xAI answered with an error. Carries the HTTP status, xAI's code and message, request id."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.body = body
        parts = [f"status {status_code}" if status_code is not None else None, code]
        prefix = ", ".join(p for p in parts if p)
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{prefix}: {message}{suffix}" if prefix else f"{message}{suffix}")


class BadRequestError(APIError):
    """400: a bad argument (xAI also answers a wrong API key with 400; see InvalidAPIKeyError)."""


class BatchModelRefusedError(BadRequestError):
    """400: xAI does not take the model for batch processing (its Batch API takes some models
    only); the same requests may still be sent one by one."""


class ContextOverflowError(BadRequestError):
    """400 "This model's maximum prompt length is N but the request contains M tokens"."""


class AuthenticationError(APIError):
    """401, or a key xAI refused: no, malformed or wrong credentials."""


class InvalidAPIKeyError(BadRequestError, AuthenticationError):
    """400 "Incorrect API key provided": xAI's answer to a wrong key."""


class PermissionDeniedError(APIError):
    """403: no permission, blocked, or out of credits."""


class NotFoundError(APIError):
    """404: unknown model or URL."""


class MethodNotAllowedError(APIError):
    """405: wrong HTTP method."""


class RequestTimeoutError(APIError):
    """408: the server timed out waiting for the request."""


class ConflictError(APIError):
    """409: conflict."""


class PayloadTooLargeError(APIError):
    """413: the request body is too large."""


class UnsupportedMediaTypeError(APIError):
    """415: empty body or wrong content type."""


class UnprocessableEntityError(APIError):
    """422: a field has an invalid format."""


class RateLimitError(APIError):
    """429: rate limit or quota exhausted."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class InternalServerError(APIError):
    """5xx: xAI failed."""


class StreamError(APIError):
    """An ``error`` object arrived inside an event stream."""


class ResponseParseError(APIError):
    """The response was not valid JSON or SSE, or lacked required fields."""


# --------------------------------------------------------------------------- transport errors


class APIConnectionError(XAIVisionError):
    """The request could not be completed: connection refused, reset or cut short."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class StreamInterruptedError(APIConnectionError):
    """A stream ended before ``[DONE]`` or its finish chunk: the answer is incomplete."""


class RateLimiterTimeoutError(XAIVisionError):
    """A Ray batch worker got no answer in time from the job's shared rate limiter
    (:mod:`xai_vision.ray`): the image was not sent, and may be tried again."""


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    408: RequestTimeoutError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


#: How xAI (and OpenAI-style servers) word a prompt over the model's context window.
_CONTEXT_OVERFLOW_MARKERS = ("maximum prompt length", "context_length_exceeded", "context window")


def error_class_for_status(status_code: int, message: str = "") -> type[APIError]:
    """The APIError subclass for an HTTP status (and, on 400, xAI's wrong-key and
    prompt-too-long messages)."""
    if status_code == 400:
        lowered = message.lower()
        if "api key" in lowered:
            return InvalidAPIKeyError
        if any(marker in lowered for marker in _CONTEXT_OVERFLOW_MARKERS):
            return ContextOverflowError
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, APIError)


class MissingAPIKeyError(XAIVisionError, ValueError):
    """No API key was given and ``XAI_API_KEY`` is not set."""
