"""cloudtrail_root_evidence_complete: a multi-region trail logged management events all period."""

from __future__ import annotations

from pathlib import Path

import pytest
from factory import (
    ACCOUNT,
    TRAIL_ARN,
    AccountSpec,
    basic_selectors,
    checked,
    monitored,
    trail,
    trail_status,
    write_snapshot,
)

from reporter.checks.finding import Finding
from reporter.core.status import Status

CHECK = "cloudtrail_root_evidence_complete"


def finding(tmp_path: Path, spec: AccountSpec) -> Finding:
    found = [f for f in checked(write_snapshot(tmp_path / "snap", spec)).findings if f.check_id == CHECK]
    assert len(found) == 1
    return found[0]


def test_logging_multi_region_trail_passes(tmp_path: Path) -> None:
    f = finding(tmp_path, monitored())
    assert f.status is Status.PASS, f.reason
    assert f.observed["period_start"] == "2026-10-01T00:00:00Z"
    assert any(r.path.endswith(".json") and "trail_status" in r.path for r in f.evidence)


@pytest.mark.parametrize(
    "status, words",
    [
        (trail_status(start="2026-10-12T08:00:00Z"), "logging only since 2026-10-12"),  # restarted mid-period
        (trail_status(logging=False, stop="2026-10-20T00:00:00Z"), "stopped logging at 2026-10-20"),
        (trail_status(logging=False, start=None), "not logging"),
    ],
)
def test_trail_stopped_mid_period_fails(tmp_path: Path, status: dict, words: str) -> None:
    f = finding(tmp_path, monitored(trail_status={TRAIL_ARN: status}))
    assert f.status is Status.FAIL and words in f.reason, f.reason


def test_trail_stopped_after_the_period_still_covered_it(tmp_path: Path) -> None:
    status = trail_status(logging=False, start="2025-01-01T00:00:00Z", stop="2026-11-01T03:00:00Z")
    assert finding(tmp_path, monitored(trail_status={TRAIL_ARN: status})).status is Status.PASS


def test_single_region_trail_only_fails(tmp_path: Path) -> None:
    single = trail("eu-only", multi_region=False, home="eu-west-1")
    arn = single["TrailARN"]
    f = finding(
        tmp_path,
        monitored(trails=[single], trail_status={arn: trail_status()}, event_selectors={arn: basic_selectors(arn)}),
    )
    assert f.status is Status.FAIL and "single-region only: eu-only" in f.reason


def test_no_trail_fails(tmp_path: Path) -> None:
    f = finding(tmp_path, monitored(trails=[], trail_status={}, event_selectors={}))
    assert f.status is Status.FAIL and "no CloudTrail trail" in f.reason


@pytest.mark.parametrize(
    "selectors, ok",
    [
        (basic_selectors(read_write="WriteOnly"), False),
        (basic_selectors(management=False), False),
        (
            {
                "TrailARN": TRAIL_ARN,
                "AdvancedEventSelectors": [
                    {
                        "Name": "Management events",
                        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
                    }
                ],
            },
            True,
        ),
        (
            {
                "TrailARN": TRAIL_ARN,
                "AdvancedEventSelectors": [  # read and write from two selectors
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["true"]},
                        ]
                    },
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["false"]},
                        ]
                    },
                ],
            },
            True,
        ),
        (
            {
                "TrailARN": TRAIL_ARN,
                "AdvancedEventSelectors": [  # data events only: management excluded
                    {
                        "Name": "S3 data",
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        ],
                    }
                ],
            },
            False,
        ),
        (
            {
                "TrailARN": TRAIL_ARN,
                "AdvancedEventSelectors": [  # management, but only IAM
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "Equals": ["iam.amazonaws.com"]},
                        ]
                    }
                ],
            },
            False,
        ),
        (
            {
                "TrailARN": TRAIL_ARN,
                "AdvancedEventSelectors": [  # KMS left out, as CloudTrail allows
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
                        ]
                    }
                ],
            },
            True,
        ),
    ],
)
def test_event_selectors(tmp_path: Path, selectors: dict, ok: bool) -> None:
    f = finding(tmp_path, monitored(event_selectors={TRAIL_ARN: selectors}))
    assert f.status is (Status.PASS if ok else Status.FAIL), f.reason


def test_lookup_gap_or_failure_fails(tmp_path: Path) -> None:
    gap = monitored(
        regions=["us-east-1", "eu-west-1"], lookup_errors={"eu-west-1": ("ThrottlingException", "Rate exceeded")}
    )
    f = finding(tmp_path / "a", gap)
    assert f.status is Status.FAIL and "ThrottlingException" in f.reason
    failed = monitored(root_events=None, lookup_errors={"us-east-1": ("AccessDenied", "no")})
    f = finding(tmp_path / "b", failed)
    assert f.status is Status.FAIL and "lookup is unavailable" in f.reason and "AccessDenied" in f.reason


def test_unknown_status_is_not_assessed(tmp_path: Path) -> None:
    spec = monitored(
        trail_status={},
        errors=[
            ("cloudtrail:GetTrailStatus", "us-east-1", {"Name": TRAIL_ARN}, "AccessDeniedException", "not authorized")
        ],
    )
    f = finding(tmp_path, spec)
    assert f.status is Status.NOT_ASSESSED and "AccessDeniedException" in f.reason


def test_malformed_artifacts(tmp_path: Path) -> None:
    f = finding(tmp_path / "a", monitored(trails=b'{"trailList": [ {"Name": '))
    assert f.status is Status.NOT_ASSESSED and "trails.json: not valid JSON" in f.reason
    f = finding(tmp_path / "b", monitored(trail_status={TRAIL_ARN: b'{"IsLogging": "yes"}'}))
    assert f.status is Status.NOT_ASSESSED and "IsLogging is missing or not true/false" in f.reason
    # one unreadable trail entry is a problem; the good trail still decides, but not a PASS on its own
    report = checked(write_snapshot(tmp_path / "c", monitored(trails=[trail(), {"Name": "broken"}])))
    [f] = [x for x in report.findings if x.check_id == CHECK]
    assert f.status is Status.NOT_ASSESSED and f.observed["would_be"] == "PASS"
    assert [(p.location, p.reason) for p in report.problems] == [("trailList[1]", "trail has no TrailARN")]


def test_snapshot_without_trail_evidence_is_not_assessed(tmp_path: Path) -> None:
    f = finding(tmp_path, AccountSpec())
    assert f.status is Status.NOT_ASSESSED and "DescribeTrails was not collected" in f.reason
    assert f.account_id == ACCOUNT
