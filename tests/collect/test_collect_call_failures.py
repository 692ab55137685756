"""Every failure of a call is evidence, whatever its class (issue #15, item 1): an HTML page where
XML was due (ResponseParserError, which is no BotoCoreError), a dropped connection, an error from
below botocore. Each becomes an error artifact named by its class; the run goes on and the checks
that needed the call are NOT_ASSESSED naming it."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import moto_gaps
import pandas as pd
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, CredentialRetrievalError, SSLError
from moto import mock_aws
from moto_world import END, START, fixed_clock, no_sleep

from reporter.checks.runner import run_checks
from reporter.collect import collect
from reporter.collect.context import Context, Failure
from reporter.collect.options import CollectOptions
from reporter.collect.session import client_config
from reporter.core.status import Status
from reporter.core.truncation import refuse_cut_bodies
from reporter.evidence.tables import load_evidence
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot

ACCOUNT = "123456789012"  # moto's default account
# nginx's own error page: not XML (an unclosed <hr>), so botocore's parser gives up on it
NGINX = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"
    b"\r\n<hr><center>nginx</center>\r\n" + b"<!-- padding -->" * 300 + b"</body>\r\n</html>\r\n"
)
# a tidy page that happens to be XML: botocore parses it and fails looking for the result
TIDY = b"<html><head><title>Service Unavailable</title></head><body><p>Try again later.</p></body></html>"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def page(body: bytes) -> Callable[..., AWSResponse]:
    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"Content-Type": "text/html"}, _Raw(body))

    return answer


def cut_short(request: Any, **_: Any) -> AWSResponse:
    # what a connection closed mid-body leaves: botocore does not enforce Content-Length itself
    body = b"<GetAccountSummaryResponse><GetAccountSummaryResult><SummaryMap><entry><key>Users</key>"
    return AWSResponse(request.url, 200, {"Content-Length": str(len(body) * 2)}, _Raw(body))


def ssl_failure(request: Any, **_: Any) -> None:
    raise SSLError(endpoint_url=request.url, error="[SSL: WRONG_VERSION_NUMBER] wrong version number")


def refresh_failure(request: Any, **_: Any) -> None:
    raise CredentialRetrievalError(provider="assume-role", error_msg="the source profile's session expired")


def dropped(request: Any, **_: Any) -> None:
    raise ConnectionClosedError(endpoint_url=request.url)


def below_botocore(request: Any, **_: Any) -> None:
    raise ConnectionResetError(104, "Connection reset by peer")


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (page(NGINX), "ResponseParserError"),
        (page(TIDY), "KeyError"),
        (dropped, "ConnectionClosedError"),
        (cut_short, "IncompleteBody"),
        (ssl_failure, "SSLError"),
        (refresh_failure, "CredentialRetrievalError"),
        (below_botocore, "ConnectionResetError"),
    ],
)
def test_a_failed_call_of_any_class_is_an_error_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Callable[..., Any], code: str
) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    session = boto3.Session(region_name="us-east-1")
    session.events.register("before-send.iam.GetAccountSummary", fault)
    options = CollectOptions(
        out=tmp_path / "snap", period_start=START, period_end=END, regions=("us-east-1",), quiet=True, max_attempts=2
    )
    moto_gaps.install()
    moto_gaps.reset()
    moto_gaps.set_root(ACCOUNT, created=datetime(2020, 1, 1, tzinfo=UTC), mfa_active=True)
    with mock_aws():
        summary = collect(options, session=session, clock=fixed_clock, sleep=no_sleep)
    moto_gaps.reset()
    snapshot = Snapshot.open(tmp_path / "snap")
    assert verify_snapshot(snapshot) == []
    errors = {a.api: a for a in snapshot.manifest.artifacts if a.status == "error"}
    # outside an organization DescribeOrganization is an error artifact too; nothing else failed
    assert set(errors) == {"iam:GetAccountSummary", "organizations:DescribeOrganization"} and summary.errors == 2
    error = errors["iam:GetAccountSummary"]
    assert error.region == "us-east-1" and error.error is not None
    assert error.error.code == code and len(error.error.message) < 600  # an HTML body is not copied whole
    assert {a.api for a in snapshot.manifest.artifacts if a.status == "ok"} >= {
        "iam:GetCredentialReport",
        "iam:ListVirtualMFADevices",
        "cloudtrail:LookupEvents",
    }
    findings = run_checks(load_evidence(snapshot), pd.Timestamp(snapshot.manifest.as_of))
    (consistent,) = [f for f in findings if f.check_id == "evidence_consistent"]
    assert consistent.status is Status.NOT_ASSESSED and code in consistent.reason
    # what did not need the call is still judged
    assert {f.status for f in findings if f.check_id == "root_not_used"} == {Status.PASS}


def test_a_stalled_answer_times_out_into_a_failure_not_a_hung_run(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (the kernel's backlog), never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        config = client_config(1, 1, connect_timeout=1.0, read_timeout=0.3)
        assert (config.connect_timeout, config.read_timeout) == (1.0, 0.3)
        iam = boto3.Session(region_name="us-east-1").client("iam", endpoint_url=url, config=config)
        failure = Context.attempt(iam.get_account_summary)
    finally:
        listener.close()
    assert isinstance(failure, Failure) and failure.code == "ReadTimeoutError", failure
    assert url in failure.message
    with pytest.raises(ValueError, match="--read-timeout"):
        CollectOptions(out=Path("x"), period_start=START, period_end=END, read_timeout=0)


def test_a_body_cut_short_is_retried_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Half a JSON answer parses as {"message": ...}: taken as an answer, DescribeTrails would read
    # "no trails". It is retried like a 500; the whole answer of the next attempt is what counts.
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    attempts: list[int] = []

    def first_cut(request: Any, **_: Any) -> AWSResponse | None:
        attempts.append(1)
        if len(attempts) > 1:
            return None  # moto answers whole
        body = b'{"trailList": [{"Name": "org-trail", "S3BucketName": "trail-buck'
        return AWSResponse(request.url, 200, {"Content-Length": "400"}, _Raw(body))

    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-bucket")
        ct = boto3.client("cloudtrail", region_name="us-east-1", config=client_config(3, 1))
        ct.create_trail(Name="org-trail", S3BucketName="trail-bucket")
        ct.meta.events.register_first("before-send.cloudtrail.DescribeTrails", first_cut)
        refuse_cut_bodies(ct.meta.events, 3)
        trails = ct.describe_trails()["trailList"]
    assert len(attempts) == 2 and [t["Name"] for t in trails] == ["org-trail"]
