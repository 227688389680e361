"""README's "Try it offline" recipe runs as written, and every README Python block runs after it.

The recipe (the bash block after ``<!-- offline-recipe -->``) runs with bash in a temporary
folder; each Python block then runs from the folder the recipe ended in, with only the
environment its shell exported and no route off loopback. The implementation is
``docs/offline_recipe.py``, which ``.ci/run`` also runs in a venv holding only the ``[all]``
extra; these tests run it with this interpreter and prove that it fails when it should.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
sys.path.insert(0, str(ROOT / "docs"))
try:
    import offline_recipe
finally:
    sys.path.pop(0)

README_TEXT = README.read_text(encoding="utf-8")
BLOCKS = offline_recipe.python_blocks(README_TEXT)
PYTHON = Path(sys.executable)


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[offline_recipe.RecipeShell]:
    """README's recipe, run once for the module; its emulator is stopped afterwards."""
    workdir = tmp_path_factory.mktemp("offline-recipe")
    with offline_recipe.recipe_shell(README_TEXT, workdir, PYTHON) as recipe_shell:
        yield recipe_shell


def test_the_recipe_is_in_readme_right_after_set_up() -> None:
    steps = offline_recipe.recipe(README_TEXT)
    set_up = README_TEXT.index("## Set up")
    marker = README_TEXT.index(offline_recipe.RECIPE_MARKER)
    first_example = README_TEXT.index("```python")
    assert set_up < marker < first_example
    assert "xai-vision samples" in steps
    assert "xai-vision emulator" in steps and "&" in steps
    assert "python" in steps


def test_the_recipe_exports_a_loopback_emulator_and_answers_its_own_snippet(
    shell: offline_recipe.RecipeShell,
) -> None:
    from xai_vision.emulator import DEFAULT_API_KEY
    from xai_vision.samples import sample_paths

    assert shell.exported == ["XAI_API_KEY", "XAI_BASE_URL"]
    assert shell.env["XAI_API_KEY"] == DEFAULT_API_KEY
    assert shell.base_url.startswith("http://127.0.0.1:")
    assert offline_recipe._listening(shell.base_url)
    assert {path.name for path in sample_paths()} <= {p.name for p in shell.folder.iterdir()}
    # The recipe's own snippet asked about apple.png and printed the emulator's description.
    assert "I see 1 image" in shell.output.read_text(encoding="utf-8")


def test_readme_has_python_blocks_and_every_one_is_checked() -> None:
    assert len(BLOCKS) >= 10
    assert len(BLOCKS) == README_TEXT.count("```python\n")
    assert len({block.name for block in BLOCKS}) == len(BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_readme_block_runs_from_the_recipe_folder(
    block: offline_recipe.Block, shell: offline_recipe.RecipeShell, tmp_path: Path
) -> None:
    run = offline_recipe.run_block(block, shell, tmp_path)
    assert run.problem is None, f"README block {block.name} {run.problem}\n{block.code}"
    if not block.starts_own_emulator:
        assert run.requests >= 1


def test_the_recipes_emulator_is_stopped_afterwards(tmp_path: Path) -> None:
    with offline_recipe.recipe_shell(README_TEXT, tmp_path, PYTHON) as recipe_shell:
        base_url = recipe_shell.base_url
        assert offline_recipe._listening(base_url)
    assert not offline_recipe._listening(base_url)


def _readme(recipe: str, *blocks: str) -> str:
    python = "".join(
        f"<!-- snippet: b{i} -->\n```python\n{code}```\n" for i, code in enumerate(blocks)
    )
    return f"# x\n\n{offline_recipe.RECIPE_MARKER}\n```bash\n{recipe}```\n\n{python}"


def test_the_check_fails_a_block_that_fails_prints_nothing_or_skips_the_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    uses_emulator = (
        "import os, httpx\n"
        "r = httpx.get(os.environ['XAI_BASE_URL'] + '/models',"
        " headers={'Authorization': 'Bearer ' + os.environ['XAI_API_KEY']})\n"
        "print(r.status_code)\n"
    )
    readme.write_text(
        _readme(
            offline_recipe.recipe(README_TEXT),
            uses_emulator,
            "raise SystemExit(3)\n",
            "import os\nassert os.environ['XAI_BASE_URL']\n",
            "print('no request')\n",
            "import httpx\nhttpx.get('https://example.com', timeout=5)\nprint('online')\n",
        ),
        encoding="utf-8",
    )
    assert offline_recipe.main(["--readme", str(readme)]) == 1
    out, err = capsys.readouterr()
    assert "ok b0 (1 requests)" in out
    assert "1 of 5 README blocks" in out
    assert "b1: exited 3" in err
    assert "b2: printed nothing" in err
    assert "b3: sent nothing to the recipe's emulator" in err
    assert "b4: exited 1" in err and "Connection refused" in err  # the proxy: loopback only
    assert (
        offline_recipe.main(
            [
                "--readme",
                str(readme),
                "--skip",
                "b1",
                "--skip",
                "b2",
                "--skip",
                "b3",
                "--skip",
                "b4",
            ]
        )
        == 0
    )


def test_blocks_see_only_what_the_recipe_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """XAI_* variables set outside the recipe never reach a block; the recipe's exports do."""
    monkeypatch.setenv("XAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("XAI_OUTSIDE", "outside")
    show = offline_recipe.Block(
        "show_env",
        "import os\nprint(sorted((k, v) for k, v in os.environ.items() if k.startswith('XAI_')))\n"
        "import httpx\nhttpx.get(os.environ['XAI_BASE_URL'] + '/models', timeout=5)\n",
    )
    with offline_recipe.recipe_shell(README_TEXT, tmp_path, PYTHON) as recipe_shell:
        run = offline_recipe.run_block(show, recipe_shell, tmp_path)
        assert run.problem is None, run.problem
        assert run.stdout.strip() == str(
            [
                ("XAI_API_KEY", recipe_shell.env["XAI_API_KEY"]),
                ("XAI_BASE_URL", recipe_shell.base_url),
            ]
        )
        assert recipe_shell.base_url != "http://127.0.0.1:9/v1"
        assert recipe_shell.folder.parent == tmp_path / "home"


@pytest.mark.parametrize(
    ("recipe", "reason"),
    [
        ("exit 4\n", "the recipe exited 4"),
        ("true\n", "did not export XAI_BASE_URL"),
        ("export XAI_BASE_URL=https://api.x.ai/v1 XAI_API_KEY=k\n", "did not export"),
    ],
)
def test_a_recipe_that_fails_or_exports_no_local_emulator_is_an_error(
    recipe: str, reason: str, tmp_path: Path
) -> None:
    with (
        pytest.raises(offline_recipe.RecipeError, match=reason),
        offline_recipe.recipe_shell(_readme(recipe), tmp_path, PYTHON),
    ):
        pass


def test_readme_without_the_recipe_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(offline_recipe.RecipeError, match="offline-recipe"):
        offline_recipe.recipe("# README\n\n```bash\nls\n```\n")
