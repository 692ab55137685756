"""The three entry points the collector calls: root events from S3, a local folder, or Athena.

Each writes, for every account in scope, the artifacts described in `snapshot_out` through the
collector's SnapshotWriter and returns a RootEventsSummary. None of them reads the clock
except through `clock` (collected_at of each artifact).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from reporter.collect.trail_logs.athena import AthenaQueryFailed, Polling, run_root_events_query
from reporter.collect.trail_logs.layout import LogObject, account_bases, list_period_objects, window_days
from reporter.collect.trail_logs.scan import (
    ObjectScan,
    default_workers,
    iter_local_objects,
    scan_local_files,
    scan_s3_objects,
)
from reporter.collect.trail_logs.snapshot_out import (
    API_ATHENA,
    API_DIR,
    API_S3,
    AccountRootEvents,
    RootEventsSummary,
    add,
    write_account,
)


def _error_code(exc: Exception) -> tuple[str, str]:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code") or type(exc).__name__), str(error.get("Message") or exc)


def _gather(
    events: dict[str, AccountRootEvents], objects: dict[str, LogObject], owners: dict[str, list[str]], scans: Any
) -> None:
    for scan in scans:
        obj = objects[scan.key]
        for account in owners[scan.key]:
            acc = events[account]
            acc.objects.append((obj, scan))
            if not obj.is_digest and obj.region and not scan.error:
                acc.regions.add(obj.region)
            mine = [r for r in scan.roots if obj.account is not None or _record_account(r) == account]
            acc.records.extend(mine)


def _record_account(record: dict[str, Any]) -> str | None:
    identity = (
        cast("dict[str, Any]", record.get("userIdentity")) if isinstance(record.get("userIdentity"), dict) else {}
    )
    return record.get("recipientAccountId") or identity.get("accountId")


def collect_from_s3(
    writer: Any,
    *,
    s3: Any,
    bucket: str,
    prefix: str | None,
    accounts: list[str],
    regions: dict[str, list[str]] | None,
    start: datetime,
    end: datetime,
    clock: Callable[[], datetime],
    org_id: str | None = None,
    workers: int | None = None,
    io_threads: int = 16,
) -> RootEventsSummary:
    """Read the trail bucket's log files of the period ±1 day for `accounts` and write the artifacts.

    `regions`: account -> regions to read (None: every region folder present). `workers`:
    scanning processes (None: one per CPU; 0: scan in the I/O threads).
    """
    source = {"Bucket": bucket, "Prefix": prefix or ""}
    try:
        bases = account_bases(s3, bucket, prefix, accounts, org_id)
        listed = list_period_objects(s3, bucket, bases, regions, start, end, threads=io_threads)
    except Exception as exc:  # AccessDenied, NoSuchBucket…: evidence of why nothing was read
        code, message = _error_code(exc)
        for account in accounts:
            writer.add_error(
                api=API_S3,
                code=code,
                message=f"listing s3://{bucket}/{prefix or ''}: {message}",
                collected_at=clock(),
                params={**source, "regions": []},
                account=account,
                region=None,
            )
        return RootEventsSummary(errors=len(accounts))
    events = {a: AccountRootEvents(a) for a in accounts}
    objects: dict[str, LogObject] = {}
    owners: dict[str, list[str]] = {}
    to_scan: list[LogObject] = []
    for account in accounts:
        for obj in listed.get(account, []):
            if obj.is_digest:
                events[account].objects.append((obj, None))  # listed, never parsed as events
                continue
            objects[obj.key] = obj
            owners.setdefault(obj.key, []).append(account)
            to_scan.append(obj)
    workers = default_workers() if workers is None else workers
    _gather(events, objects, owners, scan_s3_objects(s3, bucket, to_scan, workers=workers, io_threads=io_threads))
    total = RootEventsSummary()
    first, last = window_days(start, end)
    for account in accounts:
        acc = events[account]
        acc.objects.sort(key=lambda pair: pair[0].key)
        params = {**source, "OrganizationId": org_id, "Days": [first.isoformat(), last.isoformat()]}
        add(total, write_account(writer, acc, api=API_S3, source_params=params, start=start, end=end, clock=clock))
    return total


def collect_from_dir(
    writer: Any,
    *,
    directory: Path,
    accounts: list[str],
    start: datetime,
    end: datetime,
    clock: Callable[[], datetime],
    workers: int | None = None,
) -> RootEventsSummary:
    """The same scan over a local folder of log files (any depth; AWSLogs layout optional).

    Files in the AWSLogs layout belong to the account and day of their path and are read only
    if the account is in scope and the day inside the period ±1 day; other files are read for
    every account and their Root records go to the record's recipientAccountId.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"--trail-dir {directory}: not a directory")
    first, last = window_days(start, end)
    source = {"Directory": str(directory)}
    events = {a: AccountRootEvents(a) for a in accounts}
    objects: dict[str, LogObject] = {}
    owners: dict[str, list[str]] = {}
    files: list[tuple[Path, str]] = []
    for path, obj in iter_local_objects(directory):
        if obj.account is not None and obj.account not in events:
            continue
        if obj.day is not None and not first <= obj.day <= last:
            continue
        mine = [obj.account] if obj.account is not None else list(accounts)
        if obj.is_digest:
            for account in mine:
                events[account].objects.append((obj, None))
            continue
        objects[obj.key] = obj
        owners[obj.key] = mine
        files.append((path, obj.key))
    workers = default_workers() if workers is None else workers
    _gather(events, objects, owners, scan_local_files(files, workers=workers))
    total = RootEventsSummary()
    for account in accounts:
        acc = events[account]
        acc.objects.sort(key=lambda pair: pair[0].key)
        add(total, write_account(writer, acc, api=API_DIR, source_params=source, start=start, end=end, clock=clock))
    return total


