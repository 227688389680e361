"""Images in system and assistant messages, and message names, reach the emulator intact."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from xai_vision.emulator import Emulator

from langchain_xai_vision import ChatXAIVision, image_block
from tests.integration_tests.langchain.conftest import png


def test_images_in_system_and_assistant_messages_are_sent_and_accepted(
    lc_params: dict[str, Any], emulator: Emulator
) -> None:
    model = ChatXAIVision(**lc_params)
    answer = model.invoke(
        [
            SystemMessage(["Compare with this reference:", image_block(png("red"))]),
            AIMessage(["Earlier I showed you:", image_block(png("blue", (32, 32)), detail="low")]),
            HumanMessage("Which colours did you see?"),
        ]
    )
    sent = emulator.last_request.body["messages"]
    assert [m["role"] for m in sent] == ["system", "assistant", "user"]
    assert [p["type"] for p in sent[0]["content"]] == ["text", "image_url"]
    assert [p["type"] for p in sent[1]["content"]] == ["text", "image_url"]
    assert sent[1]["content"][1]["image_url"]["detail"] == "low"
    assert isinstance(answer.content, str)
    assert answer.content.startswith("I see 2 images.")
    assert "mostly red" in answer.content and "mostly blue" in answer.content
    assert answer.usage_metadata is not None
    # The 64x48 reference is one tile plus the extra (512); the low-detail one costs 256.
    details: dict[str, Any] = dict(answer.usage_metadata.get("input_token_details") or {})
    assert details["image"] == 512 + 256


def test_message_names_reach_the_wire(lc_params: dict[str, Any], emulator: Emulator) -> None:
    model = ChatXAIVision(**lc_params)
    model.invoke(
        [
            SystemMessage("Be brief.", name="ops"),
            HumanMessage("hi", name="ann"),
            AIMessage("hello", name="grok"),
            HumanMessage("again"),
        ]
    )
    sent = emulator.last_request.body["messages"]
    assert [m.get("name") for m in sent] == ["ops", "ann", "grok", None]


def test_close_and_aclose_release_the_pools_and_the_model_still_works(
    xai_emulator: Emulator,
) -> None:
    """close()/aclose() drop the model's clients; a later call opens a fresh pool."""
    import asyncio

    model = ChatXAIVision(api_key="k", base_url=xai_emulator.base_url)
    model.invoke("first")
    first = model._get_client()
    model.close()
    assert model._get_client() is not first
    assert model.invoke("again").content.endswith("You asked: again")

    async def run() -> str:
        reply = await model.ainvoke("async")
        await model.aclose()
        return str(reply.content)

    assert asyncio.run(run()).endswith("You asked: async")
    assert model._get_client() is not first
