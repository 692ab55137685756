"""Risk acceptances ("exceptions"): a person approved living with a FAIL, until a date, under a ticket.

A YAML file (`--exceptions FILE`) with two optional lists:

```yaml
acceptances:
  - check: iam_access_keys_rotated
    account: "123456789012"          # or "*"; quote ids (YAML drops leading zeros)
    resource: "arn:*:iam::*:user/ci-*"   # glob (fnmatch, case-sensitive); default "*"
    justification: Legacy CI user, replaced by OIDC in Q1.
    approver: Jane Doe (CISO)
    approved_on: 2026-09-15
    expires_on: 2026-12-31
    ticket: SEC-1234
break_glass:                          # root sign-ins tied to a ticket
  - account: "123456789012"
    event_id: 0f6c3e4a-...            # or: start + end (a time range, end exclusive)
    justification: Restore MFA device after loss.
    approver: Jane Doe (CISO)
    approved_on: 2026-10-03
    ticket: INC-777
```

Rules (none of them reads the clock: every date is judged against the snapshot's `as_of`):

* A matching FAIL **stays FAIL**. It is shown as an accepted exception with approver, expiry and
  ticket, and does not count towards the pipeline's exit code 1.
* An acceptance is valid from `approved_on` through `expires_on` (inclusive, UTC dates).
  After that it is **expired**: it no longer applies and the pack says so. Approved after the
  evidence date (`approved_on` > as_of) it is **not_yet_valid**: it did not exist when the evidence
  was collected, so it does not apply either.
* Several entries may match one FAIL: a valid one wins (the one expiring last); otherwise the
  most recently expired one is reported.
* Only FAIL findings are annotated; an acceptance matching no FAIL is listed as unused.
* A break-glass entry ties root events to a ticket: by `event_id`, or by `account` + a time
  range `[start, end)`. It never changes a check's status; it tells the auditor which root
  activity was authorised.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
    model_validator,
)

from reporter.checks.finding import Finding
from reporter.core.period import utc_date
from reporter.core.status import Status
from reporter.core.validators import AccountId, AccountOrAny, AwareTime, CheckId, OneLine, StrictModel

__all__ = [
    "AcceptanceReport",
    "AcceptanceState",
    "BreakGlass",
    "Decision",
    "RiskAcceptance",
    "RiskAcceptanceError",
    "RiskAcceptances",
    "RootEventTicket",
    "apply",
    "load_risk_acceptances",
    "match_root_events",
]


class RiskAcceptanceError(Exception):
    """The exceptions file is unusable. `str(e)` names the file, the entry and the field."""


class RiskAcceptance(StrictModel):
    check: CheckId
    account: AccountOrAny
    resource: OneLine = "*"
    justification: OneLine
    approver: OneLine
    approved_on: date
    expires_on: date
    ticket: OneLine
    # Where it was read from: file and 0-based index in `acceptances` (set by the loader).
    source: str = ""
    index: int | None = None

    @model_validator(mode="after")
    def _dates(self) -> RiskAcceptance:
        if self.expires_on < self.approved_on:
            raise ValueError(f"expires_on {self.expires_on} is before approved_on {self.approved_on}")
        return self

    def matches(self, finding: Finding) -> bool:
        return (
            finding.check_id == self.check
            and self.account in ("*", finding.account_id)
            and fnmatch.fnmatchcase(finding.resource, self.resource)
        )

    def state_on(self, day: date) -> AcceptanceState:
        if day < self.approved_on:
            return AcceptanceState.NOT_YET_VALID
        if day > self.expires_on:
            return AcceptanceState.EXPIRED
        return AcceptanceState.ACCEPTED

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "account": self.account,
            "resource": self.resource,
            "justification": self.justification,
            "approver": self.approver,
            "approved_on": self.approved_on.isoformat(),
            "expires_on": self.expires_on.isoformat(),
            "ticket": self.ticket,
            "source": self.source,
            "index": self.index,
        }


class BreakGlass(StrictModel):
    account: AccountId | None = None
    event_id: OneLine | None = None
    start: AwareTime | None = None
    end: AwareTime | None = None
    justification: OneLine
    approver: OneLine
    approved_on: date
    ticket: OneLine
    source: str = ""
    index: int | None = None

    @model_validator(mode="after")
    def _one_selector(self) -> BreakGlass:
        has_range = self.start is not None or self.end is not None
        if (self.event_id is None) == (not has_range):
            raise ValueError("give either event_id, or account with start and end")
        if has_range:
            if self.start is None or self.end is None:
                raise ValueError("a time range needs both start and end")
            if self.account is None:
                raise ValueError("a time range needs the account it applies to")
            if self.end <= self.start:
                raise ValueError("end is not after start")
        return self

    def matches(self, account_id: str, event_id: str, event_time: datetime) -> bool:
        if self.account is not None and self.account != account_id:
            return False
        if self.event_id is not None:
            return self.event_id == event_id
        assert self.start is not None and self.end is not None  # checked by the validator
        return self.start <= event_time < self.end

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "event_id": self.event_id,
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ") if self.start else None,
            "end": self.end.strftime("%Y-%m-%dT%H:%M:%SZ") if self.end else None,
            "justification": self.justification,
            "approver": self.approver,
            "approved_on": self.approved_on.isoformat(),
            "ticket": self.ticket,
            "source": self.source,
            "index": self.index,
        }


@dataclass(frozen=True)
class RiskAcceptances:
    """The parsed file. Empty when no file is given."""

    acceptances: tuple[RiskAcceptance, ...] = ()
    break_glass: tuple[BreakGlass, ...] = ()
    source: str = ""


def _where(display: str, section: str, index: int, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
    msg = {"missing": "missing required field", "extra_forbidden": "unknown field"}.get(err["type"], err["msg"])
    msg = msg.removeprefix("Value error, ")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{display}: {section}[{index}]: {loc}: {msg}{more}"


def load_risk_acceptances(path: Path | str, display: str | None = None) -> RiskAcceptances:
    """Read and validate an exceptions file; every error names file, entry index and field.
    `display` is the name the pack records for the file (default: `path`); a shipped file is
    named the same wherever the package is installed, so its pack's bytes do not depend on it."""
    path = Path(path)
    display = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RiskAcceptanceError(f"{display}: cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise RiskAcceptanceError(f"{display}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        pos = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise RiskAcceptanceError(f"{display}: {pos}invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise RiskAcceptanceError(f"{display}: invalid YAML: {exc}") from None
    if data is None:
        return RiskAcceptances(source=display)
    if not isinstance(data, dict):
        raise RiskAcceptanceError(
            f"{display}: (top level): expected a mapping with 'acceptances' and/or 'break_glass',"
            f" found {type(data).__name__}"
        )
    unknown = sorted(set(map(str, data)) - {"acceptances", "break_glass"})
    if unknown:
        raise RiskAcceptanceError(
            f"{display}: (top level): unknown key(s) {', '.join(unknown)}; expected 'acceptances' and/or 'break_glass'"
        )
    out: dict[str, list[Any]] = {"acceptances": [], "break_glass": []}
    for section, model in (("acceptances", RiskAcceptance), ("break_glass", BreakGlass)):
        items = data.get(section) or []
        if not isinstance(items, list):
            raise RiskAcceptanceError(f"{display}: {section}: expected a list, found {type(items).__name__}")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise RiskAcceptanceError(
                    f"{display}: {section}[{index}]: (entry): expected a mapping, found {type(item).__name__}"
                )
            for reserved in ("source", "index"):
                if reserved in item:
                    raise RiskAcceptanceError(f"{display}: {section}[{index}]: {reserved}: unknown field")
            try:
                out[section].append(model.model_validate({**item, "source": display, "index": index}))
            except ValidationError as exc:
                raise RiskAcceptanceError(_where(display, section, index, exc)) from None
    return RiskAcceptances(tuple(out["acceptances"]), tuple(out["break_glass"]), display)


# --------------------------------------------------------------------------------------------
# Applying acceptances to findings
# --------------------------------------------------------------------------------------------


class AcceptanceState(StrEnum):
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NONE = "none"


@dataclass(frozen=True)
class Decision:
    """What the acceptances say about one FAIL finding."""

    finding_id: str
    check_id: str
    account_id: str
    resource: str
    state: AcceptanceState
    acceptance: RiskAcceptance | None = None

    @property
    def applies(self) -> bool:
        return self.state is AcceptanceState.ACCEPTED

    def as_dict(self) -> dict[str, Any]:
        acc = self.acceptance
        return {
            "finding_id": self.finding_id,
            "check_id": self.check_id,
            "account_id": self.account_id,
            "resource": self.resource,
            "state": self.state.value,
            "approver": acc.approver if acc else None,
            "approved_on": acc.approved_on.isoformat() if acc else None,
            "expires_on": acc.expires_on.isoformat() if acc else None,
            "ticket": acc.ticket if acc else None,
            "justification": acc.justification if acc else None,
            "entry": acc.index if acc else None,
        }


@dataclass(frozen=True)
class RootEventTicket:
    """One root event of the period and the break-glass ticket that covers it, if any."""

    account_id: str
    event_id: str
    event_time: datetime
    # The event's stable evidence id (E-evt-<eventID>), as the Root events sheet shows it.
    evidence_id: str | None
    break_glass: BreakGlass | None

    def as_dict(self) -> dict[str, Any]:
        bg = self.break_glass
        return {
            "evidence_id": self.evidence_id,
            "account_id": self.account_id,
            "event_id": self.event_id,
            "event_time": self.event_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "ticket": bg.ticket if bg else None,
            "approver": bg.approver if bg else None,
            "justification": bg.justification if bg else None,
            "entry": bg.index if bg else None,
        }


@dataclass(frozen=True)
class AcceptanceReport:
    """`apply`'s answer: one Decision per FAIL finding (in finding order), the entries that
    matched nothing, and (when root events were given) each root event's ticket."""

    as_of: date
    decisions: tuple[Decision, ...]
    unused: tuple[RiskAcceptance, ...] = ()
    root_events: tuple[RootEventTicket, ...] = ()
    unused_break_glass: tuple[BreakGlass, ...] = ()
    source: str = ""

    def state_by_finding_id(self) -> dict[str, str]:
        return {d.finding_id: d.state.value for d in self.decisions if d.state is not AcceptanceState.NONE}

    def decision_for(self, finding_id: str) -> Decision | None:
        return next((d for d in self.decisions if d.finding_id == finding_id), None)

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in AcceptanceState}
        for d in self.decisions:
            counts[d.state.value] += 1
        return counts

    @property
    def unaccepted_fails(self) -> int:
        """FAILs without a valid acceptance: what exit code 1 (`--fail-on fail`) counts."""
        return sum(1 for d in self.decisions if not d.applies)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source or None,
            "as_of": self.as_of.isoformat(),
            "counts": self.counts(),
            "unaccepted_fails": self.unaccepted_fails,
            "decisions": [d.as_dict() for d in self.decisions if d.state is not AcceptanceState.NONE],
            "unused": [a.as_dict() for a in self.unused],
            "root_events": [e.as_dict() for e in self.root_events],
            "unused_break_glass": [b.as_dict() for b in self.unused_break_glass],
        }


