"""What a check is handed: one account's evidence, the snapshot's `as_of`, the limits it is judged by."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import Check
from reporter.core.status import Status
from reporter.evidence.tables import AccountEvidence, EvidenceTable, MissingEvidence


class EvidenceMissing(Exception):
    def __init__(self, missing: MissingEvidence) -> None:
        super().__init__(missing.reason)
        self.missing = missing


@dataclass
class CheckContext:
    check: Check
    account: AccountEvidence
    as_of: pd.Timestamp
    # The limits this check is judged by (checks/limits.py): the product's, or a framework row's.
    limits: Mapping[str, int]
    # Judged again under limits a framework row states, not the pack's (Finding.framework_limits).
    framework_limits: bool = False

    @cached_property
    def expected_text(self) -> str:
        # One sentence per (check, limits) for all of a context's findings: a large organization
        # has hundreds of thousands of per-user findings.
        return self.check.expected_text(self.limits, self.framework_limits)

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def partition(self) -> str:
        return self.account.partition

    @property
    def root_arn(self) -> str:
        return self.account.root_arn

    def table(self, name: str) -> EvidenceTable:
        """The table, or stop this check with NOT_ASSESSED naming why the table is missing."""
        found = self.maybe(name)
        if found is None:
            missing = self.account.tables[name]
            assert isinstance(missing, MissingEvidence)
            raise EvidenceMissing(missing)
        return found

    def maybe(self, name: str) -> EvidenceTable | None:
        if name not in self.check.evidence:
            raise KeyError(f"check {self.check.id} reads {name} without declaring it")
        found = self.account.tables[name]
        return found if isinstance(found, EvidenceTable) else None

    def days_before_as_of(self, when: pd.Timestamp | None) -> int | None:
        """Whole days, for the reader only: limits are judged by `older_than`, to the second."""
        if when is None or pd.isna(when):
            return None
        return int((self.as_of - when) / pd.Timedelta(days=1))

    def older_than(self, when: pd.Timestamp, days: int, *, or_equal: bool = False) -> bool:
        """Is `when` more than `days` × 24 h before as_of (`or_equal`: at least)? "Rotated within
        90 days" fails one second past 90 × 24 h, not at 91 whole days."""
        age = self.as_of - when
        limit = pd.Timedelta(days=days)
        return age >= limit if or_equal else age > limit

    def finding(
        self,
        resource: str,
        status: Status,
        reason: str,
        *,
        observed_text: str,
        observed: dict[str, Any] | None = None,
        evidence: list[EvidenceRef] | None = None,
        aggregate: bool = False,
    ) -> Finding:
        return Finding(
            check_id=self.check.id,
            account_id=self.account_id,
            resource=resource,
            status=status,
            severity=self.check.severity,
            reason=reason,
            observed=observed or {},
            evidence=evidence or [],
            aggregate=aggregate,
            limits=dict(self.limits),
            framework_limits=self.framework_limits,
            observed_text=observed_text,
            expected_text=self.expected_text,
        )
