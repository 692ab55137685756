"""GovCloud and China (issue #15, item 3): the partition comes from the caller's ARN in the
snapshot, and every ARN the checks build or match (root principal, root MFA serial, SCP
principal patterns, alarm topics, the sign-in region of alert samples) is the account's own."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest
from factory import ACCOUNT, AccountSpec, OrgSpec, checked, cr_row, monitored, report, write_snapshot

from reporter.core.partition import home_region, partition_regions, snapshot_partition
from reporter.core.status import Status
from reporter.evidence.scp import denies_root, parse_policy

PARTITIONS = [("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")]
MEMBER = "210987654321"


def moved(spec: AccountSpec, partition: str, region: str) -> AccountSpec:
    """The same account as collected in another partition: its ARNs and regions rewritten."""

    def move(value: Any) -> Any:
        if value is None:
            return None
        raw = value if isinstance(value, bytes) else orjson.dumps(value)
        raw = raw.replace(b"arn:aws:", f"arn:{partition}:".encode()).replace(b"us-east-1", region.encode())
        return raw if isinstance(value, bytes) else orjson.loads(raw)

    return dataclasses.replace(spec, **{f.name: move(getattr(spec, f.name)) for f in dataclasses.fields(spec)})


def caller(partition: str, account: str = ACCOUNT) -> str:
    return f"arn:{partition}:sts::{account}:assumed-role/ReporterAudit/reporter-collect"


def statuses(snapshot: Any) -> dict[tuple[str, str], Status]:
    return {(f.check_id, f.account_id): f.status for f in checked(snapshot).findings}


@pytest.mark.parametrize(("partition", "region"), PARTITIONS)
def test_a_monitored_account_in_another_partition_is_judged_like_one_in_aws(
    tmp_path: Path, partition: str, region: str
) -> None:
    commercial = statuses(write_snapshot(tmp_path / "aws", monitored()))
    spec = moved(monitored(), partition, region)
    snap = write_snapshot(tmp_path / partition, spec, caller_arn=caller(partition))
    found = checked(snap).findings
    assert {(f.check_id, f.account_id): f.status for f in found} == commercial
    assert commercial[("root_usage_alerting", ACCOUNT)] is Status.PASS  # topic ARNs of the partition count
    roots = {f.resource for f in found if f.check_id.startswith("root_") and f.resource.startswith("arn:")}
    assert roots == {f"arn:{partition}:iam::{ACCOUNT}:root"}
    assert not [f for f in found if "arn:aws:" in orjson.dumps(f.observed).decode() + f.resource + f.reason]


@pytest.mark.parametrize(("partition", "region"), PARTITIONS)
def test_the_root_virtual_mfa_serial_of_the_partition_is_recognised(
    tmp_path: Path, partition: str, region: str
) -> None:
    serial = f"arn:{partition}:iam::{ACCOUNT}:mfa/root-account-mfa-device"
    spec = moved(AccountSpec(virtual_mfa=[{"SerialNumber": serial}]), partition, region)
    found = checked(write_snapshot(tmp_path, spec, caller_arn=caller(partition))).findings
    (hardware,) = [f for f in found if f.check_id == "root_hardware_mfa_enabled"]
    assert hardware.status is Status.FAIL and serial in hardware.reason


def deny_root(pattern: str) -> dict[str, Any]:
    condition = {"ArnLike": {"aws:PrincipalArn": pattern}}
    statement = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize(
    ("pattern", "counts"),
    [
        ("arn:aws:iam::*:root", False),  # a commercial-partition pattern leaves GovCloud root free
        ("arn:aws-us-gov:iam::*:root", True),
        ("arn:*:iam::*:root", True),
    ],
)
def test_scp_principal_patterns_match_the_partition(pattern: str, counts: bool) -> None:
    document = parse_policy(deny_root(pattern))
    (verdict,) = denies_root(document, f"arn:aws-us-gov:iam::{MEMBER}:root")
    assert verdict.counts is counts, verdict.reason


def test_an_organization_in_govcloud_is_judged_on_its_scps(tmp_path: Path) -> None:
    def deny(pattern: str) -> dict[str, Any]:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"ArnLike": {"aws:PrincipalArn": pattern}},
                }
            ],
        }

    def scp_status(pattern: str, folder: str) -> Status:
        org = OrgSpec(
            accounts=[ACCOUNT, MEMBER],
            policies={"p-deny": ("DenyRoot", deny_root(pattern))},
            targets={"p-deny": ["r-ex12"]},
        )
        member = AccountSpec(id=MEMBER, credential_report=report(cr_row(account=MEMBER, partition="aws-us-gov")))
        member = moved(member, "aws-us-gov", "us-gov-west-1")
        snap = write_snapshot(
            tmp_path / folder,
            AccountSpec(is_management=True),
            member,
            organization=org,
            caller_arn=caller("aws-us-gov"),
        )
        return statuses(snap)[("root_scp_deny", MEMBER)]

    assert scp_status("arn:aws:iam::*:root", "commercial-pattern") is Status.FAIL
    assert scp_status("arn:aws-us-gov:iam::*:root", "gov-pattern") is Status.PASS


def test_the_partition_comes_from_the_caller_else_the_regions() -> None:
    assert snapshot_partition(caller("aws-cn")) == "aws-cn"
    assert snapshot_partition(None, ["us-gov-east-1"]) == "aws-us-gov"
    assert snapshot_partition(None, ["no-such-region-1", "cn-northwest-1"]) == "aws-cn"
    assert snapshot_partition(None) == "aws"
    assert home_region("aws-us-gov") == "us-gov-west-1" and "cn-northwest-1" in partition_regions("aws-cn")


def test_an_old_snapshot_without_caller_or_regions_takes_the_partition_of_its_credential_report(
    tmp_path: Path,
) -> None:
    spec = moved(dataclasses.replace(monitored(), regions=[]), "aws-us-gov", "us-gov-west-1")
    found = checked(write_snapshot(tmp_path, spec, caller_arn=None)).findings
    roots = {f.resource for f in found if f.check_id.startswith("root_") and f.resource.startswith("arn:")}
    assert roots == {f"arn:aws-us-gov:iam::{ACCOUNT}:root"}
    assert snapshot_partition(None, [], ["arn:aws-cn:iam::1:root"]) == "aws-cn"
