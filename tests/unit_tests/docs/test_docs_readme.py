"""Every Python code block in README.md runs, top to bottom, against the emulator."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def readme_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_states_both_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "<!-- main-command -->" in text
    assert "<!-- test-command -->" in text
    assert "xai-vision demo" in text
    assert "pytest" in text


def test_readme_has_python_blocks() -> None:
    assert len(readme_blocks()) >= 10


def test_readme_snippets_match_their_files() -> None:
    """README's marked blocks are the runnable files in docs/snippets, byte for byte."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import sync_readme
    finally:
        sys.path.pop(0)
    text = README.read_text(encoding="utf-8")
    assert sync_readme.synced(text) == text, "run: python docs/sync_readme.py"
    for snippet in sorted((ROOT / "docs" / "snippets").glob("*.py")):
        assert f"<!-- snippet: {snippet.stem} -->" in text, f"{snippet.name} is not in README"


@pytest.mark.parametrize("index", range(len(readme_blocks())))
def test_readme_block_runs(index: int, tmp_path: Path, xai_emulator: object) -> None:
    from xai_vision import samples

    for path in samples.sample_paths():
        shutil.copy(path, tmp_path / path.name)
    code = readme_blocks()[index]
    script = tmp_path / f"block_{index}.py"
    script.write_text(code, encoding="utf-8")
    env = {
        **os.environ,
        "XAI_API_KEY": "xai-readme-test-key",
        "XAI_BASE_URL": xai_emulator.base_url,  # type: ignore[attr-defined]
    }
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"README block {index} failed:\n{code}\n{result.stderr}"
    assert result.stdout.strip(), f"README block {index} printed nothing"
    if "XAI_API_KEY" in code:
        # A block that talks to xAI (here: the emulator) shows a real exchange with images.
        requests = xai_emulator.requests  # type: ignore[attr-defined]
        assert any("image_url" in str(r.body.get("messages")) for r in requests), (
            f"README block {index} sent no image to the emulator"
        )
