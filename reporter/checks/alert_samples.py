"""The CloudTrail records an alert on root use must catch, region by region, and those it must not.

Alert patterns are judged by running these records through them, so they carry every field a
metric filter or an EventBridge pattern can match on (eventSource, eventName, awsRegion,
eventType, userIdentity.type/arn/sessionContext, recipientAccountId, ...), in the shape
CloudTrail writes them. There are three sources of root activity:

- console sign-in: `signin.amazonaws.com` ConsoleLogin, recorded only in the partition's home
  region (us-east-1 for `aws`), where AWS records root sign-ins;
- API calls made with root credentials: IAM (a global service, recorded in the home region;
  CreateAccessKey is the call that turns one sign-in into standing root keys), and in every
  region EC2 RunInstances and S3 CreateBucket: two regional services present in every region
  with different event sources, so a filter narrowed to one service or to IAM is caught out;
- AssumeRoot sessions (centralized root access): calls made in the member account with
  short-term root credentials from `sts:AssumeRoot`. CloudTrail records them with
  `userIdentity.type` "Root", temporary (`ASIA`) keys and `sessionContext.assumedRoot` "true",
  in the region of the regional STS endpoint the session was issued from, so in any region: S3
  DeleteBucketPolicy (the S3UnlockBucketPolicy task) everywhere, IAM DeleteLoginProfile (the
  IAMDeleteRootUserCredentials task) in the home region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reporter.core.partition import DEFAULT_PARTITION, arn, home_region, root_arn

SIGN_IN = "console sign-in"
API_CALL = "API call"
ASSUME_ROOT = "AssumeRoot session"
SOURCES = (SIGN_IN, API_CALL, ASSUME_ROOT)

_EVENT_TIME = "2026-10-15T10:00:00Z"


def _identity(partition: str, account: str, kind: str) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": kind,
        "principalId": account,
        "arn": root_arn(partition, account),
        "accountId": account,
    }
    if kind == "IAMUser":
        identity.update(
            arn=arn(partition, "iam", "", account, "user/alice"),
            userName="alice",
            principalId="AIDAEXAMPLEALICE",
            accessKeyId="AKIAEXAMPLEALICE",
        )
    elif kind == "AssumedRole":
        identity.update(
            arn=arn(partition, "sts", "", account, "assumed-role/Admin/bob"),
            principalId="AROAEXAMPLE:bob",
            accessKeyId="ASIAEXAMPLEBOB",
        )
    elif kind == ASSUME_ROOT:
        identity.update(
            type="Root",
            accessKeyId="ASIAEXAMPLEROOTSESSION",
            sessionContext={
                "attributes": {"creationDate": _EVENT_TIME, "mfaAuthenticated": "false"},
                "assumedRoot": "true",
            },
        )
    return identity


def _record(partition: str, account: str, kind: str, service: str, name: str, region: str) -> dict[str, Any]:
    sign_in = name == "ConsoleLogin"
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": _identity(partition, account, kind),
        "eventTime": _EVENT_TIME,
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Mozilla/5.0",
        "readOnly": False,
        "eventType": "AwsConsoleSignIn" if sign_in else "AwsApiCall",
        "managementEventCategory": "Management",
        "recipientAccountId": account,
        "eventID": f"sample-{kind.replace(' ', '')}-{name}-{region}",
    }
    if sign_in:
        record.update(
            responseElements={"ConsoleLogin": "Success"},
            additionalEventData={"MFAUsed": "Yes", "LoginTo": "https://console.aws.amazon.com/"},
        )
    return record


@dataclass(frozen=True)
class Sample:
    source: str  # one of SOURCES, or "ordinary" for activity an alert must not match
    label: str  # unique within a region
    record: dict[str, Any]

    @property
    def region(self) -> str:
        return str(self.record["awsRegion"])

    @property
    def event(self) -> dict[str, Any]:
        """The record as EventBridge delivers it (in the record's region)."""
        sign_in = self.record["eventName"] == "ConsoleLogin"
        service = self.record["eventSource"].split(".")[0]
        return {
            "version": "0",
            "id": self.record["eventID"],
            "detail-type": "AWS Console Sign In via CloudTrail" if sign_in else "AWS API Call via CloudTrail",
            "source": f"aws.{service}",
            "account": self.record["recipientAccountId"],
            "time": self.record["eventTime"],
            "region": self.record["awsRegion"],
            "resources": [],
            "detail": self.record,
        }


def root_samples(account: str, region: str | None = None, partition: str = DEFAULT_PARTITION) -> list[Sample]:
    """Root activity CloudTrail records in `region` (default: the partition's home region, the only
    one where console sign-ins and IAM calls are recorded)."""
    home = home_region(partition)
    region = region or home
    calls = [(SIGN_IN, "signin", "ConsoleLogin"), (API_CALL, "iam", "CreateAccessKey")] if region == home else []
    calls += [(API_CALL, "ec2", "RunInstances"), (API_CALL, "s3", "CreateBucket")]
    calls += [(ASSUME_ROOT, "s3", "DeleteBucketPolicy")]
    if region == home:
        calls.append((ASSUME_ROOT, "iam", "DeleteLoginProfile"))
    samples = []
    for source, service, name in calls:
        kind, who = (ASSUME_ROOT, "AssumeRoot session") if source == ASSUME_ROOT else ("Root", "root")
        label = "root console sign-in" if source == SIGN_IN else f"{who} {service}:{name}"
        samples.append(Sample(source, label, _record(partition, account, kind, service, name, region)))
    return samples


def ordinary_samples(account: str, partition: str = DEFAULT_PARTITION) -> list[Sample]:
    """Everyday activity of IAM users and roles: a pattern that matches it alerts on everything."""
    home = home_region(partition)
    return [
        Sample("ordinary", "IAM user iam:ListUsers", _record(partition, account, "IAMUser", "iam", "ListUsers", home)),
        Sample(
            "ordinary",
            "assumed role ec2:RunInstances",
            _record(partition, account, "AssumedRole", "ec2", "RunInstances", home),
        ),
    ]
