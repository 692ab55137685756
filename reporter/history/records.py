"""What a pack contributes to the history: plain, frozen records, and the scope packs are compared in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from reporter.core.period import month_label
from reporter.core.status import Status
from reporter.snapshot.manifest import Manifest, iso_utc


def finding_key(check_id: str, account_id: str, resource: str) -> str:
    """The identity of a finding across months, (check, account, resource): the content its
    finding id is derived from (checks/finding_ids.py), stored as such in every record."""
    return f"{check_id}|{account_id}|{resource}"


@dataclass(frozen=True)
class FindingRecord:
    check_id: str
    account_id: str
    resource: str
    status: str
    severity: str
    reason: str
    # Risk-acceptance state of a FAIL: "accepted" | "expired" | "not_yet_valid" | None.
    acceptance: str | None = None

    @property
    def key(self) -> str:
        return finding_key(self.check_id, self.account_id, self.resource)


@dataclass(frozen=True)
class RequirementRecord:
    framework_id: str
    framework_version: str
    requirement_id: str
    status: str
    status_by_account: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RootEventCount:
    account_id: str
    # None: the root-event evidence of this account is missing; never read as zero.
    events: int | None
    # False when some region's lookup failed (the count is a lower bound); None: not recorded.
    complete: bool | None = True


@dataclass(frozen=True)
class PackRecord:
    """Everything the history keeps about one pack. Built by `pack_record` (or by hand)."""

    scope_key: str
    period_start: datetime
    period_end: datetime
    as_of: datetime
    manifest_sha256: str
    previous_manifest_sha256: str | None
    tool_version: str
    accounts: tuple[str, ...]
    findings: tuple[FindingRecord, ...] = ()
    requirements: tuple[RequirementRecord, ...] = ()
    root_events: tuple[RootEventCount, ...] = ()
    snapshot_tool_version: str | None = None
    # Where the snapshot folder was when the pack was built, for `verify` of the whole chain.
    snapshot_path: str | None = None

    @property
    def month(self) -> str:
        return month_label(self.period_start)

    def fail_keys(self) -> set[str]:
        return {f.key for f in self.findings if f.status == Status.FAIL}

    def content_sha256(self) -> str:
        """Digest of what is recorded, to tell a repeated record from a re-rendered pack."""
        data = asdict(self)
        for name in ("period_start", "period_end", "as_of"):
            data[name] = iso_utc(data[name])
        return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class PackSummary:
    """One row of the packs table (without the findings)."""

    id: int
    scope_key: str
    period_start: datetime
    period_end: datetime
    as_of: datetime
    manifest_sha256: str
    previous_manifest_sha256: str | None
    tool_version: str
    snapshot_tool_version: str | None
    snapshot_path: str | None

    @property
    def month(self) -> str:
        return month_label(self.period_start)


@dataclass(frozen=True)
class MonthPoint:
    """One month of a trend. `manifest_sha256 is None` means no pack for that month: a gap, not
    zero. `root_events` sums the accounts whose count is known; `root_events_complete` is False
    when some account's count is unknown or a lower bound."""

    month: str
    manifest_sha256: str | None = None
    root_events: int | None = None
    root_events_complete: bool = False
    fail_findings: int | None = None
    # framework id -> number of requirements whose status is FAIL.
    fail_requirements: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "manifest_sha256": self.manifest_sha256,
            "root_events": self.root_events,
            "root_events_complete": self.root_events_complete,
            "fail_findings": self.fail_findings,
            "fail_requirements": dict(sorted(self.fail_requirements.items())),
        }


class RecordOutcome(StrEnum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


def scope_key_for(organization_id: str | None, account_ids: Iterable[str]) -> str:
    """Packs are compared only within one scope: an organization (whatever accounts it has this
    month), or else an exact set of accounts."""
    if organization_id:
        return f"org:{organization_id}"
    return "accounts:" + ",".join(sorted(set(account_ids)))


def scope_key(manifest: Manifest) -> str:
    return scope_key_for(manifest.organization_id, (a.id for a in manifest.accounts))
