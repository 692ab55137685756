"""Signed PDF (issue #16, item 5): `report --sign-pdf CERT.p12 [--tsa-url URL]` signs the pack's PDF
(PAdES, PDF/A-3b kept) with a certificate made here, pyHanko's own validator accepts it, and
`verify PACK_DIR` checks it — trust root, timestamp, and bytes added or changed after signing."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from factory import AccountSpec, write_snapshot
from pki import PASSPHRASE, Pki, make_pki, timestamp_authority
from pypdf import PdfReader
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.publish.pack_manifest import PACK_MANIFEST_NAME, sha256_file

pytest.importorskip("pyhanko")

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

runner = CliRunner()
PDF = "audit-pack-2026-10.pdf"


def invoke(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def report(snap: Path, out: Path, *extra: Any) -> Any:
    return invoke("report", snap, "--out", out, "--no-history", "--fail-on", "never", "-f", "json", "-f", "pdf", *extra)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A snapshot, a CA with a signer and a TSA, the pack unsigned, signed, and signed with a timestamp."""
    base = tmp_path_factory.mktemp("signed")
    snap = write_snapshot(base / "snap", AccountSpec()).root
    pki = make_pki(base / "pki")
    mp = pytest.MonkeyPatch()
    mp.setenv("REPORTER_SIGN_PDF_PASSPHRASE", PASSPHRASE.decode())
    try:
        plain = report(snap, base / "plain")
        signed = report(snap, base / "signed", "--sign-pdf", pki.p12)
        with timestamp_authority(pki) as url:
            stamped = report(snap, base / "stamped", "--sign-pdf", pki.p12, "--tsa-url", url)
    finally:
        mp.undo()
    for result in (plain, signed, stamped):
        assert result.exit_code == 0, result.output
    assert "signed audit-pack-2026-10.pdf: PAdES, by" in signed.output
    return {"base": base, "snap": snap, "pki": pki, **{k: base / k for k in ("plain", "signed", "stamped")}}


def _status(pdf: Path, pki: Pki) -> Any:
    from pyhanko.keys import load_cert_from_pemder

    reader = PdfFileReader(io.BytesIO(pdf.read_bytes()))
    (embedded,) = reader.embedded_signatures
    roots = [load_cert_from_pemder(str(pki.ca_pem))]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return embedded, validate_pdf_signature(embedded, signer_validation_context=context, ts_validation_context=context)


def test_pyhanko_validates_the_pades_signature_against_the_test_ca(made: dict[str, Any]) -> None:
    embedded, status = _status(made["signed"] / PDF, made["pki"])
    assert status.bottom_line, status.pretty_print_details()
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert "Pack Signer" in status.signing_cert.subject.human_friendly
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7
    assert status.timestamp_validity is None  # no --tsa-url: PAdES B-B


def test_tsa_url_adds_an_rfc3161_timestamp_that_validates(made: dict[str, Any]) -> None:
    _, status = _status(made["stamped"] / PDF, made["pki"])
    assert status.bottom_line, status.pretty_print_details()
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert "Test TSA" in stamp.signing_cert.subject.human_friendly


def pdfa_identification(xmp: bytes) -> tuple[str, str]:
    """(part, conformance) from XMP, whichever RDF form the writer chose (WeasyPrint writes
    elements, pyHanko rewrites them as attributes)."""
    ns = "{http://www.aiim.org/pdfa/ns/id/}"
    found: dict[str, str] = {}
    for node in ElementTree.fromstring(xmp.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0]).iter():
        for name in ("part", "conformance"):
            value = node.attrib.get(ns + name) or (node.text if node.tag == ns + name else None)
            if value:
                found[name] = value.strip()
    return found.get("part", ""), found.get("conformance", "")


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils' pdfsig not installed")
def test_a_second_reader_poppler_shows_the_signature_valid_over_the_whole_document(made: dict[str, Any]) -> None:
    shown = subprocess.run(["pdfsig", made["stamped"] / PDF], capture_output=True, text=True, check=False).stdout
    assert "Signature Field Name: reporter-pack-signature" in shown
    assert "Signer Certificate Common Name: Pack Signer" in shown
    assert "Signature Type: ETSI.CAdES.detached" in shown and "Signing Hash Algorithm: SHA-256" in shown
    assert "Total document signed" in shown and "Signature Validation: Signature is Valid." in shown


def test_the_signature_is_an_update_of_the_rendered_pdf_which_stays_pdfa3b(made: dict[str, Any]) -> None:
    rendered = (made["plain"] / PDF).read_bytes()
    signed = (made["signed"] / PDF).read_bytes()
    assert signed.startswith(rendered) and len(signed) > len(rendered)
    entry = next(f for f in json.loads((made["signed"] / PACK_MANIFEST_NAME).read_text())["files"] if f["name"] == PDF)
    assert entry["signed_from"] == {"sha256": hashlib.sha256(rendered).hexdigest(), "size": len(rendered)}
    assert entry["sha256"] == sha256_file(made["signed"] / PDF)
    reader = PdfReader(io.BytesIO(signed))
    root = reader.trailer["/Root"]
    assert pdfa_identification(root["/Metadata"].get_object().get_data()) == ("3", "B")
    assert "/Encrypt" not in reader.trailer
    (field,) = root["/AcroForm"]["/Fields"]
    widget = field.get_object()
    flags = int(widget["/F"])
    # PDF/A-3 §6.3.2: annotations print and are never hidden or invisible
    assert flags & 4 and not flags & (1 | 2 | 32)
    assert [float(v) for v in widget["/Rect"]] == [0, 0, 0, 0]  # no appearance needed, no font to embed
    assert set(reader.attachments) == {"manifest.json", "findings.json"}  # the evidence is still attached


