"""The IAM credential report (CSV) as one typed row per principal.

AWS writes timestamps as `2022-12-21T16:19:23+00:00` (older reports) or `2025-01-28T17:25:12Z`
(since about 2024), uses the words `N/A`, `no_information` and `not_supported` in place of
values, and writes booleans as `true`/`TRUE`. Each of these is kept: a timestamp column holds
a real UTC time or NaT, and its `<column>_note` column says which special word stood there.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pandas as pd

from reporter.evidence.problems import ParseProblem
from reporter.evidence.row_ids import credential_row_id
from reporter.evidence.times import parse_utc

TIMESTAMP_COLUMNS = (
    "user_creation_time",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "cert_1_last_rotated",
    "cert_2_last_rotated",
)
BOOLEAN_COLUMNS = (
    "password_enabled",
    "mfa_active",
    "access_key_1_active",
    "access_key_2_active",
    "cert_1_active",
    "cert_2_active",
)
TEXT_COLUMNS = (
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
)
COLUMNS = (
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
)
SPECIAL_VALUES = frozenset({"N/A", "no_information", "not_supported"})
ROOT_USER = "<root_account>"


class CredentialReportError(Exception):
    """The report as a whole cannot be read (not text, no header, a required column missing)."""


class _BadRow(Exception):
    pass


def _timestamp(column: str, raw: str) -> tuple[datetime | None, str | None]:
    if raw in SPECIAL_VALUES:
        return None, raw
    try:
        return parse_utc(raw, column), None
    except ValueError as exc:
        raise _BadRow(str(exc)) from None


def _boolean(column: str, raw: str) -> tuple[bool | None, str | None]:
    folded = raw.strip().lower()
    if folded == "true":
        return True, None
    if folded == "false":
        return False, None
    if raw in SPECIAL_VALUES:
        return None, raw
    raise _BadRow(f"{column}: {raw[:60]!r} is not true/false")


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "iam":
        raise _BadRow(f"arn: {arn[:80]!r} is not an IAM ARN")
    return parts[4]


def _typed_row(fields: dict[str, str]) -> dict[str, object]:
    user, arn = fields["user"], fields["arn"]
    if not user:
        raise _BadRow("user: empty")
    row: dict[str, object] = {"user": user, "arn": arn, "account_id": _account_of(arn)}
    root_by_name, root_by_arn = user == ROOT_USER, arn.endswith(":root")
    if root_by_name != root_by_arn:
        raise _BadRow(f"user {user!r} and arn {arn!r} disagree on whether this is the root user")
    row["is_root"] = root_by_name
    row["evidence_id"] = credential_row_id(str(row["account_id"]), arn, is_root=root_by_name)
    for column in TIMESTAMP_COLUMNS:
        row[column], row[f"{column}_note"] = _timestamp(column, fields[column])
    for column in BOOLEAN_COLUMNS:
        row[column], row[f"{column}_note"] = _boolean(column, fields[column])
    for column in TEXT_COLUMNS:
        row[column] = fields[column]
    return row


def is_root_subject(subject: str | None) -> bool:
    return subject is not None and (subject == ROOT_USER or subject.endswith(":root"))


def _row_subject(values: list[str]) -> str | None:
    """Name the principal of a row that could not be read: its ARN if one is still there (the
    name every finding uses), else its user name. A row short of fields may have lost either."""
    arn = next((v for v in values[:3] if v.startswith("arn:")), None)
    if arn is not None:
        return arn
    return ROOT_USER if ROOT_USER in values[:2] else (values[0] or None)


def output_columns() -> list[str]:
    cols = ["evidence_id", "user", "arn", "account_id", "is_root"]
    for column in COLUMNS[2:]:
        cols.append(column)
        if column in TIMESTAMP_COLUMNS or column in BOOLEAN_COLUMNS:
            cols.append(f"{column}_note")
    return [*cols, "line"]


def parse_credential_report(data: bytes, source: str) -> tuple[pd.DataFrame, list[ParseProblem]]:
    """Parse report bytes. Bad rows are reported and skipped; every good row is kept.

    Raises CredentialReportError only when nothing in the file can be trusted.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CredentialReportError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CredentialReportError(f"{source}: line 1: header is not valid CSV ({exc})") from None
    if not header:
        raise CredentialReportError(f"{source}: empty file, no header row")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CredentialReportError(f"{source}: line 1: header lacks column(s) {', '.join(missing)}")
    index = {name: i for i, name in enumerate(header)}

    rows: list[dict[str, object]] = []
    problems: list[ParseProblem] = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader resumes at the next record; an unterminated quote swallows every line
            # up to where it gave up, so name the whole span that was lost.
            end = reader.line_num
            where = f"line {line}" if end <= line else f"lines {line}-{end}"
            problems.append(ParseProblem(source, where, f"not valid CSV ({exc}); skipped"))
            continue
        if not values:
            continue
        subject = _row_subject(values)
        if len(values) != len(header):
            problems.append(
                ParseProblem(source, f"line {line}", f"expected {len(header)} fields, found {len(values)}", subject)
            )
            continue
        try:
            row = _typed_row({name: values[i] for name, i in index.items()})
        except _BadRow as exc:
            problems.append(ParseProblem(source, f"line {line}", str(exc), subject))
            continue
        row["line"] = line
        rows.append(row)

    frame = pd.DataFrame(rows, columns=output_columns())
    for column in TIMESTAMP_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in (*BOOLEAN_COLUMNS, "is_root"):
        frame[column] = frame[column].astype("boolean")
    frame["line"] = frame["line"].astype("int64")
    return frame, problems
