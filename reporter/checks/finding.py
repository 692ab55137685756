"""The finding: the one record every check emits and every renderer consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reporter.core.status import Severity, Status


@dataclass(frozen=True)
class EvidenceRef:
    """Where a decision came from: an artifact of the snapshot and, optionally, a row in it.

    `id` is the row's stable evidence id (evidence/row_ids.py), the one the workbook's evidence
    sheets carry; the runner derives it from path and row for a reference made without one."""

    path: str
    row: str | None = None
    id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "row": self.row}

    def cite(self) -> str:
        """How a sentence names this evidence: the file, and the row in it the check read."""
        return f"{self.path} ({self.row})" if self.row else self.path


# A root finding may cite 25 CloudTrail lines: the sentence names the first few, and every one is
# in findings.json's `evidence` and the workbook's evidence column.
SOURCES_CITED = 3


def source_text(refs: list[EvidenceRef]) -> str:
    """The evidence behind a finding as one sentence part: "path (line 2); path (SummaryMap.…)"."""
    cited = [ref.cite() for ref in dict.fromkeys(refs)]
    if not cited:
        return "none"
    more = len(cited) - SOURCES_CITED
    return "; ".join(cited[:SOURCES_CITED]) + (f"; and {more} more (findings.json evidence)" if more > 0 else "")


@dataclass
class Finding:
    check_id: str
    account_id: str
    resource: str
    status: Status
    severity: Severity
    reason: str
    observed: dict[str, Any] = field(default_factory=dict)
    evidence: list[EvidenceRef] = field(default_factory=list)
    # A finding about the whole table ("no IAM user has a password") rather than one row of it;
    # such a conclusion is only as good as the table is complete.
    aggregate: bool = False
    # Stable identifier F-<check>-<account>[-<resource hash>][-L<limits hash>] (checks/finding_ids.py),
    # given by the runner from content only, so it is the same month after month.
    finding_id: str = ""
    # The limits the check was judged by (checks/limits.py); empty for a check that takes none.
    limits: dict[str, int] = field(default_factory=dict)
    # Judged a second time under limits a framework row states (PCI DSS's 90 days unused, say),
    # not the product's: such a finding decides that row only, never the pack's counts or drift.
    framework_limits: bool = False
    # NOT_ASSESSED only: what to grant, retry or collect so the check can be judged (pack/not_assessed.py).
    remediation: list[str] = field(default_factory=list)
    # What the evidence shows, with its values (dates to the minute in UTC, ages against as_of as
    # the check judged them, counts, names): written by the check, for the reader.
    observed_text: str = ""
    # The requirement with the limits this finding was judged by, and whose limits they are.
    expected_text: str = ""

    @property
    def source_text(self) -> str:
        return source_text(self.evidence)

    def statement(self) -> str:
        """Observed, expected and source in one text, for formats with a single text field."""
        return f"Observed: {self.observed_text} Expected: {self.expected_text} Source: {self.source_text}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.finding_id,
            "check_id": self.check_id,
            "account_id": self.account_id,
            "resource": self.resource,
            "status": self.status.value,
            "severity": self.severity.value,
            "reason": self.reason,
            "observed": self.observed,
            "evidence": [ref.as_dict() for ref in self.evidence],
            "limits": dict(self.limits),
            "remediation": list(self.remediation),
            "observed_text": self.observed_text,
            "expected_text": self.expected_text,
            "source_text": self.source_text,
        }
