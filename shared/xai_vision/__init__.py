"""xai-vision core: images in, xAI wire messages out, and the HTTP client."""

from xai_vision.catalog import DEFAULT_MODEL, ModelFacts, model_facts
from xai_vision.client import AsyncXAIClient, XAIClient
from xai_vision.endpoints import ChatCompletionsEndpoint, Endpoint
from xai_vision.images import (
    ImageOptions,
    ImageSource,
    PreparedImage,
    detect_image_format,
    parse_data_uri,
    prepare_image,
)
from xai_vision.messages import (
    CHAT_REQUEST_PARAMS,
    ChatRequest,
    ImageCollector,
    WireMessage,
    assistant_message,
    estimate_prompt_tokens,
    function_tool,
    image_part,
    json_schema_response_format,
    system_message,
    text_part,
    tool_message,
    user_message,
)
from xai_vision.retry import RetryPolicy
from xai_vision.stream import StreamAccumulator
from xai_vision.tokens import estimate_image_tokens, estimate_text_tokens

__all__ = [
    "CHAT_REQUEST_PARAMS",
    "DEFAULT_MODEL",
    "AsyncXAIClient",
    "ChatCompletionsEndpoint",
    "ChatRequest",
    "Endpoint",
    "ImageCollector",
    "ImageOptions",
    "ImageSource",
    "ModelFacts",
    "PreparedImage",
    "RetryPolicy",
    "StreamAccumulator",
    "WireMessage",
    "XAIClient",
    "assistant_message",
    "detect_image_format",
    "estimate_image_tokens",
    "estimate_prompt_tokens",
    "estimate_text_tokens",
    "function_tool",
    "image_part",
    "json_schema_response_format",
    "model_facts",
    "parse_data_uri",
    "prepare_image",
    "system_message",
    "text_part",
    "tool_message",
    "user_message",
]
__version__ = "0.1.0"
