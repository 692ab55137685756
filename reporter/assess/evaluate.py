"""Framework evaluation: findings and attestations in, requirement results out.

A framework file names one version of one framework (CIS AWS Foundations 5.0.0, SOC 2 TSC 2017,
...) and lists the requirements this product can speak to. Each requirement names the checks
that evidence it, with a one-line rationale per mapping; a requirement with no check is MANUAL
and can only be satisfied by a person's attestation.

Evaluation (`evaluate`) is pure: findings and attestations in, results out. Its one rule is the
product's rule: **missing evidence is never PASS**. For every requirement and every account in
scope, each mapped check must have produced at least one finding; a check that produced none for
an account leaves the requirement NOT_ASSESSED there (unless something already FAILs).

Statuses combine with this precedence, over the findings of the requirement's checks:
FAIL > NOT_ASSESSED > MANUAL > PASS > NOT_APPLICABLE
(PASS needs at least one PASS; NOT_APPLICABLE only when every finding is NOT_APPLICABLE).
A MANUAL *finding* counts as PASS for an account that a valid attestation covers, either one
attached to the finding's check or one attached to the requirement. Attestations never change a
FAIL, NOT_ASSESSED or NOT_APPLICABLE finding; on a requirement with automated checks they are
listed as context only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reporter.assess.attestations import Attestation
from reporter.assess.framework_model import Framework, Requirement
from reporter.checks.finding import Finding
from reporter.checks.finding_ids import finding_order
from reporter.checks.limits import LimitKey, Thresholds, describe_limits, limit_key
from reporter.checks.registry import CHECKS
from reporter.core.period import utc_date
from reporter.core.status import Status

# The order statuses are listed in (counts, JSON); also the display order of a control matrix.
STATUS_ORDER: tuple[Status, ...] = (
    Status.PASS,
    Status.FAIL,
    Status.NOT_ASSESSED,
    Status.NOT_APPLICABLE,
    Status.MANUAL,
)


def _empty_counts() -> dict[Status, int]:
    return dict.fromkeys(STATUS_ORDER, 0)


@dataclass
class RequirementResult:
    requirement: Requirement
    status: Status
    reason: str
    finding_ids: list[str]
    check_ids: list[str]
    attestations: list[Attestation]
    expired_attestations: list[Attestation]
    status_by_account: dict[str, Status] = field(default_factory=dict)
    # Check id → the limits it was judged by for this row (checks that take limits only).
    limits: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def limits_text(self) -> str:
        """ "iam_unused_credentials_disabled: FAIL if unused > 90 days", one clause per check."""
        return "; ".join(f"{check}: {describe_limits(limits)}" for check, limits in sorted(self.limits.items()))

    def as_dict(self) -> dict[str, Any]:
        req = self.requirement
        return {
            "id": req.id,
            "title": req.title,
            "section": req.section,
            "level": req.level,
            "assessment": req.assessment,
            "status": self.status.value,
            "reason": self.reason,
            "check_ids": list(self.check_ids),
            "checks": [
                {"id": c.id, "rationale": c.rationale, "limits": self.limits.get(c.id, {})}
                for c in sorted(req.checks, key=lambda c: c.id)
            ],
            "finding_ids": list(self.finding_ids),
            "status_by_account": {a: s.value for a, s in sorted(self.status_by_account.items())},
            "attestations": [a.as_dict() for a in self.attestations],
            "expired_attestations": [a.as_dict() for a in self.expired_attestations],
            "notes": req.notes,
        }


@dataclass
class FrameworkResult:
    framework: Framework
    as_of: date
    accounts: list[str]
    requirements: list[RequirementResult]
    counts: dict[Status, int]
    counts_by_account: dict[str, dict[Status, int]]

    @property
    def framework_id(self) -> str:
        return self.framework.id

    @property
    def name(self) -> str:
        return self.framework.name

    @property
    def version(self) -> str:
        return self.framework.version

    @property
    def verdict(self) -> Status:
        """The framework's one-word answer: its worst requirement (FAIL, then NOT_ASSESSED, then
        MANUAL: automated rows pass but a person must attest the rest)."""
        return _combine(r.status for r in self.requirements)

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework.describe(),
            "as_of": self.as_of.isoformat(),
            "accounts": list(self.accounts),
            "counts": {s.value: self.counts[s] for s in STATUS_ORDER},
            "counts_by_account": {
                acct: {s.value: counts[s] for s in STATUS_ORDER}
                for acct, counts in sorted(self.counts_by_account.items())
            },
            "requirements": [r.as_dict() for r in self.requirements],
        }


def _combine(statuses: Iterable[Status]) -> Status:
    present = set(statuses)
    for status in (Status.FAIL, Status.NOT_ASSESSED, Status.MANUAL, Status.PASS):
        if status in present:
            return status
    return Status.NOT_APPLICABLE


# (check id, the limits it was judged by, account) → findings.
FindingIndex = dict[tuple[str, LimitKey, str], list[Finding]]


@dataclass(frozen=True)
class JudgedFindings:
    """The findings every framework is evaluated against, indexed once (`index`): a pack
    evaluates several frameworks over the same ~140,000 findings (1,000 accounts), and each
    row looks them up by check, limits and account."""

    accounts: frozenset[str]
    by_check: dict[tuple[str, LimitKey], list[Finding]]
    by_check_account: FindingIndex
    # A requirement names its findings in the findings' own order (account, check, resource),
    # whatever order they were handed in.
    order: dict[str, tuple[Any, ...]]

    @classmethod
    def index(cls, findings: Iterable[Finding]) -> JudgedFindings:
        by_check: dict[tuple[str, LimitKey], list[Finding]] = defaultdict(list)
        by_check_account: FindingIndex = defaultdict(list)
        order: dict[str, tuple[Any, ...]] = {}
        accounts: set[str] = set()
        for f in findings:
            key = limit_key(f.limits)
            by_check[(f.check_id, key)].append(f)
            by_check_account[(f.check_id, key, f.account_id)].append(f)
            order[f.finding_id] = finding_order(f)
            accounts.add(f.account_id)
        return cls(frozenset(accounts), dict(by_check), dict(by_check_account), order)


def _row_limits(requirement: Requirement, thresholds: Thresholds) -> dict[str, LimitKey]:
    """Check id → the limits this row judges it by: the row's own where it states them."""
    out: dict[str, LimitKey] = {}
    for mapping in requirement.checks:
        check = CHECKS.get(mapping.id)
        takes = check.limits if check is not None else ()
        out[mapping.id] = limit_key(thresholds.for_check(takes, mapping.limits))
    return out


