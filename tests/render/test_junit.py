"""junit-<YYYY-MM>.xml validated against the Jenkins xUnit schema (junit-10.xsd), read back with junitparser
(as a CI dashboard reads it) and checked against the Pack."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree as ET

import junitparser
import pytest
from factory import AccountSpec, cr_row, report, write_snapshot
from format_validators import junit_schema
from lxml import etree

from reporter.assess.framework_files import load_frameworks
from reporter.assess.risk_acceptance import load_risk_acceptances
from reporter.checks.limits import Thresholds
from reporter.core.resources import demo_exceptions_file, demo_snapshot_dir
from reporter.core.status import Status
from reporter.pack.model import Pack, PackOptions, build_pack
from reporter.render.junit import render_junit, write_junit
from reporter.snapshot.reader import Snapshot


@pytest.fixture(scope="module")
def demo() -> Pack:
    return build_pack(Snapshot.open(demo_snapshot_dir()))


def test_validates_against_the_jenkins_junit_schema(demo: Pack) -> None:
    schema = junit_schema()
    document = etree.fromstring(render_junit(demo))
    assert schema.validate(document), schema.error_log
    # The schema does reject what it does not define, so a passing validation means something.
    document.set("skipped", "1")
    assert not schema.validate(document)


def _statuses(model: Pack) -> dict[tuple[str, str], set[Status]]:
    seen: dict[tuple[str, str], set[Status]] = defaultdict(set)
    for f in model.findings:
        seen[(f.check_id, f.account_id)].add(f.status)
    return seen


def test_one_case_per_check_and_account_with_the_packs_verdict(demo: Pack, tmp_path: Path) -> None:
    path = write_junit(demo, tmp_path)
    assert path.name == "junit-2026-10.xml"
    xml = junitparser.JUnitXml.fromfile(str(path))
    expected = _statuses(demo)
    cases = {(c.classname, c.name): c for suite in xml for c in suite}
    assert set(cases) == set(expected)
    for key, case in cases.items():
        kinds = {type(r).__name__ for r in case.result}
        statuses = expected[key]
        if Status.FAIL in statuses:
            assert kinds == {"Failure"}, key
        elif statuses != {Status.PASS}:
            assert kinds == {"Skipped"}, key  # NOT_ASSESSED and the like are never a pass
            assert not case.is_passed
        else:
            assert case.is_passed, key
    assert any(Status.NOT_ASSESSED in s for s in expected.values())


def test_counts_add_up(demo: Pack) -> None:
    root = ET.fromstring(render_junit(demo))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == sorted({f.check_id for f in demo.findings})
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert int(suite.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(suite.get("skipped", "")) == sum(c.find("skipped") is not None for c in cases)
    for key in ("tests", "failures"):
        assert int(root.get(key, "")) == sum(int(s.get(key, "")) for s in suites)
    assert sum(int(s.get("skipped", "")) for s in suites) > 0
    assert int(root.get("failures", "")) > 0


def test_failure_names_observed_values(demo: Pack) -> None:
    root = ET.fromstring(render_junit(demo))
    failures = root.findall(".//failure")
    fail_ids = {f.finding_id for f in demo.findings if f.status is Status.FAIL}
    texts = "\n".join(f.text or "" for f in failures)
    assert all(fid in texts for fid in fail_ids)
    assert all(f.get("message") and f.get("type") for f in failures)
    # the failure text gives each failed finding's sentences, not a dump of its values
    for f in demo.findings:
        if f.status is Status.FAIL:
            assert f"{f.finding_id} FAIL {f.resource}: {f.statement()}" in texts


def test_hostile_text_is_escaped_and_forbidden_characters_removed(demo: Pack) -> None:
    hostile = 'a<b>&"c\x00\x01\x1b]]></failure><x/>'
    findings = list(demo.findings)
    index = next(i for i, f in enumerate(findings) if f.status is Status.FAIL)
    # A user name or user agent inside the observed sentence is attacker-controlled.
    findings[index] = dataclasses.replace(findings[index], observed_text=hostile)
    data = render_junit(dataclasses.replace(demo, findings=findings))
    root = ET.fromstring(data)  # XML 1.0 parser: a NUL or ESC left in would make this raise
    messages = [f.get("message") or "" for f in root.iter("failure")]
    assert any('Observed: a<b>&"c\ufffd\ufffd\ufffd]]></failure><x/> Expected: ' in m for m in messages)
    assert b"\x00" not in data and b"\x1b" not in data


def test_same_pack_same_bytes(demo: Pack) -> None:
    again = build_pack(Snapshot.open(demo_snapshot_dir()))
    assert render_junit(demo) == render_junit(again)


def _case(data: bytes, check_id: str, account_id: str) -> ET.Element:
    root = ET.fromstring(data)
    (case,) = [c for c in root.iter("testcase") if (c.get("classname"), c.get("name")) == (check_id, account_id)]
    return case


def test_a_fail_under_a_frameworks_own_limits_is_a_failure(tmp_path: Path) -> None:
    # 60 days unused: the pack's limit (120) passes it, CIS 1.11's own 45 days fails it, and the
    # report exits 1 for that FAIL: the CI dashboard must not show the check as passed.
    idle = cr_row("idle", password_last_used="2026-09-02T06:00:00Z", password_last_changed="2020-01-01T00:00:00Z")
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row(), idle)))
    options = PackOptions(
        thresholds=Thresholds(unused_credentials_days=120), frameworks=[load_frameworks()["cis-aws-5.0.0"]]
    )
    model = build_pack(snapshot, options)
    (fail,) = [f for f in model.framework_findings if f.status is Status.FAIL]
    assert model.acceptances is not None and model.acceptances.unaccepted_fails == 1
    case = _case(render_junit(model), fail.check_id, fail.account_id)
    failure = case.find("failure")
    assert failure is not None and fail.finding_id in (failure.text or "")


def test_an_accepted_fail_is_skipped_with_its_exception_not_a_failure() -> None:
    options = PackOptions(risk_acceptances=load_risk_acceptances(demo_exceptions_file()))
    model = build_pack(Snapshot.open(demo_snapshot_dir()), options)
    assert model.acceptances is not None
    accepted = {d.finding_id for d in model.acceptances.decisions if d.applies}
    (finding,) = [f for f in model.findings if f.finding_id in accepted]
    data = render_junit(model)
    case = _case(data, finding.check_id, finding.account_id)
    skipped = case.find("skipped")
    assert case.find("failure") is None and skipped is not None
    assert "FAIL (accepted exception)" in (skipped.get("message") or "") and "CHG-2291" in (skipped.text or "")
    # every FAIL without a valid exception is still a failure: as many as the exit code counts
    assert int(ET.fromstring(data).get("failures", "")) == len(
        {(f.check_id, f.account_id) for f in model.findings if f.status is Status.FAIL and f.finding_id not in accepted}
    )
