"""Organizations in moto for the end-to-end test, the demo snapshot and the collection benchmark.

A scenario is built through the AWS APIs (boto3 against `mock_aws` in this process, or against a
`ThreadedMotoServer` started here), plus moto_gaps for what moto lacks, plus direct edits of
moto's backend objects for what no API can set (creation and last-use times). moto_gaps patches
and backend edits live in this process, which is the server's: a collector in a subprocess only
talks HTTP to it.

What makes the output reproducible (the demo snapshot is compared byte for byte):
- account ids: moto draws member ids at random; `fixed_ids()` hands out the ones asked for, and
  the caller's default account becomes the management account;
- random ids (root, OUs, policies, IAM user ids, SNS subscription ids): moto's mock_random, seeded;
- times: `MotoClock` replaces `utcnow` in the moto modules whose times reach the snapshot (trail
  status, alarms, metric filters, organization join times, MFA enable dates). STS is left on
  the real clock: botocore refreshes credentials whose Expiration is in its past.

    acme(scenario, clock)        the end-to-end test's three-account organization
    (the demo's twelve accounts are in moto_demo_org.py, built from the blocks here)
    big_organization(scenario, n)  n accounts for the benchmark
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import moto_gaps
from moto.moto_api._internal import mock_random

MGMT, PROD, SANDBOX = "111122223333", "222233334444", "444455556666"
ORG_ID = "o-a1b2c3d4e5"
AUDIT_ROLE = "ReporterAudit"
REGIONS = ("eu-west-1", "us-east-1")
PERIOD_START = datetime(2026, 10, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 1, 6, 0, 0, tzinfo=UTC)
SEED = 20261101

# Moto modules whose `utcnow` reaches the snapshot. Not moto.sts (see the module docstring).
_CLOCKED = (
    "moto.core.utils",
    "moto.iam.models",
    "moto.cloudtrail.models",
    "moto.logs.models",
    "moto.cloudwatch.models",
    "moto.sns.models",
    "moto.events.models",
    "moto.organizations.models",
    "moto.s3.models",
)


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- determinism


class MotoClock:
    """moto's notion of "now" for the modules in _CLOCKED, settable; restore() undoes it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._saved: list[tuple[Any, Any]] = []
        for name in _CLOCKED:
            module = importlib.import_module(name)
            if not hasattr(module, "utcnow"):
                continue  # it calls moto.core.utils' unix_time(), which reads the patched utcnow
            self._saved.append((module, module.utcnow))
            module.utcnow = self._utcnow  # type: ignore[attr-defined]

    def _utcnow(self) -> datetime:
        return self.now.astimezone(UTC).replace(tzinfo=None)  # moto's utcnow is naive UTC

    def restore(self) -> None:
        for module, original in self._saved:
            module.utcnow = original
        self._saved.clear()


@contextlib.contextmanager
def fixed_ids(management: str, organization_id: str | None = None) -> Iterator[None]:
    """Callers without an assumed role are `management`; CreateOrganization makes `organization_id`."""
    import moto.iam.models as iam_models
    import moto.organizations.utils as org_utils

    saved = (iam_models.DEFAULT_ACCOUNT_ID, org_utils.make_random_org_id)
    iam_models.DEFAULT_ACCOUNT_ID = management  # what moto answers for unknown access keys
    if organization_id:
        org_utils.make_random_org_id = lambda: organization_id  # type: ignore[assignment]
    try:
        yield
    finally:
        iam_models.DEFAULT_ACCOUNT_ID, org_utils.make_random_org_id = saved


@contextlib.contextmanager
def _member_ids(ids: list[str]) -> Iterator[None]:
    """CreateAccount hands out `ids` in order (then random ones)."""
    import moto.organizations.utils as org_utils

    queue, original = list(ids), org_utils.make_random_account_id
    org_utils.make_random_account_id = lambda: queue.pop(0) if queue else original()  # type: ignore[assignment]
    try:
        yield
    finally:
        org_utils.make_random_account_id = original  # type: ignore[assignment]


def seed_random(seed: int = SEED) -> None:
    mock_random.seed(seed)


# ---------------------------------------------------------------- building blocks


