"""Verify a chain of monthly snapshots: every file of every month, and every link between months.

Each snapshot's manifest records `previous_manifest_sha256`, the SHA-256 of the previous pack's
manifest.json bytes. Walking the months in order:

1. each snapshot must verify on its own (`verify_snapshot`: every artifact matches its digest,
   nothing missing, nothing unexpected) — a changed byte in an artifact is named here;
2. each month after the first must point at the previous month's manifest digest — a manifest
   rewritten to hide a change (new digests for changed files) is caught here, by the *next*
   month, and reported against the month whose manifest changed;
3. optionally, each manifest's Ed25519 signature (`--public-key`), and, when the chain comes from
   the history database, the digest recorded there for each month — these also protect the
   newest month, which no later link covers.

The report lists every problem and names the **first broken link**: the earliest month with a
problem, and the file that changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reporter.core.period import month_label
from reporter.snapshot.manifest import MANIFEST_NAME
from reporter.snapshot.reader import Snapshot, SnapshotError
from reporter.snapshot.signing import SignatureError, load_public_key, verify_manifest_signature
from reporter.snapshot.verify import SIGNATURE_NAME, verify_snapshot

__all__ = ["ChainEntry", "ChainProblem", "ChainReport", "verify_chain"]


@dataclass(frozen=True)
class ChainProblem:
    """One thing wrong, attributed to the month whose evidence changed."""

    index: int  # position in the chain (0 = oldest)
    month: str  # "YYYY-MM", or "?" when the snapshot cannot be opened
    root: Path
    kind: str  # snapshot | link | signature | history | unreadable | order
    path: str  # the file concerned, relative to the snapshot folder
    detail: str

    def __str__(self) -> str:
        return f"{self.month} ({self.root}): {self.kind}: {self.path}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "month": self.month,
            "root": str(self.root),
            "kind": self.kind,
            "path": self.path,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ChainEntry:
    index: int
    root: Path
    month: str
    manifest_sha256: str | None
    previous_manifest_sha256: str | None
    artifacts: int
    signed_by: str | None = None  # key id, when a signature was verified

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "root": str(self.root),
            "month": self.month,
            "manifest_sha256": self.manifest_sha256,
            "previous_manifest_sha256": self.previous_manifest_sha256,
            "artifacts": self.artifacts,
            "signed_by": self.signed_by,
        }


@dataclass(frozen=True)
class ChainReport:
    entries: tuple[ChainEntry, ...]
    problems: tuple[ChainProblem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_break(self) -> ChainProblem | None:
        """The earliest month with a problem (and, within it, the first problem found)."""
        return min(self.problems, key=lambda p: p.index, default=None)

    def lines(self) -> list[str]:
        out = [str(p) for p in self.problems]
        first = self.first_break
        if first is None:
            out.append(f"ok: {len(self.entries)} snapshot(s), every file and every link verified")
        else:
            out.append(f"first broken link: {first.month}: {first.path} ({first.kind})")
        return out

    def as_dict(self) -> dict[str, Any]:
        first = self.first_break
        return {
            "ok": self.ok,
            "entries": [e.as_dict() for e in self.entries],
            "problems": [p.as_dict() for p in self.problems],
            "first_break": first.as_dict() if first else None,
        }


def _digest(snapshot: Snapshot) -> str:
    return hashlib.sha256(snapshot.manifest_bytes).hexdigest()


def verify_chain(
    folders: Sequence[Path | str],
    *,
    public_key: Ed25519PublicKey | Path | str | None = None,
    expected_digests: Mapping[int, str] | None = None,
) -> ChainReport:
    """Verify snapshot folders given oldest first. `public_key`: also require a valid signature
    on every manifest. `expected_digests[i]`: the manifest digest recorded elsewhere (history)
    for folder i."""
    key = load_public_key(public_key) if isinstance(public_key, (str, Path)) else public_key
    entries: list[ChainEntry] = []
    problems: list[ChainProblem] = []
    previous: tuple[int, Snapshot] | None = None
    for index, folder in enumerate(Path(f) for f in folders):
        try:
            snap = Snapshot.open(folder)
        except SnapshotError as exc:
            problems.append(ChainProblem(index, "?", folder, "unreadable", MANIFEST_NAME, str(exc)))
            entries.append(ChainEntry(index, folder, "?", None, None, 0))
            previous = None  # the next link cannot be checked against an unreadable month
            continue
        manifest = snap.manifest
        month = month_label(manifest.period_start)
        digest = _digest(snap)
        for p in verify_snapshot(snap):
            problems.append(ChainProblem(index, month, folder, "snapshot", p.path, f"{p.kind}: {p.detail}"))
        signed_by = None
        if key is not None:
            try:
                signed_by = verify_manifest_signature(folder, key).key_id
            except SignatureError as exc:
                problems.append(ChainProblem(index, month, folder, "signature", SIGNATURE_NAME, str(exc)))
        expected = (expected_digests or {}).get(index)
        if expected is not None and expected != digest:
            problems.append(
                ChainProblem(
                    index,
                    month,
                    folder,
                    "history",
                    MANIFEST_NAME,
                    f"sha256 {digest} differs from the digest recorded in the history ({expected}):"
                    " manifest.json changed after the pack was recorded",
                )
            )
        if previous is not None:
            prev_index, prev = previous
            prev_month = month_label(prev.manifest.period_start)
            prev_digest = _digest(prev)
            if manifest.period_start <= prev.manifest.period_start:
                problems.append(
                    ChainProblem(
                        index,
                        month,
                        folder,
                        "order",
                        MANIFEST_NAME,
                        f"period {month} does not follow {prev_month}: give the folders oldest first",
                    )
                )
            elif manifest.previous_manifest_sha256 is None:
                problems.append(
                    ChainProblem(
                        index,
                        month,
                        folder,
                        "link",
                        MANIFEST_NAME,
                        "records no previous_manifest_sha256: the chain is not recorded from this month",
                    )
                )
            elif manifest.previous_manifest_sha256 != prev_digest:
                # The link is stored in this month; what no longer matches is the previous
                # month's manifest, so the break is reported there.
                problems.append(
                    ChainProblem(
                        prev_index,
                        prev_month,
                        prev.root,
                        "link",
                        MANIFEST_NAME,
                        f"sha256 {prev_digest} but {month} recorded {manifest.previous_manifest_sha256}:"
                        f" manifest.json of {prev_month} changed after {month} was collected"
                        " (or these are not consecutive packs)",
                    )
                )
        entries.append(
            ChainEntry(
                index,
                folder,
                month,
                digest,
                manifest.previous_manifest_sha256,
                sum(1 for a in manifest.artifacts if a.status == "ok"),
                signed_by,
            )
        )
        previous = (index, snap)
    problems.sort(key=lambda p: (p.index, p.kind != "snapshot", p.path))
    return ChainReport(tuple(entries), tuple(problems))
