"""A three-account moto organization for the collector's tests (in-process moto), and the options
and clock those tests collect it with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import moto_gaps

from reporter.collect import CollectOptions
from reporter.collect.options import DEFAULT_ROLE_NAME

START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
REGIONS = ("eu-west-1", "us-east-1")
ROLE = DEFAULT_ROLE_NAME  # the role collect assumes unless told otherwise


def fixed_clock() -> datetime:
    return AS_OF


def no_sleep(_: float) -> None:
    pass


def root_record(
    account: str, when: datetime, event_id: str, *, kind: str = "Root", region: str = "us-east-1", **extra: Any
) -> dict[str, Any]:
    identity: dict[str, Any] = {"type": kind, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
    if kind == "IAMUser":
        identity.update(userName="root", arn=f"arn:aws:iam::{account}:user/root")
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": region,
        "eventID": event_id,
        "recipientAccountId": account,
        **extra,
    }


@dataclass
class World:
    mgmt: str
    prod: str
    sandbox: str
    org_id: str
    trail_arn: str
    prod_trail_arn: str
    scp_id: str
    ou_id: str


def _member(account: str) -> boto3.Session:
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def build_world() -> World:
    orgs = boto3.client("organizations", region_name="us-east-1")
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    mgmt = org["MasterAccountId"]
    prod = orgs.create_account(AccountName="acme-prod", Email="prod@example.com")["CreateAccountStatus"]["AccountId"]
    sandbox = orgs.create_account(AccountName="acme-sandbox", Email="sb@example.com")["CreateAccountStatus"][
        "AccountId"
    ]
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root_id, Name="workloads")["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=prod, SourceParentId=root_id, DestinationParentId=ou)
    orgs.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    scp = orgs.create_policy(
        Name="deny-root",
        Type="SERVICE_CONTROL_POLICY",
        Description="",
        Content=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
                    }
                ],
            }
        ),
    )
    scp_id = scp["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp_id, TargetId=ou)
    moto_gaps.set_org_features(org["Id"], ["RootCredentialsManagement", "RootSessions"])

    # management: a multi-region trail to CloudWatch Logs, the CIS root-usage filter, alarm, topic
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="trail-bucket")
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="CloudTrail/org")
    logs.put_metric_filter(
        logGroupName="CloudTrail/org",
        filterName="root-usage",
        filterPattern='{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType != "AwsServiceEvent" }',
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1"}],
    )
    group_arn = f"arn:aws:logs:us-east-1:{mgmt}:log-group:CloudTrail/org:*"
    ct = boto3.client("cloudtrail", region_name="us-east-1")
    trail = ct.create_trail(
        Name="org-trail",
        S3BucketName="trail-bucket",
        IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{mgmt}:role/ct",
    )
    ct.start_logging(Name="org-trail")
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_alarm(
        AlarmName="root-usage",
        MetricName="RootUsage",
        Namespace="CIS",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )
    events = boto3.client("events", region_name="us-east-1")
    events.put_rule(
        Name="root-signin",
        EventPattern=json.dumps(
            {"detail-type": ["AWS Console Sign In via CloudTrail"], "detail": {"userIdentity": {"type": ["Root"]}}}
        ),
    )
    events.put_targets(Rule="root-signin", Targets=[{"Id": "sns", "Arn": topic}])

    # prod: a single-region trail in eu-west-1, no password policy set
    member = _member(prod)
    member.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="prod-trail", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    prod_trail = member.client("cloudtrail", region_name="eu-west-1").create_trail(
        Name="prod-trail", S3BucketName="prod-trail"
    )
    boto3.client("iam", region_name="us-east-1").update_account_password_policy(MinimumPasswordLength=14)
    boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")

    moto_gaps.set_root(
        mgmt,
        created=datetime(2019, 2, 11, tzinfo=UTC),
        password_last_used=START + timedelta(days=3),
        key1={
            "active": True,
            "last_rotated": datetime(2023, 5, 14, tzinfo=UTC),
            "last_used": START + timedelta(days=18),
            "last_used_region": "us-east-1",
            "last_used_service": "s3",
        },
    )
    moto_gaps.set_root(prod, created=datetime(2019, 2, 11, tzinfo=UTC), mfa_active=True)
    moto_gaps.refuse_assume_role(f"arn:aws:iam::{sandbox}:role/{ROLE}")

    # 120 root events in us-east-1 (three LookupEvents pages); eu-west-1 repeats ten of them
    # (a multi-region trail's global events), adds an IAM user called "root", one Root event of
    # September (outside the period) and one that carries a session token.
    records = [root_record(mgmt, START + timedelta(hours=5 * i), f"evt-{i:03d}") for i in range(120)]
    moto_gaps.add_cloudtrail_events(mgmt, "us-east-1", records)
    moto_gaps.add_cloudtrail_events(
        mgmt,
        "eu-west-1",
        records[:10]
        + [
            root_record(mgmt, START + timedelta(days=2), "iam-user-root", kind="IAMUser"),
            root_record(mgmt, START - timedelta(days=2), "september"),
            root_record(
                mgmt,
                START + timedelta(days=9),
                "token",
                eventName="GetSessionToken",
                responseElements={
                    "credentials": {
                        "accessKeyId": "ASIAXMPL",
                        "sessionToken": "SECRET-TOKEN-VALUE",
                        "expiration": "Oct 10, 2026, 1:00:00 AM",
                    }
                },
            ),
        ],
    )
    moto_gaps.add_cloudtrail_events(prod, "us-east-1", [root_record(prod, START + timedelta(days=1), "prod-1")])
    return World(mgmt, prod, sandbox, org["Id"], trail["TrailARN"], prod_trail["TrailARN"], scp_id, ou)


def options(out: Path, **kw: Any) -> CollectOptions:
    base: dict[str, Any] = dict(
        out=out,
        period_start=START,
        period_end=END,
        organization=True,
        regions=REGIONS,
        quiet=True,
        lookup_rate=1000.0,
        max_attempts=2,
        max_workers=4,
    )
    base.update(kw)
    return CollectOptions(**base)
