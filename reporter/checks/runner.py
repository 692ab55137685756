"""Run every check on every account, and hold each result to the evidence it stood on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from reporter.checks.context import CheckContext, EvidenceMissing
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.limits import LimitKey, Thresholds, limit_key
from reporter.checks.registry import CHECKS, Check
from reporter.core.status import Status
from reporter.evidence.credential_report import is_root_subject
from reporter.evidence.tables import AccountEvidence, EvidenceTable, MissingEvidence

# Statuses that claim something about the account; each needs complete evidence behind it.
_CONCLUSIVE_IF_COMPLETE = (Status.PASS, Status.NOT_APPLICABLE)


def _weaknesses(check: Check, account: AccountEvidence, finding: Finding) -> list[str]:
    found: list[str] = []
    for name in check.evidence:
        table = account.tables[name]
        if isinstance(table, MissingEvidence):
            found.append(f"{name} missing ({table.reason})")
            continue
        found += [f"{name} incomplete ({gap})" for gap in table.gaps]
        # Unreadable rows weaken conclusions drawn from the whole table ("no user lacks MFA",
        # "no root event"); a finding about one row stands on that row alone.
        if table.problems and finding.aggregate:
            first = table.problems[0]
            more = f" and {len(table.problems) - 1} more" if len(table.problems) > 1 else ""
            found.append(f"{name} has unreadable input ({first}{more})")
    return found


def _hold_to_evidence(check: Check, account: AccountEvidence, finding: Finding) -> Finding:
    if finding.status not in _CONCLUSIVE_IF_COMPLETE:
        return finding
    weaknesses = _weaknesses(check, account, finding)
    if not weaknesses:
        return finding
    finding.observed = {**finding.observed, "would_be": finding.status.value, "incomplete_evidence": weaknesses}
    finding.status = Status.NOT_ASSESSED
    finding.reason = f"Not assessed: evidence is incomplete ({'; '.join(weaknesses)})."
    return finding


def _unreadable_principal_rows(ctx: CheckContext) -> list[Finding]:
    table = ctx.account.tables.get("credential_report")
    if not isinstance(table, EvidenceTable):
        return []
    return [
        ctx.finding(
            problem.subject or f"{problem.file} {problem.location}",
            Status.NOT_ASSESSED,
            f"The credential report row for this principal could not be read: {problem.reason}.",
            observed={"problem": problem.as_dict()},
            evidence=[EvidenceRef(problem.file, problem.location)],
        )
        for problem in table.problems
        if not is_root_subject(problem.subject)
    ]


def run_check(check: Check, account: AccountEvidence, as_of: pd.Timestamp, limits: Mapping[str, int]) -> list[Finding]:
    ctx = CheckContext(check, account, as_of, limits)
    try:
        findings = check.function(ctx)
    except EvidenceMissing as exc:
        findings = [
            ctx.finding(
                ctx.root_arn if check.scope == "root" else account.account_id,
                Status.NOT_ASSESSED,
                f"Not assessed: {exc.missing.name} is unavailable ({exc.missing.reason}).",
                observed={"missing_evidence": exc.missing.name},
                evidence=[EvidenceRef(p) for p in exc.missing.sources],
                aggregate=True,
            )
        ]
    findings = [_hold_to_evidence(check, account, f) for f in findings]
    if check.scope == "principal":
        findings += _unreadable_principal_rows(ctx)
    return findings


def limit_variants(
    thresholds: Thresholds, stated: Mapping[str, Iterable[Mapping[str, int]]]
) -> list[tuple[Check, LimitKey]]:
    """Each (check, limits) that framework rows state and the defaults do not already judge,
    once however many rows state it, in registry then limit order."""
    variants: set[tuple[str, LimitKey]] = set()
    for check_id, limit_sets in stated.items():
        check = CHECKS[check_id]
        default = limit_key(thresholds.for_check(check.limits))
        for limits in limit_sets:
            key = limit_key(thresholds.for_check(check.limits, limits))
            if key != default:
                variants.add((check_id, key))
    order = {check_id: i for i, check_id in enumerate(CHECKS)}
    return [(CHECKS[c], key) for c, key in sorted(variants, key=lambda v: (order[v[0]], v[1]))]


def run_checks(
    accounts: Iterable[AccountEvidence],
    as_of: pd.Timestamp,
    thresholds: Thresholds | None = None,
    stated: Mapping[str, Iterable[Mapping[str, int]]] | None = None,
) -> list[Finding]:
    """All findings under the product's limits, sorted by account, check, resource and numbered
    F-0001, F-0002, …; then, numbered on from there, the findings of each check judged again
    under each distinct set of limits that framework rows state (`stated`: check id → the limit
    sets its rows state), marked `framework_limits`."""
    thresholds = thresholds or Thresholds()
    accounts = list(accounts)
    order = {check_id: i for i, check_id in enumerate(CHECKS)}
    defaults = {check.id: thresholds.for_check(check.limits) for check in CHECKS.values()}
    findings = [
        finding
        for account in accounts
        for check in CHECKS.values()
        for finding in run_check(check, account, as_of, defaults[check.id])
    ]
    findings.sort(key=lambda f: (f.account_id, order[f.check_id], f.resource))
    # Account by account, as above: a check's per-account memo (its table's rows) then serves
    # every variant of the account instead of being rebuilt once per variant and account.
    judged_again = limit_variants(thresholds, stated or {})
    variants = [
        finding
        for account in accounts
        for check, key in judged_again
        for finding in run_check(check, account, as_of, dict(key))
    ]
    for finding in variants:
        finding.framework_limits = True
    variants.sort(key=lambda f: (f.account_id, order[f.check_id], limit_key(f.limits), f.resource))
    findings += variants
    for number, finding in enumerate(findings, start=1):
        finding.finding_id = f"F-{number:04d}"
    return findings
