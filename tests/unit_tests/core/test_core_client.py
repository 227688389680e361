"""XAIClient / AsyncXAIClient against a real HTTP server on 127.0.0.1.

The server here is a tiny scripted ``http.server``: each test queues exact replies (status,
headers, body, delays, truncation) and inspects the requests the client really sent.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from loopback import Loopback, Reply
from pydantic import SecretStr
from retry_sleeps import Sleeps
from xai_vision import _json
from xai_vision.client import DEFAULT_BASE_URL, AsyncXAIClient, XAIClient
from xai_vision.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidAPIKeyError,
    MissingAPIKeyError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    ResponseParseError,
    StreamError,
    StreamInterruptedError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from xai_vision.images import prepare_image
from xai_vision.messages import ChatRequest, image_part, text_part, user_message
from xai_vision.retry import RetryPolicy
from xai_vision.stream import StreamAccumulator

KEY = "xai-test-SECRET-key-0123456789"


# --------------------------------------------------------------------------- loopback server


@pytest.fixture
def server() -> Iterator[Loopback]:
    loopback = Loopback()
    yield loopback
    loopback.close()


@pytest.fixture
def client(server: Loopback, sleeps: Sleeps) -> Iterator[XAIClient]:
    # The loopback server scripts chat answers only: no model list to price answers with.
    with XAIClient(
        api_key=KEY, base_url=server.url, timeout=5, sleep=sleeps, live_facts=False
    ) as c:
        yield c


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XAI_API_KEY", "XAI_BASE_URL", "XAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)


# --------------------------------------------------------------------------- wire fixtures


def request(**fields: Any) -> ChatRequest:
    fields.setdefault("model", "grok-4")
    fields.setdefault("messages", [user_message("Say hi")])
    return ChatRequest(**fields)


def completion_body(content: str = "Hi!", **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "id": "resp-123_us-east-1",
        "object": "chat.completion",
        "created": 1752854522,
        "model": "grok-4-0709",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 300,
            "completion_tokens": 2,
            "total_tokens": 403,
            "prompt_tokens_details": {
                "text_tokens": 44,
                "audio_tokens": 0,
                "image_tokens": 256,
                "cached_tokens": 6,
            },
            "completion_tokens_details": {"reasoning_tokens": 101},
            "num_sources_used": 0,
            "cost_in_usd_ticks": 12_345_000,
        },
        "system_fingerprint": "fp_test",
    }
    body.update(extra)
    return json.dumps(body).encode()


def chunk_frame(delta: dict[str, Any] | None = None, **extra: Any) -> bytes:
    data: dict[str, Any] = {
        "id": "stream-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "grok-4-0709",
        "choices": [{"index": 0, "delta": delta or {}}],
        "system_fingerprint": "fp_s",
    }
    data.update(extra)
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def sse_frames(text: str = "Olá!") -> list[bytes]:
    frames = [chunk_frame({"role": "assistant"})]
    frames += [chunk_frame({"content": piece}) for piece in (text[:2], text[2:])]
    frames.append(chunk_frame(choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    frames.append(
        chunk_frame(
            choices=[],
            usage={
                "prompt_tokens": 10,
                "completion_tokens": 2,
                "total_tokens": 15,
                "completion_tokens_details": {"reasoning_tokens": 3},
            },
        )
    )
    frames.append(b"data: [DONE]\n\n")
    return frames


def sse_reply(frames: list[bytes], **kw: Any) -> Reply:
    return Reply(body=frames, headers={"Content-Type": "text/event-stream"}, **kw)


def error_reply(status: int, message: str, code: str = "Some code", **headers: str) -> Reply:
    body = json.dumps({"code": code, "error": message}).encode()
    return Reply(status, body, headers={"x-request-id": "req-42", **headers})


# --------------------------------------------------------------------------- create


def test_create_sends_one_exact_request_and_parses_everything(
    server: Loopback, client: XAIClient
) -> None:
    server.script(Reply(body=completion_body()))
    result = client.create(request(temperature=0.2, max_tokens=50))

    (seen,) = server.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["user-agent"].startswith("xai-vision/")
    assert json.loads(seen.body) == {
        "model": "grok-4",
        "messages": [{"role": "user", "content": "Say hi"}],
        "temperature": 0.2,
        "max_tokens": 50,
    }
    assert result.content == "Hi!"
    assert (result.id, result.model, result.finish_reason) == (
        "resp-123_us-east-1",
        "grok-4-0709",
        "stop",
    )
    assert result.system_fingerprint == "fp_test"
    usage = result.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (300, 2, 403)
    assert (usage.text_tokens, usage.image_tokens, usage.cached_tokens) == (44, 256, 6)
    assert usage.reasoning_tokens == 101
    assert usage.cost_usd == pytest.approx(0.0012345)
    assert usage.raw["num_sources_used"] == 0
    assert result.raw["usage"]["prompt_tokens"] == 300


def test_body_is_built_once_deterministically_with_extra_last(server: Loopback) -> None:
    req = request(
        model="a-model-the-catalogue-does-not-know",  # so no model rule refuses the fields
        seed=7,
        stop=["END"],
        reasoning_effort="low",
        extra={"max_completion_tokens": 9, "user": "u1"},
    )
    with XAIClient(api_key=KEY, base_url=server.url) as c:
        server.script(Reply(body=completion_body()), Reply(body=completion_body()))
        c.create(req)
        c.create(req)
    first, second = (s.body for s in server.requests)
    assert first == second
    assert list(json.loads(first)) == [
        "model",
        "messages",
        "stop",
        "seed",
        "reasoning_effort",
        "max_completion_tokens",
        "user",
    ]


def test_images_are_sent_as_data_uris_and_never_logged(
    server: Loopback, client: XAIClient, image_bytes: Any, caplog: pytest.LogCaptureFixture
) -> None:
    image = prepare_image(image_bytes(color="blue", size=(40, 30)))
    req = request(messages=[user_message([text_part("What is this?"), image_part(image)])])
    server.script(Reply(body=completion_body()))
    with caplog.at_level(logging.DEBUG, logger="xai_vision"):
        client.create(req)
    sent = json.loads(server.requests[0].body)
    assert sent["messages"][0]["content"][1]["image_url"]["url"] == image.url
    logged = caplog.text
    assert "images=1" in logged and "POST" in logged
    assert image.url[30:80] not in logged
    assert KEY not in logged


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (413, PayloadTooLargeError),
        (415, UnsupportedMediaTypeError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
    ],
)
def test_flat_xai_errors_become_typed_exceptions(
    server: Loopback, sleeps: Sleeps, status: int, error_type: type[APIError]
) -> None:
    server.script(*[error_reply(status, f"boom {status}", code="The code")] * 3)
    with (
        XAIClient(api_key=KEY, base_url=server.url, max_retries=0, sleep=sleeps) as c,
        pytest.raises(error_type) as info,
    ):
        c.create(request())
    error = info.value
    assert type(error) is error_type
    assert (error.status_code, error.code, error.message) == (status, "The code", f"boom {status}")
    assert error.request_id == "req-42"
    assert f"boom {status}" in str(error) and "req-42" in str(error)
    assert len(server.requests) == 1


def test_wrong_key_answer_is_invalid_api_key_and_key_is_redacted(
    server: Loopback, client: XAIClient
) -> None:
    server.script(error_reply(400, f"Incorrect API key provided: {KEY}. Get one at x.ai"))
    with pytest.raises(InvalidAPIKeyError) as info:
        client.create(request())
    assert isinstance(info.value, AuthenticationError)
    assert KEY not in str(info.value) and KEY not in repr(info.value.body)
    assert "Incorrect API key provided: ***" in info.value.message


def test_openai_style_error_body_is_understood(server: Loopback, client: XAIClient) -> None:
    body = json.dumps(
        {
            "error": {
                "message": "no such model",
                "type": "invalid_request_error",
                "code": "model_not_found",
            }
        }
    ).encode()
    server.script(Reply(404, body, headers={"request-id": "r-9"}))
    with pytest.raises(NotFoundError) as info:
        client.create(request())
    assert (info.value.message, info.value.code, info.value.request_id) == (
        "no such model",
        "model_not_found",
        "r-9",
    )


def test_non_json_error_body_keeps_its_text(server: Loopback, client: XAIClient) -> None:
    server.script(Reply(403, b"<html>blocked</html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(PermissionDeniedError, match="blocked"):
        client.create(request())


def test_malformed_json_response_is_a_parse_error(server: Loopback, client: XAIClient) -> None:
    server.script(Reply(body=b'{"id": "x", "choices": ['))
    with pytest.raises(ResponseParseError, match="not valid JSON"):
        client.create(request())
    server.script(Reply(body=b'{"id": "x", "model": "m"}'))
    with pytest.raises(ResponseParseError, match="choices"):
        client.create(request())
    assert len(server.requests) == 2


# --------------------------------------------------------------------------- retries


def test_429_then_success_honours_retry_after_seconds(
    server: Loopback, client: XAIClient, sleeps: Sleeps
) -> None:
    server.script(
        error_reply(429, "Some resource has been exhausted", **{"Retry-After": "3"}),
        Reply(body=completion_body("after wait")),
    )
    assert client.create(request()).content == "after wait"
    assert sleeps == [3.0]
    assert len(server.requests) == 2
    assert server.requests[0].body == server.requests[1].body


def test_retry_after_ms_and_http_date_are_honoured(
    server: Loopback, client: XAIClient, sleeps: Sleeps
) -> None:
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.script(
        error_reply(503, "busy", **{"retry-after-ms": "250"}),
        error_reply(429, "slow down", **{"Retry-After": date}),
        Reply(body=completion_body()),
    )
    client.create(request())
    assert sleeps[0] == 0.25
    assert 28 <= sleeps[1] <= 30


def test_retry_after_beyond_cap_falls_back_to_backoff(server: Loopback, sleeps: Sleeps) -> None:
    policy = RetryPolicy(random=lambda: 0.0)
    server.script(
        error_reply(429, "later", **{"Retry-After": "3600"}), Reply(body=completion_body())
    )
    with XAIClient(api_key=KEY, base_url=server.url, sleep=sleeps, retry_policy=policy) as c:
        c.create(request())
    assert sleeps == [0.5]


def test_rate_limit_error_carries_retry_after(server: Loopback, sleeps: Sleeps) -> None:
    server.script(error_reply(429, "exhausted", **{"Retry-After": "12"}))
    with (
        XAIClient(api_key=KEY, base_url=server.url, max_retries=0, sleep=sleeps) as c,
        pytest.raises(RateLimitError) as info,
    ):
        c.create(request())
    assert info.value.retry_after == 12.0


def test_5xx_retries_are_bounded_by_max_retries_with_growing_backoff(
    server: Loopback, sleeps: Sleeps
) -> None:
    server.script(*[error_reply(500, "oops")] * 4)
    policy = RetryPolicy(random=lambda: 0.0)
    with (
        XAIClient(
            api_key=KEY, base_url=server.url, max_retries=3, sleep=sleeps, retry_policy=policy
        ) as c,
        pytest.raises(InternalServerError),
    ):
        c.create(request())
    assert len(server.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("status", [408, 409])
def test_408_and_409_are_retried(server: Loopback, client: XAIClient, status: int) -> None:
    server.script(error_reply(status, "again"), Reply(body=completion_body()))
    assert client.create(request()).content == "Hi!"
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(server: Loopback, client: XAIClient, status: int) -> None:
    server.script(error_reply(status, "no"), Reply(body=completion_body()))
    with pytest.raises(APIError):
        client.create(request())
    assert len(server.requests) == 1


def test_timeout_is_typed_and_retried(server: Loopback, sleeps: Sleeps) -> None:
    # The retry's answer must arrive within the timeout: 1 s leaves room on a loaded machine.
    server.script(Reply(body=completion_body(), delay=2.0), Reply(body=completion_body("ok")))
    with XAIClient(api_key=KEY, base_url=server.url, timeout=1.0, sleep=sleeps) as c:
        assert c.create(request()).content == "ok"
    assert len(server.requests) == 2 and len(sleeps) == 1

    server.script(Reply(body=completion_body(), delay=1.5))
    with (
        XAIClient(api_key=KEY, base_url=server.url, timeout=0.3, max_retries=0) as c,
        pytest.raises(APITimeoutError, match="timed out"),
    ):
        c.create(request())


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_a_retried_connection_error(sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{unused_port()}/v1"
    with (
        XAIClient(api_key=KEY, base_url=url, max_retries=2, sleep=sleeps) as c,
        pytest.raises(APIConnectionError) as info,
    ):
        c.create(request())
    assert not isinstance(info.value, APITimeoutError)
    assert len(sleeps) == 2
    assert KEY not in str(info.value)


def test_redirects_are_not_followed_so_the_key_stays_home(
    server: Loopback, client: XAIClient
) -> None:
    other = Loopback()
    try:
        server.script(Reply(307, b"", headers={"Location": other.url + "/chat/completions"}))
        with pytest.raises(APIError, match="redirect") as info:
            client.create(request())
        assert info.value.status_code == 307
        assert other.requests == []
    finally:
        other.close()


# --------------------------------------------------------------------------- key, URL, config


def test_missing_key_raises_before_any_request(server: Loopback) -> None:
    c = XAIClient(base_url=server.url)
    assert c.api_key is None
    with pytest.raises(MissingAPIKeyError, match="XAI_API_KEY"):
        c.create(request())
    with pytest.raises(MissingAPIKeyError):
        c.stream(request())
    assert server.requests == []


def test_key_from_env_and_secretstr(server: Loopback, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAI_API_KEY", "env-key")
    assert XAIClient().api_key == SecretStr("env-key")
    assert XAIClient(api_key=SecretStr("explicit")).api_key == SecretStr("explicit")
    server.script(Reply(body=completion_body()))
    with XAIClient(base_url=server.url) as c:
        c.create(request())
    assert server.requests[0].headers["authorization"] == "Bearer env-key"


def test_key_never_appears_in_repr_or_str() -> None:
    for c in (XAIClient(api_key=KEY), AsyncXAIClient(api_key=KEY)):
        assert KEY not in repr(c) and KEY not in str(c)
        assert "api_key=set" in repr(c)
        assert KEY not in repr(c.api_key)


def test_malformed_key_is_rejected_without_echoing_it() -> None:
    with pytest.raises(RequestValidationError) as info:
        XAIClient(api_key="secret\nvalue")
    assert "secret" not in str(info.value)


def test_base_url_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert XAIClient().base_url == DEFAULT_BASE_URL == "https://api.x.ai/v1"
    monkeypatch.setenv("XAI_API_BASE", "http://api-base.test/v1/")
    assert XAIClient().base_url == "http://api-base.test/v1"
    monkeypatch.setenv("XAI_BASE_URL", "http://base-url.test/v1")
    assert XAIClient().base_url == "http://base-url.test/v1"
    assert XAIClient(base_url="https://arg.test/x").base_url == "https://arg.test/x"


@pytest.mark.parametrize("url", ["ftp://x.test/v1", "not a url", "https://user:pw@x.test/v1"])
def test_invalid_base_url_is_rejected(url: str) -> None:
    with pytest.raises(RequestValidationError, match="base_url"):
        XAIClient(base_url=url)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": httpx.Timeout(None)}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"default_headers": {"Authorization": "Bearer x"}}, "Authorization"),
        ({"http_client": object()}, "http_client"),
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(RequestValidationError, match=name):
        XAIClient(**kwargs)


def test_default_headers_are_sent(server: Loopback) -> None:
    server.script(Reply(body=completion_body()))
    with XAIClient(api_key=KEY, base_url=server.url, default_headers={"X-Trace": "t1"}) as c:
        c.create(request())
    assert server.requests[0].headers["x-trace"] == "t1"


def test_injected_http_client_is_used_and_left_open(server: Loopback) -> None:
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]})
    server.script(Reply(body=completion_body()))
    with XAIClient(api_key=KEY, base_url=server.url, http_client=http) as c:
        c.create(request())
    assert seen == [server.url + "/chat/completions"]
    assert not http.is_closed
    http.close()


def test_an_injected_clients_request_hook_can_read_a_small_body(server: Loopback) -> None:
    """A one-piece body goes to httpx as bytes, so hooks see ``request.content`` as before."""
    bodies: list[bytes] = []
    http = httpx.Client(event_hooks={"request": [lambda r: bodies.append(r.content)]})
    server.script(Reply(body=completion_body()))
    with XAIClient(api_key=KEY, base_url=server.url, http_client=http) as c:
        c.create(request())
    http.close()
    assert bodies == [server.requests[0].body]
    assert json.loads(bodies[0])["messages"] == [{"role": "user", "content": "Say hi"}]


async def test_an_injected_async_clients_request_hook_can_read_a_small_body(
    server: Loopback,
) -> None:
    bodies: list[bytes] = []

    async def hook(r: httpx.Request) -> None:
        bodies.append(r.content)

    http = httpx.AsyncClient(event_hooks={"request": [hook]})
    server.script(Reply(body=completion_body()))
    async with AsyncXAIClient(api_key=KEY, base_url=server.url, http_client=http) as c:
        await c.create(request())
    await http.aclose()
    assert bodies == [server.requests[0].body]


def test_one_pool_reused_across_calls(server: Loopback, client: XAIClient) -> None:
    server.script(*[Reply(body=completion_body())] * 3)
    ports: set[int] = set()
    for _ in range(3):
        client.create(request())
    pool = client._client()
    assert pool is client._client()
    ports = {id(pool)}
    assert len(ports) == 1 and len(server.requests) == 3
    client.close()
    assert pool.is_closed


def test_threads_share_one_fresh_client(server: Loopback) -> None:
    server.script(*[Reply(body=completion_body(f"n{i}")) for i in range(8)])
    results: list[str | None] = []
    with XAIClient(api_key=KEY, base_url=server.url) as c:
        threads = [
            threading.Thread(target=lambda: results.append(c.create(request()).content))
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        pool = c._client()
    assert sorted(r or "" for r in results) == [f"n{i}" for i in range(8)]
    assert pool.is_closed


# --------------------------------------------------------------------------- streaming


def test_stream_yields_chunks_and_requests_usage(server: Loopback, client: XAIClient) -> None:
    server.script(sse_reply(sse_frames("Olá!")))
    chunks = list(client.stream(request()))
    body = json.loads(server.requests[0].body)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert server.requests[0].headers["accept"] == "text/event-stream"
    assert [c.content for c in chunks if c.content] == ["Ol", "á!"]
    assert chunks[0].role == "assistant"
    acc = StreamAccumulator()
    for c in chunks:
        acc.add(c)
    result = acc.completion()
    assert (result.content, result.finish_reason) == ("Olá!", "stop")
    assert result.usage is not None and result.usage.total_tokens == 15
    assert sum(1 for c in chunks if c.usage is not None) == 1


def test_finished_streams_give_their_connection_back_to_the_pool(
    server: Loopback, client: XAIClient
) -> None:
    server.script(*[sse_reply(sse_frames("hi"), chunked=True) for _ in range(3)])
    server.script(Reply(body=completion_body()))
    for _ in range(3):
        assert "".join(c.content or "" for c in client.stream(request())) == "hi"
    client.create(request())
    assert len(server.requests) == 4
    assert server.connections == 1


def test_stream_without_usage_leaves_stream_options_out(
    server: Loopback, client: XAIClient
) -> None:
    frames = [f for f in sse_frames() if b'"usage"' not in f]
    server.script(sse_reply(frames))
    chunks = list(client.stream(request(), include_usage=False))
    body = json.loads(server.requests[0].body)
    assert body["stream"] is True and "stream_options" not in body
    assert all(c.usage is None for c in chunks)


def test_stream_frames_split_across_tcp_writes(server: Loopback, client: XAIClient) -> None:
    whole = b"".join(sse_frames("abcdef"))
    pieces = [whole[i : i + 7] for i in range(0, len(whole), 7)]
    server.script(sse_reply(pieces))
    text = "".join(c.content or "" for c in client.stream(request()))
    assert text == "abcdef"


def test_error_object_mid_stream_raises_stream_error(server: Loopback, client: XAIClient) -> None:
    frames = [*sse_frames()[:2], b'data: {"code": "Internal", "error": "model crashed"}\n\n']
    server.script(sse_reply(frames))
    received: list[str] = []
    with pytest.raises(StreamError, match="model crashed") as info:
        for c in client.stream(request()):
            received.append(c.content or "")
    assert info.value.code == "Internal"
    assert received == ["", "Ol"]
    assert len(server.requests) == 1


def test_stream_cut_before_finish_is_interrupted_and_not_retried(
    server: Loopback, client: XAIClient, sleeps: Sleeps
) -> None:
    server.script(sse_reply(sse_frames()[:3]), sse_reply(sse_frames()))
    with pytest.raises(StreamInterruptedError, match="incomplete"):
        list(client.stream(request()))
    assert len(server.requests) == 1 and sleeps == []


def test_stream_cut_mid_frame_is_interrupted(server: Loopback, client: XAIClient) -> None:
    frames = sse_frames()
    server.script(sse_reply([*frames[:2], frames[2][:25]]))
    with pytest.raises(StreamInterruptedError, match="middle of a frame"):
        list(client.stream(request()))


def test_stream_connection_dropped_short_of_length_is_interrupted(
    server: Loopback, client: XAIClient
) -> None:
    body = b"".join(sse_frames())
    cut = body[: len(body) // 2]
    server.script(
        Reply(body=cut, content_length=len(body), headers={"Content-Type": "text/event-stream"})
    )
    with pytest.raises(StreamInterruptedError, match="broke"):
        list(client.stream(request()))
    assert len(server.requests) == 1


def test_stream_ending_after_finish_without_done_is_accepted(
    server: Loopback, client: XAIClient
) -> None:
    server.script(sse_reply(sse_frames()[:4]))
    chunks = list(client.stream(request()))
    assert chunks[-1].finish_reason == "stop"


def test_stream_retried_when_failing_before_first_byte(
    server: Loopback, client: XAIClient, sleeps: Sleeps
) -> None:
    server.script(
        error_reply(503, "warming up", **{"retry-after-ms": "10"}), sse_reply(sse_frames("ok"))
    )
    assert "".join(c.content or "" for c in client.stream(request())) == "ok"
    assert sleeps == [0.01] and len(server.requests) == 2


def test_stream_timeout_between_frames_after_content_is_interrupted(server: Loopback) -> None:
    # The first frame must arrive within the timeout: 1 s leaves room on a loaded machine.
    server.script(sse_reply(sse_frames(), piece_delay=2.0))
    with (
        XAIClient(api_key=KEY, base_url=server.url, timeout=1.0) as c,
        pytest.raises(StreamInterruptedError),
    ):
        list(c.stream(request()))
    assert len(server.requests) == 1


def test_malformed_stream_frame_is_a_parse_error(server: Loopback, client: XAIClient) -> None:
    server.script(sse_reply([sse_frames()[0], b"data: {not json}\n\n"]))
    with pytest.raises(ResponseParseError, match="not valid JSON"):
        list(client.stream(request()))


def test_json_error_answer_to_a_stream_request(server: Loopback, client: XAIClient) -> None:
    server.script(Reply(200, b'{"code": "x", "error": "stream refused"}'))
    with pytest.raises(StreamError, match="stream refused"):
        list(client.stream(request()))


def test_stream_input_errors_raise_at_call_time(client: XAIClient) -> None:
    class Odd:
        pass

    with pytest.raises(RequestValidationError, match="JSON"):
        client.stream(request(extra={"user": Odd()}))


# --------------------------------------------------------------------------- async


async def test_async_create_and_retry(server: Loopback, sleeps: Sleeps) -> None:
    server.script(
        error_reply(429, "wait", **{"Retry-After": "1"}), Reply(body=completion_body("async"))
    )
    async with AsyncXAIClient(api_key=KEY, base_url=server.url, sleep=sleeps.async_sleep) as c:
        result = await c.create(request())
    assert result.content == "async" and sleeps == [1.0]
    assert result.usage is not None and result.usage.image_tokens == 256


async def test_async_stream_and_interruption(server: Loopback) -> None:
    server.script(sse_reply(sse_frames("async!")), sse_reply(sse_frames()[:2]))
    async with AsyncXAIClient(api_key=KEY, base_url=server.url) as c:
        acc = StreamAccumulator()
        async for chunk in c.stream(request()):
            acc.add(chunk)
        assert acc.completion().content == "async!"
        with pytest.raises(StreamInterruptedError):
            async for _ in c.stream(request()):
                pass
    assert len(server.requests) == 2


async def test_async_errors_are_typed(server: Loopback) -> None:
    server.script(error_reply(404, "Model not found: grok-9"))
    async with AsyncXAIClient(api_key=KEY, base_url=server.url, max_retries=0) as c:
        with pytest.raises(NotFoundError, match="grok-9") as info:
            await c.create(request())
    assert info.value.request_id == "req-42"


async def test_async_timeout(server: Loopback) -> None:
    server.script(Reply(body=completion_body(), delay=1.5))
    async with AsyncXAIClient(api_key=KEY, base_url=server.url, timeout=0.3, max_retries=0) as c:
        with pytest.raises(APITimeoutError):
            await c.create(request())


async def test_sync_client_async_methods_retry_with_injected_sleep(
    server: Loopback, sleeps: Sleeps
) -> None:
    server.script(error_reply(503, "busy", **{"Retry-After": "4"}), Reply(body=completion_body()))
    async with XAIClient(
        api_key=KEY, base_url=server.url, sleep=sleeps, async_sleep=sleeps.async_sleep
    ) as c:
        assert (await c.acreate(request())).content == "Hi!"
    assert sleeps == [4.0] and len(server.requests) == 2


async def test_sync_client_async_methods_share_settings(server: Loopback) -> None:
    server.script(Reply(body=completion_body("via acreate")), sse_reply(sse_frames("via astream")))
    async with XAIClient(api_key=KEY, base_url=server.url, default_headers={"X-A": "1"}) as c:
        assert (await c.acreate(request())).content == "via acreate"
        text = "".join([ch.content or "" async for ch in c.astream(request())])
    assert text == "via astream"
    assert all(s.headers["x-a"] == "1" for s in server.requests)
    assert all(s.headers["authorization"] == f"Bearer {KEY}" for s in server.requests)


def test_async_client_survives_a_new_event_loop(server: Loopback) -> None:
    server.script(Reply(body=completion_body("one")), Reply(body=completion_body("two")))
    c = AsyncXAIClient(api_key=KEY, base_url=server.url)
    assert asyncio.run(c.create(request())).content == "one"
    assert asyncio.run(c.create(request())).content == "two"
    asyncio.run(c.aclose())


def test_json_backends_agree() -> None:
    value = {"b": [1, 2.5, None, True], "a": "é😊", "n": {"x": "y\n"}}
    assert _json.dumps(value) == _json.dumps_stdlib(value)
    assert _json.loads(_json.dumps(value)) == _json.loads_stdlib(_json.dumps_stdlib(value)) == value
