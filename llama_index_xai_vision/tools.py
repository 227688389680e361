"""Agent tools: ``look_closer_tool``, a LlamaIndex tool that shows the model a crop of an image.

The work is the core's (:class:`xai_vision.look_closer.LookCloser`); this module only makes it
a ``FunctionTool`` whose ``ToolOutput`` has two blocks: a ``TextBlock`` saying what the crop
is and an ``ImageBlock`` (``detail="high"``) holding it. Agents (``FunctionAgent``,
``AgentWorkflow``) put those blocks in a TOOL-role message, which ``XAIVision`` sends with its
image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ImageBlock, TextBlock
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, ConfigDict
from xai_vision.images import ImageOptions, ImageSource, parse_data_uri
from xai_vision.look_closer import LookCloser
from xai_vision.tokens import Detail

__all__ = ["look_closer_tool"]


def look_closer_tool(
    images: Mapping[str, ImageSource] | Sequence[ImageSource],
    *,
    detail: Detail = "high",
    image_options: ImageOptions | None = None,
) -> FunctionTool:
    """A LlamaIndex ``FunctionTool`` named ``look_closer`` over ``images`` (see
    :class:`~xai_vision.look_closer.LookCloser` for the names, the ``box`` and the checks).

    A mistake in the model's arguments is the tool's text output, never an exception.
    """
    looker = LookCloser(images, detail=detail, options=image_options)

    def look_closer(**arguments: Any) -> list[TextBlock | ImageBlock]:
        result = looker.look(arguments)
        blocks: list[TextBlock | ImageBlock] = [TextBlock(text=result.text)]
        if result.image is not None:
            mime, data = parse_data_uri(result.image.url)
            blocks.append(ImageBlock(image=data, image_mimetype=mime, detail=result.image.detail))
        return blocks

    return FunctionTool.from_defaults(
        fn=look_closer,
        name=looker.name,
        description=looker.description,
        fn_schema=_arguments_model(looker.parameters),
    )


def _arguments_model(parameters: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model whose JSON schema is exactly the core's ``parameters`` (what the model
    sees); FunctionTool calls the function with the arguments as sent, unvalidated."""

    def use_core_schema(schema: dict[str, Any]) -> None:
        schema.clear()
        schema.update(parameters)

    class LookCloserArguments(BaseModel):
        model_config = ConfigDict(json_schema_extra=use_core_schema)

        image: str
        box: list[float]

    return LookCloserArguments
