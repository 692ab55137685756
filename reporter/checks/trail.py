"""CloudTrail: was a multi-region trail recording management events for the whole period?

The trail helpers here are shared with the alerting check (a metric filter only sees what a
logging, multi-region trail sends to its log group).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reporter.checks.common import iso, plural, sentence, when
from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import check
from reporter.core.status import Severity, Status
from reporter.evidence.keyed import Documents

# The only management-event sources CloudTrail lets a trail leave out; leaving them out does
# not hide root sign-ins or IAM calls, so the trail still counts (they are reported).
_EXCLUDABLE_SOURCES = {"kms.amazonaws.com", "rdsdata.amazonaws.com"}
_READ_WRITE = {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}


@dataclass
class TrailView:
    """One trail, and what its evidence says. `None` means the evidence could not tell."""

    arn: str
    name: str
    multi_region: bool
    log_group: tuple[str, str] | None  # (region, name) of its CloudWatch Logs group
    logging_now: bool | None
    whole_period: bool | None
    management: bool | None
    notes: list[str] = field(default_factory=list)
    refs: list[EvidenceRef] = field(default_factory=list)
    home: str | None = None  # the trail's home region: a single-region trail records only its events

    def sentence(self) -> str:
        kind = "multi-region" if self.multi_region else f"single-region ({self.home or 'home region unknown'})"
        return f"trail {self.name}, {kind}: {', '.join(self.notes) or 'no status or selectors collected'}"

    def summary(self) -> dict[str, Any]:
        return {
            "trail": self.arn,
            "multi_region": self.multi_region,
            "logging_now": self.logging_now,
            "logging_whole_period": self.whole_period,
            "management_events_read_write": self.management,
            "log_group": "/".join(self.log_group) if self.log_group else None,
            "notes": self.notes,
        }


def management_coverage(selectors: dict[str, Any]) -> tuple[bool, str]:
    """Do these event selectors record every management event, read and write?"""
    advanced = selectors.get("AdvancedEventSelectors") or []
    covered: set[str] = set()
    excluded: set[str] = set()
    if advanced:
        for selector in advanced:
            fields = {f.get("Field"): f for f in selector.get("FieldSelectors", []) if isinstance(f, dict)}
            category = fields.pop("eventCategory", {})
            if "Management" not in (category.get("Equals") or []):
                continue
            kinds = {"read", "write"}
            read_only = fields.pop("readOnly", None)
            if read_only is not None:
                kinds = {"read" if v == "true" else "write" for v in read_only.get("Equals") or []}
            source = fields.pop("eventSource", None)
            if source is not None:
                if (
                    set(source) - {"Field", "NotEquals"}
                    or not set(source.get("NotEquals") or []) <= _EXCLUDABLE_SOURCES
                ):
                    continue
                excluded |= set(source["NotEquals"])
            if fields:
                continue  # narrowed by another field: not every management event
            covered |= kinds
        how = "advanced event selectors"
    else:
        for selector in selectors.get("EventSelectors") or []:
            if selector.get("IncludeManagementEvents", True) is not True:
                continue
            left_out = set(selector.get("ExcludeManagementEventSources") or [])
            if not left_out <= _EXCLUDABLE_SOURCES:
                continue
            excluded |= left_out
            covered |= _READ_WRITE.get(selector.get("ReadWriteType", "All"), set())
        how = "event selectors"
    if covered == {"read", "write"}:
        extra = f" (leaving out {', '.join(sorted(excluded))})" if excluded else ""
        return True, f"{how} record read and write management events{extra}"
    if covered:
        return False, f"{how} record only {'read' if covered == {'read'} else 'write'} management events"
    return False, f"{how} record no (or only narrowed) management events"


def logging_through(status: dict[str, Any], start: pd.Timestamp, end: pd.Timestamp) -> tuple[bool | None, str]:
    """Was the trail logging from `start` to `end` (exclusive), by GetTrailStatus?"""
    began, stopped = status.get("StartLoggingTime"), status.get("StopLoggingTime")
    if status["IsLogging"]:
        if began is None:
            return None, "logging, but GetTrailStatus does not say since when"
        if began <= start:
            return True, f"logging since {when(began)}"
        return False, f"logging only since {when(began)}, after the period began ({when(start)})"
    if stopped is None:
        return False, "not logging"
    if stopped < end:
        return False, f"stopped logging at {when(stopped)}, before the period ended ({when(end)})"
    if began is None or began > start:
        return None, f"stopped at {when(stopped)}, after the period; when it started is not shown"
    return True, f"logged from {when(began)} until {when(stopped)}, after the period ended"


def _log_group(arn: Any) -> tuple[str, str] | None:
    # arn:<partition>:logs:<region>:<account>:log-group:<name>:*
    if not isinstance(arn, str):
        return None
    parts = arn.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return parts[3], parts[6].removesuffix(":*")


def _home(trail: dict[str, Any]) -> str | None:
    home = trail.get("HomeRegion")
    if isinstance(home, str) and home:
        return home
    parts = str(trail.get("TrailARN", "")).split(":", 5)  # arn:<partition>:cloudtrail:<region>:...
    return parts[3] or None if len(parts) == 6 else None


def _doc(docs: Documents, key: str, what: str) -> tuple[Any, str | None]:
    if key in docs.items:
        return docs.items[key], None
    return None, docs.errors.get(key, f"{what} was not collected")


def trail_views(ctx: CheckContext, period: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> list[TrailView]:
    """Every trail of the account, read against its status and selectors."""
    trails = ctx.table("trails")
    status_docs = ctx.table("trail_status").data
    selector_docs = ctx.table("event_selectors").data
    start, end = period or (ctx.as_of, ctx.as_of)
    views: list[TrailView] = []
    for trail in trails.data:
        arn = trail["TrailARN"]
        view = TrailView(
            arn,
            str(trail.get("Name", arn)),
            trail.get("IsMultiRegionTrail") is True,
            _log_group(trail.get("CloudWatchLogsLogGroupArn")),
            None,
            None,
            None,
            refs=[EvidenceRef(trails.sources[0], arn)],
            home=_home(trail),
        )
        status, why = _doc(status_docs, arn, "GetTrailStatus")
        if status is None:
            view.notes.append(f"status unknown ({why})")
        else:
            view.logging_now = bool(status["IsLogging"])
            view.whole_period, how = logging_through(status, start, end)
            view.notes.append(how)
            view.refs.append(EvidenceRef(status_docs.sources[arn]))
        selectors, why = _doc(selector_docs, arn, "GetEventSelectors")
        if selectors is None:
            view.notes.append(f"event selectors unknown ({why})")
        else:
            view.management, how = management_coverage(selectors)
            view.notes.append(how)
            view.refs.append(EvidenceRef(selector_docs.sources[arn]))
        views.append(view)
    return views


def _period(ctx: CheckContext) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    account = ctx.account
    if account.period_start is None or account.period_end is None:
        return None
    return account.period_start, account.period_end


@check(
    id="cloudtrail_root_evidence_complete",
    title="CloudTrail recorded root activity for the whole period",
    fails_when=(
        "no multi-region trail logged all management events (read and write) for the whole period, or the "
        "root-event source failed or skipped a covered region — the pack's root-event list could not be "
        "trusted"
    ),
    expects=(
        "A multi-region trail logged every management event, read and write, for the whole period, and the "
        "root-event lookup answered in every region in scope"
    ),
    severity=Severity.HIGH,
    evidence=("trails", "trail_status", "event_selectors", "root_events"),
    scope="account",
    rationale=(
        "The pack's list of root events is only as good as the record behind it: a multi-region trail "
        "must have been logging every management event, read and write, for the whole month, and the "
        "event lookup must have answered in every region in scope; otherwise silence proves nothing."
    ),
    remediation=(
        "Create or fix a multi-region trail (aws cloudtrail create-trail --is-multi-region-trail ...; "
        "aws cloudtrail start-logging --name <trail>), ideally an organization trail.",
        "Record all management events: aws cloudtrail put-event-selectors --trail-name <trail> "
        '--event-selectors \'[{"ReadWriteType":"All","IncludeManagementEvents":true}]\'.',
        "Find out why logging stopped during the period (CloudTrail StopLogging events) and alert on "
        "StopLogging and DeleteTrail.",
        "If LookupEvents failed or skipped a region, re-run the collection for that account and region.",
    ),
    references=(
        "CIS AWS Foundations Benchmark v3.0.0 3.1 / v5.0.0 3.1 / v6.0.0 4.1 (CloudTrail enabled in all regions)",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",
    ),
)
def cloudtrail_root_evidence_complete(ctx: CheckContext) -> list[Finding]:
    period = _period(ctx)
    if period is None:
        return [
            ctx.finding(
                ctx.account_id,
                Status.NOT_ASSESSED,
                "The snapshot does not say which period it reports on.",
                observed_text="The snapshot's manifest gives no period_start and period_end for this account.",
            )
        ]
    views = trail_views(ctx, period)
    multi = [v for v in views if v.multi_region]
    good = [v for v in multi if v.whole_period and v.management]
    unknown = [v for v in multi if v not in good and v.whole_period is not False and v.management is not False]
    observed: dict[str, Any] = {
        "period_start": iso(period[0]),
        "period_end": iso(period[1]),
        "trails": [v.summary() for v in views],
    }
    refs = [r for v in views for r in v.refs]

    event_problems: list[str] = []
    events = ctx.maybe("root_events")
    if events is None:
        missing = ctx.account.tables["root_events"]
        event_problems.append(f"the root-event lookup is unavailable ({getattr(missing, 'reason', 'not collected')})")
    else:
        event_problems += events.gaps
        refs += [EvidenceRef(s) for s in events.sources]
    observed["root_event_lookup_problems"] = event_problems
    seen = sentence(
        [
            f"for the period {when(period[0])} to {when(period[1])} the account has "
            f"{plural(len(views), 'trail')}{': ' if views else ''}" + "; ".join(v.sentence() for v in views),
            "the root-event lookup is "
            + ("complete" if not event_problems else "incomplete: " + "; ".join(event_problems)),
        ]
    )

    trail_problem = None
    if not good:
        if not views:
            trail_problem = "the account has no CloudTrail trail"
        elif not multi:
            trail_problem = f"no trail is multi-region (single-region only: {', '.join(v.name for v in views)})"
        else:
            trail_problem = "no multi-region trail recorded all management events for the whole period: " + "; ".join(
                f"{v.name}: {', '.join(v.notes)}" for v in multi
            )
    if trail_problem is None and not event_problems:
        best = good[0]
        return [
            ctx.finding(
                ctx.account_id,
                Status.PASS,
                f"Trail {best.name} is multi-region, recorded read and write management events and was "
                f"logging for the whole period; the root-event lookup covered every region in scope.",
                observed_text=seen,
                observed=observed,
                evidence=refs,
                aggregate=True,
            )
        ]
    reasons = [
        p
        for p in (
            trail_problem,
            "; ".join(event_problems) and "the root-event lookup is incomplete: " + "; ".join(event_problems),
        )
        if p
    ]
    if not event_problems and unknown:
        return [
            ctx.finding(
                ctx.account_id,
                Status.NOT_ASSESSED,
                "Not assessed: " + "; ".join(reasons) + ".",
                observed_text=seen,
                observed=observed,
                evidence=refs,
            )
        ]
    return [
        ctx.finding(
            ctx.account_id,
            Status.FAIL,
            "The root-event record cannot be trusted: " + "; ".join(reasons) + ".",
            observed_text=seen,
            observed=observed,
            evidence=refs,
        )
    ]