def _status_for_account(
    requirement: Requirement,
    row_limits: dict[str, LimitKey],
    by_check_account: FindingIndex,
    account: str,
    valid: list[Attestation],
) -> tuple[Status, str]:
    """Status of one requirement in one account, and a one-line reason."""
    if requirement.is_manual:
        if any(a.requirement is not None and a.covers(account) for a in valid):
            return Status.PASS, "attested"
        return Status.MANUAL, "no automated check; needs an attestation"
    statuses: list[Status] = []
    missing: list[str] = []
    for check_id in requirement.check_ids:
        mine = by_check_account.get((check_id, row_limits[check_id], account), [])
        if not mine:
            missing.append(check_id)
        for f in mine:
            status = Status(f.status)
            if status is Status.MANUAL and any(
                a.covers(account) and (a.check == check_id or a.requirement is not None) for a in valid
            ):
                status = Status.PASS
            statuses.append(status)
    status = _combine(statuses)
    if missing and status is not Status.FAIL:
        return Status.NOT_ASSESSED, f"no finding from {', '.join(missing)}"
    return status, ""


def _summarise(
    requirement: Requirement,
    per_account: dict[str, tuple[Status, str]],
    findings: list[Finding],
    valid: list[Attestation],
) -> tuple[Status, str]:
    if not per_account:  # no account in scope at all
        if requirement.is_manual:
            if any(a.requirement is not None for a in valid):
                return Status.PASS, "attested"
            return Status.MANUAL, "no automated check; needs an attestation"
        return Status.NOT_ASSESSED, "no findings for any of its checks"
    status = _combine(s for s, _ in per_account.values())
    if requirement.is_manual:
        if status is Status.PASS:
            return status, "attested for every account in scope"
        covered = sorted(a for a, (s, _) in per_account.items() if s is Status.PASS)
        if covered:
            return Status.MANUAL, f"attested for {len(covered)} of {len(per_account)} accounts"
        return Status.MANUAL, "no automated check; needs an attestation"
    tally: dict[Status, int] = defaultdict(int)
    for f in findings:
        tally[Status(f.status)] += 1
    parts = [f"{tally[s]} {s.value}" for s in STATUS_ORDER if tally[s]]
    reason = ", ".join(parts) if parts else "no findings"
    gaps = sorted(f"{acct}: {why}" for acct, (s, why) in per_account.items() if why and s is Status.NOT_ASSESSED)
    if gaps and status is Status.NOT_ASSESSED:
        reason += "; " + "; ".join(gaps)
    return status, reason


