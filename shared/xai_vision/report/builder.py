"""The HTML report of a batch results file: one self-contained page, rendered with Jinja2.

Everything the page needs is inside it: thumbnails as ``data:`` URIs, CSS and a few lines of
plain JavaScript inline, the chart as inline SVG. Its Content-Security-Policy allows no
network at all and runs only the page's own script (by hash), so an answer that holds markup
is shown as text (Jinja2 autoescaping) and could not run even if it slipped through.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xai_vision._extras import require
from xai_vision.errors import RequestValidationError
from xai_vision.images import data_uri_label
from xai_vision.models import Usage
from xai_vision.report.results import ResultEntry, ResultsFile, read_results
from xai_vision.report.thumbnails import (
    THUMBNAIL_EDGE,
    Thumbnail,
    make_thumbnails,
    thumbnail_options,
)

if TYPE_CHECKING:
    import jinja2

__all__ = ["ReportSummary", "render_report", "write_report"]

#: Template files, package data of :mod:`xai_vision.report`.
TEMPLATE = "report.html.j2"
SCRIPT = "report.js"
#: Chart geometry: plot height in SVG units, and the widest a bar gets on screen (CSS px).
CHART_HEIGHT = 100
CHART_PLOT_HEIGHT = 92  # the rest, under the bars, holds the failure marks
CHART_MAX_BAR_PX = 40
#: How much of a long answer goes into the page's search data (the card shows all of it).
SEARCH_TEXT_LIMIT = 20_000
#: The chart's stacked series, bottom up: (legend name, CSS class, tokens of one usage).
CHART_SERIES: tuple[tuple[str, str, Callable[[Usage], int]], ...] = (
    ("image", "s-image", lambda usage: usage.image_tokens),
    (
        "text and other prompt",
        "s-text",
        lambda usage: max(0, usage.prompt_tokens - usage.image_tokens),
    ),
    ("completion", "s-completion", lambda usage: usage.completion_tokens),
    ("reasoning", "s-reasoning", lambda usage: usage.reasoning_tokens),
)


@dataclass(frozen=True)
class ReportSummary:
    """What :func:`write_report` wrote: counts and totals, as shown at the top of the page."""

    path: Path  # the HTML file
    results_path: Path
    entries: int  # every non-blank line of the results file
    answered: int
    failed: int  # lines with an error
    broken: int  # lines that are not a whole result (e.g. the torn last line of a run)
    usage: Usage  # the sum over every line with usage
    thumbnails: int  # entries shown with a preview
    placeholders: int  # entries whose image could not be shown (missing, URL, unreadable)
    size_bytes: int
    notices: tuple[str, ...]  # one per broken line

    @property
    def failures(self) -> int:
        """Entries without an answer: failed and broken lines."""
        return self.failed + self.broken

    @property
    def cost_usd(self) -> float | None:
        """Total cost xAI reported, in USD (None when no line reported one)."""
        return self.usage.cost_usd


def write_report(
    results_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    title: str | None = None,
    thumbnail_edge: int = THUMBNAIL_EDGE,
) -> ReportSummary:
    """Write the HTML report of ``results_path`` (any batch engine's JSONL) to ``out_path``.

    Sources are resolved relative to the results file's folder; nothing is downloaded. The
    file is replaced in one step, so a reader never sees half a report. Raises
    :class:`RequestValidationError` naming the file for an unreadable or foreign results file
    or an unwritable ``out_path``, and ImportError naming the extra when Jinja2 is missing.
    """
    thumbnail_options(thumbnail_edge)  # a bad edge fails before any work
    out = Path(out_path)
    results_file = Path(results_path)
    if out.exists() and results_file.exists() and out.resolve() == results_file.resolve():
        raise RequestValidationError(f"{out}: the report would overwrite the results file")
    if out.is_dir():
        raise RequestValidationError(f"{out}: is a folder; give the report's file name")
    if not out.parent.is_dir():
        raise RequestValidationError(f"{out}: the folder {out.parent} does not exist")
    results = read_results(results_file)
    html, thumbnails = _render(results, title=title, thumbnail_edge=thumbnail_edge)
    data = html.encode("utf-8")
    _replace(out, data)
    shown = sum(1 for thumbnail in thumbnails if thumbnail.data_uri is not None)
    return ReportSummary(
        path=out,
        results_path=results_file,
        entries=len(results.entries),
        answered=results.count("answered"),
        failed=results.count("failed"),
        broken=results.count("broken"),
        usage=results.usage,
        thumbnails=shown,
        placeholders=len(thumbnails) - shown,
        size_bytes=len(data),
        notices=results.notices,
    )


def render_report(
    results: ResultsFile, *, title: str | None = None, thumbnail_edge: int = THUMBNAIL_EDGE
) -> str:
    """The report page of ``results`` as HTML text (what :func:`write_report` writes)."""
    return _render(results, title=title, thumbnail_edge=thumbnail_edge)[0]


def _replace(out: Path, data: bytes) -> None:
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, out)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise RequestValidationError(
            f"{out}: cannot write the report: {error.strerror or error}"
        ) from None


# --------------------------------------------------------------------------- rendering


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    require("jinja2", extra="cli", needed_by="the HTML report (xai_vision.report)")
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("xai_vision.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = _number
    environment.filters["usd"] = _usd
    return environment


@functools.lru_cache(maxsize=1)
def _script_hash() -> str:
    """The CSP hash of the page's script: the only script the page lets run."""
    script = _environment().get_template(SCRIPT).render()
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"sha256-{base64.b64encode(digest).decode('ascii')}"


def _render(
    results: ResultsFile, *, title: str | None, thumbnail_edge: int
) -> tuple[str, list[Thumbnail]]:
    environment = _environment()  # fail on a missing Jinja2 before any image work
    entries = results.entries
    thumbnails = make_thumbnails(
        [entry.source or "" for entry in entries], results.path.parent, edge=thumbnail_edge
    )
    views = [
        _EntryView.of(entry, thumbnail)
        for entry, thumbnail in zip(entries, thumbnails, strict=True)
    ]
    usage = results.usage
    models = sorted({entry.model for entry in entries if entry.model})
    context: dict[str, Any] = {
        "title": title or f"Batch report: {results.path.name}",
        "results_name": results.path.name,
        "results_path": str(results.path.resolve()),
        "generated": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "models": models,
        "entries": views,
        "counts": {
            "entries": len(entries),
            "answered": results.count("answered"),
            "failed": results.count("failed"),
            "broken": results.count("broken"),
            "failures": results.count("failed") + results.count("broken"),
            "previews": sum(1 for t in thumbnails if t.data_uri is not None),
        },
        "usage": usage,
        "notices": results.notices,
        "chart": _Chart.of(entries) if entries else None,
        "page_data": {"entries": [view.search_record() for view in views]},
        "script_hash": _script_hash(),
    }
    html = environment.get_template(TEMPLATE).render(context)
    return html, thumbnails


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:.6f}" if value < 0.01 else f"${value:,.4f}"


