"""CloudWatch alerting evidence: metric filters on the trails' log groups, the alarms of those
regions, the SNS subscriptions of the alarms' topics, and EventBridge rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, cast

from reporter.collect.context import Context, Failure, all_pages

# arn:<partition>:logs:<region>:<account>:log-group:<name>[:*] split on the first six colons
_LOG_GROUP_PARTS = 7


def trail_log_groups(trails: list[dict[str, Any]], account: str) -> dict[str, list[str]]:
    """region -> names of the trails' CloudWatch Logs groups that live in `account`.

    A log group of another account (an organization trail delivering to the management
    account) cannot be read with this account's credentials; that account's own collection
    covers it.
    """
    groups: dict[str, set[str]] = defaultdict(set)
    for trail in trails:
        arn = trail.get("CloudWatchLogsLogGroupArn") or ""
        parts = arn.split(":", 6)
        if len(parts) < _LOG_GROUP_PARTS or parts[2] != "logs" or parts[5] != "log-group":
            continue
        if parts[4] != account:
            continue
        name = parts[6].removesuffix(":*")
        groups[parts[3]].add(name)
    return {region: sorted(names) for region, names in sorted(groups.items())}


def collect_alerting(ctx: Context, region: str, log_groups: list[str]) -> None:
    """Metric filters, then the region's alarms, then the subscriptions of their SNS topics."""
    base = f"accounts/{ctx.account}/monitoring/{region}/"
    logs = ctx.client("logs", region)

    def metric_filters() -> dict[str, Any]:
        return {
            "metricFilters": [
                f
                for name in log_groups
                for f in all_pages(logs, "describe_metric_filters", "metricFilters", logGroupName=name)
            ]
        }

    ctx.fetch_json(
        base + "metric_filters.json",
        metric_filters,
        api="logs:DescribeMetricFilters",
        region=region,
        params={"logGroupNames": log_groups},
    )
    cloudwatch = ctx.client("cloudwatch", region)

    def alarms() -> dict[str, Any]:
        metric: list[Any] = []
        composite: list[Any] = []
        for page in cloudwatch.get_paginator("describe_alarms").paginate():
            metric.extend(page.get("MetricAlarms") or [])
            composite.extend(page.get("CompositeAlarms") or [])
        return {"MetricAlarms": metric, "CompositeAlarms": composite}

    answer = ctx.fetch_json(base + "alarms.json", alarms, api="cloudwatch:DescribeAlarms", region=region)
    if isinstance(answer, Failure):
        return
    topics = sorted(
        {
            action
            for alarm in answer["MetricAlarms"] + answer["CompositeAlarms"]
            for action in alarm.get("AlarmActions") or []
            if action.startswith("arn:") and action.split(":")[2:4] == ["sns", region]
        }
    )
    if topics:
        _subscriptions(ctx, region, topics, base + "sns_subscriptions.json")


def _subscriptions(ctx: Context, region: str, topics: list[str], path: str) -> None:
    api = "sns:ListSubscriptionsByTopic"
    sns = ctx.client("sns", region)
    subscriptions: list[Any] = []
    answered: list[str] = []
    for topic in topics:
        result = ctx.attempt(
            cast(
                "Callable[[], list[Any]]",
                lambda t=topic: all_pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=t),
            )
        )
        if isinstance(result, Failure):
            # A deleted topic (NotFound) is itself evidence: the alarm notifies nobody.
            ctx.error(result, api=api, region=region, params={"TopicArns": [topic]})
        else:
            subscriptions.extend(result)
            answered.append(topic)
    if answered:
        ctx.json(path, {"Subscriptions": subscriptions}, api=api, region=region, params={"TopicArns": answered})


def collect_eventbridge(ctx: Context, region: str) -> None:
    """ListRules on the default bus with every rule's targets."""
    events = ctx.client("events", region)

    def rules() -> dict[str, Any]:
        found = all_pages(events, "list_rules", "Rules", EventBusName="default")
        targets = {
            rule["Name"]: all_pages(
                events, "list_targets_by_rule", "Targets", Rule=rule["Name"], EventBusName="default"
            )
            for rule in found
        }
        return {"Rules": found, "Targets": targets}

    ctx.fetch_json(
        f"accounts/{ctx.account}/monitoring/{region}/eventbridge_rules.json",
        rules,
        api="events:ListRules",
        region=region,
        params={"EventBusName": "default"},
    )
