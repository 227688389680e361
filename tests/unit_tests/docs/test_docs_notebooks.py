"""The notebooks in notebooks/ run top to bottom against the emulator and show what they claim.

Each notebook is executed once per session with nbclient (kernel ``python3``, resolved to this
interpreter's ipykernel through a kernelspec written for the run) with no ``XAI_API_KEY`` in
the kernel's environment, even when the test process has one; then the tagged cells' outputs
are checked: the emulator's answers name the images sent, and plots were produced.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbformat import NotebookNode
from PIL import Image
from xai_vision.emulator import Emulator
from xai_vision.tokens import DETAILS, estimate_image_tokens

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ("langchain_quickstart", "llamaindex_image_querying", "structured_extraction")
# A key in the test process's environment that must not reach the kernel.
PARENT_KEY = "xai-parent-process-key-must-not-leak-0123456789"
_SECRET_ENV = ("XAI_API_KEY", "XAI_BASE_URL", "XAI_API_BASE", "XAI_LIVE")


def _builder() -> ModuleType:
    """notebooks/build_notebooks.py, imported from its file (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", NOTEBOOKS / "build_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_notebook(path: Path) -> NotebookNode:
    """A notebook file as nbformat v4."""
    return cast(NotebookNode, nbformat.read(path, as_version=4))  # type: ignore[no-untyped-call]


def execute(path: Path, workdir: Path, extra_env: dict[str, str] | None = None) -> NotebookNode:
    """Run a notebook in a fresh ``python3`` kernel of this interpreter.

    The kernel gets no xAI settings from this process; ``extra_env`` is added after.
    """
    notebook = read_notebook(path)
    kernels = workdir / "kernels"
    # The native spec's argv names sys.executable, so a fresh venv's kernel is this venv's.
    write_kernel_spec(kernels / "python3")
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    assert specs.get_kernel_spec("python3").argv[0] == sys.executable
    manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)
    env = {key: value for key, value in os.environ.items() if key not in _SECRET_ENV}
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.update(extra_env or {})
    client = NotebookClient(
        notebook,
        km=manager,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env)
    return notebook


