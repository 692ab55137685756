"""The report model: everything a renderer shows, computed once from a snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reporter.checks.context import Thresholds
from reporter.checks.registry import CHECKS
from reporter.checks.runner import run_checks
from reporter.evidence.cloudtrail import root_events_frame
from reporter.evidence.credential_report import output_columns as cr_output_columns
from reporter.evidence.problems import ParseProblem
from reporter.evidence.tables import AccountEvidence, EvidenceTable, load_evidence
from reporter.findings import Finding, Status
from reporter.frameworks import Attestation, Framework, FrameworkResult, evaluate, load_frameworks
from reporter.render.gcpause import paused_gc
from reporter.snapshot.manifest import iso_utc
from reporter.snapshot.reader import Snapshot


@dataclass(frozen=True)
class AccountStatus:
    id: str
    name: str | None
    is_management: bool
    assessed: bool
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "is_management": self.is_management,
                "assessed": self.assessed, "reason": self.reason}


@dataclass
class ReportModel:
    snapshot: Snapshot
    thresholds: Thresholds
    accounts: list[AccountStatus]
    evidence: list[AccountEvidence]
    findings: list[Finding]
    problems: list[ParseProblem] = field(default_factory=list)
    frameworks: list[FrameworkResult] = field(default_factory=list)

    @property
    def period_label(self) -> str:
        return self.snapshot.manifest.period_start.strftime("%Y-%m")

    def root_events(self) -> pd.DataFrame:
        """Every root event of the period, all accounts, oldest first, numbered E-root-0001, …"""
        manifest = self.snapshot.manifest
        frames = [t.data.assign(account=e.account_id) for e in self.evidence
                  if isinstance(t := e.tables["root_events"], EvidenceTable)]
        if not frames:
            return _with_row_ids(root_events_frame([]).assign(account=pd.Series(dtype=object)), "E-root")
        events = pd.concat(frames, ignore_index=True)
        in_period = events[(events["event_time"] >= pd.Timestamp(manifest.period_start))
                           & (events["event_time"] < pd.Timestamp(manifest.period_end))]
        ordered = in_period.sort_values(["event_time", "account", "event_id"], kind="stable")
        return _with_row_ids(ordered.reset_index(drop=True), "E-root")

    def credential_rows(self) -> pd.DataFrame:
        """Every credential-report row of every account, numbered U-0001, … (root rows included)."""
        frames = [t.data.assign(source=t.sources[0]) for e in self.evidence
                  if isinstance(t := e.tables["credential_report"], EvidenceTable)]
        if not frames:
            return _with_row_ids(pd.DataFrame(columns=[*cr_output_columns(), "source"]), "U")
        rows = pd.concat(frames, ignore_index=True).sort_values(["account_id", "line"], kind="stable")
        return _with_row_ids(rows.reset_index(drop=True), "U")

    def counts(self, account_id: str | None = None) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for finding in self.findings:
            if account_id is None or finding.account_id == account_id:
                counts[finding.status.value] += 1
        return counts


def _with_row_ids(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    frame.insert(0, "row_id", [f"{prefix}-{i:04d}" for i in range(1, len(frame) + 1)])
    return frame


def _account_status(snapshot: Snapshot, evidence: AccountEvidence) -> AccountStatus:
    artifacts = snapshot.manifest.artifacts_for(account=evidence.account_id)
    ok = [a for a in artifacts if a.status == "ok"]
    if ok:
        return AccountStatus(evidence.account_id, evidence.name, evidence.is_management, True, None)
    errors = sorted({f"{a.api}: {a.error.code}" for a in artifacts if a.error})
    reason = "no evidence was collected" + (f" ({'; '.join(errors)})" if errors else "")
    return AccountStatus(evidence.account_id, evidence.name, evidence.is_management, False, reason)


def build_report(snapshot: Snapshot, thresholds: Thresholds | None = None,
                 frameworks: Sequence[Framework] | None = None,
                 attestations: Sequence[Attestation] = ()) -> ReportModel:
    """Evaluate a snapshot. `frameworks=None` means every shipped framework."""
    with paused_gc():  # ~10 % of the time on a 100-account organization; see gcpause
        return _build_report(snapshot, thresholds, frameworks, attestations)


def _build_report(snapshot: Snapshot, thresholds: Thresholds | None,
                  frameworks: Sequence[Framework] | None, attestations: Sequence[Attestation]) -> ReportModel:
    thresholds = thresholds or Thresholds()
    evidence = load_evidence(snapshot)
    as_of = snapshot.manifest.as_of
    findings = run_checks(evidence, pd.Timestamp(as_of), thresholds)
    problems = sorted({p for account in evidence for p in account.problems()})
    accounts = [_account_status(snapshot, e) for e in evidence]
    chosen = list(load_frameworks().values()) if frameworks is None else list(frameworks)
    scope = [a.id for a in snapshot.manifest.accounts]
    results = [evaluate(fw, findings, attestations, as_of=as_of, accounts=scope) for fw in chosen]
    return ReportModel(snapshot, thresholds, accounts, evidence, findings, problems, results)


def snapshot_block(model: ReportModel) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    return {
        "manifest_sha256": model.snapshot.digest,
        "as_of": iso_utc(manifest.as_of),
        "period_start": iso_utc(manifest.period_start),
        "period_end": iso_utc(manifest.period_end),
        "collected_at": iso_utc(manifest.collected_at),
        "caller_arn": manifest.caller_arn,
        "organization_id": manifest.organization_id,
    }


def checks_block() -> list[dict[str, Any]]:
    return [
        {"id": c.id, "title": c.title, "severity": c.severity.value, "evidence": list(c.evidence),
         "rationale": c.rationale, "remediation": list(c.remediation), "references": list(c.references)}
        for c in CHECKS.values()
    ]

