"""The workbook's first sheet, "Read me": what the workbook is, how to use it, and one row per
sheet and per column saying what it holds.

An auditor handed the workbook alone must be able to tell which scope, period and snapshot it
is of, and what every column means, without the PDF or this code. The column table is an Excel
table like every other sheet, so it filters (e.g. every date-time column, or one sheet's).
Its rows come from the `description` of each `SheetTable` and `Column`, written where each is
declared; it lists itself too, so it names exactly the workbook's sheets and columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reporter import __version__
from reporter.pack.model import Pack
from reporter.render.sheet_table import (
    BOOL,
    DATETIME,
    INT,
    NUMBER,
    TEXT,
    Column,
    Link,
    SheetTable,
    iso_text,
    text_value,
)

SHEET = "Read me"
KIND_LABELS = {TEXT: "text", DATETIME: "date-time", BOOL: "bool", INT: "int", NUMBER: "number"}
SHEET_KIND = "sheet"  # the type cell of a sheet's own row (its column cell is empty)
# Beyond this many accounts the scope line counts them and leaves the list to the Summary sheet.
LISTED_ACCOUNTS = 10

HOW_TO_USE = [
    ("filters", "Every sheet is an Excel table: the arrow in a header cell filters and sorts it."),
    (
        "row ids",
        "The first column holds the stable ids the PDF and findings.json cite, the same every month: "
        "F-<check>-<account>[-<hash>] (Findings), E-evt-<eventID> (Root events), E-cred-<account>-<hash> "
        "(Credential report), E-doc-<account>-<hash> (Manifest).",
    ),
    ("links", "Blue underlined cells (the Summary's link column, this sheet's sheet column) open that sheet."),
    ("times", "Every date-time is UTC (its header says so); ages are measured against as_of, not the print date."),
    (
        "formulas",
        "Text that began with = + - @ (or a tab or carriage return) is prefixed with ' so it stays inert text; "
        "control characters are shown as \\xNN.",
    ),
    ("status", "NOT_ASSESSED: the evidence was missing or its collection failed. It is never a pass."),
    ("printing", "Each sheet prints landscape, one page wide, its header row on every page."),
]


@dataclass(frozen=True)
class ReadMe:
    preamble: list[list[Any]]  # the rows above the table: label, text
    table: SheetTable


def _scope(model: Pack) -> str:
    ids = [a.id for a in model.accounts]
    listed = ", ".join(ids) if len(ids) <= LISTED_ACCOUNTS else "listed in the Summary sheet"
    org = model.snapshot.manifest.organization_id
    where = f"organization {org}" if org else "no AWS Organization"
    return f"{where}; {len(ids)} account(s): {listed}"


def _preamble(model: Pack) -> list[list[Any]]:
    manifest = model.snapshot.manifest
    start, end = iso_text(manifest.period_start), iso_text(manifest.period_end)
    about = [
        ("Evidence workbook", f"every evidence row of the {model.period_label} audit pack, for your own testing"),
        ("scope", _scope(model)),
        ("period", f"{model.period_label}: {start} to {end} (end excluded)"),
        ("as_of (UTC)", f"{iso_text(manifest.as_of)}: the instant the evidence describes"),
        ("snapshot SHA-256", f"{model.snapshot.digest} (of the snapshot's manifest.json)"),
        ("reporter version", f"rendered by reporter {__version__}; evidence collected by {manifest.tool_version}"),
    ]
    lines = [[text_value(k), text_value(v)] for k, v in about]
    lines += [[None, None], [text_value("How to use it"), None]]
    lines += [[text_value(k), text_value(v)] for k, v in HOW_TO_USE]
    return [*lines, [None, None]]


def _rows(tables: Sequence[SheetTable]) -> Iterator[list[Any]]:
    for t in tables:
        link = Link(text_value(t.sheet) or "", t.sheet)
        yield [link, None, SHEET_KIND, text_value(f"{t.description} {t.n_rows} rows.")]
        for c in t.columns:
            yield [link, text_value(c.name), KIND_LABELS[c.kind], text_value(c.description)]


def read_me(model: Pack, tables: Sequence[SheetTable]) -> ReadMe:
    """The Read me sheet of a workbook whose other sheets are `tables`, in order."""
    columns = [
        Column("sheet", description="The sheet the row is about (a link to it)."),
        Column("column", description="The column's header, as the sheet shows it; empty on the sheet's own row."),
        Column(
            "type", description="What its cells hold: text, date-time (UTC), bool, int or number; sheet for a sheet."
        ),
        Column("meaning", description="What a row of the sheet, or a cell of the column, says."),
    ]
    described: list[SheetTable] = []
    table = SheetTable(
        "read_me",
        SHEET,
        "ReadMe",
        columns,
        len(tables) + 1 + len(columns) + sum(len(t.columns) for t in tables),
        lambda: _rows(described),
        freeze_first_column=False,
        widths={"sheet": 18, "column": 36, "type": 10, "meaning": 100},
        description="This sheet: what the workbook is, how to use it, and what each sheet and column holds.",
    )
    described.extend([table, *tables])
    return ReadMe(_preamble(model), table)
