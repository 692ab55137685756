"""The evidence chain across months and Ed25519 signatures of the manifest."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from monthly import MONTHS, accounts_for, write_chain, write_month

from reporter.core.resources import demo_snapshot_dir
from reporter.history.chain import verify_history_chain
from reporter.history.store import History
from reporter.pack.model import build_pack
from reporter.pack.record import pack_record
from reporter.snapshot.chain import verify_chain
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.signing import SignatureError, generate_keypair, sign_manifest, verify_manifest_signature
from reporter.snapshot.verify import SIGNATURE_NAME, verify_snapshot


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


# -- the manifest field -------------------------------------------------------------------------


def test_previous_digest_is_in_the_manifest_only_when_set(tmp_path: Path) -> None:
    snaps = write_chain(tmp_path)
    assert b"previous_manifest_sha256" not in snaps[0].manifest_bytes
    assert snaps[0].manifest.previous_manifest_sha256 is None
    assert snaps[1].manifest.previous_manifest_sha256 == snaps[0].digest
    assert f'"previous_manifest_sha256": "{snaps[1].digest}"'.encode() in snaps[2].manifest_bytes
    # Snapshots written before the chain existed keep their bytes (and so their digest).
    demo = Snapshot.open(demo_snapshot_dir())
    assert demo.manifest.to_bytes() == demo.manifest_bytes


# -- the chain --------------------------------------------------------------------------------


def test_an_untouched_chain_verifies(tmp_path: Path) -> None:
    write_chain(tmp_path)
    report = verify_chain([tmp_path / m for m in MONTHS])
    assert report.ok and report.first_break is None
    assert [e.month for e in report.entries] == list(MONTHS)
    assert report.lines()[-1] == "ok: 3 snapshot(s), every file and every link verified"


def test_a_changed_byte_in_the_middle_month_is_named(tmp_path: Path) -> None:
    write_chain(tmp_path)
    changed = "accounts/111111111111/iam/credential_report.csv"
    _flip_byte(tmp_path / "2026-10" / changed)
    report = verify_chain([tmp_path / m for m in MONTHS])
    assert not report.ok
    first = report.first_break
    assert (first.month, first.path, first.kind) == ("2026-10", changed, "snapshot")
    assert first.detail.startswith("modified: sha256")
    assert [p.month for p in report.problems] == ["2026-10"]
    assert report.lines()[-1] == f"first broken link: 2026-10: {changed} (snapshot)"


def test_a_rewritten_middle_manifest_is_caught_by_the_next_link(tmp_path: Path) -> None:
    """Someone edits an artifact and rewrites the month's manifest so that month verifies alone;
    the next month's recorded digest no longer matches, and the break is named at the edited month."""
    snaps = write_chain(tmp_path)
    middle = tmp_path / "2026-10"
    path = "accounts/222222222222/iam/account_summary.json"
    (middle / path).write_text('{"SummaryMap": {"AccountMFAEnabled": 1}}\n')
    forged = snaps[1].manifest.model_copy(
        update={
            "artifacts": [
                a.model_copy(
                    update={
                        "sha256": hashlib.sha256((middle / path).read_bytes()).hexdigest(),
                        "size": (middle / path).stat().st_size,
                    }
                )
                if a.path == path
                else a
                for a in snaps[1].manifest.artifacts
            ]
        }
    )
    (middle / "manifest.json").write_bytes(forged.to_bytes())
    assert verify_snapshot(Snapshot.open(middle)) == []  # alone, the forged month looks fine
    report = verify_chain([tmp_path / m for m in MONTHS])
    first = report.first_break
    assert (first.month, first.path, first.kind) == ("2026-10", "manifest.json", "link")
    assert "manifest.json of 2026-10 changed after 2026-11 was collected" in first.detail


def test_chain_reports_unlinked_out_of_order_and_unreadable_months(tmp_path: Path) -> None:
    snaps = write_chain(tmp_path / "c")
    unlinked = write_month(tmp_path / "u", "2026-12", accounts_for("2026-11"))  # no previous digest
    report = verify_chain([snaps[2].root, unlinked.root])
    assert report.first_break.kind == "link" and "records no previous_manifest_sha256" in report.first_break.detail
    report = verify_chain([snaps[1].root, snaps[0].root])
    assert report.first_break.kind == "order"
    (tmp_path / "empty").mkdir()
    report = verify_chain([snaps[0].root, tmp_path / "empty", snaps[2].root])
    assert (report.first_break.index, report.first_break.kind) == (1, "unreadable")


