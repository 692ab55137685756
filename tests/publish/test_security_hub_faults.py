"""The workflow calls of --to-security-hub (GetFindings, BatchUpdateFindings) through the fault
proxy in front of a ThreadedMotoServer: whatever a call fails with (an HTML error page, a dropped
or cut connection, an expired token, a stall past the read timeout), it is recorded as the
finding's or the read's failure, and nothing escapes `sync_workflow`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import moto_gaps
import pytest
from chaos.fault_proxy import FaultProxy
from moto.iam.models import get_account_id_from
from moto_scenario import moto_server

from reporter.cli import pack_commands
from reporter.collect import options
from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.publish.security_hub import import_findings, sync_workflow
from reporter.render.asff import asff_findings
from reporter.snapshot.reader import Snapshot

KINDS = ("html_5xx", "dropped", "truncated", "expired", "stalled")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    moto_gaps.install()
    moto_gaps.reset()
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            env.setenv(name, value)
        env.setenv("AWS_CONFIG_FILE", "/dev/null")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        env.delenv("AWS_PROFILE", raising=False)
        with moto_server() as url:
            boto3.client("securityhub", region_name="eu-west-1", endpoint_url=url).enable_security_hub()
            yield url
    moto_gaps.reset()


def client(url: str) -> Any:
    """The client `--to-security-hub` makes, at this endpoint, failing fast: one retry, 0.5 s to read."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", url)
        env.setattr(pack_commands, "PUBLISH_RETRIES", 1)
        env.setattr(options, "READ_TIMEOUT", 0.5)
        return pack_commands.publish_client(None, "securityhub", "eu-west-1")


class Split:
    """Reads from one endpoint, updates through another: a fault on the update call alone."""

    def __init__(self, reads: Any, writes: Any) -> None:
        self.reads, self.writes = reads, writes

    def get_paginator(self, name: str) -> Any:
        return self.reads.get_paginator(name)

    def batch_update_findings(self, **params: Any) -> Any:
        return self.writes.batch_update_findings(**params)


@pytest.mark.parametrize("stage", ["read", "update"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_fault_on_a_workflow_call_is_recorded_and_never_raised(server: str, kind: str, stage: str) -> None:
    findings = asff_findings(build_pack(Snapshot.open(demo_snapshot_dir())), "eu-west-1")
    direct = client(server)
    fail = next(f for f in findings if f["Compliance"]["Status"] == "FAILED")
    import_findings(findings, direct, "eu-west-1")
    # Left SUPPRESSED by an earlier pack: this pack's import must set it back to NEW.
    pk = {"Id": fail["Id"], "ProductArn": fail["ProductArn"]}
    direct.batch_update_findings(FindingIdentifiers=[pk], Workflow={"Status": "SUPPRESSED"})
    result = import_findings(findings, direct, "eu-west-1")
    assert result.refused == []

    proxy = FaultProxy(server, seed=1, rate=1.0, stall=1.0, account_of=get_account_id_from, kinds=(kind,))
    try:
        faulty = client(proxy.url)
        sync_workflow(findings, faulty if stage == "read" else Split(direct, faulty), result)
    finally:
        proxy.close()

    assert proxy.by_kind()[kind] >= 1
    assert result.workflow_set == {}
    assert len(result.workflow_failed) == 1 and result.workflow_failed[0].call_failed
    failure = result.workflow_failed[0]
    assert failure.finding_id == ("GetFindings" if stage == "read" else fail["Id"])
    assert failure.code and "testing" not in failure.message  # never the caller's key


@pytest.mark.parametrize("kind", KINDS)
def test_a_fault_on_the_import_refuses_its_batch_and_counts_nothing_imported(server: str, kind: str) -> None:
    findings = asff_findings(build_pack(Snapshot.open(demo_snapshot_dir())), "eu-west-1")[:10]
    proxy = FaultProxy(server, seed=1, rate=1.0, stall=1.0, account_of=get_account_id_from, kinds=(kind,))
    try:
        result = import_findings(findings, client(proxy.url), "eu-west-1")
    finally:
        proxy.close()
    # A cut answer parses as `{"message": ...}`: without the guard it read as 10 findings imported.
    assert (result.imported, result.calls) == (0, 1)
    assert [r.finding_id for r in result.refused] == [f["Id"] for f in findings]
    assert all(r.call_failed and r.code for r in result.refused)
    if kind == "truncated":  # named for what happened, after its retries, not as a malformed answer
        assert {r.code for r in result.refused} == {"IncompleteBody"}


class Blank:
    """Answers every call with a well-formed but empty document (what no Security Hub returns)."""

    def batch_import_findings(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_paginator(self, name: str) -> Any:
        class Pages:
            def paginate(self, **_: Any) -> list[dict[str, Any]]:
                return [{}]

        return Pages()


def test_an_answer_without_its_result_is_never_taken_for_success() -> None:
    findings = asff_findings(build_pack(Snapshot.open(demo_snapshot_dir())), "eu-west-1")[:3]
    result = import_findings(findings, Blank(), "eu-west-1")
    assert result.imported == 0 and {r.code for r in result.refused} == {"MalformedAnswer"}
    result.refused.clear()  # as if imported: the workflow read must fail the same way
    sync_workflow(findings, Blank(), result)
    assert [(r.finding_id, r.code) for r in result.workflow_failed] == [("GetFindings", "MalformedAnswer")]
