"""Deterministic synthetic evidence for the benchmark: one account, many users, many events.

`build_snapshot(out, users=5000, events=100_000, seed=7)` writes a complete snapshot (via the
product's SnapshotWriter, so manifest digests are real) holding:

- iam/credential_report.csv: the root row plus `users` IAM users in a realistic mix (console
  users with and without MFA, programmatic users with fresh, old, unused or two keys, people
  who never signed in (`no_information`, `N/A`), leavers with everything disabled), with both
  timestamp spellings AWS has used (`+00:00` and `Z`) and both boolean spellings;
- cloudtrail/root_events.jsonl: `events` CloudTrail records, one per line, about 1.2 KB each,
  `root_share` of them with `userIdentity.type == "Root"` (console sign-ins with and without
  MFA, console actions on ASIA session keys, API calls on AKIA keys, calls invoked by an AWS
  service, AwsServiceEvent records, failed calls) and the rest IAMUser / AssumedRole /
  AWSService / FederatedUser records, some of which contain the word "Root" elsewhere
  (role names, user agents) as decoys for any byte-level pre-filter;
- iam/account_summary.json, iam/virtual_mfa_devices.json, iam/password_policy.json.

It returns a `SyntheticSnapshot` with the paths and the counts a test can check outputs against.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from reporter.evidence.credential_report import COLUMNS
from reporter.snapshot.writer import SnapshotWriter

ACCOUNT = "123456789012"
PERIOD_START = datetime(2026, 10, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 1, tzinfo=UTC)
AS_OF = datetime(2026, 11, 1, 6, 0, 0, tzinfo=UTC)
REGIONS = ["eu-west-1", "us-east-1"]

# AWS writes the columns in this order; the parser's list is the one source of it.
HEADER = ",".join(COLUMNS)

FIRST = (
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "yara",
)
LAST = ("smith", "jones", "garcia", "muller", "rossi", "tanaka", "kowalski", "dubois", "silva", "olsen")
SERVICES = ("s3", "ec2", "sts", "iam", "lambda", "dynamodb", "sqs", "kms", "logs", "ecr")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
)
CLI_AGENTS = (
    "aws-cli/2.17.52 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0-1015-aws md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off "
    "md/command#s3.ls",
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226-214.879.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.11.10 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 cfg/retry-mode#legacy "
    "Botocore/1.35.36",
    "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.179.2 m/E,g",
    "terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/iam#1.37.2",
)
CONSOLE_AGENT = "AWS Internal"
API_CALLS = (  # (eventSource, eventName, readOnly)
    ("iam.amazonaws.com", "GetAccountSummary", True),
    ("iam.amazonaws.com", "ListUsers", True),
    ("iam.amazonaws.com", "CreateAccessKey", False),
    ("s3.amazonaws.com", "ListBuckets", True),
    ("s3.amazonaws.com", "PutBucketPolicy", False),
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", False),
    ("billingconsole.amazonaws.com", "GetBillingPreferences", True),
    ("organizations.amazonaws.com", "DescribeOrganization", True),
    ("kms.amazonaws.com", "ScheduleKeyDeletion", False),
    ("sts.amazonaws.com", "GetCallerIdentity", True),
)
INVOKERS = (
    "support.amazonaws.com",
    "trustedadvisor.amazonaws.com",
    "config.amazonaws.com",
    "access-analyzer.amazonaws.com",
)


@dataclass
class SyntheticSnapshot:
    root: Path
    credential_report: Path
    root_events: Path
    users: int
    events: int
    root_events_count: int
    # Counts of user kinds, so a test can predict each per-principal check's findings.
    password_users: int = 0
    password_users_without_mfa: int = 0
    key_users: int = 0  # users with at least one active access key
    two_key_users: int = 0
    mfa_devices: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    cis_counted_root_events: int = 0


def _stamp(rng: random.Random, when: datetime) -> str:
    """Both spellings AWS has used for credential-report timestamps."""
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + ("Z" if rng.random() < 0.6 else "+00:00")


def _bool(rng: random.Random, value: bool) -> str:
    word = "true" if value else "false"
    return word.upper() if rng.random() < 0.05 else word


def _days_ago(rng: random.Random, low: float, high: float) -> datetime:
    return (AS_OF - timedelta(days=rng.uniform(low, high))).replace(microsecond=0)


# Kinds of IAM users and their share of the report (the rest are leavers).
USER_KINDS = (
    ("console_mfa", 0.30),
    ("console_mfa_key", 0.08),
    ("console_no_mfa", 0.09),
    ("console_never_signed_in", 0.03),
    ("key_fresh", 0.18),
    ("key_old", 0.09),
    ("key_never_used", 0.05),
    ("two_keys", 0.06),
    ("console_unused", 0.05),
)


def _pick_kind(rng: random.Random) -> str:
    x = rng.random()
    for kind, share in USER_KINDS:
        if x < share:
            return kind
        x -= share
    return "leaver"


def _key(rng: random.Random, *, active: bool, rotated_days: tuple[float, float], used: str = "recent") -> list[str]:
    rotated = _days_ago(rng, *rotated_days)
    if used == "never":
        return [_bool(rng, active), _stamp(rng, rotated), "N/A", "N/A", "N/A"]
    span = (0, 3) if used == "recent" else (60, 400)
    last = max(rotated, _days_ago(rng, *span))
    return [_bool(rng, active), _stamp(rng, rotated), _stamp(rng, last), rng.choice(REGIONS), rng.choice(SERVICES)]


NO_KEY = ["false", "N/A", "N/A", "N/A", "N/A"]
NO_PASSWORD = ["false", "N/A", "N/A", "N/A"]
NO_CERTS = ["false", "N/A", "false", "N/A"]


def credential_report(rng: random.Random, users: int, info: SyntheticSnapshot) -> bytes:
    root = [
        "<root_account>",
        f"arn:aws:iam::{ACCOUNT}:root",
        "2016-03-14T10:04:51+00:00",
        "true",
        _stamp(rng, AS_OF - timedelta(days=6, hours=3)),
        "2023-02-01T08:30:00Z",
        "not_supported",
        "true",
        *NO_KEY,
        *NO_KEY,
        *NO_CERTS,
    ]
    lines = [HEADER, ",".join(root)]
    for i in range(users):
        kind = _pick_kind(rng)
        info.kinds[kind] = info.kinds.get(kind, 0) + 1
        if kind.startswith(("key_", "two_")):
            name = f"svc-{rng.choice(SERVICES)}-{i:05d}"
        else:
            name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}.{i:05d}"
        created = _days_ago(rng, 120, 3000)
        password, mfa, key1, key2 = NO_PASSWORD, False, NO_KEY, NO_KEY
        changed = _stamp(rng, max(created, _days_ago(rng, 1, 400)))
        if kind.startswith("console"):
            if kind == "console_never_signed_in":
                last = rng.choice(("no_information", "N/A"))
            elif kind == "console_unused":
                last = _stamp(rng, _days_ago(rng, 50, 700))
            else:
                last = _stamp(rng, _days_ago(rng, 0, 30))
            password = ["true", last, changed, "N/A"]
            mfa = kind in ("console_mfa", "console_mfa_key")
            if kind == "console_mfa_key":
                key1 = _key(rng, active=True, rotated_days=(1, 200))
        elif kind == "key_fresh":
            key1 = _key(rng, active=True, rotated_days=(1, 80))
        elif kind == "key_old":
            key1 = _key(rng, active=True, rotated_days=(100, 1500))
        elif kind == "key_never_used":
            key1 = _key(rng, active=True, rotated_days=(1, 300), used="never")
        elif kind == "two_keys":
            key1 = _key(rng, active=True, rotated_days=(60, 700))
            key2 = _key(rng, active=True, rotated_days=(1, 50))
        else:  # leaver: password removed, key deactivated long ago
            key1 = _key(rng, active=False, rotated_days=(400, 2000), used="old")
        user = [
            name,
            f"arn:aws:iam::{ACCOUNT}:user/{name}",
            _stamp(rng, created),
            _bool(rng, password[0] == "true"),
            *password[1:],
            _bool(rng, mfa),
            *key1,
            *key2,
            *NO_CERTS,
        ]
        lines.append(",".join(user))
        if password[0] == "true":
            info.password_users += 1
            info.password_users_without_mfa += not mfa
        active = sum(k[0].lower() == "true" for k in (key1, key2))
        info.key_users += active > 0
        info.two_key_users += active == 2
        info.mfa_devices += mfa
    return ("\n".join(lines) + "\n").encode()


# --- CloudTrail records ------------------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _key_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))


def _ip(rng: random.Random) -> str:
    return rng.choice(("203.0.113.", "198.51.100.", "192.0.2.")) + str(rng.randint(1, 254))


def _event_time(rng: random.Random) -> str:
    seconds = rng.uniform(0, (PERIOD_END - PERIOD_START).total_seconds() - 1)
    return (PERIOD_START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tls(host: str) -> dict[str, str]:
    return {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": host}


def _session_context(rng: random.Random, *, mfa: bool, issuer: dict[str, Any] | None = None) -> dict[str, Any]:
    created = (PERIOD_START + timedelta(seconds=rng.uniform(0, 2_600_000))).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "sessionIssuer": issuer or {},
        "webIdFederationData": {},
        "attributes": {"creationDate": created, "mfaAuthenticated": "true" if mfa else "false"},
    }


def _request(rng: random.Random, source: str, name: str) -> dict[str, Any] | None:
    """requestParameters of a plausible size for the call."""
    if name == "DescribeInstances":
        return {
            "instancesSet": {
                "items": [{"instanceId": f"i-0{rng.getrandbits(60):015x}"} for _ in range(rng.randint(1, 6))]
            },
            "filterSet": {
                "items": [
                    {
                        "name": "instance-state-name",
                        "valueSet": {"items": [{"value": "running"}, {"value": "stopped"}]},
                    },
                    {"name": "tag:Environment", "valueSet": {"items": [{"value": "prod"}]}},
                ]
            },
        }
    if name == "PutBucketPolicy":
        bucket = f"acme-{rng.choice(SERVICES)}-logs-{rng.randint(100, 999)}"
        policy = (
            '{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny",'
            '"Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::'
            + bucket
            + '","arn:aws:s3:::'
            + bucket
            + '/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
        )
        return {"bucketPolicy": policy, "bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "policy": ""}
    if name == "AuthorizeSecurityGroupIngress":
        return {
            "groupId": f"sg-0{rng.getrandbits(60):015x}",
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "groups": {},
                        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0", "description": "public https"}]},
                        "ipv6Ranges": {},
                        "prefixListIds": {},
                    }
                ]
            },
        }
    if name == "CreateAccessKey":
        return {"userName": f"svc-{rng.choice(SERVICES)}-{rng.randint(0, 4999):05d}"}
    if name == "ScheduleKeyDeletion":
        return {"keyId": _uuid(rng), "pendingWindowInDays": 7}
    if source == "s3.amazonaws.com":
        return {"Host": "s3.amazonaws.com"}
    return None


def _base(
    rng: random.Random,
    identity: dict[str, Any],
    source: str,
    name: str,
    *,
    read_only: bool,
    agent: str,
    event_type: str = "AwsApiCall",
    region: str | None = None,
    ip: str | None = None,
) -> dict[str, Any]:
    region = region or rng.choice(REGIONS)
    record: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": identity,
        "eventTime": _event_time(rng),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip or _ip(rng),
        "userAgent": agent,
        "requestParameters": _request(rng, source, name),
        "responseElements": None,
        "requestID": _uuid(rng),
        "eventID": _uuid(rng),
        "readOnly": read_only,
        "eventType": event_type,
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": _tls(source.replace(".amazonaws.com", f".{region}.amazonaws.com")),
    }
    return record


def _root_identity(
    key: str | None, session: dict[str, Any] | None = None, invoked_by: str | None = None
) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
    }
    if key:
        identity["accessKeyId"] = key
    if session:
        identity["sessionContext"] = session
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


def root_record(rng: random.Random) -> tuple[dict[str, Any], bool]:
    """A root record and whether the CIS root-usage filter counts it."""
    x = rng.random()
    if x < 0.15:  # console sign-in, with or without MFA, sometimes failed
        ok = rng.random() < 0.9
        record = _base(
            rng,
            _root_identity(None),
            "signin.amazonaws.com",
            "ConsoleLogin",
            read_only=False,
            agent=rng.choice(USER_AGENTS),
            event_type="AwsConsoleSignIn",
            region="us-east-1",
        )
        record["responseElements"] = {"ConsoleLogin": "Success" if ok else "Failure"}
        record["additionalEventData"] = {
            "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB",
            "MobileVersion": "No",
            "MFAIdentifier": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
            "MFAUsed": rng.choice(("Yes", "YES", "No")),
        }
        if not ok:
            record["errorMessage"] = "Failed authentication"
        return record, True
    if x < 0.55:  # console actions on an ASIA session key
        source, name, ro = rng.choice(API_CALLS)
        identity = _root_identity(_key_id(rng, "ASIA"), _session_context(rng, mfa=rng.random() < 0.7))
        record = _base(
            rng,
            identity,
            source,
            name,
            read_only=ro,
            agent=CONSOLE_AGENT,
            event_type=rng.choice(("AwsApiCall", "AwsConsoleAction")),
        )
        record["sessionCredentialFromConsole"] = "true"
        if rng.random() < 0.05:
            record["errorCode"], record["errorMessage"] = "AccessDenied", f"Root is not allowed to call {name}"
        return record, True
    if x < 0.75:  # API calls on a long-term AKIA root key
        source, name, ro = rng.choice(API_CALLS)
        record = _base(
            rng, _root_identity(_key_id(rng, "AKIA")), source, name, read_only=ro, agent=rng.choice(CLI_AGENTS)
        )
        return record, True
    if x < 0.92:  # invoked by an AWS service on root's behalf
        invoker = rng.choice(INVOKERS)
        identity = _root_identity(_key_id(rng, "ASIA"), _session_context(rng, mfa=False), invoked_by=invoker)
        source, name, ro = rng.choice(API_CALLS)
        record = _base(rng, identity, source, name, read_only=ro, agent=invoker, ip=invoker)
        return record, False
    # AwsServiceEvent attributed to root
    record = _base(
        rng,
        _root_identity(None),
        "health.amazonaws.com",
        "AWSHealthEvent",
        read_only=True,
        agent="health.amazonaws.com",
        event_type="AwsServiceEvent",
        ip="health.amazonaws.com",
    )
    record["serviceEventDetails"] = {
        "eventTypeCode": "AWS_EC2_OPERATIONAL_ISSUE",
        "eventScope": "ACCOUNT_SPECIFIC",
        "statusCode": "open",
        "affectedEntities": [f"i-0{rng.getrandbits(60):015x}"],
    }
    return record, False


def other_record(rng: random.Random) -> dict[str, Any]:
    x = rng.random()
    source, name, ro = rng.choice(API_CALLS)
    if x < 0.35:
        user = f"{rng.choice(FIRST)}.{rng.choice(LAST)}.{rng.randint(0, 4999):05d}"
        identity = {
            "type": "IAMUser",
            "principalId": "AIDA" + _key_id(rng, "")[:17],
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
            "accessKeyId": _key_id(rng, "AKIA"),
            "userName": user,
        }
        return _base(rng, identity, source, name, read_only=ro, agent=rng.choice(CLI_AGENTS))
    if x < 0.8:
        # Decoys: a role named after root, a session name with "Root" in it.
        role = rng.choice(("OrganizationAccountAccessRole", "RootAccessDelegate", "ReadOnly", "Admin"))
        session = rng.choice(("alice", "ci-Root-rotation", "terraform"))
        issuer = {
            "type": "Role",
            "principalId": "AROA" + _key_id(rng, "")[:17],
            "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
            "accountId": ACCOUNT,
            "userName": role,
        }
        identity = {
            "type": "AssumedRole",
            "principalId": f"AROA{_key_id(rng, '')[:17]}:{session}",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
            "accountId": ACCOUNT,
            "accessKeyId": _key_id(rng, "ASIA"),
            "sessionContext": _session_context(rng, mfa=rng.random() < 0.5, issuer=issuer),
        }
        return _base(rng, identity, source, name, read_only=ro, agent=rng.choice(CLI_AGENTS + USER_AGENTS))
    if x < 0.95:
        invoker = rng.choice(INVOKERS)
        return _base(
            rng, {"type": "AWSService", "invokedBy": invoker}, source, name, read_only=ro, agent=invoker, ip=invoker
        )
    identity = {
        "type": "FederatedUser",
        "principalId": f"{ACCOUNT}:Root-breakglass",
        "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/Root-breakglass",
        "accountId": ACCOUNT,
        "accessKeyId": _key_id(rng, "ASIA"),
        "sessionContext": _session_context(
            rng,
            mfa=True,
            issuer={
                "type": "IAMUser",
                "principalId": "AIDA" + _key_id(rng, "")[:17],
                "arn": f"arn:aws:iam::{ACCOUNT}:user/breakglass",
                "accountId": ACCOUNT,
                "userName": "breakglass",
            },
        ),
    }
    return _base(rng, identity, source, name, read_only=ro, agent=rng.choice(USER_AGENTS))


def root_events(rng: random.Random, events: int, root_share: float, info: SyntheticSnapshot) -> bytes:
    lines = []
    for _ in range(events):
        if rng.random() < root_share:
            record, counted = root_record(rng)
            info.root_events_count += 1
            info.cis_counted_root_events += counted
        else:
            record = other_record(rng)
        lines.append(orjson.dumps(record))
    return b"\n".join(lines) + b"\n"


def _mfa_devices(rng: random.Random, report: bytes) -> dict[str, Any]:
    devices = [
        {
            "SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
            "User": {"Arn": f"arn:aws:iam::{ACCOUNT}:root", "UserId": ACCOUNT, "CreateDate": "2016-03-14T10:04:51Z"},
            "EnableDate": "2016-03-14T10:20:00Z",
        }
    ]
    for line in report.decode().splitlines()[2:]:
        fields = line.split(",")
        if fields[7].lower() == "true":
            name = fields[0]
            devices.append(
                {
                    "SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/{name}",
                    "User": {
                        "UserName": name,
                        "UserId": "AIDA" + _key_id(rng, "")[:17],
                        "Arn": fields[1],
                        "CreateDate": fields[2].replace("+00:00", "Z"),
                    },
                    "EnableDate": fields[2].replace("+00:00", "Z"),
                }
            )
    return {"VirtualMFADevices": devices}


def build_snapshot(
    out: Path, *, users: int = 5000, events: int = 100_000, seed: int = 7, root_share: float = 0.7
) -> SyntheticSnapshot:
    """Write the snapshot into `out` (which must not hold one yet) and describe what is in it."""
    out = Path(out)
    base = f"accounts/{ACCOUNT}/"
    info = SyntheticSnapshot(
        root=out,
        credential_report=out / base / "iam/credential_report.csv",
        root_events=out / base / "cloudtrail/root_events.jsonl",
        users=users,
        events=events,
        root_events_count=0,
    )
    rng = random.Random(seed)
    report = credential_report(rng, users, info)
    trail = root_events(rng, events, root_share, info)

    at = AS_OF.replace(second=12)
    writer = SnapshotWriter(
        out,
        tool_version="bench",
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        as_of=AS_OF,
        caller_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/ReporterAudit/bench",
    )
    writer.add_account(ACCOUNT, name="bench", regions=REGIONS, is_management=True)
    iam = dict(account=ACCOUNT, region="us-east-1", collected_at=at)
    writer.add_bytes(
        base + "iam/credential_report.csv",
        report,
        api="iam:GetCredentialReport",
        params={"GeneratedTime": "2026-11-01T05:58:41Z"},
        **iam,
    )
    writer.add_json(
        base + "iam/account_summary.json",
        {
            "SummaryMap": {
                "AccountMFAEnabled": 1,
                "AccountAccessKeysPresent": 0,
                "AccountSigningCertificatesPresent": 0,
                "Users": users,
                "Groups": 40,
                "Roles": 310,
                "Policies": 220,
                "MFADevices": info.mfa_devices + 1,
                "MFADevicesInUse": info.mfa_devices + 1,
            }
        },
        api="iam:GetAccountSummary",
        **iam,
    )
    writer.add_json(
        base + "iam/virtual_mfa_devices.json", _mfa_devices(rng, report), api="iam:ListVirtualMFADevices", **iam
    )
    writer.add_json(
        base + "iam/password_policy.json",
        {
            "PasswordPolicy": {
                "MinimumPasswordLength": 14,
                "RequireSymbols": True,
                "RequireNumbers": True,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": True,
                "AllowUsersToChangePassword": True,
                "ExpirePasswords": False,
                "PasswordReusePrevention": 24,
            }
        },
        api="iam:GetAccountPasswordPolicy",
        **iam,
    )
    writer.add_bytes(
        base + "cloudtrail/root_events.jsonl",
        trail,
        api="cloudtrail:LookupEvents",
        params={
            "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "root"}],
            "StartTime": "2026-10-01T00:00:00Z",
            "EndTime": "2026-11-01T00:00:00Z",
            "regions": REGIONS,
        },
        account=ACCOUNT,
        collected_at=at,
    )
    writer.finalize(collected_at=at)
    return info