_PREFERENCE = {AcceptanceState.ACCEPTED: 2, AcceptanceState.EXPIRED: 1, AcceptanceState.NOT_YET_VALID: 0}


def apply(
    findings: Iterable[Finding],
    acceptances: RiskAcceptances,
    as_of: datetime | date,
    root_events: Iterable[Mapping[str, Any]] | None = None,
) -> AcceptanceReport:
    """Decide, for each FAIL finding, whether a valid acceptance covers it, judged on `as_of`
    (the snapshot's as_of, never today). Statuses are not changed. `root_events`: rows with
    `account` (or `account_id`), `event_id`, `event_time` and optionally `evidence_id` (e.g.
    `Pack.root_events().to_dict("records")`)."""
    day = utc_date(as_of)
    decisions: list[Decision] = []
    used: set[int] = set()
    for finding in findings:
        if Status(finding.status) is not Status.FAIL:
            continue
        best: tuple[tuple[int, date], RiskAcceptance, AcceptanceState] | None = None
        for position, acc in enumerate(acceptances.acceptances):
            if not acc.matches(finding):
                continue
            used.add(position)
            state = acc.state_on(day)
            rank = (_PREFERENCE[state], acc.expires_on)
            if best is None or rank > best[0]:
                best = (rank, acc, state)
        decisions.append(
            Decision(
                finding.finding_id,
                finding.check_id,
                finding.account_id,
                finding.resource,
                best[2] if best else AcceptanceState.NONE,
                best[1] if best else None,
            )
        )
    unused = tuple(a for i, a in enumerate(acceptances.acceptances) if i not in used)
    tickets: tuple[RootEventTicket, ...] = ()
    unused_bg: tuple[BreakGlass, ...] = ()
    if root_events is not None:
        tickets, unused_bg = match_root_events(root_events, acceptances.break_glass)
    return AcceptanceReport(day, tuple(decisions), unused, tickets, unused_bg, acceptances.source)


def _event_time(value: Any) -> datetime:
    # pandas Timestamps are datetimes; strings come from JSON.
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"root event time {value!r} is not an aware datetime")
    return value


def match_root_events(
    events: Iterable[Mapping[str, Any]], break_glass: Sequence[BreakGlass]
) -> tuple[tuple[RootEventTicket, ...], tuple[BreakGlass, ...]]:
    """Tie each root event to the first break-glass entry that covers it (file order). Returns the
    events with their ticket (or None) and the entries that covered no event (a ticket whose
    sign-in is not in the evidence deserves a look too)."""
    out: list[RootEventTicket] = []
    used: set[int] = set()
    for event in events:
        account = str(event.get("account") or event.get("account_id") or "")
        event_id = str(event.get("event_id") or "")
        when = _event_time(event.get("event_time"))
        match = None
        for position, bg in enumerate(break_glass):
            if bg.matches(account, event_id, when):
                match = bg
                used.add(position)
                break
        evidence_id = event.get("evidence_id")
        out.append(RootEventTicket(account, event_id, when, str(evidence_id) if evidence_id else None, match))
    return tuple(out), tuple(b for i, b in enumerate(break_glass) if i not in used)
