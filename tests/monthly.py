"""Three consecutive monthly snapshots of one organization, for history, drift, exceptions and chain tests.

The story (accounts A, B, C of organization o-test), one FAIL at a time:

| month   | A (111111111111)                          | B (222222222222)               | C (333333333333)          |
|---------|-------------------------------------------|--------------------------------|---------------------------|
| 2026-09 | root used (1 event); alice's key is old   | root without MFA; virtual MFA  | (not yet in scope)        |
| 2026-10 | root used (3 events); alice's key old     | root MFA on, still virtual     | bob: console without MFA  |
| 2026-11 | root used (2 events); alice key rotated   | (left the scope)               | bob still; lookup failed  |

Expected FAIL keys: Sep {A root_not_used, A alice rotation, B root_mfa, B hardware_mfa};
Oct {A root_not_used, A alice rotation, B hardware_mfa, C bob console_mfa};
Nov {A root_not_used, C bob console_mfa}.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from factory import AccountSpec, cr_row, jsonl, report, root_record, write_snapshot

from reporter.core.period import month_period
from reporter.snapshot.reader import Snapshot

A, B, C = "111111111111", "222222222222", "333333333333"
ORG = "o-test"
MONTHS = ("2026-09", "2026-10", "2026-11")
OLD_KEY = ("true", "2025-01-01T00:00:00Z", "2026-08-20T00:00:00Z")


def period(month: str) -> tuple[datetime, datetime]:
    # `now` only matters for "last-month"; a YYYY-MM month is the same whatever the clock says.
    return month_period(month, datetime(1970, 1, 1, tzinfo=UTC))


def as_of(month: str) -> datetime:
    return period(month)[1] + timedelta(hours=6)


def _alice(month: str) -> str:
    if month == "2026-11":
        key = ("true", "2026-11-15T00:00:00Z", "2026-11-20T00:00:00Z")
    else:
        key = ("true", "2025-01-01T00:00:00Z", f"{month}-20T00:00:00Z")
    return cr_row("alice", A, password_last_used=f"{month}-25T00:00:00Z", key1=key)


def accounts_for(month: str) -> list[AccountSpec]:
    events = {
        "2026-09": ["2026-09-10T08:00:00Z"],
        "2026-10": ["2026-10-03T10:15:00Z", "2026-10-03T11:40:00Z", "2026-10-21T09:00:00Z"],
        "2026-11": ["2026-11-05T12:00:00Z", "2026-11-06T12:00:00Z"],
    }[month]
    a = AccountSpec(
        id=A,
        name="prod",
        credential_report=report(cr_row(account=A), _alice(month)),
        root_events=jsonl(*(root_record(t, mfa="Yes", account=A, event_id=f"ev-{t}") for t in events)),
    )
    b_virtual = [
        {"SerialNumber": f"arn:aws:iam::{B}:mfa/root-account-mfa-device", "User": {"Arn": f"arn:aws:iam::{B}:root"}}
    ]
    b = AccountSpec(
        id=B,
        name="staging",
        virtual_mfa=b_virtual,
        credential_report=report(cr_row(account=B, mfa="false" if month == "2026-09" else "true")),
        summary={"SummaryMap": {"AccountMFAEnabled": 0 if month == "2026-09" else 1, "AccountAccessKeysPresent": 0}},
    )
    bob = cr_row("bob", C, mfa="false", password_last_used=f"{month}-25T00:00:00Z")
    c = AccountSpec(
        id=C,
        name="sandbox",
        credential_report=report(cr_row(account=C), bob),
        root_events=None if month == "2026-11" else b"",
        lookup_errors={"us-east-1": ("ThrottlingException", "Rate exceeded")} if month == "2026-11" else {},
    )
    return {"2026-09": [a, b], "2026-10": [a, b, c], "2026-11": [a, c]}[month]


def write_month(
    root: Path,
    month: str,
    accounts: list[AccountSpec] | None = None,
    *,
    previous: Snapshot | None = None,
    organization_id: str | None = ORG,
) -> Snapshot:
    """A snapshot of `month` in the collector's shape, chained to `previous` when given."""
    return write_snapshot(
        root,
        *(accounts if accounts is not None else accounts_for(month)),
        as_of=as_of(month),
        period=period(month),
        organization_id=organization_id,
        previous_manifest_sha256=previous.digest if previous else None,
    )


def write_chain(base: Path) -> list[Snapshot]:
    """The three months, each chained to the one before, in base/2026-09 … base/2026-11."""
    out: list[Snapshot] = []
    for month in MONTHS:
        out.append(write_month(base / month, month, previous=out[-1] if out else None))
    return out
