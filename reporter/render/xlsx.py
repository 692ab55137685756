"""evidence-<YYYY-MM>.xlsx: every evidence row of the pack, filterable, for the auditor's own testing.

One sheet per evidence table, each an Excel table (ListObject: header row, autofilter, banded
rows) with frozen panes, column widths, real Excel date-times (naive UTC; every time column
says "(UTC)" in its header) and booleans. Row identifiers are the ones the PDF cites
(F-0012, E-root-0042, U-0003) and sit in the first column.

Every sheet is written in openpyxl's write-only (streaming) mode, rows produced chunk by chunk
from the report model, so memory stays flat however many root events or IAM users there are.
Every text cell goes through `cells.safe_text` (formula neutralisation + control characters).

Same snapshot, same bytes: the document properties carry the snapshot's `as_of` and every zip
entry carries `as_of` as its timestamp (openpyxl would stamp the current time on both).
"""

from __future__ import annotations

import math
import os
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import orjson
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from reporter import __version__
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.render.cells import safe_text
from reporter.snapshot.writer import atomic_target

TEXT, DATETIME, BOOL, INT, NUMBER = "text", "datetime", "bool", "int", "number"
EXCEL_MAX_TEXT = 32767
CHUNK_ROWS = 10_000
WIDTH_SAMPLE_ROWS = 500
MIN_WIDTH, MAX_WIDTH = 8, 60
DATETIME_WIDTH = 20

STATUS_ORDER = [s.value for s in Status]
# Fill and font per status, for conditional formatting of the status column (text stays spelled out).
STATUS_STYLE = {
    "PASS": ("C6EFCE", "006100"),
    "FAIL": ("FFC7CE", "9C0006"),
    "NOT_ASSESSED": ("FFEB9C", "9C5700"),
    "NOT_APPLICABLE": ("EDEDED", "404040"),
    "MANUAL": ("DDEBF7", "1F4E78"),
}


# ------------------------------------------------------------------------------------------
# Evidence tables: one description shared by the XLSX and CSV renderers
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # header text, unique within the table
    kind: str = TEXT
    source: str | None = None  # the frame column it comes from (tables built from a DataFrame)
    note: str | None = None  # a frame column whose text stands in when the value is missing


@dataclass(frozen=True)
class Link:
    """A cell that links to another sheet of the workbook (plain text in CSV)."""

    text: str
    sheet: str


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

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return safe_text(value if isinstance(value, str) else str(value))


def _utc_naive(value: datetime | None) -> datetime | None:
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
    return [_text(v) for v in series.tolist()]


