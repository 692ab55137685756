"""The two routes by which root use reaches a person, judged region by region.

A route covers a sample (one root record of one region) when the evidence shows a path that
receives that region's events, matches the record, and delivers:

- metric filter: a trail that is logging every management event delivers to a CloudWatch Logs
  group; a filter on that group matches the record and an alarm on its metric notifies an SNS
  topic with a confirmed subscriber. A multi-region trail carries the events of every region of
  the account; a single-region trail only those recorded in its home region.
- EventBridge: a rule on the default bus sees only the events of its own region (global-service
  events, such as root sign-ins and IAM calls, arrive in the home region, which is where those
  samples are recorded). An enabled rule that matches the record and has a target delivers; a
  target that is another region's default bus of the same account forwards the event, and the
  rules there must deliver it.

What the evidence cannot show (an artifact missing or unreadable, a pattern this tool cannot
evaluate, a bus of another account) is recorded per region as unknown, never as covered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from reporter.checks.alert_samples import Sample, ordinary_samples
from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef
from reporter.checks.trail import TrailView, trail_views
from reporter.core.partition import is_arn_of
from reporter.evidence.event_pattern import EventPatternError, compile_event_pattern, event_pattern_matches
from reporter.evidence.keyed import Documents
from reporter.evidence.metric_filter_pattern import FilterPattern, FilterPatternError, compile_filter_pattern

_ENABLED = {"ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"}
_UNCONFIRMED = {"PendingConfirmation", "Deleted"}

Samples = dict[str, list[Sample]]  # region -> the root samples recorded there


@dataclass
class Route:
    name: str
    caught: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (region, label) -> paths
    failures: list[str] = field(default_factory=list)  # settled: why a path does not hold
    unknowns: dict[str, list[str]] = field(default_factory=dict)  # region -> what could not be told
    observed: dict[str, Any] = field(default_factory=dict)
    refs: list[EvidenceRef] = field(default_factory=list)

    def catch(self, region: str, label: str, how: str) -> None:
        paths = self.caught.setdefault((region, label), [])
        if how not in paths:
            paths.append(how)

    def unsure(self, regions: Iterable[str], why: str) -> None:
        for region in regions:
            found = self.unknowns.setdefault(region, [])
            if why not in found:
                found.append(why)

    def fail(self, why: str) -> None:
        if why not in self.failures:
            self.failures.append(why)

    def missed(self, samples: Samples) -> dict[str, list[str]]:
        """label -> the regions where this route does not cover that sample."""
        out: dict[str, list[str]] = {}
        for region, found in samples.items():
            for s in found:
                if not self.caught.get((region, s.label)):
                    out.setdefault(s.label, []).append(region)
        return out

    def verdict(self, samples: Samples) -> str:
        """This route alone: PASS covers every sample, FAIL leaves one uncovered where nothing
        is unknown, UNKNOWN otherwise."""
        missed = self.missed(samples)
        if not missed:
            return "PASS"
        settled = any(not self.unknowns.get(r) for regions in missed.values() for r in regions)
        return "FAIL" if settled else "UNKNOWN"

    def why(self, samples: Samples, what: str) -> str:
        n = len(samples)
        missed = self.missed(samples)
        by_where: dict[str, list[str]] = {}
        for label, rs in missed.items():
            by_where.setdefault("every region" if n > 1 and len(rs) == n else ", ".join(rs), []).append(label)
        if sum(len(rs) for rs in missed.values()) == sum(len(found) for found in samples.values()):
            parts = [f"no {what} matches any root activity"]
        elif missed:
            parts = [f"no {what} matches " + "; ".join(f"{', '.join(ls)} in {w}" for w, ls in by_where.items())]
        else:
            parts = []
        parts += self.failures
        unknown = list(dict.fromkeys(u for found in self.unknowns.values() for u in found))
        parts += [f"could not tell: {u}" for u in unknown]
        return "; ".join(parts) or "nothing found"


def _doc(ctx: CheckContext, table: str, region: str, route: Route, what: str, reach: Iterable[str]) -> Any:
    docs: Documents = ctx.table(table).data
    if region in docs.items:
        ref = EvidenceRef(docs.sources[region])
        if ref not in route.refs:
            route.refs.append(ref)
        return docs.items[region]
    route.unsure(reach, f"{what} in {region}: {docs.errors.get(region, 'not collected')}")
    return None


def _alarm_metrics(alarm: dict[str, Any]) -> set[tuple[str, str]]:
    found = {(alarm.get("Namespace"), alarm.get("MetricName"))}
    for query in alarm.get("Metrics") or []:
        metric = ((query or {}).get("MetricStat") or {}).get("Metric") or {}
        found.add((metric.get("Namespace"), metric.get("MetricName")))
    return cast(set[tuple[str, str]], {m for m in found if all(isinstance(x, str) for x in m)})


def _notified(
    ctx: CheckContext, region: str, metrics: set[tuple[str | None, str | None]], route: Route, reach: list[str]
) -> list[str]:
    """`alarm -> topic -> subscription` chains in `region` that deliver an alarm on one of `metrics`."""
    alarms = _doc(ctx, "alarms", region, route, "CloudWatch alarms", reach)
    if alarms is None:
        return []
    chains: list[str] = []
    for alarm in alarms["MetricAlarms"]:
        if not (_alarm_metrics(alarm) & metrics):
            continue
        name = alarm["AlarmName"]
        if alarm.get("ActionsEnabled") is False:
            route.fail(f"alarm {name} has its actions disabled")
            continue
        topics = [a for a in alarm.get("AlarmActions") or [] if isinstance(a, str) and is_arn_of(a, "sns")]
        if not topics:
            route.fail(f"alarm {name} notifies no SNS topic")
            continue
        subs_doc = _doc(ctx, "sns_subscriptions", region, route, "SNS subscriptions", reach)
        if subs_doc is None:
            continue
        asked = ctx.table("sns_subscriptions").data.params.get(region, {}).get("TopicArns")
        for topic in topics:
            if asked is not None and topic not in asked:
                route.unsure(reach, f"subscriptions of {topic} were not collected (sns:ListSubscriptionsByTopic)")
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
                route.fail(f"alarm {name}: topic {topic} has no confirmed subscription")
    return chains


def _reach(view: TrailView, regions: list[str]) -> list[str]:
    """The regions in scope whose events the trail delivers."""
    if view.multi_region:
        return regions
    return [r for r in regions if r == view.home]


def _carrier(view: TrailView, reach: list[str], route: Route) -> bool:
    """Can this trail carry a filter's events? If not, say why (for the regions it reaches)."""
    if not view.log_group:
        route.fail(f"trail {view.name} sends no logs to CloudWatch Logs")
        return False
    if not reach:
        route.fail(f"trail {view.name} is single-region in {view.home}, outside the regions in scope")
        return False
    problem = (
        "not logging"
        if view.logging_now is False
        else "does not record every management event, read and write"
        if view.management is False
        else None
    )
    if problem:
        route.fail(f"trail {view.name} cannot carry the filter ({problem})")
        return False
    if None in (view.logging_now, view.management):
        route.unsure(reach, f"trail {view.name} cannot be shown to carry the filter ({', '.join(view.notes)})")
        return False
    return True


