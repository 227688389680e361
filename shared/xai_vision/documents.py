"""PDF documents: checked with PDFium before anything leaves the machine, sent as file parts or
rendered to page images.

:func:`prepare_document` reads a source (path, bytes, binary file, data URI, base64 text; an
http(s) URL or an uploaded ``file_id`` is kept as a reference) and opens every inline PDF with
pypdfium2 (the ``pdf`` extra): not a PDF, corrupt (even behind a valid ``%PDF-`` header),
encrypted or over :data:`MAX_DOCUMENT_BYTES` is a :class:`~xai_vision.errors.DocumentError`
naming the document. :func:`render_pages` turns chosen pages into images sized to the image-token
rule (at most 6 tiles of 448x448 a page at ``high``, one tile at ``low``), sent as ordinary image
parts. PDFium is not thread-safe: every pypdfium2 call here holds :data:`PDFIUM_LOCK`; the async
variants run the work in a thread under that lock.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import re
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import IO, Any, Final, Literal, ParamSpec, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from xai_vision._extras import require
from xai_vision.errors import (
    DocumentDecodeError,
    DocumentSourceError,
    DocumentTooLargeError,
    EncryptedDocumentError,
    ImageSourceError,
    ImageTooLargeError,
    RequestValidationError,
)
from xai_vision.files import MAX_FILE_BYTES, check_filename
from xai_vision.images import ImageOptions, PreparedImage, prepare_image
from xai_vision.images.sources import InlineSource, read_source
from xai_vision.tokens import Detail, check_detail, processed_size

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "PDFIUM_LOCK",
    "PDF_MIME_TYPE",
    "DocumentMode",
    "DocumentOptions",
    "DocumentSource",
    "PdfSummary",
    "PreparedDocument",
    "aprepare_document",
    "arender_pages",
    "check_pdf",
    "page_numbers",
    "prepare_document",
    "read_pdf",
    "render_pages",
]

PDF_MIME_TYPE: Final = "application/pdf"
#: xAI's Files API limit (its sources say 48 MB or 50 MB; the stricter one).
MAX_DOCUMENT_BYTES: Final = MAX_FILE_BYTES
#: The one lock every pypdfium2 call in the process holds (PDFium is not thread-safe).
PDFIUM_LOCK: Final = threading.RLock()
#: The default resolution pages are rendered at, before the token budget caps the size.
DEFAULT_DPI: Final = 144
_POINTS_PER_INCH: Final = 72
_P = ParamSpec("_P")
_R = TypeVar("_R")
_PDF_MAGIC: Final = b"%PDF-"
#: PDFium's error code for a wrong (here: missing) password.
_FPDF_ERR_PASSWORD: Final = 4
_PAGE_RANGE: Final = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")

#: What :func:`prepare_document` reads (a str: a path, data URI, base64 text or http(s) URL).
DocumentSource: TypeAlias = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
DocumentMode: TypeAlias = Literal["file", "pages"]


class DocumentOptions(BaseModel):
    """How documents are sent: as file parts (xAI reads the PDF) or as rendered page images.

    ``pages`` chooses pages for both modes' checks and for rendering ("1-3,5"; 1-based; None:
    every page). ``detail`` and ``dpi`` size the rendered pages; the image-token rule caps them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: DocumentMode = "file"
    pages: str | tuple[int, ...] | None = None
    detail: Detail = "high"
    dpi: int = Field(default=DEFAULT_DPI, ge=18, le=600)


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """One document ready for the wire: checked PDF bytes, or an http(s) URL or ``file_id``.

    ``source`` names it in errors ("report.pdf", "bytes[1234]"); ``filename`` is what xAI sees.
    """

    source: str
    filename: str
    data: bytes | None = None
    url: str | None = None
    file_id: str | None = None
    page_count: int | None = None

    @property
    def byte_size(self) -> int | None:
        """Size of the inline PDF (None for a URL or file id)."""
        return None if self.data is None else len(self.data)

    def __repr__(self) -> str:
        where = self.file_id or self.url or f"{self.byte_size} bytes, {self.page_count} pages"
        return f"PreparedDocument({self.source!r}, {where})"


@dataclass(frozen=True, slots=True)
class PdfSummary:
    """What :func:`read_pdf` found: the page count and the text of the first page."""

    page_count: int
    first_page_text: str


