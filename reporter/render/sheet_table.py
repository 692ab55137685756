"""A sheet of the evidence workbook (and a CSV file): its columns, its rows as a stream, and the
value rules every renderer of it shares."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pandas as pd

from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.render.cells import safe_text

TEXT, DATETIME, BOOL, INT, NUMBER = "text", "datetime", "bool", "int", "number"
EXCEL_MAX_TEXT = 32767
CHUNK_ROWS = 10_000
WIDTH_SAMPLE_ROWS = 500
MIN_WIDTH, MAX_WIDTH = 8, 60
DATETIME_WIDTH = 20

STATUS_ORDER = [s.value for s in Status]
STATUS_MEANING = (
    "PASS or FAIL: evidence present and the control holds or not; NOT_ASSESSED: evidence missing, unreadable "
    "or its collection failed (never a pass); NOT_APPLICABLE: the control does not apply here."
)
# Fill and font per status, for conditional formatting of the status column (text stays spelled out).
STATUS_STYLE = {
    "PASS": ("C6EFCE", "006100"),
    "FAIL": ("FFC7CE", "9C0006"),
    "NOT_ASSESSED": ("FFEB9C", "9C5700"),
    "NOT_APPLICABLE": ("EDEDED", "404040"),
    "MANUAL": ("DDEBF7", "1F4E78"),
}


@dataclass(frozen=True)
class Column:
    name: str  # header text, unique within the table
    kind: str = TEXT
    source: str | None = None  # the frame column it comes from (tables built from a DataFrame)
    note: str | None = None  # a frame column whose text stands in when the value is missing
    description: str = ""  # what a cell of this column says, for the workbook's "Read me" sheet


@dataclass(frozen=True)
class Link:
    """A cell that links to another sheet of the workbook, at `row` of its column A (plain text in CSV)."""

    text: str
    sheet: str
    row: int = 1


@dataclass
class SheetTable:
    """One sheet of the workbook (and one CSV file): its columns and a stream of rows."""

    name: str  # file stem (CSV) and table id
    sheet: str  # sheet title (XLSX)
    table_name: str  # Excel ListObject name
    columns: list[Column]
    n_rows: int
    rows: Callable[[], Iterator[list[Any]]]  # values: safe str | naive-UTC datetime | bool | int | Link | None
    status_column: str | None = None
    freeze_first_column: bool = True
    widths: dict[str, float] = field(default_factory=dict)
    description: str = ""  # what one row of the sheet is, for the "Read me" and Summary sheets

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]


def text_value(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return safe_text(value if isinstance(value, str) else str(value))


def utc_naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _column_values(series: pd.Series, kind: str) -> list[Any]:
    """One column of a chunk as Python values of `kind` (missing → None)."""
    if kind == DATETIME:
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        missing = series.isna().tolist()
        return [None if m else v.to_pydatetime() for v, m in zip(series.tolist(), missing, strict=True)]
    if kind == BOOL:
        return [
            None if v is pd.NA or v is None or (isinstance(v, float) and math.isnan(v)) else bool(v)
            for v in series.astype(object).tolist()
        ]
    if kind in (INT, NUMBER):
        missing = series.isna().tolist()
        cast = int if kind == INT else float
        return [None if m else cast(v) for v, m in zip(series.tolist(), missing, strict=True)]
    return [text_value(v) for v in series.tolist()]


def frame_rows(frame: pd.DataFrame, columns: Sequence[Column], chunk: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    """Rows of `frame` as Python values, converted column-wise `chunk` rows at a time."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        values = []
        for col in columns:
            vals = _column_values(part[col.source], col.kind)
            if col.note is not None:
                notes = [text_value(v) for v in part[col.note].tolist()]
                vals = [n if v is None else v for v, n in zip(vals, notes, strict=True)]
            values.append(vals)
        for row in zip(*values, strict=True):
            yield list(row)


def kind_of(dtype: Any) -> str:
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return DATETIME
    if pd.api.types.is_bool_dtype(dtype):
        return BOOL
    if pd.api.types.is_integer_dtype(dtype):
        return INT
    if pd.api.types.is_float_dtype(dtype):
        return NUMBER
    return TEXT


def header_for(name: str, kind: str) -> str:
    return f"{name} (UTC)" if kind == DATETIME else name


# Said of every column a `<col>_note` folds into: the reader sees a word where a time or flag was expected.
NOTE_MEANING = " Where the source held a word instead (N/A, no_information, not_supported), the cell shows that word."


def frame_columns(
    frame: pd.DataFrame, skip: Iterable[str] = (), meanings: Mapping[str, str] | None = None
) -> list[Column]:
    """A Column per frame column (typed from its dtype, described by `meanings[name]`);
    `<col>_note` columns fold into `<col>`."""
    meanings = meanings or {}
    skip = set(skip)
    names = [c for c in frame.columns if c not in skip]
    notes = {c for c in names if c.endswith("_note") and c[: -len("_note")] in frame.columns}
    out = []
    for name in names:
        if name in notes:
            continue
        kind = kind_of(frame[name].dtype)
        note = f"{name}_note" if f"{name}_note" in notes else None
        meaning = meanings.get(name, "") + (NOTE_MEANING if note and name in meanings else "")
        out.append(Column(header_for(name, kind), kind, source=name, note=note, description=meaning))
    return out


def frame_table(
    name: str, sheet: str, table_name: str, frame: pd.DataFrame, columns: list[Column], **kwargs: Any
) -> SheetTable:
    return SheetTable(name, sheet, table_name, columns, len(frame), lambda: frame_rows(frame, columns), **kwargs)


def json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def iso_text(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decisions_by_finding(model: Pack) -> dict[str, Any]:
    if model.acceptances is None:
        return {}
    return {d.finding_id: d for d in model.acceptances.decisions if d.acceptance is not None}