@dataclass
class Scenario:
    """Clients of any account of the moto world (over HTTP when endpoint_url is set)."""

    endpoint_url: str | None = None
    _sessions: dict[str, boto3.Session] = field(default_factory=dict)

    def session(self, account: str = MGMT) -> boto3.Session:
        if account not in self._sessions:
            base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
            if account == MGMT and not self._sessions:
                self._sessions[account] = base
            else:
                self._sessions[account] = self.assume(account, "OrganizationAccountAccessRole", "setup")
        return self._sessions[account]

    def caller(self) -> boto3.Session:
        return self._sessions.get(MGMT) or self.session(MGMT)

    def client(self, service: str, account: str = MGMT, region: str = "us-east-1") -> Any:
        return self.session(account).client(service, region_name=region, endpoint_url=self.endpoint_url)

    def assume(self, account: str, role: str, session_name: str) -> boto3.Session:
        sts = self.caller().client("sts", region_name="us-east-1", endpoint_url=self.endpoint_url)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName=session_name)[
            "Credentials"
        ]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name="us-east-1",
        )


def iam_backend(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def add_user(
    sc: Scenario,
    account: str,
    name: str,
    created: str,
    *,
    password_used: str | None = None,
    password_changed: str | None = None,
    password: bool = False,
    mfa_enabled: str | None = None,
    keys: tuple[dict[str, Any], ...] = (),
) -> None:
    """An IAM user with the given credential times. key: rotated, used, region, service, active."""
    from moto.iam.models import AccessKeyLastUsed

    iam = sc.client("iam", account)
    iam.create_user(UserName=name)
    user = iam_backend(account).get_user(name)
    user.create_date = at(created).replace(tzinfo=None)
    if password or password_used:
        iam.create_login_profile(UserName=name, Password="Demo-password-1!")
        user.password_last_used = at(password_used).replace(tzinfo=None) if password_used else None
        if password_changed:
            moto_gaps.set_password_last_changed(account, name, at(password_changed))
    if mfa_enabled:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
        iam_backend(account).virtual_mfa_devices[serial].enable_date = at(mfa_enabled).replace(tzinfo=None)
    for spec in keys:
        key_id = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        if not spec.get("active", True):
            iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
        key = next(k for k in user.access_keys if k.access_key_id == key_id)
        key.create_date = at(spec["rotated"]).replace(tzinfo=None)
        if spec.get("used"):
            key.last_used = AccessKeyLastUsed(at(spec["used"]).replace(tzinfo=None), spec["service"], spec["region"])


def add_trail(
    sc: Scenario,
    account: str,
    name: str,
    *,
    region: str = "us-east-1",
    started: datetime,
    multi_region: bool = True,
    organization: bool = False,
    log_group: str | None = None,
) -> str:
    """A trail logging since `started` (to S3, and to CloudWatch Logs when log_group is given)."""
    from moto.cloudtrail.models import cloudtrail_backends

    bucket = f"{name}-{account}"
    s3 = sc.client("s3", account, region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    extra: dict[str, Any] = {}
    if log_group:
        sc.client("logs", account, region).create_log_group(logGroupName=log_group)
        extra = {
            "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{region}:{account}:log-group:{log_group}:*",
            "CloudWatchLogsRoleArn": f"arn:aws:iam::{account}:role/CloudTrailToCloudWatchLogs",
        }
    ct = sc.client("cloudtrail", account, region)
    arn = ct.create_trail(
        Name=name, S3BucketName=bucket, IsMultiRegionTrail=multi_region, IsOrganizationTrail=organization, **extra
    )["TrailARN"]
    ct.start_logging(Name=name)
    cloudtrail_backends[account][region].trails[name].status.started = started.replace(tzinfo=None)
    return str(arn)


def strong_password_policy(sc: Scenario, account: str) -> None:
    """16 characters of every class, 24 remembered: passes iam_password_policy_strong."""
    sc.client("iam", account).update_account_password_policy(
        MinimumPasswordLength=16,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        PasswordReusePrevention=24,
    )


# The CIS AWS Foundations 3.x/4.x "root account usage" metric filter.
CIS_ROOT_FILTER = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
)


def add_root_alarm(
    sc: Scenario, account: str, log_group: str, *, region: str = "us-east-1", email: str | None = "secops@example.com"
) -> str:
    """CIS metric filter on `log_group` -> alarm -> SNS topic with a confirmed email subscriber
    (none when `email` is None: an alarm that reaches nobody)."""
    sc.client("logs", account, region).put_metric_filter(
        logGroupName=log_group,
        filterName="root-account-usage",
        filterPattern=CIS_ROOT_FILTER,
        metricTransformations=[
            {"metricName": "RootAccountUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}
        ],
    )
    sns = sc.client("sns", account, region)
    topic = str(sns.create_topic(Name="security-alerts")["TopicArn"])
    if email is not None:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=email)  # moto confirms at once
    sc.client("cloudwatch", account, region).put_metric_alarm(
        AlarmName="root-account-usage",
        MetricName="RootAccountUsage",
        Namespace="CISBenchmark",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
        TreatMissingData="notBreaching",
    )
    return topic


ROOT_ACTIVITY_PATTERN = {
    "detail-type": ["AWS Console Sign In via CloudTrail", "AWS API Call via CloudTrail"],
    "detail": {"userIdentity": {"type": ["Root"]}},
}


def add_root_rule(sc: Scenario, account: str, *, region: str = "us-east-1") -> None:
    """An EventBridge rule on root sign-ins and API calls, routed to an SNS topic."""
    topic = sc.client("sns", account, region).create_topic(Name="root-activity")["TopicArn"]
    events = sc.client("events", account, region)
    events.put_rule(
        Name="root-activity",
        EventPattern=json.dumps(ROOT_ACTIVITY_PATTERN),
        State="ENABLED",
        Description="Root sign-in or API call",
    )
    events.put_targets(Rule="root-activity", Targets=[{"Id": "security-topic", "Arn": topic}])


DENY_ROOT_SCP = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyRootUser",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}},
        }
    ],
}


