"""PDF ``file`` blocks in ChatXAIVision against the emulator: every block form on both
endpoints, tool results, rendered pages, the async path, and typed errors that send nothing."""

from __future__ import annotations

import base64
import functools
import threading
from typing import Any

import pytest
from emulator_clients import emulator_client
from endpoint_params import adapter_on
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from pdfs import BAD_PDFS, INVOICE_B64, INVOICE_PDF, INVOICE_QUOTE, pdf_reading_threads
from xai_vision.emulator import Emulator
from xai_vision.errors import DocumentError, RequestValidationError

from langchain_xai_vision import ChatXAIVision
from langchain_xai_vision import documents as langchain_documents

MIME = "application/pdf"


#: ``ChatXAIVision`` on an emulator with ``use_responses_api`` and fields.
_model = functools.partial(adapter_on, ChatXAIVision)


def _sent_part(emulator: Emulator, responses: bool, message: int = 0) -> dict[str, Any]:
    body = emulator.last_request.body
    if responses:
        content = body["input"][message]["content"]
        return next(p for p in content if p["type"] == "input_file")  # type: ignore[no-any-return]
    content = body["messages"][message]["content"]
    return next(p for p in content if p["type"] == "file")  # type: ignore[no-any-return]


INLINE_FORMS: dict[str, dict[str, Any]] = {
    "v1 base64": {
        "type": "file",
        "base64": INVOICE_B64,
        "mime_type": MIME,
        "extras": {"filename": "i.pdf"},
    },
    "v0 base64": {
        "type": "file",
        "source_type": "base64",
        "data": INVOICE_B64,
        "mime_type": MIME,
        "filename": "i.pdf",
    },
    "openai file_data": {
        "type": "file",
        "file": {"filename": "i.pdf", "file_data": f"data:{MIME};base64,{INVOICE_B64}"},
    },
}


@pytest.mark.parametrize("form", list(INLINE_FORMS))
def test_inline_forms_reach_the_model(xai_emulator: Emulator, responses: bool, form: str) -> None:
    answer = _model(xai_emulator, responses).invoke(
        [HumanMessage(["Summarise.", INLINE_FORMS[form]])]
    )
    part = _sent_part(xai_emulator, responses)
    if responses:
        assert part == {"type": "input_file", "file_data": INVOICE_B64, "filename": "i.pdf"}
        assert f"Document 1: i.pdf, {INVOICE_QUOTE}." in answer.text
        assert [r.path for r in xai_emulator.requests] == ["/v1/responses"]
    else:  # uploaded through the Files API first: the chat file part takes a file_id
        assert set(part["file"]) == {"file_id"}
        assert f"Document 1: i.pdf, {INVOICE_QUOTE}." in answer.text
        assert [r.path for r in xai_emulator.requests] == ["/v1/files", "/v1/chat/completions"]


def test_file_id_forms_are_sent_as_they_are(xai_emulator: Emulator, responses: bool) -> None:
    with emulator_client(xai_emulator) as client:
        file_id = client.files.upload(INVOICE_PDF, filename="terms.pdf").id
    model = _model(xai_emulator, responses)
    for block in (
        {"type": "file", "file_id": file_id, "mime_type": MIME},
        {"type": "file", "source_type": "id", "id": file_id},
        {"type": "file", "file": {"file_id": file_id}},
    ):
        answer = model.invoke([HumanMessage(["Summarise.", block])])
        assert f"Document 1: terms.pdf, {INVOICE_QUOTE}." in answer.text
        part = _sent_part(xai_emulator, responses)
        if responses:
            assert part == {"type": "input_file", "file_id": file_id}
        else:
            assert part == {"type": "file", "file": {"file_id": file_id}}


def test_url_forms_are_sent_as_urls(xai_emulator: Emulator, responses: bool) -> None:
    url = "https://example.com/report.pdf"
    model = _model(xai_emulator, responses)
    for block in (
        {"type": "file", "url": url, "mime_type": MIME},
        {"type": "file", "source_type": "url", "url": url},
    ):
        answer = model.invoke([HumanMessage(["Summarise.", block])])
        assert f"Document 1: {url} (not read" in answer.text
        part = _sent_part(xai_emulator, responses)
        expected = (
            {"type": "input_file", "file_url": url}
            if responses
            else {"type": "file", "file": {"url": url}}
        )
        assert part == expected


