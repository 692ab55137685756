"""Recompute every digest of a snapshot and name each file that is modified, missing or unexpected."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from reporter.snapshot.manifest import MANIFEST_NAME, Manifest
from reporter.snapshot.reader import Snapshot

# The detached Ed25519 signature of manifest.json (reporter/signing.py). It cannot be listed in
# the manifest it signs, so it is the one file beside the manifest that is expected, not listed.
SIGNATURE_NAME = MANIFEST_NAME + ".sig"


@dataclass(frozen=True, order=True)
class VerifyProblem:
    path: str
    kind: str  # "modified" | "missing" | "unexpected"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_snapshot(snapshot: Snapshot) -> list[VerifyProblem]:
    problems: list[VerifyProblem] = []
    listed: set[str] = {MANIFEST_NAME, SIGNATURE_NAME}
    if snapshot.manifest.incomplete is not None and snapshot.manifest.incomplete.journal:
        listed.add(snapshot.manifest.incomplete.journal)  # kept for `collect --resume`, named by the manifest
    for artifact in snapshot.manifest.artifacts:
        if artifact.status != "ok" or artifact.path is None:
            continue
        listed.add(artifact.path)
        path = snapshot.root / artifact.path
        if not path.is_file():
            problems.append(VerifyProblem(artifact.path, "missing", "listed in the manifest, not on disk"))
            continue
        size = path.stat().st_size
        actual = _sha256_file(path)
        if actual != artifact.sha256:
            problems.append(
                VerifyProblem(
                    artifact.path,
                    "modified",
                    f"sha256 {actual} (manifest {artifact.sha256}), {size} bytes (manifest {artifact.size})",
                )
            )
    for path in sorted(p for p in snapshot.root.rglob("*") if p.is_file()):
        rel = path.relative_to(snapshot.root).as_posix()
        if rel not in listed:
            problems.append(VerifyProblem(rel, "unexpected", "on disk, not in the manifest"))
    return sorted(problems + shard_pin_problems(snapshot))


def shard_pin_problems(snapshot: Snapshot) -> list[VerifyProblem]:
    """A merged snapshot: every file each shard's manifest lists is listed, with the same digest,
    in the merged one (the shard manifests' own copies are checked as artifacts)."""
    merged_from = snapshot.manifest.merged_from
    if not merged_from:
        return []
    listed = {a.path: a.sha256 for a in snapshot.manifest.artifacts if a.status == "ok" and a.path}
    problems = []
    for shard in merged_from:
        if shard.manifest not in listed:
            problems.append(VerifyProblem(shard.manifest, "missing", "shard manifest not listed in the merged one"))
            continue
        try:
            manifest = Manifest.model_validate_json((snapshot.root / shard.manifest).read_bytes())
        except (OSError, ValueError) as exc:
            problems.append(VerifyProblem(shard.manifest, "modified", f"shard manifest unreadable: {exc}"))
            continue
        for artifact in manifest.artifacts:
            if artifact.status != "ok" or artifact.path is None or artifact.account is None:
                continue
            if listed.get(artifact.path) != artifact.sha256:
                problems.append(
                    VerifyProblem(
                        artifact.path,
                        "modified",
                        f"shard {shard.index}/{shard.count}'s manifest pins sha256 {artifact.sha256},"
                        f" the merged manifest lists {listed.get(artifact.path)}",
                    )
                )
    return problems
