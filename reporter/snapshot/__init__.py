"""The evidence snapshot: raw artifacts as AWS returned them, indexed by a SHA-256 manifest."""

from reporter.snapshot.manifest import Artifact, ArtifactError, Manifest, ScopeAccount
from reporter.snapshot.reader import Snapshot, SnapshotError
from reporter.snapshot.writer import SnapshotWriter

__all__ = [
    "Artifact",
    "ArtifactError",
    "Manifest",
    "ScopeAccount",
    "Snapshot",
    "SnapshotError",
    "SnapshotWriter",
]