@dataclass
class Organization:
    id: str
    root_id: str
    ou_id: str
    scp_id: str
    accounts: dict[str, str]  # name -> id


def organization(
    sc: Scenario,
    members: list[tuple[str, str]],
    ou_members: list[str],
    member_ids: list[str] | None = None,
    management_name: str | None = None,
) -> Organization:
    """An organization of the caller with `members` (name, email), given `member_ids` if any;
    `ou_members` (names) go into the OU "workloads", which carries an SCP denying root."""
    orgs = sc.client("organizations")
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    if management_name:
        # moto names the management account "master" and offers no call to rename it.
        from moto.organizations.models import organizations_backends

        for account in organizations_backends[org["MasterAccountId"]]["aws"].accounts:
            if account.id == org["MasterAccountId"]:
                account.name = management_name
    accounts = {}
    with _member_ids(member_ids or []):
        for name, email in members:
            accounts[name] = orgs.create_account(AccountName=name, Email=email)["CreateAccountStatus"]["AccountId"]
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root_id, Name="workloads")["OrganizationalUnit"]["Id"]
    for name in ou_members:
        orgs.move_account(AccountId=accounts[name], SourceParentId=root_id, DestinationParentId=ou)
    orgs.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    scp = orgs.create_policy(
        Name="deny-root-user",
        Type="SERVICE_CONTROL_POLICY",
        Description="Members' root users may do nothing",
        Content=json.dumps(DENY_ROOT_SCP),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp, TargetId=ou)
    return Organization(org["Id"], root_id, ou, scp, accounts)


# ---------------------------------------------------------------- the acme organization (e2e test)


def _key(
    rotated: str, used: str | None = None, region: str = "N/A", service: str = "N/A", active: bool = True
) -> dict[str, Any]:
    return {"rotated": rotated, "used": used, "region": region, "service": service, "active": active}


def _root_identity(
    account: str, key: str | None, mfa: bool | None = None, invoked_by: str | None = None
) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }
    if key:
        identity["accessKeyId"] = key
    if mfa is not None:
        identity["sessionContext"] = {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-10-04T09:15:22Z", "mfaAuthenticated": "true" if mfa else "false"},
        }
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"


