"""--to-security-hub: BatchImportFindings in batches of 100 into moto's Security Hub, every refusal
reported by finding id, exit 4 when anything was refused."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import boto3
import orjson
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.stub import Stubber
from moto import mock_aws
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.publish.security_hub import Refused, SecurityHubError, check_region, import_findings
from reporter.render.asff import asff_findings
from reporter.snapshot.reader import Snapshot

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_findings() -> list[dict[str, Any]]:
    return asff_findings(build_pack(Snapshot.open(demo_snapshot_dir())), "eu-west-1")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("securityhub", region_name="eu-west-1")
        client.enable_security_hub()
        yield client


def stored(client: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = client.get_findings(MaxResults=100, **token)
        found += page["Findings"]
        if not page.get("NextToken"):
            return found
        token = {"NextToken": page["NextToken"]}


def test_import_splits_into_batches_of_100(hub: Any, demo_findings: list[dict[str, Any]]) -> None:
    many = [{**f, "Id": f"{f['Id']}/{i}"} for i in range(4) for f in demo_findings]
    result = import_findings(many, hub, "eu-west-1")
    assert (result.calls, result.imported, result.refused) == (math.ceil(len(many) / 100), len(many), [])
    assert result.calls > 1
    assert sorted(f["Id"] for f in stored(hub)) == sorted(f["Id"] for f in many)


def test_refusals_and_failed_calls_name_each_finding_and_differ(demo_findings: list[dict[str, Any]]) -> None:
    client = boto3.client("securityhub", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    findings = [{**demo_findings[0], "Id": f"id-{i}"} for i in range(150)]
    with Stubber(client) as stub:
        refusal = {"Id": "id-7", "ErrorCode": "InvalidInput", "ErrorMessage": "Finding does not adhere to ASFF"}
        stub.add_response("batch_import_findings", {"FailedCount": 1, "SuccessCount": 99, "FailedFindings": [refusal]})
        stub.add_client_error("batch_import_findings", "AccessDeniedException", "not subscribed", 403)
        result = import_findings(findings, client, "eu-west-1")
    assert (result.calls, result.imported) == (2, 99)
    assert result.refused[0] == Refused("id-7", "InvalidInput", "Finding does not adhere to ASFF")
    assert [r.finding_id for r in result.refused[1:]] == [f"id-{i}" for i in range(100, 150)]
    assert {r.code for r in result.refused[1:]} == {"AccessDeniedException"}
    # A refused finding is that finding's problem; a failed call is every finding of its batch's.
    assert not result.refused[0].call_failed
    assert all(r.call_failed for r in result.refused[1:])


def test_report_to_security_hub_imports_and_exit_4_on_a_refusal(
    hub: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, demo_findings: list[dict[str, Any]]
) -> None:
    n = len(demo_findings)
    args = ["report", str(demo_snapshot_dir()), "--out", str(tmp_path / "a"), "-f", "asff", "--no-history"]
    ok = runner.invoke(app, [*args, "--fail-on", "never", "--to-security-hub", "--security-hub-region", "eu-west-1"])
    assert ok.exit_code == 0, ok.output
    assert f"{n} of {n} finding(s) imported in {math.ceil(n / 100)} call(s)" in ok.output
    assert {f["ProductArn"].split(":")[3] for f in stored(hub)} == {"eu-west-1"}

    real = BaseClient._make_api_call

    def refuse(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == "BatchImportFindings":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse)
    failed = runner.invoke(app, [*args[:3], str(tmp_path / "b"), *args[4:], "--fail-on", "never", "--to-security-hub"])
    assert failed.exit_code == 4, failed.output
    assert "ThrottlingException: Rate exceeded" in failed.output and f"0 of {n}" in failed.output


def test_bad_region_is_a_usage_error(tmp_path: Any) -> None:
    snap = str(demo_snapshot_dir())
    hub = ["--to-security-hub", "--security-hub-region", "x"]
    bad = runner.invoke(app, ["report", snap, "--out", str(tmp_path), *hub])
    assert bad.exit_code == 2 and "not a region name" in bad.output
    alone = runner.invoke(app, ["report", snap, "--out", str(tmp_path), "--security-hub-region", "eu-west-1"])
    assert alone.exit_code == 2 and "needs --to-security-hub" in alone.output


def test_a_call_failing_for_every_batch_is_one_line_with_a_hint(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # No credentials: every call fails the same way. That is one problem to fix, not one line per finding.
    def no_credentials(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        raise NoCredentialsError()

    monkeypatch.setattr(BaseClient, "_make_api_call", no_credentials)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    args = ["report", str(demo_snapshot_dir()), "--out", str(tmp_path), "-f", "asff", "--no-history"]
    result = runner.invoke(app, [*args, "--fail-on", "never", "--to-security-hub"])
    assert result.exit_code == 4, result.output
    lines = [line for line in result.output.splitlines() if "NoCredentialsError" in line]
    assert len(lines) == 1, result.output
    n = len(orjson.loads((tmp_path / "findings.asff.json").read_bytes()))
    assert f"{math.ceil(n / 100)} of {math.ceil(n / 100)} call(s) failed, {n} finding(s) not imported" in lines[0]
    assert "reporter doctor" in result.output
    assert f"0 of {n} finding(s) imported" in result.output


def test_every_partitions_region_is_a_region_name() -> None:
    # The European Sovereign Cloud's regions (aws-eusc) start with four letters.
    for region in ("eu-west-1", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "eusc-de-east-1"):
        assert check_region(region) == region
    for bad in ("x", "eu-west", "EU-WEST-1", "eu-west-1 ", "eu_west_1"):
        with pytest.raises(SecurityHubError):
            check_region(bad)


def test_a_region_of_another_partition_is_refused_before_any_call(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def record(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append(operation_name)
        raise AssertionError("no call should be made")

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    args = ["report", str(demo_snapshot_dir()), "--out", str(tmp_path), "-f", "asff", "--no-history"]
    result = runner.invoke(
        app, [*args, "--fail-on", "never", "--to-security-hub", "--security-hub-region", "cn-north-1"]
    )
    assert result.exit_code == 4, result.output  # the pack is written; nothing was imported
    lines = [line for line in result.output.splitlines() if "cn-north-1" in line]
    assert len(lines) == 1 and "aws-cn" in lines[0] and "partition aws" in lines[0], result.output
    assert calls == []
