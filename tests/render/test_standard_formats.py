"""OCSF and ASFF: every finding validates against the standard's own models (py-ocsf-models, botocore's
Security Hub service model), statuses map exactly (NOT_ASSESSED is never a pass), same bytes every time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from factory import AccountSpec, cr_row, report, write_snapshot
from format_validators import assert_valid_asff, assert_valid_ocsf_event
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import Pack, build_pack
from reporter.render.asff import DESCRIPTION_MAX, asff_findings, clip, render_asff
from reporter.render.ocsf import render_ocsf
from reporter.render.outputs import write_outputs
from reporter.snapshot.reader import Snapshot

HOSTILE_USER = 'evil"}{"Id":"x</script><b>'


@pytest.fixture(scope="module")
def demo() -> Pack:
    return build_pack(Snapshot.open(demo_snapshot_dir()))


def ocsf_events(model: Pack) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in render_ocsf(model).splitlines()]


def _root_used(demo: Pack) -> str:
    """The id of the demo's FAIL for root used in the management account (the break-glass sign-in)."""
    return next(f.finding_id for f in demo.findings if (f.check_id, f.account_id) == ("root_not_used", "111122223333"))


def test_ocsf_events_validate_against_py_ocsf_models(demo: Pack) -> None:
    events = ocsf_events(demo)
    assert len(events) == len(demo.all_findings)
    for event in events:
        assert_valid_ocsf_event(event)
        assert (event["class_uid"], event["type_uid"], event["metadata"]["version"]) == (2003, 200301, "1.5.0")
    by_id = {e["unmapped"]["reporter"]["finding_id"]: e for e in events}
    f1 = by_id[_root_used(demo)]
    assert f1["compliance"]["status_id"] == 3 and f1["compliance"]["checks"][0]["status"] == "Fail"
    # The requirements of the selected frameworks that map the check, CIS's included, by name.
    mapped = [
        f"{r.framework.name} {r.framework.version} {req.requirement.id}"
        for r in demo.frameworks
        for req in r.requirements
        if "root_not_used" in req.requirement.check_ids
    ]
    assert any(m.startswith("CIS Amazon Web Services Foundations Benchmark ") for m in mapped)
    assert set(mapped) <= set(f1["compliance"]["requirements"])
    assert f1["cloud"]["account"]["uid"] == "111122223333" and f1["resources"][0]["cloud_partition"] == "aws"
    assert f1["time"] == int(demo.snapshot.manifest.as_of.timestamp() * 1000)
    assert f1["evidences"][0]["data"]["sha256"] is not None
    statuses = {(f.status.value, by_id[f.finding_id]["compliance"]["status_id"]) for f in demo.all_findings}
    assert ("PASS", 1) in statuses and ("NOT_APPLICABLE", 99) in statuses


def test_asff_findings_validate_against_botocore_security_hub_model(demo: Pack) -> None:
    findings = orjson.loads(render_asff(demo))
    assert len(findings) == len(demo.all_findings)
    assert_valid_asff(findings)
    f1 = next(f for f in findings if f["ProductFields"]["reporter/finding_id"] == _root_used(demo))
    assert f1["ProductArn"] == "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
    assert (f1["Compliance"]["Status"], f1["Severity"]["Label"], f1["Workflow"]["Status"]) == ("FAILED", "HIGH", "NEW")
    assert f1["CreatedAt"] == f1["UpdatedAt"] == "2026-11-01T06:00:00Z"
    assert len({f["Id"] for f in findings}) == len(findings)


def test_not_assessed_stays_not_assessed(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=None, credential_report_error=("AccessDenied", "not authorized"))
    model = build_pack(write_snapshot(tmp_path / "snap", spec))
    missing = [f for f in model.all_findings if f.status.value == "NOT_ASSESSED"]
    assert missing
    events = {e["unmapped"]["reporter"]["finding_id"]: e for e in ocsf_events(model)}
    asff = {f["ProductFields"]["reporter/finding_id"]: f for f in asff_findings(model)}
    assert_valid_asff(list(asff.values()))
    assert any("iam:GetCredentialReport" in f.observed_text and "AccessDenied" in f.observed_text for f in missing)
    for f in missing:
        compliance = events[f.finding_id]["compliance"]
        assert (compliance["status_id"], compliance["checks"][0]["status"]) == (99, "NOT_ASSESSED")
        assert events[f.finding_id]["status_detail"] == f.reason and events[f.finding_id]["status"] == "New"
        found = asff[f.finding_id]
        assert found["Compliance"]["Status"] == "NOT_AVAILABLE" and found["Workflow"]["Status"] == "NEW"
        assert found["Compliance"]["StatusReasons"] == [{"ReasonCode": "NOT_ASSESSED", "Description": f.reason}]
        # the description is the finding's sentences: what is missing and why, the requirement, the source
        assert events[f.finding_id]["finding_info"]["desc"] == found["Description"] == f.statement()


