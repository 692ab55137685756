"""Root usage raises an alert someone receives, in every region and for every kind of root use.

Both routes (metric filter + alarm + SNS, or EventBridge; `alert_routes.py`) are judged by
running sample CloudTrail records (`alert_samples.py`) through the configured patterns, not by
comparing pattern text: for every region in scope, a root console sign-in (home region), root
API calls and AssumeRoot-session calls must each reach a person by some route; an ordinary
IAM-user or role call must not match (a filter that matches everything is noise, not an alert
on root). A pattern narrowed to one region or one event source covers only what it matches, so
the finding names each region and source left without an alert path.
"""

from __future__ import annotations

from typing import Any

from reporter.checks.alert_routes import Route, Samples, eventbridge_route, metric_filter_route
from reporter.checks.alert_samples import SOURCES, root_samples
from reporter.checks.common import plural, sentence
from reporter.checks.context import CheckContext
from reporter.checks.finding import Finding
from reporter.checks.registry import check
from reporter.core.partition import home_region
from reporter.core.status import Severity, Status

ALERT, NONE, UNKNOWN = "alert", "none", "unknown"
_SHOWN_PATHS = 3


def _regions(ctx: CheckContext) -> list[str]:
    """The account's regions in scope (older snapshots without them: the regions rules were asked in)."""
    docs = ctx.table("eventbridge_rules").data
    found = set(ctx.account.regions) or set(docs.items) | set(docs.errors) or {home_region(ctx.partition)}
    return sorted(found)


def coverage(samples: Samples, routes: list[Route]) -> dict[str, dict[str, str]]:
    """region -> source -> alert (every sample of it reaches a person), none (a sample is missed
    and no route's evidence for the region is incomplete) or unknown. A source CloudTrail does
    not record in a region (console sign-in outside the home region) has no cell."""
    matrix: dict[str, dict[str, str]] = {}
    for region, found in samples.items():
        row = matrix.setdefault(region, {})
        unsure = any(r.unknowns.get(region) for r in routes)
        for source in SOURCES:
            cell = [s for s in found if s.source == source]
            if not cell:
                continue
            missed = [s for s in cell if not any(r.caught.get((region, s.label)) for r in routes)]
            row[source] = ALERT if not missed else UNKNOWN if unsure else NONE
    return matrix


def _cells(matrix: dict[str, dict[str, str]], state: str) -> list[str]:
    """ "region (source, source)" for every region with a cell in `state`."""
    out = []
    for region, row in matrix.items():
        sources = [source for source, value in row.items() if value == state]
        if sources:
            out.append(f"{region} ({', '.join(sources)})")
    return out


def _paths(route: Route, total: int) -> str | None:
    paths = list(dict.fromkeys(p for found in route.caught.values() for p in found))
    if not paths:
        return None
    more = len(paths) - _SHOWN_PATHS
    shown = "; ".join(paths[:_SHOWN_PATHS]) + (f" and {more} more" if more > 0 else "")
    return f"{route.name} route: {shown} (catches {len(route.caught)} of {total} root samples)"


@check(
    id="root_usage_alerting",
    title="Root activity raises an alert that reaches a person",
    fails_when=(
        "in a region in scope, a kind of root activity (console sign-in in the home region, API calls, "
        "AssumeRoot-session calls) has no alert path that reaches a person: (a) a metric filter matching it on "
        "the log group of a logging trail that receives that region's events (a multi-region trail: every "
        "region; a single-region trail: its home region), with an alarm whose SNS topic has a confirmed "
        "subscriber; (b) an enabled EventBridge rule with a target in that region (or on a bus it forwards to) "
        "that matches it"
    ),
    expects=(
        "In every region in scope, each kind of root activity (console sign-in in the home region, API calls, "
        "AssumeRoot-session calls) raises an alert that reaches a person: a metric filter on a logging trail's "
        "log group with an alarm whose SNS topic has a confirmed subscriber, or an enabled EventBridge rule "
        "with a target"
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
    regions = _regions(ctx)
    samples = {r: root_samples(ctx.account_id, r, ctx.partition) for r in regions}
    routes = [metric_filter_route(ctx, samples), eventbridge_route(ctx, samples)]
    matrix = coverage(samples, routes)
    uncovered, unsure = _cells(matrix, NONE), _cells(matrix, UNKNOWN)
    whats = {"metric filter": "metric filter with a delivered alarm", "EventBridge": "enabled rule with a target"}
    observed: dict[str, Any] = {
        "regions": regions,
        "coverage": matrix,
        "uncovered": uncovered,
        "not_assessed": unsure,
        **{
            r.name: {
                "verdict": (verdict := r.verdict(samples)),
                "why": None if verdict == "PASS" else r.why(samples, whats[r.name]),
                **r.observed,
            }
            for r in routes
        },
    }
    refs = list(dict.fromkeys(ref for r in routes for ref in r.refs))
    total = sum(len(found) for found in samples.values())
    alerted = [region for region, row in matrix.items() if row and all(v == ALERT for v in row.values())]
    seen = sentence(
        [
            f"{plural(len(regions), 'region')} in scope ({', '.join(regions)}); every kind of root activity "
            f"raises an alert in {len(alerted)} of them",
            f"no alert reaches a person in {'; '.join(uncovered)}" if uncovered else "",
            f"the evidence cannot tell in {'; '.join(unsure)}" if unsure else "",
            *(
                (_paths(r, total) or f"{r.name} route: catches none of {total} root samples")
                if r.verdict(samples) == "PASS"
                else f"{r.name} route: {r.why(samples, whats[r.name])}"
                for r in routes
            ),
        ]
    )
    if not uncovered and not unsure:
        detail = "; ".join(p for r in routes if (p := _paths(r, total)))
        sources = ", ".join(s for s in SOURCES if any(s in row for row in matrix.values()))
        return [
            ctx.finding(
                ctx.account_id,
                Status.PASS,
                f"Root activity ({sources}) raises an alert in every region in scope ({len(regions)}): {detail}.",
                observed_text=seen,
                observed=observed,
                evidence=refs,
            )
        ]
    summary = "; ".join(f"{r.name} route: {r.why(samples, whats[r.name])}" for r in routes)
    if uncovered:
        also = f" Could not tell in {'; '.join(unsure)}." if unsure else ""
        return [
            ctx.finding(
                ctx.account_id,
                Status.FAIL,
                f"No alert on root activity reaches a person in {len(uncovered)} of {len(regions)} region(s): "
                f"{'; '.join(uncovered)}.{also} {summary}.",
                observed_text=seen,
                observed=observed,
                evidence=refs,
            )
        ]
    return [
        ctx.finding(
            ctx.account_id,
            Status.NOT_ASSESSED,
            f"Not assessed: no alert path is proven in {'; '.join(unsure)} and the evidence there is incomplete. "
            f"{summary}.",
            observed_text=seen,
            observed=observed,
            evidence=refs,
        )
    ]
