"""evidence-<YYYY-MM>.xlsx: every evidence row of the pack, filterable, for the auditor's own testing.

A "Read me" sheet first (`readme_sheet`: what the workbook is, what each sheet and column holds),
then one sheet per evidence table, each an Excel table (ListObject: header row, autofilter, banded
rows) with frozen panes, column widths, real Excel date-times (naive UTC; every time column
says "(UTC)" in its header) and booleans. Row identifiers are the stable ones the PDF and
findings.json cite (F-root_not_used-111122223333, E-evt-<eventID>, E-cred-<account>-<hash>) and
sit in the first column.

Every sheet is written in openpyxl's write-only (streaming) mode, rows produced chunk by chunk
from the report model, so memory stays flat however many root events or IAM users there are.
Every text cell goes through `cells.safe_text` (formula neutralisation + control characters).
Every sheet prints landscape, one page wide, its header row on every page (`xlsx_print`).

Same snapshot, same bytes: the document properties carry the snapshot's `as_of` and every zip
entry carries `as_of` as its timestamp (openpyxl would stamp the current time on both).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from reporter.pack.model import Pack
from reporter.render.readme_sheet import read_me
from reporter.render.sheet_table import (
    DATETIME_WIDTH,
    EXCEL_MAX_TEXT,
    MAX_WIDTH,
    MIN_WIDTH,
    STATUS_STYLE,
    WIDTH_SAMPLE_ROWS,
    Link,
    SheetTable,
)
from reporter.render.sheets import evidence_tables, summary_table
from reporter.render.sheets_monthly import monthly_tables
from reporter.render.xlsx_print import PrintLayout
from reporter.snapshot.writer import atomic_target

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


def _link_cell(ws: Any, link: Link) -> Cell:
    cell = WriteOnlyCell(ws, value=link.text)
    # types-openpyxl lists `_hyperlink` in Cell.__slots__ but does not declare it.
    cell._hyperlink = Hyperlink(ref="", location=f"'{link.sheet}'!A{link.row}", display=link.text)  # type: ignore[attr-defined]
    cell.font = Font(color="0563C1", underline="single")
    return cell


def write_table_sheet(
    wb: Workbook,
    table: SheetTable,
    rows: Iterable[list[Any]] | None = None,
    *,
    layout: PrintLayout | None = None,
    preamble: Sequence[list[Any]] = (),
) -> Any:
    """Stream `table` into a new write-only sheet of `wb` as an Excel table, below the rows of
    `preamble` if any, printed as `layout` says. Returns the sheet.

    This is the one row-writing path of the workbook (the benchmark uses it too)."""
    ws = wb.create_sheet(table.sheet)
    ncols = len(table.columns)
    top = len(preamble) + 1  # the table's header row
    last_row = top + max(table.n_rows, 1)  # an Excel table needs one data row, even an empty one
    last_col = get_column_letter(ncols)

    source = iter(table.rows() if rows is None else rows)
    sample = []
    for row in source:
        sample.append(row)
        if len(sample) >= WIDTH_SAMPLE_ROWS:
            break
    # Layout goes before the first row: write-only sheets write <cols> and <sheetViews> first.
    widths = _widths(table, sample)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if not preamble:
        # Below a preamble a frozen header would pin most of the screen; that sheet scrolls freely.
        ws.freeze_panes = "B2" if table.freeze_first_column else "A2"
    if layout is not None:
        # Gridlines are what let a printed row be read across; a preamble is prose, not a grid.
        layout.apply(ws, title_row=top, gridlines=not preamble, width=sum(widths), id_column=table.freeze_first_column)

    ref = f"A{top}:{last_col}{last_row}"
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
                f"{letter}{top + 1}:{letter}{last_row}",
                CellIsRule(
                    operator="equal",
                    formula=[f'"{status}"'],
                    fill=PatternFill(start_color=fill, end_color=fill, fill_type="solid"),
                    font=Font(color=font),
                ),
            )

    for line in preamble:
        ws.append(line)
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


def workbook_tables(model: Pack) -> list[SheetTable]:
    """The workbook's sheets after the Read me, in order: the Summary, then what it links to."""
    sheets = [*evidence_tables(model), *monthly_tables(model)]
    return [summary_table(model, sheets), *sheets]


def write_xlsx(model: Pack, out_dir: Path, *, page_size: str = "A4") -> Path:
    """Write the workbook; `page_size` (A4 or Letter, as the PDF's) is the paper it prints on."""
    as_of = model.snapshot.manifest.as_of
    layout = PrintLayout(model.period_label, model.snapshot.digest, page_size)
    wb = new_workbook(as_of)
    tables = workbook_tables(model)
    readme = read_me(model, tables)
    write_table_sheet(wb, readme.table, layout=layout, preamble=readme.preamble)
    for table in tables:
        write_table_sheet(wb, table, layout=layout)
    return save_workbook(wb, Path(out_dir) / xlsx_name(model), as_of)