def _filter_paths(ctx: CheckContext, view: TrailView, reach: list[str], samples: Samples, route: Route) -> None:
    assert view.log_group is not None
    region, group = view.log_group
    filters = _doc(ctx, "metric_filters", region, route, "metric filters", reach)
    if filters is None:
        return
    asked = ctx.table("metric_filters").data.params.get(region, {}).get("logGroupNames")
    if asked is not None and group not in asked:
        route.unsure(reach, f"metric filters of log group {group} were not collected (logs:DescribeMetricFilters)")
        return
    mine = [f for f in filters if f["logGroupName"] == group]
    if not mine:
        route.fail(f"log group {group} has no metric filter")
    ordinary = ordinary_samples(ctx.account_id, ctx.partition)
    for metric_filter in mine:
        name = metric_filter["filterName"]
        try:
            pattern: FilterPattern = compile_filter_pattern(metric_filter["filterPattern"])
        except FilterPatternError as exc:
            route.unsure(reach, f"filter {name}: its pattern cannot be evaluated ({exc})")
            continue
        hits = [(r, s.label) for r in reach for s in samples[r] if pattern.matches(s.record)]
        if not hits:
            continue
        if noise := [s.label for s in ordinary if pattern.matches(s.record)]:
            route.fail(f"filter {name} also matches ordinary activity ({', '.join(noise)})")
            continue
        metrics = {
            (t.get("metricNamespace"), t.get("metricName"))
            for t in metric_filter["metricTransformations"]
            if isinstance(t, dict)
        }
        chains = _notified(ctx, region, metrics, route, reach)
        if not chains:
            route.fail(f"filter {name} matches root activity but no alarm on its metric reaches a confirmed subscriber")
            continue
        for hit_region, label in hits:
            route.catch(hit_region, label, f"trail {view.name} -> filter {name} -> {chains[0]}")


