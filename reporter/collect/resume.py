"""`collect --resume`: which interrupted collection a folder holds, and whether this run continues it.

A resume must collect the same evidence the interrupted run would have: the same period, scope,
role, regions, root-event source, caller (account and partition) and reporter version. The
journal's header records them; any difference is refused (a usage error, nothing is touched),
naming the first option that differs. as_of stays the interrupted run's, so every age is measured
against one instant.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from reporter import __version__
from reporter.collect.options import CollectError, CollectOptions
from reporter.snapshot.journal import JOURNAL_NAME, Interrupted, JournalError, read_journal
from reporter.snapshot.manifest import MANIFEST_NAME, iso_utc
from reporter.snapshot.reader import Snapshot, SnapshotError


def resume_state(options: CollectOptions) -> Interrupted | None:
    """The interrupted collection to continue (--resume), None for a fresh one; refuses a folder
    that holds a snapshot, or an interrupted collection without --resume."""
    out = options.out
    if not options.resume:
        if (out / JOURNAL_NAME).exists():
            raise CollectError(
                f"{out} holds an interrupted collection; continue it with --resume, or collect into a new folder"
            )
        if (out / MANIFEST_NAME).exists():
            raise CollectError(f"{out} already holds a snapshot (manifest.json exists)")
        return None
    if (out / MANIFEST_NAME).exists():
        try:
            incomplete = Snapshot.open(out).manifest.incomplete
        except SnapshotError as exc:
            raise CollectError(f"--resume: {exc}") from None
        if incomplete is None:
            raise CollectError(f"--resume: {out} holds a complete snapshot; there is nothing to resume")
    try:
        return read_journal(out)
    except JournalError as exc:
        raise CollectError(f"--resume: {exc}") from None


def journal_parameters(options: CollectOptions, caller_account: str, partition: str) -> dict[str, Any]:
    """What decides the evidence a collection gathers, as JSON (the journal's header)."""
    source = {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(options.root_events).items()}
    return {
        "tool_version": __version__,
        "caller_account": caller_account,
        "partition": partition,
        "period_start": iso_utc(options.period_start),
        "period_end": iso_utc(options.period_end),
        "organization": options.organization,
        "accounts": sorted(set(options.accounts)),
        "regions": sorted(set(options.regions)),
        "role_name": options.role_name,
        "root_events": source,
        "shard": str(options.shard) if options.shard is not None else None,
    }


def check_resumable(interrupted: Interrupted, parameters: dict[str, Any]) -> None:
    earlier = interrupted.parameters
    for key in sorted(set(parameters) | set(earlier)):
        if parameters.get(key) != earlier.get(key):
            raise CollectError(
                f"--resume: the interrupted collection in {interrupted.root} was started with "
                f"{key}={earlier.get(key)!r}, this run asks {parameters.get(key)!r}; "
                "resume with the same options, or collect into a new folder"
            )
