"""`collect --processes N`: the accounts collected by N child processes (`Children`), and the
plumbing under it (`_Processes`).

One collector process is CPU-bound well below AWS's pace: botocore spends ~2.5 ms of CPU per call
(serialise, sign, parse) on one GIL, so at 32 requests in flight a 1,000-account organization
waits on the collector, not on AWS (bench/COLLECT.md). Children spread that CPU over the
machine's cores. Each is a fresh interpreter (spawn: nothing of the parent's threads, locks or
sockets inherited) that runs `target(job, send, inbox)`: `inbox` yields what the parent sends it
(`Children.send`) until `finish`; what the child sends arrives, in order, at the parent's
`receive(index, message)`, on one thread of the parent that reads every child's pipe. The
child's log records go the same way, so the parent's handlers (text or JSON lines, redaction)
print them.

A child that dies (killed, out of memory, a crash in C) simply stops sending: `finish` says which
did not end, and the caller records that as evidence of what is missing.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from rich.progress import TaskID

from reporter import __version__
from reporter.collect.options import CollectOptions
from reporter.collect.organization import OrganizationInfo
from reporter.collect.runner import _Accounts, _describe, _record_unfinished, _Run, _shared_clients
from reporter.collect.session import ApiCounter, ClientPool
from reporter.snapshot.manifest import Artifact, ScopeAccount
from reporter.snapshot.writer import SnapshotWriter

Target = Callable[[Any, Callable[[Any], None], Iterator[Any]], None]


class _End:
    """Sent last: by the parent (no more work), by a child whose target returned."""


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


def _inbox(conn: Connection) -> Iterator[Any]:
    while not isinstance(message := conn.recv(), _End):
        yield message


def _child(inbox: Connection, outbox: Connection, target: Target, job: Any, level: int) -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides (it finalises the
    # snapshot and ends its children), so a child does not die half-way on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lock = threading.Lock()  # the target's threads all send

    def send(message: Any) -> None:
        with lock:
            outbox.send(message)

    root = logging.getLogger()
    root.handlers[:] = [_Forward(send)]
    root.setLevel(level)
    target(job, send, _inbox(inbox))
    send(_End())
    outbox.close()


class _Processes:
    """One child process per job, running `target`; `receive(index, message)` gets what each sends."""

    def __init__(self, jobs: list[Any], target: Target, receive: Callable[[int, Any], None]) -> None:
        self._jobs, self._target, self._receive = jobs, target, receive
        self._processes: list[Any] = []
        self._inboxes: list[Connection] = []
        self._ended: set[int] = set()
        self._reader: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def count(self) -> int:
        return len(self._jobs)

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        level = logging.getLogger().getEffectiveLevel()
        outboxes: dict[Any, int] = {}
        for index, job in enumerate(self._jobs):
            inbox_reader, inbox = context.Pipe(duplex=False)
            reader, outbox = context.Pipe(duplex=False)
            process = context.Process(
                target=_child, args=(inbox_reader, outbox, self._target, job, level), name=f"collect-{index + 1}"
            )
            process.start()
            inbox_reader.close()  # the child's ends: EOF on each side when the other is gone
            outbox.close()
            self._processes.append(process)
            self._inboxes.append(inbox)
            outboxes[reader] = index
        self._reader = threading.Thread(target=self._read, args=(outboxes,), name="collect-children", daemon=True)
        self._reader.start()

    def send(self, index: int, message: Any) -> None:
        try:
            self._inboxes[index].send(message)
        except OSError:  # the child is gone: finish() reports it
            pass

    def finish(self) -> list[int | None]:
        """No more work; wait for every child. Per child: None if its target returned, else its
        exit code (it died)."""
        for index in range(self.count):
            self.send(index, _End())
        assert self._reader is not None
        self._reader.join()
        for process in self._processes:
            process.join()
        if self._failure is not None:
            raise self._failure
        return [
            None if index in self._ended and process.exitcode == 0 else process.exitcode
            for index, process in enumerate(self._processes)
        ]

    def stop(self) -> None:
        """End every child now (an interruption)."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join()
        if self._reader is not None:
            self._reader.join()

    def _read(self, outboxes: dict[Any, int]) -> None:
        while outboxes:
            for ready in wait(list(outboxes)):
                index = outboxes[ready]
                try:
                    message = cast(Connection, ready).recv()
                except EOFError:
                    del outboxes[ready]
                    continue
                try:
                    if isinstance(message, _End):
                        self._ended.add(index)
                    elif isinstance(message, _Log):
                        record = logging.makeLogRecord(message.record)
                        logging.getLogger(record.name).handle(record)
                    else:
                        self._receive(index, message)
                except BaseException as exc:  # a bug here: raised by finish(), the children read on
                    self._failure = self._failure or exc


class CollectProcessError(RuntimeError):
    """A child process of `collect --processes` died, or hit a bug in reporter."""


