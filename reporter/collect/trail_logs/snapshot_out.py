"""Write what the trail-log sources found into the snapshot, shaped like the LookupEvents source.

Per account in scope:
- `accounts/<id>/cloudtrail/root_events.jsonl`: raw Root records, one a line, de-duplicated by
  eventID, sorted by (eventTime, eventID), only eventTime inside [start, end). api
  `s3:GetObject` (S3), `file:read` (a local folder) or `athena:GetQueryResults`; params name the
  source, the period, `regions` (the regions whose logs were read: the loader reports every
  other region of the account as a gap) and object counts.
- `accounts/<id>/cloudtrail/trail_log_objects.json` (api `s3:ListObjectsV2` / `file:list`): every
  object read, with size and ETag (S3) or sha256 (local), digests marked and never parsed; or
  `accounts/<id>/cloudtrail/athena_query.json` (api `athena:GetQueryExecution`): the query.
  These use another api than root_events.jsonl on purpose: the evidence loader takes every ok
  artifact of a root-events api as a root_events table.
- one error artifact per object that could not be read (api as root_events.jsonl, the object's
  region, params {"Bucket"/"Directory", "Key", "regions": [region]}), so the evidence is
  visibly incomplete for that region rather than silently short.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from reporter.collect.trail_logs.layout import LogObject
from reporter.collect.trail_logs.scan import ObjectScan, in_period
from reporter.snapshot.writer import dumps_jsonl

API_S3 = "s3:GetObject"
API_DIR = "file:read"
API_ATHENA = "athena:GetQueryResults"
LISTING_API = {API_S3: "s3:ListObjectsV2", API_DIR: "file:list", API_ATHENA: "athena:GetQueryExecution"}
ROOT_EVENTS_APIS = (API_S3, API_DIR, API_ATHENA)


@dataclass
class AccountRootEvents:
    """What one account's artifacts are made of."""

    account: str
    records: list[dict[str, Any]] = field(default_factory=list)
    objects: list[tuple[LogObject, ObjectScan | None]] = field(default_factory=list)  # None: digest, not read
    regions: set[str] = field(default_factory=set)


@dataclass
class RootEventsSummary:
    accounts: int = 0
    root_events: int = 0
    objects: int = 0
    objects_parsed: int = 0
    digests: int = 0
    errors: int = 0
    dropped_outside_period: int = 0


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_key(record: dict[str, Any]) -> str:
    event_id = record.get("eventID")
    if isinstance(event_id, str) and event_id:
        return event_id
    # Old-schema records have no eventID: de-duplicate them on their whole content.
    return "sha256:" + hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()


def finish_records(
    records: Iterable[dict[str, Any]], start: datetime, end: datetime
) -> tuple[list[dict[str, Any]], int]:
    """Keep the period's records, one per eventID, sorted by (eventTime, eventID); count the others."""
    unique: dict[str, dict[str, Any]] = {}
    dropped = 0
    for record in records:
        if not in_period(record, start, end):
            dropped += 1
            continue
        unique.setdefault(_record_key(record), record)
    ordered = sorted(unique.values(), key=lambda r: (str(r.get("eventTime", "")), str(r.get("eventID", ""))))
    return ordered, dropped


def write_account(
    writer: Any,
    events: AccountRootEvents,
    *,
    api: str,
    source_params: dict[str, Any],
    start: datetime,
    end: datetime,
    clock: Callable[[], datetime],
    listing: dict[str, Any] | None = None,
) -> RootEventsSummary:
    """Write one account's root_events.jsonl, its listing artifact and its error artifacts."""
    summary = RootEventsSummary(accounts=1)
    records, summary.dropped_outside_period = finish_records(events.records, start, end)
    summary.root_events = len(records)
    base = f"accounts/{events.account}/cloudtrail"
    listing_name = "athena_query.json" if api == API_ATHENA else "trail_log_objects.json"
    entries: list[dict[str, Any]] = []
    for obj, scan in events.objects:
        entry: dict[str, Any] = {
            "key": obj.key,
            "size": obj.size,
            "region": obj.region,
            "day": obj.day.isoformat() if obj.day else None,
            "digest": obj.is_digest,
        }
        if obj.etag:
            entry["etag"] = obj.etag
        if scan is not None and scan.sha256:
            entry["sha256"] = scan.sha256
        if obj.is_digest:
            summary.digests += 1
        else:
            summary.objects += 1
        if scan is not None:
            entry["parsed"] = scan.parsed
            if scan.records is not None:
                entry["records"] = scan.records
            if scan.error:
                entry["error"] = {"code": scan.error_code, "message": scan.error}
                summary.errors += 1
            summary.objects_parsed += int(scan.parsed)
        entries.append(entry)
    regions = sorted(events.regions)
    params = {**source_params, "StartTime": _iso(start), "EndTime": _iso(end), "regions": regions}
    if api != API_ATHENA:
        params.update(
            {
                "objects": summary.objects,
                "objects_parsed": summary.objects_parsed,
                "digests": summary.digests,
                "objects_failed": summary.errors,
                "listing": f"{base}/{listing_name}",
            }
        )
    else:
        params["listing"] = f"{base}/{listing_name}"
    writer.add_bytes(
        f"{base}/root_events.jsonl",
        dumps_jsonl(records),
        api=api,
        collected_at=clock(),
        params=params,
        account=events.account,
        region=None,
    )
    listing_body = listing if listing is not None else {"objects": entries}
    writer.add_json(
        f"{base}/{listing_name}",
        listing_body,
        api=LISTING_API[api],
        collected_at=clock(),
        params={k: v for k, v in source_params.items()},
        account=events.account,
        region=None,
    )
    for obj, scan in events.objects:
        if scan is None or not scan.error:
            continue
        where_key = "Directory" if api == API_DIR else "Bucket"
        error_params = {
            where_key: source_params.get(where_key),
            "Key": obj.key,
            "regions": [obj.region] if obj.region else [],
        }
        writer.add_error(
            api=api,
            code=scan.error_code or "UnreadableLogFile",
            message=f"{obj.key}: {scan.error}",
            collected_at=clock(),
            params=error_params,
            account=events.account,
            region=obj.region,
        )
    return summary


def add(total: RootEventsSummary, part: RootEventsSummary) -> RootEventsSummary:
    for name in ("accounts", "root_events", "objects", "objects_parsed", "digests", "errors", "dropped_outside_period"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    return total
