"""PDF documents in the core: checked with PDFium before anything is sent, rendered pages sized
to the image-token rule, the one lock, and the document part on both wire forms."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pdfs import corrupt_pdf, encrypted_pdf, make_pdf
from xai_vision import (
    MAX_DOCUMENT_BYTES,
    ChatRequest,
    DocumentDecodeError,
    DocumentError,
    DocumentSourceError,
    DocumentTooLargeError,
    EncryptedDocumentError,
    PreparedDocument,
    RequestValidationError,
    arender_pages,
    file_part,
    prepare_document,
    render_pages,
    tool_message,
    user_message,
)
from xai_vision.documents import PDFIUM_LOCK, DocumentOptions, page_numbers, read_pdf
from xai_vision.endpoints import endpoint_for
from xai_vision.messages import ImageCollector, document_parts
from xai_vision.responses import responses_body
from xai_vision.tokens import MAX_IMAGE_TOKENS, TOKENS_PER_TILE, processed_size

MODEL = "grok-4-fast-non-reasoning"
PAGES = ["Page one: the summary", "Page two: the table", "Page three: the notes"]


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_pdf(PAGES)


# --------------------------------------------------------------------------- prepare_document


def test_every_inline_source_is_read_and_opened(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    b64 = base64.b64encode(pdf).decode()
    sources: list[object] = [
        pdf,
        bytearray(pdf),
        path,
        str(path),
        io.BytesIO(pdf),
        f"data:application/pdf;base64,{b64}",
        b64,
    ]
    for source in sources:
        document = prepare_document(source)  # type: ignore[arg-type]
        assert document.data == pdf
        assert document.page_count == 3
    assert prepare_document(path).filename == "report.pdf"
    assert prepare_document(pdf).filename == "document.pdf"
    named = prepare_document(pdf, filename="q3.pdf")
    assert (named.filename, named.source) == ("q3.pdf", "q3.pdf")


@pytest.mark.parametrize("filename", ["", "reports/q3.pdf", "q3\n.pdf", 7])
def test_a_filename_the_files_api_would_refuse_is_refused_before_anything(
    filename: object,
) -> None:
    with pytest.raises(DocumentSourceError, match="filename"):
        prepare_document(make_pdf(), filename=filename)  # type: ignore[arg-type]


def test_a_url_and_a_file_id_are_kept_as_references() -> None:
    by_url = prepare_document("https://example.com/files/report.pdf?v=2")
    assert (by_url.url, by_url.data, by_url.filename) == (
        "https://example.com/files/report.pdf?v=2",
        None,
        "report.pdf",
    )
    by_id = prepare_document(file_id="file_abc")
    assert (by_id.file_id, by_id.data) == ("file_abc", None)
    with pytest.raises(DocumentSourceError, match="exactly one of a source or a file_id"):
        prepare_document(b"%PDF-", file_id="file_abc")


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (corrupt_pdf(), DocumentDecodeError, "corrupt PDF: PDFium cannot read it"),
        (make_pdf()[:400], DocumentDecodeError, "corrupt PDF"),
        (encrypted_pdf(), EncryptedDocumentError, "encrypted (password protected)"),
        (b"PK\x03\x04 a zip, not a PDF", DocumentDecodeError, "not a PDF"),
        (b"", DocumentDecodeError, "empty"),
    ],
)
def test_bad_pdfs_get_typed_errors_naming_the_document(
    data: bytes, error: type[DocumentError], reason: str
) -> None:
    with pytest.raises(error, match=re.escape(reason)) as raised:
        prepare_document(data, filename="scan.pdf")
    assert raised.value.source == "scan.pdf"
    assert str(raised.value).startswith("document (scan.pdf): ")
    assert isinstance(raised.value, ValueError)


def test_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    with big.open("wb") as handle:  # sparse: the size is checked from stat, never read
        handle.write(b"%PDF-1.7\n")
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    with pytest.raises(DocumentTooLargeError, match="48,000,000 bytes") as raised:
        prepare_document(big)
    assert raised.value.source == "huge.pdf"
    with pytest.raises(DocumentTooLargeError, match="48,000,001 bytes is over"):
        prepare_document(b"%PDF-1.7\n".ljust(MAX_DOCUMENT_BYTES + 1, b"\0"))


def test_unusable_sources_are_document_source_errors(tmp_path: Path) -> None:
    with pytest.raises(DocumentSourceError, match="no such file"):
        prepare_document(str(tmp_path / "missing.pdf"))
    with pytest.raises(DocumentSourceError, match="unsupported URL scheme 'ftp'"):
        prepare_document("ftp://example.com/a.pdf")
    with pytest.raises(DocumentSourceError, match="directory"):
        prepare_document(tmp_path)


def test_without_pypdfium2_the_error_names_the_pdf_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['pypdfium2'] = None\n"
        "from xai_vision import prepare_document\n"
        "prepare_document(b'%PDF-1.7 ...')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert (
        'PDF documents needs pypdfium2, which is not installed: pip install "xai-vision[pdf]"'
        in (result.stderr)
    )


def test_read_pdf_counts_pages_and_reads_the_first(pdf: bytes) -> None:
    summary = read_pdf(pdf)
    assert (summary.page_count, summary.first_page_text) == (3, "Page one: the summary")


# --------------------------------------------------------------------------- rendered pages


def test_page_ranges() -> None:
    assert page_numbers(None, 4, source="d") == [1, 2, 3, 4]
    assert page_numbers("1-2, 4", 4, source="d") == [1, 2, 4]
    assert page_numbers([3, 1, 3], 4, source="d") == [3, 1]
    for bad, reason in (
        ("0", "page 0 is outside the document (pages 1-4)"),
        ("2-9", "page 5 is outside"),
        ("3-1", "runs backwards"),
        ("one", "malformed"),
        ([], "no pages chosen"),
    ):
        with pytest.raises(DocumentSourceError, match=re.escape(reason)):
            page_numbers(bad, 4, source="d")


def test_render_chosen_pages_at_the_token_budget(pdf: bytes) -> None:
    pages = render_pages(prepare_document(pdf, filename="r.pdf"), pages="2-3", detail="high")
    assert [image.source for image in pages] == ["r.pdf page 2", "r.pdf page 3"]
    for image in pages:
        assert image.detail == "high"
        assert image.mime_type == "image/png"
        # A letter page at 144 dpi is 1224x1584: capped to what xAI processes (<= 6 tiles).
        assert (image.width, image.height) == processed_size(1224, 1584, "high")
        assert image.estimated_tokens == MAX_IMAGE_TOKENS
    (low,) = render_pages(pdf, pages=[1], detail="low", dpi=300)
    assert max(low.width or 0, low.height or 0) <= 448
    assert low.estimated_tokens == TOKENS_PER_TILE


def test_small_pages_are_not_upscaled_past_their_dpi() -> None:
    (image,) = render_pages(make_pdf(["tiny"], size=(144, 72)), dpi=72)
    assert (image.width, image.height) == (144, 72)


def test_rendering_needs_the_bytes() -> None:
    for document in (prepare_document("https://example.com/a.pdf"), prepare_document(file_id="f")):
        with pytest.raises(DocumentSourceError, match="rendering pages needs the PDF's bytes"):
            render_pages(document)


def test_pages_mode_sends_rendered_pages_as_ordinary_images(pdf: bytes) -> None:
    collector = ImageCollector()
    parts = document_parts(
        prepare_document(pdf), collector, DocumentOptions(mode="pages", pages="1,3", detail="low")
    )
    assert [part["type"] for part in parts] == ["image_url", "image_url"]
    assert [image.index for image in collector.images] == [1, 2]
    assert all(part["image_url"]["detail"] == "low" for part in parts)  # type: ignore[typeddict-item]
    (file,) = document_parts(prepare_document(pdf), ImageCollector())
    assert file["type"] == "file"


async def test_async_renders_wait_for_the_one_pdfium_lock(pdf: bytes) -> None:
    """While another thread holds the lock no render runs, and the event loop stays free;
    released, the queued renders all finish, one at a time, with the right pages."""
    with PDFIUM_LOCK:
        tasks = [
            asyncio.create_task(arender_pages(pdf, pages=[n], detail="low")) for n in (1, 2, 3)
        ]
        for _ in range(20):
            await asyncio.sleep(0.01)  # the loop runs: nothing waits on PDFium here
        assert not any(task.done() for task in tasks)
    results = await asyncio.gather(*tasks)
    assert [images[0].source for images in results] == [
        f"bytes[{len(pdf)}] page {n}" for n in (1, 2, 3)
    ]


# --------------------------------------------------------------------------- wire forms


def test_file_part_forms(pdf: bytes) -> None:
    inline = file_part(prepare_document(pdf, filename="r.pdf"))
    assert inline == {
        "type": "file",
        "file": {"file_data": base64.b64encode(pdf).decode(), "filename": "r.pdf"},
    }
    assert file_part(prepare_document(file_id="file_1")) == {
        "type": "file",
        "file": {"file_id": "file_1"},
    }
    assert file_part(prepare_document("https://x.test/a.pdf")) == {
        "type": "file",
        "file": {"url": "https://x.test/a.pdf"},
    }


def test_file_parts_written_by_hand_are_checked(pdf: bytes) -> None:
    b64 = base64.b64encode(pdf).decode()
    message = user_message(
        ["Read:", {"type": "file", "file": {"file_data": b64, "filename": "a.pdf"}}]
    )
    assert message["content"][1]["type"] == "file"  # type: ignore[index]
    bad = base64.b64encode(corrupt_pdf()).decode()
    with pytest.raises(DocumentDecodeError, match=r"document \(a.pdf\): corrupt PDF"):
        user_message([{"type": "file", "file": {"file_data": bad, "filename": "a.pdf"}}])
    for file, reason in (
        (
            {"file_id": "f", "url": "https://x.test/a.pdf"},
            "exactly one of file_id, url or file_data",
        ),
        ({"file_id": "f", "filename": "a.pdf"}, "filename goes only with file_data"),
        ({"file_data": b64}, "file_data needs a non-empty str filename"),
        ({"url": "ftp://x/a.pdf"}, "file.url must be an http"),
        ({"file_id": "f", "colour": "red"}, "unknown file keys"),
    ):
        with pytest.raises(RequestValidationError, match=reason):
            user_message([{"type": "file", "file": file}])
    with pytest.raises(DocumentSourceError, match="not plain base64"):
        user_message([{"type": "file", "file": {"file_data": "%%%", "filename": "a.pdf"}}])


def test_a_prepared_document_is_checked_once_and_uploaded_as_its_own_bytes(
    pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xai_vision import documents
    from xai_vision.messages import parts
    from xai_vision.messages import request as request_module

    document = prepare_document(pdf, filename="r.pdf")  # opened with PDFium here, once
    opens: list[str] = []
    decodes: list[int] = []
    real_opened = documents._opened

    def counted_opened(data: bytes, source: str) -> Any:
        opens.append(source)
        return real_opened(data, source)

    monkeypatch.setattr(documents, "_opened", counted_opened)
    for module in (parts, request_module):
        real_decode = module.b64decode_strict

        def counted_decode(text: str | bytes, real: Any = real_decode) -> bytes:
            decodes.append(len(text))
            return bytes(real(text))

        monkeypatch.setattr(module, "b64decode_strict", counted_decode)
    sent: list[bytes] = []

    def upload(data: bytes, filename: str) -> str:
        sent.append(data)
        return "file_up"

    request = _request(user_message(["Read:", document]))
    request.with_uploaded_documents(upload)
    assert (opens, decodes) == ([], [])  # neither the request's check nor the upload redid it
    assert sent[0] is document.data
    plain = base64.b64encode(pdf).decode()  # the same PDF as plain text is checked as ever
    user_message([{"type": "file", "file": {"file_data": plain, "filename": "a.pdf"}}])
    assert (len(opens), len(decodes)) == (1, 1)


def test_checked_pdf_text_is_made_only_from_the_pdf_it_carries(pdf: bytes) -> None:
    import pickle

    from xai_vision.messages.parts import CheckedPDFBase64

    text = CheckedPDFBase64(pdf)
    assert text == base64.b64encode(pdf).decode()
    assert text.pdf is pdf
    copied = pickle.loads(pickle.dumps(text))  # e.g. a request sent to another process
    assert (type(copied), copied, copied.pdf) == (CheckedPDFBase64, text, pdf)
    with pytest.raises(TypeError):
        CheckedPDFBase64("JVBERi0=")  # type: ignore[arg-type]  # text alone could be anything


def _request(*messages: object) -> ChatRequest:
    return ChatRequest(MODEL, list(messages))  # type: ignore[arg-type]


def test_responses_input_file_for_each_form(pdf: bytes) -> None:
    documents: list[PreparedDocument] = [
        prepare_document(pdf, filename="r.pdf"),
        prepare_document(file_id="file_1"),
        prepare_document("https://x.test/a.pdf"),
    ]
    body = responses_body(_request(user_message(["Read these.", *documents])))
    assert body["input"][0]["content"][1:] == [
        {"type": "input_file", "file_data": base64.b64encode(pdf).decode(), "filename": "r.pdf"},
        {"type": "input_file", "file_id": "file_1"},
        {"type": "input_file", "file_url": "https://x.test/a.pdf"},
    ]


def test_a_tool_result_pdf_on_responses_follows_the_output_as_a_user_message(pdf: bytes) -> None:
    from xai_vision import assistant_message

    request = _request(
        user_message("Fetch the report."),
        assistant_message(tool_calls=[{"id": "c1", "name": "fetch", "arguments": "{}"}]),
        tool_message("c1", ["Here it is.", prepare_document(pdf, filename="r.pdf")]),
    )
    items = responses_body(request)["input"]
    assert items[2] == {"type": "function_call_output", "call_id": "c1", "output": "Here it is."}
    assert items[3]["role"] == "user"
    assert items[3]["content"][0] == {"type": "input_text", "text": "The file the tool returned:"}
    assert items[3]["content"][1]["type"] == "input_file"
    assert items[3]["content"][1]["filename"] == "r.pdf"


def test_chat_completions_refuses_inline_pdfs_until_uploaded(pdf: bytes) -> None:
    document = prepare_document(pdf, filename="r.pdf")
    request = _request(user_message(["One", document]), user_message(["Same again", document]))
    with pytest.raises(RequestValidationError, match="takes a document only by file_id or url"):
        endpoint_for("chat_completions").build_body(request)
    uploads: list[tuple[int, str]] = []

    def upload(data: bytes, filename: str) -> str:
        uploads.append((len(data), filename))
        return "file_up"

    uploaded = request.with_uploaded_documents(upload)
    assert uploads == [(len(pdf), "r.pdf")]  # the same bytes once per request
    assert [m["content"][1] for m in uploaded.messages] == [  # type: ignore[index]
        {"type": "file", "file": {"file_id": "file_up"}}
    ] * 2
    assert not uploaded.has_inline_documents()
    endpoint_for("chat_completions").build_body(uploaded)  # now it builds
