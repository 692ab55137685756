"""root_usage_alerting judged per region and per source of root activity (issue #15 item 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from factory import (
    ACCOUNT,
    CIS_ROOT_PATTERN,
    LOG_GROUP,
    ROOT_METRIC,
    alarm,
    basic_selectors,
    checked,
    metric_filter,
    monitored,
    subscription,
    trail,
    trail_status,
    write_snapshot,
)

from reporter.checks.alert_samples import ASSUME_ROOT, SOURCES, root_samples
from reporter.checks.finding import Finding
from reporter.core.status import Status
from reporter.evidence.metric_filter_pattern import compile_filter_pattern

CHECK = "root_usage_alerting"
ROOT_RULE = orjson.dumps({"detail": {"userIdentity": {"type": ["Root"]}}}).decode()
THREE = ["us-east-1", "eu-west-1", "ap-south-1"]
ALL = dict.fromkeys(SOURCES, "alert")
REGIONAL = {"API call": "alert", "AssumeRoot session": "alert"}  # no console sign-in outside the home region


def no_rules(*regions: str) -> dict[str, Any]:
    return {r: {"Rules": [], "Targets": {}} for r in regions}


def rule(name: str, pattern: str, region: str, *targets: str, partition: str = "aws") -> dict[str, Any]:
    return {
        "Rules": [
            {
                "Name": name,
                "Arn": f"arn:{partition}:events:{region}:{ACCOUNT}:rule/{name}",
                "EventPattern": pattern,
                "State": "ENABLED",
                "EventBusName": "default",
            }
        ],
        "Targets": {name: [{"Id": f"t{i}", "Arn": t} for i, t in enumerate(targets)]},
    }


def finding(tmp_path: Path, caller_arn: str | None = None, **changes: Any) -> Finding:
    changes.setdefault("eventbridge", no_rules(*changes.get("regions", ["us-east-1"])))
    snap = write_snapshot(tmp_path / "snap", monitored(**changes), caller_arn=caller_arn)
    [found] = [f for f in checked(snap).findings if f.check_id == CHECK]
    return found


def test_samples_exist_for_every_source_in_the_home_region_and_regional_ones_elsewhere() -> None:
    home = {s.source for s in root_samples(ACCOUNT, "us-east-1")}
    other = {s.source for s in root_samples(ACCOUNT, "eu-west-1")}
    assert home == set(SOURCES) and other == {"API call", ASSUME_ROOT}
    for region in THREE:
        assert {s.record["awsRegion"] for s in root_samples(ACCOUNT, region)} == {region}
    # AssumeRoot sessions: a Root identity on temporary keys, marked assumedRoot, no invokedBy
    session = next(s.record for s in root_samples(ACCOUNT, "eu-west-1") if s.source == ASSUME_ROOT)
    identity = session["userIdentity"]
    assert identity["type"] == "Root" and identity["accessKeyId"].startswith("ASIA")
    assert identity["sessionContext"]["assumedRoot"] == "true" and "invokedBy" not in identity
    gov = root_samples(ACCOUNT, partition="aws-us-gov")
    assert gov[0].label == "root console sign-in" and gov[0].record["awsRegion"] == "us-gov-west-1"
    assert gov[0].record["userIdentity"]["arn"] == f"arn:aws-us-gov:iam::{ACCOUNT}:root"


def test_multi_region_trail_covers_every_region(tmp_path: Path) -> None:
    f = finding(tmp_path, regions=THREE)
    assert f.status is Status.PASS, f.reason
    assert f.observed["coverage"] == {"ap-south-1": REGIONAL, "eu-west-1": REGIONAL, "us-east-1": ALL}
    assert "in every region in scope (3)" in f.reason


def test_filter_narrowed_to_us_east_1_fails_the_other_regions(tmp_path: Path) -> None:
    pattern = '{ $.userIdentity.type = "Root" && $.awsRegion = "us-east-1" }'
    f = finding(tmp_path, regions=THREE, metric_filters={"us-east-1": [metric_filter(pattern)]})
    assert f.status is Status.FAIL
    assert (
        "in 2 of 3 region(s): ap-south-1 (API call, AssumeRoot session); eu-west-1 (API call, AssumeRoot session)."
        in f.reason
    )
    assert f.observed["coverage"]["us-east-1"] == ALL
    assert f.observed["uncovered"] == [
        "ap-south-1 (API call, AssumeRoot session)",
        "eu-west-1 (API call, AssumeRoot session)",
    ]


def test_filter_that_misses_assume_root_sessions_fails_that_source(tmp_path: Path) -> None:
    # written to keep centralized root access quiet: it also hides what those sessions do
    pattern = '{ $.userIdentity.type = "Root" && $.userIdentity.sessionContext.assumedRoot NOT EXISTS }'
    f = finding(tmp_path, regions=["us-east-1", "eu-west-1"], metric_filters={"us-east-1": [metric_filter(pattern)]})
    assert f.status is Status.FAIL
    assert "eu-west-1 (AssumeRoot session); us-east-1 (AssumeRoot session)." in f.reason
    assert f.observed["coverage"]["us-east-1"] == {**ALL, ASSUME_ROOT: "none"}
    assert "AssumeRoot session s3:DeleteBucketPolicy in every region" in f.reason


def test_cis_pattern_catches_assume_root_sessions() -> None:
    cis = compile_filter_pattern(CIS_ROOT_PATTERN)
    assert all(cis.matches(s.record) for s in root_samples(ACCOUNT, "eu-west-1"))


def single_region(home: str, **changes: Any) -> dict[str, Any]:
    arn = f"arn:aws:cloudtrail:{home}:{ACCOUNT}:trail/regional"
    return dict(
        trails=[trail("regional", multi_region=False, home=home)],
        trail_status={arn: trail_status()},
        event_selectors={arn: basic_selectors(arn)},
        **changes,
    )


def test_single_region_trail_covers_its_home_region_only(tmp_path: Path) -> None:
    f = finding(tmp_path / "a", regions=["us-east-1", "eu-west-1"], **single_region("us-east-1"))
    assert f.status is Status.FAIL and "in 1 of 2 region(s): eu-west-1 (API call, AssumeRoot session)." in f.reason
    assert f.observed["coverage"]["us-east-1"] == ALL
    # a single-region trail elsewhere does not see the home region's sign-ins and IAM calls
    f = finding(
        tmp_path / "b",
        regions=["us-east-1", "eu-west-1"],
        **single_region(
            "eu-west-1",
            metric_filters={"eu-west-1": [metric_filter()]},
            alarms={"eu-west-1": [alarm(topic=f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts")]},
            subscriptions={"eu-west-1": [subscription(f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts")]},
        ),
    )
    assert f.status is Status.FAIL
    assert "us-east-1 (console sign-in, API call, AssumeRoot session)" in f.reason
    assert f.observed["coverage"]["eu-west-1"] == REGIONAL


def test_routes_combine_per_region(tmp_path: Path) -> None:
    """A single-region trail's filter in us-east-1 and an EventBridge rule in eu-west-1 cover both."""
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"
    f = finding(
        tmp_path,
        regions=["us-east-1", "eu-west-1"],
        **single_region("us-east-1"),
        eventbridge={**no_rules("us-east-1"), "eu-west-1": rule("root", ROOT_RULE, "eu-west-1", topic)},
    )
    assert f.status is Status.PASS, f.reason
    assert "metric filter route" in f.reason and "EventBridge route: rule root in eu-west-1" in f.reason


