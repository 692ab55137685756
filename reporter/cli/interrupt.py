"""Ctrl-C and a scheduler's SIGTERM stop a collection the same way: as an exception in the main
thread, so the collector finalises what it has (an incomplete snapshot) before the process ends.

Click would turn a KeyboardInterrupt into "Aborted!" and exit 1, which reads as a FAIL; an
interruption is its own exit code (130)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Interrupted(Exception):
    """The collection was stopped by a signal."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"stopped by {self.signal_name}")


@contextmanager
def interruptible() -> Iterator[None]:
    """Within: SIGINT and SIGTERM raise Interrupted in the main thread (elsewhere signals cannot be
    handled, so nothing changes).

    Only the first signal raises: the collector then waits for the calls in flight (bounded by
    the read timeout) before it writes the incomplete manifest, and a second Ctrl-C or SIGTERM
    (an impatient user, a scheduler repeating its stop) raised into that wait would
    leave threads writing beside a manifest that does not list their files."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def _raise(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise Interrupted(signum)

    previous = {s: signal.signal(s, _raise) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
