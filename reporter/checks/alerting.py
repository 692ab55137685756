"""Root usage raises an alert someone receives: metric filter + alarm + SNS, or EventBridge.

Both routes are judged by running sample CloudTrail records through the configured patterns,
not by comparing pattern text: a root console sign-in and root API calls must match, an
ordinary IAM-user or role call must not (a filter that matches everything is noise, not an
alert on root).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import check
from reporter.checks.trail import TrailView, trail_views
from reporter.core.partition import DEFAULT_PARTITION, arn, home_region, is_arn_of, root_arn
from reporter.core.status import Severity, Status
from reporter.evidence.event_pattern import EventPatternError, compile_event_pattern, event_pattern_matches
from reporter.evidence.keyed import Documents
from reporter.evidence.metric_filter_pattern import FilterPatternError, compile_filter_pattern

_ENABLED = {"ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"}
_UNCONFIRMED = {"PendingConfirmation", "Deleted"}


def _record(partition: str, account: str, kind: str, service: str, name: str, region: str) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": kind,
        "accountId": account,
        "principalId": account,
        "arn": root_arn(partition, account),
    }
    if kind == "IAMUser":
        identity.update(
            arn=arn(partition, "iam", "", account, "user/alice"),
            userName="alice",
            principalId="AIDAEXAMPLEALICE",
            accessKeyId="AKIAEXAMPLEALICE",
        )
    elif kind == "AssumedRole":
        identity.update(
            arn=arn(partition, "sts", "", account, "assumed-role/Admin/bob"),
            principalId="AROAEXAMPLE:bob",
            accessKeyId="ASIAEXAMPLEBOB",
        )
    sign_in = name == "ConsoleLogin"
    record = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": "2026-10-15T10:00:00Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Mozilla/5.0",
        "readOnly": False,
        "eventType": "AwsConsoleSignIn" if sign_in else "AwsApiCall",
        "managementEventCategory": "Management",
        "recipientAccountId": account,
        "eventID": f"sample-{kind}-{name}-{region}",
    }
    if sign_in:
        record.update(
            responseElements={"ConsoleLogin": "Success"},
            additionalEventData={"MFAUsed": "Yes", "LoginTo": "https://console.aws.amazon.com/"},
        )
    return record


@dataclass(frozen=True)
class Sample:
    label: str
    record: dict[str, Any]

    @property
    def event(self) -> dict[str, Any]:
        """The record as EventBridge delivers it."""
        sign_in = self.record["eventName"] == "ConsoleLogin"
        service = self.record["eventSource"].split(".")[0]
        return {
            "version": "0",
            "id": self.record["eventID"],
            "detail-type": "AWS Console Sign In via CloudTrail" if sign_in else "AWS API Call via CloudTrail",
            "source": f"aws.{service}",
            "account": self.record["recipientAccountId"],
            "time": self.record["eventTime"],
            "region": self.record["awsRegion"],
            "resources": [],
            "detail": self.record,
        }


def root_samples(account: str, region: str | None = None, partition: str = DEFAULT_PARTITION) -> list[Sample]:
    """Root activity an alert must catch in `region` (default: the partition's home region, where
    AWS records console sign-ins and IAM calls; only there do those samples apply)."""
    home = home_region(partition)
    region = region or home

    def sample(label: str, service: str, name: str) -> Sample:
        return Sample(label, _record(partition, account, "Root", service, name, region))

    samples = [sample(f"root {s}:{n} in {region}", s, n) for s, n in (("ec2", "RunInstances"), ("s3", "CreateBucket"))]
    if region == home:
        samples = [
            sample("root console sign-in", "signin", "ConsoleLogin"),
            sample("root iam:CreateAccessKey", "iam", "CreateAccessKey"),
            *samples,
        ]
    return samples


def ordinary_samples(account: str, partition: str = DEFAULT_PARTITION) -> list[Sample]:
    home = home_region(partition)
    return [
        Sample("IAM user iam:ListUsers", _record(partition, account, "IAMUser", "iam", "ListUsers", home)),
        Sample(
            "assumed role ec2:RunInstances", _record(partition, account, "AssumedRole", "ec2", "RunInstances", home)
        ),
    ]


@dataclass
class Route:
    name: str
    passed: bool = False
    failures: list[str] = field(default_factory=list)  # settled: this is why it does not hold
    unknowns: list[str] = field(default_factory=list)  # evidence that could not be read or was not collected
    observed: dict[str, Any] = field(default_factory=dict)
    refs: list[EvidenceRef] = field(default_factory=list)
    # A failure no missing evidence could undo (a region whose rules are known and miss root).
    settled: bool = False

    @property
    def verdict(self) -> str:
        if self.passed:
            return "PASS"
        return "FAIL" if self.settled or not self.unknowns else "UNKNOWN"

    def why(self) -> str:
        parts = self.failures + [f"could not tell: {u}" for u in self.unknowns]
        return "; ".join(parts) or "nothing found"


def _doc(ctx: CheckContext, table: str, region: str, route: Route, what: str) -> Any:
    docs: Documents = ctx.table(table).data
    if region in docs.items:
        route.refs.append(EvidenceRef(docs.sources[region]))
        return docs.items[region]
    route.unknowns.append(f"{what} in {region}: {docs.errors.get(region, 'not collected')}")
    return None


def _alarm_metrics(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    found = {(alarm.get("Namespace"), alarm.get("MetricName"))}
    for query in alarm.get("Metrics") or []:
        metric = ((query or {}).get("MetricStat") or {}).get("Metric") or {}
        found.add((metric.get("Namespace"), metric.get("MetricName")))
    return cast(set[tuple[str, str]], {m for m in found if all(isinstance(x, str) for x in m)})


def _notified(
    ctx: CheckContext, region: str, metrics: set[tuple[str | None, str | None]], route: Route, cache: dict[str, Any]
) -> list[str]:
    """`alarm -> topic -> subscription` chains that deliver an alarm on one of `metrics`."""
    if region not in cache:
        cache[region] = (_doc(ctx, "alarms", region, route, "CloudWatch alarms"), None)
    alarms, _ = cache[region]
    if alarms is None:
        return []
    chains: list[str] = []
    for alarm in alarms["MetricAlarms"]:
        if not (_alarm_metrics(alarm) & metrics):
            continue
        name = alarm["AlarmName"]
        if alarm.get("ActionsEnabled") is False:
            route.failures.append(f"alarm {name} has its actions disabled")
            continue
        topics = [a for a in alarm.get("AlarmActions") or [] if isinstance(a, str) and is_arn_of(a, "sns")]
        if not topics:
            route.failures.append(f"alarm {name} notifies no SNS topic")
            continue
        key = f"sns:{region}"
        if key not in cache:
            cache[key] = (_doc(ctx, "sns_subscriptions", region, route, "SNS subscriptions"), None)
        subs_doc, _ = cache[key]
        if subs_doc is None:
            continue
        asked = ctx.table("sns_subscriptions").data.params.get(region, {}).get("TopicArns")
        for topic in topics:
            if asked is not None and topic not in asked:
                route.unknowns.append(f"subscriptions of {topic} were not collected")
                continue
            confirmed = [
                s
                for s in subs_doc
                if s["TopicArn"] == topic
                and s["SubscriptionArn"] not in _UNCONFIRMED
                and s["SubscriptionArn"].startswith("arn:")
            ]
            if confirmed:
                chains.append(f"alarm {name} -> {topic} ({len(confirmed)} confirmed subscription(s))")
            else:
                route.failures.append(f"alarm {name}: topic {topic} has no confirmed subscription")
    return chains


def metric_filter_route(ctx: CheckContext) -> Route:
    route = Route("metric filter")
    if ctx.maybe("trails") is None:
        route.unknowns.append("the trail list is unavailable")
        return route
    views: list[TrailView] = trail_views(ctx)
    usable = [v for v in views if v.multi_region and v.logging_now and v.management and v.log_group]
    for v in views:
        if v not in usable:
            why = (
                "not multi-region"
                if not v.multi_region
                else "sends no logs to CloudWatch Logs"
                if not v.log_group
                else "not logging"
                if v.logging_now is False
                else "does not record every management event, read and write"
                if v.management is False
                else ", ".join(v.notes)
            )
            bucket = (
                route.unknowns
                if v.multi_region and v.log_group and None in (v.logging_now, v.management)
                else route.failures
            )
            bucket.append(f"trail {v.name} cannot carry the filter ({why})")
    route.observed["trails"] = [v.arn for v in usable]
    if not usable:
        if not views:
            route.failures.append("the account has no CloudTrail trail")
        return route
    samples = root_samples(ctx.account_id, partition=ctx.partition)
    ordinary = ordinary_samples(ctx.account_id, ctx.partition)
    caught: dict[str, list[str]] = {s.label: [] for s in samples}
    cache: dict[str, Any] = {}
    filters_docs: Documents = ctx.table("metric_filters").data
    for region, group in sorted({v.log_group for v in usable if v.log_group}):
        filters = _doc(ctx, "metric_filters", region, route, "metric filters")
        if filters is None:
            continue
        asked = filters_docs.params.get(region, {}).get("logGroupNames")
        if asked is not None and group not in asked:
            route.unknowns.append(f"metric filters of log group {group} were not collected")
            continue
        mine = [f for f in filters if f["logGroupName"] == group]
        if not mine:
            route.failures.append(f"log group {group} has no metric filter")
        for metric_filter in mine:
            name = metric_filter["filterName"]
            try:
                pattern = compile_filter_pattern(metric_filter["filterPattern"])
            except FilterPatternError as exc:
                route.unknowns.append(f"filter {name}: its pattern cannot be evaluated ({exc})")
                continue
            hits = [s.label for s in samples if pattern.matches(s.record)]
            noise = [s.label for s in ordinary if pattern.matches(s.record)]
            if not hits:
                continue
            if noise:
                route.failures.append(f"filter {name} also matches ordinary activity ({', '.join(noise)})")
                continue
            metrics = {
                (t.get("metricNamespace"), t.get("metricName"))
                for t in metric_filter["metricTransformations"]
                if isinstance(t, dict)
            }
            chains = _notified(ctx, region, metrics, route, cache)
            if not chains:
                route.failures.append(
                    f"filter {name} matches root activity but no alarm on its metric reaches a confirmed subscriber"
                )
                continue
            for label in hits:
                caught[label].append(f"filter {name} ({chains[0]})")
    missed = [label for label, how in caught.items() if not how]
    route.observed["matched"] = {label: how for label, how in caught.items() if how}
    if missed:
        route.failures.insert(0, f"no metric filter with a delivered alarm matches: {', '.join(missed)}")
    else:
        route.passed = True
    return route


def eventbridge_route(ctx: CheckContext) -> Route:
    route = Route("EventBridge")
    docs: Documents = ctx.table("eventbridge_rules").data
    regions = sorted(set(ctx.account.regions) or set(docs.items) | set(docs.errors) or {home_region(ctx.partition)})
    matched: dict[str, dict[str, list[str]]] = {}
    for region in regions:
        doc = _doc(ctx, "eventbridge_rules", region, route, "EventBridge rules")
        if doc is None:
            continue
        samples = root_samples(ctx.account_id, region, ctx.partition)
        ordinary = ordinary_samples(ctx.account_id, ctx.partition)
        targets = doc["Targets"]
        hits: dict[str, list[str]] = {s.label: [] for s in samples}
        for rule in doc["Rules"]:
            name, pattern = rule["Name"], rule.get("EventPattern")
            if not isinstance(pattern, str | dict):
                continue  # a scheduled rule
            try:
                compiled = compile_event_pattern(pattern)
            except EventPatternError as exc:
                route.unknowns.append(f"rule {name} in {region}: its pattern cannot be evaluated ({exc})")
                continue
            caught = [s.label for s in samples if event_pattern_matches(compiled, s.event)]
            if not caught:
                continue
            if rule.get("State") not in _ENABLED:
                route.failures.append(f"rule {name} in {region} matches root activity but is {rule.get('State')}")
            elif not targets.get(name):
                route.failures.append(f"rule {name} in {region} matches root activity but has no target")
            elif noise := [s.label for s in ordinary if event_pattern_matches(compiled, s.event)]:
                route.failures.append(f"rule {name} in {region} also matches ordinary activity ({', '.join(noise)})")
            else:
                for label in caught:
                    hits[label].append(f"rule {name}")
        missed = [label for label, rules in hits.items() if not rules]
        matched[region] = {label: rules for label, rules in hits.items() if rules}
        if missed:
            route.settled = True
            route.failures.append(f"in {region} no enabled rule with a target matches: {', '.join(missed)}")
    route.observed["matched"] = matched
    route.passed = not route.failures and not route.unknowns
    return route


@check(
    id="root_usage_alerting",
    title="Root activity raises an alert that reaches a person",
    fails_when=(
        "neither route alerts a person on root use: (a) a metric filter on a logging multi-region trail's log"
        " group that matches root activity, with an alarm whose SNS topic has a confirmed subscriber; (b) "
        "enabled EventBridge rules with a target that match a root console sign-in and root API calls (in "
        "every covered region)"
    ),
    severity=Severity.MEDIUM,
    evidence=(
        "trails",
        "trail_status",
        "event_selectors",
        "metric_filters",
        "alarms",
        "sns_subscriptions",
        "eventbridge_rules",
    ),
    scope="account",
    rationale=(
        "Root use is rare and powerful; someone should learn of it within minutes, not at the next "
        "monthly review. CIS asks for a CloudTrail metric filter on root activity with an alarm whose SNS "
        "topic has a subscriber; an EventBridge rule on the same events, with a target, does the same job."
    ),
    remediation=(
        "Send a multi-region trail to CloudWatch Logs, then create the CIS filter: aws logs put-metric-filter "
        "--log-group-name <group> --filter-name RootUsage --metric-transformations "
        "metricName=RootUsageCount,metricNamespace=CISBenchmark,metricValue=1 --filter-pattern "
        '\'{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }\'.',  # noqa: E501 - the pattern as AWS documents it
        "Create an alarm on that metric (threshold >= 1 over 5 minutes) whose AlarmActions name an SNS topic, "
        "and confirm at least one subscription to the topic (a pending email subscription receives nothing).",
        "Or create an EventBridge rule in us-east-1 (console sign-ins, IAM) and in every region in use, pattern "
        '{"detail": {"userIdentity": {"type": ["Root"]}}}, with an SNS or incident-tool target.',
    ),
    references=(
        "CIS AWS Foundations Benchmark v1.4.0 4.3 / v3.0.0 4.3 / v5.0.0 4.3 / v6.0.0 5.3",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html",
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-1",
    ),
)
def root_usage_alerting(ctx: CheckContext) -> list[Finding]:
    routes = [metric_filter_route(ctx), eventbridge_route(ctx)]
    observed = {r.name: {"verdict": r.verdict, "why": r.why() if not r.passed else None, **r.observed} for r in routes}
    refs = list(dict.fromkeys(ref for r in routes for ref in r.refs))
    passed = [r for r in routes if r.passed]
    if passed:
        route = passed[0]
        by_how: dict[str, list[str]] = {}
        for label, how in _flatten(route.observed.get("matched", {})).items():
            by_how.setdefault(", ".join(how) if isinstance(how, list) else str(how), []).append(label)
        detail = "; ".join(f"{how} catches {', '.join(labels)}" for how, labels in by_how.items())
        return [
            ctx.finding(
                ctx.account_id,
                Status.PASS,
                f"The {route.name} route alerts on root activity: {detail}.",
                observed=observed,
                evidence=refs,
            )
        ]
    summary = "; ".join(f"{r.name} route: {r.why()}" for r in routes)
    if all(r.verdict == "FAIL" for r in routes):
        return [
            ctx.finding(
                ctx.account_id,
                Status.FAIL,
                f"No alert on root activity was found. {summary}.",
                observed=observed,
                evidence=refs,
            )
        ]
    return [
        ctx.finding(
            ctx.account_id,
            Status.NOT_ASSESSED,
            f"Not assessed: no route is proven and the evidence for one is incomplete. {summary}.",
            observed=observed,
            evidence=refs,
        )
    ]


def _flatten(matched: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in matched.items():
        if isinstance(value, dict):
            out.update(value)
        else:
            out[key] = value
    return out
