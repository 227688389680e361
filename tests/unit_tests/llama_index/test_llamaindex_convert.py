"""LlamaIndex blocks, nodes and documents -> core wire messages (no network)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.schema import Document, ImageDocument, ImageNode, MediaResource, TextNode
from PIL import Image
from xai_vision.errors import (
    ImageDecodeError,
    ImageError,
    NoToolCallError,
    RequestValidationError,
    TooManyImagesError,
)
from xai_vision.images import ImageOptions, parse_data_uri
from xai_vision.messages import ImageCollector

from llama_index_xai_vision._convert import (
    image_input_source,
    to_wire_messages,
    tool_selections,
    user_wire_message,
)

ImageFactory = Callable[..., bytes]


def _images(wire: list[Any]) -> list[dict[str, Any]]:
    """Every image_url object in wire messages, in order."""
    found: list[dict[str, Any]] = []
    for message in wire:
        content = message.get("content")
        if isinstance(content, list):
            found.extend(p["image_url"] for p in content if p["type"] == "image_url")
    return found


def _convert(messages: list[ChatMessage], **kwargs: Any) -> list[Any]:
    return to_wire_messages(messages, ImageCollector(kwargs.pop("options", None)), **kwargs)


def test_text_only_user_message_is_a_plain_string() -> None:
    wire = _convert([ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")])])
    assert wire == [{"role": "user", "content": "a\nb"}]


def test_image_block_bytes_become_a_data_uri_with_sniffed_mime(image_bytes: ImageFactory) -> None:
    jpeg = image_bytes(color="blue", size=(32, 32), fmt="JPEG")
    # LlamaIndex was told PNG; the bytes are JPEG: the bytes win.
    block = ImageBlock(image=jpeg, image_mimetype="image/png", detail="low")
    wire = _convert([ChatMessage(role="user", blocks=[TextBlock(text="what?"), block])])
    content = wire[0]["content"]
    assert [part["type"] for part in content] == ["text", "image_url"]
    image = content[1]["image_url"]
    mime, data = parse_data_uri(image["url"])
    assert mime == "image/jpeg"
    assert data == jpeg
    assert image["detail"] == "low"


def test_image_block_without_mime_is_sniffed(image_bytes: ImageFactory) -> None:
    png = image_bytes(fmt="PNG")
    block = ImageBlock(image=png)
    block.image_mimetype = None
    [image] = _images(_convert([ChatMessage(role="user", blocks=[block])]))
    assert parse_data_uri(image["url"]) == ("image/png", png)


def test_image_block_path_stream_url_and_data_url(
    png_path: Callable[..., str], image_bytes: ImageFactory
) -> None:
    path = png_path("red.png", color="red")
    webp = image_bytes(color="green", size=(20, 10), fmt="WEBP")
    data_url = "data:image/webp;base64," + base64.b64encode(webp).decode()
    blocks = [
        ImageBlock(path=Path(path)),
        ImageBlock(image=io.BytesIO(image_bytes(fmt="PNG", size=(8, 8)))),
        ImageBlock(url="https://example.com/cat.jpg", detail="high"),
        ImageBlock(url=data_url),
    ]
    images = _images(_convert([ChatMessage(role="user", blocks=blocks)]))
    assert parse_data_uri(images[0]["url"]) == ("image/png", Path(path).read_bytes())
    assert parse_data_uri(images[1]["url"])[0] == "image/png"
    assert images[2] == {"url": "https://example.com/cat.jpg", "detail": "high"}
    mime, sent = parse_data_uri(images[3]["url"])  # WebP is converted (xAI has refused it)
    assert mime == "image/png" and Image.open(io.BytesIO(sent)).size == (20, 10)


def test_instance_detail_fills_in_only_where_a_block_sets_none(image_bytes: ImageFactory) -> None:
    png = image_bytes()
    blocks = [ImageBlock(image=png), ImageBlock(image=png, detail="high")]
    images = _images(_convert([ChatMessage(role="user", blocks=blocks)], default_detail="low"))
    assert [image["detail"] for image in images] == ["low", "high"]


def test_bad_detail_is_a_typed_error_naming_the_block(image_bytes: ImageFactory) -> None:
    block = ImageBlock(image=image_bytes(), detail="ultra")
    with pytest.raises(RequestValidationError, match=r"message 0 \(user\), block 1: detail"):
        _convert([ChatMessage(role="user", blocks=[TextBlock(text="x"), block])])


def test_image_node_and_image_document_sources(
    png_path: Callable[..., str], image_bytes: ImageFactory
) -> None:
    jpeg = image_bytes(fmt="JPEG", color="yellow")
    node = ImageNode(image=base64.b64encode(jpeg).decode())
    path = png_path("doc.png")
    document = ImageDocument(image_path=path)
    url_node = ImageNode(image_url="https://example.com/x.png")
    collector = ImageCollector()
    wire = user_wire_message("describe", [node, document, url_node], collector)
    images = _images([wire])
    assert parse_data_uri(images[0]["url"]) == ("image/jpeg", jpeg)
    assert parse_data_uri(images[1]["url"]) == ("image/png", Path(path).read_bytes())
    assert images[2]["url"] == "https://example.com/x.png"
    assert wire["content"][0] == {"type": "text", "text": "describe"}
    assert [image.index for image in collector.images] == [1, 2, 3]


def test_image_node_with_only_file_path_metadata(png_path: Callable[..., str]) -> None:
    path = png_path("meta.png", color="blue")
    node = ImageNode(metadata={"file_path": path})
    source, detail = image_input_source(node, "here")
    assert source == Path(path)
    assert detail is None


def test_document_with_an_image_resource(image_bytes: ImageFactory) -> None:
    png = image_bytes(color="red", size=(10, 10))
    document = Document(image_resource=MediaResource(data=png))
    source, _ = image_input_source(document, "here")
    assert source == "data:image/png;base64," + base64.b64encode(png).decode()
    with pytest.raises(RequestValidationError, match="TextNode"):
        image_input_source(TextNode(text="caption only"), "here")


def test_non_image_inputs_are_rejected_by_name() -> None:
    with pytest.raises(RequestValidationError, match=r"image_documents\[0\].*TextNode"):
        user_wire_message("x", [TextNode(text="not an image")], ImageCollector())
    with pytest.raises(RequestValidationError, match="holds no image"):
        user_wire_message("x", [ImageNode()], ImageCollector())


def test_broken_image_bytes_raise_the_core_image_error() -> None:
    block = ImageBlock(image=b"definitely not an image")
    with pytest.raises(ImageError) as info:
        _convert([ChatMessage(role="user", blocks=[block])])
    assert isinstance(info.value, ImageDecodeError)
    assert info.value.index == 1


def test_per_request_image_cap_is_enforced(image_bytes: ImageFactory) -> None:
    png = image_bytes()
    blocks = [ImageBlock(image=png) for _ in range(3)]
    with pytest.raises(TooManyImagesError):
        _convert(
            [ChatMessage(role="user", blocks=blocks)],
            options=ImageOptions(max_images_per_request=2),
        )


@pytest.mark.parametrize("role", ["system", "assistant"])
def test_images_in_system_or_assistant_messages_are_sent_in_order(
    role: str, image_bytes: ImageFactory
) -> None:
    message = ChatMessage(
        role=role, blocks=[TextBlock(text="x"), ImageBlock(image=image_bytes(), detail="low")]
    )
    (wire,) = _convert([message])
    assert wire["role"] == role
    assert [part["type"] for part in wire["content"]] == ["text", "image_url"]
    assert wire["content"][0] == {"type": "text", "text": "x"}
    assert wire["content"][1]["image_url"]["detail"] == "low"
    assert wire["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_text_only_system_and_assistant_messages_stay_strings() -> None:
    wire = _convert(
        [
            ChatMessage(role="system", blocks=[TextBlock(text="a"), TextBlock(text="b")]),
            ChatMessage(role="assistant", content="hello"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "a\nb"},
        {"role": "assistant", "content": "hello"},
    ]


def test_names_from_additional_kwargs_are_sent_except_on_tool_results() -> None:
    wire = _convert(
        [
            ChatMessage(role="system", content="s", additional_kwargs={"name": "ops"}),
            ChatMessage(role="user", content="u", additional_kwargs={"name": "ann"}),
            ChatMessage(role="assistant", content="a", additional_kwargs={"name": "grok"}),
            ChatMessage(
                role="tool", content="t", additional_kwargs={"tool_call_id": "c", "name": "f"}
            ),
        ]
    )
    assert [m.get("name") for m in wire] == ["ops", "ann", "grok", None]


def test_images_in_tool_results_are_sent(image_bytes: ImageFactory) -> None:
    message = ChatMessage(
        role="tool",
        blocks=[TextBlock(text="chart:"), ImageBlock(image=image_bytes())],
        additional_kwargs={"tool_call_id": "call_1"},
    )
    [wire] = _convert([message])
    assert wire["role"] == "tool"
    assert wire["tool_call_id"] == "call_1"
    assert [part["type"] for part in wire["content"]] == ["text", "image_url"]


@pytest.mark.parametrize(
    "block",
    [
        AudioBlock(audio=b"RIFF0000WAVE", format="wav"),
        DocumentBlock(data=b"plain text", document_mimetype="text/plain"),
    ],
)
def test_unsupported_blocks_are_refused_not_dropped(block: Any) -> None:
    with pytest.raises(RequestValidationError, match=type(block).__name__):
        _convert([ChatMessage(role="user", blocks=[TextBlock(text="x"), block])])


def test_thinking_and_cache_points_are_not_sent() -> None:
    messages = [
        ChatMessage(
            role="user",
            blocks=[TextBlock(text="hi"), CachePoint(cache_control=CacheControl(type="ephemeral"))],
        ),
        ChatMessage(
            role="assistant", blocks=[ThinkingBlock(content="hmm"), TextBlock(text="hello")]
        ),
    ]
    assert _convert(messages) == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]


def test_tool_call_round_trip_through_history() -> None:
    messages = [
        ChatMessage(role="system", content="be brief"),
        ChatMessage(role="user", content="weather in Paris?"),
        ChatMessage(
            role="assistant",
            blocks=[
                TextBlock(text=""),
                ToolCallBlock(
                    tool_call_id="call_7", tool_name="weather", tool_kwargs={"city": "Paris"}
                ),
            ],
        ),
        ChatMessage(role="tool", content="21 C", additional_kwargs={"tool_call_id": "call_7"}),
    ]
    wire = _convert(messages)
    assert [m["role"] for m in wire] == ["system", "user", "assistant", "tool"]
    [call] = wire[2]["tool_calls"]
    assert call["id"] == "call_7"
    assert call["function"]["name"] == "weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    assert wire[3] == {"role": "tool", "tool_call_id": "call_7", "content": "21 C"}


def test_legacy_openai_tool_calls_in_additional_kwargs() -> None:
    legacy = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 1}'},
    }
    message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [legacy]})
    [wire] = _convert([message])
    assert wire["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a": 1}'}


def test_tool_result_without_call_id_is_refused() -> None:
    with pytest.raises(RequestValidationError, match="tool_call_id"):
        _convert([ChatMessage(role="tool", content="42")])


def test_tool_calls_on_a_user_message_are_refused() -> None:
    message = ChatMessage(
        role=MessageRole.USER, blocks=[ToolCallBlock(tool_name="x", tool_kwargs={})]
    )
    with pytest.raises(RequestValidationError, match="only assistant messages"):
        _convert([message])


def test_tool_selections_parse_whole_and_partial_arguments() -> None:
    response = ChatResponse(
        message=ChatMessage(
            role="assistant",
            blocks=[
                TextBlock(text=""),
                ToolCallBlock(tool_call_id="a", tool_name="add", tool_kwargs='{"x": 1, "y": 2}'),
                ToolCallBlock(tool_call_id="b", tool_name="mul", tool_kwargs='{"x": 3, "y": 4'),
            ],
        )
    )
    first, second = tool_selections(response, error_on_no_tool_call=True)
    assert (first.tool_id, first.tool_name, first.tool_kwargs) == ("a", "add", {"x": 1, "y": 2})
    assert second.tool_name == "mul"
    assert second.tool_kwargs == {"x": 3, "y": 4}


def test_tool_selections_without_calls() -> None:
    response = ChatResponse(message=ChatMessage(role="assistant", content="no tools"))
    assert tool_selections(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="at least one tool call") as caught:
        tool_selections(response, error_on_no_tool_call=True)
    assert isinstance(caught.value, NoToolCallError)  # typed, and still LlamaIndex's ValueError
