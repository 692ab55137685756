"""--to-security-hub: BatchImportFindings in batches of 100 into moto's Security Hub, every refusal
reported by finding id, exit 4 when anything was refused."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import boto3
import moto_gaps
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
from reporter.publish.security_hub import Refused, SecurityHubError, check_region, import_findings, sync_workflow
from reporter.render.asff import asff_findings
from reporter.snapshot.reader import Snapshot

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_findings() -> list[dict[str, Any]]:
    return asff_findings(build_pack(Snapshot.open(demo_snapshot_dir())), "eu-west-1")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    moto_gaps.install()  # Security Hub as AWS has it: Workflow kept on re-import, BatchUpdateFindings
    moto_gaps.reset()
    with mock_aws():
        client = boto3.client("securityhub", region_name="eu-west-1")
        client.enable_security_hub()
        yield client
    moto_gaps.reset()


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
    # A configuration error, found once the snapshot says its partition: nothing rendered, nothing imported.
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "cn-north-1" in line]
    assert len(lines) == 1 and "aws-cn" in lines[0] and "partition aws" in lines[0], result.output
    assert "Traceback" not in result.output
    assert calls == []
    assert list(tmp_path.rglob("*.json")) == []


def workflows(client: Any) -> dict[str, str]:
    return {f["Id"]: f.get("Workflow", {}).get("Status", "NEW") for f in stored(client)}


def test_a_reimport_brings_the_workflow_to_the_packs_and_leaves_a_persons_triage(
    hub: Any, demo_findings: list[dict[str, Any]]
) -> None:
    # Security Hub keeps a finding's Workflow on re-import (moto_gaps does as AWS does), so each
    # month's import must set what the pack decides, and only that.
    fails = [f for f in demo_findings if f["Compliance"]["Status"] == "FAILED"]
    passes = [f for f in demo_findings if f["Compliance"]["Status"] == "PASSED"]
    expired, triaged, fixed = fails[0], fails[1], passes[0]
    assert {expired["Workflow"]["Status"], triaged["Workflow"]["Status"], fixed["Workflow"]["Status"]} == {
        "NEW",
        "RESOLVED",
    }
    last_month = {  # last month: `expired` was under a risk acceptance, `fixed` still failed
        expired["Id"]: {**expired, "Workflow": {"Status": "SUPPRESSED"}},
        fixed["Id"]: {**fixed, "Compliance": {"Status": "FAILED"}, "Workflow": {"Status": "NEW"}},
    }
    previous = [last_month.get(f["Id"], f) for f in demo_findings]
    first = import_findings(previous, hub, "eu-west-1")
    sync_workflow(previous, hub, first)
    assert first.workflow_set == {}  # a new finding takes its Workflow from the import
    hub.batch_update_findings(
        FindingIdentifiers=[{"Id": triaged["Id"], "ProductArn": triaged["ProductArn"]}],
        Workflow={"Status": "NOTIFIED"},
        Note={"Text": "owner told", "UpdatedBy": "alice"},
    )
    assert workflows(hub)[expired["Id"]] == "SUPPRESSED"

    second = import_findings(demo_findings, hub, "eu-west-1")
    before = workflows(hub)
    assert (before[expired["Id"]], before[fixed["Id"]]) == ("SUPPRESSED", "NEW")  # what the import alone leaves
    sync_workflow(demo_findings, hub, second)

    after = workflows(hub)
    assert after[expired["Id"]] == "NEW"  # the acceptance expired: an open FAIL is never left suppressed
    assert after[fixed["Id"]] == "RESOLVED"
    assert after[triaged["Id"]] == "NOTIFIED"  # somebody's triage of a finding still open
    assert second.workflow_set == {"NEW": 1, "RESOLVED": 1} and second.workflow_failed == []
    assert {k: v for k, v in after.items() if k not in (expired["Id"], fixed["Id"])} == {
        k: v for k, v in before.items() if k not in (expired["Id"], fixed["Id"])
    }
    note = next(f for f in stored(hub) if f["Id"] == expired["Id"])["Note"]
    digest = expired["ProductFields"]["reporter/manifest_sha256"]
    assert note["UpdatedBy"] == "compliance-reporter" and digest in note["Text"] and "open" in note["Text"]


def test_an_accepted_fail_is_suppressed_on_reimport(hub: Any, demo_findings: list[dict[str, Any]]) -> None:
    fail = next(f for f in demo_findings if f["Compliance"]["Status"] == "FAILED")
    import_findings([fail], hub, "eu-west-1")
    accepted = {**fail, "Workflow": {"Status": "SUPPRESSED"}}
    result = import_findings([accepted], hub, "eu-west-1")
    sync_workflow([accepted], hub, result)
    assert workflows(hub) == {fail["Id"]: "SUPPRESSED"} and result.workflow_set == {"SUPPRESSED": 1}


def test_a_workflow_that_cannot_be_read_or_set_exits_4_with_one_line(
    hub: Any, tmp_path: Any, demo_findings: list[dict[str, Any]]
) -> None:
    args = ["report", str(demo_snapshot_dir()), "--no-history", "-f", "asff", "--fail-on", "never"]
    hub_args = ["--to-security-hub", "--security-hub-region", "eu-west-1"]
    moto_gaps.fail("123456789012", "eu-west-1", "GetFindings", code="AccessDeniedException")
    denied = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), *hub_args])
    assert denied.exit_code == 4, denied.output
    lines = [line for line in denied.output.splitlines() if "GetFindings" in line and "AccessDenied" in line]
    assert len(lines) == 1 and "could not read" in lines[0], denied.output
    assert "securityhub:GetFindings" in denied.output  # the hint names the permission
    assert "Traceback" not in denied.output
    moto_gaps.unthrottle("123456789012", "eu-west-1", "GetFindings")

    # A second pack: the stored findings now differ from it, and the update call fails.
    fail = next(f for f in demo_findings if f["Compliance"]["Status"] == "FAILED")
    pk = {"Id": fail["Id"], "ProductArn": fail["ProductArn"]}
    hub.batch_update_findings(FindingIdentifiers=[pk], Workflow={"Status": "SUPPRESSED"})
    moto_gaps.fail("123456789012", "eu-west-1", "BatchUpdateFindings", code="ThrottlingException")
    throttled = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), *hub_args])
    assert throttled.exit_code == 4, throttled.output
    lines = [line for line in throttled.output.splitlines() if "ThrottlingException" in line]
    assert len(lines) == 1 and "1 finding(s) left in a workflow the pack contradicts" in lines[0], throttled.output
    moto_gaps.unthrottle("123456789012", "eu-west-1", "BatchUpdateFindings")
    fixed = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), *hub_args])
    assert fixed.exit_code == 0 and "workflow set: 1 NEW" in fixed.output, fixed.output
    assert workflows(hub)[fail["Id"]] == "NEW"


def test_the_workflow_read_asks_only_for_the_imported_accounts_20_a_call(demo_findings: list[dict[str, Any]]) -> None:
    # A delegated administrator's hub holds every member's findings: read only those imported.
    accounts = [f"{n:012d}" for n in range(1, 26)]
    findings = [
        {**demo_findings[0], "AwsAccountId": a, "ProductArn": f"{demo_findings[0]['ProductArn']}-{a}"} for a in accounts
    ]
    client = boto3.client("securityhub", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    result = import_findings([], client, "eu-west-1")
    with Stubber(client) as stub:
        for chunk in (accounts[:20], accounts[20:]):
            filters = {
                "Id": [{"Value": "reporter/", "Comparison": "PREFIX"}],
                "AwsAccountId": [{"Value": a, "Comparison": "EQUALS"} for a in chunk],
            }
            stub.add_response("get_findings", {"Findings": []}, {"Filters": filters, "MaxResults": 100})
        sync_workflow(findings, client, result)
        stub.assert_no_pending_responses()
    assert result.workflow_failed == [] and result.workflow_set == {}