def frame_rows(frame: pd.DataFrame, columns: Sequence[Column], chunk: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    """Rows of `frame` as Python values, converted column-wise `chunk` rows at a time."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        values = []
        for col in columns:
            vals = _column_values(part[col.source], col.kind)
            if col.note is not None:
                notes = [_text(v) for v in part[col.note].tolist()]
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


def frame_columns(frame: pd.DataFrame, skip: Iterable[str] = ()) -> list[Column]:
    """A Column per frame column (typed from its dtype); `<col>_note` columns fold into `<col>`."""
    skip = set(skip)
    names = [c for c in frame.columns if c not in skip]
    notes = {c for c in names if c.endswith("_note") and c[: -len("_note")] in frame.columns}
    out = []
    for name in names:
        if name in notes:
            continue
        kind = kind_of(frame[name].dtype)
        note = f"{name}_note" if f"{name}_note" in notes else None
        out.append(Column(header_for(name, kind), kind, source=name, note=note))
    return out


def frame_table(
    name: str, sheet: str, table_name: str, frame: pd.DataFrame, columns: list[Column], **kwargs: Any
) -> SheetTable:
    return SheetTable(name, sheet, table_name, columns, len(frame), lambda: frame_rows(frame, columns), **kwargs)


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def findings_table(model: Pack) -> SheetTable:
    columns = [
        Column("finding_id"),
        Column("check_id"),
        Column("check_title"),
        Column("account_id"),
        Column("resource"),
        Column("status"),
        Column("severity"),
        Column("reason"),
        Column("observed (JSON)"),
        Column("evidence"),
        Column("aggregate", BOOL),
        Column("acceptance_state"),
        Column("approver"),
        Column("expires_on"),
        Column("ticket"),
    ]
    decided = _decisions(model)

    def rows() -> Iterator[list[Any]]:
        for f in model.findings:
            check = CHECKS.get(f.check_id)
            evidence = "; ".join(ref.path + (f" ({ref.row})" if ref.row else "") for ref in f.evidence)
            d = decided.get(f.finding_id)
            acc = d.acceptance if d is not None else None
            yield (
                [
                    _text(v)
                    for v in (
                        f.finding_id,
                        f.check_id,
                        check.title if check else None,
                        f.account_id,
                        f.resource,
                        f.status.value,
                        f.severity.value,
                        f.reason,
                        _json(f.observed),
                        evidence,
                    )
                ]
                + [bool(f.aggregate)]
                + [
                    _text(v)
                    for v in (
                        d.state.value if d else None,
                        acc.approver if acc else None,
                        acc.expires_on.isoformat() if acc else None,
                        acc.ticket if acc else None,
                    )
                ]
            )

    return SheetTable(
        "findings",
        "Findings",
        "Findings",
        columns,
        len(model.findings),
        rows,
        status_column="status",
        widths={"reason": 80, "observed (JSON)": 60, "evidence": 60},
    )


def frameworks_table(model: Pack) -> SheetTable:
    columns = [
        Column("framework_id"),
        Column("framework"),
        Column("framework_version"),
        Column("requirement_id"),
        Column("section"),
        Column("title"),
        Column("level"),
        Column("assessment"),
        Column("status"),
        Column("reason"),
        Column("check_ids"),
        Column("finding_ids"),
        Column("status_by_account"),
    ]
    n = sum(len(r.requirements) for r in model.frameworks)

    def rows() -> Iterator[list[Any]]:
        for result in model.frameworks:
            fw = result.framework
            for r in result.requirements:
                req = r.requirement
                by_account = "; ".join(f"{a}: {s.value}" for a, s in sorted(r.status_by_account.items()))
                yield [
                    _text(v)
                    for v in (
                        fw.id,
                        fw.name,
                        fw.version,
                        req.id,
                        req.section,
                        req.title,
                        req.level,
                        req.assessment,
                        r.status.value,
                        r.reason,
                        ", ".join(r.check_ids),
                        ", ".join(r.finding_ids),
                        by_account,
                    )
                ]

    return SheetTable(
        "frameworks",
        "Frameworks",
        "Frameworks",
        columns,
        n,
        rows,
        status_column="status",
        widths={"title": 60, "reason": 80, "finding_ids": 40},
    )


def root_events_table(model: Pack, frame: pd.DataFrame | None = None) -> SheetTable:
    frame = model.root_events() if frame is None else frame
    if "ticket" not in frame.columns:
        # The break-glass ticket (--exceptions) that authorised each root event, if any.
        tickets = {
            e.row_id: e.break_glass.ticket
            for e in (model.acceptances.root_events if model.acceptances else ())
            if e.break_glass is not None
        }
        frame = frame.assign(
            ticket=pd.Series([tickets.get(r) for r in frame["row_id"]], index=frame.index, dtype=object)
        )
    # `account` (the snapshot folder) repeats what `source` already says; every normalized column stays.
    columns = frame_columns(frame, skip=["account"])
    return frame_table(
        "root_events", "Root events", "RootEvents", frame, columns, widths={"user_agent": 50, "source": 50}
    )


def credential_report_table(model: Pack) -> SheetTable:
    frame = model.credential_rows()
    return frame_table(
        "credential_report",
        "Credential report",
        "CredentialReport",
        frame,
        frame_columns(frame),
        widths={"arn": 45, "source": 45},
    )


def manifest_table(model: Pack) -> SheetTable:
    columns = [
        Column("path"),
        Column("sha256"),
        Column("size", INT),
        Column("api"),
        Column("params (JSON)"),
        Column("account"),
        Column("region"),
        Column("collected_at (UTC)", DATETIME),
        Column("status"),
        Column("error_code"),
        Column("error_message"),
    ]
    artifacts = model.snapshot.manifest.artifacts

    def rows() -> Iterator[list[Any]]:
        for a in artifacts:
            yield [
                _text(a.path),
                _text(a.sha256),
                a.size,
                _text(a.api),
                _text(_json(a.params)),
                _text(a.account),
                _text(a.region),
                _utc_naive(a.collected_at),
                _text(a.status),
                _text(a.error.code if a.error else None),
                _text(a.error.message if a.error else None),
            ]

    return SheetTable(
        "manifest",
        "Manifest",
        "Manifest",
        columns,
        len(artifacts),
        rows,
        freeze_first_column=False,
        widths={"sha256": 66, "error_message": 80, "path": 60},
    )


SHEET_DESCRIPTIONS = {
    "Findings": "every finding (PASS included), id F-…",
    "Frameworks": "one row per framework requirement, with its checks and findings",
    "Root events": "every root CloudTrail event of the period, id E-root-…",
    "Credential report": "every credential-report row of every account, id U-…",
    "Manifest": "every artifact of the snapshot, with its SHA-256 and API call",
    "Drift": "findings new, resolved, still open or no longer assessed since the previous pack",
    "Trend": "root events and FAIL counts per month, this month and the 12 before",
    "Exceptions": "risk acceptances applied (or expired) and entries that matched nothing",
}


def _decisions(model: Pack) -> dict[str, Any]:
    if model.acceptances is None:
        return {}
    return {d.finding_id: d for d in model.acceptances.decisions if d.acceptance is not None}


def drift_table(model: Pack) -> SheetTable:
    columns = [
        Column("change"),
        Column("check_id"),
        Column("account_id"),
        Column("resource"),
        Column("severity"),
        Column("status"),
        Column("previous_status"),
        Column("months_open", INT),
        Column("acceptance"),
        Column("reason"),
    ]
    drift = model.drift
    changes = (
        []
        if drift is None
        else [
            (name, c)
            for name, group in (
                ("new", drift.new),
                ("resolved", drift.resolved),
                ("still_open", drift.still_open),
                ("no_longer_assessed", drift.no_longer_assessed),
            )
            for c in group
        ]
    )

    def rows() -> Iterator[list[Any]]:
        for name, c in changes:
            yield [
                *(
                    _text(v)
                    for v in (name, c.check_id, c.account_id, c.resource, c.severity, c.status, c.previous_status)
                ),
                c.months_open,
                _text(c.acceptance),
                _text(c.reason),
            ]

    return SheetTable(
        "drift",
        "Drift",
        "Drift",
        columns,
        len(changes),
        rows,
        status_column="status",
        widths={"resource": 50, "reason": 80},
    )


def trend_table(model: Pack) -> SheetTable:
    drift = model.drift
    points = list(drift.trend) if drift is not None else []
    frameworks = list(drift.frameworks) if drift is not None else []
    columns = [
        Column("month"),
        Column("manifest_sha256"),
        Column("root_events", INT),
        Column("root_events_complete", BOOL),
        Column("fail_findings", INT),
        *(Column(f"FAIL requirements {fw}", INT) for fw in frameworks),
    ]
    series = drift.fail_series() if drift is not None else {}

    def rows() -> Iterator[list[Any]]:
        for i, p in enumerate(points):
            # A month without a pack stays empty (never 0); so does an unknown root-event count.
            yield [
                _text(p.month),
                _text(p.manifest_sha256),
                p.root_events,
                p.root_events_complete if p.manifest_sha256 else None,
                p.fail_findings,
                *(series[fw][i] for fw in frameworks),
            ]

    return SheetTable(
        "trend", "Trend", "Trend", columns, len(points), rows, freeze_first_column=True, widths={"manifest_sha256": 66}
    )


def exceptions_table(model: Pack) -> SheetTable:
    columns = [
        Column("kind"),
        Column("state"),
        Column("finding_id"),
        Column("check_id"),
        Column("account_id"),
        Column("resource"),
        Column("approver"),
        Column("approved_on"),
        Column("expires_on"),
        Column("ticket"),
        Column("justification"),
        Column("entry", INT),
    ]
    report = model.acceptances
    items: list[list[Any]] = []
    if report is not None:
        for d in report.decisions:
            acc = d.acceptance
            if acc is None:
                continue
            items.append(
                [
                    "acceptance",
                    d.state.value,
                    d.finding_id,
                    d.check_id,
                    d.account_id,
                    d.resource,
                    acc.approver,
                    acc.approved_on.isoformat(),
                    acc.expires_on.isoformat(),
                    acc.ticket,
                    acc.justification,
                    acc.index,
                ]
            )
        for acc in report.unused:
            items.append(
                [
                    "acceptance (matched no FAIL)",
                    "unused",
                    None,
                    acc.check,
                    acc.account,
                    acc.resource,
                    acc.approver,
                    acc.approved_on.isoformat(),
                    acc.expires_on.isoformat(),
                    acc.ticket,
                    acc.justification,
                    acc.index,
                ]
            )
        for bg in report.unused_break_glass:
            what = bg.event_id or f"{_iso(bg.start)} to {_iso(bg.end)}"
            items.append(
                [
                    "break-glass (matched no root event)",
                    "unused",
                    None,
                    None,
                    bg.account,
                    what,
                    bg.approver,
                    bg.approved_on.isoformat(),
                    None,
                    bg.ticket,
                    bg.justification,
                    bg.index,
                ]
            )

    def rows() -> Iterator[list[Any]]:
        for item in items:
            yield [*(_text(v) for v in item[:-1]), item[-1]]

    return SheetTable(
        "exceptions",
        "Exceptions",
        "Exceptions",
        columns,
        len(items),
        rows,
        widths={"resource": 45, "justification": 60},
    )


def monthly_tables(model: Pack) -> list[SheetTable]:
    """The month-over-month sheets (workbook only; the CSV export keeps to the evidence)."""
    return [drift_table(model), trend_table(model), exceptions_table(model)]


def summary_table(model: Pack) -> SheetTable:
    columns = [
        Column("section"),
        Column("item"),
        Column("value"),
        *(Column(s, INT) for s in STATUS_ORDER),
        Column("total", INT),
        Column("link"),
    ]
    manifest = model.snapshot.manifest

    def info(item: str, value: Any) -> list[Any]:
        v = _utc_naive(value) if isinstance(value, datetime) else value if isinstance(value, int) else _text(value)
        return ["report", item, v, *([None] * (len(STATUS_ORDER) + 1)), None]

    def counted(section: str, item: str, value: Any, counts: dict[str, int], link: str) -> list[Any]:
        nums = [counts.get(s, 0) for s in STATUS_ORDER]
        return [section, _text(item), _text(value), *nums, sum(nums), Link(link, link)]

    def rows() -> Iterator[list[Any]]:
        yield info("period", model.period_label)
        yield info("period_start (UTC)", manifest.period_start)
        yield info("period_end (UTC)", manifest.period_end)
        yield info("as_of (UTC)", manifest.as_of)
        yield info("collected_at (UTC)", manifest.collected_at)
        yield info("accounts", len(model.accounts))
        yield info("snapshot digest (SHA-256 of manifest.json)", model.snapshot.digest)
        yield info("caller_arn", manifest.caller_arn)
        yield info("organization_id", manifest.organization_id)
        yield info("snapshot tool_version", manifest.tool_version)
        yield info("rendered by", f"reporter {__version__}")
        yield info("previous_manifest_sha256 (evidence chain)", manifest.previous_manifest_sha256)
        yield info("drift compared with", _compared_with(model))
        yield counted("findings", "all accounts", None, model.counts(), "Findings")
        for a in model.accounts:
            state = "assessed" if a.assessed else f"not assessed: {a.reason}"
            label = f"{a.id} ({a.name})" if a.name else a.id
            kind = "management account" if a.is_management else "member account"
            yield counted("findings by account", label, f"{kind}; {state}", model.counts(a.id), "Findings")
        for result in model.frameworks:
            name = f"{result.framework.name} {result.framework.version}"
            yield counted(
                "requirements by framework",
                name,
                result.framework.id,
                {s.value: n for s, n in result.counts.items()},
                "Frameworks",
            )
        for result in model.frameworks:
            name = f"{result.framework.name} {result.framework.version}"
            for account, counts in sorted(result.counts_by_account.items()):
                yield counted(
                    "requirements by framework and account",
                    f"{name} / {account}",
                    result.framework.id,
                    {s.value: n for s, n in counts.items()},
                    "Frameworks",
                )
        for sheet, text in SHEET_DESCRIPTIONS.items():
            yield ["sheet", sheet, _text(text), *([None] * (len(STATUS_ORDER) + 1)), Link(sheet, sheet)]

    n = (
        13
        + 1
        + len(model.accounts)
        + len(model.frameworks)
        + sum(len(r.counts_by_account) for r in model.frameworks)
        + len(SHEET_DESCRIPTIONS)
    )
    return SheetTable(
        "summary", "Summary", "Summary", columns, n, rows, freeze_first_column=False, widths={"item": 50, "value": 66}
    )


def _compared_with(model: Pack) -> str:
    drift = model.drift
    if drift is None or drift.baseline:
        return "baseline: first pack of this scope"
    gap = "" if drift.previous_is_last_month else " (months without a pack in between)"
    return f"{drift.previous_month} (manifest sha256 {drift.previous_manifest_sha256}){gap}"


def evidence_tables(model: Pack, *, summary: bool = True) -> list[SheetTable]:
    tables = [
        findings_table(model),
        frameworks_table(model),
        root_events_table(model),
        credential_report_table(model),
        manifest_table(model),
    ]
    return ([summary_table(model)] if summary else []) + tables


# ------------------------------------------------------------------------------------------
# Writing a sheet (streaming)
# ------------------------------------------------------------------------------------------


def _fit(value: Any) -> Any:
    if isinstance(value, str) and len(value) > EXCEL_MAX_TEXT:
        marker = f"… [truncated: {len(value)} characters]"
        return value[: EXCEL_MAX_TEXT - len(marker)] + marker
    return value


def _widths(table: SheetTable, sample: list[list[Any]]) -> list[float]:
    out = []
    for i, col in enumerate(table.columns):
        if col.name in table.widths and table.widths[col.name]:
            out.append(table.widths[col.name])
            continue
        longest = len(col.name) + 3  # room for the filter button
        for row in sample:
            v = row[i]
            if isinstance(v, datetime):
                longest = max(longest, DATETIME_WIDTH)
            elif isinstance(v, Link):
                longest = max(longest, len(v.text))
            elif v is not None:
                longest = max(longest, len(str(v)))
        out.append(float(min(max(longest + 1, MIN_WIDTH), MAX_WIDTH)))
    return out


def _link_cell(ws: Any, link: Link) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=link.text)
    cell._hyperlink = Hyperlink(ref="", location=f"'{link.sheet}'!A1", display=link.text)
    cell.font = Font(color="0563C1", underline="single")
    return cell


def write_table_sheet(wb: Workbook, table: SheetTable, rows: Iterable[list[Any]] | None = None) -> Any:
    """Stream `table` into a new write-only sheet of `wb` as an Excel table. Returns the sheet.

    This is the one row-writing path of the workbook (the benchmark uses it too)."""
    ws = wb.create_sheet(table.sheet)
    ncols = len(table.columns)
    last_row = 1 + max(table.n_rows, 1)  # an Excel table needs one data row, even an empty one
    last_col = get_column_letter(ncols)

    source = iter(table.rows() if rows is None else rows)
    sample = []
    for row in source:
        sample.append(row)
        if len(sample) >= WIDTH_SAMPLE_ROWS:
            break
    # Layout goes before the first row: write-only sheets write <cols> and <sheetViews> first.
    for i, width in enumerate(_widths(table, sample), 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "B2" if table.freeze_first_column else "A2"

    ref = f"A1:{last_col}{last_row}"
    excel_table = Table(displayName=table.table_name, ref=ref)
    excel_table.tableColumns = [TableColumn(id=i, name=name) for i, name in enumerate(table.headers, 1)]
    excel_table.autoFilter = AutoFilter(ref=ref)
    excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    with warnings.catch_warnings():  # "add table columns manually": done above
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(excel_table)

    if table.status_column is not None and table.n_rows:
        letter = get_column_letter(table.headers.index(table.status_column) + 1)
        for status, (fill, font) in STATUS_STYLE.items():
            ws.conditional_formatting.add(
                f"{letter}2:{letter}{last_row}",
                CellIsRule(
                    operator="equal",
                    formula=[f'"{status}"'],
                    fill=PatternFill(start_color=fill, end_color=fill, fill_type="solid"),
                    font=Font(color=font),
                ),
            )

    ws.append(table.headers)
    append = ws.append
    written = 0
    for chunk in (sample, source):
        for row in chunk:
            if any(isinstance(v, Link | str) for v in row):
                row = [_link_cell(ws, v) if isinstance(v, Link) else _fit(v) for v in row]
            append(row)
            written += 1
    if written != table.n_rows:
        raise RuntimeError(f"{table.sheet}: expected {table.n_rows} rows, wrote {written}")
    return ws


# ------------------------------------------------------------------------------------------
# Saving, byte for byte reproducibly
# ------------------------------------------------------------------------------------------


class _FixedTimeZip(ZipFile):
    """A zip whose every entry carries `date_time` (ZipFile would use now / the temp file's mtime)."""

    def __init__(self, file: Any, date_time: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", ZIP_DEFLATED, allowZip64=True)
        self._fixed_time = date_time

    def _info(self, name: str) -> ZipInfo:
        info = ZipInfo(name, date_time=self._fixed_time)
        info.compress_type = ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None) -> None:
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None, compresslevel: Any = None) -> None:
        info = self._info(arcname or os.path.basename(filename))
        info.file_size = os.path.getsize(filename)
        with open(filename, "rb") as src, self.open(info, "w", force_zip64=info.file_size > 0x7FFF0000) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def new_workbook(as_of: datetime) -> Workbook:
    wb = Workbook(write_only=True)
    stamp = as_of.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "reporter"
    wb.properties.lastModifiedBy = "reporter"
    return wb


def save_workbook(wb: Workbook, path: Path, as_of: datetime) -> Path:
    """Save atomically, with fixed document times and fixed zip entry times."""
    stamp = as_of.astimezone(UTC)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    path = Path(path)
    with atomic_target(path) as tmp:
        # ExcelWriter directly: openpyxl's save_workbook() would overwrite `modified` with now.
        ExcelWriter(wb, _FixedTimeZip(tmp, date_time)).save()
    return path


def xlsx_name(model: Pack) -> str:
    return f"evidence-{model.period_label}.xlsx"


def write_xlsx(model: Pack, out_dir: Path) -> Path:
    as_of = model.snapshot.manifest.as_of
    wb = new_workbook(as_of)
    for table in [*evidence_tables(model), *monthly_tables(model)]:
        write_table_sheet(wb, table)
    return save_workbook(wb, Path(out_dir) / xlsx_name(model), as_of)
