"""One trail-log scenario shared by the S3, local-folder and Athena tests (issue #7).

Two accounts: 111111111111 logs to an organization trail (AWSLogs/o-aa11bb22cc/111…/),
222222222222 to its own trail (AWSLogs/222…/); regions us-east-1 and eu-west-1; period
October 2026. `EXPECTED` holds, per account, the Root records the period must yield, exactly
as CloudTrail wrote them (what LookupEvents' CloudTrailEvent would parse to).
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ORG = "o-aa11bb22cc"
A, B = "111111111111", "222222222222"
REGIONS = ["eu-west-1", "us-east-1"]
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
BASE = {A: f"AWSLogs/{ORG}/{A}/", B: f"AWSLogs/{B}/"}


def root(account: str, event_id: str, when: str, region: str = "us-east-1", **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLE123456789",
            "sessionContext": {"attributes": {"creationDate": when, "mfaAuthenticated": "false"}},
        },
        "eventTime": when,
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListUsers",
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "AWS Internal",
        "requestParameters": None,
        "responseElements": None,
        "requestID": f"req-{event_id}",
        "eventID": event_id,
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "iam.amazonaws.com",
        },
    }
    record.update(extra)
    return record


def console_login(account: str, event_id: str, when: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
        },
        "eventTime": when,
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Mozilla/5.0",
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "No"},
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


def ordinary(account: str, event_id: str, when: str, *, role: str = "deploy", tag: str = "team") -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:s",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/s",
            "accountId": account,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "userName": role, "arn": f"arn:aws:iam::{account}:role/{role}"}
            },
        },
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketTagging",
        "awsRegion": "us-east-1",
        "requestParameters": {"Tagging": {"TagSet": {"Tag": {"Key": tag, "Value": "Root"}}}},
        "responseElements": None,
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }


def gz_records(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(orjson.dumps({"Records": records}))


def key(account: str, region: str, day: str, name: str, digest: bool = False) -> str:
    kind = "CloudTrail-Digest" if digest else "CloudTrail"
    return f"{BASE[account]}{kind}/{region}/{day}/{account}_{kind}_{region}_{name}.json.gz"


A_LOGIN = console_login(A, "a-login", "2026-10-03T08:00:00Z")
A_LATE = root(A, "a-late", "2026-10-31T23:58:00Z")  # delivered in the 11/01 folder
A_EU = root(A, "a-eu", "2026-10-15T12:00:00Z", region="eu-west-1")
A_ESCAPED = root(A, "a-escaped", "2026-10-20T10:00:00Z")  # written as \u0052oot
B_KEYED = root(
    B,
    "b-akia",
    "2026-10-10T09:30:00Z",
    userIdentity={
        "type": "Root",
        "principalId": B,
        "arn": f"arn:aws:iam::{B}:root",
        "accountId": B,
        "accessKeyId": "AKIAEXAMPLE123456789",
    },
)
B_PRETTY = root(B, "b-pretty", "2026-10-11T09:30:00Z")  # pretty-printed, other key order

EXPECTED: dict[str, list[dict[str, Any]]] = {
    A: [A_LOGIN, A_EU, A_ESCAPED, A_LATE],
    B: [B_KEYED, B_PRETTY],
}

OUTSIDE = {
    "before": root(A, "a-before", "2026-09-30T23:59:59Z"),  # in the 09/30 folder: read, then dropped
    "at-end": root(A, "a-at-end", "2026-11-01T00:00:00Z"),  # the end is exclusive
    "far": root(A, "a-far", "2026-10-05T00:00:00Z"),  # in a 09/28 folder: never listed
}


def _pretty_reordered(records: list[dict[str, Any]]) -> bytes:
    reordered = [dict(reversed(list(r.items()))) for r in records]
    return gzip.compress(orjson.dumps({"Records": reordered}, option=orjson.OPT_INDENT_2))


def objects() -> dict[str, bytes]:
    """key -> object bytes, as a trail bucket holds them."""
    escaped = orjson.dumps({"Records": [ordinary(A, "o-9", "2026-10-20T09:00:00Z"), A_ESCAPED]})
    escaped = escaped.replace(b'"type":"Root"', b'"type":"\\u0052oot"')
    assert b"\\u0052oot" in escaped
    return {
        key(A, "us-east-1", "2026/09/28", "20260928T0000Z_far"): gz_records([OUTSIDE["far"]]),
        key(A, "us-east-1", "2026/09/30", "20260930T2359Z_before"): gz_records([OUTSIDE["before"]]),
        key(A, "us-east-1", "2026/10/03", "20261003T0800Z_login"): gz_records(
            [ordinary(A, "o-1", "2026-10-03T07:59:00Z", role="Root"), A_LOGIN]
        ),
        key(A, "us-east-1", "2026/10/03", "20261003T0805Z_dup"): gz_records([A_LOGIN]),  # delivered twice
        key(A, "us-east-1", "2026/10/20", "20261020T1000Z_esc"): gzip.compress(escaped),
        key(A, "eu-west-1", "2026/10/15", "20261015T1200Z_eu"): gz_records(
            [A_EU, ordinary(A, "o-2", "2026-10-15T12:01:00Z")]
        ),
        key(A, "us-east-1", "2026/11/01", "20261101T0003Z_late"): gz_records([A_LATE, OUTSIDE["at-end"]]),
        key(A, "us-east-1", "2026/11/03", "20261103T0000Z_far"): gz_records(
            [root(A, "a-far2", "2026-10-31T00:00:00Z")]
        ),
        key(A, "us-east-1", "2026/10/03", "20261003T0900Z", digest=True): gzip.compress(b'{"logFiles":[]}'),
        key(B, "us-east-1", "2026/10/10", "20261010T0930Z_akia"): gz_records(
            [B_KEYED, ordinary(B, "o-3", "2026-10-10T09:31:00Z", tag="Root")]
        ),
        key(B, "eu-west-1", "2026/10/11", "20261011T0930Z_pretty"): _pretty_reordered([B_PRETTY]),
        key(B, "eu-west-1", "2026/10/12", "20261012T0000Z_corrupt"): b"\x1f\x8b\x08\x00garbage-not-deflate",
        key(B, "us-east-1", "2026/10/13", "20261013T0000Z_empty"): b"",
        key(B, "us-east-1", "2026/10/14", "20261014T0000Z_norecords"): gzip.compress(b'{"Events": []}'),
        key(B, "us-east-1", "2026/10/03", "20261003T0900Z", digest=True): gzip.compress(b'{"logFiles":[]}'),
    }


BAD_KEYS = {"corrupt": "CorruptLogFile", "empty": "EmptyLogFile", "norecords": "InvalidLogFile"}


def write_folder(root_dir: Path) -> Path:
    for name, data in objects().items():
        path = root_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root_dir


def fixed_clock() -> datetime:
    return datetime(2026, 11, 2, 6, 0, 0, tzinfo=UTC)
