"""`reporter verify PACK_DIR`: what an auditor holding the pack's files can check without trusting us.

1. Every file `pack-manifest.json` lists is there with its SHA-256 and size, and no other pack
   output of that name pattern sits beside them.
2. With a public key, `pack-manifest.json.sig` verifies (who vouches for the pack).
3. The PDF's attachments are the evidence it claims: `manifest.json` hashes to the snapshot digest
   the pack manifest records, and `findings.json` is byte for byte the pack's findings.json.
4. A PDF signed with --sign-pdf: the signature is intact, valid and covers the whole file
   (pyHanko's validator, offline), its certificate chains to a trust root when one is given, a
   timestamp verifies, and the file starts with the rendered revision the pack manifest records.
5. With the snapshot (`--snapshot`), its files verify against its manifest, its digest is the one
   recorded, and rendering it again with the recorded inputs gives the same bytes, file by file
   (for a signed PDF: the bytes of the revision it was signed from).
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from reporter.pack.integrity import Integrity
from reporter.pack.model import Pack
from reporter.publish.pack_manifest import (
    PACK_FORMAT,
    PACK_MANIFEST_NAME,
    PACK_SIGNATURE_NAME,
    sha256_file,
)
from reporter.render.outputs import write_outputs
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot

# Names reporter gives its outputs: such a file beside the pack but not in its manifest was added.
OUTPUT_PATTERNS = (
    "audit-pack-*.pdf",
    "evidence-*.xlsx",
    "evidence-*.csv",
    "findings.json",
    "junit-*.xml",
    "report-*.html",
    "assessment-results-*.oscal.json",
)


class PackManifestError(Exception):
    """pack-manifest.json is missing or is not a reporter pack manifest (the folder is not a pack)."""


@dataclass(frozen=True, order=True)
class PackProblem:
    path: str
    problem: str  # missing | modified | unexpected | signature | pdf-signature | attachment | snapshot | rerender
    detail: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.path}: {self.detail}"


@dataclass
class PackVerification:
    pack_dir: Path
    manifest: dict[str, Any]
    problems: list[PackProblem] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # what passed, in words
    notes: list[str] = field(default_factory=list)  # what could not be checked, and why

    @property
    def ok(self) -> bool:
        return not self.problems


def read_pack_manifest(pack_dir: Path) -> dict[str, Any]:
    path = pack_dir / PACK_MANIFEST_NAME
    if not path.is_file():
        raise PackManifestError(f"{path}: missing; not a reporter pack folder")
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise PackManifestError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != PACK_FORMAT or not isinstance(doc.get("files"), list):
        raise PackManifestError(f"{path}: not a {PACK_FORMAT} pack manifest")
    return doc


def _files(result: PackVerification) -> None:
    listed = {str(f.get("name")) for f in result.manifest["files"]}
    for entry in result.manifest["files"]:
        name = str(entry.get("name"))
        path = result.pack_dir / name
        if "/" in name or name.startswith("."):
            result.problems.append(PackProblem(name, "unexpected", "a file name outside the pack folder"))
        elif not path.is_file():
            result.problems.append(PackProblem(name, "missing", "listed in pack-manifest.json, not on disk"))
        elif (actual := sha256_file(path)) != entry.get("sha256"):
            result.problems.append(
                PackProblem(
                    name,
                    "modified",
                    f"sha256 {actual} (pack manifest {entry.get('sha256')}),"
                    f" {path.stat().st_size} bytes (pack manifest {entry.get('size')})",
                )
            )
    for path in sorted(p for p in result.pack_dir.iterdir() if p.is_file()):
        if path.name not in listed and any(fnmatch.fnmatchcase(path.name, p) for p in OUTPUT_PATTERNS):
            result.problems.append(PackProblem(path.name, "unexpected", "a pack output not in pack-manifest.json"))
    if not any(p.problem in ("missing", "modified") for p in result.problems):
        result.checked.append(f"{len(listed)} file(s) match pack-manifest.json")


def _signature(result: PackVerification, public_key: Any) -> None:
    from reporter.snapshot.signing import SignatureError, verify_file_signature  # noqa: PLC0415

    sig = result.pack_dir / PACK_SIGNATURE_NAME
    if public_key is None:
        result.notes.append(
            "signature not checked: give the signer's public key with --public-key"
            if sig.is_file()
            else "the pack is not signed (report --sign-key): its files are pinned, not who made them"
        )
        return
    try:
        info = verify_file_signature(result.pack_dir / PACK_MANIFEST_NAME, public_key)
    except SignatureError as exc:
        result.problems.append(PackProblem(PACK_SIGNATURE_NAME, "signature", str(exc)))
        return
    result.checked.append(f"signature ok: Ed25519 key {info.key_id}")


def _attachments(result: PackVerification) -> None:
    from pypdf import PdfReader  # noqa: PLC0415 - only packs with a PDF need it
    from pypdf.errors import PyPdfError  # noqa: PLC0415

    digest = result.manifest.get("snapshot", {}).get("manifest_sha256")
    findings = result.pack_dir / "findings.json"
    listed = {str(f.get("name")) for f in result.manifest["files"]}
    for name in sorted(n for n in listed if n.endswith(".pdf") and (result.pack_dir / n).is_file()):
        try:
            attached = PdfReader(io.BytesIO((result.pack_dir / name).read_bytes())).attachments
        except (PyPdfError, ValueError, KeyError, OSError) as exc:
            result.problems.append(PackProblem(name, "attachment", f"the PDF cannot be read ({exc})"))
            continue
        manifests = attached.get("manifest.json", [])
        if len(manifests) != 1:
            result.problems.append(PackProblem(name, "attachment", "no single manifest.json attached"))
        elif (actual := hashlib.sha256(manifests[0]).hexdigest()) != digest:
            result.problems.append(
                PackProblem(name, "attachment", f"attached manifest.json sha256 {actual}, pack is of {digest}")
            )
        attached_findings = attached.get("findings.json", [])
        if len(attached_findings) != 1:
            result.problems.append(PackProblem(name, "attachment", "no single findings.json attached"))
        elif "findings.json" in listed and findings.is_file() and attached_findings[0] != findings.read_bytes():
            result.problems.append(
                PackProblem(name, "attachment", "attached findings.json differs from the pack's findings.json")
            )
        if not any(p.path == name and p.problem == "attachment" for p in result.problems):
            result.checked.append(f"{name}: attachments match snapshot manifest {str(digest)[:16]}… and findings.json")


def _signed_revision(result: PackVerification, name: str, data: bytes, revision: Any) -> None:
    try:
        size = int(revision["size"])
        expected = str(revision["sha256"])
    except (TypeError, KeyError, ValueError):
        result.problems.append(PackProblem(name, "pdf-signature", "signed_from in pack-manifest.json is malformed"))
        return
    if len(data) < size or hashlib.sha256(data[:size]).hexdigest() != expected:
        result.problems.append(
            PackProblem(
                name, "pdf-signature", f"does not start with the rendered revision {expected[:16]}… it was signed from"
            )
        )


def _pdf_signatures(result: PackVerification, trust_roots: list[Any] | None) -> None:
    from reporter.publish import pdf_signature  # noqa: PLC0415 - pyHanko only for signed packs

    for entry in result.manifest["files"]:
        name = str(entry.get("name"))
        path = result.pack_dir / name
        if not name.endswith(".pdf") or not path.is_file():
            continue
        data = path.read_bytes()
        revision = entry.get("signed_from")
        if revision is None:
            if trust_roots:
                result.problems.append(PackProblem(name, "pdf-signature", "not signed, and a trust root was given"))
            continue
        _signed_revision(result, name, data, revision)
        if not pdf_signature.available():
            result.notes.append(f"{name}: PDF signature not checked: {pdf_signature.SIGN_EXTRA_HINT}")
            continue
        try:
            checks = pdf_signature.check_signatures(data, trust_roots)
        except Exception as exc:  # a PDF that cannot be parsed is a finding, whatever raised
            result.problems.append(PackProblem(name, "pdf-signature", f"cannot be read ({type(exc).__name__}: {exc})"))
            continue
        if not checks:
            result.problems.append(
                PackProblem(name, "pdf-signature", "pack-manifest.json records a signature; none found")
            )
        for check in checks:
            for text in check.problems():
                result.problems.append(PackProblem(name, "pdf-signature", f"{check.field}: {text}"))
            if check.ok:
                trust = "chains to the given trust root" if check.trusted else "trust not checked (--pdf-trust-root)"
                stamp = f", timestamp {check.timestamp}" if check.timestamp else ""
                result.checked.append(f"{name}: PAdES signature intact, by {check.signer}; {trust}{stamp}")


def verify_pack(
    pack_dir: Path, *, public_key: Any = None, pdf_trust_roots: list[Any] | None = None
) -> PackVerification:
    """Check a pack folder (steps 1-4 of the module doc). Raises PackManifestError when the
    folder holds no pack manifest; every other problem is in the result."""
    result = PackVerification(Path(pack_dir), read_pack_manifest(Path(pack_dir)))
    _files(result)
    _signature(result, public_key)
    _attachments(result)
    _pdf_signatures(result, pdf_trust_roots)
    result.problems.sort()
    return result


def rerender(result: PackVerification, snapshot: Snapshot, build: Callable[[Snapshot, Integrity], Pack]) -> None:
    """Step 5: `build` makes the Pack from the recorded inputs (the caller loads frameworks,
    attestations and exceptions and checks their digests); its outputs must equal the pack's."""
    recorded = result.manifest.get("snapshot", {}).get("manifest_sha256")
    problems = verify_snapshot(snapshot)
    for problem in problems:
        result.problems.append(PackProblem(f"snapshot/{problem.path}", "snapshot", f"{problem.kind}: {problem.detail}"))
    if snapshot.digest != recorded:
        result.problems.append(
            PackProblem(str(snapshot.root), "snapshot", f"manifest sha256 {snapshot.digest}, the pack is of {recorded}")
        )
    if problems or snapshot.digest != recorded:
        return
    result.checked.append(f"snapshot {snapshot.root}: every artifact matches manifest {snapshot.digest[:16]}…")
    render = result.manifest.get("render", {})
    model = build(snapshot, Integrity.from_dict(result.manifest.get("integrity", {})))
    with tempfile.TemporaryDirectory(prefix="reporter-rerender-") as tmp:
        again = write_outputs(
            model,
            Path(tmp),
            render.get("formats", ()),
            page_size=str(render.get("page_size", "A4")),
            table_cap=int(render.get("table_cap", 500)),
        )
        fresh = {p.name: sha256_file(p) for p in again}
    version = result.manifest.get("tool", {}).get("version")
    for entry in result.manifest["files"]:
        name = str(entry.get("name"))
        revision = entry.get("signed_from")
        recorded_sha = revision.get("sha256") if isinstance(revision, dict) else entry.get("sha256")
        if name not in fresh:
            result.problems.append(PackProblem(name, "rerender", "not produced when the snapshot is rendered again"))
        elif fresh[name] != recorded_sha:
            result.problems.append(
                PackProblem(
                    name,
                    "rerender",
                    f"rendered again: sha256 {fresh[name]}, pack manifest {recorded_sha}"
                    f" (pack made by reporter {version})",
                )
            )
    if not any(p.problem == "rerender" for p in result.problems):
        result.checked.append(f"rendered again from the snapshot: {len(fresh)} file(s) identical byte for byte")
    result.problems.sort()