def _pdfium() -> Any:
    require("pypdfium2", extra="pdf", needed_by="PDF documents")
    import pypdfium2

    return pypdfium2


@contextmanager
def _opened(data: bytes, source: str) -> Iterator[Any]:
    """The PDF open under :data:`PDFIUM_LOCK` (closed on exit); typed errors for bad bytes."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLargeError(
            f"{len(data):,} bytes is over xAI's file limit of {MAX_DOCUMENT_BYTES:,} bytes",
            source=source,
        )
    if not data:
        raise DocumentDecodeError("empty: no bytes", source=source)
    if not data.startswith(_PDF_MAGIC):
        raise DocumentDecodeError("not a PDF (it does not start with %PDF-)", source=source)
    pdfium = _pdfium()
    with PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) == _FPDF_ERR_PASSWORD:
                raise EncryptedDocumentError(
                    "the PDF is encrypted (password protected): decrypt it first", source=source
                ) from None
            raise DocumentDecodeError(
                f"corrupt PDF: PDFium cannot read it ({exc})", source=source
            ) from None
        try:
            if len(pdf) < 1:
                raise DocumentDecodeError("the PDF has no pages", source=source)
            yield pdf
        finally:
            pdf.close()


def _page(pdf: Any, number: int, source: str) -> Any:
    try:
        return pdf[number - 1]
    except Exception as exc:  # PDFium's errors for a broken page object vary
        raise DocumentDecodeError(
            f"corrupt PDF: page {number} cannot be read ({exc})", source=source
        ) from None


def check_pdf(data: bytes, source: str) -> int:
    """The page count of a PDF whose first page opens; a DocumentError otherwise."""
    with _opened(data, source) as pdf:
        _page(pdf, 1, source).close()
        return len(pdf)


def _read(source: DocumentSource) -> InlineSource | str:
    try:
        found = read_source(
            source,
            max_file_bytes=MAX_DOCUMENT_BYTES,
            recognise=lambda data: data.startswith(_PDF_MAGIC),
            expected="a path, bytes, a binary file, an http(s) URL, a data URI or base64 text",
        )
    except ImageTooLargeError as exc:
        raise DocumentTooLargeError(
            f"over xAI's file limit of {MAX_DOCUMENT_BYTES:,} bytes", source=exc.source
        ) from None
    except ImageSourceError as exc:
        reason = exc.reason.replace("image file", "file").replace("base64 image", "base64")
        raise DocumentSourceError(reason, source=exc.source) from None
    return found if isinstance(found, InlineSource) else found.url


def _filename(label: str, filename: str | None) -> str:
    if filename is not None:  # checked now as the Files API will check it on upload
        try:
            return check_filename(filename)
        except RequestValidationError as exc:
            raise DocumentSourceError(str(exc), source=label) from None
    base = os.path.basename(label)
    return base if base.lower().endswith(".pdf") else "document.pdf"


def prepare_document(
    source: DocumentSource | None = None,
    *,
    file_id: str | None = None,
    filename: str | None = None,
    label: str | None = None,
) -> PreparedDocument:
    """A PDF from ``source`` (checked with PDFium now) or a reference to an uploaded ``file_id``.

    ``filename`` is the name xAI sees; ``label`` names the document in errors (default: the
    filename, else the path or ``bytes[N]``). An http(s) URL is kept as it is (xAI fetches it;
    nothing is downloaded here). Raises a
    :class:`~xai_vision.errors.DocumentError` subclass naming the document before anything is
    sent; ImportError naming the ``pdf`` extra when pypdfium2 is missing (inline PDFs only).
    """
    if (source is None) == (file_id is None):
        raise DocumentSourceError("give exactly one of a source or a file_id")
    if file_id is not None:
        if not isinstance(file_id, str) or not file_id.strip():
            raise DocumentSourceError("file_id must be a non-empty str", source=repr(file_id))
        return PreparedDocument(file_id, _filename(file_id, filename), file_id=file_id)
    assert source is not None
    found = _read(source)
    if isinstance(found, str):
        return PreparedDocument(found, _filename(found.split("?")[0], filename), url=found)
    name = _filename(found.label, filename)
    shown = label or (found.label if filename is None else name)
    pages = check_pdf(found.data, shown)
    return PreparedDocument(shown, name, data=found.data, page_count=pages)


def page_numbers(pages: str | Sequence[int] | None, page_count: int, *, source: str) -> list[int]:
    """The 1-based page numbers ``pages`` chooses ("1-3,5", a sequence, None: all), checked."""
    if pages is None:
        return list(range(1, page_count + 1))
    chosen: list[int] = []
    if isinstance(pages, str):
        for piece in pages.split(","):
            match = _PAGE_RANGE.fullmatch(piece)
            if match is None:
                raise DocumentSourceError(
                    f"page range {pages!r} is malformed: use numbers and ranges like '1-3,5'",
                    source=source,
                )
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if last < first:
                raise DocumentSourceError(
                    f"page range {piece.strip()!r} runs backwards", source=source
                )
            chosen += range(first, last + 1)
    else:
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in pages):
            raise DocumentSourceError("pages must be page numbers (int)", source=source)
        chosen = list(pages)
    if not chosen:
        raise DocumentSourceError("no pages chosen", source=source)
    outside = [n for n in chosen if not 1 <= n <= page_count]
    if outside:
        raise DocumentSourceError(
            f"page {outside[0]} is outside the document (pages 1-{page_count})", source=source
        )
    return list(dict.fromkeys(chosen))


def _needs_bytes(document: PreparedDocument) -> bytes:
    if document.data is None:
        what = "a file_id" if document.file_id is not None else "a URL"
        raise DocumentSourceError(
            f"rendering pages needs the PDF's bytes, and {what} is never downloaded here: "
            "pass the PDF itself, or send it as a file part",
            source=document.source,
        )
    return document.data


def render_pages(
    document: PreparedDocument | DocumentSource,
    *,
    pages: str | Sequence[int] | None = None,
    detail: Detail = "high",
    dpi: int = DEFAULT_DPI,
    image_options: ImageOptions | None = None,
) -> list[PreparedImage]:
    """Chosen pages as images at ``detail``, each sized to fit the image-token rule.

    A page is rendered at ``dpi``, capped at the size xAI processes at that detail (at most
    6 tiles of 448x448 for ``high``/``auto``, one tile for ``low``), so no page costs more than
    one image's maximum (1,792 tokens; 256 at ``low``). Labels read "report.pdf page 2".
    """
    checked_detail = check_detail(detail, "render_pages") or "high"
    doc = document if isinstance(document, PreparedDocument) else prepare_document(document)
    data = _needs_bytes(doc)
    images: list[PreparedImage] = []
    with _opened(data, doc.source) as pdf:
        for number in page_numbers(pages, len(pdf), source=doc.source):
            page = _page(pdf, number, doc.source)
            try:
                width, height = page.get_size()
                scale = dpi / _POINTS_PER_INCH
                nominal = (max(1, round(width * scale)), max(1, round(height * scale)))
                target_width, target_height = processed_size(*nominal, checked_detail)
                bitmap = page.render(scale=min(target_width / width, target_height / height))
                picture = bitmap.to_pil()
                bitmap.close()
            finally:
                page.close()
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG", optimize=False)
            image = prepare_image(buffer.getvalue(), detail=checked_detail, options=image_options)
            images.append(replace(image, source=f"{doc.source} page {number}"))
    return images


def read_pdf(data: bytes, *, source: str = "document") -> PdfSummary:
    """The page count and the first page's text (the emulator's answer quotes it)."""
    with _opened(data, source) as pdf:
        page = _page(pdf, 1, source)
        try:
            textpage = page.get_textpage()
            text = textpage.get_text_bounded()
            textpage.close()
        finally:
            page.close()
        return PdfSummary(len(pdf), " ".join(str(text).split()))


def _off_the_loop(function: Callable[_P, _R]) -> Callable[_P, Awaitable[_R]]:
    """``function`` as a coroutine function running it in a worker thread, so the event loop
    never waits on PDFium (which takes PDFIUM_LOCK itself)."""

    @functools.wraps(function)
    async def in_thread(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return await asyncio.to_thread(function, *args, **kwargs)

    in_thread.__doc__ = f":func:`{function.__name__}` in a worker thread, off the event loop."
    in_thread.__name__ = in_thread.__qualname__ = "a" + function.__name__
    return in_thread


#: :func:`prepare_document` in a worker thread, so the event loop never waits on PDFium.
aprepare_document = _off_the_loop(prepare_document)
#: :func:`render_pages` in a worker thread, serialised with every other PDFium call.
arender_pages = _off_the_loop(render_pages)
