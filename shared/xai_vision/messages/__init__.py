"""xAI wire messages and the request: plain dicts, built and checked by the functions here.

Builders return exactly the JSON shapes xAI takes (``text``, ``image_url`` and ``file`` parts, in
any order, any number of images, in every role: xAI's ``Message`` schema gives system, user,
assistant and tool messages the same content type). :class:`ImageCollector` numbers a
request's images and enforces the per-request limit; :class:`ChatRequest` is the frozen,
validated request an endpoint serialises. Nothing here knows about HTTP or a particular endpoint.

One module per job: :mod:`.parts` (content parts, :class:`ImageCollector`), :mod:`.wire`
(messages), :mod:`.tools` (tools, ``tool_choice``, ``response_format``) and :mod:`.request`
(:class:`ChatRequest`). The prompt estimate lives with the other estimates in
:mod:`xai_vision.tokens`.
"""

from xai_vision.messages.parts import (
    ContentInput,
    ContentPart,
    FilePart,
    FileRef,
    ImageCollector,
    ImagePart,
    ImageURL,
    TextPart,
    document_parts,
    file_part,
    image_part,
    text_part,
)
from xai_vision.messages.request import (
    CHAT_REQUEST_PARAMS,
    REASONING_EFFORTS,
    REQUEST_SETTINGS,
    ChatRequest,
)
from xai_vision.messages.tools import (
    function_tool,
    json_schema_response_format,
    normalise_tool_choice,
)
from xai_vision.messages.wire import (
    ROLES,
    AssistantMessage,
    SystemMessage,
    ToolMessage,
    UserMessage,
    WireFunction,
    WireMessage,
    WireToolCall,
    assistant_message,
    system_message,
    tool_message,
    user_message,
)
from xai_vision.tokens import estimate_prompt_tokens

__all__ = [
    "CHAT_REQUEST_PARAMS",
    "REASONING_EFFORTS",
    "REQUEST_SETTINGS",
    "ROLES",
    "AssistantMessage",
    "ChatRequest",
    "ContentInput",
    "ContentPart",
    "FilePart",
    "FileRef",
    "ImageCollector",
    "ImagePart",
    "ImageURL",
    "SystemMessage",
    "TextPart",
    "ToolMessage",
    "UserMessage",
    "WireFunction",
    "WireMessage",
    "WireToolCall",
    "assistant_message",
    "document_parts",
    "estimate_prompt_tokens",
    "file_part",
    "function_tool",
    "image_part",
    "json_schema_response_format",
    "normalise_tool_choice",
    "system_message",
    "text_part",
    "tool_message",
    "user_message",
]
