"""Drift: what changed since the previous pack of the same scope, and the 12-month trend.

`drift_from` is pure (plain records in, a `Drift` out); `compute_drift` asks a `History` for the
three things it needs (the previous pack, FAIL streaks, the month series) and calls it.

Definitions (a finding is identified across months by check + account + resource):

* **new**: FAIL now, not FAIL in the previous pack (it was PASS, NOT_ASSESSED, … or absent).
* **resolved**: FAIL in the previous pack, PASS or NOT_APPLICABLE now.
* **no_longer_assessed**: FAIL in the previous pack, and now NOT_ASSESSED, MANUAL or absent
  (the evidence is gone, or the account left the scope). Missing evidence is never "resolved".
* **still_open**: FAIL in both; `months_open` counts the consecutive calendar months ending
  with this one in which it was FAIL (a month without a pack ends the count).
* With no previous pack (`previous_month is None`) the pack is the baseline: the four lists
  are empty and only the trend is filled.
* **Root events** and **FAIL counts per framework** are given for the current month and each
  of the 12 calendar months before it; a month without a pack is `null`, never 0, and a
  count that misses an account (evidence missing) or a region is flagged incomplete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reporter.checks.finding_ids import finding_id_of
from reporter.core.period import month_label, month_offset
from reporter.core.status import Status
from reporter.history.records import FindingRecord, MonthPoint, PackRecord
from reporter.history.store import History

__all__ = ["Drift", "FindingChange", "compute_drift", "drift_from", "current_point"]

_RESOLVED = {Status.PASS.value, Status.NOT_APPLICABLE.value}


@dataclass(frozen=True)
class FindingChange:
    key: str
    check_id: str
    account_id: str
    resource: str
    severity: str
    status: str | None  # now (None: no such finding in this pack)
    previous_status: str | None  # in the previous pack (None: absent)
    months_open: int | None = None
    reason: str = ""  # the current finding's reason, else the previous one's
    acceptance: str | None = None  # current risk-acceptance state of a FAIL
    finding_id: str = ""  # the stable finding id (checks/finding_ids.py), also of a resolved finding

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "finding_id": self.finding_id,
            "check_id": self.check_id,
            "account_id": self.account_id,
            "resource": self.resource,
            "severity": self.severity,
            "status": self.status,
            "previous_status": self.previous_status,
            "months_open": self.months_open,
            "reason": self.reason,
            "acceptance": self.acceptance,
        }


@dataclass(frozen=True)
class Drift:
    scope_key: str
    month: str
    previous_month: str | None
    previous_manifest_sha256: str | None
    new: tuple[FindingChange, ...] = ()
    resolved: tuple[FindingChange, ...] = ()
    still_open: tuple[FindingChange, ...] = ()
    no_longer_assessed: tuple[FindingChange, ...] = ()
    accounts_added: tuple[str, ...] = ()
    accounts_removed: tuple[str, ...] = ()
    # Oldest first: the 12 months before this one, then this month (13 points).
    trend: tuple[MonthPoint, ...] = ()
    frameworks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def baseline(self) -> bool:
        return self.previous_month is None

    @property
    def current(self) -> MonthPoint:
        return self.trend[-1]

    @property
    def prior(self) -> tuple[MonthPoint, ...]:
        return self.trend[:-1]

    @property
    def previous_is_last_month(self) -> bool:
        """False when months are missing between the previous pack and this one."""
        return self.previous_month is not None and self.previous_month == (self.prior[-1].month if self.prior else None)

    def root_events_vs_prior(self) -> list[dict[str, Any]]:
        """This month's root events against each prior month: {month, events, difference}."""
        now = self.current.root_events
        return [
            {
                "month": p.month,
                "events": p.root_events,
                "complete": p.root_events_complete,
                "difference": None if now is None or p.root_events is None else now - p.root_events,
            }
            for p in self.prior
        ]

    def fail_series(self) -> dict[str, list[int | None]]:
        """framework id -> FAIL requirement count per trend month (None: no pack, or the
        framework was not evaluated that month)."""
        return {
            fw: [p.fail_requirements.get(fw) if p.manifest_sha256 else None for p in self.trend]
            for fw in self.frameworks
        }

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "resolved": len(self.resolved),
            "still_open": len(self.still_open),
            "no_longer_assessed": len(self.no_longer_assessed),
            "accounts_added": len(self.accounts_added),
            "accounts_removed": len(self.accounts_removed),
        }

    def as_dict(self) -> dict[str, Any]:
        known = [p.root_events for p in self.prior if p.root_events is not None]
        return {
            "scope": self.scope_key,
            "month": self.month,
            "baseline": self.baseline,
            "previous": None
            if self.baseline
            else {
                "month": self.previous_month,
                "manifest_sha256": self.previous_manifest_sha256,
                "is_last_month": self.previous_is_last_month,
            },
            "counts": self.counts(),
            "findings": {
                "new": [c.as_dict() for c in self.new],
                "resolved": [c.as_dict() for c in self.resolved],
                "still_open": [c.as_dict() for c in self.still_open],
                "no_longer_assessed": [c.as_dict() for c in self.no_longer_assessed],
            },
            "accounts": {"added": list(self.accounts_added), "removed": list(self.accounts_removed)},
            "root_events": {
                "this_month": self.current.root_events,
                "this_month_complete": self.current.root_events_complete,
                "prior_months": self.root_events_vs_prior(),
                "prior_max": max(known) if known else None,
                "prior_mean": round(sum(known) / len(known), 2) if known else None,
            },
            "fail_requirements_by_framework": {"months": [p.month for p in self.trend], "series": self.fail_series()},
            "trend": [p.as_dict() for p in self.trend],
        }


