"""Open a snapshot and read its artifacts, refusing bytes that no longer match the manifest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import orjson
from pydantic import ValidationError

from reporter.snapshot.manifest import MANIFEST_NAME, Artifact, Manifest


class SnapshotError(Exception):
    """The snapshot as a whole cannot be used (no manifest, or a manifest that does not parse)."""


class ArtifactUnreadable(Exception):
    """One artifact cannot be used: missing, changed since collection, or collected with an error."""


def _first_validation_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {err['msg']}{more}"


@dataclass(frozen=True)
class Snapshot:
    root: Path
    manifest: Manifest
    manifest_bytes: bytes

    @classmethod
    def open(cls, root: Path | str) -> Snapshot:
        root = Path(root)
        path = root / MANIFEST_NAME
        if not root.is_dir():
            raise SnapshotError(f"{root}: not a folder")
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise SnapshotError(f"{path}: missing; this folder is not a complete snapshot") from None
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise SnapshotError(f"{path}: not valid JSON ({exc})") from None
        try:
            manifest = Manifest.model_validate(data)
        except ValidationError as exc:
            raise SnapshotError(f"{path}: {_first_validation_problem(exc)}") from None
        return cls(root=root, manifest=manifest, manifest_bytes=raw)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of manifest.json: one value that pins every artifact of the snapshot."""
        return hashlib.sha256(self.manifest_bytes).hexdigest()

    @cached_property
    def _by_account(self) -> dict[str | None, list[Artifact]]:
        index: dict[str | None, list[Artifact]] = {}
        for artifact in self.manifest.artifacts:
            index.setdefault(artifact.account, []).append(artifact)
        return index

    def artifacts_of(self, account: str | None, api: str | None = None) -> list[Artifact]:
        """The artifacts of exactly this account (None: the organization-level ones), of one API
        if given, in manifest order. Indexed once: the evidence loader asks for every account and
        API, which as a scan of the manifest is accounts x artifacts (18 million on 1,000 accounts)."""
        mine = self._by_account.get(account, [])
        return list(mine) if api is None else [a for a in mine if a.api == api]

    def read(self, artifact: Artifact) -> bytes:
        if artifact.status != "ok" or artifact.path is None:
            err = artifact.error
            raise ArtifactUnreadable(
                f"{artifact.api} failed during collection" + (f": {err.code}: {err.message}" if err else "")
            )
        try:
            data = (self.root / artifact.path).read_bytes()
        except FileNotFoundError:
            raise ArtifactUnreadable(f"{artifact.path}: file missing from the snapshot") from None
        if hashlib.sha256(data).hexdigest() != artifact.sha256:
            raise ArtifactUnreadable(f"{artifact.path}: SHA-256 differs from the manifest (changed after collection)")
        return data