def evaluate(
    framework: Framework,
    findings: Sequence[Finding] | JudgedFindings,
    attestations: Sequence[Attestation] = (),
    *,
    as_of: datetime,
    accounts: Iterable[str] | None = None,
    thresholds: Thresholds | None = None,
) -> FrameworkResult:
    """Evaluate every requirement of `framework` against `findings`.

    The accounts in scope are those that appear in `findings`, plus `accounts` if given (an
    account with no findings at all then shows NOT_ASSESSED for every automated requirement).
    `as_of` (the snapshot's) decides which attestations have expired; never the clock.
    Each row judges a check by the findings made under its own limits (the row's where it states
    them, `thresholds` for the rest); `findings` must hold those (checks.runner.run_checks with
    the framework's stated limits), or the row is NOT_ASSESSED. Several frameworks over the
    same findings: index them once (`JudgedFindings.index`) and pass that to each.
    """
    thresholds = thresholds or Thresholds()
    on = utc_date(as_of)
    # Indexed: requirements × accounts lookups would otherwise rescan every finding.
    judged = findings if isinstance(findings, JudgedFindings) else JudgedFindings.index(findings)
    by_check, by_check_account, order = judged.by_check, judged.by_check_account, judged.order
    scope = sorted(judged.accounts | set(accounts or ()))

    results: list[RequirementResult] = []
    counts = _empty_counts()
    counts_by_account = {acct: _empty_counts() for acct in scope}
    for req in framework.requirements:
        applicable = [a for a in attestations if a.targets(framework.id, req) and (not scope or a.covers_any(scope))]
        valid = sorted((a for a in applicable if not a.is_expired(on)), key=Attestation.sort_key)
        expired = sorted((a for a in applicable if a.is_expired(on)), key=Attestation.sort_key)
        row_limits = _row_limits(req, thresholds)
        per_account = {acct: _status_for_account(req, row_limits, by_check_account, acct, valid) for acct in scope}
        req_findings = [f for c, key in row_limits.items() for f in by_check.get((c, key), ())]
        status, reason = _summarise(req, per_account, req_findings, valid)
        if expired and status is Status.MANUAL:
            reason += f"; {len(expired)} attestation(s) expired"
        finding_ids = sorted({f.finding_id for f in req_findings if f.finding_id}, key=order.__getitem__)
        results.append(
            RequirementResult(
                requirement=req,
                status=status,
                reason=reason,
                finding_ids=finding_ids,
                check_ids=sorted(req.check_ids),
                attestations=valid,
                expired_attestations=expired,
                status_by_account={acct: s for acct, (s, _) in per_account.items()},
                limits={c: dict(key) for c, key in row_limits.items() if key},
            )
        )
        counts[status] += 1
        for acct, (s, _) in per_account.items():
            counts_by_account[acct][s] += 1
    return FrameworkResult(
        framework=framework,
        as_of=on,
        accounts=scope,
        requirements=results,
        counts=counts,
        counts_by_account=counts_by_account,
    )
