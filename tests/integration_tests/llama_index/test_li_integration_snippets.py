"""Every docs/snippets/llamaindex_*.py runs as README's runner runs it: a fresh process in a
folder holding the bundled samples, with XAI_API_KEY and XAI_BASE_URL pointing at the emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from xai_vision.emulator import Emulator
from xai_vision.samples import sample_paths

SNIPPETS = sorted(
    (Path(__file__).resolve().parents[3] / "docs" / "snippets").glob("llamaindex_*.py")
)


def test_snippets_exist() -> None:
    assert {p.stem for p in SNIPPETS} >= {
        "llamaindex_quickstart",
        "llamaindex_multimodal",
        "llamaindex_agent",
        "llamaindex_structured",
    }


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda p: p.stem)
def test_snippet_runs_against_the_emulator(
    snippet: Path, tmp_path: Path, xai_emulator: Emulator
) -> None:
    for path in sample_paths():
        shutil.copy(path, tmp_path / path.name)
    script = tmp_path / snippet.name
    shutil.copy(snippet, script)
    env = {
        **os.environ,
        "XAI_API_KEY": "xai-snippet-test-key",
        "XAI_BASE_URL": xai_emulator.base_url,
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Each snippet sends at least one image, and the answer says what the emulator saw.
    assert "I see " in result.stdout or "Receipt" in result.stdout or "shop=" in result.stdout
    assert any(
        "image_url" in str(request.body.get("messages")) for request in xai_emulator.requests
    )
