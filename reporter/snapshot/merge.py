"""`reporter merge`: join the N shard snapshots of one collection (collect --shard K/N) into one.

Each shard is verified first (a file that fails is an integrity error, nothing is written); then
the shards must fit together: the same period, organization, partition, reporter version and
chain link, every shard 1…N exactly once, the same account list seen by all, and each account in
exactly one shard, the one its id hashes to. Anything else is refused, naming what differs.

The merged snapshot holds every shard's account files, the organization's files of shard 1 (the
only one that walks the organization), and a byte-for-byte copy of each shard's manifest under
`shards/`, listed as an artifact and pinned in `merged_from` by its SHA-256: what each shard
collected stays verifiable against what the merged manifest lists.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from reporter.core.partition import partition_of
from reporter.core.shard import shard_of
from reporter.snapshot.manifest import MANIFEST_NAME, Artifact, Manifest, MergedShard, ScopeAccount
from reporter.snapshot.reader import Snapshot, SnapshotError
from reporter.snapshot.verify import VerifyProblem, verify_snapshot
from reporter.snapshot.writer import atomic_write

MERGE_API = "reporter:merge"
SHARDS_DIR = "shards"


class MergeError(Exception):
    """The shards cannot be merged (a usage error: exit 2); `str(e)` is one line."""


@dataclass
class MergeIntegrityError(Exception):
    """A shard fails verification (exit 5): nothing is written."""

    shard: Path
    problems: list[VerifyProblem]

    def __str__(self) -> str:
        first = self.problems[0]
        more = f" and {len(self.problems) - 1} more" if len(self.problems) > 1 else ""
        return f"{self.shard}: {first}{more}; nothing merged"


def shard_manifest_path(index: int, count: int) -> str:
    return f"{SHARDS_DIR}/shard-{index}-of-{count}.json"


def _open(paths: list[Path]) -> list[Snapshot]:
    if not paths:
        raise MergeError("give the shard snapshots to merge")
    opened = []
    for path in paths:
        try:
            snapshot = Snapshot.open(path)
        except SnapshotError as exc:
            raise MergeError(str(exc)) from None
        problems = verify_snapshot(snapshot)
        if problems:
            raise MergeIntegrityError(path, problems)
        manifest = snapshot.manifest
        if manifest.shard is None:
            raise MergeError(f"{path}: not a shard (collected without --shard K/N)")
        if manifest.incomplete is not None:
            raise MergeError(f"{path}: collection incomplete ({manifest.incomplete.reason}); finish it with --resume")
        if manifest.shard.accounts_seen is None:
            raise MergeError(
                f"{path}: shard {manifest.shard.index}/{manifest.shard.count} could not list the organization's"
                " accounts (see its organizations:ListAccounts error artifact); collect it again"
            )
        opened.append(snapshot)
    return sorted(opened, key=lambda s: s.manifest.shard.index if s.manifest.shard else 0)


def _same(shards: list[Snapshot], what: str, name: str, hint: str) -> None:
    values = {s.root: _value(s.manifest, name) for s in shards}
    if len(set(values.values())) > 1:
        listed = "; ".join(f"{root}: {v}" for root, v in values.items())
        raise MergeError(f"the shards differ in {what} ({listed}); {hint}")


def _value(manifest: Manifest, name: str) -> object:
    if name == "partition":
        return partition_of(manifest.caller_arn or "")
    if name == "accounts_seen":
        return tuple(manifest.shard.accounts_seen or ()) if manifest.shard else ()
    if name == "count":
        return manifest.shard.count if manifest.shard else None
    return getattr(manifest, name)


def _check_fit(shards: list[Snapshot]) -> None:
    for what, name, hint in (
        ("shard count N", "count", "every shard must be collected with the same N"),
        ("period", "period_start", "collect every shard for the same month"),
        ("period", "period_end", "collect every shard for the same month"),
        ("organization", "organization_id", "shards of one organization only"),
        ("partition", "partition", "shards of one partition only"),
        ("reporter version", "tool_version", "collect every shard with the same reporter version"),
        ("snapshot format", "format_version", "collect every shard with the same reporter version"),
        ("previous pack (chain link)", "previous_manifest_sha256", "collect every shard against the same history"),
        ("account list seen", "accounts_seen", "the organization changed between shards; collect them again"),
    ):
        _same(shards, what, name, hint)
    count = shards[0].manifest.shard.count if shards[0].manifest.shard else 0
    indexes = [s.manifest.shard.index for s in shards if s.manifest.shard]
    twice = sorted({i for i in indexes if indexes.count(i) > 1})
    if twice:
        raise MergeError(f"overlap: shard(s) {', '.join(f'{i}/{count}' for i in twice)} given more than once")
    missing = sorted(set(range(1, count + 1)) - set(indexes))
    if missing:
        raise MergeError(f"gap: shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing; give all {count}")
    owner: dict[str, Path] = {}
    for snapshot in shards:
        shard = snapshot.manifest.shard
        assert shard is not None  # _open refuses snapshots that are not shards
        for account in snapshot.manifest.accounts:
            if account.id in owner:
                raise MergeError(f"overlap: account {account.id} is in {owner[account.id]} and {snapshot.root}")
            owner[account.id] = snapshot.root
            if shard_of(account.id, shard.count) != shard.index:
                raise MergeError(
                    f"{snapshot.root}: account {account.id} belongs to shard "
                    f"{shard_of(account.id, shard.count)}/{shard.count}, not {shard.index}/{shard.count}"
                )
    first = shards[0].manifest.shard
    seen = set(first.accounts_seen or ()) if first is not None else set()
    absent = sorted(seen - set(owner))
    if absent:
        raise MergeError(f"gap: account(s) {', '.join(absent[:5])} of the scope are in no shard")
    extra = sorted(set(owner) - seen)
    if extra:
        raise MergeError(f"account(s) {', '.join(extra[:5])} are in a shard but not in the scope it saw")


def merge_snapshots(paths: list[Path], out: Path) -> Manifest:
    """Verify, check and join the shards into a new snapshot at `out`; its manifest is written last."""
    shards = _open(paths)
    _check_fit(shards)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MergeError(f"--out {out}: exists and is not an empty folder; give a new folder")
    artifacts: list[Artifact] = []
    accounts: list[ScopeAccount] = []
    merged_from: list[MergedShard] = []
    written: set[str] = set()
    first_paths = {a.path for a in shards[0].manifest.artifacts if a.status == "ok"}
    for snapshot in shards:
        manifest, shard = snapshot.manifest, snapshot.manifest.shard
        assert shard is not None  # _open refuses snapshots that are not shards
        for artifact in manifest.artifacts:
            # The organization's files are shard 1's; the others' copies of its listing (the
            # account list every shard saw, checked equal) repeat them. Anything else is kept.
            if (
                artifact.account is None
                and artifact.status == "ok"
                and shard.index != 1
                and artifact.path in first_paths
            ):
                continue
            if artifact.status == "ok" and artifact.path is not None:
                if artifact.path in written:
                    raise MergeError(f"{snapshot.root}: {artifact.path} is also in an earlier shard")
                _copy(snapshot, artifact, out)
                written.add(artifact.path)
            artifacts.append(artifact)
        accounts += manifest.accounts
        copy = shard_manifest_path(shard.index, shard.count)
        atomic_write(out / copy, snapshot.manifest_bytes)
        artifacts.append(
            Artifact(
                path=copy,
                sha256=snapshot.digest,
                size=len(snapshot.manifest_bytes),
                api=MERGE_API,
                params={"shard": f"{shard.index}/{shard.count}"},
                collected_at=manifest.collected_at,
                status="ok",
            )
        )
        merged_from.append(
            MergedShard(
                index=shard.index,
                count=shard.count,
                manifest=copy,
                manifest_sha256=snapshot.digest,
                as_of=manifest.as_of,
                collected_at=manifest.collected_at,
                caller_arn=manifest.caller_arn,
                accounts=sorted(a.id for a in manifest.accounts),
            )
        )
    first = shards[0].manifest
    merged = Manifest(
        format_version=first.format_version,
        tool_version=first.tool_version,
        period_start=first.period_start,
        period_end=first.period_end,
        # Ages are measured from the earliest start, as one run's as_of is its start.
        as_of=min(s.manifest.as_of for s in shards),
        collected_at=max(s.manifest.collected_at for s in shards),
        caller_arn=first.caller_arn,
        organization_id=first.organization_id,
        accounts=sorted(accounts, key=lambda a: a.id),
        regions=sorted({r for s in shards for r in s.manifest.regions}),
        artifacts=artifacts,
        previous_manifest_sha256=first.previous_manifest_sha256,
        merged_from=merged_from,
    )
    os.sync()
    atomic_write(out / MANIFEST_NAME, merged.to_bytes())
    return merged


def _copy(snapshot: Snapshot, artifact: Artifact, out: Path) -> None:
    # Verified a moment ago (_open). Not fsynced one by one: the merged snapshot exists only once
    # its manifest is written, after one sync of everything copied (merge_snapshots).
    assert artifact.path is not None  # only ok artifacts are copied
    target = out / artifact.path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(snapshot.root / artifact.path, target)
