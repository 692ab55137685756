"""Evidence tables per account, and what is missing from them (so checks can say why)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reporter.evidence.cloudtrail import parse_root_events
from reporter.evidence.credential_report import CredentialReportError, parse_credential_report
from reporter.evidence.iam_documents import (
    DocumentError,
    parse_account_summary,
    parse_password_policy,
    parse_virtual_mfa_devices,
)
from reporter.evidence.problems import ParseProblem
from reporter.snapshot.manifest import Artifact
from reporter.snapshot.reader import ArtifactUnreadable, Snapshot


@dataclass
class EvidenceTable:
    name: str
    data: Any  # a DataFrame, or a dict / None for one-record documents
    sources: list[str]
    problems: list[ParseProblem] = field(default_factory=list)
    # Collection failures that leave the table incomplete (a region whose call failed, a region
    # never covered). Rows present are real; conclusions from absence are not safe.
    gaps: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems and not self.gaps


@dataclass(frozen=True)
class MissingEvidence:
    name: str
    reason: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str
    api: str
    parse: Callable[[bytes, str], tuple[Any, list[ParseProblem]]]
    regional: bool = False


def _no_problems(parse: Callable[[bytes, str], Any]) -> Callable[[bytes, str], tuple[Any, list[ParseProblem]]]:
    return lambda data, source: (parse(data, source), [])


TABLE_SPECS: tuple[TableSpec, ...] = (
    TableSpec("credential_report", "iam:GetCredentialReport", parse_credential_report),
    TableSpec("account_summary", "iam:GetAccountSummary", _no_problems(parse_account_summary)),
    TableSpec("virtual_mfa_devices", "iam:ListVirtualMFADevices", _no_problems(parse_virtual_mfa_devices)),
    TableSpec("password_policy", "iam:GetAccountPasswordPolicy", _no_problems(parse_password_policy)),
    TableSpec("root_events", "cloudtrail:LookupEvents", parse_root_events, regional=True),
)
TABLE_NAMES = tuple(spec.name for spec in TABLE_SPECS)


@dataclass
class AccountEvidence:
    account_id: str
    name: str | None
    is_management: bool
    regions: list[str]
    tables: dict[str, EvidenceTable | MissingEvidence]

    def problems(self) -> list[ParseProblem]:
        return [p for t in self.tables.values() if isinstance(t, EvidenceTable) for p in t.problems]


def _describe_error(artifact: Artifact) -> str:
    where = f" in {artifact.region}" if artifact.region else ""
    if artifact.error is None:
        return f"{artifact.api}{where} failed"
    return f"{artifact.api}{where} failed: {artifact.error.code}: {artifact.error.message}"


def _load_table(snapshot: Snapshot, spec: TableSpec, account: str, regions: list[str]) -> EvidenceTable | MissingEvidence:
    artifacts = snapshot.manifest.artifacts_for(account=account, api=spec.api)
    ok = [a for a in artifacts if a.status == "ok"]
    failed = [a for a in artifacts if a.status == "error"]
    if not ok:
        reason = "; ".join(_describe_error(a) for a in failed) or f"{spec.api} was not collected for this account"
        return MissingEvidence(spec.name, reason)
    frames: list[Any] = []
    problems: list[ParseProblem] = []
    for artifact in ok:
        assert artifact.path is not None
        try:
            data, found = spec.parse(snapshot.read(artifact), artifact.path)
        except (ArtifactUnreadable, CredentialReportError, DocumentError, ValueError) as exc:
            return MissingEvidence(spec.name, str(exc), (artifact.path,))
        frames.append(data)
        problems.extend(found)
    if len(frames) == 1:
        data = frames[0]
    elif all(isinstance(f, pd.DataFrame) for f in frames):
        data = pd.concat(frames, ignore_index=True)
    else:
        paths = tuple(a.path for a in ok if a.path)
        return MissingEvidence(spec.name, f"{len(ok)} artifacts answer {spec.api} for one account "
                               f"({', '.join(paths)}); the snapshot does not say which to believe", paths)
    gaps = [_describe_error(a) for a in failed]
    if spec.regional:
        covered = {r for a in ok for r in a.params.get("regions", [a.region] if a.region else [])}
        covered |= {a.region for a in failed if a.region}
        gaps += [f"{spec.api} did not cover region {r}" for r in sorted(set(regions) - covered)]
    return EvidenceTable(spec.name, data, [a.path for a in ok if a.path], problems, gaps)


def load_account(snapshot: Snapshot, account_id: str) -> AccountEvidence:
    scope = next(a for a in snapshot.manifest.accounts if a.id == account_id)
    tables = {spec.name: _load_table(snapshot, spec, account_id, scope.regions) for spec in TABLE_SPECS}
    return AccountEvidence(account_id, scope.name, scope.is_management, scope.regions, tables)


def load_evidence(snapshot: Snapshot) -> list[AccountEvidence]:
    return [load_account(snapshot, account.id) for account in snapshot.manifest.accounts]
