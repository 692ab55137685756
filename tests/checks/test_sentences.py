"""Each finding says in sentences what the evidence shows (with its values) and what the requirement
is (with the limit the check used), and cites its source (#17 item 2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from factory import (
    ACCOUNT,
    AS_OF,
    TRAIL_ARN,
    TRAIL_NAME,
    AccountSpec,
    OrgSpec,
    checked,
    cr_row,
    metric_filter,
    monitored,
    report,
    trail_status,
    write_snapshot,
)
from moto_scenario import DENY_ROOT_SCP

from reporter.checks.finding import SOURCES_CITED, EvidenceRef, Finding, source_text
from reporter.checks.limits import Thresholds
from reporter.checks.registry import CHECKS
from reporter.checks.runner import run_checks
from reporter.core.resources import demo_snapshot_dir
from reporter.core.status import Status
from reporter.evidence.tables import load_evidence
from reporter.snapshot.reader import Snapshot

USER = f"arn:aws:iam::{ACCOUNT}:user/edge"
MEMBER = "210987654321"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def minute(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def one(tmp_path: Path, check_id: str, *specs: AccountSpec, resource: str | None = None) -> Finding:
    found = checked(write_snapshot(tmp_path / "snap", *(specs or (AccountSpec(),))))
    matches = [f for f in found.findings if f.check_id == check_id and (resource is None or f.resource == resource)]
    assert len(matches) == 1, matches
    return matches[0]


def key_user(rotated: datetime, name: str = "edge") -> str:
    used = stamp(AS_OF - timedelta(days=1))
    return cr_row(name, password_enabled="false", password_last_changed="N/A", key1=("true", stamp(rotated), used))


# --- root family -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "status"), [(timedelta(days=4, hours=7, minutes=19), Status.FAIL), (timedelta(days=200), Status.PASS)]
)
def test_root_not_used_says_when_root_was_last_used_against_as_of(
    tmp_path: Path, age: timedelta, status: Status
) -> None:
    used = AS_OF - age
    spec = AccountSpec(credential_report=report(cr_row(password_last_used=stamp(used))))
    f = one(tmp_path, "root_not_used", spec)
    assert f.status is status
    assert f.observed_text.startswith(
        f"Root password last used {minute(used)}, {age.days} days before as_of ({minute(AS_OF)})"
    )
    assert f"the window began {minute(AS_OF - timedelta(days=90))}" in f.observed_text
    assert "no root CloudTrail event counted by the CIS root-usage filter" in f.observed_text
    assert f.expected_text.startswith("No root use in the 90 days before as_of")
    assert f.source_text.startswith(f"accounts/{ACCOUNT}/iam/credential_report.csv (line 2)")


@pytest.mark.parametrize(("active", "status"), [("true", Status.FAIL), ("false", Status.PASS)])
def test_root_access_keys_sentence_gives_both_sources_values(tmp_path: Path, active: str, status: Status) -> None:
    present = 1 if active == "true" else 0
    spec = AccountSpec(
        credential_report=report(cr_row(key1=(active, "2026-01-01T00:00:00Z", "N/A"))),
        summary={"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": present}},
    )
    f = one(tmp_path, "root_no_access_keys", spec)
    assert f.status is status
    assert f"root access_key_1_active {active} and access_key_2_active false" in f.observed_text
    assert f"AccountAccessKeysPresent {present}" in f.observed_text
    assert "SummaryMap.AccountAccessKeysPresent" in f.source_text


# --- IAM users family ------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "status"), [(182, Status.FAIL), (30, Status.PASS)])
def test_key_rotation_sentence_names_user_date_and_age(tmp_path: Path, days: int, status: Status) -> None:
    rotated = AS_OF - timedelta(days=days, hours=3)
    spec = AccountSpec(credential_report=report(cr_row(), key_user(rotated)))
    f = one(tmp_path, "iam_access_keys_rotated", spec, resource=USER)
    assert f.status is status
    assert (
        f.observed_text == f"IAM user edge's access key 1 was last rotated {minute(rotated)}, {days} days before as_of."
    )
    assert f.source_text == f"accounts/{ACCOUNT}/iam/credential_report.csv (line 3)"


@pytest.mark.parametrize(("mfa", "status"), [("false", Status.FAIL), ("true", Status.PASS)])
def test_console_mfa_sentence_gives_the_row_values(tmp_path: Path, mfa: str, status: Status) -> None:
    spec = AccountSpec(credential_report=report(cr_row(), cr_row("edge", mfa=mfa)))
    f = one(tmp_path, "iam_user_console_mfa", spec, resource=USER)
    assert f.status is status
    assert f.observed_text == f"IAM user edge has a console password (password_enabled true) and mfa_active {mfa}."


@pytest.mark.parametrize(("length", "status"), [(8, Status.FAIL), (16, Status.PASS)])
def test_password_policy_sentence_gives_the_policy_values(tmp_path: Path, length: int, status: Status) -> None:
    spec = AccountSpec(
        password_policy={"PasswordPolicy": {"MinimumPasswordLength": length, "PasswordReusePrevention": 24}}
    )
    f = one(tmp_path, "iam_password_policy_strong", spec)
    assert f.status is status
    assert f.observed_text == f"The password policy sets MinimumPasswordLength {length} and PasswordReusePrevention 24."
    assert f.expected_text == (
        "An account password policy requires at least 14 characters and prevents reuse of the last 24 passwords "
        "(the product's default, from CIS AWS Foundations v5.0.0 1.7 and 1.8)."
    )


# --- CloudTrail and alerting family ----------------------------------------------------------


def test_trail_sentence_names_the_trail_and_when_it_logged(tmp_path: Path) -> None:
    good = one(tmp_path / "a", "cloudtrail_root_evidence_complete", monitored())
    assert good.status is Status.PASS
    assert f"trail {TRAIL_NAME}, multi-region: logging since 2025-03-01 09:00 UTC" in good.observed_text
    assert "the root-event lookup is complete" in good.observed_text
    stopped = monitored(trail_status={TRAIL_ARN: trail_status(logging=False, stop="2026-10-20T00:00:00Z")})
    bad = one(tmp_path / "b", "cloudtrail_root_evidence_complete", stopped)
    assert bad.status is Status.FAIL
    assert (
        "stopped logging at 2026-10-20 00:00 UTC, before the period ended (2026-11-01 00:00 UTC)" in bad.observed_text
    )


def test_alerting_sentence_names_the_route_and_the_regions(tmp_path: Path) -> None:
    good = one(tmp_path / "a", "root_usage_alerting", monitored())
    assert good.status is Status.PASS
    assert good.observed_text.startswith(
        "1 region in scope (us-east-1); every kind of root activity raises an alert in 1"
    )
    assert "security-alerts" in good.observed_text
    sign_in_only = metric_filter('{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }')
    bad = one(tmp_path / "b", "root_usage_alerting", monitored(metric_filters={"us-east-1": [sign_in_only]}))
    assert bad.status is Status.FAIL
    assert "no alert reaches a person in us-east-1 (API call, AssumeRoot session)" in bad.observed_text


# --- organization and consistency family -----------------------------------------------------


def org(**changes: Any) -> OrgSpec:
    spec = OrgSpec(
        accounts=[ACCOUNT, MEMBER],
        ous={"ou-ex12-prod0001": "r-ex12"},
        parents={MEMBER: "ou-ex12-prod0001"},
        policies={"p-denyroot1": ("deny-root", DENY_ROOT_SCP)},
        targets={"p-denyroot1": ["ou-ex12-prod0001"]},
        features=["RootCredentialsManagement"],
    )
    for key, value in changes.items():
        setattr(spec, key, value)
    return spec


def org_findings(tmp_path: Path, spec: OrgSpec) -> list[Finding]:
    accounts = (AccountSpec(is_management=True), AccountSpec(id=MEMBER))
    return checked(write_snapshot(tmp_path / "snap", *accounts, organization=spec)).findings


def of(found: list[Finding], check_id: str, account: str) -> Finding:
    [f] = [f for f in found if f.check_id == check_id and f.account_id == account]
    return f


def test_scp_sentence_gives_the_path_and_the_statement(tmp_path: Path) -> None:
    good = of(org_findings(tmp_path / "a", org()), "root_scp_deny", MEMBER)
    assert good.status is Status.PASS
    path = f"ACCOUNT {MEMBER} → ORGANIZATIONAL_UNIT ou-ex12-prod0001 → ROOT r-ex12"
    assert good.observed_text.startswith(
        f"The account's path in the organization is {path}; SCP deny-root (p-denyroot1)"
    )
    bad = of(org_findings(tmp_path / "b", org(targets={})), "root_scp_deny", MEMBER)
    assert bad.status is Status.FAIL
    assert (
        bad.observed_text
        == f"The account's path in the organization is {path}; no SCP is attached to the account, its OUs or the root."
    )


@pytest.mark.parametrize(("features", "status"), [([], Status.FAIL), (["RootCredentialsManagement"], Status.PASS)])
def test_central_root_sentence_lists_enabled_features(tmp_path: Path, features: list[str], status: Status) -> None:
    f = of(org_findings(tmp_path, org(features=features)), "root_credentials_centrally_managed", ACCOUNT)
    assert f.status is status
    assert f.observed_text.endswith(f"EnabledFeatures: {', '.join(features) or 'none'}.")
    assert "o-exampleorgid" in f.observed_text


@pytest.mark.parametrize(("present", "status"), [(1, Status.FAIL), (0, Status.PASS)])
def test_consistency_sentence_gives_both_sides(tmp_path: Path, present: int, status: Status) -> None:
    spec = AccountSpec(summary={"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": present}})
    f = one(tmp_path, "evidence_consistent", spec)
    assert f.status is status
    assert "root access_key_1_active false, access_key_2_active false, mfa_active true" in f.observed_text
    assert f"AccountAccessKeysPresent {present}, AccountMFAEnabled 1" in f.observed_text


# --- NOT_ASSESSED made by the runner ---------------------------------------------------------


def test_missing_evidence_sentence_names_the_call_and_its_error(tmp_path: Path) -> None:
    spec = AccountSpec(
        credential_report=None,
        credential_report_error=("AccessDenied", "not authorized to perform: iam:GetCredentialReport"),
    )
    f = one(tmp_path, "root_mfa_enabled", spec)
    assert f.status is Status.NOT_ASSESSED
    assert f.observed_text.startswith(f"No credential_report evidence for account {ACCOUNT}: iam:GetCredentialReport")
    assert "AccessDenied" in f.observed_text
    assert f.expected_text == "Root has an active MFA device whenever it can sign in with a password."


def test_incomplete_evidence_keeps_what_was_seen_and_says_what_is_missing(tmp_path: Path) -> None:
    gap = AccountSpec(
        regions=["us-east-1", "eu-west-1"], lookup_errors={"eu-west-1": ("ThrottlingException", "Rate exceeded")}
    )
    f = one(tmp_path, "root_not_used", gap)
    assert f.status is Status.NOT_ASSESSED
    assert f.observed_text.startswith("The credential report records no root password or access key use")
    assert (
        "That would be PASS, but the evidence it stands on is incomplete: root_events incomplete (" in f.observed_text
    )
    assert "ThrottlingException" in f.observed_text


def test_a_check_must_state_its_requirement() -> None:
    from reporter.checks.registry import check

    with pytest.raises(ValueError, match="states no requirement"):
        check(
            id="no_requirement",
            title="t",
            fails_when="f",
            expects="",
            severity=CHECKS["root_not_used"].severity,
            evidence=(),
            scope="account",
            rationale="r",
            remediation=(),
        )(lambda ctx: [])
    assert "no_requirement" not in CHECKS


# --- the limit in the expected sentence is the one used --------------------------------------


def test_the_expected_sentence_carries_the_limit_the_check_used(tmp_path: Path) -> None:
    rotated = AS_OF - timedelta(days=60)
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row(), key_user(rotated))))
    evidence = load_evidence(snapshot)
    as_of = pd.Timestamp(snapshot.manifest.as_of)

    def rotation(findings: list[Finding], framework: bool) -> Finding:
        [f] = [f for f in findings if f.check_id == "iam_access_keys_rotated" and f.framework_limits is framework]
        return f

    default = rotation(run_checks(evidence, as_of), False)
    assert default.status is Status.PASS
    assert default.expected_text == (
        "Every active access key was rotated within the 90 days before as_of "
        "(the product's default, from CIS AWS Foundations v5.0.0 1.13)."
    )
    option = rotation(run_checks(evidence, as_of, Thresholds(key_rotation_days=45)), False)
    assert option.status is Status.FAIL  # the sentence changed with the verdict, from the same limit
    assert option.expected_text == (
        "Every active access key was rotated within the 45 days before as_of (the pack's limit, as set by the "
        "report's options)."
    )
    stated = rotation(
        run_checks(evidence, as_of, stated={"iam_access_keys_rotated": [{"key_rotation_days": 30}]}), True
    )
    assert stated.status is Status.FAIL and stated.limits == {"key_rotation_days": 30}
    assert stated.expected_text.startswith("Every active access key was rotated within the 30 days before as_of")
    assert "stated by the framework row" in stated.expected_text


def test_unused_credentials_expected_sentence_follows_the_wording_of_the_limit(tmp_path: Path) -> None:
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row(), key_user(AS_OF))))
    evidence, as_of = load_evidence(snapshot), pd.Timestamp(snapshot.manifest.as_of)
    found = run_checks(
        evidence, as_of, stated={"iam_unused_credentials_disabled": [{"unused_credentials_over_days": 90}]}
    )
    texts = {f.framework_limits: f.expected_text for f in found if f.check_id == "iam_unused_credentials_disabled"}
    assert "within the 45 days before as_of; unused for 45 days or more fails" in texts[False]
    assert "within the 90 days before as_of; unused for more than 90 days fails" in texts[True]


# --- every check, every status it gives on the demo ------------------------------------------


def test_every_check_states_observed_and_expected_for_every_status_on_the_demo() -> None:
    snapshot = Snapshot.open(demo_snapshot_dir())
    findings = run_checks(load_evidence(snapshot), pd.Timestamp(snapshot.manifest.as_of))
    assert {f.check_id for f in findings} == set(CHECKS)
    by_status: dict[tuple[str, Status], list[Finding]] = {}
    for f in findings:
        by_status.setdefault((f.check_id, f.status), []).append(f)
    for (check_id, status), group in by_status.items():
        for f in group:
            assert f.observed_text.strip().endswith("."), (check_id, status, f.observed_text)
            assert len(f.observed_text) > 20 and f.observed_text != f.expected_text, (check_id, status)
            assert f.expected_text == CHECKS[check_id].expected_text(f.limits, f.framework_limits)
            assert f.source_text
    # the demo has all four statuses, so each kind of sentence above was exercised
    assert {s for _, s in by_status} >= {Status.PASS, Status.FAIL, Status.NOT_ASSESSED, Status.NOT_APPLICABLE}


def test_source_text_cites_the_first_references_and_counts_the_rest() -> None:
    refs = [EvidenceRef("a.jsonl", f"line {n}") for n in range(1, SOURCES_CITED + 3)]
    text = source_text([EvidenceRef("cr.csv", "line 2"), *refs, EvidenceRef("cr.csv", "line 2")])
    assert text.startswith("cr.csv (line 2); a.jsonl (line 1)")
    assert text.endswith(f"and {len(refs) + 1 - SOURCES_CITED} more (findings.json evidence)")
    assert source_text([EvidenceRef("x.json")]) == "x.json"
