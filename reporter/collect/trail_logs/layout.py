"""Where a trail puts its files in S3, and which of them a period needs.

CloudTrail writes `<prefix>/AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<random>.json.gz` (the `<org-id>` level for
organization trails) and its digests under `.../CloudTrail-Digest/<region>/YYYY/MM/DD/`.
The day folder is the UTC day of delivery, and a record can land in the next day's folder
(files are delivered about every 5 minutes, and late), so a period [start, end) is read from
the day before `start` to the day after the last instant of the period; the scanner then
keeps only records whose eventTime is inside the period.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

_KEY = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/"
    r"(?P<kind>CloudTrail|CloudTrail-Digest)/(?P<region>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<name>[^/]+)$"
)
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")


@dataclass(frozen=True)
class KeyInfo:
    org_id: str | None
    account: str
    region: str
    day: date
    is_digest: bool


@dataclass(frozen=True)
class LogObject:
    key: str
    size: int
    etag: str | None
    account: str | None
    region: str | None
    day: date | None
    is_digest: bool


def parse_log_key(key: str) -> KeyInfo | None:
    match = _KEY.search(key)
    if not match:
        return None
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None
    return KeyInfo(match["org"], match["account"], match["region"], day, match["kind"] == "CloudTrail-Digest")


def window_days(start: datetime, end: datetime) -> tuple[date, date]:
    """First and last day folder to read for the period [start, end) (both inclusive)."""
    if end <= start:
        raise ValueError(f"empty period: {start.isoformat()} .. {end.isoformat()}")
    last_instant = end - timedelta(microseconds=1)
    return (start.date() - timedelta(days=1), last_instant.date() + timedelta(days=1))


def _months(first: date, last: date) -> Iterator[date]:
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _norm_prefix(prefix: str | None) -> str:
    prefix = (prefix or "").strip("/")
    return f"{prefix}/" if prefix else ""


def _common_prefixes(s3: Any, bucket: str, prefix: str) -> list[str]:
    names: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        names += [p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])]
    return names


def account_bases(
    s3: Any, bucket: str, prefix: str | None, accounts: list[str] | None = None, org_id: str | None = None
) -> dict[str, list[str]]:
    """account -> the `.../AWSLogs/[org/]<account>/` prefixes that hold its logs.

    Found by listing (Delimiter "/"), so one bucket holding an organization trail and account
    trails side by side is read completely. `accounts` limits the result (None: all found).
    """
    logs = f"{_norm_prefix(prefix)}AWSLogs/"
    bases: dict[str, list[str]] = {}
    for name in _common_prefixes(s3, bucket, logs):
        if _ACCOUNT.match(name):
            bases.setdefault(name, []).append(f"{logs}{name}/")
        elif _ORG.match(name) and (org_id is None or name == org_id):
            for account in _common_prefixes(s3, bucket, f"{logs}{name}/"):
                if _ACCOUNT.match(account):
                    bases.setdefault(account, []).append(f"{logs}{name}/{account}/")
    if accounts is not None:
        bases = {a: bases[a] for a in accounts if a in bases}
    return {a: sorted(v) for a, v in sorted(bases.items())}


def _list_window(s3: Any, bucket: str, folder: str, first: date, last: date) -> Iterator[LogObject]:
    """Objects under `folder` (…/CloudTrail/<region>/) whose day folder is within [first, last]."""
    for month in _months(first, last):
        month_prefix = f"{folder}{month:%Y/%m}/"
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": month_prefix}
        if month.year == first.year and month.month == first.month and first.day > 1:
            # Keys sort by day folder, and ".../DD/<file>" sorts after ".../DD": skip earlier days.
            kwargs["StartAfter"] = f"{month_prefix}{first.day:02d}"
        for page in s3.get_paginator("list_objects_v2").paginate(**kwargs):
            for item in page.get("Contents", []):
                info = parse_log_key(item["Key"])
                if info is None:
                    continue
                if info.day > last:
                    return  # sorted keys: nothing later is in the window
                if info.day < first:
                    continue
                yield LogObject(
                    key=item["Key"],
                    size=int(item.get("Size", 0)),
                    etag=str(item.get("ETag", "")).strip('"'),
                    account=info.account,
                    region=info.region,
                    day=info.day,
                    is_digest=info.is_digest,
                )


def list_period_objects(
    s3: Any,
    bucket: str,
    bases: dict[str, list[str]],
    regions: dict[str, list[str]] | None,
    start: datetime,
    end: datetime,
    *,
    threads: int = 16,
) -> dict[str, list[LogObject]]:
    """account -> its log and digest objects of the period ±1 day, sorted by key.

    `regions` maps an account to the regions to read; None (or an account missing from it)
    means every region folder found under the account's CloudTrail/ prefix.
    """
    first, last = window_days(start, end)
    jobs: list[tuple[str, str]] = []  # (account, folder)
    for account, account_prefixes in bases.items():
        for base in account_prefixes:
            wanted = (regions or {}).get(account)
            for kind in ("CloudTrail", "CloudTrail-Digest"):
                found = _common_prefixes(s3, bucket, f"{base}{kind}/")
                for region in sorted(found if wanted is None else set(found) & set(wanted)):
                    jobs.append((account, f"{base}{kind}/{region}/"))
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        listed = list(pool.map(lambda job: list(_list_window(s3, bucket, job[1], first, last)), jobs))
    result: dict[str, list[LogObject]] = {a: [] for a in bases}
    for (account, _), objects in zip(jobs, listed, strict=True):
        result[account].extend(objects)
    return {a: sorted(v, key=lambda o: o.key) for a, v in result.items()}
