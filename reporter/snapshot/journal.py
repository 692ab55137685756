"""The collection journal: what a collection has written so far, so that an interrupted one resumes.

`.collect-journal.jsonl` in the snapshot folder holds a header line (the collection's parameters
and its as_of), then one manifest entry per artifact, appended as each is written (its file is
already in place, written atomically). A run killed at any point leaves a journal whose every
complete line names a file that was whole when it was written (files are synced once, before
the manifest: after a power cut a file may be short, and its digest check below re-collects it);
a truncated last line (killed mid-write) is skipped and reported.

`collect --resume` reads it back: an `ok` entry is re-used when its file still has its digest and
no failure of the same call (account, and region when it has one) was journaled, so a merged
artifact (trails.json over the regions that answered) is re-collected when a region had failed.
Everything else is collected again. The journal is removed when the manifest is written complete,
and kept (named in the manifest) when collection stopped early.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import ValidationError

from reporter.snapshot.manifest import Artifact, iso_utc

JOURNAL_NAME = ".collect-journal.jsonl"
JOURNAL_VERSION = 1


class JournalError(Exception):
    """The folder holds no journal this version can resume (missing, or its header unreadable)."""


@dataclass(frozen=True)
class Interrupted:
    """An interrupted collection, read back from its journal."""

    root: Path
    as_of: datetime
    parameters: dict[str, Any]
    artifacts: list[Artifact]
    skipped: list[str] = field(default_factory=list)  # journal lines that could not be read, and why

    def reusable(self) -> tuple[dict[str, Artifact], list[str]]:
        """The artifacts a resume re-uses (by path), and why each other ok one is collected again."""
        failed = {(a.api, a.account, a.region) for a in self.artifacts if a.status == "error"}
        failed_anywhere = {(api, account) for api, account, _ in failed}
        latest = {a.path: a for a in self.artifacts if a.status == "ok" and a.path is not None}
        kept: dict[str, Artifact] = {}
        dropped: list[str] = []
        for path, artifact in sorted(latest.items()):
            if (artifact.api, artifact.account, artifact.region) in failed or (
                artifact.region is None and (artifact.api, artifact.account) in failed_anywhere
            ):
                dropped.append(f"{path}: {artifact.api} also failed in this collection")
            elif not (self.root / path).is_file():
                dropped.append(f"{path}: file missing")
            else:  # its digest is checked when it is re-used (SnapshotWriter.reuse), read once
                kept[path] = artifact
        return kept, dropped


def _entry(artifact: Artifact) -> bytes:
    return orjson.dumps(artifact.model_dump(mode="json")) + b"\n"


class Journal:
    """The append side, used by the snapshot writer (which serialises the calls)."""

    def __init__(self, root: Path, as_of: datetime, parameters: dict[str, Any], kept: Iterable[Artifact] = ()):
        self.path = root / JOURNAL_NAME
        header = {"journal": JOURNAL_VERSION, "as_of": iso_utc(as_of), "parameters": parameters}
        tmp = self.path.with_name(self.path.name + ".partial")
        tmp.write_bytes(orjson.dumps(header, option=orjson.OPT_SORT_KEYS) + b"\n" + b"".join(map(_entry, kept)))
        os.replace(tmp, self.path)
        self._handle: BinaryIO | None = self.path.open("ab")

    def append(self, artifact: Artifact) -> None:
        if self._handle is not None:
            # Flushed at once: a killed process loses nothing the OS already holds.
            self._handle.write(_entry(artifact))
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def read_journal(root: Path) -> Interrupted:
    path = Path(root) / JOURNAL_NAME
    try:
        lines = path.read_bytes().split(b"\n")
    except FileNotFoundError:
        raise JournalError(f"{root}: no interrupted collection to resume (no {JOURNAL_NAME})") from None
    try:
        header = orjson.loads(lines[0])
        version, as_of, parameters = header["journal"], header["as_of"], header["parameters"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise JournalError(f"{path}: line 1: not a journal header") from None
    if version != JOURNAL_VERSION:
        raise JournalError(f"{path}: journal version {version}; this reporter resumes version {JOURNAL_VERSION}")
    artifacts: list[Artifact] = []
    skipped: list[str] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            artifacts.append(Artifact.model_validate(orjson.loads(line)))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            skipped.append(f"{JOURNAL_NAME} line {number}: {str(exc).splitlines()[0]}")
    return Interrupted(Path(root), datetime.fromisoformat(as_of), parameters, artifacts, skipped)
