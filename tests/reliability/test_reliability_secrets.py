"""A planted API key must appear nowhere: repr/str of every object holding it, exceptions (the
wrong-key 400 included), DEBUG logs of xai_vision/httpx/httpcore, LangChain dumpd/dumps,
callbacks and stream events, LlamaIndex to_dict/to_json/to_payload, callbacks and
instrumentation events, pickles; and Authorization never follows a redirect to another host.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import traceback
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager
from llama_index_observers import CallbackRecorder, recording_events
from loopback import Loopback, Reply
from surfaces import ALL, MODEL, Config, build, expected_answer, run
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.emulator import Emulator
from xai_vision.errors import APIError, InvalidAPIKeyError
from xai_vision.messages import ChatRequest, user_message

from langchain_xai_vision import ChatXAIVision
from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

PLANTED = "xai-PLANTED-SECRET-4f1d9b7c2e8a6d3f0b5c"
#: Pieces that would betray a partly printed key.
FRAGMENTS = (PLANTED, "PLANTED-SECRET", "4f1d9b7c2e8a6d3f0b5c")


def assert_clean(*things: object) -> None:
    """No trace of the planted key in the text, repr, or bytes of anything given."""
    for thing in things:
        texts: list[str] = []
        if isinstance(thing, bytes):
            texts.append(thing.decode("latin-1"))
        else:
            texts += [str(thing), repr(thing)]
        for text in texts:
            for fragment in FRAGMENTS:
                assert fragment not in text, f"key fragment {fragment!r} found in {text[:300]!r}"


# --------------------------------------------------------------------------- objects


def _holders() -> list[object]:
    chat = ChatXAIVision(api_key=PLANTED, base_url="http://127.0.0.1:9/v1")
    xai = XAIVision(api_key=PLANTED, base_url="http://127.0.0.1:9/v1")
    multi = XAIVisionMultiModal(api_key=PLANTED, base_url="http://127.0.0.1:9/v1")
    client = XAIClient(api_key=PLANTED)
    return [
        client,
        client.async_client,
        AsyncXAIClient(api_key=PLANTED),
        client.api_key,
        chat,
        chat._get_client(),
        xai,
        xai.client,
        xai.client.async_client,
        multi,
        multi.client,
    ]


def test_repr_and_str_of_every_holder() -> None:
    for holder in _holders():
        assert_clean(holder, f"{holder}", f"{holder!r}")


def test_key_from_the_environment_is_as_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAI_API_KEY", PLANTED)
    core = XAIClient()
    chat = ChatXAIVision()
    xai = XAIVision()
    multi = XAIVisionMultiModal()
    for holder in (core, chat, xai, multi, chat._get_client(), xai.client, multi.client):
        assert_clean(holder)
    for client in (core, chat._get_client(), xai.client, multi.client):
        assert client.api_key is not None  # the key was really picked up...
        assert client.api_key.get_secret_value() == PLANTED  # ...and only given on request


def test_pydantic_dumps_of_the_adapters() -> None:
    chat = ChatXAIVision(api_key=PLANTED)
    xai = XAIVision(api_key=PLANTED)
    multi = XAIVisionMultiModal(api_key=PLANTED)
    assert_clean(
        chat.model_dump(),
        chat.model_dump_json(),
        chat._identifying_params,
        xai.model_dump(),
        xai.model_dump_json(),
        multi.model_dump(),
        multi.model_dump_json(),
    )


def test_langchain_dumpd_and_dumps_reference_the_env_var() -> None:
    chat = ChatXAIVision(api_key=PLANTED, temperature=0.2)
    data = dumpd(chat)
    assert_clean(data, dumps(chat), dumps(chat, pretty=True))
    assert data["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["XAI_API_KEY"]}


def test_llama_index_to_dict_to_json_to_payload() -> None:
    for llm in (XAIVision(api_key=PLANTED), XAIVisionMultiModal(api_key=PLANTED)):
        assert_clean(llm.to_dict(), llm.to_json(), llm.to_payload())
        assert llm.to_dict()["model"] == llm.model  # the dump is real, just keyless


@pytest.mark.parametrize("cls", [XAIVision, XAIVisionMultiModal])
def test_llama_index_pickles_hold_no_key(cls: type[XAIVision]) -> None:
    llm = cls(api_key=PLANTED)
    data = pickle.dumps(llm)
    assert_clean(data)
    assert pickle.loads(data).model == llm.model


def test_langchain_pickle_holds_no_key() -> None:
    assert_clean(pickle.dumps(ChatXAIVision(api_key=PLANTED)))


# --------------------------------------------------------------------------- errors


def _error_texts(error: BaseException) -> list[object]:
    found: list[object] = [error, *error.args, "".join(traceback.format_exception(error))]
    if isinstance(error, APIError):
        found += [error.message, error.body, json.dumps(error.body, default=str)]
    cause = error.__cause__ or error.__context__
    return found + (_error_texts(cause) if cause is not None else [])


@pytest.mark.parametrize("surface", ALL)
def test_wrong_key_error_never_shows_the_key(surface: str) -> None:
    with Emulator(invalid_keys=[PLANTED]) as emu:
        outcome = run(surface, Config(emu.base_url, PLANTED))
        assert isinstance(outcome.error, InvalidAPIKeyError), repr(outcome.error)
        assert "Incorrect API key" in str(outcome.error)  # xAI's masked-key message came back
        assert_clean(*_error_texts(outcome.error))


@pytest.mark.parametrize("surface", ["core.create", "core.astream", "langchain.invoke"])
def test_a_server_echoing_the_whole_key_is_redacted(surface: str) -> None:
    with Emulator() as emu:
        emu.queue_reply(status=400, error=f"Incorrect API key provided: {PLANTED}.")
        outcome = run(surface, Config(emu.base_url, PLANTED))
        assert isinstance(outcome.error, InvalidAPIKeyError), repr(outcome.error)
        assert_clean(*_error_texts(outcome.error))


def test_connection_errors_never_show_the_key() -> None:
    with Emulator() as emu:
        base_url = emu.base_url
    outcome = run("core.create", Config(base_url, PLANTED, timeout=2.0, max_retries=0))
    assert outcome.error is not None
    assert_clean(*_error_texts(outcome.error))


# --------------------------------------------------------------------------- logs


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the three loggers at DEBUG."""
    for name in ("xai_vision", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


@pytest.mark.parametrize("surface", ALL)
def test_debug_logs_never_show_the_key_or_headers(
    surface: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    with Emulator() as emu:
        emu.fail_next(1, status=429, retry_after_ms=10)  # a retry: its log line too
        outcome = run(surface, Config(emu.base_url, PLANTED))
        assert outcome.error is None, repr(outcome.error)
    records = debug_logs.records
    assert any(r.name.startswith("httpcore") for r in records)  # DEBUG really was on
    assert any(r.name == "xai_vision" and r.levelno == logging.DEBUG for r in records)
    for record in records:
        message = record.getMessage()
        assert_clean(message, record.args, record.__dict__)
        assert "Bearer" not in message and "authorization" not in message.lower()


# --------------------------------------------------------------------------- LangChain callbacks


class _Capture(BaseCallbackHandler):
    """Keeps every callback's arguments."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def _keep(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        self.events.append((event, args, kwargs))

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self._keep("chat_model_start", *args, **kwargs)

    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        self._keep("llm_start", *args, **kwargs)

    def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        self._keep("new_token", *args, **kwargs)

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self._keep("llm_end", *args, **kwargs)

    def on_llm_error(self, *args: Any, **kwargs: Any) -> None:
        self._keep("llm_error", *args, **kwargs)


def _lc_dump(value: object) -> str:
    return json.dumps(value, default=lambda o: str(o) if isinstance(o, UUID) else repr(o))


@pytest.mark.parametrize("streaming", [False, True])
def test_langchain_callback_payloads(streaming: bool) -> None:
    with Emulator(invalid_keys=["xai-other"]) as emu:
        model = ChatXAIVision(api_key=PLANTED, base_url=emu.base_url, streaming=streaming)
        capture = _Capture()
        answer = model.invoke([HumanMessage("hello")], config={"callbacks": [capture]})
        assert answer.content == expected_answer("hello")
        bad = ChatXAIVision(api_key="xai-other", base_url=emu.base_url)
        with pytest.raises(InvalidAPIKeyError):
            bad.invoke([HumanMessage("hello")], config={"callbacks": [capture]})
    names = [name for name, _, _ in capture.events]
    assert "chat_model_start" in names and "llm_end" in names and "llm_error" in names
    assert ("new_token" in names) == streaming
    for event in capture.events:
        assert_clean(_lc_dump(event))


async def test_langchain_astream_events() -> None:
    with Emulator() as emu:
        model = ChatXAIVision(api_key=PLANTED, base_url=emu.base_url)
        events = [e async for e in model.astream_events([HumanMessage("hi")], version="v2")]
        await model.aclose()
    assert {e["event"] for e in events} >= {"on_chat_model_start", "on_chat_model_end"}
    for event in events:
        assert_clean(_lc_dump(event))


# --------------------------------------------------------------------------- LlamaIndex events


@pytest.mark.parametrize("cls", [XAIVision, XAIVisionMultiModal])
def test_llama_index_events_and_callbacks(cls: type[XAIVision]) -> None:
    callbacks = CallbackRecorder()
    with Emulator() as emu, recording_events() as recorder:
        llm = cls(
            api_key=PLANTED, base_url=emu.base_url, callback_manager=CallbackManager([callbacks])
        )
        messages = [ChatMessage(role="user", content="hello")]
        assert llm.chat(messages).message.content == expected_answer("hello")
        assert "".join(r.delta or "" for r in llm.stream_chat(messages)) == expected_answer("hello")
        assert llm.complete("hi").text == expected_answer("hi")
        emu.queue_reply(status=400, error=f"Incorrect API key provided: {PLANTED}")
        with pytest.raises(InvalidAPIKeyError):
            llm.chat(messages)  # the error path's events and payloads too
        asyncio.run(llm.aclose())
    dumps = [json.dumps(event.model_dump(), default=repr) for event in recorder.events]
    payloads = [repr(payload) for payload in callbacks.payloads]
    assert len(dumps) >= 6 and len(payloads) >= 6  # events really flowed
    assert_clean(*dumps, *payloads)


# --------------------------------------------------------------------------- redirects


#: What B would answer: a completion, so a followed redirect would succeed (and be seen).
_STOLEN = {
    "id": "r",
    "object": "chat.completion",
    "created": 1,
    "model": MODEL,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "stolen"},
            "finish_reason": "stop",
        }
    ],
}


@pytest.fixture
def redirect_pair() -> Iterator[tuple[Loopback, Loopback]]:
    """(A, B), loopback servers on two ports: A redirects its request to B."""
    origin, target = Loopback(), Loopback()
    origin.script(Reply(307, headers={"Location": f"{target.url}/chat/completions"}))
    target.script(Reply(body=json.dumps(_STOLEN).encode()))
    yield origin, target
    origin.close()
    target.close()


@pytest.mark.parametrize("surface", ALL)
def test_authorization_never_follows_a_redirect(
    surface: str, redirect_pair: tuple[Loopback, Loopback]
) -> None:
    origin, target = redirect_pair
    outcome = run(surface, Config(origin.url, PLANTED, max_retries=0))
    assert isinstance(outcome.error, APIError), repr(outcome.error)
    assert outcome.error.status_code == 307
    assert "not followed" in str(outcome.error)
    assert len(origin.requests) == 1
    assert origin.requests[0].headers["authorization"] == f"Bearer {PLANTED}"  # to the host set
    assert target.requests == []  # and never to the other one
    assert_clean(*_error_texts(outcome.error))


def test_a_redirect_following_http_client_is_still_not_followed(
    redirect_pair: tuple[Loopback, Loopback],
) -> None:
    origin, target = redirect_pair
    with httpx.Client(follow_redirects=True, timeout=5.0) as http_client:
        client = XAIClient(
            api_key=PLANTED, base_url=origin.url, http_client=http_client, max_retries=0
        )
        with pytest.raises(APIError) as caught:
            client.create(ChatRequest(MODEL, [user_message("hi")]))
    assert caught.value.status_code == 307
    assert len(origin.requests) == 1 and target.requests == []


def test_build_covers_every_family() -> None:
    config = Config("http://127.0.0.1:9/v1", PLANTED)
    for family in ("core", "langchain", "llamaindex", "multimodal"):
        assert_clean(build(family, config))
