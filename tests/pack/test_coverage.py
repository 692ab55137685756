"""Honest coverage (issue #16): an account is assessed only when every check had its evidence;
counts over incomplete evidence read "at least N", in every output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factory import AccountSpec, jsonl, root_record, write_snapshot

from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.render.json_report import render_json
from reporter.render.pdf import build_view
from reporter.render.sheets import summary_table
from reporter.snapshot.reader import Snapshot

OTHER = "210987654321"
SANDBOX = "444455556666"
EVENTS = jsonl(root_record("2026-10-03T10:00:00Z", event_id="ev-1"))


def _summary_rows(model) -> dict[str, str]:
    return {row[1]: row[2] for row in summary_table(model).rows()}


@pytest.fixture(scope="module")
def demo():
    """The demo organization: eleven accounts with every piece of evidence, and a sandbox whose
    ListVirtualMFADevices was denied (AccessDenied) and whose eu-west-1 LookupEvents was throttled."""
    return build_pack(Snapshot.open(demo_snapshot_dir()))


def test_every_check_with_its_evidence_is_fully_assessed(demo) -> None:
    full = [a for a in demo.accounts if a.id != SANDBOX]
    assert len(full) == len(demo.accounts) - 1 > 1
    for account in full:
        assert account.assessed and account.coverage.state == "assessed" and account.reason is None
        assert account.coverage.checks_assessed == account.coverage.checks_total > 10
        assert (
            account.coverage.label
            == f"assessed ({account.coverage.checks_total} of {account.coverage.checks_total} checks)"
        )


def test_a_missing_artifact_makes_the_account_partially_assessed_everywhere(demo) -> None:
    partial = next(a for a in demo.accounts if a.id == SANDBOX)
    assert not partial.assessed
    cov = partial.coverage
    assert cov.state == "partially_assessed" and 0 < cov.checks_assessed < cov.checks_total
    assert cov.label == f"partially assessed ({cov.checks_assessed} of {cov.checks_total} checks)"
    assert any(m.startswith("root_hardware_mfa_enabled: ") and "AccessDenied" in m for m in cov.missing)
    assert "root_hardware_mfa_enabled" in (partial.reason or "")
    doc = json.loads(render_json(demo))
    full = len(demo.accounts) - 1
    assert doc["summary"]["coverage"] == {"assessed": full, "partially_assessed": 1, "not_assessed": 0}
    by_id = {a["id"]: a for a in doc["accounts"]}
    assert by_id[SANDBOX]["assessed"] is False and by_id[SANDBOX]["coverage"]["state"] == "partially_assessed"
    view = build_view(demo)
    assert f"{SANDBOX} {cov.label}" in view["summary"]["paragraph"]
    cover_row = f"{full} of {len(demo.accounts)} account(s) fully assessed; {SANDBOX} {cov.label}"
    assert view["coverage"] == cover_row
    scope = {a["id"]: a for a in view["scope"]["accounts"]}
    assert scope[SANDBOX]["coverage"] == f"partially: {cov.checks_assessed} of {cov.checks_total} checks"
    assert _summary_rows(demo)["coverage"] == view["coverage"]
    # the sandbox's throttled region makes the organization's root-event count a floor
    assert str(demo.root_event_count()).startswith("at least ")


def test_an_account_without_any_evidence_is_not_assessed(tmp_path: Path) -> None:
    spec = AccountSpec(id=OTHER, assume_role_error=("AccessDenied", "not authorized to perform sts:AssumeRole"))
    model = build_pack(write_snapshot(tmp_path / "s", AccountSpec(), spec))
    gone = model.accounts[1]
    assert gone.coverage.state == "not_assessed" and gone.coverage.label == "not assessed"
    assert "no evidence was collected" in (gone.reason or "")


def test_root_event_counts_over_a_gap_read_at_least(tmp_path: Path) -> None:
    spec = AccountSpec(
        root_events=EVENTS,
        regions=["us-east-1", "eu-west-1"],
        lookup_regions=["us-east-1", "eu-west-1"],
        lookup_errors={"eu-west-1": ("ThrottlingException", "Rate exceeded")},
    )
    model = build_pack(write_snapshot(tmp_path / "s", spec))
    count = model.root_event_count()
    assert not count.complete and str(count) == "at least 1"
    assert any("ThrottlingException" in g for g in count.gaps)
    doc = json.loads(render_json(model))
    assert doc["summary"]["root_events"]["complete"] is False and doc["summary"]["root_events"]["value"] == 1
    view = build_view(model)
    assert view["summary"]["root"]["sign_ins"] == "≥ 1"
    assert "Root-event counts are floors (at least N)" in view["summary"]["paragraph"]
    assert "at least 1 root event(s)" in view["summary"]["paragraph"]
    assert _summary_rows(model)["root events in the period"] == "at least 1"
