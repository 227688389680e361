"""Copy each ``docs/snippets/<name>.py`` into README.md after its ``<!-- snippet: <name> -->``.

The snippets are runnable scripts (CI runs every README block against the emulator); this keeps
README and the files identical. ``--check`` exits 1 if README is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SNIPPETS = ROOT / "docs" / "snippets"
MARKER = re.compile(r"(<!-- snippet: (?P<name>[\w-]+) -->\n)```python\n.*?^```\n", re.DOTALL | re.M)


def synced(text: str) -> str:
    """README text with every marked block replaced by its snippet file."""

    def block(match: re.Match[str]) -> str:
        code = (SNIPPETS / f"{match['name']}.py").read_text(encoding="utf-8")
        return f"{match.group(1)}```python\n{code}```\n"

    return MARKER.sub(block, text)


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = synced(text)
    if "--check" in sys.argv:
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
