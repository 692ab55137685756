"""findings.json (schema, byte stability) and the command line, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import moto_demo_org as org
import orjson
from factory import AccountSpec, write_snapshot
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.core.resources import demo_exceptions_file, demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.render.json_report import render_json
from reporter.snapshot.reader import Snapshot

runner = CliRunner()


def test_demo_findings_cover_every_automated_status_and_the_scenario(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = orjson.loads((tmp_path / "findings.json").read_bytes())
    assert doc["schema_version"] == "1.7" and doc["generated_by"]["name"] == "reporter"
    # no history for the demo (reproducible): its drift is a baseline
    assert doc["drift"]["baseline"] is True and doc["drift"]["counts"]["new"] == 0
    # A FAIL under a framework row's own limits (PCI DSS 8.2.6) is a FAIL like any other.
    assert doc["risk_acceptances"]["unaccepted_fails"] == sum(
        f["status"] == "FAIL" for f in doc["findings"] + doc["framework_findings"]
    ) - sum(d["state"] == "accepted" for d in doc["risk_acceptances"]["decisions"])
    assert {f["status"] for f in doc["findings"]} == {"PASS", "FAIL", "NOT_ASSESSED", "NOT_APPLICABLE"}
    # mostly compliant: the FAILs are the scenario's few realistic failures, nothing else
    fails = {
        # the resource's last part: "root" of a root ARN, a user name, or the account id
        (f["account_id"], f["check_id"], f["resource"].rsplit("/", 1)[-1].rsplit(":", 1)[-1])
        for f in doc["findings"]
        if f["status"] == "FAIL"
    }
    assert fails == {
        (org.MGMT, "root_not_used", "root"),  # the break-glass sign-in, accepted below
        (org.SANDBOX_ML, "root_no_access_keys", "root"),
        (org.SHARED, "iam_access_keys_rotated", "ci-legacy"),
        (org.NETWORK, "root_usage_alerting", org.NETWORK),  # its alarm's topic has no subscriber
        (org.SANDBOX, "cloudtrail_root_evidence_complete", org.SANDBOX),  # LookupEvents throttled
    }
    passed = sum(f["status"] == "PASS" for f in doc["findings"])
    assert passed > 10 * len(fails)
    by = {(f["account_id"], f["check_id"]): f for f in doc["findings"] if f["resource"].endswith(":root")}
    assert by[(org.MGMT, "root_not_used")]["observed"]["cis_counted_events_in_window"] == 2
    assert by[(org.MGMT, "root_hardware_mfa_enabled")]["status"] == "PASS"
    assert {by[(a, "root_mfa_enabled")]["status"] for a in org.ROOTLESS} == {"NOT_APPLICABLE"}  # no credentials
    # acme-sandbox is the one account partly assessed: ListVirtualMFADevices refused, LookupEvents throttled
    not_assessed = {(f["account_id"], f["check_id"]) for f in doc["findings"] if f["status"] == "NOT_ASSESSED"}
    assert not_assessed == {(org.SANDBOX, "root_hardware_mfa_enabled"), (org.SANDBOX, "root_not_used")}
    assert doc["summary"]["coverage"] == {"assessed": 11, "not_assessed": 0, "partially_assessed": 1}
    # the break-glass session: its FAIL is an accepted exception, its root events carry the ticket
    acceptances = doc["risk_acceptances"]
    assert acceptances["source"] == "reporter/demo_exceptions.yaml"
    assert [(d["check_id"], d["account_id"], d["state"], d["ticket"]) for d in acceptances["decisions"]] == [
        ("root_not_used", org.MGMT, "accepted", "CHG-2291")
    ]
    assert {(e["event_id"], e["ticket"]) for e in acceptances["root_events"]} == {
        (org.BREAK_GLASS_SIGN_IN, "CHG-2291"),
        (org.BREAK_GLASS_CALL, "CHG-2291"),
    }
    for check_id, account in (("root_scp_deny", org.MGMT), ("root_credentials_centrally_managed", org.PROD)):
        assert {f["status"] for f in doc["findings"] if (f["check_id"], f["account_id"]) == (check_id, account)} == {
            "NOT_APPLICABLE"
        }
    members = {a for _, a, _, _ in org.ACCOUNTS}
    assert {
        f["account_id"] for f in doc["findings"] if f["check_id"] == "root_scp_deny" and f["status"] == "PASS"
    } == members
    assert doc["snapshot"]["manifest_sha256"] == Snapshot.open(demo_snapshot_dir()).digest
    assert [a["id"] for a in doc["accounts"]] == sorted(members | {org.MGMT}) and len(doc["accounts"]) == 12
    ids = [f["id"] for f in doc["findings"]]
    assert len(set(ids)) == len(ids) and all(
        i.startswith(f"F-{f['check_id']}-{f['account_id']}") for i, f in zip(ids, doc["findings"])
    )
    assert all(ref["id"].startswith("E-") for f in doc["findings"] for ref in f["evidence"])
    assert sum(doc["summary"]["total"].values()) == len(doc["findings"])


def test_same_snapshot_same_bytes(tmp_path: Path) -> None:
    a = render_json(build_pack(write_snapshot(tmp_path / "a", AccountSpec())))
    b = render_json(build_pack(Snapshot.open(tmp_path / "a")))
    assert a == b
    c = render_json(build_pack(write_snapshot(tmp_path / "c", AccountSpec())))
    assert a == c  # same content collected into another folder: same pack


def test_committed_sample_reports_are_current(tmp_path: Path) -> None:
    samples = Path(__file__).resolve().parents[2] / "sample_reports"
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    # pages.png, the contact sheet of the PDF (`make pages`), is poppler's rendering: not byte-checked.
    assert names == sorted(p.name for p in samples.iterdir() if p.name != "pages.png")
    assert names == ["audit-pack-2026-10.pdf", "evidence-2026-10.xlsx", "findings.json", "pack-manifest.json"]
    for name in names:  # the PDF too: its fonts ship with the package, so no machine differs
        assert (samples / name).read_bytes() == (tmp_path / name).read_bytes(), f"regenerate {name}: make demo"
        assert (tmp_path / name).stat().st_mode & 0o044 == 0o044  # readable by others, not mkstemp's 0600


def test_bundled_demo_snapshot_verifies_and_matches_its_generator(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(demo_snapshot_dir())])
    assert result.exit_code == 0, result.output
    tool = Path(__file__).resolve().parents[2] / "tools" / "build_demo_snapshot.py"
    subprocess.run(
        [sys.executable, str(tool), str(tmp_path / "rebuilt")], check=True, env={"PYTHONPATH": str(tool.parents[1])}
    )
    assert (tmp_path / "rebuilt" / "manifest.json").read_bytes() == (demo_snapshot_dir() / "manifest.json").read_bytes()


def test_a_copy_of_the_demo_snapshot_with_its_exceptions_file_reports_as_the_demo(tmp_path: Path) -> None:
    copied = runner.invoke(app, ["demo-snapshot", str(tmp_path / "snap")])
    assert copied.exit_code == 0 and str(demo_exceptions_file()) in copied.output
    demo = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "-f", "json"])
    assert demo.exit_code == 0, demo.output
    args = ["report", str(tmp_path / "snap"), "--out", str(tmp_path / "copy"), "-f", "json", "--no-history"]
    report = runner.invoke(app, [*args, "--exceptions", str(demo_exceptions_file())])
    assert report.exit_code == 1, report.output  # the unaccepted FAILs
    ours, theirs = (orjson.loads((d / "findings.json").read_bytes()) for d in (tmp_path / "copy", tmp_path / "demo"))
    assert ours["risk_acceptances"] == theirs["risk_acceptances"]
    assert ours["risk_acceptances"]["counts"]["accepted"] == 1
    assert ours["findings"] == theirs["findings"]


def test_verify_cli_reports_one_line_per_problem_and_exits_5(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "s", AccountSpec())
    target = next(a.path for a in snap.manifest.artifacts if a.api == "iam:GetAccountSummary")
    (snap.root / target).write_text("{}")
    (snap.root / "extra.json").write_text("{}")
    result = runner.invoke(app, ["verify", str(snap.root)])
    assert result.exit_code == 5
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines == [
        f"modified: {target}: " + lines[0].split(": ", 2)[2],
        "unexpected: extra.json: on disk, not in the manifest",
    ]


def test_report_cli_thresholds_and_errors(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "s", AccountSpec())
    result = runner.invoke(app, ["report", str(snap.root), "--out", str(tmp_path / "out"), "--root-window-days", "30"])
    assert result.exit_code == 0, result.output
    doc = orjson.loads((tmp_path / "out" / "findings.json").read_bytes())
    assert doc["thresholds"]["root_window_days"] == 30
    missing = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "not a folder" in missing.output and "Traceback" not in missing.output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{")
    broken = runner.invoke(app, ["report", str(tmp_path / "bad")])
    assert broken.exit_code == 2 and "not valid JSON" in broken.output


def test_bad_rows_are_reported_as_warnings(tmp_path: Path) -> None:
    from factory import cr_row, report

    snap = write_snapshot(tmp_path / "s", AccountSpec(credential_report=report(cr_row(), "x,y")))
    result = runner.invoke(app, ["report", str(snap.root), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert "credential_report.csv: line 3: expected 22 fields, found 2" in result.output
    doc = orjson.loads((tmp_path / "o" / "findings.json").read_bytes())
    assert doc["evidence_problems"][0]["location"] == "line 3"


def test_checks_list_names_every_check() -> None:
    result = runner.invoke(app, ["checks", "list"])
    assert result.exit_code == 0
    for check_id in ("root_not_used", "root_hardware_mfa_enabled", "iam_password_policy_strong"):
        assert check_id in result.output


def test_text_that_is_not_unicode_in_an_exceptions_file_is_a_usage_error(tmp_path: Path) -> None:
    # YAML spells a lone surrogate "\ud800"; no output format can encode it (the JSON writers
    # raised, exit 70), and a U+2028 is a line break in a one-line field.
    text = demo_exceptions_file().read_text(encoding="utf-8")
    args = ["report", str(demo_snapshot_dir()), "-f", "json", "--no-history", "--exceptions"]
    for bad in ('"CHG-2291\\ud800"', '"CHG-2291\\u2028forged line"'):
        path = tmp_path / "exceptions.yaml"
        path.write_text(text.replace("ticket: CHG-2291", f"ticket: {bad}", 1), encoding="utf-8")
        result = runner.invoke(app, [*args, str(path), "--out", str(tmp_path / "pack")])
        assert result.exit_code == 2, result.output
        assert "internal error" not in result.output and "ticket" in result.output
