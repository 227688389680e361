"""What the CLI prints: exit codes, error messages with hints and usage lines.

Answers go to stdout (so they can be piped); usage, progress and errors go to stderr.
"""

from __future__ import annotations

import sys
from enum import IntEnum

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from xai_vision.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ImageError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    TooManyImagesError,
)
from xai_vision.models import Usage


class ExitCode(IntEnum):
    """The CLI's exit statuses, one per kind of failure a script may want to tell apart."""

    OK = 0
    FAILED = 1  # xAI answered an error, a batch left images failed or undone, samples skipped
    USAGE = 2  # bad command line or option value (also click's own usage errors)
    MISSING_KEY = 3
    IMAGE = 4  # an image could not be read or used
    NETWORK = 5  # xAI (or --base-url) could not be reached
    INTERRUPTED = 130  # Ctrl-C


def stderr_console() -> Console:
    """A console on the current stderr (looked up now, so test runners can swap it).

    Markup is off: paths and xAI's messages may hold ``[brackets]`` that must print as they are.
    """
    return Console(file=sys.stderr, highlight=False, soft_wrap=True, markup=False)


def batch_progress() -> Progress:
    """The progress bar every batch engine shows on stderr: label, bar, done of total, time."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
    )


#: The exit status by error type: the first row the error is an instance of decides.
_EXIT_CODES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], ExitCode], ...] = (
    (MissingAPIKeyError, ExitCode.MISSING_KEY),
    ((ImageError, TooManyImagesError), ExitCode.IMAGE),
    (APIConnectionError, ExitCode.NETWORK),
    (RequestValidationError, ExitCode.USAGE),
    (KeyboardInterrupt, ExitCode.INTERRUPTED),
)

#: What to do about an error, by type (first match), where there is something useful to say.
_HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (
        MissingAPIKeyError,
        "Set XAI_API_KEY (or pass --api-key) to ask xAI, "
        "or pass --emulator to try it offline on the built-in emulator, no key needed.",
    ),
    (APITimeoutError, "The request timed out: raise --timeout, or try again later."),
    (
        APIConnectionError,
        "Check the network connection and --base-url (or XAI_BASE_URL / XAI_API_BASE).",
    ),
    (AuthenticationError, "xAI refused the API key: check XAI_API_KEY or --api-key."),
    (PermissionDeniedError, "The key has no permission for this (or the team is out of credits)."),
    (NotFoundError, "Unknown model or URL: check --model and --base-url."),
    (RateLimitError, "Rate limited: wait a little, or lower --concurrency for batches."),
)


def exit_code_for(error: BaseException) -> ExitCode:
    """The exit status for an error the CLI reports (FAILED for any other error)."""
    return next((code for kinds, code in _EXIT_CODES if isinstance(error, kinds)), ExitCode.FAILED)


def error_hint(error: BaseException) -> str | None:
    """A line on what to do about an error, when there is something useful to say."""
    return next((hint for kind, hint in _HINTS if isinstance(error, kind)), None)


def report_error(error: BaseException, console: Console | None = None) -> ExitCode:
    """Print ``error`` (its typed message, never a traceback) and a hint; return its exit code."""
    console = console or stderr_console()
    if isinstance(error, APIError):
        label = "xAI answered an error"
    elif isinstance(error, APIConnectionError):
        label = "network error"
    elif isinstance(error, KeyboardInterrupt):
        label = "interrupted"
    else:
        label = "error"
    message = str(error) or type(error).__name__
    console.print(Text.assemble((f"{label}: ", "bold red"), message))
    hint = error_hint(error)
    if hint:
        console.print(Text(hint, style="dim"))
    return exit_code_for(error)


def format_usd(amount: float) -> str:
    """A dollar amount with enough digits for sub-cent image costs."""
    return f"${amount:.6f}" if amount < 0.01 else f"${amount:.4f}"


def usage_text(usage: Usage | None, *, estimated_image_tokens: int | None = None) -> Text:
    """One line: image tokens (with the offline estimate), prompt, output, total, and cost."""
    if usage is None:
        return Text("usage: not reported", style="dim")
    image = f"{usage.image_tokens}"
    if estimated_image_tokens is not None:
        image += f" (estimated {estimated_image_tokens})"
    fields = [
        ("image tokens", image),
        ("prompt", str(usage.prompt_tokens)),
        ("completion", str(usage.completion_tokens)),
    ]
    if usage.reasoning_tokens:
        fields.append(("reasoning", str(usage.reasoning_tokens)))
    fields.append(("total", str(usage.total_tokens)))
    if usage.cost_usd is not None:
        fields.append(("cost", format_usd(usage.cost_usd)))
    text = Text("usage: ", style="bold")
    for position, (name, value) in enumerate(fields):
        if position:
            text.append(" · ", style="dim")
        text.append(f"{name} ", style="dim")
        text.append(value)
    return text
