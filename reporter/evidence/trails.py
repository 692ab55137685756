"""CloudTrail configuration: the trails, whether each was logging, and what it records."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reporter.evidence.iam_documents import DocumentError, load_object
from reporter.evidence.keyed import list_of_objects
from reporter.evidence.problems import ParseProblem
from reporter.evidence.times import parse_utc

Parsed = tuple[Any, list[ParseProblem]]


def parse_trails(data: bytes, source: str) -> Parsed:
    """DescribeTrails' trailList; a trail without a TrailARN is a problem, the others are kept."""
    doc = load_object(data, source)
    if not isinstance(doc.get("trailList"), list):
        raise DocumentError(f"{source}: no trailList list")
    trails: list[dict[str, Any]] = []
    problems: list[ParseProblem] = []
    for i, trail in enumerate(doc["trailList"]):
        if not isinstance(trail, dict) or not isinstance(trail.get("TrailARN"), str):
            problems.append(ParseProblem(source, f"trailList[{i}]", "trail has no TrailARN"))
            continue
        trails.append(trail)
    return trails, problems


def _time(doc: dict[str, Any], key: str, source: str) -> pd.Timestamp | None:
    raw = doc.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise DocumentError(f"{source}: {key} is not a timestamp")
    try:
        return pd.Timestamp(parse_utc(raw, f"{source}: {key}"))
    except ValueError as exc:
        raise DocumentError(str(exc)) from None


def parse_trail_status(data: bytes, source: str) -> Parsed:
    doc = load_object(data, source)
    if not isinstance(doc.get("IsLogging"), bool):
        raise DocumentError(f"{source}: IsLogging is missing or not true/false")
    status = {"IsLogging": doc["IsLogging"]}
    for key in ("StartLoggingTime", "StopLoggingTime", "LatestDeliveryTime"):
        status[key] = _time(doc, key, source)
    return status, []


def parse_event_selectors(data: bytes, source: str) -> Parsed:
    doc = load_object(data, source)
    found = {k: list_of_objects(doc, k, source) for k in ("EventSelectors", "AdvancedEventSelectors") if k in doc}
    if not found:
        raise DocumentError(f"{source}: neither EventSelectors nor AdvancedEventSelectors")
    return found, []
