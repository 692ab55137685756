"""AWS partitions: which one an ARN or region belongs to, and the ARNs built in it.

An account in GovCloud (`aws-us-gov`) or China (`aws-cn`) has `arn:aws-us-gov:…` and
`arn:aws-cn:…` ARNs, its own region list and its own home region for global services, so
every ARN the product builds or matches comes from here, with the partition of the caller's
identity (the snapshot records the caller's ARN). botocore's bundled partition data names the
regions; nothing here calls AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

import botocore.session
from botocore.exceptions import UnknownRegionError

DEFAULT_PARTITION = "aws"
# IAM, Organizations, the region list and root console sign-ins are answered and recorded in
# one region per partition.
HOME_REGIONS = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}


@cache
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


def partition_of(arn: str | None) -> str | None:
    """The partition of an ARN (`arn:PARTITION:service:region:account:resource`), None if it is none."""
    if not arn:
        return None
    parts = arn.split(":", 5)
    return parts[1] if len(parts) == 6 and parts[0] == "arn" and parts[1] else None


def partition_of_region(region: str) -> str:
    return str(_botocore().get_partition_for_region(region))


def snapshot_partition(caller_arn: str | None, regions: Sequence[str] = (), evidence_arns: Iterable[str] = ()) -> str:
    """The partition evidence was collected in: the caller's ARN, else (older snapshots) the
    partition of the regions covered, else that of the ARNs in the evidence (the credential
    report's), and only when nothing says, the commercial one."""
    found = partition_of(caller_arn)
    if found:
        return found
    for region in regions:
        try:
            return partition_of_region(region)
        except UnknownRegionError:
            continue
    return next(filter(None, map(partition_of, evidence_arns)), DEFAULT_PARTITION)


def home_region(partition: str) -> str:
    return HOME_REGIONS.get(partition) or partition_regions(partition)[0]


@cache
def partition_regions(partition: str) -> tuple[str, ...]:
    """The partition's regions by botocore's data (EC2 is in every region)."""
    return tuple(_botocore().get_available_regions("ec2", partition_name=partition))


def arn(partition: str, service: str, region: str, account: str, resource: str) -> str:
    return ":".join(("arn", partition, service, region, account, resource))


def root_arn(partition: str, account: str) -> str:
    return arn(partition, "iam", "", account, "root")


def root_mfa_serial(partition: str, account: str) -> str:
    """The serial of the virtual MFA device the console creates for root."""
    return arn(partition, "iam", "", account, "mfa/root-account-mfa-device")


def is_arn_of(value: str, service: str) -> bool:
    """Is `value` an ARN of `service`, in whichever partition?"""
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and bool(parts[1]) and parts[2] == service
