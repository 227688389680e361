"""XAIVision: images in system and assistant messages, and names, reach the emulator intact."""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from xai_vision.emulator import Emulator

from llama_index_xai_vision import XAIVision

ImageFactory = Callable[..., bytes]


def test_images_in_system_and_assistant_messages_are_sent_and_accepted(
    xai_emulator: Emulator, image_bytes: ImageFactory
) -> None:
    llm = XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url, max_retries=0)
    response = llm.chat(
        [
            ChatMessage(
                role="system",
                blocks=[TextBlock(text="Reference:"), ImageBlock(image=image_bytes(color="red"))],
                additional_kwargs={"name": "ops"},
            ),
            ChatMessage(
                role="assistant",
                blocks=[ImageBlock(image=image_bytes(color="blue"), detail="low")],
            ),
            ChatMessage(role="user", content="Which colours?", additional_kwargs={"name": "ann"}),
        ]
    )
    sent = xai_emulator.last_request.body["messages"]
    assert [m["role"] for m in sent] == ["system", "assistant", "user"]
    assert [p["type"] for p in sent[0]["content"]] == ["text", "image_url"]
    assert sent[1]["content"][0]["image_url"]["detail"] == "low"
    assert [m.get("name") for m in sent] == ["ops", None, "ann"]
    content = response.message.content or ""
    assert content.startswith("I see 2 images.")
    assert "mostly red" in content and "mostly blue" in content
    assert content.endswith("You asked: Which colours?")
