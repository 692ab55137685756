"""Write the bundled demo snapshot (reporter/demo_snapshot/) from the scenario below.

A three-account organization for October 2026 that exercises every status:
- 111122223333 acme-management: root signed in twice without MFA, root has an active access key
  that was used, IAM users covering each credential-hygiene case, a weak password policy;
- 222233334444 acme-prod: clean, root behind hardware MFA, people sign in through SSO only;
- 444455556666 acme-sandbox: GetCredentialReport was refused (AccessDenied) and LookupEvents was
  throttled in eu-west-1, so its checks are NOT_ASSESSED; it has no password policy.

Run: python tools/build_demo_snapshot.py [OUT]   (default: reporter/demo_snapshot, replaced)
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from reporter.evidence.credential_report import COLUMNS
from reporter.snapshot.writer import SnapshotWriter

PERIOD_START = datetime(2026, 10, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 1, 6, 0, 0, tzinfo=UTC)
REGIONS = ["eu-west-1", "us-east-1"]
MGMT, PROD, SANDBOX = "111122223333", "222233334444", "444455556666"
ORG = "o-a1b2c3d4e5"

# AWS writes the columns in this order; the parser's list is the one source of it.
HEADER = ",".join(COLUMNS)
NO_KEY = ["false", "N/A", "N/A", "N/A", "N/A"]
NO_CERTS = ["false", "N/A", "false", "N/A"]


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


def row(user: str, account: str, created: str, password: list[str], mfa: str,
        key1: list[str] = NO_KEY, key2: list[str] = NO_KEY) -> str:
    arn = f"arn:aws:iam::{account}:root" if user == "<root_account>" else f"arn:aws:iam::{account}:user/{user}"
    return ",".join([user, arn, created, *password, mfa, *key1, *key2, *NO_CERTS])


NO_PASSWORD = ["false", "N/A", "N/A", "N/A"]

MGMT_REPORT = [
    row("<root_account>", MGMT, "2019-02-11T10:04:51Z",
        ["true", "2026-10-27T22:41:09Z", "2024-03-02T08:30:00Z", "not_supported"], "false",
        key1=["true", "2023-05-14T12:00:03Z", "2026-10-19T03:12:55Z", "us-east-1", "s3"]),
    # alice: console with MFA, one fresh key in use -> passes everything
    row("alice", MGMT, "2021-06-01T09:00:00Z",
        ["true", "2026-10-30T07:55:12Z", "2026-06-01T09:00:00Z", "N/A"], "true",
        key1=["true", "2026-09-10T11:20:00Z", "2026-10-31T18:02:00Z", "eu-west-1", "ec2"]),
    # bob: console password without MFA
    row("bob", MGMT, "2022-01-17T14:22:05Z",
        ["true", "2026-10-29T16:40:31Z", "2026-02-17T14:22:05Z", "N/A"], "false"),
    # carol: programmatic only, key 182 days old
    row("carol", MGMT, "2023-03-08T08:15:00Z", NO_PASSWORD, "false",
        key1=["true", "2026-05-02T10:11:12Z", "2026-10-31T23:10:00Z", "us-east-1", "sts"]),
    # dave: two active keys (an unfinished rotation)
    row("dave", MGMT, "2023-09-12T12:00:00Z", NO_PASSWORD, "false",
        key1=["true", "2026-09-01T09:00:00Z", "2026-10-30T12:45:00Z", "eu-west-1", "s3"],
        key2=["true", "2026-10-15T09:00:00Z", "2026-10-31T08:05:00Z", "eu-west-1", "s3"]),
    # erin: console with MFA, not signed in for 73 days
    row("erin", MGMT, "2024-04-02T10:00:00Z",
        ["true", "2026-08-20T09:14:00Z", "2026-04-02T10:00:00Z", "N/A"], "true"),
    # ci-deploy: key created 103 days before as_of, never used
    row("ci-deploy", MGMT, "2026-07-20T15:30:00Z", NO_PASSWORD, "false",
        key1=["true", "2026-07-20T15:31:00Z", "N/A", "N/A", "N/A"]),
    # frank: left the company, everything disabled
    row("frank", MGMT, "2020-11-03T10:00:00Z", NO_PASSWORD, "false",
        key1=["false", "2021-01-04T10:00:00Z", "2024-02-01T10:00:00Z", "us-east-1", "s3"]),
]
PROD_REPORT = [
    row("<root_account>", PROD, "2019-02-11T10:30:12Z",
        ["true", "2025-12-03T10:02:44Z", "2025-12-03T09:58:01Z", "not_supported"], "true"),
]


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def root_identity(account: str, key: str | None, mfa: bool | None = None, invoked_by: str | None = None) -> dict[str, Any]:
    identity: dict[str, Any] = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root",
                                "accountId": account}
    if key:
        identity["accessKeyId"] = key
    if mfa is not None:
        identity["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                                      "attributes": {"creationDate": "2026-10-04T09:15:22Z",
                                                     "mfaAuthenticated": "true" if mfa else "false"}}
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"


def sign_in(account: str, when: str, event_id: str, ip: str, *, mfa: str, ok: bool = True,
            agent: str = FIREFOX) -> dict[str, Any]:
    record = {
        "eventVersion": "1.09", "userIdentity": root_identity(account, None), "eventTime": when,
        "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-1",
        "sourceIPAddress": ip, "userAgent": agent, "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success" if ok else "Failure"},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home",
                                "MobileVersion": "No", "MFAUsed": mfa},
        "eventID": event_id, "readOnly": False, "eventType": "AwsConsoleSignIn",
        "managementEvent": True, "recipientAccountId": account, "eventCategory": "Management",
    }
    if not ok:
        record["errorMessage"] = "Failed authentication"
    return record


def api_call(account: str, when: str, event_id: str, source: str, name: str, region: str, ip: str,
             agent: str, key: str, *, mfa: bool | None = None, invoked_by: str | None = None,
             event_type: str = "AwsApiCall") -> dict[str, Any]:
    return {
        "eventVersion": "1.09", "userIdentity": root_identity(account, key, mfa, invoked_by),
        "eventTime": when, "eventSource": source, "eventName": name, "awsRegion": region,
        "sourceIPAddress": ip, "userAgent": agent, "requestParameters": None, "responseElements": None,
        "requestID": event_id[::-1], "eventID": event_id, "readOnly": True, "eventType": event_type,
        "managementEvent": True, "recipientAccountId": account, "eventCategory": "Management",
    }


MGMT_EVENTS = [
    sign_in(MGMT, "2026-10-04T09:15:22Z", "6f1d0c3e-3a51-4b7e-9d6b-2f0c8e1a9b01", "203.0.113.24", mfa="No"),
    api_call(MGMT, "2026-10-04T09:17:03Z", "0a7c5d9e-1b2f-4c3d-8e4f-5a6b7c8d9e02", "iam.amazonaws.com",
             "GetAccountSummary", "us-east-1", "203.0.113.24", "AWS Internal", "ASIAXMPLROOTSESS0001", mfa=False),
    api_call(MGMT, "2026-10-04T09:18:40Z", "1b8d6e0f-2c3a-4d4e-9f5a-6b7c8d9e0f03", "billingconsole.amazonaws.com",
             "GetBillingPreferences", "us-east-1", "203.0.113.24", "AWS Internal", "ASIAXMPLROOTSESS0001",
             mfa=False, event_type="AwsConsoleAction"),
    api_call(MGMT, "2026-10-12T02:00:07Z", "2c9e7f1a-3d4b-4e5f-8a6b-7c8d9e0f1a04", "support.amazonaws.com",
             "DescribeTrustedAdvisorChecks", "us-east-1", "support.amazonaws.com", "support.amazonaws.com",
             "ASIAXMPLROOTSVC00002", invoked_by="support.amazonaws.com"),
    api_call(MGMT, "2026-10-19T03:12:55Z", "3d0f8a2b-4e5c-4f6a-9b7c-8d9e0f1a2b05", "s3.amazonaws.com",
             "ListBuckets", "us-east-1", "198.51.100.7",
             "aws-cli/2.17.52 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6",
             "AKIAXMPLROOTKEY00001"),
    sign_in(MGMT, "2026-10-21T13:02:48Z", "4e1a9b3c-5f6d-4a7b-8c8d-9e0f1a2b3c06", "192.0.2.66",
            mfa="No", ok=False, agent="python-requests/2.32.3"),
    sign_in(MGMT, "2026-10-27T22:41:09Z", "5f2b0c4d-6a7e-4b8c-9d9e-0f1a2b3c4d07", "203.0.113.24", mfa="No"),
    api_call(MGMT, "2026-10-27T22:44:30Z", "6a3c1d5e-7b8f-4c9d-8e0f-1a2b3c4d5e08", "iam.amazonaws.com",
             "ListUsers", "us-east-1", "203.0.113.24", "AWS Internal", "ASIAXMPLROOTSESS0003", mfa=False),
]


def lookup_params(regions: list[str]) -> dict[str, Any]:
    return {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "root"}],
            "StartTime": "2026-10-01T00:00:00Z", "EndTime": "2026-11-01T00:00:00Z", "regions": regions}


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def summary(mfa: int, keys: int, users: int) -> dict[str, Any]:
    return {"SummaryMap": {"AccountMFAEnabled": mfa, "AccountAccessKeysPresent": keys,
                           "AccountSigningCertificatesPresent": 0, "Users": users, "Groups": 2,
                           "Roles": 14, "Policies": 6, "MFADevices": mfa + 1, "MFADevicesInUse": mfa + 1}}


def build(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    writer = SnapshotWriter(out, tool_version="demo", period_start=PERIOD_START, period_end=PERIOD_END,
                            as_of=AS_OF, caller_arn=f"arn:aws:sts::{MGMT}:assumed-role/ReporterAudit/monthly",
                            organization_id=ORG)
    for account, name in ((MGMT, "acme-management"), (PROD, "acme-prod"), (SANDBOX, "acme-sandbox")):
        writer.add_account(account, name=name, regions=REGIONS, is_management=account == MGMT)
    iam = dict(region="us-east-1")

    def t(seconds: int) -> datetime:
        return at(f"2026-11-01T06:00:{seconds:02d}Z")

    base = "accounts/{}/"
    # management
    writer.add_bytes(base.format(MGMT) + "iam/credential_report.csv", csv_bytes(MGMT_REPORT),
                     api="iam:GetCredentialReport", account=MGMT, collected_at=t(12),
                     params={"GeneratedTime": "2026-11-01T05:58:41Z"}, **iam)
    writer.add_json(base.format(MGMT) + "iam/account_summary.json", summary(0, 1, 7),
                    api="iam:GetAccountSummary", account=MGMT, collected_at=t(13), **iam)
    writer.add_json(base.format(MGMT) + "iam/virtual_mfa_devices.json", {"VirtualMFADevices": [
        {"SerialNumber": f"arn:aws:iam::{MGMT}:mfa/alice",
         "User": {"UserName": "alice", "UserId": "AIDAXMPLALICE0000001", "Arn": f"arn:aws:iam::{MGMT}:user/alice",
                  "CreateDate": "2021-06-01T09:00:00Z"}, "EnableDate": "2021-06-01T09:12:44Z"},
        {"SerialNumber": f"arn:aws:iam::{MGMT}:mfa/erin",
         "User": {"UserName": "erin", "UserId": "AIDAXMPLERIN00000001", "Arn": f"arn:aws:iam::{MGMT}:user/erin",
                  "CreateDate": "2024-04-02T10:00:00Z"}, "EnableDate": "2024-04-02T10:20:03Z"}]},
        api="iam:ListVirtualMFADevices", account=MGMT, collected_at=t(14), **iam)
    writer.add_json(base.format(MGMT) + "iam/password_policy.json", {"PasswordPolicy": {
        "MinimumPasswordLength": 8, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True, "ExpirePasswords": False}},
        api="iam:GetAccountPasswordPolicy", account=MGMT, collected_at=t(15), **iam)
    writer.add_bytes(base.format(MGMT) + "cloudtrail/root_events.jsonl", jsonl(MGMT_EVENTS),
                     api="cloudtrail:LookupEvents", account=MGMT, collected_at=t(21), params=lookup_params(REGIONS))
    # prod
    writer.add_bytes(base.format(PROD) + "iam/credential_report.csv", csv_bytes(PROD_REPORT),
                     api="iam:GetCredentialReport", account=PROD, collected_at=t(30),
                     params={"GeneratedTime": "2026-11-01T05:59:02Z"}, **iam)
    writer.add_json(base.format(PROD) + "iam/account_summary.json", summary(1, 0, 0),
                    api="iam:GetAccountSummary", account=PROD, collected_at=t(31), **iam)
    writer.add_json(base.format(PROD) + "iam/virtual_mfa_devices.json", {"VirtualMFADevices": []},
                    api="iam:ListVirtualMFADevices", account=PROD, collected_at=t(32), **iam)
    writer.add_json(base.format(PROD) + "iam/password_policy.json", {"PasswordPolicy": {
        "MinimumPasswordLength": 16, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True, "ExpirePasswords": False, "PasswordReusePrevention": 24}},
        api="iam:GetAccountPasswordPolicy", account=PROD, collected_at=t(33), **iam)
    writer.add_bytes(base.format(PROD) + "cloudtrail/root_events.jsonl", b"",
                     api="cloudtrail:LookupEvents", account=PROD, collected_at=t(38), params=lookup_params(REGIONS))
    # sandbox
    writer.add_error(api="iam:GetCredentialReport", account=SANDBOX, collected_at=t(45),
                     code="AccessDenied",
                     message=f"User: arn:aws:sts::{SANDBOX}:assumed-role/ReporterAudit/monthly is not authorized "
                             "to perform: iam:GenerateCredentialReport on resource: *", **iam)
    writer.add_json(base.format(SANDBOX) + "iam/account_summary.json", summary(1, 0, 2),
                    api="iam:GetAccountSummary", account=SANDBOX, collected_at=t(46), **iam)
    writer.add_json(base.format(SANDBOX) + "iam/virtual_mfa_devices.json", {"VirtualMFADevices": []},
                    api="iam:ListVirtualMFADevices", account=SANDBOX, collected_at=t(47), **iam)
    writer.add_json(base.format(SANDBOX) + "iam/password_policy.json", {"Error": {
        "Code": "NoSuchEntity", "Message": f"The Password Policy with domain name {SANDBOX} cannot be found."}},
        api="iam:GetAccountPasswordPolicy", account=SANDBOX, collected_at=t(48), **iam)
    writer.add_bytes(base.format(SANDBOX) + "cloudtrail/root_events.jsonl", b"",
                     api="cloudtrail:LookupEvents", account=SANDBOX, collected_at=t(55),
                     params=lookup_params(["us-east-1"]))
    writer.add_error(api="cloudtrail:LookupEvents", account=SANDBOX, region="eu-west-1", collected_at=t(59),
                     code="ThrottlingException", message="Rate exceeded (gave up after 10 attempts)",
                     params=lookup_params(["eu-west-1"]))
    writer.finalize(collected_at=t(59))


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "reporter" / "demo_snapshot")
