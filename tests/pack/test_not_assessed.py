"""A NOT_ASSESSED result says what to fix so that it can be judged (the failed call, the action
to grant), never the check's own remediation, which fixes the account."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reporter.checks.registry import CHECKS
from reporter.core.resources import demo_snapshot_dir
from reporter.core.status import Status
from reporter.pack.model import build_pack
from reporter.pack.not_assessed import step_for
from reporter.render.pdf.findings_view import findings_chapter
from reporter.snapshot.manifest import Artifact, ArtifactError
from reporter.snapshot.reader import Snapshot


@pytest.fixture(scope="module")
def demo():
    return build_pack(Snapshot.open(demo_snapshot_dir()))


def _failed(api: str, code: str, message: str = "", region: str | None = "eu-west-1") -> Artifact:
    return Artifact(
        path=None,
        api=api,
        account="444455556666",
        region=region,
        collected_at=datetime(2026, 11, 1, tzinfo=UTC),
        status="error",
        error=ArtifactError(code=code, message=message),
    )


def test_every_not_assessed_finding_says_what_to_fix_and_no_other_does(demo):
    not_assessed = [f for f in demo.all_findings if f.status is Status.NOT_ASSESSED]
    assert not_assessed
    for finding in demo.all_findings:
        if finding.status is Status.NOT_ASSESSED:
            assert finding.remediation, finding.finding_id
            assert not set(finding.remediation) & set(CHECKS[finding.check_id].remediation)
        else:
            assert finding.remediation == []
    refused = next(f for f in not_assessed if f.check_id == "root_hardware_mfa_enabled")
    assert any(
        s.startswith("Grant iam:ListVirtualMFADevices to the audit role in account 444455556666")
        for s in refused.remediation
    )
    root_use = next(f for f in not_assessed if f.check_id == "root_not_used")
    assert any(
        "cloudtrail:LookupEvents (account 444455556666, eu-west-1) was throttled" in s for s in root_use.remediation
    )
    assert all(f.as_dict()["remediation"] == f.remediation for f in demo.all_findings)


def test_the_pdf_prints_the_steps_for_a_not_assessed_group_and_the_check_remediation_for_a_failed_one(demo):
    groups = findings_chapter(demo, 500, "evidence.xlsx")["groups"]
    for group in groups:
        check = CHECKS[group["check_id"]]
        if group["status"]["code"] == "NOT_ASSESSED":
            assert group["remediation_label"] == "To assess it"
            assert group["remediation"] and not set(group["remediation"]) & set(check.remediation)
        else:
            assert group["remediation_label"] == "Remediation"
            assert group["remediation"] == list(check.remediation)


@pytest.mark.parametrize(
    ("artifact", "expected"),
    [
        (
            _failed("logs:DescribeMetricFilters", "AccessDeniedException", "no identity-based policy"),
            "Grant logs:DescribeMetricFilters to the audit role in account 444455556666, eu-west-1",
        ),
        (_failed("cloudtrail:LookupEvents", "ThrottlingException"), "was throttled (ThrottlingException)"),
        (
            _failed("iam:GetCredentialReport", "ExpiredToken", region=None),
            "The credentials were refused for iam:GetCredentialReport (account 444455556666)",
        ),
        (_failed("cloudtrail:DescribeTrails", "EndpointConnectionError"), "a network, proxy or endpoint problem"),
        (
            _failed("iam:GetAccountSummary", "ResponseParserError", "<html>502</html>"),
            "got no usable answer (ResponseParserError",
        ),
        (_failed("events:ListRules", "OptInRequired"), "the region is not enabled for the account"),
        (_failed("sns:ListSubscriptionsByTopic", "ServiceUnavailable"), "server error (ServiceUnavailable)"),
        (_failed("sts:AssumeRole", "AccessDenied"), "The audit role could not be assumed in account 444455556666"),
        (
            _failed("cloudwatch:DescribeAlarms", "ValidationError", "bad token"),
            "failed (ValidationError): fix the cause",
        ),
    ],
)
def test_each_kind_of_failure_gets_its_own_step(artifact: Artifact, expected: str):
    assert expected in step_for(artifact)
