"""PDFs for the tests, made here (pypdfium2 writes pages and text; an encrypted one by hand)."""

from __future__ import annotations

import base64
import ctypes
import io
import threading
from collections.abc import Sequence
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from xai_vision.errors import DocumentDecodeError, DocumentError, EncryptedDocumentError

LETTER = (612.0, 792.0)


def make_pdf(texts: Sequence[str] = ("Invoice 42: total 17.50 EUR",), size=LETTER) -> bytes:
    """A PDF with one page a text (a line in Helvetica near the top; "" leaves a page empty)."""
    pdf = pdfium.PdfDocument.new()
    try:
        for text in texts:
            page = pdf.new_page(*size)
            if text:
                obj = pdfium_c.FPDFPageObj_NewTextObj(pdf, b"Helvetica", ctypes.c_float(14))
                buffer = ctypes.create_string_buffer((text + "\0").encode("utf-16-le"))
                pdfium_c.FPDFText_SetText(
                    obj, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR))
                )
                pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 72, size[1] - 100)
                pdfium_c.FPDFPage_InsertObject(page, obj)
                page.gen_content()
            page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def _hand_written(objects: Sequence[bytes], trailer_extra: bytes = b"") -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra
    out += b">>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypted_pdf() -> bytes:
    """A PDF behind the standard security handler whose user password is not empty."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + b"11" * 32
        + b"> /U <"
        + b"22" * 32
        + b"> /P -4 >>",
    ]
    file_id = b"<" + b"33" * 16 + b">"
    return _hand_written(objects, b"/Encrypt 4 0 R /ID [" + file_id + b" " + file_id + b"] ")


def corrupt_pdf() -> bytes:
    """A valid ``%PDF-`` header over bytes PDFium cannot read."""
    return b"%PDF-1.7\n" + b"\x00garbage, no objects, no xref\n" * 20


#: PDFs an adapter refuses before sending anything, each with the typed error it raises.
BAD_PDFS: list[tuple[bytes, type[DocumentError]]] = [
    (corrupt_pdf(), DocumentDecodeError),
    (encrypted_pdf(), EncryptedDocumentError),
]

#: A three-page invoice the adapter tests send, its base64, and how the emulator quotes it.
INVOICE_PDF = make_pdf(["Invoice 42: total 17.50 EUR", "Terms", "Signatures"])
INVOICE_B64 = base64.b64encode(INVOICE_PDF).decode()
INVOICE_QUOTE = '3 pages; page 1 reads: "Invoice 42: total 17.50 EUR"'


def pdf_reading_threads(monkeypatch: Any, module: Any) -> list[int]:
    """The threads ``module.prepare_document`` runs on from now (an adapter's PDF reading),
    recorded as their ``threading.get_ident()``."""
    threads: list[int] = []
    prepare = module.prepare_document

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return prepare(*args, **kwargs)

    monkeypatch.setattr(module, "prepare_document", recording)
    return threads