def current_point(pack: PackRecord) -> MonthPoint:
    """The trend point of a pack that may not be recorded yet."""
    per_framework: dict[str, int] = {}
    for r in pack.requirements:
        per_framework[r.framework_id] = per_framework.get(r.framework_id, 0) + (r.status == Status.FAIL)
    known = [c.events for c in pack.root_events if c.events is not None]
    complete = bool(pack.root_events) and all(c.events is not None and c.complete for c in pack.root_events)
    return MonthPoint(
        pack.month,
        pack.manifest_sha256,
        sum(known) if pack.root_events else None,
        complete,
        sum(1 for f in pack.findings if f.status == Status.FAIL),
        per_framework,
    )


def _by_key(findings: Sequence[FindingRecord]) -> dict[str, FindingRecord]:
    """One record per key; if a key repeats, a FAIL wins (the key is open if any row fails)."""
    out: dict[str, FindingRecord] = {}
    for f in findings:
        if f.key not in out or f.status == Status.FAIL:
            out[f.key] = f
    return out


def _change(now: FindingRecord | None, before: FindingRecord | None, months_open: int | None = None) -> FindingChange:
    ref = now or before
    assert ref is not None
    return FindingChange(
        ref.key,
        ref.check_id,
        ref.account_id,
        ref.resource,
        ref.severity,
        now.status if now else None,
        before.status if before else None,
        months_open,
        ref.reason,
        now.acceptance if now else None,
        finding_id_of(ref.check_id, ref.account_id, ref.resource),
    )


def _sorted(changes: list[FindingChange]) -> tuple[FindingChange, ...]:
    return tuple(sorted(changes, key=lambda c: (c.account_id, c.check_id, c.resource)))


def drift_from(
    current: PackRecord, previous: PackRecord | None, streaks: Mapping[str, int], series: Sequence[MonthPoint]
) -> Drift:
    """Pure drift. `streaks[key]`: consecutive months before this one with the key FAIL (from
    `History.fail_streaks`); `series`: the prior months, oldest first (from `History.series`)."""
    trend = (*series, current_point(current))
    frameworks = tuple(sorted({fw for p in trend for fw in p.fail_requirements}))
    if previous is None:
        return Drift(current.scope_key, current.month, None, None, trend=trend, frameworks=frameworks)
    now, before = _by_key(current.findings), _by_key(previous.findings)
    new: list[FindingChange]
    resolved: list[FindingChange]
    still: list[FindingChange]
    gone: list[FindingChange]
    new, resolved, still, gone = [], [], [], []
    f: FindingRecord | None
    for key, f in now.items():
        if f.status != Status.FAIL:
            continue
        prev = before.get(key)
        if prev is not None and prev.status == Status.FAIL:
            still.append(_change(f, prev, 1 + streaks.get(key, 0)))
        else:
            new.append(_change(f, prev, 1))
    for key, prev in before.items():
        if prev.status != Status.FAIL:
            continue
        f = now.get(key)
        if f is not None and f.status == Status.FAIL:
            continue
        (resolved if f is not None and f.status in _RESOLVED else gone).append(_change(f, prev))
    return Drift(
        current.scope_key,
        current.month,
        previous.month,
        previous.manifest_sha256,
        _sorted(new),
        _sorted(resolved),
        _sorted(still),
        _sorted(gone),
        tuple(sorted(set(current.accounts) - set(previous.accounts))),
        tuple(sorted(set(previous.accounts) - set(current.accounts))),
        trend,
        frameworks,
    )


def compute_drift(current: PackRecord, history: History | None, months: int = 12) -> Drift:
    """Drift of `current` against `history` (None: no history, the pack is a baseline). Call it
    before recording `current`; recording first does no harm (only earlier periods are read)."""
    if history is None:
        prior = [MonthPoint(p) for p in _prior_months(month_label(current.period_start), months)]
        return drift_from(current, None, {}, prior)
    previous = history.previous(current.scope_key, current.period_start)
    open_keys = current.fail_keys()
    streaks = history.fail_streaks(current.scope_key, current.period_start, open_keys) if previous else {}
    return drift_from(current, previous, streaks, history.series(current.scope_key, current.period_start, months))


def _prior_months(month: str, months: int) -> list[str]:
    return [month_offset(month, -i) for i in range(months, 0, -1)]
