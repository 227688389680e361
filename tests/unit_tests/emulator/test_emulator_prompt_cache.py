"""The emulator's prompt cache: ``cached_tokens`` for a repeated prefix of whole messages."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from xai_vision.emulator import Emulator, EmulatorConfigError, EmulatorSettings
from xai_vision.emulator.prompt_cache import PromptCache, prompt_prefixes
from xai_vision.tokens import estimate_messages_text_tokens

from tests.conftest import SchemaValidator

MODEL = "grok-4-fast-non-reasoning"
#: About 1,250 text tokens: above the default 1,024 minimum on its own.
LONG = "The quick brown fox jumps over the lazy dog. " * 110
#: About 250 text tokens: below the minimum.
SHORT = "The quick brown fox jumps over the lazy dog. " * 22

Chat = Callable[..., dict[str, Any]]


def http_client(emulator: Emulator, key: str | None = None) -> httpx.Client:
    """An httpx client for ``emulator`` with ``key`` (its default key when None)."""
    headers = {"Authorization": f"Bearer {key or emulator.api_key}"}
    return httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30, trust_env=False)


@pytest.fixture
def chat(xai_schema: SchemaValidator) -> Chat:
    """``chat(client, messages, **extra)``: POST ``messages`` and return the usage of the 200
    answer (the answer checked against the spec)."""

    def post(client: httpx.Client, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        body = {"model": MODEL, "messages": messages, **extra}
        response = client.post("/chat/completions", json=body)
        assert response.status_code == 200, response.text
        payload = response.json()
        xai_schema("ChatResponse").validate(payload)
        usage: dict[str, Any] = payload["usage"]
        return usage

    return post


def cached(usage: dict[str, Any]) -> int:
    value: int = usage["prompt_tokens_details"]["cached_tokens"]
    return value


def system_then(question: str, system: str = LONG) -> list[dict[str, Any]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def png_uri(image_bytes: Callable[..., bytes], color: str) -> str:
    data = base64.b64encode(image_bytes(color, (640, 480))).decode()
    return f"data:image/png;base64,{data}"


# --------------------------------------------------------------------------- hits


def test_first_request_is_not_cached_and_an_exact_repeat_reads_all_its_text(
    client: httpx.Client, chat: Chat, xai_schema: SchemaValidator
) -> None:
    messages = system_then("What is the fox doing?")
    first = chat(client, messages)
    second = chat(client, messages)
    assert cached(first) == 0
    text_tokens = second["prompt_tokens_details"]["text_tokens"]
    assert text_tokens >= 1024
    assert cached(second) == text_tokens
    assert second["prompt_tokens"] == first["prompt_tokens"]  # cached tokens stay inside it
    xai_schema("Usage").validate(second)


def test_a_shared_leading_message_is_cached_and_the_new_question_is_not(
    client: httpx.Client, chat: Chat
) -> None:
    chat(client, system_then("What is the fox doing?"))
    usage = chat(client, system_then("And the dog?"))
    system_tokens = estimate_messages_text_tokens([{"role": "system", "content": LONG}])
    assert cached(usage) == system_tokens
    assert 0 < cached(usage) < usage["prompt_tokens_details"]["text_tokens"]


def test_the_longest_shared_prefix_counts(client: httpx.Client, chat: Chat) -> None:
    history = [
        {"role": "system", "content": LONG},
        {"role": "user", "content": "First question?"},
        {"role": "assistant", "content": "First answer."},
    ]
    chat(client, [*history, {"role": "user", "content": "Second question?"}])
    usage = chat(client, [*history, {"role": "user", "content": "Another second question?"}])
    assert cached(usage) == estimate_messages_text_tokens(history)


def test_string_content_and_one_text_part_are_the_same_prompt(
    client: httpx.Client, chat: Chat
) -> None:
    chat(client, system_then("Q?"))
    as_parts = [
        {"role": "system", "content": [{"type": "text", "text": LONG}]},
        {"content": "Q?", "role": "user"},  # key order on the wire is not the prompt
    ]
    usage = chat(client, as_parts)
    assert cached(usage) == usage["prompt_tokens_details"]["text_tokens"]


def test_tools_are_part_of_the_prefix(client: httpx.Client, chat: Chat) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "count_foxes",
            "description": "Count the foxes.",
            "parameters": {"type": "object", "properties": {}},
        },
    }
    messages = system_then("Say hi", system=LONG)
    chat(client, messages, tools=[tool], tool_choice="none")
    same = chat(client, messages, tools=[tool], tool_choice="none")
    assert cached(same) == same["prompt_tokens_details"]["text_tokens"]
    other = {**tool, "function": {**tool["function"], "name": "count_dogs"}}
    changed = chat(client, messages, tools=[other], tool_choice="none")
    assert cached(changed) == 0


# --------------------------------------------------------------------------- misses


def test_a_different_first_message_shares_no_prefix(client: httpx.Client, chat: Chat) -> None:
    chat(client, system_then("What is the fox doing?"))
    usage = chat(client, system_then("What is the fox doing?", system=LONG + " Be brief."))
    assert cached(usage) == 0


def test_below_the_minimum_nothing_is_cached(client: httpx.Client, chat: Chat) -> None:
    messages = system_then("What is the fox doing?", system=SHORT)
    chat(client, messages)
    usage = chat(client, messages)
    assert usage["prompt_tokens_details"]["text_tokens"] < 1024
    assert cached(usage) == 0


def test_a_short_shared_prefix_does_not_count_even_in_a_long_prompt(
    client: httpx.Client, chat: Chat
) -> None:
    chat(client, system_then(LONG, system=SHORT))
    usage = chat(client, system_then(LONG + " Again.", system=SHORT))
    assert usage["prompt_tokens_details"]["text_tokens"] >= 1024
    assert cached(usage) == 0


def test_the_minimum_is_a_setting(chat: Chat) -> None:
    settings = EmulatorSettings(prompt_cache_min_tokens=1)
    with Emulator(settings=settings) as emulator, http_client(emulator) as http:
        chat(http, system_then("Hi", system="Be brief."))
        usage = chat(http, system_then("Hi", system="Be brief."))
    assert 0 < cached(usage) == usage["prompt_tokens_details"]["text_tokens"] < 1024


def test_disabled_cache_always_reports_zero(chat: Chat) -> None:
    with (
        Emulator(settings=EmulatorSettings(prompt_cache=False)) as emulator,
        http_client(emulator) as http,
    ):
        messages = system_then("What is the fox doing?")
        usages = [chat(http, messages) for _ in range(3)]
    assert [cached(u) for u in usages] == [0, 0, 0]


def test_another_key_or_model_has_its_own_cache(xai_emulator: Emulator, chat: Chat) -> None:
    messages = system_then("What is the fox doing?")
    with http_client(xai_emulator, "xai-first-key") as first:
        chat(first, messages)
        assert cached(chat(first, messages)) > 0
    with http_client(xai_emulator, "xai-second-key") as second:
        assert cached(chat(second, messages)) == 0
        assert cached(chat(second, [*messages], model="grok-4-1-fast-non-reasoning")) == 0


def test_reset_forgets_cached_prompts(
    xai_emulator: Emulator, client: httpx.Client, chat: Chat
) -> None:
    messages = system_then("What is the fox doing?")
    chat(client, messages)
    xai_emulator.reset()
    assert cached(chat(client, messages)) == 0
    assert cached(chat(client, messages)) > 0


def test_rejected_requests_are_not_cached(
    xai_emulator: Emulator, client: httpx.Client, chat: Chat
) -> None:
    messages = system_then("What is the fox doing?")
    xai_emulator.queue_reply(status=500, error="boom")
    response = client.post("/chat/completions", json={"model": MODEL, "messages": messages})
    assert response.status_code == 500
    assert cached(chat(client, messages)) == 0


def test_the_lru_forgets_the_least_recently_used_prompt(chat: Chat) -> None:
    settings = EmulatorSettings(prompt_cache_entries=2)
    prompts = [[{"role": "user", "content": f"{n} {LONG}"}] for n in range(3)]
    with Emulator(settings=settings) as emulator, http_client(emulator) as http:
        for prompt in prompts:  # one prefix each: the third evicts the first
            chat(http, prompt)
        assert cached(chat(http, prompts[2])) > 0
        assert cached(chat(http, prompts[0])) == 0


# --------------------------------------------------------------------------- images


def test_images_change_the_prefix_but_count_no_cached_tokens(
    client: httpx.Client, image_bytes: Callable[..., bytes], chat: Chat
) -> None:
    def messages(color: str) -> list[dict[str, Any]]:
        picture = {"type": "image_url", "image_url": {"url": png_uri(image_bytes, color)}}
        return [
            {"role": "user", "content": [{"type": "text", "text": LONG}, picture]},
            {"role": "user", "content": "Which colour?"},
        ]

    chat(client, messages("red"))
    usage = chat(client, messages("red"))
    details = usage["prompt_tokens_details"]
    assert details["image_tokens"] > 0
    assert cached(usage) == details["text_tokens"]
    assert cached(usage) == usage["prompt_tokens"] - details["image_tokens"]
    assert cached(chat(client, messages("blue"))) == 0  # same text, another image


def test_an_image_after_the_shared_prefix_does_not_matter(
    client: httpx.Client, image_bytes: Callable[..., bytes], chat: Chat
) -> None:
    def messages(color: str) -> list[dict[str, Any]]:
        picture = {"type": "image_url", "image_url": {"url": png_uri(image_bytes, color)}}
        content = [{"type": "text", "text": "Which colour?"}, picture]
        return [{"role": "system", "content": LONG}, {"role": "user", "content": content}]

    chat(client, messages("red"))
    usage = chat(client, messages("green"))
    assert cached(usage) == estimate_messages_text_tokens([{"role": "system", "content": LONG}])
    assert usage["prompt_tokens_details"]["image_tokens"] > 0


# --------------------------------------------------------------------------- streaming


def test_streamed_usage_carries_cached_tokens(
    client: httpx.Client, chat: Chat, xai_schema: SchemaValidator
) -> None:
    messages = system_then("What is the fox doing?")
    chat(client, messages)
    body = {
        "model": MODEL,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 200, response.text
    frames = [line[len("data: ") :] for line in response.text.split("\n\n") if line]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(frame) for frame in frames[:-1]]
    validator = xai_schema("ChatResponseChunk")
    for chunk in chunks:
        validator.validate(chunk)
    usages = [chunk["usage"] for chunk in chunks if "usage" in chunk]
    assert len(usages) == 1
    details = usages[0]["prompt_tokens_details"]
    assert details["cached_tokens"] == details["text_tokens"] > 0


# --------------------------------------------------------------------------- cost and settings


def test_cached_tokens_are_billed_at_the_cached_price(client: httpx.Client, chat: Chat) -> None:
    """The model's listed cached price (grok-4-fast: 500 ticks, a quarter of the 2,000 input
    price) applies to the cached tokens; the rest of the prompt and the output cost the same."""
    messages = system_then("What is the fox doing?")
    first, second = chat(client, messages), chat(client, messages)
    assert cached(second) > 0
    assert second["prompt_tokens"] == first["prompt_tokens"]
    saved = cached(second) * (2_000 - 500)
    assert second["cost_in_usd_ticks"] == first["cost_in_usd_ticks"] - saved


@pytest.mark.parametrize("name", ["prompt_cache_min_tokens", "prompt_cache_entries"])
def test_settings_are_checked(name: str) -> None:
    with pytest.raises(EmulatorConfigError, match=name):
        EmulatorSettings(**{name: 0})


def test_settings_reach_a_subprocess_emulator_and_reset_clears_its_cache(chat: Chat) -> None:
    messages = system_then("What is the fox doing?")
    with Emulator(mode="subprocess") as emulator, http_client(emulator) as http:
        chat(http, messages)
        assert cached(chat(http, messages)) > 0
        emulator.reset()
        assert cached(chat(http, messages)) == 0
    with (
        Emulator(mode="subprocess", settings=EmulatorSettings(prompt_cache=False)) as emulator,
        http_client(emulator) as http,
    ):
        chat(http, messages)
        assert cached(chat(http, messages)) == 0


# --------------------------------------------------------------------------- the cache itself


def test_prefix_tokens_add_up_to_the_text_tokens(client: httpx.Client, chat: Chat) -> None:
    messages = [
        {"role": "system", "content": LONG},
        {"role": "user", "content": "First?"},
        {"role": "assistant", "content": "Yes."},
    ]
    prefixes = prompt_prefixes("key", MODEL, {"messages": messages})
    total = prefixes[-1][1]
    assert [tokens for _, tokens in prefixes] == [
        estimate_messages_text_tokens(messages[: i + 1]) for i in range(3)
    ]
    assert total == chat(client, messages)["prompt_tokens_details"]["text_tokens"]
    assert len({digest for digest, _ in prefixes}) == 3


def test_the_key_is_not_kept_in_the_cache() -> None:
    cache = PromptCache()
    prefixes = prompt_prefixes("xai-secret-key", MODEL, {"messages": system_then("Q")})
    cache.lookup_and_store(prefixes, 1)
    assert b"xai-secret-key" not in b"".join(cache._entries)


def test_concurrent_identical_prompts_miss_exactly_once() -> None:
    cache = PromptCache()
    prefixes = prompt_prefixes("key", MODEL, {"messages": system_then("Q")})
    total = prefixes[-1][1]
    results: list[int] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        results.append(cache.lookup_and_store(prefixes, 1024))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0] + [total] * 15


def test_the_cache_stays_within_its_bound() -> None:
    cache = PromptCache(max_entries=10)
    for n in range(50):
        messages = [{"role": "user", "content": f"{n} {LONG}"}, {"role": "user", "content": "Q"}]
        prefixes = prompt_prefixes("key", MODEL, {"messages": messages})
        cache.lookup_and_store(prefixes, 1024)
        assert len(cache) <= 10
    assert len(cache) == 10
