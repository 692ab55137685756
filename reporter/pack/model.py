"""The Pack: everything an output shows, computed once from a snapshot by `build_pack`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import orjson
import pandas as pd

from reporter.assess.attestations import Attestation
from reporter.assess.evaluate import FrameworkResult, JudgedFindings, evaluate
from reporter.assess.framework_files import default_frameworks, load_frameworks
from reporter.assess.framework_model import Framework
from reporter.assess.risk_acceptance import AcceptanceReport, RiskAcceptances, apply
from reporter.checks.finding import Finding
from reporter.checks.limits import Thresholds
from reporter.checks.registry import CHECKS
from reporter.checks.runner import run_checks
from reporter.core.gcpause import paused_gc
from reporter.core.status import Status
from reporter.evidence.cloudtrail import root_events_frame
from reporter.evidence.credential_report import output_columns as cr_output_columns
from reporter.evidence.problems import ParseProblem
from reporter.evidence.tables import AccountEvidence, EvidenceTable, load_evidence
from reporter.history.drift import Drift, compute_drift
from reporter.history.records import PackRecord
from reporter.history.store import History
from reporter.pack.coverage import (
    ASSESSED,
    NOT_ASSESSED,
    PARTIAL,
    Count,
    Coverage,
    account_coverage,
    table_gaps,
)
from reporter.pack.integrity import UNCHECKED, Integrity
from reporter.pack.not_assessed import attach_steps
from reporter.pack.record import pack_record
from reporter.snapshot.manifest import iso_utc
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.signing import SIGNATURE_FORMAT

_T = TypeVar("_T")


@dataclass(frozen=True)
class AccountStatus:
    id: str
    name: str | None
    is_management: bool
    coverage: Coverage
    reason: str | None  # why it is not (fully) assessed

    @property
    def assessed(self) -> bool:
        """Every check for this account had its evidence."""
        return self.coverage.state == ASSESSED

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_management": self.is_management,
            "assessed": self.assessed,
            "coverage": self.coverage.as_dict(),
            "reason": self.reason,
        }


@dataclass
class Pack:
    """The one model every output (PDF, workbook, CSV, JSON) is rendered from; renderers never compute."""

    snapshot: Snapshot
    thresholds: Thresholds
    accounts: list[AccountStatus]
    evidence: list[AccountEvidence]
    # Judged by the product's limits (`thresholds`): the pack's counts, drift and history.
    findings: list[Finding]
    problems: list[ParseProblem] = field(default_factory=list)
    frameworks: list[FrameworkResult] = field(default_factory=list)
    # Month-over-month context (issue #8): risk-acceptance decisions for every FAIL, drift against
    # the previous pack of the scope (a baseline when there is no history), and the record the
    # history stores once every file of the pack is written.
    acceptances: AcceptanceReport | None = None
    drift: Drift | None = None
    record: PackRecord | None = None
    # What was verified of the snapshot before this pack was built (pack/integrity.py).
    integrity: Integrity = UNCHECKED
    # The same checks judged again under a framework row's own limits (PCI DSS's 90 days
    # unused, say); they decide those rows, are listed and excepted like any finding, and are
    # left out of counts and drift, which would otherwise count one credential twice.
    framework_findings: list[Finding] = field(default_factory=list)

    # Memos of what several outputs read (the period's root events, the credential rows, the
    # counts per account, findings.json's bytes): each is a concatenation or a pass over the
    # findings that a 1,000-account pack would otherwise redo per caller (per account, for the counts).
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, key: str, make: Callable[[], _T]) -> _T:
        """`make()`, computed once for this pack (nothing changes a pack once it is built)."""
        if key not in self._memo:
            self._memo[key] = make()
        return cast(_T, self._memo[key])

    @property
    def all_findings(self) -> list[Finding]:
        return self.findings + self.framework_findings

    @property
    def period_label(self) -> str:
        return self.snapshot.manifest.period_start.strftime("%Y-%m")

    def root_events(self) -> pd.DataFrame:
        """Every root event of the period, all accounts, oldest first, each with its `evidence_id`."""
        return self.memo("root_events", self._root_events).copy()  # a copy: callers may add columns

    def _root_events(self) -> pd.DataFrame:
        manifest = self.snapshot.manifest
        tables = [(e.account_id, t) for e in self.evidence if isinstance(t := e.tables["root_events"], EvidenceTable)]
        if not tables:
            return root_events_frame([]).assign(account=pd.Series(dtype=object))
        events = _concat_labelled(tables, "account")
        in_period = events[
            (events["event_time"] >= pd.Timestamp(manifest.period_start))
            & (events["event_time"] < pd.Timestamp(manifest.period_end))
        ]
        ordered = in_period.sort_values(["event_time", "account", "event_id"], kind="stable")
        return ordered.reset_index(drop=True)

    def root_event_count(self) -> Count:
        """The period's root events, "at least" when an account's root-event evidence has gaps."""
        gaps = table_gaps(self.evidence, "root_events")
        return Count(len(self.root_events()), not gaps, gaps)

    def coverage_counts(self) -> dict[str, int]:
        counts = {ASSESSED: 0, PARTIAL: 0, NOT_ASSESSED: 0}
        for account in self.accounts:
            counts[account.coverage.state] += 1
        return counts

    def coverage_text(self, named: int | None = None) -> str:
        """One line for the cover and the workbook: how many accounts were fully assessed, and
        first, if collection stopped early, that it did and why. `named`: at most that many of
        the accounts not fully assessed are named, the others counted (a 1,000-account cover)."""
        c, total = self.coverage_counts(), len(self.accounts)
        incomplete = self.snapshot.manifest.incomplete
        parts = [f"COLLECTION INCOMPLETE: {incomplete.reason}"] if incomplete is not None else []
        if c[ASSESSED] == total:
            parts.append(f"{total} of {total} account(s) fully assessed (every check had its evidence)")
        else:
            parts.append(f"{c[ASSESSED]} of {total} account(s) fully assessed")
            short = [f"{a.id} {a.coverage.label}" for a in self.accounts if a.coverage.state != ASSESSED]
            if named is not None and len(short) > named:
                short = [*short[:named], f"and {len(short) - named} more account(s) not fully assessed"]
            parts += short
        return "; ".join(parts)

    def credential_rows(self) -> pd.DataFrame:
        """Every credential-report row of every account (root rows included), each with its `evidence_id`."""
        return self.memo("credential_rows", self._credential_rows).copy()

    def _credential_rows(self) -> pd.DataFrame:
        tables = [
            (t.sources[0], t) for e in self.evidence if isinstance(t := e.tables["credential_report"], EvidenceTable)
        ]
        if not tables:
            return pd.DataFrame(columns=[*cr_output_columns(), "source"])
        rows = _concat_labelled(tables, "source").sort_values(["account_id", "line"], kind="stable")
        return rows.reset_index(drop=True)

    def counts(self, account_id: str | None = None) -> dict[str, int]:
        """Findings per status, of one account or (None) of all; an account without findings has zeros."""
        by_account = self.memo("counts", lambda: _counts_by_account(self.findings))
        return dict(by_account.get(account_id) or dict.fromkeys(STATUS_VALUES, 0))


STATUS_VALUES = tuple(status.value for status in Status)


def _concat_labelled(tables: list[tuple[str, EvidenceTable]], column: str) -> pd.DataFrame:
    """The tables' rows in one frame, each labelled in `column` with its table's label; the
    label is added after the concatenation, as `assign` on each of 1,000 accounts' tables
    would copy every one of them first."""
    frame = pd.concat([t.data for _, t in tables], ignore_index=True)
    frame[column] = pd.Series(np.repeat([label for label, _ in tables], [len(t.data) for _, t in tables]), dtype=str)
    return frame


def _counts_by_account(findings: list[Finding]) -> dict[str | None, dict[str, int]]:
    """Status counts of every account and (under None) of all, in one pass over the findings."""
    out: dict[str | None, dict[str, int]] = {None: dict.fromkeys(STATUS_VALUES, 0)}
    for finding in findings:
        status = finding.status.value
        out[None][status] += 1
        out.setdefault(finding.account_id, dict.fromkeys(STATUS_VALUES, 0))[status] += 1
    return out


def findings_by_account(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.account_id, []).append(finding)
    return out


def _account_status(snapshot: Snapshot, evidence: AccountEvidence, findings: list[Finding]) -> AccountStatus:
    """`findings`: this account's."""
    artifacts = snapshot.artifacts_of(evidence.account_id)
    collected = any(a.status == "ok" for a in artifacts)
    coverage = account_coverage(findings, collected)
    reason = None
    if not collected:
        errors = sorted({f"{a.api}: {a.error.code}" for a in artifacts if a.error})
        reason = "no evidence was collected" + (f" ({'; '.join(errors)})" if errors else "")
    elif coverage.missing:
        checks = ", ".join(m.split(":", 1)[0] for m in coverage.missing)
        reason = f"{len(coverage.missing)} check(s) without their evidence: {checks}"
    return AccountStatus(evidence.account_id, evidence.name, evidence.is_management, coverage, reason)


