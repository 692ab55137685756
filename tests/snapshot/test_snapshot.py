"""The snapshot contract: atomic writes, no secrets, a reader that refuses tampered bytes, verify."""

from __future__ import annotations

import hashlib
from pathlib import Path
from unittest import mock

import orjson
import pytest
from factory import AS_OF, PERIOD, AccountSpec, write_snapshot

from reporter.snapshot.reader import ArtifactUnreadable, Snapshot, SnapshotError
from reporter.snapshot.verify import verify_snapshot
from reporter.snapshot.writer import REDACTED, SnapshotWriter


def _writer(root: Path) -> SnapshotWriter:
    return SnapshotWriter(root, tool_version="t", period_start=PERIOD[0], period_end=PERIOD[1], as_of=AS_OF)


def test_manifest_records_every_artifact_with_digest(tmp_path: Path) -> None:
    snap = write_snapshot(
        tmp_path / "s", AccountSpec(credential_report=None, credential_report_error=("AccessDenied", "nope"))
    )
    by_api = {a.api: a for a in snap.manifest.artifacts}
    summary = by_api["iam:GetAccountSummary"]
    data = (snap.root / summary.path).read_bytes()
    assert summary.sha256 == hashlib.sha256(data).hexdigest() and summary.size == len(data)
    failed = by_api["iam:GetCredentialReport"]
    assert failed.status == "error" and failed.path is None and failed.error.code == "AccessDenied"
    assert snap.digest == hashlib.sha256((snap.root / "manifest.json").read_bytes()).hexdigest()


def test_manifest_bytes_are_canonical(tmp_path: Path) -> None:
    a = write_snapshot(tmp_path / "a", AccountSpec())
    b = write_snapshot(tmp_path / "b", AccountSpec())
    assert a.manifest_bytes == b.manifest_bytes
    assert b'"as_of": "2026-11-01T06:00:00Z"' in a.manifest_bytes


def test_secrets_never_reach_the_disk(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "s")
    writer.add_account("123456789012")
    writer.add_json(
        "x/assume.json",
        {
            "Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s3cr3t", "SessionToken": "t0k3n"},
            "nested": [{"SessionToken": "t0k3n2"}],
        },
        api="sts:AssumeRole",
        collected_at=AS_OF,
    )
    writer.finalize(collected_at=AS_OF)
    text = (tmp_path / "s" / "x" / "assume.json").read_text()
    assert "s3cr3t" not in text and "t0k3n" not in text and REDACTED in text


def test_writer_is_atomic_when_a_write_fails(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "s")
    writer.add_account("123456789012")
    with mock.patch("os.replace", side_effect=OSError("disk full")), pytest.raises(OSError):
        writer.add_bytes("iam/credential_report.csv", b"data", api="iam:GetCredentialReport", collected_at=AS_OF)
    assert [p.name for p in (tmp_path / "s").rglob("*") if p.is_file()] == []
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_writer_refuses_paths_outside_and_existing_snapshot(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "s")
    for bad in ("../evil", "/etc/passwd", "manifest.json"):
        with pytest.raises(ValueError):
            writer.add_bytes(bad, b"", api="x", collected_at=AS_OF)
    write_snapshot(tmp_path / "done")
    with pytest.raises(FileExistsError):
        _writer(tmp_path / "done")


def test_folder_without_manifest_is_not_a_snapshot(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    with pytest.raises(SnapshotError, match="missing"):
        Snapshot.open(tmp_path / "half")


@pytest.mark.parametrize(
    "content, message",
    [
        (b'{"format_version": 1, ', "not valid JSON"),
        (b'{"format_version": 1}', "tool_version"),
    ],
)
def test_broken_manifest_is_one_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "manifest.json").write_bytes(content)
    with pytest.raises(SnapshotError, match=message) as info:
        Snapshot.open(tmp_path)
    assert "\n" not in str(info.value)


def test_reader_refuses_changed_bytes(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "s")
    artifact = next(a for a in snap.manifest.artifacts if a.api == "iam:GetAccountSummary")
    (snap.root / artifact.path).write_bytes(b'{"SummaryMap": {"AccountMFAEnabled": 1}}')
    with pytest.raises(ArtifactUnreadable, match="SHA-256 differs"):
        snap.read(artifact)


def test_verify_names_modified_missing_and_unexpected(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "s")
    assert verify_snapshot(snap) == []
    paths = {a.api: a.path for a in snap.manifest.artifacts}
    (snap.root / paths["iam:GetAccountSummary"]).write_text("{}")
    (snap.root / paths["iam:GetAccountPasswordPolicy"]).unlink()
    (snap.root / "accounts" / "stray.txt").write_text("x")
    problems = {(p.kind, p.path) for p in verify_snapshot(snap)}
    assert problems == {
        ("modified", paths["iam:GetAccountSummary"]),
        ("missing", paths["iam:GetAccountPasswordPolicy"]),
        ("unexpected", "accounts/stray.txt"),
    }


def test_manifest_is_valid_json_with_contract_fields(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "s")
    data = orjson.loads(snap.manifest_bytes)
    assert {
        "format_version",
        "tool_version",
        "period_start",
        "period_end",
        "as_of",
        "collected_at",
        "caller_arn",
        "accounts",
        "regions",
        "artifacts",
    } <= set(data)
    assert {"path", "sha256", "size", "api", "params", "account", "region", "collected_at", "status"} <= set(
        data["artifacts"][0]
    )