def test_eventbridge_rule_in_one_region_fails_the_others(tmp_path: Path) -> None:
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
    f = finding(
        tmp_path,
        regions=THREE,
        metric_filters={"us-east-1": []},
        eventbridge={**no_rules(*THREE), "us-east-1": rule("root", ROOT_RULE, "us-east-1", topic)},
    )
    assert f.status is Status.FAIL
    assert f.observed["uncovered"] == [
        "ap-south-1 (API call, AssumeRoot session)",
        "eu-west-1 (API call, AssumeRoot session)",
    ]
    assert f.observed["EventBridge"]["verdict"] == "FAIL"


def test_eventbridge_forwarding_to_the_home_bus_counts(tmp_path: Path) -> None:
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
    home_bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    rules = {
        "us-east-1": rule("root", ROOT_RULE, "us-east-1", topic),
        "eu-west-1": rule("forward", ROOT_RULE, "eu-west-1", home_bus),
    }
    changes: dict[str, Any] = dict(regions=["us-east-1", "eu-west-1"], metric_filters={"us-east-1": []})
    f = finding(tmp_path / "a", eventbridge=rules, **changes)
    assert f.status is Status.PASS, f.reason
    assert "rule forward in eu-west-1 -> rule root in us-east-1" in f.reason
    # forwarded to a bus of another account: this account's evidence cannot show its rules
    central = "arn:aws:events:us-east-1:999988887777:event-bus/central"
    rules["eu-west-1"] = rule("forward", ROOT_RULE, "eu-west-1", central)
    f = finding(tmp_path / "b", eventbridge=rules, **changes)
    assert f.status is Status.NOT_ASSESSED and "eu-west-1 (API call, AssumeRoot session)" in f.reason
    assert f"forwards to {central}" in f.reason
    # forwarded to the home bus, where nothing delivers it
    rules["us-east-1"] = no_rules("us-east-1")["us-east-1"]
    rules["eu-west-1"] = rule("forward", ROOT_RULE, "eu-west-1", home_bus)
    f = finding(tmp_path / "c", eventbridge=rules, **changes)
    assert f.status is Status.FAIL and "forwards to us-east-1, where no enabled rule" in f.reason


