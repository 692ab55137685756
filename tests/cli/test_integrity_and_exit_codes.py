"""Verify before rendering (issue #16): each tamper class stops `report` with exit 5 and nothing
written; --allow-unverified stamps every page; and one test per exit code of the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pypdf
import pytest
from factory import AccountSpec, write_snapshot
from monthly import write_month
from typer.testing import CliRunner

from reporter.cli import crash
from reporter.cli.app import app, cli
from reporter.core.resources import demo_snapshot_dir
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.signing import generate_keypair, sign_manifest

runner = CliRunner()
STAMP = "EVIDENCE FAILED VERIFICATION"


def invoke(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _artifact(snap: Snapshot, api: str) -> Path:
    return snap.root / next(a.path for a in snap.manifest.artifacts if a.api == api and a.path)


def _change_byte(snap: Snapshot) -> str:
    path = _artifact(snap, "iam:GetCredentialReport")
    data = bytearray(path.read_bytes())
    data[-2] ^= 0x01
    path.write_bytes(bytes(data))
    return path.relative_to(snap.root).as_posix()


def _delete(snap: Snapshot) -> str:
    path = _artifact(snap, "iam:GetAccountSummary")
    path.unlink()
    return path.relative_to(snap.root).as_posix()


def _add(snap: Snapshot) -> str:
    (snap.root / "planted.json").write_text("{}")
    return "planted.json"


def _manifest_matched(snap: Snapshot) -> str:
    """The forger's move: change a file and write its new digest into the manifest."""
    changed = _change_byte(snap)
    manifest = orjson.loads((snap.root / "manifest.json").read_bytes())
    import hashlib

    for artifact in manifest["artifacts"]:
        if artifact.get("path") == changed:
            artifact["sha256"] = hashlib.sha256((snap.root / changed).read_bytes()).hexdigest()
    (snap.root / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return "manifest.json.sig"


TAMPERS: dict[str, Callable[[Snapshot], str]] = {
    "changed byte": _change_byte,
    "deleted file": _delete,
    "added file": _add,
    "manifest edited to match (signature)": _manifest_matched,
}


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public, _ = generate_keypair(tmp_path / "k.key")
    return private, public


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_report_refuses_tampered_evidence_and_writes_nothing(
    case: str, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec())
    sign_manifest(snap.root, keys[0])
    culprit = TAMPERS[case](Snapshot.open(snap.root))
    out = tmp_path / "pack"
    result = invoke("report", snap.root, "--out", out, "--no-history", "--public-key", keys[1])
    assert result.exit_code == 5, result.output
    assert culprit in result.output and "no pack written" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


def test_a_changed_file_names_expected_and_actual_digest(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec())
    expected = next(a.sha256 for a in snap.manifest.artifacts if a.api == "iam:GetCredentialReport")
    _change_byte(snap)
    result = invoke("report", snap.root, "--out", tmp_path / "pack", "--no-history")
    assert result.exit_code == 5 and f"(manifest {expected})" in result.output


def test_wrong_public_key_is_an_integrity_failure(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec())
    sign_manifest(snap.root, keys[0])
    _, other, _ = generate_keypair(tmp_path / "other.key")
    result = invoke("report", snap.root, "--out", tmp_path / "pack", "--no-history", "--public-key", other)
    assert result.exit_code == 5 and "manifest.json.sig" in result.output
    assert not (tmp_path / "pack").exists()
    good = invoke("report", snap.root, "--out", tmp_path / "ok", "-f", "json", "--no-history", "--public-key", keys[1])
    assert good.exit_code in (0, 1), good.output
    integrity = json.loads((tmp_path / "ok" / "findings.json").read_text())["integrity"]
    assert integrity["verified"] and integrity["signature_checked"] and integrity["signature_key_id"]


def test_broken_chain_link_is_caught_against_the_history(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    september = write_month(tmp_path / "2026-09", "2026-09")
    assert invoke("report", september.root, "--out", tmp_path / "p9", "-f", "json", "--history", history).exit_code in (
        0,
        1,
    )
    october = write_month(tmp_path / "2026-10", "2026-10", previous=september)
    chained = invoke("report", october.root, "--out", tmp_path / "p10", "-f", "json", "--history", history)
    assert chained.exit_code in (0, 1), chained.output
    assert json.loads((tmp_path / "p10" / "findings.json").read_text())["integrity"]["chain_checked"]
    # A forged October whose link names another manifest than September's pack.
    forged = write_month(tmp_path / "forged", "2026-10")
    manifest = orjson.loads((forged.root / "manifest.json").read_bytes())
    manifest["previous_manifest_sha256"] = "ab" * 32
    (forged.root / "manifest.json").write_bytes(orjson.dumps(manifest))
    result = invoke("report", forged.root, "--out", tmp_path / "pf", "--history", history)
    assert result.exit_code == 5 and "chain" in result.output and september.digest in result.output
    assert not (tmp_path / "pf").exists()


def test_allow_unverified_stamps_every_page_and_exits_5(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec())
    culprit = _change_byte(snap)
    out = tmp_path / "pack"
    result = invoke(
        "report", snap.root, "--out", out, "--no-history", "--allow-unverified", "-f", "pdf", "-f", "json", "-f", "xlsx"
    )
    assert result.exit_code == 5, result.output
    pdf = pypdf.PdfReader(io.BytesIO(next(out.glob("*.pdf")).read_bytes()))
    assert len(pdf.pages) > 3
    for number, page in enumerate(pdf.pages, 1):
        assert STAMP in page.extract_text(), f"page {number} has no stamp"
    assert culprit in pdf.pages[0].extract_text()
    integrity = json.loads((out / "findings.json").read_text())["integrity"]
    assert integrity["verified"] is False and integrity["failures"][0]["path"] == culprit
    from openpyxl import load_workbook

    book = load_workbook(next(out.glob("*.xlsx")), read_only=True)
    values = [str(c) for row in book["Summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert any(STAMP in v for v in values) and any(culprit in v for v in values)


def test_a_verified_pack_carries_no_stamp(tmp_path: Path) -> None:
    result = invoke("demo", "--out", tmp_path, "-f", "pdf")
    assert result.exit_code == 0, result.output
    text = "".join(p.extract_text() for p in pypdf.PdfReader(next(tmp_path.glob("*.pdf"))).pages)
    assert STAMP not in text and "verified before rendering" in text


# ---------------------------------------------------------------------------------- exit codes


def test_exit_0_and_1(tmp_path: Path) -> None:
    clean = write_snapshot(tmp_path / "snap", AccountSpec())
    passing = invoke("report", clean.root, "--out", tmp_path / "a", "-f", "json", "--no-history")
    assert passing.exit_code == 0, passing.output
    failing = invoke("report", demo_snapshot_dir(), "--out", tmp_path / "b", "-f", "json", "--no-history")
    assert failing.exit_code == 1 and "FAIL(s) without a valid exception" in failing.output
    not_a_snapshot = invoke("report", tmp_path / "a", "--out", tmp_path / "c")
    assert not_a_snapshot.exit_code == 2  # a usage error, never 1


def test_exit_2_out_is_a_file_and_unknown_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec())
    (tmp_path / "file").write_text("x")
    result = invoke("report", snap.root, "--out", tmp_path / "file", "--no-history")
    assert result.exit_code == 2 and "is a file, not a folder" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    profile = invoke("collect", "--out", tmp_path / "c", "--profile", "nosuch", "--no-history")
    assert profile.exit_code == 2 and "no such AWS profile" in profile.output
    assert not (tmp_path / "c").exists()


def test_exit_5_from_verify(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec())
    assert invoke("verify", snap.root).exit_code == 0
    _delete(snap)
    assert invoke("verify", snap.root).exit_code == 5


def test_exit_70_one_line_and_a_crash_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def bug(*_: Any, **__: Any) -> None:
        secret = "AKIA-not-on-the-terminal"  # noqa: F841 - a local a pretty traceback would print
        raise KeyError("boom")

    monkeypatch.setattr("reporter.cli.pack_commands.build_pack", bug)
    monkeypatch.setenv(crash.CRASH_DIR_ENV, str(tmp_path / "crashes"))
    monkeypatch.setattr(sys, "argv", ["reporter", "demo", "--out", str(tmp_path / "d")])
    with pytest.raises(SystemExit) as exited:
        cli()
    assert exited.value.code == 70
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out and "AKIA" not in captured.err + captured.out
    assert "internal error: KeyError" in captured.err
    logs = list((tmp_path / "crashes").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in captured.err.replace("\n", "")
    text = logs[0].read_text()
    assert "Traceback" in text and "KeyError: 'boom'" in text and "AKIA" not in text


def test_pretty_exception_locals_are_off() -> None:
    assert app.pretty_exceptions_enable is False and app.pretty_exceptions_show_locals is False


def test_help_and_readme_carry_the_exit_code_table() -> None:
    shown = invoke("--help").output
    for code in (
        "0 every",
        "1 a FAIL",
        "2 usage",
        "3 evidence",
        "4 upload",
        "5 integrity",
        "70 internal",
        "130 collect interrupted",
    ):
        assert code in " ".join(shown.split()), code
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 4 |", "| 5 |", "| 70 |", "| 130 |"):
        assert code in section, code


def test_python_m_reporter_uses_the_same_guard(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reporter", "report", str(tmp_path / "missing"), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
