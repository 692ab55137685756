"""Small readers shared by the checks: the root row, and values as JSON-friendly observations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef
from reporter.evidence.tables import EvidenceTable


def iso(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def when(value: Any) -> str:
    """A time as the pack's sentences print it: to the minute, in UTC ("2026-10-03 14:02 UTC")."""
    if value is None or pd.isna(value):
        return "no date"
    at = value if isinstance(value, pd.Timestamp) else pd.Timestamp(value)
    # Fields, not strftime: this runs for every credential of every user of an organization.
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d} UTC"


def sentence(parts: list[str]) -> str:
    """Clauses joined into one sentence: the first capitalised, a full stop at the end."""
    text = "; ".join(p for p in parts if p)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def said(value: Any) -> str:
    """A credential-report value in a sentence: the special word it holds when it has no value."""
    if value is None:
        return "not stated"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def age_text(age: pd.Timedelta, limit_days: int) -> str:
    """An age in whole days; at the edge of a limit (the same whole days) to the second, so
    "90 days" never reads as the reason a 90-day limit failed."""
    days = age.days
    if days != limit_days:
        return plural(days, "day")
    rest = age - pd.Timedelta(days=days)
    seconds = int(rest.total_seconds())
    return f"{days} days {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def flag(value: Any) -> bool | None:
    return None if value is None or pd.isna(value) else bool(value)


def cell(row: pd.Series | Mapping[str, Any], column: str) -> Any:
    """A credential-report value for the reader: the time or boolean, else its special word."""
    value = row[column]
    if value is None or pd.isna(value):
        note = row.get(f"{column}_note")
        return note if isinstance(note, str) else None
    if isinstance(value, pd.Timestamp):
        return iso(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return value


def row_ref(table: EvidenceTable, row: pd.Series | Mapping[str, Any]) -> EvidenceRef:
    return EvidenceRef(table.sources[0], f"line {int(row['line'])}", str(row["evidence_id"]))


# The root checks of one account run one after another on the same table: remember the last
# (table, account)'s root row (the table held by reference, so the identity test cannot match a
# new object); a boolean filter per root check was 2 ms each, 12 s on 1,000 accounts.
_last_root: tuple[EvidenceTable, str, pd.Series | None] | None = None


def root_row(ctx: CheckContext, table: EvidenceTable) -> pd.Series | None:
    global _last_root
    if _last_root is None or _last_root[0] is not table or _last_root[1] != ctx.account_id:
        frame = table.data
        rows = frame[frame["is_root"].fillna(False) & (frame["account_id"] == ctx.account_id)]
        _last_root = (table, ctx.account_id, None if rows.empty else rows.iloc[0])
    return _last_root[2]


def root_credentials_removed(row: pd.Series) -> bool:
    """Centralized root access removed the root password, keys and MFA of this member account.

    Only reports since ~2024 say `password_enabled=false` for root; older ones say
    `not_supported`, which cannot show removal and so never counts as removed.
    """
    return all(
        flag(row[c]) is False for c in ("password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active")
    )


def users(table: EvidenceTable) -> pd.DataFrame:
    frame = table.data
    return cast(pd.DataFrame, frame[~frame["is_root"].fillna(False)])
