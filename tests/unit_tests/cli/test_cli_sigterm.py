"""``stop_on_sigterm`` in this process: SIGTERM becomes Ctrl-C inside the block, and the handler
that was there before is back after it (the batch tests send real signals to real runs)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from xai_vision.cli.batch_job import stop_on_sigterm


def _sigterm_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)  # the handler runs at the next bytecode; never waits this long


def test_sigterm_inside_the_block_is_a_keyboard_interrupt_and_the_old_handler_returns() -> None:
    seen: list[int] = []
    before = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        with pytest.raises(KeyboardInterrupt), stop_on_sigterm():
            started = time.monotonic()
            _sigterm_self()
        assert time.monotonic() - started < 4
        os.kill(os.getpid(), signal.SIGTERM)  # after the block: the previous handler again
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, before)


def test_outside_the_main_thread_nothing_changes() -> None:
    handlers: list[object] = []

    def in_thread() -> None:
        with stop_on_sigterm():
            handlers.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join(timeout=10)
    assert handlers == [before]
