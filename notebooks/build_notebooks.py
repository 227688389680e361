"""Build the three notebooks in this folder from the Python source below, without outputs.

The notebooks are generated so they stay reviewable: edit the cells here, then run
``python notebooks/build_notebooks.py`` (``--check`` fails if a committed notebook is stale).
Cells tagged in their metadata (``tags``) are the ones ``tests/unit_tests/docs/
test_docs_notebooks.py`` looks at after executing each notebook against the emulator.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent

#: A cell: ("markdown" | "code", source, tags)
Cell = tuple[str, str, tuple[str, ...]]


def md(source: str) -> Cell:
    """A markdown cell."""
    return ("markdown", textwrap.dedent(source).strip(), ())


def code(source: str, *tags: str) -> Cell:
    """A code cell, with the tags tests use to find it."""
    return ("code", textwrap.dedent(source).strip(), tags)


SETUP = code(
    """
    import os

    from xai_vision.emulator import Emulator

    # With XAI_API_KEY set, this notebook talks to xAI. Without it, it starts the project's
    # emulator on 127.0.0.1, which answers deterministically by describing the images it got.
    LIVE = bool(os.environ.get("XAI_API_KEY"))
    emulator = None if LIVE else Emulator().start()
    connection = {} if LIVE else {"api_key": emulator.api_key, "base_url": emulator.base_url}
    print("Talking to", "xAI" if LIVE else f"the emulator at {emulator.base_url}")
    """,
    "setup",
)

SETUP_NOTE = md(
    """
    ## Connection

    Set `XAI_API_KEY` before starting Jupyter to use xAI. Without a key the notebook runs
    offline against `xai_vision.emulator.Emulator`, a local stand-in that checks every request
    the way xAI does and answers with what it saw (sizes, formats, detail levels, colours) and
    usage computed with the same token rule. `connection` holds the emulator's key and URL, or
    nothing (the key then comes from `XAI_API_KEY`).
    """
)

CLOSE_EMULATOR = code(
    """
    if emulator is not None:
        emulator.stop()
    """
)


def langchain_quickstart() -> list[Cell]:
    """ChatXAIVision: images from a path, bytes and a URL, detail, streaming, structure, tools."""
    return [
        md(
            """
            # LangChain quickstart: Grok looks at pictures

            `langchain_xai_vision.ChatXAIVision` is a LangChain chat model for xAI's Grok with
            images. This notebook sends images from a path, from bytes and from a URL, compares
            detail levels and what they cost in tokens, streams an answer with its usage, and
            uses structured output and tools.
            """
        ),
        SETUP_NOTE,
        SETUP,
        md(
            """
            ## The sample images

            `xai_vision.samples` ships a few small pictures drawn with Pillow.
            """
        ),
        code(
            """
            from IPython.display import Image, display
            from xai_vision.samples import SAMPLE_DESCRIPTIONS, sample_path

            for name in ("apple.png", "sky.jpg"):
                print(f"{name}: {SAMPLE_DESCRIPTIONS[name]}")
                display(Image(filename=str(sample_path(name)), width=220))
            """,
            "show-images",
        ),
        md(
            """
            ## An image from a path

            `image_block` turns a path, bytes, a PIL image or a URL into a content block. The
            image is read and checked right away (format from its bytes, size limits), so a bad
            file fails here, naming the file, instead of inside a chain.
            """
        ),
        code(
            """
            from langchain_core.messages import HumanMessage

            from langchain_xai_vision import ChatXAIVision, image_block

            model = ChatXAIVision(model="grok-4-fast-non-reasoning", temperature=0, **connection)


            def ask(question, *images):
                \"\"\"One human message: the question, then the images.\"\"\"
                return [HumanMessage(content=[{"type": "text", "text": question}, *images])]


            apple = sample_path("apple.png")
            answer = model.invoke(ask("What is in this picture?", image_block(apple)))
            print(answer.content)
            print(answer.usage_metadata)
            """,
            "path",
        ),
        md(
            """
            ## An image from bytes

            Bytes are sniffed for their format (JPEG here) and sent as a data URI.
            """
        ),
        code(
            """
            sky_bytes = sample_path("sky.jpg").read_bytes()
            answer = model.invoke(ask("What is the weather like?", image_block(sky_bytes)))
            print(answer.content)
            """,
            "bytes",
        ),
        md(
            """
            ## An image from a URL

            A URL is sent as it is and the server downloads the image itself, so it must be
            reachable from there. With a key we use a public image. The emulator only downloads
            from loopback addresses, so offline we serve a copy of `apple.png` from a small
            `http.server` on 127.0.0.1 in a background thread and give its URL.
            """
        ),
        code(
            """
            import functools
            import http.server
            import shutil
            import tempfile
            import threading


            class QuietHandler(http.server.SimpleHTTPRequestHandler):
                \"\"\"Serves files without logging every request into the notebook.\"\"\"

                def log_message(self, format, *args):
                    pass


            server = None
            if LIVE:
                image_url = "https://science.nasa.gov/wp-content/uploads/2023/09/web-first-images-release.png"
            else:
                served = tempfile.mkdtemp(prefix="xai-vision-served-")
                shutil.copy(sample_path("apple.png"), served)
                handler = functools.partial(QuietHandler, directory=served)
                server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                image_url = f"http://127.0.0.1:{server.server_port}/apple.png"

            answer = model.invoke(ask("What is in this picture?", image_block(image_url)))
            print(image_url)
            print(answer.content)
            """,
            "url",
        ),
        md(
            """
            ## Detail levels and what they cost

            `detail` is `low`, `high` or `auto`. xAI cuts an image into 448x448 tiles at
            256 tokens a tile, plus one extra tile, at most 6 tiles; `low` is one tile.
            `xai_vision.tokens.estimate_image_tokens` applies that rule (`auto` is estimated
            as `high`). The answer's `usage_metadata` reports the image tokens xAI counted.
            """
        ),
        code(
            """
            from PIL import Image as PILImage
            from xai_vision.tokens import estimate_image_tokens

            sky = sample_path("sky.jpg")
            with PILImage.open(sky) as picture:
                size = picture.size
            print(f"sky.jpg is {size[0]}x{size[1]}")
            for detail in ("low", "high", "auto"):
                answer = model.invoke(ask("What is here?", image_block(sky, detail=detail)))
                reported = answer.usage_metadata["input_token_details"]["image"]
                estimate = estimate_image_tokens(size, detail)
                print(f"{detail:>4}: reported {reported} image tokens, estimated {estimate}")
            """,
            "detail",
        ),
        code(
            """
            %matplotlib inline
            import matplotlib.pyplot as plt

            # 4:3 images from 64 px to 4096 px wide.
            widths = list(range(64, 4097, 32))
            styles = {"low": "-", "high": "-", "auto": "--"}
            fig, ax = plt.subplots(figsize=(7, 4))
            for detail, style in styles.items():
                tokens = [estimate_image_tokens((w, w * 3 // 4), detail) for w in widths]
                label = "auto (estimated as high)" if detail == "auto" else detail
                ax.plot(widths, tokens, style, label=label)
            ax.set_xlabel("image width in px (4:3)")
            ax.set_ylabel("estimated image tokens")
            ax.set_title("Image tokens against image size, by detail level")
            ax.legend()
            plt.show()
            """,
            "token-plot",
        ),
        md(
            """
            ## Streaming with usage

            Chunks arrive as Grok writes; usage comes once, on the last chunk, so adding the
            chunks up gives the whole message with its `usage_metadata`.
            """
        ),
        code(
            """
            full = None
            for chunk in model.stream(ask("Describe it.", image_block(apple, detail="low"))):
                print(chunk.content, end="", flush=True)
                full = chunk if full is None else full + chunk
            print()
            print(full.usage_metadata)
            """,
            "stream",
        ),
        md(
            """
            ## Structured output

            `with_structured_output` takes a pydantic class and uses xAI's `json_schema`
            response format, so the answer is an instance of the class.
            """
        ),
        code(
            """
            from pydantic import BaseModel, Field


            class Picture(BaseModel):
                \"\"\"What a picture shows.\"\"\"

                subject: str = Field(description="the main thing shown")
                colours: list[str] = Field(description="the main colours, most prominent first")


            extract = model.with_structured_output(Picture)
            picture = extract.invoke(ask("Describe this picture.", image_block(apple)))
            print(repr(picture))
            """,
            "structured",
        ),
        md(
            """
            ## Tools

            The model asks for a photo with a tool; the tool's result carries the image back,
            and Grok reads it. Tool results may hold images like any human message.
            """
        ),
        code(
            """
            from langchain_core.messages import ToolMessage
            from langchain_core.tools import tool


            @tool
            def find_photo(subject: str) -> str:
                \"\"\"Find a photo of the subject; returns the file name of the photo.\"\"\"
                return "apple.png" if "apple" in subject.lower() else "sky.jpg"


            with_tools = model.bind_tools([find_photo])
            messages = ask('Use find_photo to look up "apple", then describe the photo.')
            for _ in range(3):
                reply = with_tools.invoke(messages)
                messages.append(reply)
                if not reply.tool_calls:
                    break
                for call in reply.tool_calls:
                    print("tool call:", call["name"], call["args"])
                    name = find_photo.invoke(call["args"])
                    photo = image_block(sample_path(name), detail="low")
                    content = [{"type": "text", "text": name}, photo]
                    messages.append(ToolMessage(content=content, tool_call_id=call["id"]))
            print(messages[-1].content)
            """,
            "tools",
        ),
        md(
            """
            ## Chat completions or responses

            xAI answers on two endpoints: chat completions (OpenAI-compatible, the default here)
            and responses (`POST /v1/responses`, the one xAI recommends). `use_responses_api=True`
            switches; answers and usage look the same. The responses endpoint reports no image
            tokens, so they are the tile-rule estimate there (`image_tokens_estimated`), it can keep
            answers (`store`; not by default when a request holds an image) and continue a stored
            conversation by id (`use_previous_response_id=True`), and it has no `stop`, `seed` or
            penalties: those are refused before anything is sent.
            """
        ),
        code(
            """
            question = ask("What is in this picture?", image_block(apple, detail="high"))
            for use_responses_api in (False, True):
                on = ChatXAIVision(use_responses_api=use_responses_api, **connection)
                answer = on.invoke(question)
                usage, metadata = answer.usage_metadata, answer.response_metadata
                name = "responses" if use_responses_api else "chat completions"
                print(f"{name}: {answer.content.splitlines()[1]}")
                print(
                    f"  input tokens {usage['input_tokens']}, "
                    f"image {usage['input_token_details']['image']}, "
                    f"estimated: {metadata.get('image_tokens_estimated', False)}, "
                    f"stored: {metadata.get('stored')}"
                )
            """,
            "endpoints",
        ),
        md("## Clean up"),
        code(
            """
            if server is not None:
                server.shutdown()
                server.server_close()
            if emulator is not None:
                emulator.stop()
            """
        ),
    ]


def llamaindex_image_querying() -> list[Cell]:
    """A multimodal index over a folder of images: retrieval, querying, streaming, token counts."""
    return [
        md(
            """
            # LlamaIndex: querying a folder of images

            A `MultiModalVectorStoreIndex` over a folder of pictures, queried with
            `llama_index_xai_vision.XAIVisionMultiModal`: text queries retrieve images, Grok
            answers about them, answers stream, and `TokenCountingHandler` counts the tokens
            from xAI's reported usage (image tokens included).
            """
        ),
        SETUP_NOTE,
        SETUP,
        md(
            """
            ## The folder

            The bundled samples copied into a temporary folder (any folder of PNG, JPEG, WebP
            or GIF files works the same way).
            """
        ),
        code(
            """
            import shutil
            import tempfile
            from pathlib import Path

            from xai_vision.samples import SAMPLE_DESCRIPTIONS, sample_paths

            folder = Path(tempfile.mkdtemp(prefix="xai-vision-images-"))
            for path in sample_paths():
                shutil.copy(path, folder)
            for name, description in SAMPLE_DESCRIPTIONS.items():
                print(f"{name}: {description}")
            """,
            "folder",
        ),
        code(
            """
            %matplotlib inline
            import matplotlib.pyplot as plt
            from PIL import Image

            paths = sorted(folder.iterdir())
            fig, axes = plt.subplots(1, len(paths), figsize=(3 * len(paths), 3))
            for ax, path in zip(axes, paths, strict=True):
                with Image.open(path) as image:
                    ax.imshow(image)
                    ax.set_title(f"{path.name}\\n{image.width}x{image.height}")
                ax.axis("off")
            plt.show()
            """,
            "gallery",
        ),
        md(
            """
            ## A small local image embedding

            Multimodal indexes need an embedding that puts text and images in one space. CLIP
            is the usual choice but needs torch and a model download, so here is a tiny one
            that needs neither: an image becomes the share of its pixels nearest each colour of
            a palette, a text becomes how often it names each colour. "red" lands near red
            pictures. Swap in `ClipEmbedding` for real use.
            """
        ),
        code(
            """
            import math

            from llama_index.core.embeddings import MultiModalEmbedding

            PALETTE = {
                "red": (255, 0, 0),
                "green": (0, 128, 0),
                "blue": (0, 0, 255),
                "yellow": (255, 255, 0),
                "white": (255, 255, 255),
                "black": (0, 0, 0),
            }


            def unit(vector):
                norm = math.sqrt(sum(v * v for v in vector))
                if not norm:
                    return [1 / math.sqrt(len(vector))] * len(vector)
                return [v / norm for v in vector]


            def distance(a, b):
                return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


            def colour_histogram(image):
                \"\"\"How many pixels of a 16x16 thumbnail are nearest each palette colour.\"\"\"
                small = image.convert("RGB")
                small.thumbnail((16, 16))
                counts = dict.fromkeys(PALETTE, 0.0)
                data = small.tobytes()
                for pixel in zip(data[0::3], data[1::3], data[2::3], strict=True):
                    nearest = min(PALETTE, key=lambda c: distance(pixel, PALETTE[c]))
                    counts[nearest] += 1
                return unit(list(counts.values()))


            class ColourEmbedding(MultiModalEmbedding):
                \"\"\"Images and text in one tiny colour space: no model, no network.\"\"\"

                def _get_image_embedding(self, img_file_path):
                    with Image.open(img_file_path) as image:
                        return colour_histogram(image)

                async def _aget_image_embedding(self, img_file_path):
                    return self._get_image_embedding(img_file_path)

                def _get_text_embedding(self, text):
                    return unit([float(text.lower().count(colour)) for colour in PALETTE])

                def _get_query_embedding(self, query):
                    return self._get_text_embedding(query)

                async def _aget_query_embedding(self, query):
                    return self._get_text_embedding(query)
            """,
            "embedding",
        ),
        md(
            """
            ## The index

            `SimpleDirectoryReader` (with `llama-index-readers-file` installed) reads images as
            `ImageDocument`s; the index embeds them with the colour embedding.
            """
        ),
        code(
            """
            import logging

            from llama_index.core import SimpleDirectoryReader
            from llama_index.core.indices import MultiModalVectorStoreIndex

            logging.getLogger("httpx").setLevel(logging.WARNING)  # no log line per request

            documents = SimpleDirectoryReader(str(folder)).load_data()
            embedding = ColourEmbedding(model_name="colour-histogram")
            index = MultiModalVectorStoreIndex.from_documents(
                documents, embed_model=embedding, image_embed_model=embedding
            )
            retriever = index.as_retriever(image_similarity_top_k=1)
            for query in ("something red", "something green", "a blue sky"):
                [hit] = retriever.text_to_image_retrieve(query)
                print(f"{query!r} -> {hit.node.metadata['file_name']} (score {hit.score:.2f})")
            """,
            "retrieve",
        ),
        md(
            """
            ## Querying, with token counting

            A `TokenCountingHandler` on the model's callback manager counts every call. It
            takes the counts from xAI's reported usage, so image tokens are in the prompt
            counts. (Its tokenizer is only a fallback; `str.split` avoids downloading one.)
            """
        ),
        code(
            """
            from llama_index.core.callbacks import CallbackManager, TokenCountingHandler

            from llama_index_xai_vision import XAIVisionMultiModal

            counter = TokenCountingHandler(tokenizer=str.split)
            llm = XAIVisionMultiModal(
                model="grok-4-fast-non-reasoning",
                callback_manager=CallbackManager([counter]),
                **connection,
            )
            engine = index.as_query_engine(llm=llm, image_similarity_top_k=1)
            response = engine.query("Which picture is red? What does it show?")
            print(response)
            print("sources:", [node.node.metadata["file_name"] for node in response.source_nodes])
            """,
            "query",
        ),
        md(
            """
            ## Streaming

            The multimodal query engine answers in one piece, so to stream, retrieve first and
            pass the images found to `stream_complete`: each response carries the new text in
            `delta`; the last one carries the usage.
            """
        ),
        code(
            """
            two = index.as_retriever(image_similarity_top_k=2)
            hits = two.text_to_image_retrieve("green and blue")
            images = [hit.node for hit in hits]
            print("images:", [image.metadata["file_name"] for image in images])
            last = None
            for last in llm.stream_complete("Describe these pictures.", image_documents=images):
                print(last.delta, end="", flush=True)
            print()
            print("image tokens:", last.additional_kwargs["image_tokens"])
            """,
            "stream",
        ),
        md("## What the calls cost"),
        code(
            """
            for i, event in enumerate(counter.llm_token_counts, start=1):
                prompt, completion = event.prompt_token_count, event.completion_token_count
                print(f"call {i}: {prompt} prompt + {completion} completion tokens")
            print("prompt tokens:", counter.prompt_llm_token_count)
            print("completion tokens:", counter.completion_llm_token_count)
            print("total LLM tokens:", counter.total_llm_token_count)

            calls = [f"call {i}" for i in range(1, len(counter.llm_token_counts) + 1)]
            prompt = [event.prompt_token_count for event in counter.llm_token_counts]
            completion = [event.completion_token_count for event in counter.llm_token_counts]
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.bar(calls, prompt, label="prompt (text + images)")
            ax.bar(calls, completion, bottom=prompt, label="completion")
            ax.set_ylabel("tokens")
            ax.set_title("Tokens per call, from xAI's usage")
            ax.legend()
            plt.show()
            """,
            "tokens",
        ),
        md("## Clean up"),
        code(
            """
            shutil.rmtree(folder)
            if emulator is not None:
                emulator.stop()
            """
        ),
    ]


def structured_extraction() -> list[Cell]:
    """The bundled receipt to a pydantic object, with the LangChain and LlamaIndex adapters."""
    return [
        md(
            """
            # Structured extraction: a receipt to a pydantic object

            The bundled receipt image read into a `Receipt` model, once with LangChain
            (`ChatXAIVision.with_structured_output`) and once with LlamaIndex
            (`XAIVision.structured_predict`). Both use xAI's `json_schema` response format,
            so the answer is valid against the model's schema.

            Offline the emulator fills the schema with placeholder values (it cannot read);
            with a key, Grok reads the receipt.
            """
        ),
        SETUP_NOTE,
        SETUP,
        md("## The receipt"),
        code(
            """
            from IPython.display import Image, display
            from xai_vision.samples import sample_path

            receipt_path = sample_path("receipt.png")
            display(Image(filename=str(receipt_path)))
            """,
            "show-receipt",
        ),
        md(
            """
            ## The target model

            Field descriptions go into the JSON schema xAI receives, so they double as
            instructions.
            """
        ),
        code(
            """
            from pydantic import BaseModel, Field


            class LineItem(BaseModel):
                \"\"\"One line of a receipt.\"\"\"

                description: str = Field(description="what was bought, as printed")
                price: float = Field(description="the price of the line")


            class Receipt(BaseModel):
                \"\"\"The facts of a shop receipt.\"\"\"

                shop: str = Field(description="the shop's name, as printed at the top")
                items: list[LineItem] = Field(description="every line item, in order")
                total: float = Field(description="the total paid")


            QUESTION = "Read this receipt: the shop, every line item with its price, and the total."
            """,
            "schema",
        ),
        md(
            """
            ## With LangChain

            `include_raw=True` keeps the message too, for its usage.
            """
        ),
        code(
            """
            from langchain_core.messages import HumanMessage

            from langchain_xai_vision import ChatXAIVision, image_block

            chat = ChatXAIVision(model="grok-4-fast-non-reasoning", temperature=0, **connection)
            extract = chat.with_structured_output(Receipt, include_raw=True)
            receipt_block = image_block(receipt_path, detail="high")
            message = HumanMessage(content=[{"type": "text", "text": QUESTION}, receipt_block])
            result = extract.invoke([message])
            lc_receipt = result["parsed"]
            print(repr(lc_receipt))
            print(result["raw"].usage_metadata)
            """,
            "langchain",
        ),
        md(
            """
            ## With LlamaIndex

            A chat prompt template whose user message holds the image; `structured_predict`
            returns a `Receipt`.
            """
        ),
        code(
            """
            from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock
            from llama_index.core.prompts import ChatPromptTemplate

            from llama_index_xai_vision import XAIVision

            prompt = ChatPromptTemplate(
                message_templates=[
                    ChatMessage(
                        role="user",
                        blocks=[
                            TextBlock(text="{question}"),
                            ImageBlock(path=receipt_path, detail="high"),
                        ],
                    )
                ]
            )
            llm = XAIVision(model="grok-4-fast-non-reasoning", temperature=0, **connection)
            li_receipt = llm.structured_predict(Receipt, prompt, question=QUESTION)
            print(repr(li_receipt))
            """,
            "llamaindex",
        ),
        md(
            """
            ## Checking the result

            Pydantic has checked the types; the arithmetic is ours to check. A total that is
            not the sum of the lines is worth a second look. (Offline, the values are the
            emulator's placeholders, not what the receipt says.)
            """
        ),
        code(
            """
            for adapter, receipt in (("LangChain", lc_receipt), ("LlamaIndex", li_receipt)):
                assert isinstance(receipt, Receipt)
                lines = sum(item.price for item in receipt.items)
                adds_up = abs(lines - receipt.total) < 0.01
                print(
                    f"{adapter}: {receipt.shop!r}, {len(receipt.items)} items, "
                    f"lines sum to {lines:.2f}, total {receipt.total:.2f}, adds up: {adds_up}"
                )
            """,
            "check",
        ),
        md(
            """
            ## What reading the receipt costs, by detail level

            The estimate from `xai_vision.tokens.estimate_image_tokens` against the image
            tokens xAI reports for the same image at each detail level.
            """
        ),
        code(
            """
            %matplotlib inline
            import matplotlib.pyplot as plt
            from PIL import Image as PILImage
            from xai_vision.tokens import estimate_image_tokens

            with PILImage.open(receipt_path) as image:
                size = image.size
            details = ["low", "high", "auto"]
            estimated = [estimate_image_tokens(size, detail) for detail in details]
            reported = []
            for detail in details:
                block = image_block(receipt_path, detail=detail)
                message = HumanMessage(content=[{"type": "text", "text": QUESTION}, block])
                usage = extract.invoke([message])["raw"].usage_metadata
                reported.append(usage["input_token_details"]["image"])
            print("estimated:", dict(zip(details, estimated, strict=True)))
            print("reported: ", dict(zip(details, reported, strict=True)))

            positions = range(len(details))
            fig, ax = plt.subplots(figsize=(6, 3.5))
            ax.bar([p - 0.2 for p in positions], estimated, width=0.4, label="estimated")
            ax.bar([p + 0.2 for p in positions], reported, width=0.4, label="reported")
            ax.set_xticks(list(positions), details)
            ax.set_ylabel("image tokens")
            ax.set_title(f"receipt.png ({size[0]}x{size[1]}): image tokens by detail")
            ax.legend()
            plt.show()
            """,
            "token-plot",
        ),
        md("## Clean up"),
        CLOSE_EMULATOR,
    ]


NOTEBOOKS = {
    "langchain_quickstart.ipynb": langchain_quickstart,
    "llamaindex_image_querying.ipynb": llamaindex_image_querying,
    "structured_extraction.ipynb": structured_extraction,
}


def build(name: str) -> NotebookNode:
    """One notebook, without outputs, with stable cell ids (so rebuilding changes nothing)."""
    stem = name.removesuffix(".ipynb")
    cells: list[NotebookNode] = []
    for i, (kind, source, tags) in enumerate(NOTEBOOKS[name]()):
        metadata = {"tags": list(tags)} if tags else {}
        new_cell = (
            nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        )
        cell: NotebookNode = new_cell(source, metadata=metadata)  # type: ignore[no-untyped-call]
        cell["id"] = f"{stem.replace('_', '-')}-{i:02d}"
        cells.append(cell)
    notebook: NotebookNode = nbformat.v4.new_notebook(cells=cells)  # type: ignore[no-untyped-call]
    notebook.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        },
        "language_info": {"name": "python"},
    }
    nbformat.validate(notebook)
    return notebook


def render(name: str) -> str:
    """The notebook's file text, as nbformat writes it."""
    text: str = nbformat.writes(build(name))  # type: ignore[no-untyped-call]
    return text + "\n"


def main(argv: list[str]) -> int:
    """Write every notebook; with ``--check``, report stale ones instead and exit 1."""
    check = "--check" in argv
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        sys.stderr.write(
            f"stale notebooks (run python {Path(__file__).name}): {', '.join(stale)}\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
