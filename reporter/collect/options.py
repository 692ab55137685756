"""What the collector is asked to do (CollectOptions) and what it did (CollectSummary)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from reporter.core.shard import Shard
from reporter.snapshot.manifest import Manifest

# botocore's 60 s read timeout × 10 attempts could hold one stalled call for ten minutes; an
# IAM or CloudTrail answer that has not started in 20 s is a failure to retry, then evidence.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 20.0

# The least-privilege role `reporter iam-policy --format cloudformation|terraform` deploys.
DEFAULT_ROLE_NAME = "ReporterAudit"


class CollectError(Exception):
    """Collection cannot start (no credentials, a snapshot already in the output folder, a
    resume whose options differ from the interrupted run's)."""


@dataclass(frozen=True)
class RootEventSource:
    """Where the period's root events come from: LookupEvents, the trail's log files, or Athena."""

    kind: Literal["lookup", "s3", "athena"] = "lookup"
    bucket: str | None = None  # s3: the trail bucket; None: found from the trails collected
    prefix: str | None = None
    directory: Path | None = None  # s3 offline: a folder of downloaded log files
    athena_table: str | None = None  # DB.TABLE
    athena_workgroup: str = "primary"
    athena_output: str | None = None  # s3://… (None: the workgroup's own setting)
    athena_region: str | None = None  # None: the caller's region

    def __post_init__(self) -> None:
        if self.kind == "athena" and not (self.athena_table and re.fullmatch(r"[\w-]+\.[\w-]+", self.athena_table)):
            raise ValueError("--root-events athena needs --athena-table DB.TABLE")
        if self.kind == "s3" and self.bucket and self.directory:
            raise ValueError("give --trail-bucket or --trail-dir, not both")
        if self.kind != "s3" and (self.bucket or self.directory):
            raise ValueError("--trail-bucket and --trail-dir need --root-events s3")
        if self.athena_output is not None and not self.athena_output.startswith("s3://"):
            raise ValueError("--athena-output must be an s3:// location")


@dataclass(frozen=True)
class CollectOptions:
    out: Path
    period_start: datetime  # aware UTC
    period_end: datetime  # aware UTC, exclusive
    accounts: tuple[str, ...] = ()  # empty and organization False -> the caller's own account
    organization: bool = False  # all ACTIVE accounts of the organization
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    regions: tuple[str, ...] = ()  # empty -> the enabled regions of each account
    profile: str | None = None
    max_workers: int = 16
    lookup_rate: float = 2.0  # LookupEvents requests/second per account and region (AWS's quota)
    quiet: bool = False
    # botocore retry attempts (adaptive mode) before a throttled/failed call becomes an error artifact.
    max_attempts: int = 10
    # seconds; a call that times out is retried, then recorded as an error artifact
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    root_events: RootEventSource = field(default_factory=RootEventSource)
    # The evidence chain: the manifest digest of the previous pack of this scope. Given directly,
    # or asked of `previous_manifest` (organization id, account ids) once the scope is known, at
    # finalize; the caller answers from its history, which the collector knows nothing of.
    previous_manifest_sha256: str | None = None
    previous_manifest: Callable[[str | None, tuple[str, ...]], str | None] | None = None
    # Continue the interrupted collection in `out` (its journal): verified artifacts are re-used.
    resume: bool = False
    # collect --shard K/N: only the accounts of the scope whose id hashes to K (`reporter merge`
    # joins the N snapshots); only shard 1 walks the organization's structure.
    shard: Shard | None = None
    # collect --processes N: the accounts collected by N child processes (one collector process
    # is CPU-bound near 20 requests in flight); max_workers stays the bound of the whole run.
    processes: int = 1

    def __post_init__(self) -> None:
        if self.previous_manifest_sha256 is not None and not re.fullmatch(
            r"[0-9a-f]{64}", self.previous_manifest_sha256
        ):
            raise ValueError("previous_manifest_sha256 must be 64 lowercase hex digits")
        for name in ("period_start", "period_end"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} must carry a time zone")
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        if self.max_workers < 1 or self.max_attempts < 1 or self.lookup_rate <= 0 or self.processes < 1:
            raise ValueError("max_workers, max_attempts, lookup_rate and processes must be positive")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("--connect-timeout and --read-timeout must be positive (seconds)")
        for account in self.accounts:
            if not re.fullmatch(r"\d{12}", account):
                raise ValueError(f"account id {account!r} is not 12 digits")

    def chain_link(self, organization_id: str | None, account_ids: Iterable[str]) -> str | None:
        """The digest this snapshot records as previous_manifest_sha256: the one given, else the
        caller's answer for this scope (None: first pack, or no history)."""
        if self.previous_manifest_sha256 is not None or self.previous_manifest is None:
            return self.previous_manifest_sha256
        return self.previous_manifest(organization_id, tuple(account_ids))


@dataclass(frozen=True)
class CollectSummary:
    manifest: Manifest
    accounts: int
    regions: int
    api_calls: int
    errors: int
    calls_by_api: dict[str, int] = field(default_factory=dict)
    calls_by_account: dict[str, int] = field(default_factory=dict)
    reused: int = 0  # --resume: artifacts of the interrupted run listed again without a call
    not_reused: list[str] = field(default_factory=list)  # --resume: what was collected again, and why
