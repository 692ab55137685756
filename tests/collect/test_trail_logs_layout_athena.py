"""Key layout, period window, Athena SQL/DDL and the mapping of result rows back to records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from trail_logs_scenario import END, EXPECTED, START, A, B, console_login

from reporter.collect.trail_logs.athena import (
    COLUMNS,
    Polling,
    athena_ddl,
    record_to_row,
    root_events_sql,
    row_to_record,
    run_root_events_query,
)
from reporter.collect.trail_logs.layout import parse_log_key, window_days


def test_parse_log_key_org_account_and_digest() -> None:
    info = parse_log_key("p/AWSLogs/o-aa11bb22cc/111111111111/CloudTrail/eu-west-1/2026/10/03/x.json.gz")
    assert info is not None and (info.org_id, info.account, info.region, info.day, info.is_digest) == (
        "o-aa11bb22cc",
        "111111111111",
        "eu-west-1",
        date(2026, 10, 3),
        False,
    )
    digest = parse_log_key("AWSLogs/222222222222/CloudTrail-Digest/us-east-1/2026/10/03/d.json.gz")
    assert digest is not None and digest.org_id is None and digest.is_digest
    assert parse_log_key("AWSLogs/222222222222/CloudTrail/us-east-1/2026/13/03/x.json.gz") is None
    assert parse_log_key("random/file.json.gz") is None


def test_window_is_the_period_plus_one_day_each_side() -> None:
    assert window_days(START, END) == (date(2026, 9, 30), date(2026, 11, 1))
    assert window_days(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 1, 0, 0, 1, tzinfo=UTC)) == (
        date(2026, 9, 30),
        date(2026, 10, 2),
    )
    with pytest.raises(ValueError, match="empty period"):
        window_days(END, START)


def test_sql_restricts_partitions_and_root() -> None:
    sql = root_events_sql("trail.logs", accounts=[B, A], regions=["us-east-1"], start=START, end=END)
    assert 'FROM "trail"."logs"' in sql
    assert f"account IN ('{A}', '{B}')" in sql and "region IN ('us-east-1')" in sql
    assert "\"timestamp\" BETWEEN '2026/09/30' AND '2026/11/01'" in sql
    assert "useridentity.type = 'Root'" in sql
    assert "eventtime >= '2026-10-01T00:00:00Z'" in sql and "eventtime < '2026-11-01T00:00:00Z'" in sql
    assert 'json_format(CAST("useridentity" AS JSON)) AS "useridentity"' in sql
    with pytest.raises(ValueError, match="DATABASE.TABLE"):
        root_events_sql("logs; DROP TABLE x", accounts=[A], regions=None, start=START, end=END)


def test_ddl_projects_partitions_over_the_org_layout() -> None:
    ddl = athena_ddl(
        "trail.logs",
        bucket="bkt",
        prefix="/trails/",
        org_id="o-aa11bb22cc",
        accounts=[A, B],
        regions=["us-east-1", "eu-west-1"],
    )
    assert ddl.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `trail`.`logs` (")
    assert "LOCATION 's3://bkt/trails/AWSLogs/o-aa11bb22cc/'" in ddl
    assert (
        "'storage.location.template'='s3://bkt/trails/AWSLogs/o-aa11bb22cc/${account}/CloudTrail/${region}/${timestamp}'"
        in ddl
    )
    assert f"'projection.account.values'='{A},{B}'" in ddl
    assert "'projection.region.values'='eu-west-1,us-east-1'" in ddl
    assert "'projection.timestamp.format'='yyyy/MM/dd'" in ddl
    assert "PARTITIONED BY (`account` string, `region` string, `timestamp` string)" in ddl
    assert all(f"`{name.lower()}`" in ddl for name, _ in COLUMNS)
    injected = athena_ddl("trail.logs", bucket="bkt")
    assert "'projection.account.type'='injected'" in injected and "LOCATION 's3://bkt/AWSLogs/'" in injected


@pytest.mark.parametrize("record", [*EXPECTED[A], *EXPECTED[B], console_login(A, "c", "2026-10-01T00:00:00Z")])
def test_rows_map_back_to_the_raw_record(record: dict[str, Any]) -> None:
    raw = orjson.loads(orjson.dumps(record))
    assert row_to_record(record_to_row(raw)) == raw
    assert list(row_to_record(record_to_row(raw))) == [k for k, _ in COLUMNS if k in raw]  # CloudTrail's order


def test_athena_struct_json_with_unknown_and_null_fields() -> None:
    row = {
        "useridentity": orjson.dumps(
            {
                "type": "Root",
                "principalid": "1",
                "arn": None,
                "newfield": "x",
                "sessioncontext": {
                    "attributes": {"mfaauthenticated": "true", "creationdate": None},
                    "sessionissuer": None,
                },
            }
        ).decode(),
        "eventid": "e",
        "readonly": "false",
        "requestparameters": '{"a":[1,{"b":null}]}',
    }
    record = row_to_record(row)
    assert record["userIdentity"] == {
        "type": "Root",
        "principalId": "1",
        "sessionContext": {"attributes": {"mfaAuthenticated": "true"}},
        "newfield": "x",
    }
    assert record["readOnly"] is False and record["requestParameters"] == {"a": [1, {"b": None}]}
    assert record["responseElements"] is None


class PagingAthena:
    """Two result pages and a query that is RUNNING once before it succeeds."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        names = [c.lower() for c, _ in COLUMNS] + ["account", "region"]
        rows = [{"Data": [{"VarCharValue": n} for n in names]}]
        for r in records:
            row = record_to_row(r) | {"account": r["recipientAccountId"], "region": r["awsRegion"]}
            rows.append({"Data": [{"VarCharValue": row[n]} if row[n] is not None else {} for n in names]})
        meta = {"ColumnInfo": [{"Name": n} for n in names]}
        self.pages = [
            {"ResultSet": {"Rows": rows[:3], "ResultSetMetadata": meta}},
            {"ResultSet": {"Rows": rows[3:], "ResultSetMetadata": meta}},
        ]
        self.states = ["RUNNING", "SUCCEEDED"]
        self.started: dict[str, Any] = {}

    def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.started = kwargs
        return {"QueryExecutionId": "q-9"}

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        return {"QueryExecution": {"Status": {"State": self.states.pop(0)}}}

    def get_paginator(self, name: str) -> Any:
        pages = self.pages

        class Paginator:
            def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                return pages

        return Paginator()


def test_run_polls_and_pages() -> None:
    records = [orjson.loads(orjson.dumps(r)) for r in EXPECTED[A] + EXPECTED[B]]
    client, sleeps = PagingAthena(records), []
    result = run_root_events_query(
        client,
        "db.t",
        workgroup="wg",
        output_location="s3://o/",
        accounts=[A, B],
        regions=None,
        start=START,
        end=END,
        polling=Polling(interval_seconds=0.5, sleep=sleeps.append),
    )
    assert result.records == records and result.query_execution_id == "q-9" and sleeps == [0.5]
    assert client.started["WorkGroup"] == "wg" and client.started["QueryExecutionContext"] == {"Database": "db"}
    assert client.started["ResultConfiguration"] == {"OutputLocation": "s3://o/"}
