"""xAI's recorded traffic as the tests read it: every interaction of the go-vcr cassettes in
``tests/data/recorded`` (real requests and the answers xAI gave), read with plain ``json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
CASSETTES = sorted(RECORDED.glob("*.yaml"))


@dataclass(frozen=True)
class Interaction:
    """One recorded exchange: its cassette (file name without ``.yaml``), its ``id`` there, the
    request body sent, and the response's content type and body."""

    cassette: str
    index: int
    request: dict[str, Any]
    content_type: str
    body: str

    @property
    def streaming(self) -> bool:
        """Whether the request asked for a stream (then the body is SSE)."""
        return bool(self.request.get("stream"))

    @property
    def frames(self) -> list[dict[str, Any]]:
        """The JSON objects of a streamed body, in order (without ``[DONE]``)."""
        return [
            json.loads(line[len("data: ") :])
            for line in self.body.splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"
        ]

    def __str__(self) -> str:
        """``cassette#index``, the test id."""
        return f"{self.cassette}#{self.index}"


def _load() -> list[Interaction]:
    found = []
    for path in CASSETTES:
        cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in cassette["interactions"]:
            response = item["response"]
            found.append(
                Interaction(
                    path.stem,
                    item["id"],
                    json.loads(item["request"]["body"]),
                    response["headers"]["Content-Type"][0],
                    response["body"],
                )
            )
    return found


#: Every recorded interaction, cassette by cassette in file-name order.
INTERACTIONS = _load()


def recorded(cassette: str, index: int = 0) -> Interaction:
    """Interaction ``index`` of ``cassette`` (its file name without ``.yaml``)."""
    (item,) = [i for i in INTERACTIONS if i.cassette == cassette and i.index == index]
    return item
