"""Agent tools: ``look_closer_tool``, a LangChain tool that shows the model a crop of an image.

The work is the core's (:class:`xai_vision.look_closer.LookCloser`); this module only makes it
a LangChain ``BaseTool`` whose result is message content: a text block saying what the crop
is, then the crop as an ``image_url`` block at ``detail: high``. ``ChatXAIVision`` sends that
``ToolMessage`` as a tool message with image parts (chat completions) or as the tool's text
plus a user message with the image (responses endpoint).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from xai_vision.images import ImageOptions, ImageSource
from xai_vision.look_closer import LookCloser
from xai_vision.messages import image_part
from xai_vision.tokens import Detail

__all__ = ["look_closer_tool"]


def look_closer_tool(
    images: Mapping[str, ImageSource] | Sequence[ImageSource],
    *,
    detail: Detail = "high",
    image_options: ImageOptions | None = None,
) -> BaseTool:
    """A LangChain tool named ``look_closer`` over ``images``
    (see :class:`~xai_vision.look_closer.LookCloser` for the names, the ``box`` and the checks).

    A mistake in the model's arguments comes back as a ``ToolMessage`` with ``status="error"``
    holding the core's explanation, so the agent loop goes on and the model can correct itself.
    """
    looker = LookCloser(images, detail=detail, options=image_options)

    def look_closer(**arguments: Any) -> list[dict[str, Any]]:
        result = looker.look(arguments)
        if result.image is None:
            raise ToolException(result.text)  # answered as the tool's text, status "error"
        return [{"type": "text", "text": result.text}, dict(image_part(result.image))]

    # A JSON-schema args_schema is passed to the function as the model sent it (no pydantic
    # validation that would raise into the agent loop): the core checks and answers mistakes.
    return StructuredTool(
        name=looker.name,
        description=looker.description,
        args_schema=looker.parameters,
        func=look_closer,
        response_format="content",
        handle_tool_error=True,
    )
