"""The emulator's fault settings added for reliability work, seen from raw HTTP: connection reset,
a body cut short of its Content-Length, slow answers, a seeded random fault rate, fault counts;
each checks its arguments and works the same in subprocess mode.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from xai_vision.emulator import Emulator, EmulatorConfigError

BODY = json.dumps(
    {"model": "grok-4-fast-non-reasoning", "messages": [{"role": "user", "content": "hi"}]}
)


def _post(emu: Emulator, timeout: float = 5.0) -> httpx.Response:
    headers = {"authorization": f"Bearer {emu.api_key}", "content-type": "application/json"}
    with httpx.Client(timeout=timeout) as client:  # a fresh connection per request
        return client.post(f"{emu.base_url}/chat/completions", content=BODY, headers=headers)


@pytest.fixture(params=["thread", "subprocess"])
def emu(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    with Emulator(mode=request.param) as emulator:
        yield emulator


def test_reset_next_drops_the_connection_before_any_byte(emu: Emulator) -> None:
    emu.reset_next(1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        _post(emu)
    assert _post(emu).status_code == 200
    assert emu.fault_counts() == {"reset": 1}


def test_truncate_next_stops_short_of_the_content_length(emu: Emulator) -> None:
    emu.truncate_next(1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        _post(emu)
    assert _post(emu).json()["object"] == "chat.completion"
    assert emu.fault_counts() == {"truncate_json": 1}


def test_slow_next_delays_only_the_next_requests(emu: Emulator) -> None:
    emu.slow_next(0.4, n=1)
    started = time.monotonic()
    assert _post(emu).status_code == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert _post(emu).status_code == 200
    assert time.monotonic() - started < 0.4
    with pytest.raises(httpx.ReadTimeout):
        emu.slow_next(2.0)
        _post(emu, timeout=0.2)


def test_fault_rate_is_seeded_and_counted(emu: Emulator) -> None:
    def statuses() -> list[int]:
        emu.reset()
        emu.set_fault_rate(0.3, statuses=(429, 503), seed=5, retry_after_ms=7)
        return [_post(emu).status_code for _ in range(40)]

    first = statuses()
    assert first == statuses()  # the same seed, the same faults
    failed = [s for s in first if s != 200]
    assert 4 <= len(failed) <= 20 and set(failed) <= {429, 503}
    counts = emu.fault_counts()
    assert counts.get("429", 0) + counts.get("503", 0) == len(failed)
    assert len(emu.requests) == 40
    emu.set_fault_rate(0)
    assert all(_post(emu).status_code == 200 for _ in range(10))


def test_random_faults_carry_the_asked_retry_headers(emu: Emulator) -> None:
    emu.set_fault_rate(1.0, statuses=[503], retry_after=2)
    response = _post(emu)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"]


def test_reset_forgets_the_new_faults(emu: Emulator) -> None:
    emu.reset_next(2)
    emu.truncate_next(2)
    emu.slow_next(5.0, n=2)
    emu.set_fault_rate(1.0)
    emu.reset()
    assert _post(emu, timeout=2.0).status_code == 200
    assert emu.fault_counts() == {}


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda e: e.reset_next(0), "n must be"),
        (lambda e: e.truncate_next(-1), "n must be"),
        (lambda e: e.slow_next(-1.0), "seconds must be"),
        (lambda e: e.slow_next(1.0, n=0), "seconds must be"),
        (lambda e: e.set_fault_rate(1.5), "rate must be"),
        (lambda e: e.set_fault_rate(0.1, statuses=[200]), "statuses must be"),
        (lambda e: e.set_fault_rate(0.1, statuses=[]), "statuses must be"),
    ],
)
def test_bad_fault_arguments_are_refused(emu: Emulator, call: object, fragment: str) -> None:
    assert callable(call)
    with pytest.raises(EmulatorConfigError, match=fragment):
        call(emu)


def test_cut_stream_with_reset_resets_mid_stream(emu: Emulator) -> None:
    body = json.loads(BODY) | {"stream": True}
    headers = {"authorization": f"Bearer {emu.api_key}", "content-type": "application/json"}
    emu.cut_stream(2, reset=True)
    received: list[bytes] = []
    url = f"{emu.base_url}/chat/completions"
    with (
        httpx.Client(timeout=5.0) as client,
        pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)),
        client.stream("POST", url, json=body, headers=headers) as response,
    ):
        assert response.status_code == 200
        received.extend(response.iter_bytes())
    assert b"data: " in b"".join(received)  # frames arrived before the reset
    assert b"[DONE]" not in b"".join(received)
    assert emu.fault_counts() == {"reset_stream": 1}
