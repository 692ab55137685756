"""root_usage_alerting: metric filter + alarm + confirmed subscriber, or EventBridge rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from factory import (
    ACCOUNT,
    CIS_ROOT_PATTERN,
    TOPIC,
    TRAIL_ARN,
    alarm,
    checked,
    metric_filter,
    monitored,
    subscription,
    trail,
    trail_status,
    write_snapshot,
)

from reporter.checks.finding import Finding
from reporter.core.status import Status

CHECK = "root_usage_alerting"
ROOT_RULE = orjson.dumps({"detail": {"userIdentity": {"type": ["Root"]}}}).decode()


def finding(tmp_path: Path, **changes: Any) -> Finding:
    snap = write_snapshot(tmp_path / "snap", monitored(**changes))
    [found] = [f for f in checked(snap).findings if f.check_id == CHECK]
    return found


def rules(*rules: tuple[str, str, str, bool]) -> dict[str, Any]:
    """(name, pattern, state, has_target) -> a ListRules + ListTargetsByRule document."""
    return {
        "Rules": [
            {
                "Name": n,
                "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{n}",
                "EventPattern": p,
                "State": s,
                "EventBusName": "default",
            }
            for n, p, s, _ in rules
        ],
        "Targets": {n: [{"Id": "sns", "Arn": TOPIC}] if t else [] for n, _, _, t in rules},
    }


NO_FILTER_ROUTE: dict[str, Any] = {"metric_filters": {"us-east-1": []}}


def test_cis_chain_passes(tmp_path: Path) -> None:
    f = finding(tmp_path)
    assert f.status is Status.PASS
    assert "metric filter route" in f.reason and "RootAccountUsage" in f.reason and TOPIC in f.reason
    assert f.observed["EventBridge"]["verdict"] == "FAIL"


@pytest.mark.parametrize(
    "pattern",
    [
        '{ ($.eventType != "AwsServiceEvent") && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type = Root) }',  # noqa: E501 - the pattern as AWS documents it
        '{ $.userIdentity.type = "Root" || $.userIdentity.arn = "arn:aws:iam::*:root" }',
    ],
)
def test_equivalent_patterns_pass(tmp_path: Path, pattern: str) -> None:
    assert finding(tmp_path, metric_filters={"us-east-1": [metric_filter(pattern)]}).status is Status.PASS


def test_pattern_that_misses_api_calls_fails(tmp_path: Path) -> None:
    f = finding(
        tmp_path,
        metric_filters={
            "us-east-1": [metric_filter('{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }')]
        },
    )
    assert f.status is Status.FAIL
    assert "in 1 of 1 region(s): us-east-1 (API call, AssumeRoot session)" in f.reason
    assert "no metric filter with a delivered alarm matches root iam:CreateAccessKey" in f.reason
    assert f.observed["coverage"]["us-east-1"]["console sign-in"] == "alert"


def test_pattern_matching_everything_is_noise(tmp_path: Path) -> None:
    f = finding(tmp_path, metric_filters={"us-east-1": [metric_filter("{ $.eventVersion = * }")]})
    assert f.status is Status.FAIL and "also matches ordinary activity" in f.reason


def test_broken_pattern_is_not_assessed_without_crashing(tmp_path: Path) -> None:
    f = finding(tmp_path, metric_filters={"us-east-1": [metric_filter('{ $.userIdentity.type = "Root" ')]})
    assert f.status is Status.NOT_ASSESSED
    assert "filter RootAccountUsage: its pattern cannot be evaluated (the pattern ends too early)" in f.reason


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"subscriptions": {"us-east-1": [subscription(confirmed=False)]}}, "has no confirmed subscription"),
        ({"alarms": {"us-east-1": [alarm(topic=None)]}}, "notifies no SNS topic"),
        ({"alarms": {"us-east-1": [alarm(actions_enabled=False)]}}, "actions disabled"),
        ({"alarms": {"us-east-1": [alarm(metric=("Other", "Metric"))]}}, "no alarm on its metric"),
        ({"trails": [trail(log_group=None)]}, "sends no logs to CloudWatch Logs"),
        ({"trail_status": {TRAIL_ARN: trail_status(logging=False, stop="2026-10-30T00:00:00Z")}}, "not logging"),
    ],
)
def test_broken_chains_fail(tmp_path: Path, changes: dict, words: str) -> None:
    f = finding(tmp_path, **changes)
    assert f.status is Status.FAIL and words in f.reason, f.reason


def test_uncollected_alarms_are_not_assessed(tmp_path: Path) -> None:
    f = finding(tmp_path, alarms={}, errors=[("cloudwatch:DescribeAlarms", "us-east-1", {}, "AccessDenied", "nope")])
    assert (
        f.status is Status.NOT_ASSESSED and "CloudWatch alarms in us-east-1" in f.reason and "AccessDenied" in f.reason
    )


def test_eventbridge_rule_with_target_passes(tmp_path: Path) -> None:
    f = finding(
        tmp_path, **NO_FILTER_ROUTE, eventbridge={"us-east-1": rules(("root-activity", ROOT_RULE, "ENABLED", True))}
    )
    assert f.status is Status.PASS and "EventBridge route" in f.reason and "rule root-activity" in f.reason


def test_eventbridge_split_rules_pass(tmp_path: Path) -> None:
    sign_in = orjson.dumps(
        {
            "source": ["aws.signin"],
            "detail-type": ["AWS Console Sign In via CloudTrail"],
            "detail": {"userIdentity": {"type": ["Root"]}},
        }
    ).decode()
    api = orjson.dumps(
        {
            "detail-type": ["AWS API Call via CloudTrail"],
            "source": [{"prefix": "aws."}],
            "detail": {"userIdentity": {"arn": [{"suffix": ":root"}]}},
        }
    ).decode()
    f = finding(
        tmp_path,
        **NO_FILTER_ROUTE,
        eventbridge={
            "us-east-1": rules(("root-sign-in", sign_in, "ENABLED", True), ("root-api", api, "ENABLED", True))
        },
    )
    assert f.status is Status.PASS, f.reason


@pytest.mark.parametrize(
    "rule, words",
    [
        (("root-activity", ROOT_RULE, "ENABLED", False), "has no target"),
        (("root-activity", ROOT_RULE, "DISABLED", True), "is DISABLED"),
    ],
)
def test_eventbridge_rule_without_target_or_disabled_fails(tmp_path: Path, rule: tuple, words: str) -> None:
    f = finding(tmp_path, **NO_FILTER_ROUTE, eventbridge={"us-east-1": rules(rule)})
    assert f.status is Status.FAIL and words in f.reason, f.reason
    assert "metric filter route" in f.reason and "EventBridge route" in f.reason


def test_eventbridge_needs_every_region(tmp_path: Path) -> None:
    both = {
        "us-east-1": rules(("root-activity", ROOT_RULE, "ENABLED", True)),
        "eu-west-1": rules(
            (
                "other",
                '{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}',
                "ENABLED",
                True,
            )
        ),
    }
    f = finding(tmp_path / "a", **NO_FILTER_ROUTE, regions=["us-east-1", "eu-west-1"], eventbridge=both)
    assert f.status is Status.FAIL and "in 1 of 2 region(s): eu-west-1 (API call, AssumeRoot session)." in f.reason
    assert f.observed["coverage"]["us-east-1"] == dict.fromkeys(
        ("console sign-in", "API call", "AssumeRoot session"), "alert"
    )
    # a region whose rules could not be listed leaves the route unproven, not failed
    f = finding(
        tmp_path / "b",
        **NO_FILTER_ROUTE,
        regions=["us-east-1", "eu-west-1"],
        eventbridge={"us-east-1": both["us-east-1"]},
        errors=[("events:ListRules", "eu-west-1", {"EventBusName": "default"}, "ThrottlingException", "slow")],
    )
    assert f.status is Status.NOT_ASSESSED and "ThrottlingException" in f.reason


def test_metric_filter_route_covers_all_regions_through_the_multi_region_trail(tmp_path: Path) -> None:
    f = finding(tmp_path, regions=["us-east-1", "eu-west-1", "ap-south-1"])
    assert f.status is Status.PASS, f.reason


def test_malformed_monitoring_artifacts(tmp_path: Path) -> None:
    f = finding(tmp_path / "a", metric_filters={"us-east-1": b"not json"})
    assert f.status is Status.NOT_ASSESSED and "metric_filters.json: not valid JSON" in f.reason
    # one bad alarm record is a problem; the good alarm still carries the chain
    report = checked(write_snapshot(tmp_path / "b", monitored(alarms={"us-east-1": [{"MetricName": "x"}, alarm()]})))
    [f] = [x for x in report.findings if x.check_id == CHECK]
    assert f.status is Status.PASS
    assert [p.location for p in report.problems] == ["MetricAlarms[0]"]


def test_assume_role_refused_is_not_assessed(tmp_path: Path) -> None:
    f = finding(tmp_path, assume_role_error=("AccessDenied", "not authorized to perform sts:AssumeRole"))
    assert f.status is Status.NOT_ASSESSED and "sts:AssumeRole failed: AccessDenied" in f.reason


def test_cis_pattern_constant_is_the_benchmark_text() -> None:
    assert CIS_ROOT_PATTERN.count("&&") == 2 and "invokedBy NOT EXISTS" in CIS_ROOT_PATTERN
