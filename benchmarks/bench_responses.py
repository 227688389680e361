"""The responses endpoint against chat completions: client CPU per call, the same adapters.

Each adapter sends the W1 image (~1 MB 1024x768 JPEG, built into the message inside each call)
once through chat completions and once through the responses endpoint, invoke (W1) and
stream (W2), in interleaved rounds against the subprocess emulator (so the server's CPU is not
counted). The target (issue 13): the responses path within 10% of the chat completions path.
Reported: the median ratio over rounds and its spread (lowest and highest round ratio).
Peers on the responses endpoint (ChatOpenAI(use_responses_api=True), llama-index
OpenAIResponses) are measured too when installed, against the same emulator.

    python benchmarks/bench_responses.py            # 7 rounds of 15 calls
    python benchmarks/bench_responses.py --quick    # 2 rounds of 2 calls
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clients import (
    MODEL,
    Image,
    chat_openai_responses,
    chat_xai_vision,
    langchain_message,
    llamaindex_message,
    openai_responses,
    xai_vision,
)
from run import cpu_rounds, jpeg_near
from xai_vision.emulator import Emulator

Call = Callable[[], Any]


def _calls(model: Any, message: Callable[[], list[Any]], *, llamaindex: bool) -> dict[str, Call]:
    """Invoke and stream one model (LangChain's invoke/stream or LlamaIndex's chat/stream_chat)."""
    if llamaindex:
        return {
            "invoke": lambda: model.chat(message()),
            "stream": lambda: list(model.stream_chat(message())),
        }
    return {
        "invoke": lambda: model.invoke(message()),
        "stream": lambda: list(model.stream(message())),
    }


def _langchain(base_url: str, data: bytes, responses: bool) -> dict[str, Call]:
    model = chat_xai_vision(base_url, responses=responses)
    return _calls(model, lambda: langchain_message(Image(data, "image/jpeg")), llamaindex=False)


def _llamaindex(base_url: str, data: bytes, responses: bool) -> dict[str, Call]:
    llm = xai_vision(base_url, responses=responses)
    return _calls(llm, lambda: llamaindex_message(Image(data, "image/jpeg")), llamaindex=True)


def _chat_openai(base_url: str, data: bytes) -> dict[str, Call]:
    model = chat_openai_responses(base_url)
    return _calls(model, lambda: langchain_message(Image(data, "image/jpeg")), llamaindex=False)


def _openai_responses(base_url: str, data: bytes) -> dict[str, Call]:
    llm = openai_responses(base_url)
    return _calls(llm, lambda: llamaindex_message(Image(data, "image/jpeg")), llamaindex=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 calls")
    args = parser.parse_args()
    rounds, per_round = (2, 2) if args.quick else (7, 15)
    data = jpeg_near((1024, 768), 1_000_000)
    with Emulator(mode="subprocess") as emu:
        url = emu.base_url
        cases: dict[tuple[str, str, str], Call] = {}
        for adapter, build in (("ChatXAIVision", _langchain), ("XAIVision", _llamaindex)):
            for api, responses in (("chat", False), ("responses", True)):
                for kind, call in build(url, data, responses).items():
                    cases[(adapter, api, kind)] = call
        for peer, build_peer in (
            ("ChatOpenAI", _chat_openai),
            ("OpenAIResponses", _openai_responses),
        ):
            try:
                peer_calls = build_peer(url, data)
                for call in peer_calls.values():
                    call()
            except Exception as exc:  # a peer that cannot run here is reported, not fatal
                print(f"{peer}: not measured ({type(exc).__name__}: {str(exc)[:120]})")
                continue
            for kind, call in peer_calls.items():
                cases[(peer, "responses", kind)] = call
        cpu = cpu_rounds(cases, rounds, per_round)
    print(f"{len(data):,}-byte 1024x768 JPEG, model {MODEL}, {rounds} rounds of {per_round} calls")
    header = ("client", "call", "chat ms", "responses ms", "ratio", "spread")
    print("{:<16} {:<7} {:>8} {:>13} {:>6} {:>14}".format(*header))
    for adapter in ("ChatXAIVision", "XAIVision"):
        for kind in ("invoke", "stream"):
            chat, resp = cpu[(adapter, "chat", kind)], cpu[(adapter, "responses", kind)]
            ratios = [b / a for a, b in zip(chat, resp, strict=True)]
            print(
                f"{adapter:<16} {kind:<7} {statistics.median(chat):>8.2f} "
                f"{statistics.median(resp):>13.2f} {statistics.median(ratios):>5.2f}x "
                f"{min(ratios):>6.2f}-{max(ratios):.2f}x"
            )
    for peer in ("ChatOpenAI", "OpenAIResponses"):
        for kind in ("invoke", "stream"):
            if (peer, "responses", kind) in cpu:
                ms = statistics.median(cpu[(peer, "responses", kind)])
                print(f"{peer:<16} {kind:<7} {'':>8} {ms:>13.2f}")


if __name__ == "__main__":
    main()