@pytest.mark.parametrize(
    "api, region, words",
    [
        ("events:ListRules", "eu-west-1", "events:ListRules in eu-west-1 failed: AccessDenied"),
        ("logs:DescribeMetricFilters", "us-east-1", "logs:DescribeMetricFilters in us-east-1 failed: AccessDenied"),
    ],
)
def test_region_whose_alerting_collection_failed_is_not_assessed(
    tmp_path: Path, api: str, region: str, words: str
) -> None:
    changes: dict[str, Any] = dict(regions=["us-east-1", "eu-west-1"])
    if api == "events:ListRules":
        # the single-region trail's filter covers us-east-1; eu-west-1 rests on the rules that failed
        changes.update(single_region("us-east-1"), eventbridge=no_rules("us-east-1"))
        expected = ["eu-west-1 (API call, AssumeRoot session)"]
    else:
        changes.update(metric_filters={})
        expected = [
            "eu-west-1 (API call, AssumeRoot session)",
            "us-east-1 (console sign-in, API call, AssumeRoot session)",
        ]
    f = finding(tmp_path, errors=[(api, region, {}, "AccessDenied", "not authorized")], **changes)
    assert f.status is Status.NOT_ASSESSED, f.reason
    assert f.observed["not_assessed"] == expected and words in f.reason
    assert f.reason.startswith(f"Not assessed: no alert path is proven in {'; '.join(expected)}")


GOV = "aws-us-gov"
GOV_REGIONS = ["us-gov-east-1", "us-gov-west-1"]
GOV_TOPIC = f"arn:{GOV}:sns:us-gov-west-1:{ACCOUNT}:security-alerts"
GOV_CALLER = f"arn:{GOV}:sts::{ACCOUNT}:assumed-role/Audit/reporter"


def gov(pattern: str = CIS_ROOT_PATTERN) -> dict[str, Any]:
    arn = f"arn:{GOV}:cloudtrail:us-gov-west-1:{ACCOUNT}:trail/management-events"
    return dict(
        regions=GOV_REGIONS,
        trails=[trail(home="us-gov-west-1", partition=GOV)],
        trail_status={arn: trail_status()},
        event_selectors={arn: basic_selectors(arn)},
        metric_filters={"us-gov-west-1": [metric_filter(pattern, group=LOG_GROUP, metric=ROOT_METRIC)]},
        alarms={"us-gov-west-1": [alarm(topic=GOV_TOPIC)]},
        subscriptions={"us-gov-west-1": [subscription(GOV_TOPIC)]},
        eventbridge=no_rules(*GOV_REGIONS),
    )


def test_govcloud_coverage_per_region(tmp_path: Path) -> None:
    f = finding(tmp_path / "a", caller_arn=GOV_CALLER, **gov())
    assert f.status is Status.PASS, f.reason
    # console sign-ins of GovCloud root land in us-gov-west-1, the partition's home region
    assert f.observed["coverage"] == {"us-gov-east-1": REGIONAL, "us-gov-west-1": ALL}
    narrowed = '{ $.userIdentity.type = "Root" && $.awsRegion = "us-gov-west-1" }'
    f = finding(tmp_path / "b", caller_arn=GOV_CALLER, **gov(narrowed))
    assert f.status is Status.FAIL and "in 1 of 2 region(s): us-gov-east-1 (API call, AssumeRoot session)." in f.reason
