"""Importing an adapter without its framework says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == {blocked!r} or name.startswith({blocked!r} + "."):
            raise ImportError("No module named " + repr(name))
        return None
sys.meta_path.insert(0, Block())
import {adapter}
"""


@pytest.mark.parametrize(
    ("adapter", "blocked", "extra"),
    [
        ("langchain_xai_vision", "langchain_core", "langchain"),
        ("llama_index_xai_vision", "llama_index", "llama-index"),
    ],
)
def test_adapter_without_its_framework_names_the_extra(
    adapter: str, blocked: str, extra: str
) -> None:
    code = BLOCK.format(blocked=blocked, adapter=adapter)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert f'pip install "xai-vision[{extra}]"' in result.stderr
    assert f"{adapter} needs" in result.stderr


def test_the_core_imports_without_either_framework() -> None:
    code = BLOCK.format(blocked="langchain_core", adapter="xai_vision") + (
        "\nassert 'llama_index' not in sys.modules and 'langchain_core' not in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