def test_hostile_names_and_partition_come_through_escaped(tmp_path: Path) -> None:
    creds = report(cr_row(account="111122223333"), cr_row(HOSTILE_USER, account="111122223333"))
    spec = AccountSpec(id="111122223333", credential_report=creds, regions=["us-gov-west-1"])
    caller = "arn:aws-us-gov:sts::111122223333:assumed-role/Audit/x"
    model = build_pack(write_snapshot(tmp_path / "snap", spec, caller_arn=caller))
    lines = render_ocsf(model).splitlines()
    assert len(lines) == len(model.all_findings)  # a newline in a name never splits an event
    events = [orjson.loads(line) for line in lines]
    assert any(HOSTILE_USER in e["finding_info"]["title"] for e in events)
    findings = asff_findings(model)
    assert_valid_asff(findings)
    assert all(f["ProductArn"].startswith("arn:aws-us-gov:securityhub:us-gov-west-1:") for f in findings)
    assert {r["Partition"] for f in findings for r in f["Resources"]} == {"aws-us-gov"}
    assert any(HOSTILE_USER in f["Title"] for f in findings)


def test_clip_says_it_cut_and_keeps_the_limit() -> None:
    text = "x" * 5000
    cut = clip(text, DESCRIPTION_MAX, "findings.json F-0007")
    assert len(cut) == DESCRIPTION_MAX and cut.endswith("[truncated; full text: findings.json F-0007]")
    assert clip("short", DESCRIPTION_MAX, "anywhere") == "short"


def test_standard_formats_are_byte_stable_and_registered(demo: Pack, tmp_path: Path) -> None:
    first = write_outputs(demo, tmp_path / "a", ["ocsf", "asff"])
    second = write_outputs(demo, tmp_path / "b", ["asff", "ocsf"])
    assert [p.name for p in first] == ["findings.ocsf.jsonl", "findings.asff.json"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_pack_with_standard_formats_verifies_by_rendering_again(tmp_path: Path) -> None:
    runner = CliRunner()
    pack = tmp_path / "pack"
    formats = ["-f", "ocsf", "-f", "asff", "--no-history"]
    made = runner.invoke(app, ["report", str(demo_snapshot_dir()), "--out", str(pack), *formats])
    assert made.exit_code == 1, made.output  # the demo has FAILs
    assert {"findings.ocsf.jsonl", "findings.asff.json"} <= {p.name for p in pack.iterdir()}
    again = runner.invoke(app, ["verify", str(pack), "--snapshot", str(demo_snapshot_dir())])
    assert again.exit_code == 0, again.output
    (pack / "findings.ocsf.jsonl").write_bytes(b"{}\n")
    assert runner.invoke(app, ["verify", str(pack), "--snapshot", str(demo_snapshot_dir())]).exit_code == 5


def test_unicode_line_separators_never_split_an_ocsf_event(tmp_path: Path) -> None:
    # Valid JSON raw, but str.splitlines() (and other Unicode-aware line readers) break a line at
    # U+2028, U+2029 and U+0085: an error message carrying one must stay inside its event.
    message = 'denied\u2028{"class_uid": 0}\u2029\x85end'
    spec = AccountSpec(credential_report=None, credential_report_error=("AccessDenied", message))
    model = build_pack(write_snapshot(tmp_path / "snap", spec))
    data = render_ocsf(model)
    lines = data.decode("utf-8").splitlines()
    assert len(lines) == len(model.all_findings)
    events = [orjson.loads(line) for line in lines]
    assert any(message in e["status_detail"] for e in events)


def test_a_pass_is_informational_in_both_formats_and_keeps_the_checks_severity(demo: Pack) -> None:
    # A SIEM rule on severity >= High must not fire on a passed check: OCSF says what ASFF says.
    events = {e["unmapped"]["reporter"]["finding_id"]: e for e in ocsf_events(demo)}
    asff = {f["ProductFields"]["reporter/finding_id"]: f for f in asff_findings(demo)}
    passed = [f for f in demo.all_findings if f.status.value == "PASS"]
    assert any(f.severity.value == "high" for f in passed)
    for f in passed:
        event = events[f.finding_id]
        assert (event["severity_id"], event["severity"]) == (1, "Informational")
        assert event["compliance"]["checks"][0]["severity"] == f.severity.value.capitalize()
        assert asff[f.finding_id]["Severity"] == {"Label": "INFORMATIONAL", "Original": f.severity.value}
    failed = next(f for f in demo.all_findings if f.status.value == "FAIL")
    assert events[failed.finding_id]["severity"] == failed.severity.value.capitalize()
