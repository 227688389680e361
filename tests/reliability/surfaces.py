"""Every public way to make one call: the core client and both adapters, sync and async,
whole and streamed. Reliability tests run the same fault or input through each of them.

``run(surface, ...)`` makes one call and returns an :class:`Outcome`: the text deltas received
(one element for a non-streamed answer), and the exception raised, if any, after them.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from xai_vision.client import XAIClient
from xai_vision.images import ImageOptions
from xai_vision.messages import ChatRequest, ImageCollector, text_part, user_message

from langchain_xai_vision import ChatXAIVision, image_block
from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

MODEL = "grok-4-fast-non-reasoning"

#: family -> its four calls; the name is "<family>.<call>".
SURFACES: dict[str, tuple[str, ...]] = {
    "core": ("create", "stream", "acreate", "astream"),
    "langchain": ("invoke", "stream", "ainvoke", "astream"),
    "llamaindex": ("chat", "stream_chat", "achat", "astream_chat"),
    "multimodal": ("complete", "stream_complete", "acomplete", "astream_complete"),
}
ALL = [f"{family}.{call}" for family, calls in SURFACES.items() for call in calls]
STREAMING = [name for name in ALL if "stream" in name]
WHOLE = [name for name in ALL if "stream" not in name]
#: One sync whole call per family: enough where the calls share the code under test.
SYNC_WHOLE = ["core.create", "langchain.invoke", "llamaindex.chat", "multimodal.complete"]

#: A source for ``run``: raw bytes, a local path, or a string (URL, data URI, other scheme).
Source = bytes | Path | str


@dataclass
class Outcome:
    """What one call produced: text deltas in arrival order, then the error, if any."""

    deltas: list[str] = field(default_factory=list)
    error: BaseException | None = None
    elapsed: float = 0.0

    @property
    def text(self) -> str:
        """Everything received, joined."""
        return "".join(self.deltas)


@dataclass(frozen=True)
class Config:
    """Connection settings every surface is built with."""

    base_url: str
    api_key: str
    timeout: float = 10.0
    max_retries: int = 2
    image_options: ImageOptions | None = None

    def connection(self) -> dict[str, Any]:
        """The settings the core client and every adapter take under the same names."""
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
        }


def expected_answer(prompt: str) -> str:
    """The emulator's answer to a text-only prompt (ARCHITECTURE.md)."""
    return f"I see no images.\nYou asked: {prompt}"


def build(family: str, config: Config) -> Any:
    """The object a family's calls go through, built from ``config``."""
    connection = config.connection()
    if family == "core":
        return XAIClient(**connection)
    options = config.image_options or ImageOptions()
    if family == "langchain":
        return ChatXAIVision(
            model=MODEL,
            **connection,
            image_policy=options.policy,
            animated_images=options.animated,
        )
    cls = XAIVision if family == "llamaindex" else XAIVisionMultiModal
    return cls(model=MODEL, **connection, image_options=options)


async def close(family: str, target: Any) -> None:
    """Close what ``build`` made."""
    await target.aclose()


def _lc_image(source: Source, options: ImageOptions | None) -> dict[str, Any]:
    if isinstance(source, bytes):
        # LangChain requires a MIME type with base64 data; claim PNG whatever the bytes are.
        data = base64.b64encode(source).decode()
        return {"type": "image", "base64": data, "mime_type": "image/png"}
    if isinstance(source, Path):
        return image_block(source, options=options)
    return {"type": "image_url", "image_url": {"url": source}}


def _li_image(source: Source) -> ImageBlock:
    if isinstance(source, bytes):
        return ImageBlock(image=source)
    if isinstance(source, Path):
        return ImageBlock(path=source)
    return ImageBlock(url=source)


def _core_request(
    prompt: str, images: Sequence[Source], options: ImageOptions | None
) -> ChatRequest:
    collector = ImageCollector(options)
    parts = [text_part(prompt)] + [
        collector.add(str(s) if isinstance(s, Path) else s) for s in images
    ]
    return ChatRequest(MODEL, [user_message(parts)])


async def _call(
    family: str,
    call: str,
    target: Any,
    prompt: str,
    images: Sequence[Source],
    config: Config,
    out: Outcome,
) -> None:
    """Make the call, appending deltas to ``out`` as they arrive (so a late error keeps them)."""
    if family == "core":
        request = _core_request(prompt, images, config.image_options)
        if call == "create":
            out.deltas.append(target.create(request).content or "")
        elif call == "stream":
            out.deltas.extend(c.content for c in target.stream(request) if c.content)
        elif call == "acreate":
            out.deltas.append((await target.acreate(request)).content or "")
        else:
            async for chunk in target.astream(request):
                if chunk.content:
                    out.deltas.append(chunk.content)
        return
    if family == "langchain":
        content: list[Any] = [{"type": "text", "text": prompt}]
        content += [_lc_image(s, config.image_options) for s in images]
        messages = [HumanMessage(content=content)]
        if call == "invoke":
            out.deltas.append(str(target.invoke(messages).content))
        elif call == "stream":
            out.deltas.extend(str(c.content) for c in target.stream(messages) if c.content)
        elif call == "ainvoke":
            out.deltas.append(str((await target.ainvoke(messages)).content))
        else:
            async for chunk in target.astream(messages):
                if chunk.content:
                    out.deltas.append(str(chunk.content))
        return
    if family == "llamaindex":
        blocks: list[Any] = [TextBlock(text=prompt)] + [_li_image(s) for s in images]
        chat = [ChatMessage(role="user", blocks=blocks)]
        if call == "chat":
            out.deltas.append(target.chat(chat).message.content or "")
        elif call == "stream_chat":
            out.deltas.extend(r.delta for r in target.stream_chat(chat) if r.delta)
        elif call == "achat":
            out.deltas.append((await target.achat(chat)).message.content or "")
        else:
            async for response in await target.astream_chat(chat):
                if response.delta:
                    out.deltas.append(response.delta)
        return
    documents = [_li_image(s) for s in images]
    if call == "complete":
        out.deltas.append(target.complete(prompt, image_documents=documents).text)
    elif call == "stream_complete":
        stream = target.stream_complete(prompt, image_documents=documents)
        out.deltas.extend(r.delta for r in stream if r.delta)
    elif call == "acomplete":
        out.deltas.append((await target.acomplete(prompt, image_documents=documents)).text)
    else:
        async for response in await target.astream_complete(prompt, image_documents=documents):
            if response.delta:
                out.deltas.append(response.delta)


def run(
    surface: str,
    config: Config,
    prompt: str = "What is in this image?",
    images: Sequence[Source] = (),
) -> Outcome:
    """One call through ``surface`` ("family.call") on a fresh client; never raises."""
    family, call = surface.split(".")
    target = build(family, config)
    out = Outcome()

    async def main() -> None:
        try:
            await _call(family, call, target, prompt, images, config, out)
        except Exception as exc:  # the outcome under test: recorded, checked by the caller
            out.error = exc
        finally:
            await close(family, target)

    started = time.monotonic()
    asyncio.run(main())
    out.elapsed = time.monotonic() - started
    return out


__all__ = [
    "ALL",
    "STREAMING",
    "SURFACES",
    "SYNC_WHOLE",
    "WHOLE",
    "Config",
    "Outcome",
    "Source",
    "build",
    "close",
    "expected_answer",
    "run",
]
