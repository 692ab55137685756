"""CloudTrail evidence: the trails (merged over regions), their status and selectors, root events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reporter.collect.context import Context, Failure, without_metadata
from reporter.snapshot.manifest import iso_utc
from reporter.snapshot.writer import dumps_jsonl

ROOT_LOOKUP = [{"AttributeKey": "Username", "AttributeValue": "root"}]


def arn_hash(arn: str) -> str:
    return hashlib.sha256(arn.encode()).hexdigest()[:16]


def describe_trails(ctx: Context, region: str) -> list[dict[str, Any]] | Failure:
    client = ctx.client("cloudtrail", region)
    return ctx.attempt(lambda: client.describe_trails(includeShadowTrails=True).get("trailList") or [])


DESCRIBE_TRAILS = "cloudtrail:DescribeTrails"
LOOKUP_EVENTS = "cloudtrail:LookupEvents"
_TRAIL_PARAMS = {"includeShadowTrails": True}


def _trails_path(account: str) -> str:
    return f"accounts/{account}/cloudtrail/trails.json"


def _root_events_path(account: str) -> str:
    return f"accounts/{account}/cloudtrail/root_events.jsonl"


def reused_trails(ctx: Context, regions: list[str]) -> list[dict[str, Any]] | None:
    """On a resume, the interrupted run's trails.json if every region of `regions` had answered."""
    data = ctx.writer.reuse(_trails_path(ctx.account), DESCRIBE_TRAILS, {**_TRAIL_PARAMS, "regions": regions})
    return None if data is None else list(json.loads(data)["trailList"])


def reused_root_events(ctx: Context, regions: list[str], start: datetime, end: datetime) -> bool:
    """On a resume: the interrupted run's root_events.jsonl, if every region had answered."""
    path = _root_events_path(ctx.account)
    return ctx.writer.reuse(path, LOOKUP_EVENTS, lookup_params(start, end, regions)) is not None


def write_trails(ctx: Context, answers: Mapping[str, list[dict[str, Any]] | Failure]) -> list[dict[str, Any]]:
    """trails.json: the union of every answering region, unique by ARN; errors per region."""
    api = DESCRIBE_TRAILS
    trails: dict[str, dict[str, Any]] = {}
    for region, answer in sorted(answers.items()):
        if isinstance(answer, Failure):
            ctx.error(answer, api=api, region=region, params={**_TRAIL_PARAMS, "regions": [region]})
            continue
        for trail in answer:
            trails.setdefault(trail["TrailARN"], trail)
    answered = sorted(r for r, a in answers.items() if not isinstance(a, Failure))
    merged = [trails[arn] for arn in sorted(trails)]
    if answered:
        ctx.json(
            _trails_path(ctx.account),
            {"trailList": merged},
            api=api,
            region=None,
            params={**_TRAIL_PARAMS, "regions": answered},
        )
    return merged


def collect_trail_details(ctx: Context, trail: dict[str, Any]) -> None:
    """GetTrailStatus and GetEventSelectors, asked of the trail's home region."""
    arn, region = trail["TrailARN"], trail.get("HomeRegion") or ctx.home_region
    client = ctx.client("cloudtrail", region)
    base = f"accounts/{ctx.account}/cloudtrail/"
    ctx.fetch_json(
        base + f"trail_status/{arn_hash(arn)}.json",
        lambda: without_metadata(client.get_trail_status(Name=arn)),
        api="cloudtrail:GetTrailStatus",
        region=region,
        params={"Name": arn},
    )
    ctx.fetch_json(
        base + f"event_selectors/{arn_hash(arn)}.json",
        lambda: without_metadata(client.get_event_selectors(TrailName=arn)),
        api="cloudtrail:GetEventSelectors",
        region=region,
        params={"TrailName": arn},
    )


def lookup_root_events(ctx: Context, region: str, start: datetime, end: datetime) -> list[dict[str, Any]] | Failure:
    """Every record of the period in `region` that LookupEvents attributes to user "root".

    Pages are paced by the client's rate limiter (see session.SharedClients), not here.
    """
    client = ctx.client("cloudtrail", region)

    def pages() -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for page in client.get_paginator("lookup_events").paginate(
            StartTime=start, EndTime=end, LookupAttributes=ROOT_LOOKUP
        ):
            records.extend(
                json.loads(event["CloudTrailEvent"])
                for event in page.get("Events") or []
                if event.get("CloudTrailEvent")
            )
        return records

    return ctx.attempt(pages)


def lookup_params(start: datetime, end: datetime, regions: list[str]) -> dict[str, Any]:
    return {"StartTime": iso_utc(start), "EndTime": iso_utc(end), "LookupAttributes": ROOT_LOOKUP, "regions": regions}


def write_root_events(
    ctx: Context, answers: Mapping[str, list[dict[str, Any]] | Failure], start: datetime, end: datetime
) -> int:
    """root_events.jsonl: records whose userIdentity.type is Root, once each, in time order.

    The Username=root lookup also matches an IAM user named "root"; the type tells them apart.
    Multi-region trails deliver global events to several regions, hence the de-duplication.
    """
    api = LOOKUP_EVENTS
    kept: dict[str, dict[str, Any]] = {}
    for region, answer in sorted(answers.items()):
        if isinstance(answer, Failure):
            ctx.error(answer, api=api, region=region, params=lookup_params(start, end, [region]))
            continue
        for record in answer:
            if (record.get("userIdentity") or {}).get("type") == "Root" and record.get("eventID"):
                kept.setdefault(record["eventID"], record)
    answered = sorted(r for r, a in answers.items() if not isinstance(a, Failure))
    if not answered:
        return 0
    ordered = sorted(kept.values(), key=lambda r: (str(r.get("eventTime", "")), r["eventID"]))
    data = dumps_jsonl(ordered)
    ctx.bytes(
        _root_events_path(ctx.account),
        data,
        api=api,
        region=None,
        params=lookup_params(start, end, answered),
    )
    return len(ordered)
