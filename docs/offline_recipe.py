"""Run README's "Try it offline" recipe as written, then every README Python block in its folder.

The recipe is the bash block after ``<!-- offline-recipe -->``. It runs in a fresh temporary
folder, in its own process session; each ```python block of README then runs from the folder
the recipe ended in, with the environment the recipe's shell ended with (its exports), and a
proxy that refuses everything but loopback. Each block must exit 0 and print something, and a
block that does not start its own emulator must have been answered by the recipe's. Finally
the recipe's emulator is stopped. CI runs this in a venv holding only ``pip install -e ".[all]"``:
``python docs/offline_recipe.py`` (exit 1 and the reasons on stderr when something fails).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RECIPE_MARKER = "<!-- offline-recipe -->"
RECIPE = re.compile(re.escape(RECIPE_MARKER) + r"\n```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
#: Every ```python block, with the name of its ``<!-- snippet: NAME -->`` marker if it has one.
PYTHON_BLOCK = re.compile(
    r"(?:<!-- snippet: (?P<name>[\w-]+) -->\n)?^```python\n(?P<code>.*?)^```",
    re.DOTALL | re.MULTILINE,
)
#: A closed loopback port: as a proxy it refuses every connection, so only loopback is reachable.
NO_INTERNET = "http://127.0.0.1:9"
LOOPBACK = "127.0.0.1,localhost,::1"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
#: Seconds the recipe, and then each block, may take before the check gives up on it.
TIMEOUT = 120.0


class RecipeError(RuntimeError):
    """README's recipe is missing, failed, or left no emulator to talk to."""


@dataclass(frozen=True)
class Block:
    """One ```python block of README: its marker name (or ``block_<n>``) and its code."""

    name: str
    code: str

    @property
    def starts_own_emulator(self) -> bool:
        """Whether the block runs its own ``Emulator`` instead of using the recipe's."""
        return "Emulator(" in self.code


@dataclass(frozen=True)
class RecipeShell:
    """Where README's recipe left its shell: folder, environment, and its process session."""

    folder: Path
    env: dict[str, str]
    session: int
    output: Path

    @property
    def base_url(self) -> str:
        """The ``XAI_BASE_URL`` the recipe exported."""
        return self.env["XAI_BASE_URL"]

    @property
    def exported(self) -> list[str]:
        """Names of the ``XAI_*`` variables the recipe set."""
        return sorted(name for name in self.env if name.startswith("XAI_"))


@dataclass(frozen=True)
class BlockRun:
    """What one block did: exit status, output, and how many requests the recipe's emulator got."""

    block: Block
    returncode: int
    stdout: str
    stderr: str
    requests: int

    @property
    def problem(self) -> str | None:
        """Why the block fails the check, or None."""
        if self.returncode != 0:
            return f"exited {self.returncode}:\n{self.stderr}"
        if not self.stdout.strip():
            return "printed nothing"
        if not self.block.starts_own_emulator and self.requests == 0:
            return "sent nothing to the recipe's emulator"
        return None


def recipe(text: str) -> str:
    """The bash block after README's ``<!-- offline-recipe -->`` marker."""
    found = RECIPE.search(text)
    if found is None:
        raise RecipeError(f"README has no ```bash block right after {RECIPE_MARKER}")
    return found.group(1)


def python_blocks(text: str) -> list[Block]:
    """Every ```python block of README, in order."""
    return [
        Block(match["name"] or f"block_{index}", match["code"])
        for index, match in enumerate(PYTHON_BLOCK.finditer(text))
    ]


