"""Run every check on every account, and hold each result to the evidence it stood on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import pandas as pd

from reporter.checks.common import sentence
from reporter.checks.context import CheckContext, EvidenceMissing
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.finding_ids import assign_finding_ids, finding_order
from reporter.checks.limits import LimitKey, Thresholds, limit_key
from reporter.checks.registry import CHECKS, Check
from reporter.core.status import Status
from reporter.evidence.credential_report import is_root_subject
from reporter.evidence.row_ids import artifact_row_id, credential_row_id
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
    would_be = f"that would be {finding.status.value}, but the evidence it stands on is incomplete: "
    finding.observed_text += " " + sentence([would_be + "; ".join(weaknesses)])
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
            observed_text=sentence(
                [
                    f"the credential report's {problem.location} ({problem.subject or 'no user name'}) "
                    f"could not be read: {problem.reason}"
                ]
            ),
            observed={"problem": problem.as_dict()},
            evidence=[
                EvidenceRef(
                    problem.file,
                    problem.location,
                    credential_row_id(ctx.account_id, problem.subject) if problem.subject else "",
                )
            ],
        )
        for problem in table.problems
        if not is_root_subject(problem.subject)
    ]


def run_check(
    check: Check,
    account: AccountEvidence,
    as_of: pd.Timestamp,
    limits: Mapping[str, int],
    framework_limits: bool = False,
) -> list[Finding]:
    ctx = CheckContext(check, account, as_of, limits, framework_limits)
    try:
        findings = check.function(ctx)
    except EvidenceMissing as exc:
        findings = [
            ctx.finding(
                ctx.root_arn if check.scope == "root" else account.account_id,
                Status.NOT_ASSESSED,
                f"Not assessed: {exc.missing.name} is unavailable ({exc.missing.reason}).",
                observed_text=sentence(
                    [f"no {exc.missing.name} evidence for account {account.account_id}: {exc.missing.reason}"]
                ),
                observed={"missing_evidence": exc.missing.name},
                evidence=[EvidenceRef(p) for p in exc.missing.sources],
                aggregate=True,
            )
        ]
    findings = [_hold_to_evidence(check, account, f) for f in findings]
    if check.scope == "principal":
        findings += _unreadable_principal_rows(ctx)
    for finding in findings:
        finding.evidence = [_with_id(ref) for ref in finding.evidence]
    return findings


def _with_id(ref: EvidenceRef) -> EvidenceRef:
    """A reference made without a row id (a whole artifact, a key in one) is named by its path and key."""
    return ref if ref.id else replace(ref, id=artifact_row_id(ref.path, ref.row))


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
    """All findings under the product's limits, sorted by account, check, resource; then the
    findings of each check judged again under each distinct set of limits that framework rows
    state (`stated`: check id → the limit sets its rows state), marked `framework_limits`.
    Each gets its content-derived id (checks/finding_ids.py); the list order is the findings'
    order everywhere (the Findings sheet, findings.json, the PDF)."""
    thresholds = thresholds or Thresholds()
    accounts = list(accounts)
    defaults = {check.id: thresholds.for_check(check.limits) for check in CHECKS.values()}
    findings = [
        finding
        for account in accounts
        for check in CHECKS.values()
        for finding in run_check(check, account, as_of, defaults[check.id])
    ]
    findings.sort(key=finding_order)
    # Account by account, as above: a check's per-account memo (its table's rows) then serves
    # every variant of the account instead of being rebuilt once per variant and account.
    judged_again = limit_variants(thresholds, stated or {})
    variants = [
        finding
        for account in accounts
        for check, key in judged_again
        for finding in run_check(check, account, as_of, dict(key), framework_limits=True)
    ]
    variants.sort(key=finding_order)
    findings += variants
    assign_finding_ids(findings)
    return findings