def sign_in(
    account: str, when: str, event_id: str, ip: str, *, mfa: str, ok: bool = True, agent: str = FIREFOX
) -> dict[str, Any]:
    record = {
        "eventVersion": "1.09",
        "userIdentity": _root_identity(account, None),
        "eventTime": when,
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success" if ok else "Failure"},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": mfa,
        },
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if not ok:
        record["errorMessage"] = "Failed authentication"
    return record


def api_call(
    account: str,
    when: str,
    event_id: str,
    source: str,
    name: str,
    region: str,
    ip: str,
    agent: str,
    key: str,
    *,
    mfa: bool | None = None,
    invoked_by: str | None = None,
    event_type: str = "AwsApiCall",
) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": _root_identity(account, key, mfa, invoked_by),
        "eventTime": when,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": None,
        "responseElements": None,
        "requestID": event_id[::-1],
        "eventID": event_id,
        "readOnly": True,
        "eventType": event_type,
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


MGMT_ROOT_EVENTS = [
    sign_in(MGMT, "2026-10-04T09:15:22Z", "6f1d0c3e-3a51-4b7e-9d6b-2f0c8e1a9b01", "203.0.113.24", mfa="No"),
    api_call(
        MGMT,
        "2026-10-04T09:17:03Z",
        "0a7c5d9e-1b2f-4c3d-8e4f-5a6b7c8d9e02",
        "iam.amazonaws.com",
        "GetAccountSummary",
        "us-east-1",
        "203.0.113.24",
        "AWS Internal",
        "ASIAXMPLROOTSESS0001",
        mfa=False,
    ),
    api_call(
        MGMT,
        "2026-10-04T09:18:40Z",
        "1b8d6e0f-2c3a-4d4e-9f5a-6b7c8d9e0f03",
        "billingconsole.amazonaws.com",
        "GetBillingPreferences",
        "us-east-1",
        "203.0.113.24",
        "AWS Internal",
        "ASIAXMPLROOTSESS0001",
        mfa=False,
        event_type="AwsConsoleAction",
    ),
    api_call(
        MGMT,
        "2026-10-12T02:00:07Z",
        "2c9e7f1a-3d4b-4e5f-8a6b-7c8d9e0f1a04",
        "support.amazonaws.com",
        "DescribeTrustedAdvisorChecks",
        "us-east-1",
        "support.amazonaws.com",
        "support.amazonaws.com",
        "ASIAXMPLROOTSVC00002",
        invoked_by="support.amazonaws.com",
    ),
    api_call(
        MGMT,
        "2026-10-19T03:12:55Z",
        "3d0f8a2b-4e5c-4f6a-9b7c-8d9e0f1a2b05",
        "s3.amazonaws.com",
        "ListBuckets",
        "us-east-1",
        "198.51.100.7",
        "aws-cli/2.17.52 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6",
        "AKIAXMPLROOTKEY00001",
    ),
    sign_in(
        MGMT,
        "2026-10-21T13:02:48Z",
        "4e1a9b3c-5f6d-4a7b-8c8d-9e0f1a2b3c06",
        "192.0.2.66",
        mfa="No",
        ok=False,
        agent="python-requests/2.32.3",
    ),
    sign_in(MGMT, "2026-10-27T22:41:09Z", "5f2b0c4d-6a7e-4b8c-9d9e-0f1a2b3c4d07", "203.0.113.24", mfa="No"),
    api_call(
        MGMT,
        "2026-10-27T22:44:30Z",
        "6a3c1d5e-7b8f-4c9d-8e0f-1a2b3c4d5e08",
        "iam.amazonaws.com",
        "ListUsers",
        "us-east-1",
        "203.0.113.24",
        "AWS Internal",
        "ASIAXMPLROOTSESS0003",
        mfa=False,
    ),
]


@dataclass
class Acme:
    org: Organization
    caller: boto3.Session  # assumed-role/ReporterAudit/monthly in the management account
    mgmt_trail: str
    prod_trail: str