@dataclass(frozen=True)
class PackOptions:
    """What a pack is built with, besides its snapshot.

    `frameworks=None` means the default selection of the shipped ones (`default_frameworks`).
    `risk_acceptances` (the --exceptions file; none: every FAIL is unaccepted) are applied on the
    snapshot's as_of; drift is computed against `history` (None: this pack is a baseline). The
    history is only read here; recording is the caller's, after every file is written."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    frameworks: Sequence[Framework] | None = None
    attestations: Sequence[Attestation] = ()
    risk_acceptances: RiskAcceptances = field(default_factory=RiskAcceptances)
    history: History | None = None
    integrity: Integrity = UNCHECKED


def build_pack(snapshot: Snapshot, options: PackOptions | None = None) -> Pack:
    """Evaluate a snapshot into the Pack every output is rendered from."""
    options = options or PackOptions()
    with paused_gc():  # ~10 % of the time on a 100-account organization; see gcpause
        pack = _assess(snapshot, options)
        _annotate(pack, options)
        pack.integrity = options.integrity
        return pack


def _annotate(pack: Pack, options: PackOptions) -> None:
    """Fill `acceptances`, `pack` and `drift` of a built pack."""
    events = pack.root_events()
    rows = events[["evidence_id", "account", "event_id", "event_time"]].to_dict("records") if len(events) else []
    # The column labels are strings, so each record is a dict[str, Any].
    pack.acceptances = apply(
        pack.all_findings, options.risk_acceptances, pack.snapshot.manifest.as_of, cast("list[dict[str, Any]]", rows)
    )
    pack.record = pack_record(pack, acceptances=pack.acceptances, snapshot_path=pack.snapshot.root.resolve())
    pack.drift = compute_drift(pack.record, options.history)


def _assess(snapshot: Snapshot, options: PackOptions) -> Pack:
    evidence = load_evidence(snapshot)
    as_of = snapshot.manifest.as_of
    chosen = default_frameworks(load_frameworks()) if options.frameworks is None else list(options.frameworks)
    stated: dict[str, list[dict[str, int]]] = {}
    for fw in chosen:
        for check_id, limit_sets in fw.stated_limits().items():
            stated.setdefault(check_id, []).extend(limit_sets)
    judged = run_checks(evidence, pd.Timestamp(as_of), options.thresholds, stated)
    attach_steps(judged, snapshot.manifest)
    findings = [f for f in judged if not f.framework_limits]
    problems = sorted({p for account in evidence for p in account.problems()})
    per_account = findings_by_account(findings)  # not accounts x findings
    accounts = [_account_status(snapshot, e, per_account.get(e.account_id, [])) for e in evidence]
    scope = [a.id for a in snapshot.manifest.accounts]
    indexed = JudgedFindings.index(judged)  # once for every framework
    results = [
        evaluate(fw, indexed, options.attestations, as_of=as_of, accounts=scope, thresholds=options.thresholds)
        for fw in chosen
    ]
    return Pack(
        snapshot,
        options.thresholds,
        accounts,
        evidence,
        findings,
        problems,
        results,
        framework_findings=[f for f in judged if f.framework_limits],
    )


def snapshot_block(model: Pack) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    return {
        "manifest_sha256": model.snapshot.digest,
        "as_of": iso_utc(manifest.as_of),
        "period_start": iso_utc(manifest.period_start),
        "period_end": iso_utc(manifest.period_end),
        "collected_at": iso_utc(manifest.collected_at),
        "caller_arn": manifest.caller_arn,
        "organization_id": manifest.organization_id,
        "previous_manifest_sha256": manifest.previous_manifest_sha256,
        "incomplete": manifest.incomplete.reason if manifest.incomplete is not None else None,
        "signature": signature_block(model),
    }


def signature_block(model: Pack) -> dict[str, Any] | None:
    """What manifest.json.sig beside the manifest claims (key id, signed digest), or None.

    Not a verification (the report has no public key): `reporter verify --public-key` is. A
    signature file that cannot be read is reported as such, never as signed."""
    path = model.snapshot.root / "manifest.json.sig"
    if not path.is_file():
        return None
    try:
        doc = orjson.loads(path.read_bytes())
        if not isinstance(doc, dict) or doc.get("format") != SIGNATURE_FORMAT:
            raise ValueError
        return {
            "algorithm": str(doc.get("algorithm")),
            "key_id": str(doc.get("key_id")),
            "manifest_sha256": str(doc.get("manifest_sha256")),
            "signature_file": path.name,
            "matches_manifest": doc.get("manifest_sha256") == model.snapshot.digest,
            "verified": False,
        }
    except (orjson.JSONDecodeError, ValueError, OSError):
        return {
            "algorithm": None,
            "key_id": None,
            "manifest_sha256": None,
            "signature_file": path.name,
            "matches_manifest": False,
            "verified": False,
            "error": "not a reporter signature file",
        }


def checks_block() -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "title": c.title,
            "fails_when": c.fails_when,
            "severity": c.severity.value,
            "evidence": list(c.evidence),
            "rationale": c.rationale,
            "remediation": list(c.remediation),
            "references": list(c.references),
        }
        for c in CHECKS.values()
    ]