class ExecutedNotebooks(dict[str, NotebookNode]):
    """Notebooks by name, each executed on first access with a key set in this process only."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self._tmp = tmp_path_factory

    def __missing__(self, name: str) -> NotebookNode:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("XAI_API_KEY", PARENT_KEY)
            notebook = execute(NOTEBOOKS / f"{name}.ipynb", self._tmp.mktemp(name))
        self[name] = notebook
        return notebook


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> ExecutedNotebooks:
    """The notebooks, each run once for all the tests of this module."""
    return ExecutedNotebooks(tmp_path_factory)


def cell(notebook: NotebookNode, tag: str) -> NotebookNode:
    """The one code cell carrying ``tag``."""
    [found] = [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]
    return cast(NotebookNode, found)


def text(notebook_cell: NotebookNode) -> str:
    """Everything a cell printed or displayed as text."""
    parts: list[str] = []
    for output in notebook_cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def images(notebook_cell: NotebookNode, mime: str = "image/png") -> list[Any]:
    """The images of one type a cell displayed (plots are ``image/png``)."""
    return [
        output["data"][mime]
        for output in notebook_cell.get("outputs", [])
        if output["output_type"] in ("display_data", "execute_result")
        and mime in output.get("data", {})
    ]


# --------------------------------------------------------------------------- the sources


def test_notebooks_are_built_from_the_script_and_carry_no_outputs() -> None:
    builder = _builder()
    assert set(builder.NOTEBOOKS) == {f"{name}.ipynb" for name in NAMES}
    for name in NAMES:
        path = NOTEBOOKS / f"{name}.ipynb"
        assert path.read_text(encoding="utf-8") == builder.render(path.name), (
            f"{path.name} is stale: run python notebooks/build_notebooks.py"
        )
        notebook = read_notebook(path)
        nbformat.validate(notebook)
        assert notebook.metadata["kernelspec"]["name"] == "python3"
        for c in notebook.cells:
            if c.cell_type == "code":
                assert c.outputs == [] and c.execution_count is None, (path.name, c.id)


def test_sample_images_are_small() -> None:
    from xai_vision.samples import sample_paths

    assert sum(path.stat().st_size for path in sample_paths()) < 1_000_000


# --------------------------------------------------------------------------- every notebook


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_offline_without_errors(name: str, executed: dict[str, NotebookNode]) -> None:
    notebook = executed[name]
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code_cells)
    for c in code_cells:
        assert not [o for o in c.outputs if o["output_type"] == "error"], c.source
        assert not [o for o in c.outputs if o.get("name") == "stderr"], (c.source, c.outputs)
    assert "Talking to the emulator at http://127.0.0.1:" in text(cell(notebook, "setup"))
    assert PARENT_KEY not in "".join(text(c) for c in code_cells)
    # Every notebook shows pictures and draws at least one plot.
    shown = sum(len(images(c)) + len(images(c, "image/jpeg")) for c in code_cells)
    assert shown >= 2


@pytest.mark.parametrize("name", ["llamaindex_image_querying", "structured_extraction"])
def test_notebook_with_a_key_uses_the_environment(
    name: str, tmp_path: Path, xai_emulator: Emulator
) -> None:
    # The "live" branch: no explicit connection, key and URL from the environment (here an
    # emulator standing in for xAI, so nothing leaves the machine).
    env = {"XAI_API_KEY": "xai-notebook-env-key", "XAI_BASE_URL": xai_emulator.base_url}
    notebook = execute(NOTEBOOKS / f"{name}.ipynb", tmp_path, env)
    assert text(cell(notebook, "setup")).strip() == "Talking to xAI"
    for c in notebook.cells:
        if c.cell_type == "code":
            assert not [o for o in c.outputs if o["output_type"] == "error"], c.source
    assert xai_emulator.requests
    assert all("image_url" in str(r.body["messages"]) for r in xai_emulator.requests)
    outputs = "".join(text(c) for c in notebook.cells if c.cell_type == "code")
    assert "xai-notebook-env-key" not in outputs


# --------------------------------------------------------------------------- LangChain


def test_langchain_quickstart_outputs(executed: dict[str, NotebookNode]) -> None:
    notebook = executed["langchain_quickstart"]
    shown = cell(notebook, "show-images")
    assert len(images(shown)) == 1 and len(images(shown, "image/jpeg")) == 1
    assert len(images(cell(notebook, "token-plot"))) == 1
    apple, sky = (256, 256), (640, 360)

    path = text(cell(notebook, "path"))
    assert "Image 1: 256x256 png, detail auto" in path
    assert "You asked: What is in this picture?" in path
    assert f"'input_token_details': {{'image': {estimate_image_tokens(apple)}}}" in path

    assert "Image 1: 640x360 jpeg, detail auto" in text(cell(notebook, "bytes"))

    url = text(cell(notebook, "url"))
    assert "http://127.0.0.1:" in url
    # The emulator downloaded the served file: it describes its real size and format.
    assert "Image 1: 256x256 png, detail auto" in url

    detail = text(cell(notebook, "detail"))
    for level in DETAILS:
        tokens = estimate_image_tokens(sky, level)
        assert f"{level:>4}: reported {tokens} image tokens, estimated {tokens}" in detail

    stream = text(cell(notebook, "stream"))
    assert "Image 1: 256x256 png, detail low" in stream
    assert f"'input_token_details': {{'image': {estimate_image_tokens(apple, 'low')}}}" in stream

    assert text(cell(notebook, "structured")).startswith("Picture(subject=")

    tools = text(cell(notebook, "tools"))
    assert "tool call: find_photo {'subject': 'apple'}" in tools
    # The final answer quotes the tool's result and saw the image the tool message carried.
    assert "returned: apple.png" in tools
    assert "Image 1: 256x256 png, detail low" in tools

    endpoints = text(cell(notebook, "endpoints")).splitlines()
    high = estimate_image_tokens(apple, "high")
    assert (
        endpoints[0]
        == "chat completions: Image 1: 256x256 png, detail high, "
        + endpoints[0].split("detail high, ")[1]
    )
    assert endpoints[2].replace("responses", "chat completions") == endpoints[0]
    assert f"image {high}, estimated: False, stored: None" in endpoints[1]
    assert f"image {high}, estimated: True, stored: False" in endpoints[3]
    assert endpoints[1].split(",")[0] == endpoints[3].split(",")[0]  # same input tokens


# --------------------------------------------------------------------------- LlamaIndex


def test_llamaindex_image_querying_outputs(executed: dict[str, NotebookNode]) -> None:
    notebook = executed["llamaindex_image_querying"]
    assert len(images(cell(notebook, "gallery"))) == 1
    assert len(images(cell(notebook, "tokens"))) == 1

    retrieve = text(cell(notebook, "retrieve"))
    assert "'something red' -> apple.png" in retrieve
    assert "'something green' -> green_square.png" in retrieve
    assert "'a blue sky' -> sky.jpg" in retrieve

    query = text(cell(notebook, "query"))
    assert "I see 1 image.\nImage 1: 256x256 png" in query
    assert "Query: Which picture is red?" in query
    assert "sources: ['apple.png']" in query

    stream = text(cell(notebook, "stream"))
    assert "images: ['sky.jpg', 'green_square.png']" in stream
    assert "I see 2 images." in stream
    expected = estimate_image_tokens((640, 360)) + estimate_image_tokens((128, 128))
    assert f"image tokens: {expected}" in stream

    # Two calls counted (the query and the stream), from the usage the emulator reported.
    tokens = text(cell(notebook, "tokens"))
    calls = [line for line in tokens.splitlines() if line.startswith("call ")]
    assert len(calls) == 2
    prompts = [int(line.split(": ")[1].split(" prompt")[0]) for line in calls]
    assert prompts[0] > estimate_image_tokens((256, 256))
    assert prompts[1] > expected
    assert f"prompt tokens: {sum(prompts)}" in tokens


# --------------------------------------------------------------------------- extraction


def test_structured_extraction_outputs(executed: dict[str, NotebookNode]) -> None:
    notebook = executed["structured_extraction"]
    assert len(images(cell(notebook, "show-receipt"))) == 1
    assert len(images(cell(notebook, "token-plot"))) == 1

    assert text(cell(notebook, "langchain")).startswith("Receipt(shop=")
    assert text(cell(notebook, "llamaindex")).startswith("Receipt(shop=")
    check = text(cell(notebook, "check"))
    assert "LangChain: " in check and "LlamaIndex: " in check

    from xai_vision.samples import sample_path

    with Image.open(sample_path("receipt.png")) as receipt:
        size = receipt.size
    by_detail = {level: estimate_image_tokens(size, level) for level in ("low", "high", "auto")}
    plot = text(cell(notebook, "token-plot"))
    assert f"estimated: {by_detail}" in plot
    assert f"reported:  {by_detail}" in plot


if __name__ == "__main__":  # pragma: no cover - handy when editing a notebook
    sys.exit(pytest.main([__file__, "-q"]))
