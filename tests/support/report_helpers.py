"""Helpers for the report tests (``report_helpers``): results files, xAI's usage object as a
batch line carries it, and the page as a tree."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from PIL import Image
from typer.testing import CliRunner
from xai_vision.cli.app import app

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Node:
    """An element of the parsed page: tag, attributes, children (elements and text)."""

    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        """This element and every element under it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in (node.attrs.get("class") or "").split())
            and all(node.attrs.get(name.replace("_", "-")) == v for name, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    """The page as a tree; every element must be closed where it opened."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def image_file(
    path: Path, color: tuple[int, ...] = (200, 30, 40), size=(64, 48), fmt="PNG"
) -> Path:
    """A solid-colour image file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGBA" if len(color) == 4 else "RGB", size, color).save(buffer, format=fmt)
    path.write_bytes(buffer.getvalue())
    return path


def flat_usage(
    image: int = 512, text: int = 8, completion: int = 30, **more: Any
) -> dict[str, Any]:
    """A usage record as the CLI's local engine writes it (cli.output.usage_record)."""
    record = {
        "prompt_tokens": image + text,
        "image_tokens": image,
        "text_tokens": text,
        "cached_tokens": 0,
        "completion_tokens": completion,
        "reasoning_tokens": 0,
        "total_tokens": image + text + completion,
        "cost_in_usd_ticks": 1_000_000,
        "cost_usd": 0.0001,
    }
    record.update(more)
    return record


def answered(source: str, answer: str = "A picture.", **usage: Any) -> dict[str, Any]:
    return {
        "source": source,
        "answer": answer,
        "usage": flat_usage(**usage),
        "error": None,
        "model": "grok-4-fast-non-reasoning",
    }


def failed(source: str, kind: str = "ImageDecodeError", message: str = "corrupt") -> dict[str, Any]:
    return {
        "source": source,
        "answer": None,
        "usage": None,
        "error": {"type": kind, "message": message},
    }


def write_jsonl(path: Path, records: list[dict[str, Any] | str]) -> Path:
    """One line per record; a str is written as it is (a broken or torn line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) + "\n" for r in records]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def read_page(path: Path) -> Node:
    """Parse a written report file."""
    return parse_html(path.read_text(encoding="utf-8"))


def entries(page: Node) -> list[Node]:
    """The page's entry cards, in order."""
    return page.find_all("article", "entry")


#: A usage object as xAI sends it (and a batch line keeps it): text, image, cached, reasoning.
WIRE_USAGE: dict[str, Any] = {
    "prompt_tokens": 1300,
    "completion_tokens": 40,
    "total_tokens": 1400,
    "prompt_tokens_details": {"text_tokens": 20, "image_tokens": 1280, "cached_tokens": 16},
    "completion_tokens_details": {"reasoning_tokens": 60},
    "cost_in_usd_ticks": 2_345_678,
}


#: Headless Chromium as the report tests and docs/report_screenshot.py run it: offline (every
#: request would go to a proxy on a closed loopback port), no background traffic, exact colours.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--force-color-profile=srgb",
    "--proxy-server=http://127.0.0.1:9",
)


def colour_folder(path: Path) -> Path:
    """Three small coloured PNGs (40x30, 41x30, 42x30) and a broken one, in ``path``."""
    path.mkdir()
    for i, color in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200)]):
        buffer = io.BytesIO()
        Image.new("RGB", (40 + i, 30), color).save(buffer, format="PNG")
        (path / f"img_{i}.png").write_bytes(buffer.getvalue())
    (path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return path


def report_cards(html: str) -> list[tuple[str, str]]:
    """Each entry of a report page as (line number, status), in page order."""
    return re.findall(r'<article class="entry \w+" id="line-(\d+)" data-line="\d+" '
                      r'data-status="(\w+)"', html)  # fmt: skip


def check_report_of_batch(out: Path) -> None:
    """``xai-vision report`` on a batch of :func:`colour_folder` written to ``out`` (by any
    engine): every line once with its status, three thumbnails, the answers, the totals."""
    records = [json.loads(line) for line in out.read_text().splitlines()]

    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    page = out.with_suffix(".html")  # the default: beside the results, .html
    html = page.read_text(encoding="utf-8")
    assert sorted(report_cards(html)) == sorted(
        (str(n), "failed" if r["error"] else "answered") for n, r in enumerate(records, 1)
    )
    assert html.count('src="data:image/') == 3  # three thumbnails; broken.png has none
    for record in records:
        if record["answer"]:
            assert record["answer"].split("\n")[1] in html  # "Image 1: 40x30 png, ..."
    total = sum(r["usage"]["total_tokens"] for r in records if r["usage"])
    image = sum(r["usage"]["image_tokens"] for r in records if r["usage"])
    assert f'data-total="total_tokens" data-value="{total}"' in html
    assert f'data-total="image_tokens" data-value="{image}"' in html
    assert (
        f"wrote {page} " in result.stderr
        and f"4 images, 3 answered, 1 failed, {total:,} tokens, cost $" in result.stderr
    )
