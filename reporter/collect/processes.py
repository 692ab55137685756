"""Child processes for `collect --processes N`: the plumbing, not what they collect.

One collector process is CPU-bound well below AWS's pace: botocore spends ~2.5 ms of CPU per call
(serialise, sign, parse) on one GIL, so at 32 requests in flight a 1,000-account organization
waits on the collector, not on AWS (bench/COLLECT.md). Children spread that CPU over the
machine's cores. Each is a fresh interpreter (spawn: nothing of the parent's threads, locks or
sockets inherited) that runs `target(job, send)`; what it sends arrives, in order, at the
parent's `receive(index, message)`, on the parent's thread. The child's log records go the same
way, so the parent's handlers (text or JSON lines, redaction) print them.

A child that dies (killed, out of memory, a crash in C) simply stops sending: `run_children`
says which did not end, and the caller records that as evidence of what is missing.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, cast

log = logging.getLogger(__name__)


class _End:
    """Sent last by a child whose target returned."""


@dataclass(frozen=True)
class _Log:
    record: dict[str, Any]


class _Forward(logging.Handler):
    """A child's log records, sent to the parent (message formatted, exception as text)."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        fields = dict(record.__dict__)
        fields.update(msg=record.getMessage(), args=None, exc_info=None)
        if record.exc_info:
            fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
        self._send(_Log(fields))


def _child(conn: Connection, target: Callable[[Any, Callable[[Any], None]], None], job: Any, level: int) -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides (it finalises the
    # snapshot and ends its children), so a child does not die half-way on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = threading.Lock()  # the target's threads all send

    def send(message: Any) -> None:
        with lock:
            conn.send(message)

    root = logging.getLogger()
    root.handlers[:] = [_Forward(send)]
    root.setLevel(level)
    target(job, send)
    send(_End())
    conn.close()


def run_children(
    jobs: list[Any],
    target: Callable[[Any, Callable[[Any], None]], None],
    receive: Callable[[int, Any], None],
) -> list[int | None]:
    """Run `target(job, send)` in one child process per job; pass each message sent to
    `receive(index, message)`. Returns, per job, None if its target returned, else the child's
    exit code (it died). On an exception here (an interruption), the children are ended."""
    context = multiprocessing.get_context("spawn")
    level = logging.getLogger().getEffectiveLevel()
    children = []
    readers: dict[Any, int] = {}
    try:
        for index, job in enumerate(jobs):
            reader, writer = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(writer, target, job, level), name=f"collect-{index + 1}")
            child.start()
            writer.close()  # the child's end: the reader sees EOF when the child is gone
            children.append(child)
            readers[reader] = index
        ended: set[int] = set()
        while readers:
            for ready in wait(list(readers)):
                index = readers[ready]
                try:
                    message = cast(Connection, ready).recv()
                except EOFError:
                    del readers[ready]
                    continue
                if isinstance(message, _End):
                    ended.add(index)
                elif isinstance(message, _Log):
                    record = logging.makeLogRecord(message.record)
                    logging.getLogger(record.name).handle(record)
                else:
                    receive(index, message)
        for child in children:
            child.join()
        return [None if i in ended and child.exitcode == 0 else child.exitcode for i, child in enumerate(children)]
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join()
