"""Is the evidence a pack is built from the evidence that was collected? Checked before rendering.

Three tests, each only where it can be made: every file's SHA-256 against the manifest (and no
file missing or unlisted); the Ed25519 signature of the manifest when a public key is given; the
chain link (the manifest's `previous_manifest_sha256`) against the previous month's pack of the same
scope when a history holds one. A manifest edited to match a changed file passes the first test and
is caught by the second or the third — which is why a pack says which of them were made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from reporter.snapshot.reader import Snapshot
from reporter.snapshot.signing import SignatureError, verify_manifest_signature
from reporter.snapshot.verify import verify_snapshot

STAMP = "EVIDENCE FAILED VERIFICATION"


@dataclass(frozen=True)
class IntegrityFailure:
    path: str
    problem: str  # modified | missing | unexpected | signature | chain
    detail: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.path}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "problem": self.problem, "detail": self.detail}


@dataclass(frozen=True)
class Integrity:
    """What was checked of the snapshot and what failed; `verified` only when nothing failed."""

    digests_checked: bool = False
    signature_checked: bool = False
    signature_key_id: str | None = None
    chain_checked: bool = False
    failures: tuple[IntegrityFailure, ...] = field(default=())

    @property
    def verified(self) -> bool:
        return self.digests_checked and not self.failures

    def checks(self) -> list[str]:
        """The tests that were made, in words, for the cover and the workbook."""
        done = ["file digests"] if self.digests_checked else []
        done.append(f"signature (key {self.signature_key_id})" if self.signature_checked else "signature not checked")
        done.append("chain link to the previous month" if self.chain_checked else "chain link not checked")
        return done

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "digests_checked": self.digests_checked,
            "signature_checked": self.signature_checked,
            "signature_key_id": self.signature_key_id,
            "chain_checked": self.chain_checked,
            "failures": [f.as_dict() for f in self.failures],
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Integrity:
        """The status a pack recorded (pack-manifest.json), to render that pack again."""
        return cls(
            bool(doc.get("digests_checked")),
            bool(doc.get("signature_checked")),
            doc.get("signature_key_id"),
            bool(doc.get("chain_checked")),
            tuple(
                IntegrityFailure(str(f["path"]), str(f["problem"]), str(f["detail"])) for f in doc.get("failures", ())
            ),
        )


# Built without a check (a pack made in a test or a library call): says so, never "verified".
UNCHECKED = Integrity()


def check_integrity(
    snapshot: Snapshot,
    public_key: Ed25519PublicKey | None = None,
    previous_digest: Callable[[Snapshot], str | None] | None = None,
) -> Integrity:
    """Run every test that can be made. `previous_digest` gives the manifest digest of the previous
    month's pack of the snapshot's scope (from the history), or None when there is none."""
    failures = [IntegrityFailure(p.path, p.kind, p.detail) for p in verify_snapshot(snapshot)]
    key_id = None
    if public_key is not None:
        try:
            key_id = verify_manifest_signature(snapshot.root, public_key).key_id
        except SignatureError as exc:
            failures.append(IntegrityFailure("manifest.json.sig", "signature", str(exc)))
    # A snapshot collected without a history records no link: "not checked", not a failure. A link
    # that names another manifest than the previous pack's is a broken chain.
    recorded = snapshot.manifest.previous_manifest_sha256
    expected = previous_digest(snapshot) if previous_digest is not None and recorded is not None else None
    chain_checked = expected is not None
    if expected is not None:
        if recorded != expected:
            failures.append(
                IntegrityFailure(
                    "manifest.json",
                    "chain",
                    f"previous_manifest_sha256 {recorded}; the previous pack's manifest is {expected}",
                )
            )
    return Integrity(
        digests_checked=True,
        signature_checked=public_key is not None,
        signature_key_id=key_id,
        chain_checked=chain_checked,
        failures=tuple(failures),
    )
