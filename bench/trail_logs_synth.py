"""Deterministic synthetic CloudTrail log files, laid out as a trail writes them to S3.

`generate(out, target_bytes=1_000_000_000, seed=11)` writes gzip files under
`out/AWSLogs/<org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<ts>_<rand>.json.gz`,
each a minified `{"Records":[...]}` of 100-2,000 records (~1.5 KB a record: AssumedRole,
IAMUser, AWSService and FederatedUser calls with sessionContext, requestParameters,
responseElements, resources, tlsDetails, real user agents), plus CloudTrail-Digest files.

About one record in `root_every` (200,000) is a Root record (console sign-in, console action,
AKIA API call); decoys carry the word Root elsewhere (a role named Root, a tag key Root,
organizations:ListRoots, a bucket named Root-...), and some records carry JSON escapes
(`\\u003d`, `\\u0026`) as real logs do. One Root record in three spells its type `\\u0052oot`,
so a byte pre-filter that only looks for `Root` would miss it.

It returns a `Generated` with the file list and the eventIDs of the Root records it wrote, so a
benchmark can check every scanner against the truth. Generation is cached: a folder whose
`generated.json` matches the parameters is reused.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

try:
    from isal import isal_zlib as _zlib

    _LEVEL = 2  # isal's levels are 0-3; 2 gives gzip sizes close to CloudTrail's
except ImportError:  # pragma: no cover - isal is a dependency here
    import zlib as _zlib  # type: ignore[no-redef]

    _LEVEL = 6

ORG_ID = "o-a1b2c3d4e5"
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 31

USER_AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off command/s3.ls",
    "Boto3/1.34.64 md/Botocore#1.34.64 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.64",
    "aws-sdk-java/2.25.11 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+8-LTS Java/17.0.10 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/adaptive",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.149.3",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "config.amazonaws.com",
    "cloudformation.amazonaws.com",
]

CALLS: list[tuple[str, str, bool]] = [
    ("ec2.amazonaws.com", "DescribeInstances", True),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", True),
    ("s3.amazonaws.com", "GetBucketAcl", True),
    ("s3.amazonaws.com", "PutObject", False),
    ("sts.amazonaws.com", "AssumeRole", True),
    ("kms.amazonaws.com", "Decrypt", True),
    ("kms.amazonaws.com", "GenerateDataKey", True),
    ("iam.amazonaws.com", "GetRole", True),
    ("iam.amazonaws.com", "ListAttachedRolePolicies", True),
    ("lambda.amazonaws.com", "ListFunctions20150331", True),
    ("logs.amazonaws.com", "CreateLogStream", False),
    ("dynamodb.amazonaws.com", "DescribeTable", True),
    ("organizations.amazonaws.com", "ListRoots", True),
    ("ssm.amazonaws.com", "GetParameters", True),
]


@dataclass
class Generated:
    root: Path
    files: list[Path]
    digests: list[Path]
    root_event_ids: list[str]
    records: int
    uncompressed_bytes: int
    compressed_bytes: int


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _key(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _when(rng: random.Random, day: datetime) -> datetime:
    return day + timedelta(seconds=rng.randrange(86400))


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tls(rng: random.Random, service: str, region: str) -> dict[str, Any]:
    return {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": f"{service.split('.')[0]}.{region}.amazonaws.com",
    }


def _assumed_role(rng: random.Random, account: str, role: str) -> dict[str, Any]:
    session = rng.choice(["botocore-session-1711", "terraform", "i-0" + _hex(rng, 16), "AutoScaling"])
    role_id = _key(rng, "AROA")
    return {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": _key(rng, "ASIA"),
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-10-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _request(rng: random.Random, name: str, decoy: bool) -> tuple[Any, Any, list[dict[str, Any]] | None]:
    if name == "DescribeInstances":
        req = {
            "instancesSet": {"items": [{"instanceId": "i-0" + _hex(rng, 16)} for _ in range(rng.randint(1, 4))]},
            "filterSet": {"items": [{"name": "tag:Name", "valueSet": {"items": [{"value": "web-*"}]}}]},
        }
        return req, None, None
    if name == "PutObject":
        bucket = "Root-logs-archive" if decoy else f"app-data-{_hex(rng, 6)}"
        req = {
            "bucketName": bucket,
            "Host": f"{bucket}.s3.amazonaws.com",
            "key": f"upload/{_hex(rng, 24)}.parquet",
            "x-amz-server-side-encryption": "aws:kms",
            "x-amz-acl": "bucket-owner-full-control",
        }
        res = [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/upload/x"},
            {"accountId": "111111111111", "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ]
        return req, {"x-amz-server-side-encryption": "aws:kms"}, res
    if name == "AssumeRole":
        req = {
            "roleArn": "arn:aws:iam::111111111111:role/" + ("Root" if decoy else "deploy"),
            "roleSessionName": "session-" + _hex(rng, 8),
            "durationSeconds": 3600,
            # Real logs keep some escapes (policies, URLs): they must not defeat the pre-filter.
            "policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
            if not decoy
            else None,
        }
        res = {
            "credentials": {
                "accessKeyId": _key(rng, "ASIA"),
                "sessionToken": "IQoJb3JpZ2luX2VjE" + _hex(rng, 64),
                "expiration": "Oct 1, 2026, 1:00:00 PM",
            },
            "assumedRoleUser": {
                "assumedRoleId": _key(rng, "AROA") + ":session",
                "arn": "arn:aws:sts::111111111111:assumed-role/deploy/session",
            },
        }
        return (
            req,
            res,
            [{"accountId": "111111111111", "type": "AWS::IAM::Role", "ARN": "arn:aws:iam::111111111111:role/deploy"}],
        )
    if name in ("Decrypt", "GenerateDataKey"):
        req = {
            "encryptionContext": {
                "aws:lambda:FunctionArn": "arn:aws:lambda:us-east-1:111111111111:function:f-" + _hex(rng, 6)
            },
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "keyId": "arn:aws:kms:us-east-1:111111111111:key/" + _uuid(rng),
        }
        return req, None, [{"accountId": "111111111111", "type": "AWS::KMS::Key", "ARN": req["keyId"]}]
    if name == "CreateLogStream":
        return (
            {"logGroupName": "/aws/lambda/f-" + _hex(rng, 6), "logStreamName": "2026/10/01/[$LATEST]" + _hex(rng, 32)},
            None,
            None,
        )
    if name == "GetParameters":
        return {"names": ["/app/db/url", "/app/feature?x=1\u0026y=2"], "withDecryption": True}, None, None
    if name == "GetBucketAcl":
        tags = {"tagSet": [{"key": "Root" if decoy else "team", "value": "platform"}]}
        return {"bucketName": "cfg-" + _hex(rng, 8), "Host": "s3.amazonaws.com", "acl": "", **tags}, None, None
    return {"maxResults": rng.choice([50, 100, 1000]), "filter": "name\u003dprod"}, None, None


def _ordinary(rng: random.Random, account: str, region: str, t: datetime, decoy: bool) -> dict[str, Any]:
    service, name, read_only = rng.choice(CALLS)
    if decoy and name not in ("PutObject", "AssumeRole", "GetBucketAcl", "ListRoots"):
        service, name, read_only = rng.choice([c for c in CALLS if c[1] in ("PutObject", "AssumeRole", "GetBucketAcl")])
    kind = rng.random()
    if decoy and rng.random() < 0.3:
        identity = _assumed_role(rng, account, "Root")  # a role named Root: not the root user
    elif kind < 0.75:
        identity = _assumed_role(
            rng, account, rng.choice(["deploy", "OrganizationAccountAccessRole", "lambda-exec", "ecs-task"])
        )
    elif kind < 0.9:
        user = rng.choice(["alice", "bob", "ci-bot"])
        identity = {
            "type": "IAMUser",
            "principalId": _key(rng, "AIDA"),
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": _key(rng, "AKIA"),
            "userName": user,
        }
    elif kind < 0.98:
        identity = {"type": "AWSService", "invokedBy": rng.choice(["config.amazonaws.com", "cloudtrail.amazonaws.com"])}
    else:
        identity = {
            "type": "FederatedUser",
            "principalId": f"{account}:fed",
            "arn": f"arn:aws:sts::{account}:federated-user/fed",
            "accountId": account,
            "accessKeyId": _key(rng, "ASIA"),
        }
    req, res, resources = _request(rng, name, decoy)
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": _iso(t),
        "eventSource": service,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": f"{rng.randint(3, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "userAgent": rng.choice(USER_AGENTS),
        "requestParameters": req,
        "responseElements": res,
        "requestID": _uuid(rng),
        "eventID": _uuid(rng),
        "readOnly": read_only,
    }
    if resources:
        record["resources"] = resources
    record.update(
        {
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
            "tlsDetails": _tls(rng, service, region),
        }
    )
    return record


def root_record(rng: random.Random, account: str, region: str, t: datetime) -> dict[str, Any]:
    kind = rng.choice(["signin", "console", "akia"])
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }
    if kind == "signin":
        return {
            "eventVersion": "1.09",
            "userIdentity": identity,
            "eventTime": _iso(t),
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.7",
            "userAgent": USER_AGENTS[4],
            "requestParameters": None,
            "responseElements": {"ConsoleLogin": "Success"},
            "additionalEventData": {
                "LoginTo": "https://console.aws.amazon.com/console/home",
                "MobileVersion": "No",
                "MFAUsed": "No",
            },
            "eventID": _uuid(rng),
            "readOnly": False,
            "eventType": "AwsConsoleSignIn",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        }
    identity["accessKeyId"] = _key(rng, "ASIA" if kind == "console" else "AKIA")
    if kind == "console":
        identity["sessionContext"] = {
            "attributes": {"creationDate": _iso(t - timedelta(minutes=5)), "mfaAuthenticated": "false"}
        }
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": _iso(t),
        "eventSource": "iam.amazonaws.com",
        "eventName": "CreateAccessKey",
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": USER_AGENTS[0],
        "requestParameters": {},
        "responseElements": {"accessKey": {"accessKeyId": _key(rng, "AKIA"), "status": "Active", "userName": account}},
        "requestID": _uuid(rng),
        "eventID": _uuid(rng),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": _tls(rng, "iam.amazonaws.com", region),
    }


def _encode_record(record: dict[str, Any], escaped_root: bool) -> bytes:
    data = orjson.dumps(record)
    if escaped_root:
        # JSON allows any character as \uXXXX; a sound pre-filter must still find this one.
        data = data.replace(b'"type":"Root"', b'"type":"\\u0052oot"', 1)
    return data


def generate(
    out: Path,
    *,
    target_bytes: int = 1_000_000_000,
    seed: int = 11,
    root_every: int = 200_000,
    decoy_every: int = 2_000,
    min_records: int = 100,
    max_records: int = 2_000,
) -> Generated:
    out = Path(out)
    params = {
        "target_bytes": target_bytes,
        "seed": seed,
        "root_every": root_every,
        "decoy_every": decoy_every,
        "min_records": min_records,
        "max_records": max_records,
        "version": 2,
    }
    marker = out / "generated.json"
    if marker.exists():
        saved = orjson.loads(marker.read_bytes())
        if saved.get("params") == params:
            return Generated(
                out,
                [out / p for p in saved["files"]],
                [out / p for p in saved["digests"]],
                saved["root_event_ids"],
                saved["records"],
                saved["uncompressed_bytes"],
                saved["compressed_bytes"],
            )
    rng = random.Random(seed)
    files: list[Path] = []
    digests: list[Path] = []
    root_ids: list[str] = []
    total = records = compressed = 0
    roots_written = 0
    file_no = 0
    while total < target_bytes:
        account = ACCOUNTS[file_no % len(ACCOUNTS)]
        region = REGIONS[(file_no // len(ACCOUNTS)) % len(REGIONS)]
        day = START + timedelta(days=(file_no * 7) % DAYS)
        stamp = _when(rng, day)
        n = rng.randint(min_records, max_records)
        parts: list[bytes] = []
        for _ in range(n):
            t = stamp - timedelta(seconds=rng.randrange(300))
            # Place a root record every `root_every` records (deterministic, ~1 in 200,000).
            if (records + len(parts) + root_every // 2) % root_every == 0:
                record = root_record(rng, account, region, t)
                root_ids.append(record["eventID"])
                parts.append(_encode_record(record, escaped_root=roots_written % 3 == 1))
                roots_written += 1
            else:
                decoy = rng.randrange(decoy_every) == 0
                data = orjson.dumps(_ordinary(rng, account, region, t, decoy))
                if rng.random() < 0.1:
                    # Some writers escape '=' and '&' (Gson does); '=' and '&' occur only inside strings.
                    data = data.replace(b"=", b"\\u003d").replace(b"&", b"\\u0026")
                parts.append(data)
        body = b'{"Records":[' + b",".join(parts) + b"]}"
        rel = (
            f"AWSLogs/{ORG_ID}/{account}/CloudTrail/{region}/{day:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{stamp:%Y%m%dT%H%MZ}_{_hex(rng, 16)}.json.gz"
        )
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        comp = _zlib.compressobj(_LEVEL, _zlib.DEFLATED, 31)
        gz = comp.compress(body) + comp.flush()
        path.write_bytes(gz)
        files.append(path)
        total += len(body)
        compressed += len(gz)
        records += n
        if file_no % 50 == 0:  # a digest file now and then, as CloudTrail writes them hourly
            drel = (
                f"AWSLogs/{ORG_ID}/{account}/CloudTrail-Digest/{region}/{day:%Y/%m/%d}/"
                f"{account}_CloudTrail-Digest_{region}_trail_{region}_{stamp:%Y%m%dT%H%M%SZ}.json.gz"
            )
            dpath = out / drel
            dpath.parent.mkdir(parents=True, exist_ok=True)
            dpath.write_bytes(_zlib.compress(orjson.dumps({"awsAccountId": account, "logFiles": [{"s3Object": rel}]})))
            digests.append(dpath)
        file_no += 1
    marker.write_bytes(
        orjson.dumps(
            {
                "params": params,
                "files": [str(p.relative_to(out)) for p in files],
                "digests": [str(p.relative_to(out)) for p in digests],
                "root_event_ids": root_ids,
                "records": records,
                "uncompressed_bytes": total,
                "compressed_bytes": compressed,
            }
        )
    )
    return Generated(out, files, digests, root_ids, records, total, compressed)
