"""The client's plain JSON calls (``get_json`` / ``post_json``, sync and async) against the
emulator: the same key, headers, retries and typed errors as a chat request."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.emulator import Emulator
from xai_vision.errors import (
    APIConnectionError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    RequestValidationError,
    ResponseParseError,
)

CHAT_BODY = {"model": "grok-4", "messages": [{"role": "user", "content": "Hello"}]}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_get_json_returns_the_answer_and_sends_the_key(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    listing = client.get_json("/models")
    assert listing["object"] == "list"
    assert {"id": "grok-4-0709"}.items() <= listing["data"][0].items()
    sent = xai_emulator.last_request
    assert (sent.method, sent.path) == ("GET", "/v1/models")
    assert sent.headers["authorization"] == "Bearer [REDACTED]"
    assert sent.headers["user-agent"].startswith("xai-vision/")
    assert "content-type" not in sent.headers


def test_post_json_sends_the_body_as_json(client: XAIClient, xai_emulator: Emulator) -> None:
    answer = client.post_json("/chat/completions", CHAT_BODY)
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"].endswith("You asked: Hello")
    sent = xai_emulator.last_request
    assert (sent.method, sent.path, sent.body) == ("POST", "/v1/chat/completions", CHAT_BODY)
    assert sent.headers["content-type"] == "application/json"


def test_an_unknown_path_is_a_typed_not_found(client: XAIClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_json("/no-such-endpoint")
    assert caught.value.status_code == 404


def test_retryable_errors_are_retried_like_chat_requests(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(2, status=503)
    answer = client.post_json("/chat/completions", CHAT_BODY)
    assert answer["object"] == "chat.completion"
    assert len(sleeps) == 2 and len(xai_emulator.requests) == 3


def test_max_retries_overrides_the_clients_for_one_call(
    client: XAIClient, xai_emulator: Emulator, sleeps: Sleeps
) -> None:
    xai_emulator.fail_next(1, status=503)
    with pytest.raises(InternalServerError):
        client.post_json("/chat/completions", CHAT_BODY, max_retries=0)
    assert sleeps == [] and len(xai_emulator.requests) == 1


def test_an_answer_that_is_not_json_is_a_parse_error(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    xai_emulator.malformed_next("json")
    with pytest.raises(ResponseParseError, match="not valid JSON"):
        client.post_json("/chat/completions", CHAT_BODY)


@pytest.mark.parametrize(
    "path",
    ["language-models", "//evil.example/x", "https://evil.example/v1/models", "/a\nb", 7],
)
def test_a_path_off_the_base_url_is_refused_before_sending(
    client: XAIClient, xai_emulator: Emulator, path: Any
) -> None:
    with pytest.raises(RequestValidationError, match="path="):
        client.get_json(path)
    assert xai_emulator.requests == []


def test_bad_bodies_and_retry_counts_are_refused_before_sending(
    client: XAIClient, xai_emulator: Emulator
) -> None:
    with pytest.raises(RequestValidationError, match="body is not JSON data"):
        client.post_json("/tokenize-text", {"text": {1, 2}})
    with pytest.raises(RequestValidationError, match="max_retries=-1"):
        client.get_json("/models", max_retries=-1)
    assert xai_emulator.requests == []


def test_no_key_is_a_missing_key_error(
    xai_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    client = XAIClient(base_url=xai_emulator.base_url)
    with client, pytest.raises(MissingAPIKeyError):
        client.get_json("/models")
    assert xai_emulator.requests == []


def test_an_unreachable_host_is_a_connection_error_without_the_key() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key = "xai-secret-value-123"
    client = XAIClient(api_key=key, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with client, pytest.raises(APIConnectionError) as caught:
        client.get_json("/language-models")
    assert f"127.0.0.1:{port}/v1/language-models" in str(caught.value)
    assert key not in str(caught.value)


def test_async_json_calls_match_the_sync_ones(xai_emulator: Emulator) -> None:
    async def run() -> tuple[Any, Any, Any]:
        async with AsyncXAIClient(
            api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, timeout=10
        ) as client:
            listing = await client.get_json("/models")
            answer = await client.post_json("/chat/completions", CHAT_BODY)
        with XAIClient(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url) as twin:
            via_twin = await twin.aget_json("/models")
            await twin.aclose()
        return listing, answer, via_twin

    listing, answer, via_twin = asyncio.run(run())
    assert listing == via_twin and listing["object"] == "list"
    assert answer["object"] == "chat.completion"
    assert [r.method for r in xai_emulator.requests] == ["GET", "POST", "GET"]


def test_async_errors_are_typed_too(xai_emulator: Emulator) -> None:
    async def run() -> None:
        async with AsyncXAIClient(
            api_key=xai_emulator.api_key, base_url=xai_emulator.base_url
        ) as client:
            await client.post_json("/no-such-endpoint", {})

    with pytest.raises(NotFoundError):
        asyncio.run(run())
