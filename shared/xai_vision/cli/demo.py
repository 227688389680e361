"""``xai-vision demo``: the bundled samples through both adapters, on xAI or the local emulator.

With no API key (and no --base-url) the emulator is started in-process, so the demo works on
a machine with no network. Each adapter runs on its own: one that is not installed is named
and skipped, one that fails is reported, and the rest still run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule
from rich.text import Text

from xai_vision.cli.connection import connect
from xai_vision.cli.output import ExitCode, format_usd, report_error, stderr_console
from xai_vision.errors import XAIVisionError
from xai_vision.models import USD_PER_TICK
from xai_vision.samples import sample_path

#: (sample, question) pairs the demo asks, one request each.
DEMO_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("apple.png", "What fruit is this, and what colour is it?"),
    ("sky.jpg", "Describe this landscape in one sentence."),
    ("receipt.png", "What is the total on this receipt?"),
)


@dataclass(frozen=True)
class DemoUsage:
    """The usage numbers every adapter exposes in its own shape, in one shape for printing."""

    image_tokens: int | None
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cost_usd: float | None

    def text(self) -> Text:
        """One dim line: image, input, output and total tokens, and cost when reported."""
        fields = [
            ("image tokens", self.image_tokens),
            ("input", self.input_tokens),
            ("output", self.output_tokens),
            ("total", self.total_tokens),
        ]
        line = " · ".join(f"{name} {'?' if value is None else value}" for name, value in fields)
        if self.cost_usd is not None:
            line += f" · cost {format_usd(self.cost_usd)}"
        return Text("  usage: " + line, style="dim")


Asker = Callable[[Path, str], tuple[str, DemoUsage]]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _langchain(model: str, api_key: str | None, base_url: str | None, timeout: float) -> Asker:
    from langchain_core.messages import HumanMessage

    from langchain_xai_vision import ChatXAIVision, image_block

    llm = ChatXAIVision(model=model, api_key=api_key, base_url=base_url, timeout=timeout)

    def ask(path: Path, question: str) -> tuple[str, DemoUsage]:
        message = HumanMessage(content=[{"type": "text", "text": question}, image_block(path)])
        answer = llm.invoke([message])
        usage: dict[str, Any] = dict(answer.usage_metadata or {})
        details: dict[str, Any] = dict(usage.get("input_token_details") or {})
        cost = answer.response_metadata.get("cost_usd")
        return answer.text, DemoUsage(
            image_tokens=_int(details.get("image")),
            input_tokens=_int(usage.get("input_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
            total_tokens=_int(usage.get("total_tokens")),
            cost_usd=cost if isinstance(cost, float) else None,
        )

    return ask


def _llama_usage(kwargs: dict[str, Any]) -> DemoUsage:
    ticks = _int(kwargs.get("cost_in_usd_ticks"))
    completion = _int(kwargs.get("completion_tokens"))
    reasoning = _int(kwargs.get("reasoning_tokens")) or 0
    return DemoUsage(
        image_tokens=_int(kwargs.get("image_tokens")),
        input_tokens=_int(kwargs.get("prompt_tokens")),
        output_tokens=None if completion is None else completion + reasoning,
        total_tokens=_int(kwargs.get("total_tokens")),
        cost_usd=None if ticks is None else ticks * USD_PER_TICK,
    )


def _llama_index_llm(
    model: str, api_key: str | None, base_url: str | None, timeout: float
) -> Asker:
    from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

    from llama_index_xai_vision import XAIVision

    llm = XAIVision(model=model, api_key=api_key, base_url=base_url, timeout=timeout)

    def ask(path: Path, question: str) -> tuple[str, DemoUsage]:
        message = ChatMessage(role="user", blocks=[TextBlock(text=question), ImageBlock(path=path)])
        response = llm.chat([message])
        return response.message.content or "", _llama_usage(response.additional_kwargs)

    return ask


def _llama_index_multimodal(
    model: str, api_key: str | None, base_url: str | None, timeout: float
) -> Asker:
    from llama_index.core.schema import ImageDocument

    from llama_index_xai_vision import XAIVisionMultiModal

    llm = XAIVisionMultiModal(model=model, api_key=api_key, base_url=base_url, timeout=timeout)

    def ask(path: Path, question: str) -> tuple[str, DemoUsage]:
        response = llm.complete(question, image_documents=[ImageDocument(image_path=str(path))])
        return response.text, _llama_usage(response.additional_kwargs)

    return ask


#: (title, what to install if missing, factory) for each adapter the demo runs.
ADAPTERS: tuple[tuple[str, str, Callable[[str, str | None, str | None, float], Asker]], ...] = (
    ("LangChain: langchain_xai_vision.ChatXAIVision", "xai-vision[langchain]", _langchain),
    ("LlamaIndex: llama_index_xai_vision.XAIVision", "xai-vision[llama-index]", _llama_index_llm),
    (
        "LlamaIndex: llama_index_xai_vision.XAIVisionMultiModal",
        "xai-vision[llama-index]",
        _llama_index_multimodal,
    ),
)


def _run_adapter(
    console: Console,
    title: str,
    extra: str,
    factory: Callable[[str, str | None, str | None, float], Asker],
    settings: tuple[str, str | None, str | None, float],
) -> ExitCode | None:
    """Run one adapter over the samples; None on success (or when skipped), else an exit code."""
    console.print(Rule(title, style="cyan"))
    try:
        ask = factory(*settings)
    except ImportError as error:
        console.print(
            Text(
                f"skipped: not importable ({error}); install with: pip install '{extra}'",
                style="yellow",
            )
        )
        return None
    except XAIVisionError as error:
        return report_error(error)
    for name, question in DEMO_QUESTIONS:
        console.print(Text.assemble((f"{name}: ", "bold"), question))
        try:
            answer, usage = ask(sample_path(name), question)
        except XAIVisionError as error:
            return report_error(error)
        console.print(Text("  " + answer.strip().replace("\n", "\n  ")))
        console.print(usage.text())
    return None


def run_demo(*, model: str, api_key: str | None, base_url: str | None, timeout: float) -> ExitCode:
    """Run every adapter over the samples; start the emulator when no key is configured."""
    console = Console(file=sys.stdout, highlight=False, soft_wrap=True, markup=False)
    key = api_key or os.environ.get("XAI_API_KEY", "").strip() or None
    emulator = key is None and base_url is None
    with connect(api_key=key, base_url=base_url, emulator=emulator, why="No XAI_API_KEY") as to:
        if not emulator:
            where = base_url or os.environ.get("XAI_BASE_URL") or "xAI"
            stderr_console().print(Text(f"Asking {where} with model {model}", style="dim"))
        failure: ExitCode | None = None
        for title, extra, factory in ADAPTERS:
            settings = (model, to.api_key, to.base_url, timeout)
            code = _run_adapter(console, title, extra, factory, settings)
            failure = failure or code
    return failure or ExitCode.OK
