"""Every LangChain README snippet (docs/snippets/langchain_*.py) runs against the emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from xai_vision.emulator import Emulator
from xai_vision.samples import sample_paths

SNIPPETS = sorted((Path(__file__).parents[3] / "docs" / "snippets").glob("langchain_*.py"))


def test_snippets_exist() -> None:
    assert len(SNIPPETS) >= 4


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.stem for s in SNIPPETS])
def test_snippet_runs(snippet: Path, tmp_path: Path, xai_emulator: Emulator) -> None:
    for path in sample_paths():
        shutil.copy(path, tmp_path / path.name)
    env = {
        **os.environ,
        "XAI_API_KEY": "xai-snippet-test-key",
        "XAI_BASE_URL": xai_emulator.base_url,
    }
    env.pop("XAI_API_BASE", None)
    result = subprocess.run(
        [sys.executable, str(snippet)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, f"{snippet.name} failed:\n{result.stderr}"
    assert result.stdout.strip()
    assert xai_emulator.requests, f"{snippet.name} sent no request"
