"""A synthetic AWS Organization for the PDF benchmark and the many-account tests.

`build_org_snapshot(out, accounts=1000)` writes, through the product's SnapshotWriter, an
organization of `accounts` accounts spread over OUs (`ous`, default one per 60 accounts, between 1
and 16), each with 50 IAM users and 20 root events in the period, and one throttled LookupEvents
in every tenth account (so some accounts are partly assessed). The organization's structure
(roots, OU walk, ListChildren) is written as the collector writes it, so the pack can say which
OU each account is in. Deterministic for a seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

PERIOD = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
ROOT_ID = "r-bn01"
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "aws-cli/2.17.52 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0-1015-aws md/arch#x86_64 lang/python#3.12.6",
    "AWS Internal",
    "python-requests/2.32.3",
)
OU_KINDS = ("Workloads", "Sandbox", "Security", "Infrastructure", "Data", "Shared")


def account_ids(accounts: int) -> list[str]:
    return [f"{100000000000 + i * 1111:012d}" for i in range(accounts)]


def default_ous(accounts: int) -> int:
    return min(16, max(1, accounts // 60))


def ou_layout(accounts: int, ous: int) -> tuple[dict[str, str], dict[str, str]]:
    """(OU id -> name, account id -> OU id): the management account at the root, the others dealt
    round-robin to the OUs, so every OU holds about the same number of accounts."""
    names = {f"ou-bn01-{i:08d}": f"{OU_KINDS[i % len(OU_KINDS)]}-{i:02d}" for i in range(ous)}
    ou_ids = list(names)
    ids = account_ids(accounts)
    return names, {a: ou_ids[(i - 1) % ous] for i, a in enumerate(ids) if i > 0}


def build_org_snapshot(
    out: Path, *, accounts: int = 100, users: int = 50, events: int = 2000, seed: int = 11, ous: int | None = None
) -> Path:
    from factory import OrgSpec, _write_org, cr_row, jsonl, report, root_record

    from reporter.snapshot.writer import SnapshotWriter, dumps_json

    rng = random.Random(seed)
    ids = account_ids(accounts)
    writer = SnapshotWriter(
        out,
        tool_version="bench",
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        as_of=AS_OF,
        caller_arn=f"arn:aws:sts::{ids[0]}:assumed-role/ReporterAudit/bench",
        organization_id="o-bench00001",
    )
    names, placed = ou_layout(accounts, ous or default_ous(accounts))
    walk = {"OrganizationalUnits": {ROOT_ID: [{"Id": ou, "Name": name} for ou, name in names.items()]}}
    walk["OrganizationalUnits"].update({ou: [] for ou in names})
    _write_org(
        writer,
        OrgSpec(
            id="o-bench00001",
            management=ids[0],
            accounts=ids,
            ous=dict.fromkeys(names, ROOT_ID),
            parents=placed,
            root_id=ROOT_ID,
            raw={"organizational_units.json": orjson.dumps(walk)},
        ),
        AS_OF,
    )
    per_account = [events // accounts + (1 if i < events % accounts else 0) for i in range(accounts)]

    def stamp(days: float) -> str:
        return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    for index, account in enumerate(ids):
        writer.add_account(
            account, name=f"bench-{index:03d}", regions=["eu-west-1", "us-east-1"], is_management=index == 0
        )
        meta = {"account": account, "region": "us-east-1", "collected_at": AS_OF}
        rows = [
            cr_row(
                account=account,
                mfa=rng.choice(["true", "true", "false"]),
                password_last_used=stamp(rng.uniform(1, 200)),
            )
        ]
        for u in range(users):
            pw = rng.random() < 0.6
            key_days = rng.uniform(1, 400)
            rows.append(
                cr_row(
                    f"user-{u:03d}",
                    account,
                    password_enabled="true" if pw else "false",
                    password_last_used=stamp(rng.uniform(0, 120)) if pw else "N/A",
                    mfa="true" if rng.random() < 0.8 else "false",
                    key1=("true", stamp(key_days), stamp(rng.uniform(0, key_days)))
                    if rng.random() < 0.5
                    else ("false", "N/A", "N/A"),
                )
            )
        base = f"accounts/{account}/"
        writer.add_bytes(
            base + "iam/credential_report.csv",
            report(*rows),
            api="iam:GetCredentialReport",
            params={"GeneratedTime": stamp(0.1)},
            **meta,
        )
        writer.add_bytes(
            base + "iam/account_summary.json",
            dumps_json({"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}}),
            api="iam:GetAccountSummary",
            **meta,
        )
        writer.add_json(
            base + "iam/virtual_mfa_devices.json", {"VirtualMFADevices": []}, api="iam:ListVirtualMFADevices", **meta
        )
        writer.add_json(
            base + "iam/password_policy.json",
            {"PasswordPolicy": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}},
            api="iam:GetAccountPasswordPolicy",
            **meta,
        )
        records = []
        for e in range(per_account[index]):
            when = (PERIOD[0] + timedelta(seconds=rng.uniform(0, 30 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ")
            if rng.random() < 0.3:
                records.append(
                    root_record(
                        when,
                        mfa=rng.choice(["Yes", "No"]),
                        agent=rng.choice(AGENTS),
                        event_id=f"{account}-{e}",
                        account=account,
                    )
                )
            else:
                records.append(
                    root_record(
                        when,
                        rng.choice(["ListUsers", "GetAccountSummary", "ListBuckets"]),
                        key="ASIABENCH0000001",
                        agent=rng.choice(AGENTS),
                        event_id=f"{account}-{e}",
                        account=account,
                    )
                )
        writer.add_bytes(
            base + "cloudtrail/root_events.jsonl",
            jsonl(*records),
            api="cloudtrail:LookupEvents",
            params={"regions": ["eu-west-1", "us-east-1"]},
            account=account,
            collected_at=AS_OF,
        )
        if index % 10 == 9:
            writer.add_error(
                api="cloudtrail:LookupEvents",
                code="ThrottlingException",
                message="Rate exceeded",
                account=account,
                region="eu-west-1",
                collected_at=AS_OF,
            )
    writer.finalize(collected_at=AS_OF)
    return out