def _tool_turn(block: dict[str, Any]) -> list[Any]:
    return [
        HumanMessage("Fetch the invoice."),
        AIMessage("", tool_calls=[{"id": "c1", "name": "fetch_pdf", "args": {}}]),
        ToolMessage(["The invoice:", block], tool_call_id="c1"),
    ]


def test_a_tool_result_pdf_on_chat_completions(xai_emulator: Emulator) -> None:
    answer = _model(xai_emulator, False).invoke(_tool_turn(INLINE_FORMS["v1 base64"]))
    assert f"Document 1: i.pdf, {INVOICE_QUOTE}." in answer.text
    tool = xai_emulator.last_request.body["messages"][2]
    assert tool["role"] == "tool"
    assert set(tool["content"][1]["file"]) == {"file_id"}


def test_a_tool_result_pdf_on_responses(xai_emulator: Emulator) -> None:
    answer = _model(xai_emulator, True).invoke(_tool_turn(INLINE_FORMS["v1 base64"]))
    assert "Tool fetch_pdf returned: The invoice:" in answer.text
    assert f"Document 1: i.pdf, {INVOICE_QUOTE}." in answer.text
    items = xai_emulator.last_request.body["input"]
    assert items[2] == {"type": "function_call_output", "call_id": "c1", "output": "The invoice:"}
    assert items[3]["role"] == "user"
    assert items[3]["content"][1] == {
        "type": "input_file",
        "file_data": INVOICE_B64,
        "filename": "i.pdf",
    }


def test_pages_mode_renders_the_chosen_pages(xai_emulator: Emulator, responses: bool) -> None:
    model = _model(
        xai_emulator, responses, document_mode="pages", document_pages="2-3", document_detail="low"
    )
    message = HumanMessage(["Read the pages.", INLINE_FORMS["v1 base64"]])
    answer = model.invoke([message])
    assert answer.text.startswith("I see 2 images.")
    assert "Document" not in answer.text
    assert [r.path for r in xai_emulator.requests] == [  # no upload: only image parts
        "/v1/responses" if responses else "/v1/chat/completions"
    ]
    assert model.count_tokens([message]).image_tokens == 2 * 256  # low: one tile a page


async def test_the_async_path_reads_pdfs_off_the_loop(
    xai_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = pdf_reading_threads(monkeypatch, langchain_documents)
    model = _model(xai_emulator, False)
    answer = await model.ainvoke([HumanMessage(["Summarise.", INLINE_FORMS["v0 base64"]])])
    assert INVOICE_QUOTE in answer.text
    chunks = [c async for c in model.astream([HumanMessage(["Again.", INLINE_FORMS["v0 base64"]])])]
    assert INVOICE_QUOTE in "".join(c.text for c in chunks)
    assert threads and threading.get_ident() not in threads  # never on the event loop's thread


def test_a_chained_request_keeps_the_cache_key_in_pages_mode(xai_emulator: Emulator) -> None:
    """The key of a request sent after a stored answer comes from the conversation's start
    read as the first request read it (here: pages rendered as images)."""
    model = _model(
        xai_emulator, True, store=True, use_previous_response_id=True, document_mode="pages"
    )
    history: list[Any] = [HumanMessage(["Read it.", INLINE_FORMS["v1 base64"]])]
    first = model.invoke(history)
    model.invoke([*history, first, HumanMessage("And the total?")])
    first_key, second_key = (r.body["prompt_cache_key"] for r in xai_emulator.requests)
    assert "previous_response_id" in xai_emulator.last_request.body
    assert first_key == second_key


@pytest.mark.parametrize(("data", "error"), BAD_PDFS)
async def test_bad_pdfs_raise_typed_errors_and_send_nothing(
    xai_emulator: Emulator, responses: bool, data: bytes, error: type[DocumentError]
) -> None:
    block = {"type": "file", "base64": base64.b64encode(data).decode(), "mime_type": MIME}
    model = _model(xai_emulator, responses)
    with pytest.raises(error, match=r"message 0 \(human\), block 1"):
        model.invoke([HumanMessage(["Summarise.", block])])
    with pytest.raises(error, match=r"message 0 \(human\), block 1"):
        await model.ainvoke([HumanMessage(["Summarise.", block])])
    assert xai_emulator.requests == []


def test_other_file_types_are_refused(xai_emulator: Emulator) -> None:
    block = {"type": "file", "base64": "aGVsbG8=", "mime_type": "text/plain"}
    with pytest.raises(RequestValidationError, match="file blocks of type 'text/plain'"):
        _model(xai_emulator, False).invoke([HumanMessage([block])])
    assert xai_emulator.requests == []
