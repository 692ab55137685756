"""OSCAL assessment-results validated with compliance-trestle's models (generated from NIST's OSCAL schema)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from format_validators import valid_oscal

from reporter.assess.risk_acceptance import load_risk_acceptances
from reporter.core.resources import demo_exceptions_file, demo_snapshot_dir
from reporter.core.status import Status
from reporter.pack.model import Pack, PackOptions, build_pack
from reporter.render.oscal import render_oscal, write_oscal
from reporter.snapshot.reader import Snapshot


@pytest.fixture(scope="module")
def demo() -> Pack:
    return build_pack(Snapshot.open(demo_snapshot_dir()))


@pytest.fixture(scope="module")
def doc(demo: Pack) -> dict:
    return orjson.loads(render_oscal(demo))


def test_validates_against_the_oscal_models(demo: Pack, tmp_path: Path) -> None:
    path = write_oscal(demo, tmp_path)
    assert path.name == "assessment-results-2026-10.oscal.json"
    model = valid_oscal(orjson.loads(path.read_bytes()))
    assert model.metadata.oscal_version.root.root == "1.1.2"
    assert len(model.results) == 1


def test_missing_evidence_is_never_satisfied(demo: Pack, doc: dict) -> None:
    findings = doc["assessment-results"]["results"][0]["findings"]
    rows = [row for fw in demo.frameworks for row in fw.requirements]
    assert len(findings) == len(rows)
    seen = set()
    for finding, row in zip(findings, rows, strict=True):
        status = finding["target"]["status"]
        assert (status["state"] == "satisfied") == (row.status is Status.PASS)
        if row.status not in (Status.PASS, Status.FAIL):
            assert status["reason"] == "other" and status["remarks"].startswith(row.status.value)
        seen.add(row.status)
    assert Status.FAIL in seen and seen - {Status.PASS, Status.FAIL}
    observed = {o["props"][0]["value"] for o in doc["assessment-results"]["results"][0]["observations"]}
    assert Status.NOT_ASSESSED.value in observed  # stays visible: the observation says NOT_ASSESSED


def test_observations_carry_the_snapshot_evidence(demo: Pack, doc: dict) -> None:
    result = doc["assessment-results"]["results"][0]
    as_of = demo.snapshot.manifest.as_of.isoformat()
    digests = {a.path: a.sha256 for a in demo.snapshot.manifest.artifacts}
    assert len(result["observations"]) == len(demo.findings) + len(demo.framework_findings)
    for obs in result["observations"]:
        assert obs["collected"] == as_of and obs["methods"] == ["AUTOMATED"]
        for ev in obs.get("relevant-evidence", []):
            assert ev["props"] == [{"name": "sha256", "value": digests[ev["href"]]}]
    assert any("relevant-evidence" in o for o in result["observations"])
    fails = {f.finding_id for f in demo.findings + demo.framework_findings if f.status is Status.FAIL}
    assert len(result["risks"]) == len(fails)
    # each risk states the failed finding's sentences, not a dump of its observed values
    failed = {
        f.resource + ": " + f.statement() for f in demo.findings + demo.framework_findings if f.status is Status.FAIL
    }
    assert {r["statement"] for r in result["risks"]} == failed
    uuids = [o["uuid"] for o in result["observations"]] + [r["uuid"] for r in result["risks"]]
    assert len(set(uuids)) == len(uuids)


def test_same_snapshot_same_bytes(demo: Pack) -> None:
    assert render_oscal(demo) == render_oscal(build_pack(Snapshot.open(demo_snapshot_dir())))
    assert doc_metadata_time(demo) == demo.snapshot.manifest.as_of.isoformat()


def doc_metadata_time(model: Pack) -> str:
    return orjson.loads(render_oscal(model))["assessment-results"]["metadata"]["last-modified"]


def test_an_accepted_fail_is_an_approved_deviation_not_an_open_risk() -> None:
    options = PackOptions(risk_acceptances=load_risk_acceptances(demo_exceptions_file()))
    model = build_pack(Snapshot.open(demo_snapshot_dir()), options)
    assert model.acceptances is not None
    decided = {d.finding_id: d for d in model.acceptances.decisions}
    accepted = [f for f, d in decided.items() if d.applies]
    assert accepted  # the demo's break-glass sign-in
    document = orjson.loads(render_oscal(model))
    valid_oscal(document)
    risks = {r["title"].split()[0]: r for r in document["assessment-results"]["results"][0]["risks"]}
    assert set(risks) == set(decided)  # every FAIL is still a risk
    for finding_id, risk in risks.items():
        if decided[finding_id].applies:
            assert risk["status"] == "deviation-approved"
            (entry,) = risk["risk-log"]["entries"]
            assert "CHG-2291" in entry["description"] and "Dana Whitfield (CISO)" in entry["description"]
            assert (entry["start"], entry["status-change"]) == ("2026-10-14T00:00:00+00:00", "deviation-approved")
            assert {"name": "risk-acceptance", "value": "accepted"} in risk["props"]
        else:
            assert risk["status"] == "open"


def test_no_framework_selected_is_refused_for_oscal_before_any_work(tmp_path: Path) -> None:
    # OSCAL has no empty control selection: a document without a framework would not validate.
    import yaml
    from typer.testing import CliRunner

    from reporter.cli.app import app
    from reporter.core.resources import shipped_dir

    overrides = tmp_path / "frameworks"
    overrides.mkdir()
    for path in sorted(shipped_dir("frameworks").glob("*.yaml")):  # every shipped one, none selected by default
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["selected_by_default"] = False
        (overrides / path.name).write_text(yaml.safe_dump(data), encoding="utf-8")
    runner = CliRunner()
    args = [
        "report",
        str(demo_snapshot_dir()),
        "--no-history",
        "--fail-on",
        "never",
        "--frameworks-dir",
        str(overrides),
    ]
    refused = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), "-f", "oscal"])
    assert refused.exit_code == 2 and "no framework is selected" in refused.output, refused.output
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())
    json_only = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "-f", "json"])
    assert json_only.exit_code == 0, json_only.output  # the checks alone are still a pack
    named_nothing = runner.invoke(app, [*args[:-2], "--out", str(tmp_path / "c"), "-f", "json", "--framework", ","])
    assert named_nothing.exit_code == 2 and "names no framework" in named_nothing.output, named_nothing.output
    with pytest.raises(ValueError, match="at least one framework"):
        render_oscal(build_pack(Snapshot.open(demo_snapshot_dir()), PackOptions(frameworks=[])))
