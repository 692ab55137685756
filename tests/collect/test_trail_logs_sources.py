"""S3 layout (moto), local folder and Athena (moto, queued results) give the same root events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import orjson
import pytest
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID
from trail_logs_scenario import (
    BAD_KEYS,
    END,
    EXPECTED,
    ORG,
    REGIONS,
    START,
    A,
    B,
    fixed_clock,
    objects,
    write_folder,
)

from reporter.collect.trail_logs import collect_from_athena, collect_from_dir, collect_from_s3
from reporter.collect.trail_logs.athena import COLUMNS, Polling, record_to_row
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.writer import SnapshotWriter

BUCKET = "org-trail-bucket"


def _writer(out: Path) -> SnapshotWriter:
    writer = SnapshotWriter(out, tool_version="test", period_start=START, period_end=END, as_of=fixed_clock())
    for account in (A, B):
        writer.add_account(account, regions=REGIONS)
    return writer


def _root_events(snapshot: Snapshot, account: str, api: str) -> list[dict[str, Any]]:
    [artifact] = [a for a in snapshot.manifest.artifacts_for(account=account, api=api) if a.status == "ok"]
    return [orjson.loads(line) for line in snapshot.read(artifact).splitlines()]


def _expected_lookup_shape(account: str) -> list[dict[str, Any]]:
    # What LookupEvents hands over: the CloudTrailEvent string, parsed.
    return [orjson.loads(orjson.dumps(r)) for r in EXPECTED[account]]


@pytest.fixture
def s3_bucket():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for name, data in objects().items():
            s3.put_object(Bucket=BUCKET, Key=f"trails/{name}", Body=data)
        yield s3


def test_s3_scan_writes_the_period_root_events_per_account(s3_bucket, tmp_path):
    writer = _writer(tmp_path / "snap")
    summary = collect_from_s3(
        writer,
        s3=s3_bucket,
        bucket=BUCKET,
        prefix="trails",
        accounts=[A, B],
        regions=None,
        start=START,
        end=END,
        clock=fixed_clock,
        workers=0,
        io_threads=4,
    )
    writer.finalize(collected_at=fixed_clock())
    snap = Snapshot.open(tmp_path / "snap")

    for account in (A, B):
        assert _root_events(snap, account, "s3:GetObject") == _expected_lookup_shape(account)
    assert summary.root_events == 6

    [a_events] = snap.manifest.artifacts_for(account=A, api="s3:GetObject")
    assert a_events.path == f"accounts/{A}/cloudtrail/root_events.jsonl"
    assert a_events.params["Bucket"] == BUCKET and a_events.params["Prefix"] == "trails"
    assert a_events.params["regions"] == ["eu-west-1", "us-east-1"]
    assert (
        a_events.params["StartTime"] == "2026-10-01T00:00:00Z" and a_events.params["EndTime"] == "2026-11-01T00:00:00Z"
    )
    assert a_events.params["digests"] == 1 and a_events.region is None

    # Only the period ±1 day is listed (09/30 .. 11/01): the 09/28 and 11/03 folders never are.
    [listing] = snap.manifest.artifacts_for(account=A, api="s3:ListObjectsV2")
    entries = orjson.loads(snap.read(listing))["objects"]
    keys = [e["key"] for e in entries]
    assert not any("/2026/09/28/" in k or "/2026/11/03/" in k for k in keys)
    assert any("/2026/09/30/" in k for k in keys) and any("/2026/11/01/" in k for k in keys)
    assert all(k.startswith(f"trails/AWSLogs/{ORG}/{A}/") for k in keys)
    digests = [e for e in entries if e["digest"]]
    assert len(digests) == 1 and "CloudTrail-Digest/" in digests[0]["key"] and "parsed" not in digests[0]
    assert all(e["etag"] for e in entries)
    # Decoy-only and Root-free files are cleared by the byte pre-filter, never parsed.
    assert {e["key"].rsplit("_", 1)[1]: e["parsed"] for e in entries if not e["digest"]}["eu.json.gz"] is True
    assert a_events.params["objects"] == 6


def test_s3_damaged_objects_become_error_artifacts_and_the_scan_goes_on(s3_bucket, tmp_path):
    writer = _writer(tmp_path / "snap")
    collect_from_s3(
        writer,
        s3=s3_bucket,
        bucket=BUCKET,
        prefix="trails/",
        accounts=[A, B],
        regions={A: REGIONS, B: REGIONS},
        start=START,
        end=END,
        clock=fixed_clock,
        workers=0,
    )
    writer.finalize(collected_at=fixed_clock())
    snap = Snapshot.open(tmp_path / "snap")
    errors = [a for a in snap.manifest.artifacts_for(account=B, api="s3:GetObject") if a.status == "error"]
    by_kind = {a.params["Key"].rsplit("_", 1)[1].removesuffix(".json.gz"): a for a in errors}
    assert {k: a.error.code for k, a in by_kind.items()} == BAD_KEYS
    assert by_kind["corrupt"].region == "eu-west-1" and by_kind["corrupt"].params["regions"] == ["eu-west-1"]
    assert by_kind["corrupt"].params["Key"] in by_kind["corrupt"].error.message
    # The good files of the same account were still read.
    assert _root_events(snap, B, "s3:GetObject") == _expected_lookup_shape(B)
    [b_events] = [a for a in snap.manifest.artifacts_for(account=B, api="s3:GetObject") if a.status == "ok"]
    assert b_events.params["objects_failed"] == 3


def test_s3_scan_with_worker_processes_gives_the_same_answer(s3_bucket, tmp_path):
    writer = _writer(tmp_path / "snap")
    collect_from_s3(
        writer,
        s3=s3_bucket,
        bucket=BUCKET,
        prefix="trails",
        accounts=[A],
        regions=None,
        start=START,
        end=END,
        clock=fixed_clock,
        workers=2,
        io_threads=3,
    )
    writer.finalize(collected_at=fixed_clock())
    assert _root_events(Snapshot.open(tmp_path / "snap"), A, "s3:GetObject") == _expected_lookup_shape(A)


def test_s3_listing_failure_is_an_error_artifact(tmp_path):
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        writer = _writer(tmp_path / "snap")
        collect_from_s3(
            writer,
            s3=s3,
            bucket="no-such-bucket",
            prefix=None,
            accounts=[A],
            regions=None,
            start=START,
            end=END,
            clock=fixed_clock,
            workers=0,
        )
    [error] = writer._artifacts
    assert error.status == "error" and error.error.code == "NoSuchBucket" and error.account == A


def test_local_folder_scan_matches_s3(tmp_path):
    folder = write_folder(tmp_path / "logs")
    writer = _writer(tmp_path / "snap")
    collect_from_dir(writer, directory=folder, accounts=[A, B], start=START, end=END, clock=fixed_clock, workers=0)
    writer.finalize(collected_at=fixed_clock())
    snap = Snapshot.open(tmp_path / "snap")
    for account in (A, B):
        assert _root_events(snap, account, "file:read") == _expected_lookup_shape(account)
    [listing] = snap.manifest.artifacts_for(account=A, api="file:list")
    entries = orjson.loads(snap.read(listing))["objects"]
    assert all(len(e["sha256"]) == 64 for e in entries if not e["digest"])
    errors = [a for a in snap.manifest.artifacts_for(account=B, api="file:read") if a.status == "error"]
    assert sorted(a.error.code for a in errors) == sorted(BAD_KEYS.values())
    assert errors[0].params["Directory"] == str(folder)


def _queue_athena_result(records: list[dict[str, Any]], region: str = "us-east-1") -> None:
    names = [c.lower() for c, _ in COLUMNS] + ["account", "region"]
    column_info = [{"Name": n, "Type": "varchar"} for n in names]
    header = {"Data": [{"VarCharValue": n} for n in names]}
    rows = [header]
    for record in records:
        row = record_to_row(record)
        row.update(account=record["recipientAccountId"], region=record["awsRegion"])
        rows.append({"Data": [{"VarCharValue": row[n]} if row[n] is not None else {} for n in names]})
    athena_backends[DEFAULT_ACCOUNT_ID][region].query_results_queue.append(QueryResults(rows, column_info))


def test_athena_gives_the_same_root_events_as_s3_and_lookup(s3_bucket, tmp_path):
    athena = boto3.client("athena", region_name="us-east-1")
    athena.create_work_group(Name="audit", Configuration={"ResultConfiguration": {"OutputLocation": "s3://out/"}})
    # What Athena returns for the query: the period's Root records (plus one the SQL's
    # eventtime bound would have excluded, to prove the result is checked again here).
    from trail_logs_scenario import OUTSIDE

    _queue_athena_result(EXPECTED[A] + EXPECTED[B] + [OUTSIDE["at-end"], EXPECTED[B][0]])
    writer = _writer(tmp_path / "athena")
    summary = collect_from_athena(
        writer,
        athena=athena,
        table="cloudtrail.org_logs",
        workgroup="audit",
        output_location="s3://out/",
        accounts=[A, B],
        regions=REGIONS,
        start=START,
        end=END,
        clock=fixed_clock,
        polling=Polling(sleep=lambda s: None),
    )
    writer.finalize(collected_at=fixed_clock())
    snap = Snapshot.open(tmp_path / "athena")

    s3_writer = _writer(tmp_path / "s3")
    collect_from_s3(
        s3_writer,
        s3=s3_bucket,
        bucket=BUCKET,
        prefix="trails",
        accounts=[A, B],
        regions=None,
        start=START,
        end=END,
        clock=fixed_clock,
        workers=0,
    )
    s3_writer.finalize(collected_at=fixed_clock())
    s3_snap = Snapshot.open(tmp_path / "s3")

    assert summary.root_events == 6
    for account in (A, B):
        from_athena = _root_events(snap, account, "athena:GetQueryResults")
        assert from_athena == _root_events(s3_snap, account, "s3:GetObject") == _expected_lookup_shape(account)
    [art] = snap.manifest.artifacts_for(account=A, api="athena:GetQueryResults")
    assert art.params["regions"] == REGIONS and art.params["Table"] == "cloudtrail.org_logs"
    assert "useridentity.type = 'Root'" in art.params["Query"]
    assert "\"timestamp\" BETWEEN '2026/09/30' AND '2026/11/01'" in art.params["Query"]
    [query] = snap.manifest.artifacts_for(account=A, api="athena:GetQueryExecution")
    assert orjson.loads(snap.read(query))["QueryExecutionId"] == art.params["QueryExecutionId"]


def test_athena_failed_query_is_an_error_artifact(tmp_path):
    class FailingAthena:
        def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
            return {"QueryExecutionId": "q-1"}

        def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
            return {"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND"}}}

    writer = _writer(tmp_path / "snap")
    collect_from_athena(
        writer,
        athena=FailingAthena(),
        table="db.t",
        workgroup="wg",
        output_location=None,
        accounts=[A],
        regions=REGIONS,
        start=START,
        end=END,
        clock=fixed_clock,
        polling=Polling(sleep=lambda s: None),
    )
    [error] = writer._artifacts
    assert error.api == "athena:GetQueryResults" and error.error.code == "QueryFailed"
    assert "TABLE_NOT_FOUND" in error.error.message and error.params["QueryExecutionId"] == "q-1"


def test_credentials_in_root_records_never_reach_the_snapshot(tmp_path):
    from trail_logs_scenario import gz_records, root

    token = root(
        A,
        "a-token",
        "2026-10-09T10:00:00Z",
        eventName="GetSessionToken",
        eventSource="sts.amazonaws.com",
        responseElements={
            "credentials": {
                "accessKeyId": "ASIAXMPL",
                "sessionToken": "SECRET-TOKEN-VALUE",
                "secretAccessKey": "SECRET-KEY-VALUE",
            }
        },
    )
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "one.json.gz").write_bytes(gz_records([token]))
    writer = _writer(tmp_path / "snap")
    collect_from_dir(writer, directory=folder, accounts=[A], start=START, end=END, clock=fixed_clock, workers=0)
    writer.finalize(collected_at=fixed_clock())
    [record] = _root_events(Snapshot.open(tmp_path / "snap"), A, "file:read")
    assert record["eventID"] == "a-token"
    assert record["responseElements"]["credentials"]["accessKeyId"] == "ASIAXMPL"
    blob = b"".join(p.read_bytes() for p in (tmp_path / "snap").rglob("*") if p.is_file())
    assert b"SECRET-TOKEN-VALUE" not in blob and b"SECRET-KEY-VALUE" not in blob
