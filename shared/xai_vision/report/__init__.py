"""Batch results as one self-contained HTML page: thumbnails, answers, usage, cost, failures.

``write_report(results_path, out_path)`` reads a results file written by any batch engine
(one JSON object per line: ``source``, ``answer``, ``usage``, ``error``, optional ``id`` and
``model``) and writes a page that works offline and as an e-mail attachment. Rendering needs
Jinja2 (the ``cli`` extra); reading results does not.
"""

from xai_vision.report.builder import ReportSummary, render_report, write_report
from xai_vision.report.results import (
    EntryStatus,
    ResultEntry,
    ResultsFile,
    read_results,
    total_usage,
    usage_from_record,
)
from xai_vision.report.thumbnails import THUMBNAIL_EDGE, Thumbnail, make_thumbnail

__all__ = [
    "THUMBNAIL_EDGE",
    "EntryStatus",
    "ReportSummary",
    "ResultEntry",
    "ResultsFile",
    "Thumbnail",
    "make_thumbnail",
    "read_results",
    "render_report",
    "total_usage",
    "usage_from_record",
    "write_report",
]