def acme(sc: Scenario, clock: MotoClock) -> Acme:
    """The end-to-end test's three accounts (the demo's until it grew to tests/moto_demo_org.py):
    a management account that fails most checks, a clean prod in the OU "workloads" under the
    root-deny SCP, and a sandbox outside it without trail, alerting or password policy. The test
    injects its own failures. Call inside fixed_ids(MGMT, ORG_ID) with mock_random seeded.
    """
    clock.now = at("2024-03-01T09:00:00Z")  # when acme set the organization up
    org = organization(
        sc,
        [("acme-prod", "aws-prod@acme.example"), ("acme-sandbox", "aws-sandbox@acme.example")],
        ou_members=["acme-prod"],
        member_ids=[PROD, SANDBOX],
        management_name="acme-management",
    )
    moto_gaps.set_org_features(org.id, [])  # centralized root access not enabled
    sc.client("iam").create_role(
        RoleName=AUDIT_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}}
                ],
            }
        ),
    )

    # management: an organization trail to CloudWatch Logs with the CIS root-usage alarm
    mgmt_trail = add_trail(
        sc,
        MGMT,
        "acme-org-trail",
        started=at("2024-03-01T09:30:00Z"),
        organization=True,
        log_group="aws-cloudtrail-logs-acme-org",
    )
    add_root_alarm(sc, MGMT, "aws-cloudtrail-logs-acme-org")
    sc.client("iam").update_account_password_policy(
        MinimumPasswordLength=8,
        RequireSymbols=False,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
    )
    moto_gaps.set_root(
        MGMT,
        created=at("2019-02-11T10:04:51Z"),
        password_last_used=at("2026-10-27T22:41:09Z"),
        key1={
            "active": True,
            "last_rotated": at("2023-05-14T12:00:03Z"),
            "last_used": at("2026-10-19T03:12:55Z"),
            "last_used_region": "us-east-1",
            "last_used_service": "s3",
        },
    )
    # alice: console with MFA, one fresh key in use -> passes everything
    add_user(
        sc,
        MGMT,
        "alice",
        "2021-06-01T09:00:00Z",
        password_used="2026-10-30T07:55:12Z",
        password_changed="2026-06-01T09:00:00Z",
        mfa_enabled="2021-06-01T09:12:44Z",
        keys=(_key("2026-09-10T11:20:00Z", "2026-10-31T18:02:00Z", "eu-west-1", "ec2"),),
    )
    # bob: console password without MFA
    add_user(
        sc,
        MGMT,
        "bob",
        "2022-01-17T14:22:05Z",
        password_used="2026-10-29T16:40:31Z",
        password_changed="2026-02-17T14:22:05Z",
    )
    # carol: programmatic only, key 182 days old
    add_user(
        sc,
        MGMT,
        "carol",
        "2023-03-08T08:15:00Z",
        keys=(_key("2026-05-02T10:11:12Z", "2026-10-31T23:10:00Z", "us-east-1", "sts"),),
    )
    # dave: two active keys (an unfinished rotation)
    add_user(
        sc,
        MGMT,
        "dave",
        "2023-09-12T12:00:00Z",
        keys=(
            _key("2026-09-01T09:00:00Z", "2026-10-30T12:45:00Z", "eu-west-1", "s3"),
            _key("2026-10-15T09:00:00Z", "2026-10-31T08:05:00Z", "eu-west-1", "s3"),
        ),
    )
    # erin: console with MFA, not signed in for 73 days
    add_user(
        sc,
        MGMT,
        "erin",
        "2024-04-02T10:00:00Z",
        password_used="2026-08-20T09:14:00Z",
        password_changed="2026-04-02T10:00:00Z",
        mfa_enabled="2024-04-02T10:20:03Z",
    )
    # ci-deploy: key created 103 days before as_of, never used
    add_user(sc, MGMT, "ci-deploy", "2026-07-20T15:30:00Z", keys=(_key("2026-07-20T15:31:00Z"),))
    # frank: left the company, everything disabled
    add_user(
        sc,
        MGMT,
        "frank",
        "2020-11-03T10:00:00Z",
        keys=(_key("2021-01-04T10:00:00Z", "2024-02-01T10:00:00Z", "us-east-1", "s3", active=False),),
    )
    moto_gaps.add_cloudtrail_events(MGMT, "us-east-1", MGMT_ROOT_EVENTS)

    # prod: clean; root behind hardware MFA, people through SSO; its own multi-region trail, and
    # root activity routed by EventBridge (no CloudWatch Logs group); in the OU with the SCP
    prod_trail = add_trail(sc, PROD, "prod-trail", started=at("2025-01-15T08:00:00Z"))
    for region in REGIONS:  # API calls reach EventBridge in the region they are made in
        add_root_rule(sc, PROD, region=region)
    strong_password_policy(sc, PROD)
    moto_gaps.set_root(
        PROD, created=at("2019-02-11T10:30:12Z"), password_last_used=at("2025-12-03T10:02:44Z"), mfa_active=True
    )

    # sandbox: outside the OU, no trail, no alerting, no password policy; two IAM users
    add_user(sc, SANDBOX, "experiments", "2025-03-03T12:00:00Z", password_used="2026-10-02T10:00:00Z")
    add_user(
        sc,
        SANDBOX,
        "load-tester",
        "2025-06-10T08:00:00Z",
        keys=(_key("2025-06-10T08:01:00Z", "2026-10-28T17:30:00Z", "eu-west-1", "dynamodb"),),
    )
    moto_gaps.set_root(
        SANDBOX, created=at("2021-09-06T15:20:00Z"), password_last_used=at("2024-11-12T08:00:00Z"), mfa_active=True
    )

    moto_gaps.set_credential_report_time(MGMT, at("2026-11-01T05:58:41Z"))
    moto_gaps.set_credential_report_time(PROD, at("2026-11-01T05:59:02Z"))
    moto_gaps.set_credential_report_time(SANDBOX, at("2026-11-01T05:59:20Z"))
    caller = sc.assume(MGMT, AUDIT_ROLE, "monthly")
    clock.now = at("2026-11-01T05:58:00Z")  # what moto answers as "now" while the collector runs
    return Acme(org, caller, mgmt_trail, prod_trail)


