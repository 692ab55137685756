"""The demo's organization in moto: twelve accounts, mostly compliant, a few realistic failures.

tools/build_demo_snapshot.py runs the real collector against it and tells, account by account,
what the pack shows. The building blocks (users, trails, alarms, rules, the root-deny SCP, fixed
ids and the clock) are moto_scenario's; this module only lays out the organization.
Call inside moto_scenario.fixed_ids(MGMT, ORG_ID) with mock_random seeded, like `acme`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import moto_gaps
import moto_scenario as ms

MGMT, PROD, SANDBOX = ms.MGMT, ms.PROD, ms.SANDBOX  # the ids many tests know, in the same roles
LOG_ARCHIVE, SECURITY = "333344445555", "555566667777"
NETWORK, SHARED = "666677778888", "777788889999"
PAYMENTS, DATA = "888899990000", "101020203030"
STAGING, DEV = "999900001111", "121234345656"
SANDBOX_ML = "131314141515"

# (OU path, account id, name, when it joined); the management account sits at the root.
ACCOUNTS = (
    ("Security", LOG_ARCHIVE, "acme-log-archive", "2024-03-01T10:00:00Z"),
    ("Security", SECURITY, "acme-security-tooling", "2024-03-01T10:05:00Z"),
    ("Infrastructure", NETWORK, "acme-network", "2024-03-04T09:00:00Z"),
    ("Infrastructure", SHARED, "acme-shared-services", "2024-03-04T09:10:00Z"),
    ("Workloads/Prod", PROD, "acme-prod", "2024-03-11T08:00:00Z"),
    ("Workloads/Prod", PAYMENTS, "acme-payments-prod", "2025-02-03T08:00:00Z"),
    ("Workloads/Prod", DATA, "acme-data-prod", "2026-04-20T08:00:00Z"),
    ("Workloads/Non-prod", STAGING, "acme-staging", "2026-04-20T08:30:00Z"),
    ("Workloads/Non-prod", DEV, "acme-dev", "2024-03-11T08:30:00Z"),
    ("Sandbox", SANDBOX, "acme-sandbox", "2024-06-03T12:00:00Z"),
    ("Sandbox", SANDBOX_ML, "acme-sandbox-ml", "2024-09-16T12:00:00Z"),
)
# Where the root-deny SCP is attached: every top-level OU, so Prod and Non-prod inherit it.
SCP_TARGETS = ("Security", "Infrastructure", "Workloads", "Sandbox")
# Accounts created after centralized root access was enabled: their root has no credentials.
ROOTLESS = (DATA, STAGING)
# Routes root activity to a person with the CIS metric filter and alarm (the others: EventBridge).
METRIC_ALARM = (SECURITY, NETWORK)

# The break-glass session: the management account's root signs in with MFA to delete a bucket
# policy that denied every principal (a task only root can do), under change ticket CHG-2291.
BREAK_GLASS_SIGN_IN = "7c4e2a91-5d3b-4f08-a6e2-9b1d0c3f4a10"
BREAK_GLASS_CALL = "8d5f3ba2-6e4c-4a19-b7f3-0c2e1d4a5b21"
BREAK_GLASS_AT = "2026-10-14T14:02:37Z"


def _break_glass_events() -> list[dict[str, Any]]:
    sign_in = ms.sign_in(MGMT, BREAK_GLASS_AT, BREAK_GLASS_SIGN_IN, "198.51.100.20", mfa="Yes")
    call = ms.api_call(
        MGMT,
        "2026-10-14T14:06:12Z",
        BREAK_GLASS_CALL,
        "s3.amazonaws.com",
        "DeleteBucketPolicy",
        "eu-west-1",
        "198.51.100.20",
        "AWS Internal",
        "ASIAXMPLROOTSESS0014",
        mfa=True,
    )
    call["userIdentity"]["sessionContext"]["attributes"]["creationDate"] = BREAK_GLASS_AT
    call["readOnly"] = False
    call["requestParameters"] = {"bucketName": "acme-finance-exports", "policy": ""}
    return [sign_in, call]


@dataclass
class DemoOrg:
    organization_id: str
    ous: dict[str, str]  # OU path -> id
    scp_id: str
    accounts: dict[str, str]  # name -> id
    caller: boto3.Session  # assumed-role/ReporterAudit/monthly in the management account


def _organization(sc: ms.Scenario, clock: ms.MotoClock) -> tuple[str, dict[str, str], str, dict[str, str]]:
    orgs = sc.client("organizations")
    clock.now = ms.at("2024-03-01T09:00:00Z")
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    from moto.organizations.models import organizations_backends

    for account in organizations_backends[MGMT]["aws"].accounts:  # moto names it "master"
        if account.id == MGMT:
            account.name = "acme-management"
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    ous: dict[str, str] = {}
    for path in ("Security", "Infrastructure", "Workloads", "Workloads/Prod", "Workloads/Non-prod", "Sandbox"):
        parent, _, name = path.rpartition("/")
        ou = orgs.create_organizational_unit(ParentId=ous[parent] if parent else root_id, Name=name)
        ous[path] = ou["OrganizationalUnit"]["Id"]
    accounts: dict[str, str] = {}
    with ms._member_ids([account_id for _, account_id, _, _ in ACCOUNTS]):
        for path, _, name, joined in ACCOUNTS:
            clock.now = ms.at(joined)
            email = f"aws-{name.removeprefix('acme-')}@acme.example"
            accounts[name] = orgs.create_account(AccountName=name, Email=email)["CreateAccountStatus"]["AccountId"]
            orgs.move_account(AccountId=accounts[name], SourceParentId=root_id, DestinationParentId=ous[path])
    orgs.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    scp = orgs.create_policy(
        Name="deny-root-user",
        Type="SERVICE_CONTROL_POLICY",
        Description="Members' root users may do nothing",
        Content=json.dumps(ms.DENY_ROOT_SCP),
    )["Policy"]["PolicySummary"]["Id"]
    for path in SCP_TARGETS:
        orgs.attach_policy(PolicyId=scp, TargetId=ous[path])
    return org["Id"], ous, scp, accounts


def _audit_role(sc: ms.Scenario) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:root"}}
        ],
    }
    sc.client("iam").create_role(RoleName=ms.AUDIT_ROLE, AssumeRolePolicyDocument=json.dumps(trust))


def _management(sc: ms.Scenario) -> None:
    """The organization trail into CloudWatch Logs with the CIS alarm; root behind hardware MFA,
    used once in the period: the break-glass session."""
    group = "aws-cloudtrail-logs-acme-org"
    ms.add_trail(sc, MGMT, "acme-org-trail", started=ms.at("2024-03-01T09:30:00Z"), organization=True, log_group=group)
    ms.add_root_alarm(sc, MGMT, group)
    moto_gaps.set_root(
        MGMT, created=ms.at("2019-02-11T10:04:51Z"), password_last_used=ms.at(BREAK_GLASS_AT), mfa_active=True
    )
    ms.add_user(
        sc,
        MGMT,
        "platform-admin",
        "2021-06-01T09:00:00Z",
        password_used="2026-10-29T08:12:40Z",
        password_changed="2026-06-01T09:00:00Z",
        mfa_enabled="2021-06-01T09:12:44Z",
    )
    moto_gaps.add_cloudtrail_events(MGMT, "us-east-1", _break_glass_events())


def _member(sc: ms.Scenario, account: str, joined: str) -> None:
    """A StackSet-deployed multi-region trail, root alerting, a strong password policy, and a
    root that has not been used for months (or has no credentials at all)."""
    started = ms.at(joined) + timedelta(hours=2)
    if account in METRIC_ALARM:
        group = f"aws-cloudtrail-logs-{account}"
        ms.add_trail(sc, account, "acme-baseline-trail", started=started, log_group=group)
        # acme-network's alarm notifies a topic whose only subscriber left with its owner.
        ms.add_root_alarm(sc, account, group, email=None if account == NETWORK else "secops@example.com")
    else:
        ms.add_trail(sc, account, "acme-baseline-trail", started=started)
        for region in ms.REGIONS:  # API calls reach EventBridge in the region they are made in
            ms.add_root_rule(sc, account, region=region)
    ms.strong_password_policy(sc, account)
    if account in ROOTLESS:
        moto_gaps.set_root(account, created=ms.at(joined), password_enabled=False)
    elif account == SANDBOX_ML:  # a root access key from the account's first days, never removed
        key = {
            "active": True,
            "last_rotated": ms.at("2024-09-16T12:40:00Z"),
            "last_used": ms.at("2025-04-02T17:21:09Z"),
            "last_used_region": "eu-west-1",
            "last_used_service": "sagemaker",
        }
        moto_gaps.set_root(
            account,
            created=ms.at(joined),
            password_last_used=ms.at("2024-09-16T12:31:00Z"),
            mfa_active=True,
            key1=key,
        )
    else:
        moto_gaps.set_root(
            account, created=ms.at(joined), password_last_used=ms.at("2025-11-18T10:20:00Z"), mfa_active=True
        )


def _people(sc: ms.Scenario) -> None:
    """People sign in through IAM Identity Center; the few IAM users left are machines or
    admins with MFA. acme-shared-services' ci-legacy key was due for rotation in May."""
    ms.add_user(
        sc,
        SHARED,
        "ci-legacy",
        "2023-02-13T10:00:00Z",
        keys=(ms._key("2026-02-11T10:02:00Z", "2026-10-31T21:40:00Z", "eu-west-1", "ecr"),),
    )
    ms.add_user(
        sc,
        SHARED,
        "artifact-sync",
        "2024-05-06T09:00:00Z",
        keys=(ms._key("2026-09-22T09:00:00Z", "2026-10-31T23:55:00Z", "us-east-1", "s3"),),
    )
    ms.add_user(
        sc,
        SECURITY,
        "auditor-readonly",
        "2024-03-05T09:00:00Z",
        password_used="2026-10-28T15:04:00Z",
        password_changed="2026-03-05T09:00:00Z",
        mfa_enabled="2024-03-05T09:05:00Z",
    )
    ms.add_user(
        sc,
        DEV,
        "jane.doe",
        "2025-01-13T09:00:00Z",
        password_used="2026-10-30T09:30:00Z",
        password_changed="2026-07-13T09:00:00Z",
        mfa_enabled="2025-01-13T09:04:00Z",
    )
    ms.add_user(
        sc,
        SANDBOX,
        "experiments",
        "2025-03-03T12:00:00Z",
        keys=(ms._key("2026-09-01T12:00:00Z", "2026-10-28T17:30:00Z", "eu-west-1", "dynamodb"),),
    )