def collect_from_athena(
    writer: Any,
    *,
    athena: Any,
    table: str,
    workgroup: str,
    output_location: str | None,
    accounts: list[str],
    regions: list[str],
    start: datetime,
    end: datetime,
    clock: Callable[[], datetime],
    polling: Polling = Polling(),  # noqa: B008 - frozen, never mutated
) -> RootEventsSummary:
    """One query for all accounts; its records are split by account into the usual artifacts.

    `regions` are the regions the query reads (the table's region partitions); they are what
    each root_events.jsonl claims to cover.
    """
    source = {"Table": table, "WorkGroup": workgroup, "OutputLocation": output_location}
    try:
        result = run_root_events_query(
            athena,
            table,
            workgroup=workgroup,
            output_location=output_location,
            accounts=accounts,
            regions=regions,
            start=start,
            end=end,
            polling=polling,
        )
    except AthenaQueryFailed as exc:
        for account in accounts:
            writer.add_error(
                api=API_ATHENA,
                code=f"Query{exc.state.title()}",
                message=str(exc),
                collected_at=clock(),
                params={**source, "QueryExecutionId": exc.query_execution_id, "regions": []},
                account=account,
                region=None,
            )
        return RootEventsSummary(errors=len(accounts))
    except Exception as exc:  # the API call itself failed (AccessDenied, InvalidRequestException…)
        code, message = _error_code(exc)
        for account in accounts:
            writer.add_error(
                api=API_ATHENA,
                code=code,
                message=message,
                collected_at=clock(),
                params={**source, "regions": []},
                account=account,
                region=None,
            )
        return RootEventsSummary(errors=len(accounts))
    events = {a: AccountRootEvents(a, regions=set(regions)) for a in accounts}
    for record in result.records:
        owner = _record_account(record)
        if owner in events:
            events[owner].records.append(record)
    params = {**source, "QueryExecutionId": result.query_execution_id, "Query": result.sql}
    listing = {
        "QueryExecutionId": result.query_execution_id,
        "Query": result.sql,
        "Status": result.execution.get("Status"),
        "Statistics": result.execution.get("Statistics"),
        "ResultConfiguration": result.execution.get("ResultConfiguration"),
    }
    total = RootEventsSummary()
    for account in accounts:
        add(
            total,
            write_account(
                writer,
                events[account],
                api=API_ATHENA,
                source_params=params,
                start=start,
                end=end,
                clock=clock,
                listing=listing,
            ),
        )
    return total


__all__ = ["ObjectScan", "collect_from_athena", "collect_from_dir", "collect_from_s3"]