def shell_environment(python: Path) -> dict[str, str]:
    """The newcomer's shell: this environment with ``python``'s venv active and no xAI settings.

    Nothing ``XAI_*`` comes in from outside (so the blocks only see what the recipe exports),
    and every proxy variable points at :data:`NO_INTERNET` with loopback exempt.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("XAI_") and name.upper() not in PROXY_VARIABLES
    }
    bin_dir = str(python.parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", os.defpath)])
    env["VIRTUAL_ENV"] = str(python.parent.parent)
    for name in PROXY_VARIABLES[:-1]:
        env[name] = env[name.lower()] = NO_INTERNET
    env["NO_PROXY"] = env["no_proxy"] = LOOPBACK
    return env


def _read_env(dump: bytes) -> dict[str, str]:
    pairs = (entry.split("=", 1) for entry in dump.decode().split("\0") if "=" in entry)
    return dict(pairs)


@contextlib.contextmanager
def recipe_shell(text: str, workdir: Path, python: Path) -> Iterator[RecipeShell]:
    """Run README's recipe with bash in ``workdir``; yield where it left off; stop what it started.

    The recipe runs in a new process session, so its background emulator can be found and
    stopped afterwards (SIGTERM to the session, SIGKILL if it lingers).
    """
    env_file, pwd_file = workdir / ".recipe-env", workdir / ".recipe-pwd"
    script = workdir / "recipe.sh"
    script.write_text(
        recipe(text)
        + f"env -0 > {shlex.quote(str(env_file))}\npwd > {shlex.quote(str(pwd_file))}\n",
        encoding="utf-8",
    )
    output = workdir / "recipe-output.txt"
    folder = workdir / "home"
    folder.mkdir()
    with output.open("wb") as sink:
        # Output goes to a file, not a pipe: the background emulator keeps its stderr open.
        process = subprocess.Popen(  # noqa: S603 - bash running README's recipe, our own argv
            ["bash", "-e", "-o", "pipefail", str(script)],  # noqa: S607 - bash from PATH
            cwd=folder,
            env=shell_environment(python),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url: str | None = None
    try:
        try:
            returncode = process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RecipeError(
                f"the recipe did not finish in {TIMEOUT:.0f} s:\n{_tail(output)}"
            ) from None
        if returncode != 0:
            raise RecipeError(f"the recipe exited {returncode}:\n{_tail(output)}")
        env = _read_env(env_file.read_bytes())
        base_url = env.get("XAI_BASE_URL")
        shell = RecipeShell(
            Path(pwd_file.read_text(encoding="utf-8").strip()), env, process.pid, output
        )
        host = urlsplit(base_url or "").hostname
        if host not in ("127.0.0.1", "localhost", "::1") or "XAI_API_KEY" not in env:
            raise RecipeError(
                "the recipe did not export XAI_BASE_URL (on loopback) and XAI_API_KEY:"
                f" {shell.exported}"
            )
        yield shell
    finally:
        _stop_session(process.pid, base_url)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _listening(base_url: str) -> bool:
    parts = urlsplit(base_url)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


def _stop_session(session: int, base_url: str | None) -> None:
    """SIGTERM every process of the recipe's session; SIGKILL if the emulator still listens."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(session, sig)
        deadline = time.monotonic() + 10
        while base_url and _listening(base_url) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not base_url or not _listening(base_url):
            return


def _control(shell: RecipeShell, operation: str) -> object:
    """Run one emulator control operation (see ``xai_vision.emulator.control``) on the recipe's."""
    root = shell.base_url.rsplit("/v1", 1)[0]
    response = httpx.post(
        f"{root}/_emulator/{operation}", content=b"{}", timeout=10, trust_env=False
    )
    response.raise_for_status()
    return response.json()["result"]


def run_block(block: Block, shell: RecipeShell, scratch: Path) -> BlockRun:
    """Run one block as a file with ``python`` from the recipe's folder and environment."""
    _control(shell, "clear_requests")
    script = scratch / f"{block.name}.py"
    script.write_text(block.code, encoding="utf-8")
    python = shutil.which("python", path=shell.env["PATH"]) or sys.executable
    try:
        result = subprocess.run(  # noqa: S603 - python running a README block, our own argv
            [python, str(script)],
            cwd=shell.folder,
            env=shell.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return BlockRun(block, -1, "", f"did not finish in {TIMEOUT:.0f} s", 0)
    requests = _control(shell, "requests")
    count = len(requests) if isinstance(requests, list) else 0
    return BlockRun(block, result.returncode, result.stdout, result.stderr, count)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the recipe and every block; report each on stdout, failures on stderr; 0 if all pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=README, help="the README to check")
    parser.add_argument(
        "--skip", action="append", default=[], metavar="NAME", help="leave a block out (local runs)"
    )
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    blocks = [block for block in python_blocks(text) if block.name not in args.skip]
    python = Path(sys.executable)
    failures: list[str] = []
    passed = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="xai-offline-recipe-") as temp:
        workdir = Path(temp)
        scratch = workdir / "blocks"
        scratch.mkdir()
        try:
            with recipe_shell(text, workdir, python) as shell:
                sys.stdout.write(f"recipe ran; it exported {', '.join(shell.exported)}\n")
                for block in blocks:
                    run = run_block(block, shell, scratch)
                    if run.problem is None:
                        passed += 1
                        sys.stdout.write(f"ok {block.name} ({run.requests} requests)\n")
                    else:
                        failures.append(f"{block.name}: {run.problem}")
                        sys.stdout.write(f"FAILED {block.name}\n")
        except RecipeError as error:
            failures.append(f"recipe: {error}")
    for failure in failures:
        sys.stderr.write(f"{failure}\n")
    elapsed = time.monotonic() - started
    sys.stdout.write(
        f"{passed} of {len(blocks)} README blocks ran from the offline "
        f"recipe's folder with {python} in {elapsed:.0f} s\n"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
