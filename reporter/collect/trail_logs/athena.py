"""Root records through Athena: the table DDL, the query, and rows back into CloudTrail records.

The table is the one AWS documents for CloudTrail (CloudTrailInputFormat + JsonSerDe), with
partition projection over `account`, `region` and `timestamp` (the day folder), so no
`MSCK REPAIR` or crawler is needed and a query reads only the day folders of the period.

Athena returns every value as a string. Struct and array columns are selected as
`json_format(CAST(col AS JSON))` and the JSON-text columns (requestParameters, …) come back as
the text CloudTrail wrote, so `row_to_record` rebuilds the record dict CloudTrail wrote, with
its camelCase keys, for every field the table declares. A field the table does not declare is
not in the result (Athena never reads it): that is the documented limit of this source.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from reporter.collect.trail_logs.layout import window_days

# (name as CloudTrail writes it, type). Struct fields keep CloudTrail's spelling; Athena folds
# them to lower case, and `_rename` maps them back.
Schema = list[tuple[str, Any]]


def _struct(*fields: tuple[str, Any]) -> tuple[str, Schema]:
    return ("struct", list(fields))


COLUMNS: Schema = [
    ("eventVersion", "string"),
    (
        "userIdentity",
        _struct(
            ("type", "string"),
            ("principalId", "string"),
            ("arn", "string"),
            ("accountId", "string"),
            ("invokedBy", "string"),
            ("accessKeyId", "string"),
            ("userName", "string"),
            ("onBehalfOf", _struct(("userId", "string"), ("identityStoreArn", "string"))),
            (
                "sessionContext",
                _struct(
                    ("attributes", _struct(("mfaAuthenticated", "string"), ("creationDate", "string"))),
                    (
                        "sessionIssuer",
                        _struct(
                            ("type", "string"),
                            ("principalId", "string"),
                            ("arn", "string"),
                            ("accountId", "string"),
                            ("userName", "string"),
                        ),
                    ),
                    ("ec2RoleDelivery", "string"),
                    (
                        "webIdFederationData",
                        _struct(("federatedProvider", "string"), ("attributes", "map<string,string>")),
                    ),
                    ("sourceIdentity", "string"),
                ),
            ),
            ("credentialId", "string"),
        ),
    ),
    ("eventTime", "string"),
    ("eventSource", "string"),
    ("eventName", "string"),
    ("awsRegion", "string"),
    ("sourceIPAddress", "string"),
    ("userAgent", "string"),
    ("errorCode", "string"),
    ("errorMessage", "string"),
    ("requestParameters", "json"),
    ("responseElements", "json"),
    ("additionalEventData", "json"),
    ("requestID", "string"),
    ("eventID", "string"),
    ("readOnly", "boolean_text"),
    ("resources", ("array", _struct(("accountId", "string"), ("type", "string"), ("ARN", "string")))),
    ("eventType", "string"),
    ("apiVersion", "string"),
    ("managementEvent", "boolean_text"),
    ("recipientAccountId", "string"),
    ("serviceEventDetails", "json"),
    ("sharedEventID", "string"),
    ("vpcEndpointId", "string"),
    ("vpcEndpointAccountId", "string"),
    ("eventCategory", "string"),
    (
        "addendum",
        _struct(
            ("reason", "string"),
            ("updatedFields", "string"),
            ("originalRequestID", "string"),
            ("originalEventID", "string"),
        ),
    ),
    ("sessionCredentialFromConsole", "string"),
    ("edgeDeviceDetails", "json"),
    (
        "tlsDetails",
        _struct(("tlsVersion", "string"), ("cipherSuite", "string"), ("clientProvidedHostHeader", "string")),
    ),
]

# Fields CloudTrail writes even when null (an API call with no parameters has
# "requestParameters": null); Athena cannot tell null from absent, so these come back as null.
_ALWAYS_PRESENT = ("requestParameters", "responseElements")


def _ddl_type(kind: Any) -> str:
    if kind in ("string", "json", "boolean_text"):
        return "STRING"  # JSON text columns: the SerDe hands the nested JSON over as text
    if isinstance(kind, str):
        return kind.upper() if kind != "map<string,string>" else "MAP<STRING,STRING>"
    if kind[0] == "struct":
        return "STRUCT<" + ", ".join(f"{n}: {_ddl_type(k)}" for n, k in kind[1]) + ">"
    return f"ARRAY<{_ddl_type(kind[1])}>"


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _split_table(table: str) -> tuple[str, str]:
    database, _, name = table.partition(".")
    if not name or not _IDENT.match(database) or not _IDENT.match(name):
        raise ValueError(f"--athena-table must be DATABASE.TABLE (letters, digits, _), got {table!r}")
    return database, name


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def athena_ddl(
    table: str,
    *,
    bucket: str,
    prefix: str | None = None,
    org_id: str | None = None,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    first_day: str = "2020/01/01",
) -> str:
    """CREATE EXTERNAL TABLE for a trail bucket, partition-projected on account/region/day.

    `accounts`/`regions` become enum projections; without them the partition is `injected`
    (every query must then name it, which the queries of `root_events_sql` do).
    """
    database, name = _split_table(table)
    root = f"s3://{bucket}/{(prefix or '').strip('/') + '/' if (prefix or '').strip('/') else ''}AWSLogs/"
    root += f"{org_id}/" if org_id else ""
    columns = ",\n".join(f"  `{n.lower()}` {_ddl_type(k)}" for n, k in COLUMNS)
    props = {
        "projection.enabled": "true",
        "projection.timestamp.type": "date",
        "projection.timestamp.format": "yyyy/MM/dd",
        "projection.timestamp.range": f"{first_day},NOW",
        "projection.timestamp.interval": "1",
        "projection.timestamp.interval.unit": "DAYS",
        "storage.location.template": root + "${account}/CloudTrail/${region}/${timestamp}",
    }
    for column, values in (("account", accounts), ("region", regions)):
        if values:
            props[f"projection.{column}.type"] = "enum"
            props[f"projection.{column}.values"] = ",".join(sorted(values))
        else:
            props[f"projection.{column}.type"] = "injected"
    tblprops = ",\n".join(f"  {_quote(k)}={_quote(v)}" for k, v in props.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{name}` (\n{columns}\n)\n"
        "PARTITIONED BY (`account` string, `region` string, `timestamp` string)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION {_quote(root)}\n"
        f"TBLPROPERTIES (\n{tblprops}\n)"
    )


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def root_events_sql(
    table: str, *, accounts: list[str], regions: list[str] | None, start: datetime, end: datetime
) -> str:
    """The query: Root records of the period, restricted on the partitions first."""
    database, name = _split_table(table)
    first, last = window_days(start, end)
    select = []
    for column, kind in COLUMNS:
        col = f'"{column.lower()}"'
        if isinstance(kind, tuple):
            select.append(f"json_format(CAST({col} AS JSON)) AS {col}")
        else:
            select.append(col)
    where = [
        f'"timestamp" BETWEEN {_quote(f"{first:%Y/%m/%d}")} AND {_quote(f"{last:%Y/%m/%d}")}',
        "account IN (" + ", ".join(_quote(a) for a in sorted(accounts)) + ")",
    ]
    if regions:
        where.append("region IN (" + ", ".join(_quote(r) for r in sorted(regions)) + ")")
    where += [
        "useridentity.type = 'Root'",
        # eventTime is ISO-8601 with a Z: text order is time order.
        f"eventtime >= {_quote(_iso(start))}",
        f"eventtime < {_quote(_iso(end))}",
    ]
    return (
        "SELECT " + ",\n       ".join(select) + ",\n       account, region\n"
        f'FROM "{database}"."{name}"\n'
        "WHERE " + "\n  AND ".join(where) + "\n"
        "ORDER BY eventtime, eventid"
    )


def _rename(value: Any, kind: Any) -> Any:
    """A value of Athena's JSON (lower-case struct keys, nulls for absent fields) -> CloudTrail's."""
    if value is None:
        return None
    if isinstance(kind, tuple) and kind[0] == "struct":
        if not isinstance(value, dict):
            raise ValueError(f"expected a JSON object for a struct, got {type(value).__name__}")
        names = {n.lower(): (n, k) for n, k in kind[1]}
        out: dict[str, Any] = {}
        for n, k in kind[1]:  # CloudTrail's field order
            if n.lower() in value and value[n.lower()] is not None:
                out[n] = _rename(value[n.lower()], k)
        for key, item in value.items():  # anything the schema does not name, as Athena gave it
            if key not in names and item is not None:
                out[key] = item
        return out
    if isinstance(kind, tuple) and kind[0] == "array":
        return [_rename(v, kind[1]) for v in value]
    return value


def row_to_record(row: dict[str, str | None]) -> dict[str, Any]:
    """One result row (column name -> text or None) -> the CloudTrail record dict."""
    record: dict[str, Any] = {}
    for column, kind in COLUMNS:
        text = row.get(column.lower())
        if text is None:
            if column in _ALWAYS_PRESENT:
                record[column] = None
            continue
        if kind == "string":
            record[column] = text
        elif kind == "boolean_text":
            record[column] = {"true": True, "false": False}.get(text.lower(), text)
        elif kind == "json":
            try:
                record[column] = orjson.loads(text)
            except orjson.JSONDecodeError:
                record[column] = text  # the SerDe gave a plain string: keep it
        else:
            record[column] = _rename(orjson.loads(text), kind)
    return record


@dataclass
class AthenaResult:
    query_execution_id: str
    sql: str
    records: list[dict[str, Any]]
    execution: dict[str, Any]  # GetQueryExecution's QueryExecution (state, statistics, output)


class AthenaQueryFailed(RuntimeError):
    def __init__(self, query_execution_id: str, state: str, reason: str) -> None:
        super().__init__(f"Athena query {query_execution_id} {state}: {reason}")
        self.query_execution_id = query_execution_id
        self.state = state
        self.reason = reason


def _rows(athena: Any, query_execution_id: str) -> Iterator[dict[str, str | None]]:
    header: list[str] | None = None
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_execution_id):
        result = page["ResultSet"]
        names = [c["Name"].lower() for c in result.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
        rows = result.get("Rows", [])
        if header is None:
            header = names
            # The first row of a SELECT's first page repeats the column names.
            if rows and [d.get("VarCharValue") for d in rows[0]["Data"]] == [c for c in names]:
                rows = rows[1:]
        for row in rows:
            values = [d.get("VarCharValue") for d in row["Data"]]
            yield dict(zip(header, values, strict=False))


@dataclass(frozen=True)
class Polling:
    """How a query is waited for: every `interval_seconds`, at most `timeout_seconds`."""

    interval_seconds: float = 1.0
    timeout_seconds: float = 1800.0
    sleep: Callable[[float], None] = time.sleep


def run_root_events_query(
    athena: Any,
    table: str,
    *,
    workgroup: str,
    output_location: str | None,
    accounts: list[str],
    regions: list[str] | None,
    start: datetime,
    end: datetime,
    polling: Polling = Polling(),
) -> AthenaResult:
    """Start the query, wait for it, page through its results, rebuild the records."""
    sql = root_events_sql(table, accounts=accounts, regions=regions, start=start, end=end)
    database, _ = _split_table(table)
    kwargs: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
        "WorkGroup": workgroup,
    }
    if output_location:
        kwargs["ResultConfiguration"] = {"OutputLocation": output_location}
    query_id = athena.start_query_execution(**kwargs)["QueryExecutionId"]
    waited = 0.0
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            raise AthenaQueryFailed(query_id, state, execution["Status"].get("StateChangeReason", "no reason given"))
        if waited >= polling.timeout_seconds:
            raise AthenaQueryFailed(query_id, "TIMEOUT", f"still {state} after {polling.timeout_seconds:.0f} s")
        polling.sleep(polling.interval_seconds)
        waited += polling.interval_seconds
    records = [row_to_record(row) for row in _rows(athena, query_id)]
    return AthenaResult(query_id, sql, records, execution)


def record_to_row(record: dict[str, Any]) -> dict[str, str | None]:
    """What Athena returns for a record (test and bench helper; the inverse of row_to_record)."""
    row: dict[str, str | None] = {}
    for column, kind in COLUMNS:
        value = record.get(column)
        if value is None:
            row[column.lower()] = None
        elif kind == "string":
            row[column.lower()] = str(value)
        elif kind == "boolean_text":
            row[column.lower()] = str(value).lower() if isinstance(value, bool) else str(value)
        elif kind == "json":
            row[column.lower()] = orjson.dumps(value).decode()
        else:
            row[column.lower()] = orjson.dumps(_lower(value, kind)).decode()
    return row


def _lower(value: Any, kind: Any) -> Any:
    if isinstance(kind, tuple) and kind[0] == "struct" and isinstance(value, dict):
        fields = dict(kind[1])
        return {n.lower(): _lower(value.get(n), k) for n, k in fields.items()}
    if isinstance(kind, tuple) and kind[0] == "array" and isinstance(value, list):
        return [_lower(v, kind[1]) for v in value]
    return value