def metric_filter_route(ctx: CheckContext, samples: Samples) -> Route:
    route = Route("metric filter")
    regions = list(samples)
    if ctx.maybe("trails") is None:
        route.unsure(regions, "the trail list is unavailable")
        return route
    views = trail_views(ctx)
    if not views:
        route.fail("the account has no CloudTrail trail")
    carriers: list[str] = []
    for view in views:
        reach = _reach(view, regions)
        if _carrier(view, reach, route):
            carriers.append(f"{view.arn} ({'every region' if view.multi_region else view.home})")
            _filter_paths(ctx, view, reach, samples, route)
    route.observed["trails"] = carriers
    return route


def _bus_region(target: str, account: str) -> str | None:
    """The region of `target` if it is this account's default event bus, else None."""
    parts = target.split(":", 5)
    if len(parts) == 6 and parts[2] == "events" and parts[4] == account and parts[5] == "event-bus/default":
        return parts[3]
    return None


@dataclass
class _Rules:
    """The EventBridge rules of each region, compiled once."""

    ctx: CheckContext
    route: Route
    compiled: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = field(default_factory=dict)
    broken: dict[str, list[str]] = field(default_factory=dict)  # region -> rules that cannot be evaluated
    targets: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def of(self, region: str, sample: Sample) -> list[tuple[dict[str, Any], dict[str, Any]]] | None:
        if region not in self.compiled:
            doc = _doc(self.ctx, "eventbridge_rules", region, self.route, "EventBridge rules", [sample.region])
            if doc is None:
                return None  # not cached: every sample that reaches here must learn it cannot tell
            rules: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for rule in doc["Rules"]:
                pattern = rule.get("EventPattern")
                if not isinstance(pattern, str | dict):
                    continue  # a scheduled rule
                try:
                    rules.append((rule, compile_event_pattern(pattern)))
                except EventPatternError as exc:
                    why = f"rule {rule['Name']} in {region}: its pattern cannot be evaluated ({exc})"
                    self.broken.setdefault(region, []).append(why)
            self.compiled[region] = rules
            self.targets[region] = doc["Targets"]
        for why in self.broken.get(region, []):
            self.route.unsure([sample.region], why)
        return self.compiled[region]

    def deliver(self, region: str, sample: Sample, seen: frozenset[str] = frozenset()) -> list[str]:
        """Paths by which the rules of `region` deliver `sample`'s event to a target."""
        rules = self.of(region, sample)
        if rules is None:
            return []
        paths: list[str] = []
        ordinary = ordinary_samples(self.ctx.account_id, self.ctx.partition)
        for rule, compiled in rules:
            if not event_pattern_matches(compiled, sample.event):
                continue
            name = rule["Name"]
            where = f"rule {name} in {region}"
            if rule.get("State") not in _ENABLED:
                self.route.fail(f"{where} matches root activity but is {rule.get('State')}")
                continue
            if noise := [s.label for s in ordinary if event_pattern_matches(compiled, s.event)]:
                self.route.fail(f"{where} also matches ordinary activity ({', '.join(noise)})")
                continue
            targets = [t.get("Arn") for t in self.targets[region].get(name) or [] if isinstance(t, dict)]
            if not targets:
                self.route.fail(f"{where} matches root activity but has no target")
                continue
            for target in targets:
                paths += self._through(where, str(target), sample, seen | {region})
        return paths

    def _through(self, where: str, target: str, sample: Sample, seen: frozenset[str]) -> list[str]:
        if ":events:" not in target or ":event-bus/" not in target:
            return [where]
        bus = _bus_region(target, self.ctx.account_id)
        if bus is None:
            self.route.unsure([sample.region], f"{where} forwards to {target}, whose rules this evidence does not hold")
            return []
        if bus in seen:
            return []
        onward = self.deliver(bus, sample, seen)
        if not onward:
            self.route.fail(f"{where} forwards to {bus}, where no enabled rule with a target delivers it")
        return [f"{where} -> {path}" for path in onward]


def eventbridge_route(ctx: CheckContext, samples: Samples) -> Route:
    route = Route("EventBridge")
    rules = _Rules(ctx, route)
    for region, found in samples.items():
        for sample in found:
            for path in rules.deliver(region, sample):
                route.catch(region, sample.label, path)
    return route
