"""The history record of a built pack: what drift compares next month, and what `verify --history` walks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reporter import __version__
from reporter.assess.risk_acceptance import AcceptanceReport
from reporter.evidence.tables import EvidenceTable
from reporter.history.records import FindingRecord, PackRecord, RequirementRecord, RootEventCount, scope_key

if TYPE_CHECKING:
    from reporter.pack.model import Pack


def pack_record(
    model: Pack,
    *,
    acceptances: AcceptanceReport | None = None,
    snapshot_path: Path | str | None = None,
    tool_version: str | None = None,
) -> PackRecord:
    """The history record of a built report (and, optionally, its risk-acceptance decisions)."""
    manifest = model.snapshot.manifest
    states = acceptances.state_by_finding_id() if acceptances is not None else {}
    findings = tuple(
        FindingRecord(
            f.check_id, f.account_id, f.resource, f.status.value, f.severity.value, f.reason, states.get(f.finding_id)
        )
        for f in model.findings
    )
    requirements = tuple(
        RequirementRecord(
            r.framework_id,
            r.version,
            req.requirement.id,
            req.status.value,
            {a: s.value for a, s in sorted(req.status_by_account.items())},
        )
        for r in model.frameworks
        for req in r.requirements
    )
    events = model.root_events()
    per_account = events.groupby("account").size().to_dict() if len(events) else {}
    counts = []
    for evidence in model.evidence:
        table = evidence.tables.get("root_events")
        if isinstance(table, EvidenceTable):
            counts.append(
                RootEventCount(
                    evidence.account_id,
                    int(per_account.get(evidence.account_id, 0)),
                    not table.gaps and not table.problems,
                )
            )
        else:
            counts.append(RootEventCount(evidence.account_id, None, None))
    return PackRecord(
        scope_key=scope_key(manifest),
        period_start=manifest.period_start,
        period_end=manifest.period_end,
        as_of=manifest.as_of,
        manifest_sha256=model.snapshot.digest,
        previous_manifest_sha256=manifest.previous_manifest_sha256,
        tool_version=tool_version or __version__,
        accounts=tuple(sorted(a.id for a in manifest.accounts)),
        findings=findings,
        requirements=requirements,
        root_events=tuple(sorted(counts, key=lambda c: c.account_id)),
        snapshot_tool_version=manifest.tool_version,
        snapshot_path=str(snapshot_path) if snapshot_path is not None else None,
    )