def demo_organization(sc: ms.Scenario, clock: ms.MotoClock) -> DemoOrg:
    """The demo's twelve accounts, October 2026 (tools/build_demo_snapshot.py tells their story)."""
    org_id, ous, scp, accounts = _organization(sc, clock)
    moto_gaps.set_org_features(org_id, ["RootCredentialsManagement", "RootSessions"])
    _audit_role(sc)
    clock.now = ms.at("2024-03-01T09:30:00Z")
    ms.strong_password_policy(sc, MGMT)
    _management(sc)
    for _, account, _, joined in ACCOUNTS:
        clock.now = ms.at(joined)
        _member(sc, account, joined)
    _people(sc)
    # acme-sandbox is partly assessed: its audit role came from an old template without
    # iam:ListVirtualMFADevices, and LookupEvents is throttled in eu-west-1.
    moto_gaps.fail(
        SANDBOX,
        "us-east-1",
        "ListVirtualMFADevices",
        "AccessDenied",
        f"User: arn:aws:sts::{SANDBOX}:assumed-role/{ms.AUDIT_ROLE}/reporter-collect is not authorized to perform: "
        f"iam:ListVirtualMFADevices on resource: arn:aws:iam::{SANDBOX}:mfa/ because no identity-based policy "
        "allows the iam:ListVirtualMFADevices action",
    )
    moto_gaps.throttle(SANDBOX, "eu-west-1")
    for second, account in enumerate([MGMT, *(a for _, a, _, _ in ACCOUNTS)]):
        moto_gaps.set_credential_report_time(account, ms.at("2026-11-01T05:58:10Z") + timedelta(seconds=5 * second))
    caller = sc.assume(MGMT, ms.AUDIT_ROLE, "monthly")
    clock.now = ms.at("2026-11-01T05:58:00Z")  # what moto answers as "now" while the collector runs
    return DemoOrg(org_id, ous, scp, accounts, caller)
