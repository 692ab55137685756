"""Write a snapshot: each file atomically, the manifest last, secrets never."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from reporter.snapshot.journal import JOURNAL_NAME, Interrupted, Journal
from reporter.snapshot.manifest import (
    INTERNAL_ERROR_API,
    MANIFEST_NAME,
    Artifact,
    ArtifactError,
    Incomplete,
    Manifest,
    ScopeAccount,
    ShardInfo,
)

# Keys that hold credentials in AWS responses (sts:AssumeRole, GetSessionToken, …), in CloudTrail
# records (a root GetSessionToken's responseElements spell them camelCase) and MFA seeds. They are
# replaced before anything reaches the disk, whatever the caller passes in.
SECRET_KEYS = frozenset(
    {
        "SecretAccessKey",
        "SessionToken",
        "Credentials",
        "Password",
        "secretAccessKey",
        "sessionToken",
        "Base32StringSeed",
        "QRCodePNG",
    }
)
REDACTED = "**redacted**"
log = logging.getLogger(__name__)


def redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: (REDACTED if k in SECRET_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot store {type(value).__name__} in a snapshot")


# A secret key present anywhere in a document appears in its JSON as this (orjson escapes no
# ASCII letter): documents without any, nearly all, are written without the redacting copy.
_SECRET_KEY_TEXTS = tuple(f'"{k}"'.encode() for k in sorted(SECRET_KEYS))


def _may_hold_secrets(data: bytes) -> bool:
    return any(text in data for text in _SECRET_KEY_TEXTS)


def dumps_jsonl(records: list[Any]) -> bytes:
    """JSON Lines as the snapshot stores CloudTrail records: one compact, redacted record a line."""
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    if not _may_hold_secrets(data):
        return data
    return b"".join(orjson.dumps(redact(r)) + b"\n" for r in records)


def dumps_json(obj: Any) -> bytes:
    """JSON as the snapshot stores it: datetimes in ISO-8601, keys in the order AWS gave them."""
    data = orjson.dumps(obj, default=_json_default, option=orjson.OPT_INDENT_2) + b"\n"
    if not _may_hold_secrets(data):
        return data
    return orjson.dumps(redact(obj), default=_json_default, option=orjson.OPT_INDENT_2) + b"\n"


# mkstemp creates files readable by their owner only; a pack is meant to be shared, so give
# the final file the mode an ordinary open() would (0666 less the umask, read once here).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextmanager
def atomic_target(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it becomes `target`, else it vanishes.

    For writers that stream to a file (a large workbook) rather than hand over bytes.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.fchmod(fd, 0o666 & ~_UMASK)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(target: Path, data: bytes) -> None:
    """Write so that `target` either does not exist or holds all of `data`."""
    with atomic_target(target) as tmp:
        tmp.write_bytes(data)


def _write_artifact(target: Path, data: bytes, made: set[Path]) -> None:
    """Write `target` whole or not at all (a rename), without its own fsync: the writer syncs
    once, before the manifest (an fsync per file was ~70% of the writer's CPU, and ~1 ms of a
    thread's time each). A power cut before that sync can leave a file short; the manifest does
    not exist yet, and a resume re-collects any journaled file whose digest differs.

    `made`: the folders known to exist. The temporary's name is fixed: an artifact's path is
    written once per run (SnapshotWriter checks), and a killed run's leftover is overwritten.
    """
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    tmp = target.with_name(f".{target.name}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # less the umask, as open() does
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _same(stored: dict[str, Any], asked: dict[str, Any]) -> bool:
    return orjson.dumps(stored, option=orjson.OPT_SORT_KEYS) == orjson.dumps(asked, option=orjson.OPT_SORT_KEYS)


class SnapshotWriter:
    """Writes artifacts as they come, the manifest last.

    With `journal` (the collection's parameters) every artifact is also journaled
    (snapshot/journal.py); with `resume`, the interrupted collection's artifacts are
    offered to `reuse` (which checks each digest) and the rest is written anew, as_of staying the
    interrupted run's.
    """

    def __init__(
        self,
        root: Path,
        *,
        tool_version: str,
        period_start: datetime,
        period_end: datetime,
        as_of: datetime,
        caller_arn: str | None = None,
        organization_id: str | None = None,
        previous_manifest_sha256: str | None = None,
        journal: dict[str, Any] | None = None,
        resume: Interrupted | None = None,
        listener: Callable[[Artifact | ScopeAccount], None] | None = None,
    ) -> None:
        self.root = Path(root)
        # collect --processes: a child's writer tells the parent's (`adopt`) of each entry it records.
        self._listener = listener
        if resume is not None:
            # The incomplete manifest of the interrupted run (if it got that far) is replaced.
            (self.root / MANIFEST_NAME).unlink(missing_ok=True)
            as_of = resume.as_of
        if (self.root / MANIFEST_NAME).exists():
            raise FileExistsError(f"{self.root} already holds a snapshot (manifest.json exists)")
        self.root.mkdir(parents=True, exist_ok=True)
        self._reusable: dict[str, Artifact] = {}
        self.not_reused: list[str] = []
        self._earlier: set[str] = set()  # every path the interrupted run wrote
        if resume is not None:
            self._reusable, self.not_reused = resume.reusable()
            self._earlier = {a.path for a in resume.artifacts if a.path}
        self.reused = 0
        self._journal = Journal(self.root, as_of, journal, self._reusable.values()) if journal is not None else None
        self._as_of = as_of
        self._header = dict(
            tool_version=tool_version,
            period_start=period_start,
            period_end=period_end,
            as_of=as_of,
            caller_arn=caller_arn,
            organization_id=organization_id,
            previous_manifest_sha256=previous_manifest_sha256,
        )
        self._accounts: dict[str, ScopeAccount] = {}
        # collect --shard: set once the scope is known, so that an interrupted shard says it too.
        self.shard: ShardInfo | None = None
        self._artifacts: list[Artifact] = []
        self._paths: set[str] = set()
        self._folders: set[Path] = set()  # made by _write_artifact (a set shared by threads: add is atomic)
        # The collector writes from many threads at once.
        self._lock = threading.Lock()

    @property
    def as_of(self) -> datetime:
        return self._as_of

    def add_account(
        self, account_id: str, *, name: str | None = None, regions: list[str] | None = None, is_management: bool = False
    ) -> None:
        self.adopt(ScopeAccount(id=account_id, name=name, regions=sorted(regions or []), is_management=is_management))

    def add_bytes(
        self,
        relpath: str,
        data: bytes,
        *,
        api: str,
        collected_at: datetime,
        params: dict[str, Any] | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> Artifact:
        with self._lock:
            rel = self._checked_path(relpath)
        _write_artifact(self.root / rel, data, self._folders)
        artifact = Artifact(
            path=rel,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            api=api,
            params=params or {},
            account=account,
            region=region,
            collected_at=collected_at,
            status="ok",
        )
        self._record(artifact)
        return artifact

    def _record(self, artifact: Artifact) -> None:
        with self._lock:
            self._artifacts.append(artifact)
            if self._journal is not None:
                self._journal.append(artifact)
        if self._listener is not None:
            self._listener(artifact)

    def adopt(self, entry: Artifact | ScopeAccount) -> None:
        """Record an account in scope, or an artifact another writer put in this folder (a child
        process of `collect --processes`: its file is already in place, its digest computed)."""
        if isinstance(entry, ScopeAccount):
            with self._lock:
                self._accounts[entry.id] = entry
            if self._listener is not None:
                self._listener(entry)
            return
        if entry.path is not None:
            with self._lock:
                self._checked_path(entry.path)
        self._record(entry)

    def reuse(self, relpath: str, api: str, params: dict[str, Any] | None = None) -> bytes | None:
        """The bytes of the interrupted run's artifact at `relpath` if it answered `api` (with
        `params`, when given) and still has its digest: listed again as it was, and no call is
        made. None: collect it."""
        with self._lock:
            artifact = self._reusable.get(relpath)
            if artifact is None or artifact.api != api or (params is not None and not _same(artifact.params, params)):
                return None
            del self._reusable[relpath]
            data = (self.root / relpath).read_bytes()
            if hashlib.sha256(data).hexdigest() != artifact.sha256:
                self.not_reused.append(f"{relpath}: SHA-256 differs from the journal (changed since it was written)")
                return None
            self._paths.add(relpath)
            self.reused += 1
            self._artifacts.append(artifact)  # the new journal already lists it (Journal's `kept`)
        return data

    def add_json(self, relpath: str, obj: Any, **meta: Any) -> Artifact:
        return self.add_bytes(relpath, dumps_json(obj), **meta)

    def add_error(
        self,
        *,
        api: str,
        code: str,
        message: str,
        collected_at: datetime,
        params: dict[str, Any] | None = None,
        account: str | None = None,
        region: str | None = None,
        attempts: int | None = None,
    ) -> Artifact:
        """Record a failed call as an error artifact, and log it: every failure the collector
        records passes here, so an operator sees each one once (`attempts` is for that log line)."""
        first_line = message.splitlines()[0] if message else ""
        log.log(
            logging.ERROR if api == INTERNAL_ERROR_API else logging.WARNING,
            "%s failed: %s: %s",
            api,
            code,
            first_line,
            extra={"account": account, "region": region, "api": api, "error_code": code, "attempts": attempts},
        )
        artifact = Artifact(
            path=None,
            api=api,
            params=params or {},
            account=account,
            region=region,
            collected_at=collected_at,
            status="error",
            error=ArtifactError(code=code, message=message),
        )
        self._record(artifact)
        return artifact

    def error_count(self, account: str) -> int:
        """How many error artifacts of `account` are recorded so far."""
        with self._lock:
            return sum(1 for a in self._artifacts if a.status == "error" and a.account == account)

    def has_account(self, account_id: str | None = None) -> bool:
        """Is `account_id` in scope yet (None: is any account)?"""
        with self._lock:
            return bool(self._accounts) if account_id is None else account_id in self._accounts

    def finalize(
        self, *, collected_at: datetime, previous_manifest_sha256: str | None = None, incomplete: str | None = None
    ) -> Manifest:
        """Write manifest.json last: a folder without it is not a snapshot.

        `previous_manifest_sha256` (here or in the constructor) chains this snapshot to the
        previous pack; the collector may only know the scope, and so the previous pack, by now.
        `incomplete` (why collection stopped early) marks the manifest so, and keeps the journal.
        """
        if not self._accounts and self.shard is None:
            # A shard may hold none: a share of a small organization can be empty.
            raise ValueError("a snapshot needs at least one account in scope")
        regions = sorted({r for a in self._accounts.values() for r in a.regions})
        header = dict(self._header)
        if previous_manifest_sha256 is not None:
            header["previous_manifest_sha256"] = previous_manifest_sha256
        manifest = Manifest(
            **header,
            collected_at=collected_at,
            accounts=sorted(self._accounts.values(), key=lambda a: a.id),
            regions=regions,
            artifacts=self._artifacts,
            incomplete=None
            if incomplete is None
            else Incomplete(reason=incomplete, journal=JOURNAL_NAME if self._journal else None),
            shard=self.shard,
        )
        os.sync()  # every artifact's file (written without an fsync each), before the manifest names them
        atomic_write(self.root / MANIFEST_NAME, manifest.to_bytes())
        if self._journal is not None:
            if incomplete is None:
                self._journal.remove()
                self._remove_leftovers()
            else:
                self._journal.close()
        return manifest

    def _remove_leftovers(self) -> None:
        """Files of the interrupted run this one did not list again (re-collected elsewhere or no
        longer asked for), and half-written temporaries: a snapshot holds only what it lists."""
        leftovers = (self._earlier - self._paths) | {
            p.relative_to(self.root).as_posix() for p in self.root.rglob(".*.partial")
        }
        for rel in leftovers:
            (self.root / rel).unlink(missing_ok=True)

    def _checked_path(self, relpath: str) -> str:
        path = PurePosixPath(relpath)
        if path.is_absolute() or ".." in path.parts or str(path) == MANIFEST_NAME:
            raise ValueError(f"artifact path {relpath!r} must stay inside the snapshot")
        rel = str(path)
        if rel in self._paths:
            raise ValueError(f"artifact {rel} written twice")
        self._paths.add(rel)
        self._reusable.pop(rel, None)  # collected again: the interrupted run's file is replaced
        return rel
