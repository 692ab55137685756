"""Where each id sits in the workbook, so a cell citing it can link there: control matrix →
finding → evidence row (internal `#'Sheet'!A<row>` links; plain text in CSV).

Every linked sheet carries its id in column A and lists its rows in the order given here, so
a row's position is known before the sheet is written (row 1 is the header).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reporter.checks.finding import EvidenceRef, Finding
from reporter.pack.model import Pack
from reporter.render.sheet_table import Column, Link, SheetTable, text_value

SHEET_FINDINGS = "Findings"
SHEET_ROOT_EVENTS = "Root events"
SHEET_CREDENTIALS = "Credential report"
SHEET_MANIFEST = "Manifest"
SHEET_CITATIONS = "Evidence cited"
_FIRST_ROW = 2


def _rows(ids: Sequence[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, value in enumerate(ids):
        if isinstance(value, str):
            out.setdefault(value, i + _FIRST_ROW)  # a repeated id (one event read twice) links to its first row
    return out


@dataclass(frozen=True)
class WorkbookRows:
    """Id → Excel row, per sheet."""

    findings: dict[str, int]
    credentials: dict[str, int]
    root_events: dict[str, int]
    artifacts: dict[str, int]  # artifact path → its Manifest row

    @classmethod
    def of(cls, model: Pack, credentials: pd.DataFrame, root_events: pd.DataFrame) -> WorkbookRows:
        return cls(
            _rows([f.finding_id for f in model.all_findings]),
            _rows(credentials["evidence_id"].tolist()),
            _rows(root_events["evidence_id"].tolist()),
            _rows([a.path for a in model.snapshot.manifest.artifacts]),
        )

    def finding(self, finding_id: str) -> Link | None:
        row = self.findings.get(finding_id)
        return None if row is None else Link(finding_id, SHEET_FINDINGS, row)

    def evidence(self, ref: EvidenceRef, text: str | None = None) -> Link | None:
        """The row a reference cites: its credential-report or root-event row, else its artifact's
        Manifest row (a root event before the period is not on the Root events sheet)."""
        label = text or ref.id
        for sheet, rows, key in (
            (SHEET_CREDENTIALS, self.credentials, ref.id),
            (SHEET_ROOT_EVENTS, self.root_events, ref.id),
            (SHEET_MANIFEST, self.artifacts, ref.path),
        ):
            if key in rows:
                return Link(label, sheet, rows[key])
        return None


def evidence_ids_cell(finding: Finding, rows: WorkbookRows) -> Link | str | None:
    """A finding's evidence ids, linked to the first one's row (a cell holds one link; the
    Evidence cited sheet links each)."""
    ids = "; ".join(dict.fromkeys(ref.id for ref in finding.evidence if ref.id))
    if not ids:
        return None
    first = next((link for ref in finding.evidence if (link := rows.evidence(ref, ids)) is not None), None)
    return first or text_value(ids)


def citations_table(model: Pack, rows: WorkbookRows) -> SheetTable:
    columns = [
        Column("finding_id", description="The finding (Findings sheet, linked) that cites the evidence row."),
        Column(
            "evidence_id",
            description="The evidence row's stable id, linked to its row: Credential report (E-cred-…), Root events "
            "(E-evt-…) or the artifact's Manifest row (E-doc-…, and a root event outside the period).",
        ),
        Column("path", description="The snapshot artifact the evidence row is in."),
        Column("row", description="Where in the artifact (a line, a key), if the finding names one."),
        Column("check_id", description="The check of the finding."),
        Column("account_id", description="The AWS account of the finding."),
    ]
    findings = model.all_findings

    def lines() -> Iterator[list[Any]]:
        for f in findings:
            cited = rows.finding(f.finding_id) or text_value(f.finding_id)
            for ref in f.evidence:
                yield [
                    cited,
                    rows.evidence(ref) or text_value(ref.id),
                    text_value(ref.path),
                    text_value(ref.row),
                    text_value(f.check_id),
                    text_value(f.account_id),
                ]

    return SheetTable(
        "evidence_cited",
        SHEET_CITATIONS,
        "EvidenceCited",
        columns,
        sum(len(f.evidence) for f in findings),
        lines,
        widths={"finding_id": 50, "evidence_id": 45, "path": 60},
        description="One row per evidence row a finding cites: the finding and the evidence, each linked to its row.",
    )
