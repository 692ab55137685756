"""The monthly job against moto: the generated IAM policy equals the calls the collector makes,
`run` exit code 3 on an incomplete collection, the evidence chain recorded by the collector from
the history, and `--output-bucket` uploads with SSE and the manifest digest as metadata."""

from __future__ import annotations

import ast
import gzip
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import moto_gaps
import pytest
from botocore.client import BaseClient
from monthly import write_month
from moto import mock_aws
from moto_world import ROLE, World, fixed_clock, no_sleep, options
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.collect import collect
from reporter.collect.iam_policy import COLLECTOR_ACTIONS, actions, iam_action, policy_document
from reporter.publish.upload import parse_target, snapshot_archive
from reporter.snapshot.reader import Snapshot

runner = CliRunner()
COLLECT_SOURCES = Path(__file__).resolve().parents[2] / "reporter" / "collect"


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation any botocore client makes, as an IAM action name."""
    called: list[str] = []
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        called.append(iam_action(self.meta.service_model.endpoint_prefix, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return called


def test_policy_lists_exactly_the_actions_the_collector_calls(
    world: World, recorder: list[str], tmp_path: Path
) -> None:
    summary = collect(options(tmp_path / "snap"), clock=fixed_clock, sleep=no_sleep)
    # The world refuses one member's role (by design); every other call succeeded.
    assert [a.api for a in summary.manifest.artifacts if a.status == "error"] == ["sts:AssumeRole"]
    called = set(recorder)
    # The caller's own statement covers AssumeRole; the evidence statement covers the rest.
    assert "sts:AssumeRole" in called
    document = policy_document(role_name=ROLE)
    evidence, assume = document["Statement"]
    assert set(evidence["Action"]) == called - {"sts:AssumeRole"}
    assert assume["Action"] == ["sts:AssumeRole"]
    assert evidence["Action"] == actions("lookup") == sorted(evidence["Action"])


def test_every_api_the_collector_records_is_in_the_list() -> None:
    """Derived from the collector's code: every `api="service:Operation"` it writes into a manifest."""
    named = set()
    for path in COLLECT_SOURCES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "api"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                named.add(node.value.value)
    listed = {a.action for a in COLLECTOR_ACTIONS} | {"sts:AssumeRole"}
    assert named and named <= listed, sorted(named - listed)


def test_iam_policy_cli_variants() -> None:
    lookup = json.loads(runner.invoke(app, ["iam-policy"]).output)
    assert len(lookup["Statement"]) == 1 and "cloudtrail:LookupEvents" in lookup["Statement"][0]["Action"]
    s3 = json.loads(runner.invoke(app, ["iam-policy", "--root-events", "s3", "--role-name", "Audit"]).output)
    assert (
        "s3:GetObject" in s3["Statement"][0]["Action"] and "cloudtrail:LookupEvents" not in s3["Statement"][0]["Action"]
    )
    assert s3["Statement"][1]["Resource"] == "arn:aws:iam::*:role/Audit"
    assert runner.invoke(app, ["iam-policy", "--root-events", "ftp"]).exit_code == 2


def test_run_chains_to_the_history_and_exits_3_when_incomplete(world: World, tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    common = [
        "--regions",
        "us-east-1",
        "--quiet",
        "-f",
        "json",
        "--history",
        str(history),
        "--fail-on",
        "never",
        "--max-attempts",
        "1",
    ]
    first = runner.invoke(
        app, ["run", "--out", str(tmp_path / "{period}"), "--period", "2026-09", "--accounts", world.prod, *common]
    )
    assert first.exit_code == 0, first.output
    digest = Snapshot.open(tmp_path / "2026-09/snapshot").digest
    moto_gaps.fail(world.prod, "us-east-1", "GetAccountSummary", "AccessDenied")
    try:
        second = runner.invoke(
            app, ["run", "--out", str(tmp_path / "{period}"), "--period", "2026-10", "--accounts", world.prod, *common]
        )
    finally:
        moto_gaps.unthrottle(world.prod, "us-east-1", "GetAccountSummary")
    assert second.exit_code == 3, second.output
    assert "collection incomplete, 1 error artifact(s)" in second.output
    snapshot = Snapshot.open(tmp_path / "2026-10/snapshot")
    assert snapshot.manifest.previous_manifest_sha256 == digest  # the evidence chain
    doc = json.loads((tmp_path / "2026-10/findings.json").read_text())
    assert doc["drift"]["previous"]["month"] == "2026-09"
    chained = runner.invoke(app, ["verify", str(tmp_path / "2026-09"), str(tmp_path / "2026-10")])
    assert chained.exit_code == 0, chained.output


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="audit-packs")
        yield client


def test_upload_with_sse_and_digest_metadata(s3: Any, tmp_path: Path) -> None:
    snap = write_month(tmp_path / "snap", "2026-09")
    result = runner.invoke(
        app,
        [
            "report",
            str(snap.root),
            "--out",
            str(tmp_path / "pack"),
            "-f",
            "json",
            "-f",
            "xlsx",
            "--no-history",
            "--fail-on",
            "never",
            "--output-bucket",
            "s3://audit-packs/org/",
        ],
    )
    assert result.exit_code == 0, result.output
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="audit-packs")["Contents"])
    assert keys == [
        "org/2026-09/evidence-2026-09.xlsx",
        "org/2026-09/findings.json",
        "org/2026-09/pack-manifest.json",
        "org/2026-09/snapshot-2026-09.tar.gz",
    ]
    for key in keys:
        head = s3.head_object(Bucket="audit-packs", Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        assert head["Metadata"]["manifest-sha256"] == snap.digest and head["Metadata"]["period"] == "2026-09"
    body = s3.get_object(Bucket="audit-packs", Key="org/2026-09/findings.json")["Body"].read()
    assert body == (tmp_path / "pack/findings.json").read_bytes()
    archive = s3.get_object(Bucket="audit-packs", Key="org/2026-09/snapshot-2026-09.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive))) as tar:
        names = tar.getnames()
        assert "snapshot/manifest.json" in names
        assert tar.extractfile("snapshot/manifest.json").read() == snap.manifest_bytes  # type: ignore[union-attr]
    assert archive == snapshot_archive(snap.root, snap.manifest.as_of)  # reproducible


def test_upload_with_kms_and_a_failing_bucket(s3: Any, tmp_path: Path) -> None:
    key_id = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
    snap = write_month(tmp_path / "snap", "2026-09")
    result = runner.invoke(
        app,
        [
            "report",
            str(snap.root),
            "--out",
            str(tmp_path / "pack"),
            "-f",
            "json",
            "--no-history",
            "--output-bucket",
            "s3://audit-packs",
            "--sse-kms-key-id",
            key_id,
        ],
    )
    assert result.exit_code == 1, result.output  # uploaded; the FAILs still decide the exit code
    head = s3.head_object(Bucket="audit-packs", Key="2026-09/findings.json")
    assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]
    missing = runner.invoke(
        app,
        [
            "report",
            str(snap.root),
            "--out",
            str(tmp_path / "pack2"),
            "-f",
            "json",
            "--no-history",
            "--output-bucket",
            "s3://no-such-bucket/x",
        ],
    )
    assert missing.exit_code == 4 and "no-such-bucket" in missing.output
    assert (tmp_path / "pack2/findings.json").exists()  # the pack itself is complete locally
    assert parse_target("s3://bkt/p", kms_key_id="k").sse == "aws:kms"
