"""PDFs through the client against the emulator: chat completions uploads inline PDFs and sends
their file_id, responses sends input_file, the emulator reads them; bad PDFs send nothing."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from emulator_clients import async_emulator_client, emulator_client
from pdfs import corrupt_pdf, encrypted_pdf, make_pdf
from xai_vision import (
    ChatRequest,
    DocumentError,
    XAIClient,
    assistant_message,
    prepare_document,
    tool_message,
    user_message,
)
from xai_vision.emulator import Emulator
from xai_vision.endpoints import endpoint_for

MODEL = "grok-4-fast-non-reasoning"
QUOTE = '2 pages; page 1 reads: "Invoice 42: total 17.50 EUR"'


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_pdf(["Invoice 42: total 17.50 EUR", "Terms"])


@pytest.fixture
def responses_client(xai_emulator: Emulator) -> Iterator[XAIClient]:
    with emulator_client(xai_emulator, timeout=10, endpoint=endpoint_for("responses")) as c:
        yield c


def _ask(*parts: object) -> ChatRequest:
    return ChatRequest(MODEL, [user_message(["What is this?", *parts])])  # type: ignore[list-item]


def _paths(emulator: Emulator) -> list[str]:
    return [request.path for request in emulator.requests]


def test_chat_completions_uploads_once_then_sends_the_file_id(
    client: XAIClient, xai_emulator: Emulator, pdf: bytes
) -> None:
    document = prepare_document(pdf, filename="invoice.pdf")
    first = client.create(_ask(document))
    assert f"Document 1: invoice.pdf, {QUOTE}." in first.content
    sent = xai_emulator.last_request.body["messages"][0]["content"][1]
    assert set(sent["file"]) == {"file_id"}
    client.create(_ask(document))  # the same bytes: the cached id, no second upload
    assert _paths(xai_emulator) == ["/v1/files", "/v1/chat/completions", "/v1/chat/completions"]
    assert xai_emulator.last_request.body["messages"][0]["content"][1] == sent


def test_streams_upload_first_too(client: XAIClient, xai_emulator: Emulator, pdf: bytes) -> None:
    text = "".join(chunk.content or "" for chunk in client.stream(_ask(prepare_document(pdf))))
    assert QUOTE in text
    assert _paths(xai_emulator) == ["/v1/files", "/v1/chat/completions"]


async def test_the_async_client_uploads_then_sends(xai_emulator: Emulator, pdf: bytes) -> None:
    async with async_emulator_client(xai_emulator, timeout=10) as client:
        answer = await client.create(_ask(prepare_document(pdf)))
        chunks = [chunk.content or "" async for chunk in client.stream(_ask(prepare_document(pdf)))]
    assert QUOTE in answer.content
    assert QUOTE in "".join(chunks)
    assert _paths(xai_emulator) == ["/v1/files", "/v1/chat/completions", "/v1/chat/completions"]


def test_responses_sends_input_file_inline(
    responses_client: XAIClient, xai_emulator: Emulator, pdf: bytes
) -> None:
    answer = responses_client.create(_ask(prepare_document(pdf, filename="invoice.pdf")))
    assert f"Document 1: invoice.pdf, {QUOTE}." in answer.content
    part = xai_emulator.last_request.body["input"][0]["content"][1]
    assert part == {
        "type": "input_file",
        "file_data": base64.b64encode(pdf).decode(),
        "filename": "invoice.pdf",
    }
    assert _paths(xai_emulator) == ["/v1/responses"]


@pytest.mark.parametrize("api", ["chat_completions", "responses"])
def test_a_file_id_the_user_has_is_sent_as_it_is(
    xai_emulator: Emulator, pdf: bytes, api: str
) -> None:
    with emulator_client(xai_emulator, timeout=10, endpoint=endpoint_for(api)) as client:
        uploaded = client.files.upload(pdf, filename="terms.pdf")
        answer = client.create(_ask(prepare_document(file_id=uploaded.id)))
    assert f"Document 1: terms.pdf, {QUOTE}." in answer.content
    assert _paths(xai_emulator) == ["/v1/files", f"/v1/{api.replace('_', '/')}"]


@pytest.mark.parametrize("api", ["chat_completions", "responses"])
def test_a_url_is_sent_and_not_fetched(xai_emulator: Emulator, api: str) -> None:
    with emulator_client(xai_emulator, timeout=10, endpoint=endpoint_for(api)) as client:
        answer = client.create(_ask(prepare_document("https://example.com/report.pdf")))
    assert "Document 1: https://example.com/report.pdf (not read" in answer.content
    body = xai_emulator.last_request.body
    if api == "responses":
        assert body["input"][0]["content"][1] == {
            "type": "input_file",
            "file_url": "https://example.com/report.pdf",
        }
    else:
        assert body["messages"][0]["content"][1] == {
            "type": "file",
            "file": {"url": "https://example.com/report.pdf"},
        }


def _tool_turn(document: object) -> ChatRequest:
    return ChatRequest(
        MODEL,
        [
            user_message("Fetch the invoice."),
            assistant_message(tool_calls=[{"id": "c1", "name": "fetch_pdf", "arguments": "{}"}]),
            tool_message("c1", ["The invoice:", document]),  # type: ignore[list-item]
        ],
    )


def test_a_tool_result_pdf_on_chat_completions_is_a_file_part_in_the_tool_message(
    client: XAIClient, xai_emulator: Emulator, pdf: bytes
) -> None:
    answer = client.create(_tool_turn(prepare_document(pdf, filename="invoice.pdf")))
    assert f"Document 1: invoice.pdf, {QUOTE}." in answer.content
    tool = xai_emulator.last_request.body["messages"][2]
    assert tool["role"] == "tool"
    assert tool["content"][0] == {"type": "text", "text": "The invoice:"}
    assert set(tool["content"][1]["file"]) == {"file_id"}


def test_a_tool_result_pdf_on_responses_follows_the_output(
    responses_client: XAIClient, xai_emulator: Emulator, pdf: bytes
) -> None:
    answer = responses_client.create(_tool_turn(prepare_document(pdf, filename="invoice.pdf")))
    assert "Tool fetch_pdf returned: The invoice:" in answer.content
    assert f"Document 1: invoice.pdf, {QUOTE}." in answer.content
    items = xai_emulator.last_request.body["input"]
    assert items[2] == {"type": "function_call_output", "call_id": "c1", "output": "The invoice:"}
    assert items[3]["role"] == "user"
    assert items[3]["content"][1]["type"] == "input_file"


@pytest.mark.parametrize("data", [corrupt_pdf(), encrypted_pdf(), b"GIF89a not a pdf"])
def test_bad_pdfs_never_leave_the_machine(
    client: XAIClient, xai_emulator: Emulator, data: bytes
) -> None:
    with pytest.raises(DocumentError, match=r"document \(bad.pdf\)"):
        client.create(_ask(prepare_document(data, filename="bad.pdf")))
    assert xai_emulator.requests == []


def test_the_emulator_answers_a_bad_pdf_400_like_xai(xai_emulator: Emulator, pdf: bytes) -> None:
    bad = base64.b64encode(corrupt_pdf()).decode()
    with httpx.Client(
        base_url=xai_emulator.base_url,
        headers={"Authorization": f"Bearer {xai_emulator.api_key}"},
        timeout=10,
    ) as http:
        part = {"type": "input_file", "file_data": bad, "filename": "bad.pdf"}
        response = http.post(
            "/responses",
            json={"model": MODEL, "input": [{"role": "user", "content": [part]}]},
        )
        assert response.status_code == 400
        assert "could not be read as a PDF: corrupt PDF" in response.json()["error"]
        inline = {"type": "file", "file": {"file_data": base64.b64encode(pdf).decode()}}
        response = http.post(
            "/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": [inline]}]},
        )
        assert response.status_code == 400
        assert "file_data is not supported here: upload the file" in response.json()["error"]
        unknown = {"type": "file", "file": {"file_id": "file_nope"}}
        response = http.post(
            "/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": [unknown]}]},
        )
        assert response.status_code == 404
        assert "file file_nope not found" in response.json()["error"]
