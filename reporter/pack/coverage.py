"""How much of an account was assessed: every check with its evidence, some of them, or none.

An account counts as assessed only when every check that ran for it had its evidence; one
NOT_ASSESSED result makes it "partially assessed (k of n checks)", naming what is missing. The
headline counts of the pack (root events) read "at least N" when the evidence they are counted
from is incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reporter.checks.finding import Finding
from reporter.core.status import Status
from reporter.evidence.tables import AccountEvidence, EvidenceTable

ASSESSED = "assessed"
PARTIAL = "partially_assessed"
NOT_ASSESSED = "not_assessed"


@dataclass(frozen=True)
class Coverage:
    state: str  # assessed | partially_assessed | not_assessed
    checks_total: int
    checks_assessed: int
    missing: tuple[str, ...] = ()  # "check_id: reason" of each check that lacked its evidence

    @property
    def label(self) -> str:
        if self.state == ASSESSED:
            return f"assessed ({self.checks_assessed} of {self.checks_total} checks)"
        if self.state == PARTIAL:
            return f"partially assessed ({self.checks_assessed} of {self.checks_total} checks)"
        return "not assessed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "checks_total": self.checks_total,
            "checks_assessed": self.checks_assessed,
            "missing": list(self.missing),
        }


def account_coverage(findings: Iterable[Finding], collected: bool) -> Coverage:
    """`findings` of one account; `collected`: any of its artifacts is ok (else nothing was)."""
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    missing = tuple(
        f"{check_id}: {next(f.reason for f in results if f.status == Status.NOT_ASSESSED)}"
        for check_id, results in by_check.items()
        if any(f.status == Status.NOT_ASSESSED for f in results)
    )
    total, assessed = len(by_check), len(by_check) - len(missing)
    if not collected or not assessed:
        return Coverage(NOT_ASSESSED, total, 0 if not collected else assessed, missing)
    return Coverage(ASSESSED if not missing else PARTIAL, total, assessed, missing)


@dataclass(frozen=True)
class Count:
    """A number counted over evidence that may be incomplete: `complete=False` reads "at least"."""

    value: int
    complete: bool
    gaps: tuple[str, ...] = ()

    def __str__(self) -> str:
        return str(self.value) if self.complete else f"at least {self.value}"

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "complete": self.complete, "gaps": list(self.gaps)}


def table_gaps(evidence: Iterable[AccountEvidence], table: str) -> tuple[str, ...]:
    """Why `table` is incomplete, per account: missing, a collection gap, or an unreadable row."""
    gaps: list[str] = []
    for account in evidence:
        found = account.tables.get(table)
        if not isinstance(found, EvidenceTable):
            gaps.append(f"{account.account_id}: {table} missing")
            continue
        gaps += [f"{account.account_id}: {gap}" for gap in found.gaps]
        gaps += [f"{account.account_id}: {problem}" for problem in found.problems]
    return tuple(gaps)
