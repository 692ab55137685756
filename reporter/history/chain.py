"""Verify the evidence chain of every pack a history recorded, month by month."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reporter.history.records import PackSummary
from reporter.history.store import History
from reporter.snapshot.chain import ChainProblem, ChainReport, verify_chain
from reporter.snapshot.manifest import MANIFEST_NAME


def verify_history_chain(
    history: History,
    scope_key: str,
    *,
    folders: Mapping[str, Path | str] | None = None,
    public_key: Ed25519PublicKey | Path | str | None = None,
) -> ChainReport:
    """Verify every pack of `scope_key` recorded in `history`, oldest first, each from the snapshot
    folder recorded with it (or `folders[manifest digest]`), against the digests the history
    recorded. The history's own links (each pack's previous digest) are checked too."""
    # One pack per month, the latest collection: a re-collected month replaces the earlier one
    # in the chain (the next month's link points at whichever was current when it was built).
    latest: dict[str, PackSummary] = {}
    for pack in history.packs(scope_key):
        latest[pack.month] = pack
    packs = [latest[m] for m in sorted(latest)]
    paths: list[Path] = []
    problems: list[ChainProblem] = []
    for index, pack in enumerate(packs):
        where = (folders or {}).get(pack.manifest_sha256) or pack.snapshot_path
        paths.append(Path(where) if where else Path(f"<no folder recorded for {pack.month}>"))
        if index and pack.previous_manifest_sha256 not in (None, packs[index - 1].manifest_sha256):
            problems.append(
                ChainProblem(
                    index,
                    pack.month,
                    paths[-1],
                    "history",
                    MANIFEST_NAME,
                    f"the history records previous {pack.previous_manifest_sha256} but the pack before it"
                    f" ({packs[index - 1].month}) is {packs[index - 1].manifest_sha256}",
                )
            )
    report = verify_chain(
        paths, public_key=public_key, expected_digests={i: p.manifest_sha256 for i, p in enumerate(packs)}
    )
    merged = sorted((*report.problems, *problems), key=lambda p: (p.index, p.kind != "snapshot", p.path))
    return ChainReport(report.entries, tuple(merged))
