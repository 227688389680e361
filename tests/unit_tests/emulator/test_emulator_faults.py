"""Scripted replies, fault injection (errors, latency, cut and malformed streams) and reset."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from xai_vision.emulator import Emulator

MODEL = "grok-4-fast-non-reasoning"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
STREAM_BODY = {**BODY, "stream": True, "stream_options": {"include_usage": True}}


def chunks_of(text: str) -> list[dict[str, Any]]:
    """Parsed chunks of a complete SSE body."""
    events = text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    return [json.loads(e[len("data: ") :]) for e in events[:-2]]


# --------------------------------------------------------------------------- scripted replies


def test_scripted_text_replies_are_used_in_order(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.queue_reply("first")
    xai_emulator.queue_reply("second")
    answers = [
        client.post("/chat/completions", json=BODY).json()["choices"][0]["message"]["content"]
        for _ in range(3)
    ]
    assert answers[:2] == ["first", "second"]
    assert answers[2].startswith("I see no images.")  # the queue ran dry


def test_scripted_reply_usage_is_computed_from_its_text(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.queue_reply("x" * 20)
    usage = client.post("/chat/completions", json=BODY).json()["usage"]
    assert usage["completion_tokens"] == 5


def test_scripted_reply_streams_in_several_deltas(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.queue_reply("one two three four")
    chunks = chunks_of(client.post("/chat/completions", json=STREAM_BODY).text)
    pieces = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert [p for p in pieces if p] == ["one", " two", " three", " four"]


def test_scripted_tool_calls(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.queue_reply(
        tool_calls=[
            {"name": "lookup", "arguments": {"q": "cats"}, "id": "call_00000001"},
            {"name": "fetch", "arguments": '{"n": 2}'},
        ]
    )
    message = client.post("/chat/completions", json=BODY).json()["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    calls = message["message"]["tool_calls"]
    assert calls[0] == {
        "id": "call_00000001",
        "function": {"name": "lookup", "arguments": '{"q":"cats"}'},
        "type": "function",
    }
    assert calls[1]["function"] == {"name": "fetch", "arguments": '{"n": 2}'}


def test_scripted_reasoning_content(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.queue_reply("done", reasoning_content="thinking hard")
    message = client.post("/chat/completions", json=BODY).json()["choices"][0]["message"]
    assert message["reasoning_content"] == "thinking hard"
    assert message["content"] == "done"


def test_scripted_error_uses_the_flat_body(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.queue_reply(status=403, error="Your team has no credits.")
    response = client.post("/chat/completions", json=BODY)
    assert response.status_code == 403
    assert response.json() == {
        "code": "The caller does not have permission to execute the specified operation",
        "error": "Your team has no credits.",
    }
    xai_emulator.queue_reply(status=400, body={"anything": ["verbatim"]})
    assert client.post("/chat/completions", json=BODY).json() == {"anything": ["verbatim"]}


def test_invalid_requests_do_not_consume_scripted_replies(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.queue_reply("kept")
    assert client.post("/chat/completions", json={**BODY, "temperature": 7}).status_code == 422
    assert (
        client.post("/chat/completions", json=BODY).json()["choices"][0]["message"]["content"]
        == "kept"
    )


def test_queue_reply_checks_its_arguments(xai_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="status"):
        xai_emulator.queue_reply(status=200)
    with pytest.raises(ValueError, match="name"):
        xai_emulator.queue_reply(tool_calls=[{"arguments": {}}])


# --------------------------------------------------------------------------- error faults


def test_fail_next_429_with_retry_after(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.fail_next(2, status=429, retry_after=3)
    statuses = [client.post("/chat/completions", json=BODY) for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["retry-after"] == "3"
    assert statuses[0].json()["code"] == "Some resource has been exhausted"


def test_fail_next_429_without_retry_after(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.fail_next()
    response = client.post("/chat/completions", json=BODY)
    assert response.status_code == 429
    assert "retry-after" not in response.headers


def test_retry_after_ms_and_fractional_seconds(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.fail_next(status=429, retry_after=0.5, retry_after_ms=500)
    response = client.post("/chat/completions", json=BODY)
    assert response.headers["retry-after"] == "0.5"
    assert response.headers["retry-after-ms"] == "500"


@pytest.mark.parametrize(
    ("status", "code"), [(500, "Internal error"), (503, "The service is currently unavailable")]
)
def test_fail_next_server_errors(
    xai_emulator: Emulator, client: httpx.Client, status: int, code: str
) -> None:
    xai_emulator.fail_next(status=status, message="boom")
    response = client.post("/chat/completions", json=BODY)
    assert response.status_code == status
    assert response.json() == {"code": code, "error": "boom"}


def test_faults_precede_validation_and_leave_models_alone(
    xai_emulator: Emulator, client: httpx.Client
) -> None:
    xai_emulator.fail_next(status=503)
    assert client.get("/models").status_code == 200
    assert client.post("/chat/completions", json={"nonsense": True}).status_code == 503


def test_fail_next_checks_its_arguments(xai_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="status"):
        xai_emulator.fail_next(status=200)
    with pytest.raises(ValueError, match="n must be"):
        xai_emulator.fail_next(0)


# --------------------------------------------------------------------------- latency


def test_latency_delays_each_answer(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.set_latency(0.3)
    started = time.monotonic()
    assert client.post("/chat/completions", json=BODY).status_code == 200
    assert time.monotonic() - started >= 0.3
    xai_emulator.set_latency(None)
    started = time.monotonic()
    client.post("/chat/completions", json=BODY)
    assert time.monotonic() - started < 0.3


def test_latency_lets_a_client_timeout_fire(xai_emulator: Emulator) -> None:
    xai_emulator.set_latency(2.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{xai_emulator.base_url}/chat/completions",
            json=BODY,
            headers={"authorization": "Bearer k"},
            timeout=0.2,
        )


def test_chunk_delay_spaces_the_frames(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.set_latency(0, chunk_delay=0.05)
    arrivals: list[float] = []
    with client.stream("POST", "/chat/completions", json=STREAM_BODY) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrivals.append(time.monotonic())
    assert len(arrivals) > 5
    assert arrivals[-1] - arrivals[0] >= 0.05 * (len(arrivals) - 2)


# --------------------------------------------------------------------------- broken answers


def test_cut_stream_after_k_frames(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.cut_stream(after_frames=3)
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", "/chat/completions", json=STREAM_BODY) as response,
    ):
        for line in response.iter_lines():
            if line:
                received.append(line)
    assert len(received) == 3
    assert all(line.startswith("data: {") for line in received)
    # Only the next stream was cut.
    whole = client.post("/chat/completions", json=STREAM_BODY).text
    assert whole.endswith("data: [DONE]\n\n")


def test_malformed_sse_frame(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.malformed_next("sse")
    text = client.post("/chat/completions", json=STREAM_BODY).text
    frames = [e[len("data: ") :] for e in text.split("\n\n") if e]
    assert frames[-1] == "[DONE]"
    with pytest.raises(json.JSONDecodeError):
        json.loads(frames[1])
    json.loads(frames[0])


def test_malformed_json_body(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.malformed_next("json")
    response = client.post("/chat/completions", json=BODY)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert client.post("/chat/completions", json=BODY).json()["object"] == "chat.completion"


def test_malformed_next_checks_its_kind(xai_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="kind"):
        xai_emulator.malformed_next("xml")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- isolation


def test_reset_forgets_everything(xai_emulator: Emulator, client: httpx.Client) -> None:
    xai_emulator.queue_reply("scripted")
    xai_emulator.fail_next(3)
    xai_emulator.cut_stream(0)
    xai_emulator.set_latency(5)
    client.get("/models")
    xai_emulator.reset()
    assert xai_emulator.requests == []
    response = client.post("/chat/completions", json=STREAM_BODY)
    assert response.status_code == 200
    assert "scripted" not in response.text
    assert response.text.endswith("data: [DONE]\n\n")


def test_fixture_emulators_start_clean(xai_emulator: Emulator) -> None:
    assert xai_emulator.requests == []
