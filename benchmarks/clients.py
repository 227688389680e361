"""The clients the benchmark compares, behind one small interface.

Each client is given the same inputs (the image's bytes and a question) and does, per call,
everything its users would have to do: encode the image the way that library expects, build
its message objects, send, and parse the answer. Peer libraries are imported lazily, so a
missing one is reported as "not installed" instead of failing the run.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

MODEL = "grok-4-fast-non-reasoning"
QUESTION = "What is in this image?"
DUMMY_KEY = "xai-bench-not-a-real-key"
TIMEOUT = 120.0


@dataclass(frozen=True)
class Answer:
    """What one call returned: the text and the image tokens its usage reported (if any)."""

    text: str
    image_tokens: int | None


@dataclass(frozen=True)
class Image:
    """The input image: raw bytes and its MIME type (encoded per call by each client)."""

    data: bytes
    mime: str


class Client(Protocol):
    """One library under test, configured against the emulator."""

    name: str

    def call(self, image: Image) -> Answer:
        """One non-streaming call: ``send(build(image))``."""
        ...

    def build(self, image: Image) -> Any:
        """What the caller builds before calling: the messages (the raw floor: its body)."""
        ...

    def send(self, built: Any) -> Answer:
        """One non-streaming call with what :meth:`build` made (the client's own cost)."""
        ...

    def stream(self, image: Image) -> Iterator[str]:
        """One streaming call: yields text pieces as they arrive."""
        ...

    async def acall(self, image: Image) -> Answer:
        """One async non-streaming call."""
        ...

    async def abatch(self, images: list[Image]) -> list[Answer]:
        """Many concurrent calls, the way the library's users would issue them."""
        ...

    async def aclose(self) -> None:
        """Release connection pools (on the loop the async calls ran on)."""
        ...


def data_uri(image: Image) -> str:
    """``data:<mime>;base64,...``: the form OpenAI-style clients take an inline image in."""
    return f"data:{image.mime};base64,{base64.b64encode(image.data).decode('ascii')}"


def langchain_message(image: Image) -> list[Any]:
    """The LangChain user message: the question and the image as a data URI (stdlib base64)."""
    from langchain_core.messages import HumanMessage

    image_part = {"type": "image_url", "image_url": {"url": data_uri(image)}}
    return [HumanMessage(content=[{"type": "text", "text": QUESTION}, image_part])]


def llamaindex_message(image: Image) -> list[Any]:
    """The LlamaIndex user message: the question and an ``ImageBlock`` of the bytes."""
    from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

    block = ImageBlock(image=image.data, image_mimetype=image.mime)
    return [ChatMessage(role="user", blocks=[TextBlock(text=QUESTION), block])]


def chat_xai_vision(base_url: str, *, responses: bool = False, optimize: bool = False) -> Any:
    """This project's LangChain model at ``base_url`` (chat completions or responses)."""
    from langchain_xai_vision import ChatXAIVision

    return ChatXAIVision(
        model=MODEL,
        api_key=DUMMY_KEY,
        base_url=base_url,
        timeout=TIMEOUT,
        optimize_images=optimize,
        use_responses_api=responses,
    )


def xai_vision(base_url: str, *, responses: bool = False, optimize: bool = False) -> Any:
    """This project's LlamaIndex LLM at ``base_url`` (chat completions or responses)."""
    from xai_vision.images import ImageOptions

    from llama_index_xai_vision import XAIVision

    return XAIVision(
        model=MODEL,
        api_key=DUMMY_KEY,
        base_url=base_url,
        timeout=TIMEOUT,
        image_options=ImageOptions(optimize=optimize),
        use_responses_api=responses,
    )


def chat_openai_responses(base_url: str) -> Any:
    """The responses peer in LangChain: ``ChatOpenAI(use_responses_api=True)``."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=MODEL,
        api_key=DUMMY_KEY,
        base_url=base_url,  # type: ignore[arg-type]
        timeout=TIMEOUT,
        use_responses_api=True,
    )


def openai_responses(base_url: str) -> Any:
    """The responses peer in LlamaIndex: ``OpenAIResponses``."""
    from llama_index.llms.openai import OpenAIResponses

    # context_window: OpenAIResponses looks it up by OpenAI model name otherwise (and refuses).
    return OpenAIResponses(
        model=MODEL, api_key=DUMMY_KEY, api_base=base_url, context_window=2_000_000, timeout=TIMEOUT
    )


def _usage_image_tokens(usage: Any) -> int | None:
    """``usage.prompt_tokens_details.image_tokens`` from a usage dict or object."""
    if usage is None:
        return None
    details = (
        usage.get("prompt_tokens_details")
        if isinstance(usage, dict)
        else getattr(usage, "prompt_tokens_details", None)
    )
    if details is None:
        return None
    value = (
        details.get("image_tokens")
        if isinstance(details, dict)
        else getattr(details, "image_tokens", None)
    )
    return int(value) if value is not None else None


# --------------------------------------------------------------------------- the floor


class RawHttpx:
    """The floor: a hand-built JSON body posted with httpx (stdlib json, one pool)."""

    name = "raw httpx"

    def __init__(self, base_url: str, optimize: bool = False) -> None:
        if optimize:
            raise ValueError("raw httpx has no image optimisation")
        self._url = base_url + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {DUMMY_KEY}"}
        self._client = httpx.Client(timeout=TIMEOUT)
        self._aclient: httpx.AsyncClient | None = None

    def _body(self, image: Image, stream: bool = False) -> bytes:
        body: dict[str, Any] = {
            "model": MODEL,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": QUESTION},
                        {"type": "image_url", "image_url": {"url": data_uri(image)}},
                    ],
                }
            ],
        }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return json.dumps(body).encode()

    def _headers_for(self) -> dict[str, str]:
        return {**self._headers, "Content-Type": "application/json"}

    @staticmethod
    def _answer(data: dict[str, Any]) -> Answer:
        return Answer(data["choices"][0]["message"]["content"], _usage_image_tokens(data["usage"]))

    def call(self, image: Image) -> Answer:
        return self.send(self.build(image))

    def build(self, image: Image, stream: bool = False) -> bytes:
        return self._body(image, stream)

    def send(self, built: bytes) -> Answer:
        response = self._client.post(self._url, content=built, headers=self._headers_for())
        response.raise_for_status()
        return self._answer(response.json())

    def stream(self, image: Image) -> Iterator[str]:
        return self.stream_body(self._body(image, True))

    def stream_body(self, body: bytes) -> Iterator[str]:
        """One streaming call with a prebuilt body: the floor's own streaming cost."""
        with self._client.stream("POST", self._url, content=body, headers=self._headers_for()) as (
            response
        ):
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                for choice in chunk.get("choices", []):
                    text = choice.get("delta", {}).get("content")
                    if text:
                        yield text

    async def acall(self, image: Image) -> Answer:
        if self._aclient is None:
            self._aclient = httpx.AsyncClient(timeout=TIMEOUT)
        response = await self._aclient.post(
            self._url, content=self._body(image), headers=self._headers_for()
        )
        response.raise_for_status()
        return self._answer(response.json())

    async def abatch(self, images: list[Image]) -> list[Answer]:
        return list(await asyncio.gather(*(self.acall(image) for image in images)))

    async def aclose(self) -> None:
        self._client.close()
        if self._aclient is not None:
            await self._aclient.aclose()


# --------------------------------------------------------------------------- LangChain


class _LangChainClient:
    """Shared LangChain driving: same HumanMessage content for ChatXAIVision and ChatXAI."""

    name = "?"
    model: Any

    def _messages(self, image: Image) -> list[Any]:
        return langchain_message(image)

    def _answer(self, message: Any) -> Answer:
        return Answer(str(message.content), self._image_tokens(message))

    def _image_tokens(self, message: Any) -> int | None:
        raise NotImplementedError

    def call(self, image: Image) -> Answer:
        return self.send(self.build(image))

    def build(self, image: Image) -> list[Any]:
        return self._messages(image)

    def send(self, built: list[Any]) -> Answer:
        return self._answer(self.model.invoke(built))

    def stream(self, image: Image) -> Iterator[str]:
        for chunk in self.model.stream(self._messages(image)):
            if chunk.content:
                yield str(chunk.content)

    async def acall(self, image: Image) -> Answer:
        return self._answer(await self.model.ainvoke(self._messages(image)))

    async def abatch(self, images: list[Image]) -> list[Answer]:
        results = await self.model.abatch([self._messages(image) for image in images])
        return [self._answer(message) for message in results]

    async def aclose(self) -> None:
        pass


class ChatXAIVisionClient(_LangChainClient):
    """This project's LangChain model."""

    name = "ChatXAIVision"

    def __init__(self, base_url: str, optimize: bool = False) -> None:
        self.model = chat_xai_vision(base_url, optimize=optimize)

    def _image_tokens(self, message: Any) -> int | None:
        usage = message.usage_metadata or {}
        value = (usage.get("input_token_details") or {}).get("image")
        return int(value) if value is not None else None


class ChatXAIClient(_LangChainClient):
    """``langchain-xai``'s ChatXAI (langchain-openai + the openai SDK) at the emulator."""

    name = "ChatXAI"

    def __init__(self, base_url: str, optimize: bool = False) -> None:
        if optimize:
            raise ValueError("ChatXAI has no image optimisation")
        from langchain_xai import ChatXAI

        self.model = ChatXAI(
            model=MODEL, xai_api_key=DUMMY_KEY, xai_api_base=base_url, timeout=TIMEOUT
        )

    def _image_tokens(self, message: Any) -> int | None:
        return _usage_image_tokens(message.response_metadata.get("token_usage"))


# --------------------------------------------------------------------------- LlamaIndex


class _LlamaIndexClient:
    """Shared LlamaIndex driving: a ChatMessage with a TextBlock and an ImageBlock of bytes."""

    name = "?"
    llm: Any

    def _messages(self, image: Image) -> list[Any]:
        return llamaindex_message(image)

    @staticmethod
    def _answer(response: Any) -> Answer:
        raw = response.raw
        usage = raw.get("usage") if isinstance(raw, dict) else getattr(raw, "usage", None)
        return Answer(str(response.message.content), _usage_image_tokens(usage))

    def call(self, image: Image) -> Answer:
        return self.send(self.build(image))

    def build(self, image: Image) -> list[Any]:
        return self._messages(image)

    def send(self, built: list[Any]) -> Answer:
        return self._answer(self.llm.chat(built))

    def stream(self, image: Image) -> Iterator[str]:
        for response in self.llm.stream_chat(self._messages(image)):
            if response.delta:
                yield str(response.delta)

    async def acall(self, image: Image) -> Answer:
        return self._answer(await self.llm.achat(self._messages(image)))

    async def abatch(self, images: list[Image]) -> list[Answer]:
        return list(await asyncio.gather(*(self.acall(image) for image in images)))

    async def aclose(self) -> None:
        pass


class XAIVisionClient(_LlamaIndexClient):
    """This project's LlamaIndex LLM."""

    name = "XAIVision"

    def __init__(self, base_url: str, optimize: bool = False) -> None:
        self.llm = xai_vision(base_url, optimize=optimize)

    async def aclose(self) -> None:
        await self.llm.aclose()


class OpenAILikeClient(_LlamaIndexClient):
    """``llama-index-llms-openai-like``'s OpenAILike (the openai SDK) at the emulator."""

    name = "OpenAILike"

    def __init__(self, base_url: str, optimize: bool = False) -> None:
        if optimize:
            raise ValueError("OpenAILike has no image optimisation")
        from llama_index.llms.openai_like import OpenAILike  # type: ignore[import-untyped]

        self.llm = OpenAILike(
            model=MODEL,
            api_key=DUMMY_KEY,
            api_base=base_url,
            is_chat_model=True,
            context_window=2_000_000,
            timeout=TIMEOUT,
        )


#: Client name -> (factory, import that must succeed, supports optimisation).
CLIENTS: dict[str, tuple[type[Any], str, bool]] = {
    "raw httpx": (RawHttpx, "httpx", False),
    "ChatXAIVision": (ChatXAIVisionClient, "langchain_xai_vision", True),
    "XAIVision": (XAIVisionClient, "llama_index_xai_vision", True),
    "ChatXAI": (ChatXAIClient, "langchain_xai", False),
    "OpenAILike": (OpenAILikeClient, "llama_index.llms.openai_like", False),
}


def available(name: str) -> bool:
    """Whether the library behind ``name`` can be imported here."""
    import importlib

    try:
        importlib.import_module(CLIENTS[name][1])
    except ImportError:
        return False
    return True


def make(name: str, base_url: str, optimize: bool = False) -> Client:
    """Build client ``name`` pointed at ``base_url``."""
    factory: Any = CLIENTS[name][0]
    client: Client = factory(base_url, optimize)
    return client
