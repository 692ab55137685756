"""The first SIGINT/SIGTERM raises in the main thread; later ones must not cut short the wait
for the calls in flight that precedes the incomplete manifest."""

from __future__ import annotations

import os
import signal
import time

import pytest

from reporter.cli.interrupt import Interrupted, interruptible


def test_only_the_first_signal_raises_and_the_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    finished_cleanup = False
    with pytest.raises(Interrupted) as raised, interruptible():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the signal interrupts this sleep
        finally:
            # The collector's clean-up: a second signal here would abandon it if it raised.
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            finished_cleanup = True
    assert raised.value.signal_name == "SIGTERM"
    assert finished_cleanup
    assert signal.getsignal(signal.SIGTERM) is before