@dataclass(frozen=True)
class _EntryView:
    """One card of the page."""

    entry: ResultEntry
    thumbnail: Thumbnail
    name: str  # file name, URL or data-URI label
    location: str | None  # the full source when it says more than the name

    @classmethod
    def of(cls, entry: ResultEntry, thumbnail: Thumbnail) -> _EntryView:
        name, location = _source_name(entry)
        return cls(entry=entry, thumbnail=thumbnail, name=name, location=location)

    @property
    def is_link(self) -> bool:
        """The source is an http(s) URL, worth a link (never fetched by the page)."""
        source = self.entry.source or ""
        return source[:8].lower().startswith(("http://", "https://"))

    def search_record(self) -> dict[str, Any]:
        """What the page's script filters and searches on, for this card."""
        entry = self.entry
        parts = [
            entry.answer,
            self.name,
            self.location,
            entry.id,
            entry.model,
            entry.error_type,
            entry.error_message,
            entry.broken_text,
        ]
        text = "\n".join(part for part in parts if part)
        return {"line": entry.line, "status": entry.status, "text": text[:SEARCH_TEXT_LIMIT]}


@dataclass(frozen=True)
class _Series:
    name: str
    css: str  # class of the SVG path and its legend swatch
    path: str  # SVG path data: one rectangle per bar
    total: int


