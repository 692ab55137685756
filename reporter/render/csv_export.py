"""One CSV per evidence table (findings, frameworks, root_events, credential_report, manifest).

The same tables, columns and row identifiers as the workbook (`xlsx.evidence_tables`), so a
row cited in the PDF can be found in either. UTF-8 without BOM, `\\r\\n` line ends (RFC 4180),
every field that needs it quoted, text passed through `cells.safe_text` (formula-safe), times
as ISO-8601 UTC (`2026-10-04T09:15:22Z`), booleans as TRUE/FALSE, missing values empty.
Same snapshot, same bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from reporter.pack.model import Pack
from reporter.render.sheet_table import Link, SheetTable
from reporter.render.sheets import evidence_tables
from reporter.snapshot.writer import atomic_write


def _field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):  # naive UTC, as the tables give them
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        return text + (f".{value.microsecond:06d}" if value.microsecond else "") + "Z"
    if isinstance(value, Link):
        return value.text
    return str(value)  # text is already safe_text'ed by the table


def table_lines(table: SheetTable) -> Iterator[bytes]:
    """The CSV bytes of `table`, a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.headers)
    for i, row in enumerate(table.rows(), 1):
        writer.writerow([_field(v) for v in row])
        if i % 5000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def render_csv(table: SheetTable) -> bytes:
    return b"".join(table_lines(table))


def csv_name(model: Pack, table: SheetTable) -> str:
    return f"evidence-{model.period_label}-{table.name}.csv"


def write_csv(model: Pack, out_dir: Path) -> list[Path]:
    paths = []
    for table in evidence_tables(model):
        path = Path(out_dir) / csv_name(model, table)
        atomic_write(path, render_csv(table))
        paths.append(path)
    return paths
