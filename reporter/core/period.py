"""Periods: the calendar month a pack reports on, in UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime


def month_period(text: str, now: datetime) -> tuple[datetime, datetime]:
    """`2026-10` or `last-month` (the calendar month before `now`'s, in UTC) -> [start, end)."""
    if text == "last-month":
        now = now.astimezone(UTC)
        year, month = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    else:
        match = re.fullmatch(r"(\d{4})-(\d{2})", text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"period {text!r} is neither YYYY-MM nor last-month")
        year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def month_label(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m")


def month_offset(label: str, delta: int) -> str:
    """`month_offset("2026-01", -1) == "2025-12"`."""
    year, month = (int(p) for p in label.split("-"))
    index = year * 12 + (month - 1) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def utc_date(as_of: datetime | date) -> date:
    """The UTC calendar day of an instant (dates pass through): what day-granular rules judge on."""
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            raise ValueError("as_of must carry its time zone")
        return as_of.astimezone(UTC).date()
    return as_of
