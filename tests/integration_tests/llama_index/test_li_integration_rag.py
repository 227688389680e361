"""Image retrieval end to end: SimpleDirectoryReader -> MultiModalVectorStoreIndex -> xAI.

CLIP needs torch, so the index uses a small local colour embedding written here: images become
colour histograms, text becomes counts of colour words, so "red" queries land near red images.
The emulator's answer names every image it received, which shows what retrieval sent.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import SimpleDirectoryReader
from llama_index.core.base.llms.types import ImageBlock
from llama_index.core.embeddings import MultiModalEmbedding
from llama_index.core.indices import MultiModalVectorStoreIndex
from llama_index.core.program.multi_modal_llm_program import MultiModalLLMCompletionProgram
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import ImageDocument, ImageType
from PIL import Image, ImageColor
from pydantic import BaseModel
from xai_vision.emulator import Emulator

from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

NAMES = ["red", "green", "blue", "yellow", "white", "black"]
PALETTE: dict[str, tuple[int, ...]] = {name: ImageColor.getrgb(name) for name in NAMES}


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector] if norm else [1 / math.sqrt(len(vector))] * len(vector)


def _nearest(pixel: tuple[int, int, int]) -> int:
    return min(
        range(len(NAMES)),
        key=lambda i: sum((a - b) ** 2 for a, b in zip(pixel, PALETTE[NAMES[i]], strict=True)),
    )


def colour_histogram(image: Image.Image) -> list[float]:
    """A unit vector of how many (downsampled) pixels are nearest each palette colour."""
    small = image.convert("RGB")
    small.thumbnail((16, 16))
    counts = [0.0] * len(NAMES)
    data = small.tobytes()
    for pixel in zip(data[0::3], data[1::3], data[2::3], strict=True):
        counts[_nearest(pixel)] += 1
    return _unit(counts)


def colour_words(text: str) -> list[float]:
    """A unit vector of how often each palette colour is named in ``text``."""
    lowered = text.lower()
    return _unit([float(lowered.count(name)) for name in NAMES])


class ColourEmbedding(MultiModalEmbedding):
    """Images and text in one tiny colour space: no model, no network."""

    def _get_image_embedding(self, img_file_path: ImageType) -> list[float]:
        with Image.open(img_file_path) as image:
            return colour_histogram(image)

    async def _aget_image_embedding(self, img_file_path: ImageType) -> list[float]:
        return self._get_image_embedding(img_file_path)

    def _get_text_embedding(self, text: str) -> list[float]:
        return colour_words(text)

    def _get_query_embedding(self, query: str) -> list[float]:
        return colour_words(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return colour_words(query)


IMAGES = {
    "red.png": ("red", (64, 48)),
    "blue.jpg": ("blue", (32, 32)),
    "green.png": ("green", (40, 40)),
    "yellow.png": ("yellow", (50, 20)),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, (colour, size) in IMAGES.items():
        Image.new("RGB", size, colour).save(tmp_path / name)
    return tmp_path


@pytest.fixture
def index(folder: Path) -> MultiModalVectorStoreIndex:
    documents = SimpleDirectoryReader(str(folder)).load_data()
    assert all(isinstance(d, ImageDocument) for d in documents)
    embedding = ColourEmbedding(model_name="colour-histogram")
    return MultiModalVectorStoreIndex.from_documents(
        documents, embed_model=embedding, image_embed_model=embedding
    )


def test_colour_embedding_retrieves_by_colour(index: MultiModalVectorStoreIndex) -> None:
    retriever = index.as_retriever(image_similarity_top_k=1)
    for name, (colour, _) in IMAGES.items():
        [hit] = retriever.text_to_image_retrieve(f"the {colour} one")
        assert hit.node.metadata["file_name"] == name


def _answer_images(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.startswith("Image ")]


@pytest.mark.parametrize("cls", [XAIVisionMultiModal, XAIVision])
def test_multimodal_query_engine(
    cls: type[Any],
    index: MultiModalVectorStoreIndex,
    xai_emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm = cls(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    engine = index.as_query_engine(llm=llm, image_similarity_top_k=1)
    assert "does not appear to be a multi-modal LLM" not in caplog.text
    response = engine.query("Which picture is red?")
    assert _answer_images(str(response)) == [
        "Image 1: 64x48 png, detail auto, landscape, bright, mostly red."
    ]
    assert "Query: Which picture is red?" in str(response)
    assert [n.node.metadata["file_name"] for n in response.source_nodes] == ["red.png"]
    assert len(xai_emulator.requests) == 1


async def test_multimodal_query_engine_async(
    index: MultiModalVectorStoreIndex, xai_emulator: Emulator
) -> None:
    llm = XAIVisionMultiModal(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    engine = index.as_query_engine(llm=llm, image_similarity_top_k=2)
    response = await engine.aquery("green and yellow things")
    lines = _answer_images(str(response))
    assert len(lines) == 2
    assert sorted(line.rsplit(" ", 1)[-1] for line in lines) == ["green.", "yellow."]
    names = {n.node.metadata["file_name"] for n in response.source_nodes}
    assert names == {"green.png", "yellow.png"}


def test_retriever_query_engine_multimodal_with_xaivision(
    index: MultiModalVectorStoreIndex, xai_emulator: Emulator
) -> None:
    llm = XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    retriever = index.as_retriever(image_similarity_top_k=2)
    engine = RetrieverQueryEngine.from_args(retriever, llm=llm, multimodal=True)
    response = engine.query("blue or yellow?")
    lines = _answer_images(str(response))
    assert sorted(line.rsplit(" ", 1)[-1] for line in lines) == ["blue.", "yellow."]
    assert "Query: blue or yellow?" in str(response)
    sent = xai_emulator.last_request.body["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]


class Scene(BaseModel):
    """A structured reading of one picture."""

    colour: str
    shapes: int


def _sent_images(body: dict[str, Any]) -> list[str]:
    return [
        part["image_url"]["url"]
        for message in body["messages"]
        if isinstance(message["content"], list)
        for part in message["content"]
        if part["type"] == "image_url"
    ]


def test_multimodal_completion_program(folder: Path, xai_emulator: Emulator) -> None:
    llm = XAIVisionMultiModal(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    [document] = SimpleDirectoryReader(input_files=[str(folder / "red.png")]).load_data()
    assert isinstance(document, ImageDocument)
    # The program accepts ImageNode / ImageBlock only (it puts an ImageDocument in the message
    # blocks as it is, which ChatMessage refuses), so the read document becomes a block.
    image = ImageBlock(path=Path(document.image_path or ""))
    # The program asks for JSON in its prompt; a scripted answer plays the model's part.
    xai_emulator.queue_reply('{"colour": "red", "shapes": 1}')
    program = MultiModalLLMCompletionProgram.from_defaults(
        output_cls=Scene,
        prompt_template_str="Read the picture: {question}",
        multi_modal_llm=llm,
        image_documents=[image],
    )
    scene = program(question="what colour, how many shapes?")
    assert scene == Scene(colour="red", shapes=1)
    [url] = _sent_images(xai_emulator.last_request.body)
    assert url.startswith("data:image/png;base64,")


def test_multimodal_program_with_json_schema_output(folder: Path, xai_emulator: Emulator) -> None:
    # With response_format the emulator fills the schema from what it saw: the image counts.
    llm = XAIVisionMultiModal(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    block = ImageBlock(path=folder / "blue.jpg")
    program = MultiModalLLMCompletionProgram.from_defaults(
        output_cls=Scene,
        prompt_template_str="Read the picture.",
        multi_modal_llm=llm,
        image_documents=[block],
    )
    scene = program(llm_kwargs={"response_format": Scene})
    # The value comes from the picture (the emulator's description of what it received), not
    # from the schema LlamaIndex pastes into the prompt.
    assert scene == Scene(colour="32x32 jpeg, detail auto, square, dark, mostly blue", shapes=0)
    assert xai_emulator.last_request.body["response_format"]["json_schema"]["name"] == "Scene"
    assert len(_sent_images(xai_emulator.last_request.body)) == 1


def test_chat_engine_over_images_with_xaivision(
    index: MultiModalVectorStoreIndex, xai_emulator: Emulator
) -> None:
    llm = XAIVision(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    engine = index.as_chat_engine(llm=llm, chat_mode="context", image_similarity_top_k=1)
    first = engine.chat("show me the red one")
    second = engine.chat("and now the blue one?")
    assert _answer_images(str(first)) == [
        "Image 1: 64x48 png, detail auto, landscape, bright, mostly red."
    ]
    assert _answer_images(str(second)) == [
        "Image 1: 32x32 jpeg, detail auto, square, dark, mostly blue."
    ]
    # The second turn carries the first as history: user, assistant, then the new question.
    roles = [m["role"] for m in xai_emulator.last_request.body["messages"]]
    assert roles[-3:] == ["user", "assistant", "user"]


def test_text_and_image_nodes_reach_the_model_together(
    tmp_path: Path, xai_emulator: Emulator
) -> None:
    Image.new("RGB", (64, 48), "red").save(tmp_path / "red.png")
    Image.new("RGB", (32, 32), "blue").save(tmp_path / "blue.jpg")
    (tmp_path / "notes.txt").write_text("The red picture shows a ripe apple.", encoding="utf-8")
    documents = SimpleDirectoryReader(str(tmp_path)).load_data()
    embedding = ColourEmbedding(model_name="colour-histogram")
    index = MultiModalVectorStoreIndex.from_documents(
        documents, embed_model=embedding, image_embed_model=embedding
    )
    llm = XAIVisionMultiModal(api_key=xai_emulator.api_key, base_url=xai_emulator.base_url)
    engine = index.as_query_engine(llm=llm, similarity_top_k=1, image_similarity_top_k=1)
    response = engine.query("What is red?")
    text = str(response)
    assert _answer_images(text) == [
        "Image 1: 64x48 png, detail auto, landscape, bright, mostly red."
    ]
    assert "The red picture shows a ripe apple." in text
    kinds = sorted(type(n.node).__name__ for n in response.source_nodes)
    assert kinds == ["ImageNode", "TextNode"]
