"""`pack-manifest.json`: the pack pins itself, so an auditor holding PDF + XLSX + JSON can check them.

Written beside the outputs once every one of them is on disk: the SHA-256 and size of each file,
the digest of the snapshot manifest the pack was built from, what was verified of that snapshot,
the tool version, `as_of`, and every input the renderers were given (formats, page size, table
cap, thresholds, each framework file's SHA-256, the attestation and exception files' SHA-256,
whether a history gave the drift). With those inputs `reporter verify PACK --snapshot SNAP`
renders the pack again and compares bytes. The document is deterministic (sorted keys, files
sorted by name, no clock), and signed with the Ed25519 key when one is given
(`pack-manifest.json.sig`, the format of the snapshot's `manifest.json.sig`).

A PDF signed with `--sign-pdf` carries the signer's clock, so its entry also records
`signed_from`: the SHA-256 and size of the rendered revision the signed file starts with; that
revision, not the signed file, is what a re-render must reproduce.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from reporter import __version__
from reporter.pack.model import Pack
from reporter.snapshot.manifest import iso_utc
from reporter.snapshot.writer import atomic_write

PACK_MANIFEST_NAME = "pack-manifest.json"
PACK_SIGNATURE_NAME = PACK_MANIFEST_NAME + ".sig"
PACK_FORMAT = "reporter-pack/1"


@dataclass(frozen=True)
class RenderInputs:
    """What the renderers were given besides the snapshot: enough to render the same bytes again."""

    formats: Sequence[str]
    page_size: str = "A4"
    table_cap: int = 500
    attestations_sha256: str | None = None
    exceptions_sha256: str | None = None
    history: bool = False

    def as_dict(self, model: Pack) -> dict[str, Any]:
        return {
            "formats": list(self.formats),
            "page_size": self.page_size,
            "table_cap": self.table_cap,
            "thresholds": model.thresholds.as_dict(),
            "frameworks": [
                {"id": r.framework.id, "version": r.framework.version, "sha256": r.framework.sha256}
                for r in model.frameworks
            ],
            "attestations_sha256": self.attestations_sha256,
            "exceptions_sha256": self.exceptions_sha256,
            "history": self.history,
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: Path, signed_from: dict[str, Any] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": path.name, "sha256": sha256_file(path), "size": path.stat().st_size}
    if signed_from is not None:
        entry["signed_from"] = signed_from
    return entry


def render_pack_manifest(
    model: Pack, files: Sequence[Path], inputs: RenderInputs, signed_from: Mapping[str, dict[str, Any]] | None = None
) -> bytes:
    """`signed_from`: file name → the rendered revision a signed file grew from."""
    signed_from = signed_from or {}
    manifest = model.snapshot.manifest
    doc = {
        "format": PACK_FORMAT,
        "tool": {"name": "reporter", "version": __version__},
        "period": model.period_label,
        "as_of": iso_utc(manifest.as_of),
        "snapshot": {
            "manifest_sha256": model.snapshot.digest,
            "organization_id": manifest.organization_id,
            "accounts": [a.id for a in manifest.accounts],
        },
        "integrity": model.integrity.as_dict(),
        "render": inputs.as_dict(model),
        "files": [file_entry(p, signed_from.get(p.name)) for p in sorted(files, key=lambda p: p.name)],
    }
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def write_pack_manifest(
    model: Pack,
    out_dir: Path,
    files: Sequence[Path],
    inputs: RenderInputs,
    sign_key: Any = None,
    signed_from: Mapping[str, dict[str, Any]] | None = None,
) -> list[Path]:
    """Write pack-manifest.json (and its .sig with `sign_key`); return the files written."""
    from reporter.snapshot.signing import sign_file  # noqa: PLC0415 - cryptography only when signing

    path = Path(out_dir) / PACK_MANIFEST_NAME
    atomic_write(path, render_pack_manifest(model, files, inputs, signed_from))
    written = [path]
    signature = path.with_name(PACK_SIGNATURE_NAME)
    if sign_key is not None:
        written.append(sign_file(path, sign_key).signature_path)
    else:
        # A signature left from an earlier run would sign other bytes: it goes with its manifest.
        signature.unlink(missing_ok=True)
    return written