@dataclass(frozen=True)
class _Bar:
    x: int
    line: int
    label: str  # the tooltip


@dataclass(frozen=True)
class _Chart:
    """A stacked bar per entry (tokens by kind), as inline SVG; failures marked in red."""

    width: int  # viewBox width: one unit per entry
    height: int
    plot_height: int  # bars stand on this line; failure marks go under it
    max_width_px: int
    max_tokens: int  # the tallest bar
    mean_tokens: int  # over the entries with usage
    series: tuple[_Series, ...]
    bars: tuple[_Bar, ...]
    failures: str  # SVG path data: a red mark under each entry without an answer

    @classmethod
    def of(cls, entries: Sequence[ResultEntry]) -> _Chart:
        stacks = [
            [tokens(entry.usage) if entry.usage else 0 for _, _, tokens in CHART_SERIES]
            for entry in entries
        ]
        highest = max((sum(stack) for stack in stacks), default=0)
        measured = [sum(stack) for stack, entry in zip(stacks, entries, strict=True) if entry.usage]
        plot = CHART_PLOT_HEIGHT
        scale = plot / highest if highest else 0.0
        paths: list[list[str]] = [[] for _ in CHART_SERIES]
        for x, stack in enumerate(stacks):
            bottom = float(plot)
            for position, value in enumerate(stack):
                if value <= 0:
                    continue
                height = value * scale
                bottom -= height
                paths[position].append(f"M{x + 0.12:.2f} {bottom:.2f}h0.76v{height:.2f}h-0.76z")
        failures = "".join(
            f"M{x + 0.12:.2f} {plot + 3}h0.76v5h-0.76z"
            for x, entry in enumerate(entries)
            if entry.status != "answered"
        )
        bars = tuple(
            _Bar(x=x, line=entry.line, label=_bar_label(entry)) for x, entry in enumerate(entries)
        )
        series = tuple(
            _Series(name=name, css=css, path="".join(path), total=sum(s[i] for s in stacks))
            for i, ((name, css, _), path) in enumerate(zip(CHART_SERIES, paths, strict=True))
        )
        return cls(
            width=max(1, len(entries)),
            height=CHART_HEIGHT,
            plot_height=CHART_PLOT_HEIGHT,
            max_width_px=max(1, len(entries)) * CHART_MAX_BAR_PX,
            max_tokens=highest,
            mean_tokens=round(sum(measured) / len(measured)) if measured else 0,
            series=series,
            bars=bars,
            failures=failures,
        )


def _source_name(entry: ResultEntry) -> tuple[str, str | None]:
    """(name, full location) of an entry's source: a file name and its path, a URL, ..."""
    source = entry.source
    if source is None:
        return f"line {entry.line}", None
    if source[:5].lower() == "data:":
        return data_uri_label(source), None
    if source[:8].lower().startswith(("http://", "https://")):
        return source, None
    name = os.path.basename(source.rstrip("/\\")) or source
    return name, (source if name != source else None)


def _bar_label(entry: ResultEntry) -> str:
    name = _source_name(entry)[0]
    if len(name) > 80:
        name = name[:77] + "..."
    usage = entry.usage
    if entry.status == "broken":
        return f"line {entry.line}: {name}: broken line"
    if usage is None:
        return f"line {entry.line}: {name}: failed, no usage"
    status = "" if entry.status == "answered" else " (failed)"
    return (
        f"line {entry.line}: {name}{status}: {usage.total_tokens:,} tokens "
        f"(image {usage.image_tokens:,}, prompt {usage.prompt_tokens:,}, "
        f"completion {usage.completion_tokens:,}, reasoning {usage.reasoning_tokens:,})"
    )