def test_verify_pack_checks_the_signature_trust_and_rerender(made: dict[str, Any]) -> None:
    trusted = invoke("verify", made["stamped"], "--pdf-trust-root", made["pki"].ca_pem, "--snapshot", made["snap"])
    assert trusted.exit_code == 0, trusted.output
    assert f"{PDF}: PAdES signature intact, by" in trusted.output
    assert "chains to the given trust root, timestamp 20" in trusted.output
    assert "file(s) identical byte for byte" in trusted.output  # the rendered revision re-renders
    untrusted = invoke("verify", made["signed"])
    assert untrusted.exit_code == 0 and "trust not checked (--pdf-trust-root)" in untrusted.output


def test_another_ca_does_not_vouch_for_the_signer(made: dict[str, Any]) -> None:
    other = make_pki(made["base"] / "other", "Some Other CA")
    result = invoke("verify", made["signed"], "--pdf-trust-root", other.ca_pem)
    assert result.exit_code == 5
    assert "the certificate does not chain to the given trust root" in result.output


def test_an_unsigned_pdf_fails_when_a_trust_root_is_required(made: dict[str, Any]) -> None:
    result = invoke("verify", made["plain"], "--pdf-trust-root", made["pki"].ca_pem)
    assert result.exit_code == 5 and f"pdf-signature: {PDF}: not signed, and a trust root was given" in result.output


def _repinned_copy(made: dict[str, Any], tmp_path: Path, change: Any) -> Path:
    """The forger's move on a signed pack: change the PDF, then write its new digest into the pack manifest."""
    pack = Path(shutil.copytree(made["signed"], tmp_path / "pack"))
    pdf = pack / PDF
    pdf.write_bytes(change(pdf.read_bytes()))
    doc = json.loads((pack / PACK_MANIFEST_NAME).read_text())
    for entry in doc["files"]:
        if entry["name"] == PDF:
            entry["sha256"], entry["size"] = sha256_file(pdf), pdf.stat().st_size
    (pack / PACK_MANIFEST_NAME).write_text(json.dumps(doc))
    return pack


def test_bytes_appended_after_signing_are_caught(made: dict[str, Any], tmp_path: Path) -> None:
    pack = _repinned_copy(made, tmp_path, lambda data: data + b"\n% a later revision\n")
    result = invoke("verify", pack)
    assert result.exit_code == 5
    assert "bytes were added after the signature" in result.output


def test_a_byte_changed_inside_the_signed_range_is_caught(made: dict[str, Any], tmp_path: Path) -> None:
    def flip(data: bytes) -> bytes:
        changed = bytearray(data)
        changed[len(data) // 3] ^= 0x01  # inside the rendered revision, far from the signature's /Contents
        return bytes(changed)

    result = invoke("verify", _repinned_copy(made, tmp_path, flip))
    assert result.exit_code == 5
    assert "the signed bytes changed after signing" in result.output
    assert "does not start with the rendered revision" in result.output


def test_a_wrong_passphrase_is_one_line_and_writes_nothing(made: dict[str, Any], tmp_path: Path) -> None:
    result = report(made["snap"], tmp_path / "out", "--sign-pdf", made["pki"].p12)  # no passphrase in the env
    assert result.exit_code == 2
    assert "not a PKCS#12 file, or the passphrase is wrong (passphrase: $REPORTER_SIGN_PDF_PASSPHRASE)" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_tsa_url_needs_sign_pdf(made: dict[str, Any], tmp_path: Path) -> None:
    result = report(made["snap"], tmp_path / "out", "--tsa-url", "http://127.0.0.1:1/")
    assert result.exit_code == 2 and "--tsa-url timestamps a PDF signature: give --sign-pdf" in result.output


def test_an_unreachable_tsa_leaves_no_unsigned_pack(
    made: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("REPORTER_SIGN_PDF_PASSPHRASE", PASSPHRASE.decode())
    out = tmp_path / "out"
    result = report(made["snap"], out, "--sign-pdf", made["pki"].p12, "--tsa-url", f"http://127.0.0.1:{port}/")
    assert result.exit_code == 2, result.output
    assert f"{PDF}: not signed:" in result.output and "no pack written" in result.output
    assert sorted(p.name for p in out.iterdir()) == []


def test_without_the_sign_extra_the_hint_names_it(
    made: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyhanko.sign.signers", None)  # import fails as if not installed
    result = report(made["snap"], tmp_path / "out", "--sign-pdf", made["pki"].p12)
    assert result.exit_code == 2
    assert "PDF signatures need pyHanko: install the [sign] extra" in result.output
    verify = invoke("verify", made["signed"])
    assert verify.exit_code == 0 and "PDF signature not checked: install the [sign] extra" in verify.output