# ---------------------------------------------------------------- many accounts (benchmark)


def big_organization(sc: Scenario, accounts: int, *, root_events: int = 3) -> Organization:
    """The caller's organization with `accounts` - 1 members, half of them in the SCP's OU; every
    account has a trail, and `root_events` root sign-ins in us-east-1."""
    members = [(f"member-{i:03d}", f"member-{i:03d}@bench.example") for i in range(1, accounts)]
    org = organization(sc, members, ou_members=[n for i, (n, _) in enumerate(members) if i % 2 == 0])
    moto_gaps.set_org_features(org.id, ["RootCredentialsManagement", "RootSessions"])
    start = PERIOD_START
    for account in [MGMT, *org.accounts.values()]:
        moto_gaps.set_root(account, created=at("2020-01-01T00:00:00Z"), mfa_active=True)
        moto_gaps.add_cloudtrail_events(
            account,
            "us-east-1",
            [
                sign_in(
                    account,
                    (start + timedelta(hours=4 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    f"{account}-{i:04d}",
                    "203.0.113.9",
                    mfa="Yes",
                )
                for i in range(root_events)
            ],
        )
    return org


# ---------------------------------------------------------------- a moto server in this process


def fake_aws_env() -> None:
    """The process environment of a run against moto: fake keys, no profile or config file of the
    user's, no endpoint override left from an earlier run (the caller sets its own)."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)


@contextlib.contextmanager
def moto_server(*, wrap: Callable[[Any], Any] | None = None) -> Iterator[str]:
    """A ThreadedMotoServer on 127.0.0.1 (free port); yields its URL. `wrap` wraps its WSGI app
    (the benchmark adds latency and records requests that way)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    if wrap is not None:
        _wrap_app(server, wrap)
    server.start()
    try:
        yield f"http://127.0.0.1:{server._port}"
    finally:
        server.stop()


def _wrap_app(server: Any, wrap: Callable[[Any], Any]) -> None:
    # ThreadedMotoServer builds its WSGI app in _server_entry; this one serves wrap(app) instead.
    from moto.moto_server.threaded_moto_server import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    def entry() -> None:
        app = wrap(DomainDispatcherApplication(create_backend_app))
        server._server = make_server(server._ip_address, server._port, app, True, request_handler=MotoRequestHandler)
        server._server_ready_event.set()
        server._server.serve_forever()

    server._server_entry = entry
