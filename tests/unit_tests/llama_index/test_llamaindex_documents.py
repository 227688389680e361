"""PDF ``DocumentBlock``s in XAIVision against the emulator: bytes, path and URL on both
endpoints, tool results, rendered pages, the async path, and typed errors that send nothing."""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import pytest
from endpoint_params import adapter_on
from llama_index.core.base.llms.types import ChatMessage, DocumentBlock, TextBlock, ToolCallBlock
from pdfs import BAD_PDFS, INVOICE_B64, INVOICE_PDF, INVOICE_QUOTE, pdf_reading_threads
from xai_vision.documents import DocumentOptions
from xai_vision.emulator import Emulator
from xai_vision.errors import DocumentError, RequestValidationError

from llama_index_xai_vision import XAIVision
from llama_index_xai_vision import _convert as llama_index_convert

#: ``XAIVision`` on an emulator with ``use_responses_api`` and fields.
_llm = functools.partial(adapter_on, XAIVision)


def _ask(block: DocumentBlock) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[TextBlock(text="Summarise."), block])]


def test_a_document_block_of_bytes_reaches_the_model(
    xai_emulator: Emulator, responses: bool
) -> None:
    block = DocumentBlock(data=INVOICE_PDF, title="invoice", document_mimetype="application/pdf")
    assert (
        block.data == INVOICE_B64.encode()
    )  # LlamaIndex holds base64; resolve_document() the bytes
    answer = _llm(xai_emulator, responses).chat(_ask(block))
    assert f"Document 1: invoice.pdf, {INVOICE_QUOTE}." in (answer.message.content or "")
    body = xai_emulator.last_request.body
    if responses:
        part = body["input"][0]["content"][1]
        assert part == {"type": "input_file", "file_data": INVOICE_B64, "filename": "invoice.pdf"}
    else:
        assert set(body["messages"][0]["content"][1]["file"]) == {"file_id"}
        assert [r.path for r in xai_emulator.requests] == ["/v1/files", "/v1/chat/completions"]


def test_a_path_and_a_url(xai_emulator: Emulator, responses: bool, tmp_path: Path) -> None:
    path = tmp_path / "terms.pdf"
    path.write_bytes(INVOICE_PDF)
    llm = _llm(xai_emulator, responses)
    by_path = llm.chat(_ask(DocumentBlock(path=path)))
    assert INVOICE_QUOTE in (by_path.message.content or "")
    url = "https://example.com/report.pdf"
    by_url = llm.chat(_ask(DocumentBlock(url=url)))
    assert f"Document 1: {url} (not read" in (by_url.message.content or "")
    body = xai_emulator.last_request.body
    if responses:
        assert body["input"][0]["content"][1] == {"type": "input_file", "file_url": url}
    else:
        assert body["messages"][0]["content"][1] == {"type": "file", "file": {"url": url}}


def _tool_turn() -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="Fetch the invoice."),
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="c1", tool_name="fetch_pdf", tool_kwargs={})],
        ),
        ChatMessage(
            role="tool",
            blocks=[
                TextBlock(text="The invoice:"),
                DocumentBlock(data=INVOICE_PDF, title="invoice"),
            ],
            additional_kwargs={"tool_call_id": "c1"},
        ),
    ]


def test_a_tool_result_pdf_on_chat_completions(xai_emulator: Emulator) -> None:
    answer = _llm(xai_emulator, False).chat(_tool_turn())
    assert f"Document 1: invoice.pdf, {INVOICE_QUOTE}." in (answer.message.content or "")
    tool = xai_emulator.last_request.body["messages"][2]
    assert tool["role"] == "tool"
    assert set(tool["content"][1]["file"]) == {"file_id"}


def test_a_tool_result_pdf_on_responses(xai_emulator: Emulator) -> None:
    answer = _llm(xai_emulator, True).chat(_tool_turn())
    assert f"Document 1: invoice.pdf, {INVOICE_QUOTE}." in (answer.message.content or "")
    items = xai_emulator.last_request.body["input"]
    assert items[2] == {"type": "function_call_output", "call_id": "c1", "output": "The invoice:"}
    assert items[3]["content"][1]["type"] == "input_file"


def test_pages_mode_renders_the_chosen_pages(xai_emulator: Emulator, responses: bool) -> None:
    options = DocumentOptions(mode="pages", pages="1", detail="high")
    llm = _llm(xai_emulator, responses, document_options=options)
    messages = _ask(DocumentBlock(data=INVOICE_PDF))
    answer = llm.chat(messages)
    assert (answer.message.content or "").startswith("I see 1 image.")
    assert llm.count_tokens(messages).image_tokens == 1792  # high: at most 6 tiles + 1


async def test_the_async_path_reads_pdfs_off_the_loop(
    xai_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = pdf_reading_threads(monkeypatch, llama_index_convert)
    llm = _llm(xai_emulator, False)
    answer = await llm.achat(_ask(DocumentBlock(data=INVOICE_PDF)))
    assert INVOICE_QUOTE in (answer.message.content or "")
    responses = [r async for r in await llm.astream_chat(_ask(DocumentBlock(data=INVOICE_PDF)))]
    assert INVOICE_QUOTE in (responses[-1].message.content or "")
    assert threads and threading.get_ident() not in threads  # never on the event loop's thread


def test_a_chained_request_keeps_the_cache_key_in_pages_mode(xai_emulator: Emulator) -> None:
    """The key of a request sent after a stored answer comes from the conversation's start
    read as the first request read it (here: pages rendered as images)."""
    llm = _llm(
        xai_emulator,
        True,
        store=True,
        use_previous_response_id=True,
        document_options=DocumentOptions(mode="pages"),
    )
    history = _ask(DocumentBlock(data=INVOICE_PDF))
    first = llm.chat(history)
    llm.chat([*history, first.message, ChatMessage(role="user", content="And the total?")])
    first_key, second_key = (r.body["prompt_cache_key"] for r in xai_emulator.requests)
    assert "previous_response_id" in xai_emulator.last_request.body
    assert first_key == second_key


@pytest.mark.parametrize(("data", "error"), BAD_PDFS)
async def test_bad_pdfs_raise_typed_errors_and_send_nothing(
    xai_emulator: Emulator, data: bytes, error: type[DocumentError]
) -> None:
    llm = _llm(xai_emulator, False)
    with pytest.raises(error, match=r"message 0 \(user\), block 1"):
        llm.chat(_ask(DocumentBlock(data=data)))
    with pytest.raises(error, match=r"message 0 \(user\), block 1"):
        await llm.achat(_ask(DocumentBlock(data=data)))
    assert xai_emulator.requests == []


def test_other_document_types_are_refused(xai_emulator: Emulator) -> None:
    block = DocumentBlock(data=b"plain", document_mimetype="text/plain")
    with pytest.raises(RequestValidationError, match="DocumentBlock of type 'text/plain'"):
        _llm(xai_emulator, False).chat(_ask(block))
    assert xai_emulator.requests == []
