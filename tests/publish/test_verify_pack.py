"""The pack pins itself (issue #16): pack-manifest.json lists every output by SHA-256, and
`reporter verify PACK_DIR` names the file an auditor must not trust."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from factory import AccountSpec, cr_row, report, write_snapshot
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.publish.pack_manifest import PACK_MANIFEST_NAME, sha256_file
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.signing import generate_keypair

runner = CliRunner()
XLSX = "evidence-2026-10.xlsx"
PDF = "audit-pack-2026-10.pdf"


def invoke(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One snapshot, a key pair, and a signed pack of it with every format (rendered once)."""
    base = tmp_path_factory.mktemp("pack")
    snap = write_snapshot(base / "snap", AccountSpec())
    generate_keypair(base / "k.key")
    generate_keypair(base / "other.key")
    report = invoke(
        "report", snap.root, "--out", base / "pack", "--no-history", "--fail-on", "never",
        "-f", "json", "-f", "xlsx", "-f", "csv", "-f", "pdf", "--sign-key", base / "k.key",
    )  # fmt: skip
    assert report.exit_code == 0, report.output
    return {"base": base, "snap": snap.root, "pack": base / "pack"}


@pytest.fixture
def pack(made: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the pack each test may tamper with."""
    return Path(shutil.copytree(made["pack"], tmp_path / "pack"))


def _manifest(pack: Path) -> dict[str, Any]:
    return json.loads((pack / PACK_MANIFEST_NAME).read_text())


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _repin(pack: Path, name: str) -> None:
    """The forger's move: write the changed file's new digest into pack-manifest.json."""
    doc = _manifest(pack)
    for entry in doc["files"]:
        if entry["name"] == name:
            entry["sha256"], entry["size"] = sha256_file(pack / name), (pack / name).stat().st_size
    (pack / PACK_MANIFEST_NAME).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def test_pack_manifest_pins_every_output_and_the_snapshot(made: dict[str, Path]) -> None:
    pack, snap = made["pack"], Snapshot.open(made["snap"])
    doc = _manifest(pack)
    outputs = sorted(p.name for p in pack.iterdir() if p.name not in (PACK_MANIFEST_NAME, PACK_MANIFEST_NAME + ".sig"))
    assert [f["name"] for f in doc["files"]] == outputs
    assert {PDF, XLSX, "findings.json"} <= set(outputs) and any(n.endswith(".csv") for n in outputs)
    for entry in doc["files"]:
        assert entry["sha256"] == sha256_file(pack / entry["name"])
        assert entry["size"] == (pack / entry["name"]).stat().st_size
    assert doc["snapshot"]["manifest_sha256"] == snap.digest
    assert doc["as_of"] == "2026-11-01T06:00:00Z" and doc["period"] == "2026-10"
    assert doc["integrity"]["verified"] is True and doc["tool"]["name"] == "reporter"
    assert doc["render"]["formats"] == ["json", "xlsx", "csv", "pdf"]
    assert (pack / (PACK_MANIFEST_NAME + ".sig")).is_file()


def test_same_snapshot_same_pack_manifest(made: dict[str, Path], tmp_path: Path) -> None:
    again = invoke("report", made["snap"], "--out", tmp_path, "--no-history", "--fail-on", "never", "-f", "json")
    assert again.exit_code == 0, again.output
    first = invoke("report", made["snap"], "--out", tmp_path / "b", "--no-history", "--fail-on", "never", "-f", "json")
    assert first.exit_code == 0
    assert (tmp_path / PACK_MANIFEST_NAME).read_bytes() == (tmp_path / "b" / PACK_MANIFEST_NAME).read_bytes()
    # an unsigned pack written over a signed one does not keep the old signature
    assert not (tmp_path / (PACK_MANIFEST_NAME + ".sig")).exists()


def test_fresh_pack_verifies_with_signature_attachments_and_rerender(made: dict[str, Path], pack: Path) -> None:
    result = invoke("verify", pack, "--public-key", made["base"] / "k.key.pub", "--snapshot", made["snap"])
    assert result.exit_code == 0, result.output
    assert "signature ok: Ed25519 key" in result.output
    assert f"{PDF}: attachments match snapshot manifest" in result.output
    assert "file(s) identical byte for byte" in result.output


def test_one_changed_byte_of_the_workbook_fails_naming_it(pack: Path) -> None:
    _flip_byte(pack / XLSX)
    result = invoke("verify", pack)
    assert result.exit_code == 5
    assert f"modified: {XLSX}: sha256 " in result.output
    assert "problem(s) in pack" in result.output


def test_deleted_and_added_outputs_are_named(pack: Path) -> None:
    (pack / "findings.json").unlink()
    (pack / "evidence-2026-10-planted.csv").write_text("a,b\n")
    result = invoke("verify", pack)
    assert result.exit_code == 5
    assert "missing: findings.json: listed in pack-manifest.json, not on disk" in result.output
    assert "unexpected: evidence-2026-10-planted.csv: a pack output not in pack-manifest.json" in result.output


def test_a_repinned_forgery_is_caught_by_the_signature_and_by_rendering_again(
    made: dict[str, Path], pack: Path
) -> None:
    _flip_byte(pack / XLSX)
    _repin(pack, XLSX)
    assert invoke("verify", pack).exit_code == 0  # digests alone cannot tell: they were rewritten
    signed = invoke("verify", pack, "--public-key", made["base"] / "k.key.pub")
    assert signed.exit_code == 5 and "pack-manifest.json: changed after it was signed" in signed.output
    again = invoke("verify", pack, "--snapshot", made["snap"])
    assert again.exit_code == 5 and f"rerender: {XLSX}: rendered again: sha256" in again.output


def test_wrong_public_key_is_named(made: dict[str, Path], pack: Path) -> None:
    result = invoke("verify", pack, "--public-key", made["base"] / "other.key.pub")
    assert result.exit_code == 5 and "(wrong key)" in result.output


def test_findings_swapped_under_the_pdf_are_caught_by_its_attachment(pack: Path) -> None:
    doc = json.loads((pack / "findings.json").read_text())
    doc["findings"] = [f for f in doc["findings"] if f["status"] != "FAIL"]
    (pack / "findings.json").write_text(json.dumps(doc))
    _repin(pack, "findings.json")
    result = invoke("verify", pack)
    assert result.exit_code == 5
    assert f"attachment: {PDF}: attached findings.json differs from the pack's findings.json" in result.output


def test_another_snapshot_is_refused(made: dict[str, Path], pack: Path, tmp_path: Path) -> None:
    other = write_snapshot(tmp_path / "other", AccountSpec(credential_report=report(cr_row(mfa="false"))))
    result = invoke("verify", pack, "--snapshot", other.root)
    assert result.exit_code == 5
    assert f"manifest sha256 {other.digest}, the pack is of" in result.output


def test_tampered_snapshot_is_named_before_any_rerender(made: dict[str, Path], pack: Path, tmp_path: Path) -> None:
    snap = Path(shutil.copytree(made["snap"], tmp_path / "snap"))
    victim = next(p for p in sorted(snap.rglob("*.csv")))
    _flip_byte(victim)
    result = invoke("verify", pack, "--snapshot", snap)
    assert result.exit_code == 5
    assert f"snapshot: snapshot/{victim.relative_to(snap).as_posix()}: modified" in result.output
    assert "rendered again" not in result.output


def test_rerender_asks_for_the_inputs_the_pack_was_built_with(made: dict[str, Path], tmp_path: Path) -> None:
    exceptions = tmp_path / "exceptions.yaml"
    exceptions.write_text("acceptances: []\n")
    built = invoke(
        "report", made["snap"], "--out", tmp_path / "p", "--no-history", "--fail-on", "never", "-f", "json",
        "--exceptions", exceptions,
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    missing = invoke("verify", tmp_path / "p", "--snapshot", made["snap"])
    assert missing.exit_code == 2 and "give that file with --exceptions" in missing.output
    given = invoke("verify", tmp_path / "p", "--snapshot", made["snap"], "--exceptions", exceptions)
    assert given.exit_code == 0, given.output


def test_a_folder_without_pack_manifest_is_still_verified_as_a_snapshot(made: dict[str, Path]) -> None:
    assert invoke("verify", made["snap"]).exit_code == 0
    refused = invoke("verify", made["snap"], "--snapshot", made["snap"])
    assert refused.exit_code == 2 and "--snapshot goes with a pack folder" in refused.output
    no_pdf = invoke("verify", made["snap"], "--pdf-trust-root", made["snap"] / "manifest.json")
    assert no_pdf.exit_code == 2 and "--pdf-trust-root goes with a pack folder" in no_pdf.output