@dataclass(frozen=True)
class _Share:
    """What one child process of `collect --processes` needs; its accounts come as messages
    (`_Account`, and `_WALK` to walk the organization)."""

    options: CollectOptions  # max_workers: this child's part of the run's in-flight bound
    info: OrganizationInfo
    caller_account: str
    partition: str
    home: str
    as_of: datetime
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]


@dataclass(frozen=True)
class _Account:
    id: str
    name: str | None


_WALK = "walk"


@dataclass(frozen=True)
class _Done:
    account: str | None  # None: the organization walk
    regions: list[str] | None
    trails: list[dict[str, Any]] | None


@dataclass(frozen=True)
class _Ended:
    by_api: dict[str, int]
    by_account: dict[str, int]
    bugs: list[str]


class Children:
    """`_Accounts`, but collected by child processes into this run's snapshot folder.

    Accounts are dealt round-robin as they are added; the run's in-flight bound is divided among
    the children (each has its own gate, and its own rate limiter: an account's (account, region)
    keys are all in one child). Each child writes its artifacts' files and sends their manifest
    entries here, where this run's writer journals them and, at the end, lists them in the one
    manifest. A child that dies leaves an InternalError artifact on each account it had not
    finished; a bug in a child stops the run as one in this process would (both: the manifest
    marked incomplete, then raised).
    """

    def __init__(self, run: _Run, processes: int, advance: Callable[[TaskID], None], bar: TaskID) -> None:
        self.run = run
        self.accounts: dict[str, int] = {}  # in the order added: the child collecting each
        self._walker: int | None = None
        self._finished: set[str | None] = set()
        self._advance = lambda: advance(bar)
        options = run.options
        child_options = replace(options, previous_manifest=None, quiet=True)
        base, extra = divmod(options.max_workers, processes)
        # The child's own copy: names are sent with each account, as the listing finds them.
        info = replace(run.info, account_names={})
        shares = [
            _Share(
                replace(child_options, max_workers=base + (index < extra)),
                info,
                run.caller_account,
                run.partition,
                run.home,
                run.writer.as_of,
                run.clock,
                run.sleep,
            )
            for index in range(processes)
        ]
        self._children = _Processes(shares, _collect_share, self._receive)

    def walk(self) -> None:
        self._walker = 0
        self._children.send(0, _WALK)

    def add(self, account: str) -> None:
        if account in self.accounts:
            return
        index = len(self.accounts) % self._children.count
        self.accounts[account] = index
        self._children.send(index, _Account(account, self.run.info.account_names.get(account) or None))

    def __enter__(self) -> Children:
        self._children.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        if kind is not None:
            self._children.stop()
            return
        codes = self._children.finish()
        run = self.run
        for index, code in enumerate(codes):
            if code is None:
                continue
            left: list[str | None] = [a for a, i in self.accounts.items() if i == index and a not in self._finished]
            if self._walker == index and None not in self._finished:
                left.insert(0, None)
            what = f"collection process {index + 1}/{len(codes)} exited with code {code}"
            for account in left:
                part = "the organization walk" if account is None else f"account {account}"
                _record_unfinished(run, account, "ProcessExited", f"{what} before {part} was complete")
            run.bugs.append(CollectProcessError(what))

    def _receive(self, index: int, message: Any) -> None:
        """A child's message (on the thread reading the children's pipes)."""
        run = self.run
        if isinstance(message, Artifact | ScopeAccount):
            run.writer.adopt(message)
        elif isinstance(message, _Done):
            self._finished.add(message.account)
            if message.account is not None:
                if message.regions is not None and message.trails is not None:
                    run.regions[message.account], run.trails[message.account] = message.regions, message.trails
                self._advance()
        elif isinstance(message, _Ended):
            run.counter.absorb(message.by_api, message.by_account)
            run.bugs += [CollectProcessError(f"collection process {index + 1}: {bug}") for bug in message.bugs]


def _collect_share(share: _Share, send: Callable[[Any], None], inbox: Iterator[Any]) -> None:
    """A child process's collection (`Children`): the accounts and the walk its inbox names."""
    options, counter = share.options, ApiCounter()
    caller = ClientPool(share.caller_account, _shared_clients(options, counter, share.sleep, None), priority=True)
    writer = SnapshotWriter(
        options.out,
        tool_version=__version__,
        period_start=options.period_start,
        period_end=options.period_end,
        as_of=share.as_of,
        listener=send,
    )
    run = _Run(
        options,
        writer,
        caller,
        share.caller_account,
        share.partition,
        share.home,
        share.info,
        None,
        share.clock,
        share.sleep,
        counter=counter,
    )

    def done(account: str | None) -> None:
        regions, trails = (run.regions.get(account), run.trails.get(account)) if account else (None, None)
        send(_Done(account, regions, trails))

    with _Accounts(run, done) as accounts:
        for message in inbox:
            if message == _WALK:
                accounts.walk()
            else:
                if message.name:
                    run.info.account_names[message.id] = message.name
                accounts.add(message.id)
    send(_Ended(dict(counter.by_api), dict(counter.by_account), [_describe(bug) for bug in run.bugs]))
