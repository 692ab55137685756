"""ISO-8601 times from AWS, as UTC datetimes the tables can hold."""

from __future__ import annotations

from datetime import UTC, datetime

# Tables hold nanosecond timestamps (pandas: 1677-09-21 to 2262-04-11); no AWS evidence
# legitimately lies outside.
_EARLIEST = datetime(1677, 9, 22, tzinfo=UTC)
_LATEST = datetime(2262, 4, 11, tzinfo=UTC)


def parse_utc(raw: str, what: str) -> datetime:
    """Parse `2022-12-21T16:19:23+00:00` or `2025-01-28T17:25:12Z`; ValueError names `what`."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{what}: {raw[:60]!r} is not a timestamp") from None
    if value.tzinfo is None:
        raise ValueError(f"{what}: {raw[:60]!r} has no time zone")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        raise ValueError(f"{what}: {raw[:60]!r} is outside the years evidence can hold")
    return utc