def test_history_chain_protects_the_newest_month(tmp_path: Path) -> None:
    """No later link covers the newest month; the digest recorded in the history does."""
    snaps = write_chain(tmp_path / "c")
    with History(tmp_path / "h.db") as history:
        for snap in snaps:
            history.record(pack_record(build_pack(snap), snapshot_path=snap.root))
        assert verify_history_chain(history, "org:o-test").ok
        last = snaps[2].root / "manifest.json"
        data = json.loads(last.read_bytes())
        data["caller_arn"] = "arn:aws:iam::111111111111:role/someone-else"
        last.write_bytes(Snapshot.open(snaps[2].root).manifest.model_validate(data).to_bytes())
        assert verify_chain([s.root for s in snaps]).ok  # the folders alone cannot tell
        report = verify_history_chain(history, "org:o-test")
        assert (report.first_break.month, report.first_break.kind, report.first_break.path) == (
            "2026-11",
            "history",
            "manifest.json",
        )


# -- signatures -------------------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public, key_id = generate_keypair(tmp_path / "keys" / "reporter.key")
    assert public == tmp_path / "keys" / "reporter.key.pub" and len(key_id) == 64
    return private, public


def test_keygen_writes_a_private_key_only_its_owner_can_read(keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    with pytest.raises(SignatureError, match="already exists; refusing to overwrite"):
        generate_keypair(private)
    # No temporary file left behind.
    assert sorted(p.name for p in private.parent.iterdir()) == ["reporter.key", "reporter.key.pub"]


def test_sign_and_verify_roundtrip(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    snap = write_month(tmp_path / "s", "2026-10")
    info = sign_manifest(snap.root, private)
    assert info.manifest_sha256 == snap.digest and (snap.root / SIGNATURE_NAME).is_file()
    assert verify_manifest_signature(snap.root, public).key_id == info.key_id
    # The signature file is expected beside the manifest, not an unexpected file.
    assert verify_snapshot(Snapshot.open(snap.root)) == []
    # And the chain verifier checks it when given the public key.
    assert verify_chain([snap.root], public_key=public).entries[0].signed_by == info.key_id


def test_tamper_wrong_key_and_missing_signature_are_named(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    snap = write_month(tmp_path / "s", "2026-10")
    sign_manifest(snap.root, private)
    _, other_public, _ = generate_keypair(tmp_path / "other.key")
    with pytest.raises(
        SignatureError, match=r"signed with key [0-9a-f]{16}…, not with the given public key.*wrong key"
    ):
        verify_manifest_signature(snap.root, other_public)
    with pytest.raises(SignatureError, match="this is a private key; give the public key"):
        verify_manifest_signature(snap.root, private)
    with pytest.raises(SignatureError, match="this is a public key; signing needs the private key"):
        sign_manifest(snap.root, public)
    manifest = snap.root / "manifest.json"
    original = manifest.read_bytes()
    manifest.write_bytes(original.replace(b"2026-11-01T06:00:00Z", b"2026-11-02T06:00:00Z", 1))
    with pytest.raises(SignatureError, match=r"manifest.json: changed after it was signed"):
        verify_manifest_signature(snap.root, public)
    manifest.write_bytes(original)
    sig = snap.root / SIGNATURE_NAME
    doc = json.loads(sig.read_text())
    raw = bytearray(base64.b64decode(doc["signature"]))
    raw[0] ^= 0x01
    doc["signature"] = base64.b64encode(bytes(raw)).decode()
    sig.write_text(json.dumps(doc))
    with pytest.raises(SignatureError, match="signature does not verify"):
        verify_manifest_signature(snap.root, public)
    sig.write_text("not json")
    with pytest.raises(SignatureError, match="not a reporter signature file"):
        verify_manifest_signature(snap.root, public)
    sig.unlink()
    with pytest.raises(SignatureError, match=r"manifest.json.sig: missing; the snapshot is not signed"):
        verify_manifest_signature(snap.root, public)
    report = verify_chain([snap.root], public_key=public)
    assert report.first_break.kind == "signature" and report.first_break.path == SIGNATURE_NAME
    with pytest.raises(SignatureError, match="public key not found"):
        verify_manifest_signature(snap.root, tmp_path / "nope.pub")


def test_passphrase_protected_key(tmp_path: Path) -> None:
    private, public, _ = generate_keypair(tmp_path / "k", passphrase=b"correct horse")
    assert b"ENCRYPTED" in private.read_bytes()
    snap = write_month(tmp_path / "s", "2026-10")
    with pytest.raises(SignatureError, match="k: Password was not given but private key is encrypted"):
        sign_manifest(snap.root, private)
    with pytest.raises(SignatureError, match="wrong passphrase"):
        sign_manifest(snap.root, private, passphrase=b"wrong")
    sign_manifest(snap.root, private, passphrase=b"correct horse")
    verify_manifest_signature(snap.root, public)
