"""What the standard finding formats (OCSF, ASFF) say of each finding, read once from the Pack.

Both formats carry the same facts: a finding id that stays the same month after month (so a SIEM
or Security Hub updates one record instead of piling up copies), the framework requirements the
Pack says the finding decides, whether a valid exception covers it, the account's partition, and
the digest of every artifact it cites. Nothing here judges: every value is read from the Pack.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from reporter.checks.finding import Finding
from reporter.checks.registry import CHECKS, Check
from reporter.core.partition import DEFAULT_PARTITION, home_region, is_arn_of
from reporter.core.status import Status
from reporter.pack.model import Pack

# A fixed namespace, so a finding's uid depends on what it is about and nothing else.
FINDING_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "compliance-reporter/finding")

Workflow = Literal["NEW", "RESOLVED", "SUPPRESSED"]


@dataclass(frozen=True)
class Requirement:
    standard: str  # "CIS AWS Foundations Benchmark 5.0.0"
    id: str  # "1.4"

    @property
    def label(self) -> str:
        return f"{self.standard} {self.id}"


@dataclass(frozen=True)
class Exported:
    """One finding with what the Pack says about it."""

    finding: Finding
    check: Check | None
    uid: str
    requirements: tuple[Requirement, ...]
    accepted: bool  # a FAIL covered by a valid exception (risk acceptance)
    partition: str
    region: str  # the partition's home region: where the account-level evidence is recorded
    account_name: str | None
    artifacts: tuple[tuple[str, str | None, str | None], ...]  # (path, row, sha256 in the manifest)

    @property
    def title(self) -> str:
        name = self.check.title if self.check is not None else self.finding.check_id
        return f"{name}: {self.finding.resource}"

    @property
    def workflow(self) -> Workflow:
        """PASS and NOT_APPLICABLE need nothing done; an excepted FAIL is suppressed, not resolved.
        NOT_ASSESSED stays open: missing evidence is work to do, never a pass."""
        if self.finding.status in (Status.PASS, Status.NOT_APPLICABLE):
            return "RESOLVED"
        return "SUPPRESSED" if self.accepted else "NEW"


def finding_uid(finding: Finding) -> str:
    """Stable across packs: the check, the account and the resource (and, for a finding judged
    under a framework row's own limits, those limits, which make it a different finding)."""
    limits = ",".join(f"{k}={v}" for k, v in sorted(finding.limits.items())) if finding.framework_limits else ""
    key = "\x1f".join((finding.check_id, finding.account_id, finding.resource, limits))
    return str(uuid.uuid5(FINDING_NAMESPACE, key))


def resource_type(finding: Finding) -> str:
    """The ASFF resource type of what a finding is about (OCSF takes the same words)."""
    if finding.resource == finding.account_id:
        return "AwsAccount"
    if is_arn_of(finding.resource, "iam"):
        return "AwsIamUser"  # an IAM user, or the root user (arn:…:iam::ACCOUNT:root)
    return "Other"


def exported_findings(model: Pack) -> list[Exported]:
    """Every finding of the Pack (its own, then those judged under framework rows' limits)."""
    decides: dict[str, list[Requirement]] = {}
    for result in model.frameworks:
        standard = f"{result.name} {result.version}"
        for row in result.requirements:
            for finding_id in row.finding_ids:
                decides.setdefault(finding_id, []).append(Requirement(standard, row.requirement.id))
    accepted: set[str] = set()
    if model.acceptances is not None:
        accepted = {d.finding_id for d in model.acceptances.decisions if d.applies}
    accounts = {e.account_id: e for e in model.evidence}
    digests = {a.path: a.sha256 for a in model.snapshot.manifest.artifacts if a.path is not None}
    out = []
    for f in model.all_findings:
        evidence = accounts.get(f.account_id)
        partition = evidence.partition if evidence is not None else DEFAULT_PARTITION
        out.append(
            Exported(
                f,
                CHECKS.get(f.check_id),
                finding_uid(f),
                tuple(decides.get(f.finding_id, ())),
                f.finding_id in accepted,
                partition,
                home_region(partition),
                evidence.name if evidence is not None else None,
                tuple((ref.path, ref.row, digests.get(ref.path)) for ref in f.evidence),
            )
        )
    return out
