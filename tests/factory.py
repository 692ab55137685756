"""Build small snapshots for tests, in the shape the collector writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from reporter.evidence.credential_report import COLUMNS
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.writer import SnapshotWriter

ACCOUNT = "123456789012"
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
PERIOD = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
# AWS writes the columns in this order; the parser's list is the one source of it.
HEADER = ",".join(COLUMNS)


def cr_row(user: str = "<root_account>", account: str = ACCOUNT, *, created: str = "2020-01-01T00:00:00Z",
           password_enabled: str = "true", password_last_used: str = "no_information",
           password_last_changed: str = "2024-01-01T00:00:00Z", mfa: str = "true",
           key1: tuple[str, str, str] = ("false", "N/A", "N/A"),
           key2: tuple[str, str, str] = ("false", "N/A", "N/A")) -> str:
    arn = f"arn:aws:iam::{account}:root" if user == "<root_account>" else f"arn:aws:iam::{account}:user/{user}"

    def key(k: tuple[str, str, str]) -> list[str]:
        used = k[2] != "N/A"
        return [k[0], k[1], k[2], "us-east-1" if used else "N/A", "s3" if used else "N/A"]

    return ",".join([user, arn, created, password_enabled, password_last_used, password_last_changed,
                     "N/A", mfa, *key(key1), *key(key2), "false", "N/A", "false", "N/A"])


def report(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def root_record(when: str, name: str = "ConsoleLogin", *, mfa: str | None = "No", key: str | None = None,
                invoked_by: str | None = None, event_type: str | None = None, agent: str = "Mozilla/5.0",
                event_id: str | None = None, region: str = "us-east-1", account: str = ACCOUNT) -> dict[str, Any]:
    identity: dict[str, Any] = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                                "accountId": account}
    if key:
        identity["accessKeyId"] = key
    if invoked_by:
        identity["invokedBy"] = invoked_by
    record: dict[str, Any] = {
        "eventVersion": "1.09", "userIdentity": identity, "eventTime": when,
        "eventSource": "signin.amazonaws.com" if name == "ConsoleLogin" else "iam.amazonaws.com",
        "eventName": name, "awsRegion": region, "sourceIPAddress": "198.51.100.1", "userAgent": agent,
        "eventID": event_id or f"id-{name}-{when}", "recipientAccountId": account,
        "eventType": event_type or ("AwsConsoleSignIn" if name == "ConsoleLogin" else "AwsApiCall"),
    }
    if name == "ConsoleLogin":
        record["responseElements"] = {"ConsoleLogin": "Success"}
        if mfa is not None:
            record["additionalEventData"] = {"MFAUsed": mfa}
    return record


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


@dataclass
class AccountSpec:
    id: str = ACCOUNT
    credential_report: bytes | None = field(default_factory=lambda: report(cr_row()))
    credential_report_error: tuple[str, str] | None = None
    summary: dict[str, Any] | None = field(
        default_factory=lambda: {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}})
    virtual_mfa: list[dict[str, Any]] | None = field(default_factory=list)
    password_policy: dict[str, Any] | None = field(
        default_factory=lambda: {"PasswordPolicy": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}})
    root_events: bytes | None = b""
    lookup_regions: list[str] = field(default_factory=lambda: ["us-east-1"])
    lookup_errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    regions: list[str] = field(default_factory=lambda: ["us-east-1"])
    name: str | None = None


def write_snapshot(root: Path, *accounts: AccountSpec, as_of: datetime = AS_OF) -> Snapshot:
    writer = SnapshotWriter(root, tool_version="test", period_start=PERIOD[0], period_end=PERIOD[1], as_of=as_of)
    at = as_of
    for spec in accounts or (AccountSpec(),):
        writer.add_account(spec.id, name=spec.name, regions=spec.regions)
        base = f"accounts/{spec.id}/"
        meta = dict(account=spec.id, region="us-east-1", collected_at=at)
        if spec.credential_report is not None:
            writer.add_bytes(base + "iam/credential_report.csv", spec.credential_report,
                             api="iam:GetCredentialReport", **meta)
        if spec.credential_report_error is not None:
            code, message = spec.credential_report_error
            writer.add_error(api="iam:GetCredentialReport", code=code, message=message, **meta)
        if spec.summary is not None:
            writer.add_json(base + "iam/account_summary.json", spec.summary, api="iam:GetAccountSummary", **meta)
        if spec.virtual_mfa is not None:
            writer.add_json(base + "iam/virtual_mfa_devices.json", {"VirtualMFADevices": spec.virtual_mfa},
                            api="iam:ListVirtualMFADevices", **meta)
        if spec.password_policy is not None:
            writer.add_json(base + "iam/password_policy.json", spec.password_policy,
                            api="iam:GetAccountPasswordPolicy", **meta)
        if spec.root_events is not None:
            writer.add_bytes(base + "cloudtrail/root_events.jsonl", spec.root_events,
                             api="cloudtrail:LookupEvents", params={"regions": spec.lookup_regions},
                             account=spec.id, collected_at=at)
        for region, (code, message) in spec.lookup_errors.items():
            writer.add_error(api="cloudtrail:LookupEvents", code=code, message=message, account=spec.id,
                             region=region, collected_at=at)
    writer.finalize(collected_at=at)
    return Snapshot.open(root)
