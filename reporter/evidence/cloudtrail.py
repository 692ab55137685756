"""CloudTrail records: read them from any of the shapes AWS hands out, keep the root ones.

Shapes accepted: the snapshot's JSON Lines (one record a line), a log file's
`{"Records": [...]}` envelope, and a LookupEvents response (`{"Events": [{"CloudTrailEvent":
"<json string>"}]}`). Every record that cannot be read is reported with its position.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pandas as pd

from reporter.evidence.problems import ParseProblem
from reporter.evidence.row_ids import event_row_id
from reporter.evidence.times import parse_utc

ROOT_EVENT_COLUMNS = [
    "evidence_id",
    "event_id",
    "event_time",
    "account_id",
    "region",
    "event_source",
    "event_name",
    "interaction",
    "success",
    "mfa_used",
    "source_ip",
    "user_agent",
    "access_key_id",
    "access_key_kind",
    "invoked_by",
    "event_type",
    "cis_counted",
    "error_code",
    "error_message",
    "source",
    "location",
]


Item = tuple[str, Any] | ParseProblem


def _records_in_document(doc: Any, source: str, prefix: str) -> Iterator[Item]:
    if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
        for i, record in enumerate(doc["Records"]):
            yield f"{prefix}record {i}", record
    elif isinstance(doc, dict) and isinstance(doc.get("Events"), list):
        for i, event in enumerate(doc["Events"]):
            raw = event.get("CloudTrailEvent") if isinstance(event, dict) else None
            if not isinstance(raw, str):
                yield ParseProblem(source, f"{prefix}event {i}", "no CloudTrailEvent string")
                continue
            try:
                yield f"{prefix}event {i}", orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield ParseProblem(source, f"{prefix}event {i}", f"CloudTrailEvent is not valid JSON ({exc})")
    elif isinstance(doc, list):
        for i, element in enumerate(doc):
            yield from _records_in_document(element, source, f"{prefix}item {i}, ")
    else:
        yield prefix.removesuffix(", ") or "document", doc


def _salvage_records(text: str, source: str, error: str) -> Iterator[Item]:
    """A truncated or damaged `{"Records": [...]}` document: keep each record before the damage."""
    decoder = json.JSONDecoder()
    start = text.find("[", text.find('"Records"'))
    if start < 0:
        yield ParseProblem(source, "document", f"not valid JSON ({error}) and no Records list found")
        return
    pos, index = start + 1, 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            record, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        yield f"record {index}", record
        index += 1
    yield ParseProblem(
        source,
        f"record {index}",
        f"document is not valid JSON ({error}); {index} record(s) before the damage kept, the rest lost",
    )


def iter_records(data: bytes, source: str) -> Iterator[Item]:
    """Yield (location, record) pairs, or a ParseProblem for input that could not be read.

    The first non-blank line decides the shape: if it is a JSON value by itself the input is
    JSON Lines, otherwise it is one (pretty-printed) document.
    """
    lines = data.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return  # no records at all: a valid, empty answer (no root activity)
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield from _salvage_records(data.decode("utf-8", "replace"), source, str(exc))
        else:
            yield from _records_in_document(doc, source, "")
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield ParseProblem(source, f"line {number}", f"not valid JSON ({exc})")
            continue
        yield from _records_in_document(doc, source, f"line {number}, ")


def is_root_record(record: Any) -> bool:
    identity = record.get("userIdentity") if isinstance(record, dict) else None
    return isinstance(identity, dict) and identity.get("type") == "Root"


def _parse_time(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise ValueError(f"eventTime is {type(raw).__name__}, not a string")
    return parse_utc(raw, "eventTime")


def _mfa_used(record: dict[str, Any], identity: dict[str, Any]) -> bool | None:
    if record.get("eventName") == "ConsoleLogin":
        extra = record.get("additionalEventData") or {}
        value = extra.get("MFAUsed") if isinstance(extra, dict) else None
    else:
        attributes = (identity.get("sessionContext") or {}).get("attributes") or {}
        value = attributes.get("mfaAuthenticated") if isinstance(attributes, dict) else None
    if not isinstance(value, str):
        return None
    folded = value.strip().casefold()
    return True if folded in ("yes", "true") else False if folded in ("no", "false") else None


def _interaction(record: dict[str, Any]) -> str:
    name, kind = record.get("eventName"), record.get("eventType")
    if name == "ConsoleLogin":
        return "console_sign_in"
    if kind in ("AwsConsoleSignIn", "AwsConsoleAction"):
        return "console_action"
    if kind == "AwsServiceEvent":
        return "service_event"
    return "api_call"


def _succeeded(record: dict[str, Any]) -> bool:
    if record.get("eventName") == "ConsoleLogin":
        response = record.get("responseElements") or {}
        return isinstance(response, dict) and response.get("ConsoleLogin") == "Success"
    return not record.get("errorCode")


def _key_kind(key: Any) -> str | None:
    if not isinstance(key, str) or not key:
        return None
    # AKIA: a long-term key of the root user itself; ASIA: temporary, e.g. a console session.
    return {"AKIA": "long_term", "ASIA": "session"}.get(key[:4], "other")


def root_event_row(record: dict[str, Any], source: str, location: str) -> dict[str, Any]:
    identity = record["userIdentity"]
    invoked_by = identity.get("invokedBy") or None
    event_type = record.get("eventType")
    event_id = record.get("eventID")
    return {
        "evidence_id": event_row_id(event_id if isinstance(event_id, str) else None, source, location),
        "event_id": event_id,
        "event_time": _parse_time(record.get("eventTime")),
        "account_id": record.get("recipientAccountId") or identity.get("accountId"),
        "region": record.get("awsRegion"),
        "event_source": record.get("eventSource"),
        "event_name": record.get("eventName"),
        "interaction": _interaction(record),
        "success": _succeeded(record),
        "mfa_used": _mfa_used(record, identity),
        "source_ip": record.get("sourceIPAddress"),
        "user_agent": record.get("userAgent"),
        "access_key_id": identity.get("accessKeyId") or None,
        "access_key_kind": _key_kind(identity.get("accessKeyId")),
        "invoked_by": invoked_by,
        "event_type": event_type,
        # The CIS root-usage metric filter: $.userIdentity.type = "Root" &&
        # $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent".
        "cis_counted": invoked_by is None and event_type != "AwsServiceEvent",
        "error_code": record.get("errorCode"),
        "error_message": record.get("errorMessage"),
        "source": source,
        "location": location,
    }


def parse_root_events(data: bytes, source: str) -> tuple[pd.DataFrame, list[ParseProblem]]:
    """One row per record whose userIdentity.type is Root; unreadable records are reported."""
    rows: list[dict[str, Any]] = []
    problems: list[ParseProblem] = []
    for item in iter_records(data, source):
        if isinstance(item, ParseProblem):
            problems.append(item)
            continue
        location, record = item
        if not isinstance(record, dict):
            problems.append(ParseProblem(source, location, f"a record is a JSON object, not {type(record).__name__}"))
            continue
        if not is_root_record(record):
            continue
        try:
            rows.append(root_event_row(record, source, location))
        except (ValueError, TypeError, AttributeError) as exc:
            problems.append(ParseProblem(source, location, str(exc), record.get("eventID")))
    return root_events_frame(rows), problems


def root_events_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=ROOT_EVENT_COLUMNS)
    frame["event_time"] = pd.to_datetime(frame["event_time"], utc=True)
    for column in ("success", "mfa_used", "cis_counted"):
        frame[column] = frame[column].astype("boolean")
    return frame.sort_values(["event_time", "event_id"], kind="stable", na_position="last").reset_index(drop=True)
