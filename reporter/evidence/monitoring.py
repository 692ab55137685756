"""Alerting configuration: metric filters, alarms, SNS subscriptions, EventBridge rules."""

from __future__ import annotations

from typing import Any

from reporter.evidence.iam_documents import DocumentError, load_object
from reporter.evidence.problems import ParseProblem

Parsed = tuple[Any, list[ParseProblem]]


def _keep(items: Any, key: str, source: str, required: dict[str, type]) -> Parsed:
    """The items that have the fields a check needs; each other item is a named problem."""
    if not isinstance(items, list):
        raise DocumentError(f"{source}: no {key} list")
    kept: list[dict[str, Any]] = []
    problems: list[ParseProblem] = []
    for i, item in enumerate(items):
        bad = (
            [f for f, t in required.items() if not isinstance(item.get(f), t)]
            if isinstance(item, dict)
            else ["the item is not an object"]
        )
        if bad:
            problems.append(ParseProblem(source, f"{key}[{i}]", f"missing or malformed: {', '.join(bad)}"))
        else:
            kept.append(item)
    return kept, problems


def parse_metric_filters(data: bytes, source: str) -> Parsed:
    return _keep(
        load_object(data, source).get("metricFilters"),
        "metricFilters",
        source,
        {"filterName": str, "filterPattern": str, "logGroupName": str, "metricTransformations": list},
    )


def parse_alarms(data: bytes, source: str) -> Parsed:
    doc = load_object(data, source)
    metric, problems = _keep(doc.get("MetricAlarms"), "MetricAlarms", source, {"AlarmName": str})
    composite = doc.get("CompositeAlarms", [])
    if not isinstance(composite, list):
        raise DocumentError(f"{source}: CompositeAlarms is not a list")
    return {"MetricAlarms": metric, "CompositeAlarms": composite}, problems


def parse_subscriptions(data: bytes, source: str) -> Parsed:
    return _keep(
        load_object(data, source).get("Subscriptions"),
        "Subscriptions",
        source,
        {"SubscriptionArn": str, "TopicArn": str},
    )


def parse_rules(data: bytes, source: str) -> Parsed:
    doc = load_object(data, source)
    rules, problems = _keep(doc.get("Rules"), "Rules", source, {"Name": str})
    targets = doc.get("Targets", {})
    if not isinstance(targets, dict) or not all(isinstance(v, list) for v in targets.values()):
        raise DocumentError(f"{source}: Targets is not an object of lists")
    return {"Rules": rules, "Targets": targets}, problems
