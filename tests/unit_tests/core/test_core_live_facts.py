"""Live model facts and token counts through the client, against an emulator serving a model
list the project has never seen: new names work, text-only ones are refused before sending,
aliases resolve, counts and costs match what the emulator bills, and an outage falls back."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulator_clients import emulator_client
from unseen_models import UNSEEN_MODELS
from xai_vision.catalog import model_facts
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.emulator import EmulatedModel, Emulator, EmulatorSettings
from xai_vision.errors import (
    BadRequestError,
    InternalServerError,
    NotFoundError,
    RequestValidationError,
)
from xai_vision.live import CACHE_DIR_ENV, LiveFacts, live_facts_for
from xai_vision.messages import (
    ChatRequest,
    ImageCollector,
    function_tool,
    system_message,
    text_part,
    user_message,
)
from xai_vision.stream import StreamAccumulator

NEW_MODELS = (
    *UNSEEN_MODELS,
    # A new alias for a built-in reasoning model: its parameter rules apply to the alias.
    EmulatedModel("grok-4-0709", aliases=("grok-4", "grok-heavy")),
)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(models=NEW_MODELS) as emu:
        yield emu


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def facts(emulator: Emulator, clock: Clock) -> LiveFacts:
    return LiveFacts(base_url=emulator.base_url, clock=clock)


@pytest.fixture
def client(emulator: Emulator, facts: LiveFacts) -> Iterator[XAIClient]:
    with emulator_client(emulator, timeout=10, live_facts=facts) as c:
        yield c


def paths(emulator: Emulator) -> list[str]:
    return [request.path for request in emulator.requests]


def image_request(model: str, image_bytes: Any, **fields: Any) -> tuple[ChatRequest, Any]:
    collector = ImageCollector()
    parts = [text_part("What is in this image?"), collector.add(image_bytes(size=(900, 500)))]
    request = ChatRequest(model=model, messages=[user_message(parts)], **fields)
    return request, collector.images


# --------------------------------------------------------------------------- model facts


def test_a_new_image_model_works_through_its_alias(
    client: XAIClient, emulator: Emulator, image_bytes: Any
) -> None:
    assert not model_facts("grok-9-vision").known  # the project has never seen it
    request, _ = image_request("grok-9-vision", image_bytes)
    answer = client.create(request)
    assert answer.model == "grok-9-vision-0101"
    assert answer.content is not None and answer.content.startswith("I see 1 image.")
    assert paths(emulator) == ["/v1/language-models", "/v1/chat/completions"]
    profile = client.model_profile("grok-9-vision-latest")
    assert (profile.name, profile.source, profile.takes_images) == (
        "grok-9-vision-0101",
        "live",
        True,
    )
    assert profile.prices is not None and profile.prices.prompt_image == 9_000
    assert paths(emulator).count("/v1/language-models") == 1  # fetched once, then cached


def test_a_text_only_model_is_refused_before_sending(
    client: XAIClient, emulator: Emulator, image_bytes: Any
) -> None:
    request, _ = image_request("grok-9-text", image_bytes)
    for attempt in (lambda: client.create(request), lambda: client.stream(request)):
        with pytest.raises(RequestValidationError) as caught:
            attempt()
        assert "'grok-9-text' does not take images" in str(caught.value)
        assert "xAI lists its input as text only" in str(caught.value)
    assert paths(emulator) == ["/v1/language-models"]  # no chat request went out
    text_only = ChatRequest(model="grok-9-text", messages=[user_message("Hi")])
    assert client.create(text_only).model == "grok-9-text"


def test_an_alias_gets_the_parameter_rules_of_the_model_it_names(
    client: XAIClient, emulator: Emulator
) -> None:
    request = ChatRequest(model="grok-heavy", messages=[user_message("Hi")], stop=["x"])
    with pytest.raises(RequestValidationError, match=r"'grok-heavy' \(grok-4-0709\).*'stop'"):
        client.create(request)
    assert "/v1/chat/completions" not in paths(emulator)
    answer = client.create(ChatRequest(model="grok-heavy", messages=[user_message("Hi")]))
    assert answer.model == "grok-4-0709"


def test_names_the_built_in_table_knows_need_no_fetch(
    client: XAIClient, emulator: Emulator, image_bytes: Any
) -> None:
    request, _ = image_request("grok-4-fast-non-reasoning", image_bytes)
    client.create(request)
    list(client.stream(request))
    assert paths(emulator) == ["/v1/chat/completions"] * 2


def test_a_name_no_one_lists_is_not_blocked_only_xais_404_stops_it(
    client: XAIClient, emulator: Emulator
) -> None:
    with pytest.raises(NotFoundError):
        client.create(ChatRequest(model="grok-10-preview", messages=[user_message("Hi")]))
    assert paths(emulator) == ["/v1/language-models", "/v1/chat/completions"]


def test_the_async_client_checks_the_same_way_and_fetches_once(
    emulator: Emulator, image_bytes: Any
) -> None:
    refused, _ = image_request("grok-9-text", image_bytes)
    allowed, _ = image_request("grok-9-vision", image_bytes)

    async def run() -> list[str]:
        async with AsyncXAIClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
            answers = await asyncio.gather(*(c.create(allowed) for _ in range(8)))
            with pytest.raises(RequestValidationError, match="does not take images"):
                await c.create(refused)
            with pytest.raises(RequestValidationError, match="does not take images"):
                async for _ in c.stream(refused):
                    pass
            return [answer.model for answer in answers]

    assert asyncio.run(run()) == ["grok-9-vision-0101"] * 8
    assert paths(emulator).count("/v1/language-models") == 1  # one fetch for 8 at once
    assert paths(emulator).count("/v1/chat/completions") == 8


def test_clients_of_one_base_url_and_key_share_the_facts(emulator: Emulator) -> None:
    first = XAIClient(api_key=emulator.api_key, base_url=emulator.base_url)
    second = XAIClient(api_key=emulator.api_key, base_url=emulator.base_url)
    other_key = XAIClient(api_key="another-key", base_url=emulator.base_url)
    assert first.live_facts is second.live_facts is not None
    assert other_key.live_facts is not first.live_facts
    assert first.live_facts is live_facts_for(emulator.base_url, emulator.api_key)
    assert first.async_client.live_facts is first.live_facts
    assert XAIClient(api_key="k", base_url=emulator.base_url, live_facts=False).live_facts is None
    with pytest.raises(RequestValidationError, match="live_facts has type str"):
        XAIClient(api_key="k", live_facts="yes")  # type: ignore[arg-type]


def test_the_model_list_on_request(client: XAIClient, emulator: Emulator) -> None:
    models = client.language_models()
    assert [m.id for m in models.models][-2:] == ["grok-9-vision-0101", "grok-9-text"]
    vision = models.get("grok-9-vision")
    assert vision is not None and vision.takes_images
    emulator.fail_model_endpoints(503)
    assert client.language_models() is models  # still fresh: no fetch
    fresh = XAIClient(api_key="k2", base_url=emulator.base_url, max_retries=0)
    with fresh, pytest.raises(InternalServerError):
        fresh.language_models()


# --------------------------------------------------------------------------- outage fallback


def test_an_outage_falls_back_to_the_built_in_table_and_retries_after_a_minute(
    client: XAIClient, emulator: Emulator, clock: Clock, image_bytes: Any, caplog: Any
) -> None:
    emulator.fail_model_endpoints(503)
    request, _ = image_request("grok-9-text", image_bytes)
    # Not blocked by the project (the built-in table does not know the name): xAI refuses.
    refused = pytest.raises(BadRequestError, match="does not support image inputs")
    with caplog.at_level(logging.WARNING, logger="xai_vision"), refused:
        client.create(request)
    assert "could not fetch xAI's model list" in caplog.text
    assert "trying again in 60 s" in caplog.text
    assert emulator.api_key not in caplog.text
    clock.now += 59
    with pytest.raises(BadRequestError):
        client.create(request)
    assert paths(emulator).count("/v1/language-models") == 1  # not tried on every call
    emulator.fail_model_endpoints(None)
    clock.now += 2
    with pytest.raises(RequestValidationError, match="does not take images"):
        client.create(request)
    assert paths(emulator).count("/v1/language-models") == 2


# --------------------------------------------------------------------------- disk cache


def test_the_disk_cache_is_opt_in_per_base_url_and_never_holds_the_key(
    emulator: Emulator, tmp_path: Path, clock: Clock
) -> None:
    first = LiveFacts(base_url=emulator.base_url, cache_dir=tmp_path, clock=clock)
    with XAIClient(
        api_key=emulator.api_key, base_url=emulator.base_url, live_facts=first
    ) as client:
        client.model_profile("grok-9-text")
    [saved] = tmp_path.iterdir()
    text = saved.read_text()
    assert emulator.api_key not in text and "Bearer" not in text
    assert json.loads(text)["base_url"] == emulator.base_url
    # A new process (a new LiveFacts) reads it without asking xAI.
    emulator.clear_requests()
    now = [json.loads(text)["fetched_at"] + 3_600]
    second = LiveFacts(base_url=emulator.base_url, cache_dir=tmp_path, now=lambda: now[0])
    models = second.cached_models()
    assert models is not None and models.get("grok-9-text") is not None
    assert emulator.requests == []
    # Past its age it is not used; another base URL has its own file.
    now[0] += 24 * 3_600
    stale = LiveFacts(base_url=emulator.base_url, cache_dir=tmp_path, now=lambda: now[0])
    assert stale.cached_models() is None
    assert LiveFacts(base_url="http://other/v1", cache_dir=tmp_path).cached_models() is None


def test_a_broken_cache_file_is_ignored(emulator: Emulator, tmp_path: Path) -> None:
    facts = LiveFacts(base_url=emulator.base_url, cache_dir=tmp_path)
    with XAIClient(api_key=emulator.api_key, base_url=emulator.base_url, live_facts=facts) as c:
        c.model_profile("grok-9-text")
    [saved] = tmp_path.iterdir()
    saved.write_text("{not json")
    assert LiveFacts(base_url=emulator.base_url, cache_dir=tmp_path).cached_models() is None


def test_the_environment_turns_the_disk_cache_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("XAI_VISION_MODEL_CACHE_MAX_AGE", "120")
    facts = live_facts_for("http://127.0.0.1:9/env-test/v1", "k")
    assert (facts.cache_dir, facts.max_age) == (tmp_path, 120.0)
    monkeypatch.setenv("XAI_VISION_MODEL_CACHE_MAX_AGE", "soon")
    with pytest.raises(RequestValidationError, match="XAI_VISION_MODEL_CACHE_MAX_AGE='soon'"):
        live_facts_for("http://127.0.0.1:9/env-test-2/v1", "k")


# --------------------------------------------------------------------------- token counts


def test_counts_equal_the_emulators_prompt_tokens_for_text(
    client: XAIClient, emulator: Emulator
) -> None:
    tool = function_tool("look", "Look somewhere", {"type": "object", "properties": {}})
    messages = [system_message("Be brief."), user_message("Where should I look first?")]
    request = ChatRequest(model="grok-9-text", messages=messages, tools=[tool])
    counted = client.count_tokens(messages, tools=[tool], model="grok-9-text")
    assert counted.text_exact and "tokenizer" in counted.note
    assert [m.role for m in counted.messages] == ["system", "user"]
    usage = client.create(request).usage
    assert usage is not None and counted.total == usage.prompt_tokens
    tokenized = [r.body["text"] for r in emulator.requests if r.path == "/v1/tokenize-text"]
    tools_json = json.dumps([tool["function"]], separators=(",", ":"))
    assert sorted(tokenized) == sorted(["Be brief.", "Where should I look first?", tools_json])
    # Each text is counted once: a second count asks nothing.
    emulator.clear_requests()
    assert client.count_tokens(messages, tools=[tool], model="grok-9-text") == counted
    assert emulator.requests == []


def test_counts_equal_the_emulators_prompt_tokens_with_images(
    client: XAIClient, image_bytes: Any
) -> None:
    request, images = image_request("grok-9-vision", image_bytes)
    counted = client.count_tokens(request.messages, images, model=request.model)
    assert counted.messages[0].image_tokens == 7 * 256
    usage = client.create(request).usage
    assert usage is not None and counted.total == usage.prompt_tokens
    assert counted.image_tokens == usage.image_tokens


def test_the_async_count_matches_the_sync_one(
    client: XAIClient, emulator: Emulator, image_bytes: Any
) -> None:
    request, images = image_request("grok-9-vision", image_bytes)
    messages = [system_message("One. Two. Three."), *request.messages]

    async def run() -> Any:
        async with AsyncXAIClient(api_key="async-key", base_url=emulator.base_url) as c:
            return await c.count_tokens(messages, images, model=request.model)

    assert asyncio.run(run()) == client.count_tokens(messages, images, model=request.model)


def test_an_outage_gives_an_estimate_that_says_so(
    client: XAIClient, emulator: Emulator, clock: Clock
) -> None:
    emulator.fail_model_endpoints(503)
    messages = [user_message("How many tokens is this?")]
    counted = client.count_tokens(messages, model="grok-9-text")
    assert not counted.text_exact
    assert counted.note.startswith("estimate")
    assert "xAI's tokenizer failed" in counted.note and "503" in counted.note
    usage = client.create(ChatRequest(model="grok-4", messages=messages)).usage
    assert usage is not None and counted.total == usage.prompt_tokens  # the same rule
    emulator.fail_model_endpoints(None)
    clock.now += 30
    assert not client.count_tokens(messages, model="grok-9-text").text_exact  # not yet retried
    clock.now += 31
    assert client.count_tokens(messages, model="grok-9-text").text_exact


def test_without_a_key_or_live_facts_the_count_is_an_estimate_and_nothing_is_sent(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    messages = [user_message("Hello")]
    keyless = XAIClient(base_url=emulator.base_url).count_tokens(messages, model="grok-4")
    assert not keyless.text_exact and "no API key" in keyless.note
    off = XAIClient(api_key="k", base_url=emulator.base_url, live_facts=False)
    counted = off.count_tokens(messages, model="grok-4")
    assert "live facts are off" in counted.note
    assert off.model_profile("grok-9-text").source == "built-in"
    assert emulator.requests == []


# --------------------------------------------------------------------------- cost


@pytest.fixture
def costless() -> Iterator[Emulator]:
    """An emulator that reports no cost (as xAI traffic recorded in 2025), same models."""
    settings = EmulatorSettings(models=NEW_MODELS, report_cost=False, prompt_cache_min_tokens=1)
    with Emulator(settings=settings) as emu:
        yield emu


def test_a_computed_cost_equals_the_reported_one(costless: Emulator, image_bytes: Any) -> None:
    settings = EmulatorSettings(models=NEW_MODELS, prompt_cache_min_tokens=1)
    system = system_message("You describe images for a catalogue, in one line. " * 5)
    request, _ = image_request("grok-9-vision", image_bytes)
    request = ChatRequest(model=request.model, messages=[system, *request.messages])
    with Emulator(settings=settings) as reporting:
        reported = []
        with XAIClient(api_key=reporting.api_key, base_url=reporting.base_url) as client:
            for _ in range(2):  # the second one reads the system prompt from the cache
                usage = client.create(request).usage
                assert usage is not None and not usage.cost_computed
                reported.append(usage)
    with XAIClient(api_key=costless.api_key, base_url=costless.base_url) as client:
        computed = [client.create(request).usage for _ in range(2)]
    assert computed[1] is not None and computed[1].cached_tokens > 0
    assert computed[1].image_tokens > 0
    for ours, theirs in zip(computed, reported, strict=True):
        assert ours is not None and ours.cost_computed
        assert ours.cost_in_usd_ticks == theirs.cost_in_usd_ticks
        assert ours.cost_usd == pytest.approx(theirs.cost_usd)


def test_streams_get_the_computed_cost_on_their_usage_chunk(
    costless: Emulator, image_bytes: Any
) -> None:
    request, _ = image_request("grok-9-vision", image_bytes)
    with XAIClient(api_key=costless.api_key, base_url=costless.base_url) as client:
        plain = client.create(request).usage
        accumulator = StreamAccumulator()
        for chunk in client.stream(request):
            accumulator.add(chunk)

        async def run() -> Any:
            accumulated = StreamAccumulator()
            async for chunk in client.astream(request):
                accumulated.add(chunk)
            await client.aclose()
            return accumulated.usage

        async_usage = asyncio.run(run())
    for usage in (plain, accumulator.usage, async_usage):
        assert usage is not None and usage.cost_computed
        text = usage.prompt_tokens - usage.image_tokens
        assert usage.cost_in_usd_ticks == (
            (text - usage.cached_tokens) * 4_000
            + usage.cached_tokens * 1_000
            + usage.image_tokens * 9_000
            + usage.output_tokens * 20_000
        )
    assert async_usage.cached_tokens > 0  # the cache's price shows up too


def test_no_prices_no_cost(costless: Emulator) -> None:
    costless.fail_model_endpoints(503)
    request = ChatRequest(model="grok-4", messages=[user_message("Hi")])
    with XAIClient(api_key=costless.api_key, base_url=costless.base_url) as client:
        usage = client.create(request).usage
    assert usage is not None
    assert (usage.cost_in_usd_ticks, usage.cost_usd, usage.cost_computed) == (None, None, False)


def test_the_estimate_before_sending_matches_what_is_billed(
    client: XAIClient, emulator: Emulator, image_bytes: Any
) -> None:
    request, images = image_request("grok-9-vision", image_bytes, max_tokens=50)
    estimate = client.estimate_cost(request, images)
    assert "/v1/chat/completions" not in paths(emulator)  # nothing sent
    assert estimate.text_exact and estimate.image_tokens == 7 * 256
    usage = client.create(request).usage
    assert usage is not None and usage.cost_in_usd_ticks is not None
    assert estimate.prompt_tokens == usage.prompt_tokens
    output_ticks = usage.output_tokens * 20_000
    assert estimate.prompt_ticks == usage.cost_in_usd_ticks - output_ticks
    assert estimate.max_output_ticks == 50 * 20_000
    assert estimate.max_ticks is not None and estimate.max_ticks >= usage.cost_in_usd_ticks

    async def run() -> Any:
        async with AsyncXAIClient(api_key=emulator.api_key, base_url=emulator.base_url) as c:
            return await c.estimate_cost(request, images)

    assert asyncio.run(run()) == estimate


def test_count_text_counts_one_text_sync_and_async(client: XAIClient, emulator: Emulator) -> None:
    assert client.count_text("abcdefghij", model="grok-9-text") == 3
    with pytest.raises(RequestValidationError, match="text must be a str, got bytes"):
        client.count_text(b"abc", model="grok-9-text")  # type: ignore[arg-type]

    async def run() -> int:
        async with AsyncXAIClient(api_key="async-key", base_url=emulator.base_url) as c:
            return await c.count_text("x" * 41, model="grok-9-text")

    assert asyncio.run(run()) == 11
    texts = [r.body["text"] for r in emulator.requests if r.path == "/v1/tokenize-text"]
    assert texts == ["abcdefghij", "x" * 41]
