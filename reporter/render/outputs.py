"""Every requested output of one Pack, written in a fixed order (the same for `report` and for
the re-render `verify PACK --snapshot` compares with)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from reporter.pack.model import Pack
from reporter.render.csv_export import write_csv
from reporter.render.json_report import write_json
from reporter.render.pdf import write_pdf
from reporter.render.xlsx import write_xlsx

FORMATS = ("json", "xlsx", "csv", "pdf")


def write_outputs(
    model: Pack, out_dir: Path, formats: Collection[str], *, page_size: str = "A4", table_cap: int = 500
) -> list[Path]:
    """Write each of `formats` (json, xlsx, csv, pdf) into `out_dir`; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = {str(f) for f in formats}
    written: list[Path] = []
    if "json" in wanted:
        written.append(write_json(model, out_dir))
    if "xlsx" in wanted:
        written.append(write_xlsx(model, out_dir, page_size=page_size))
    if "csv" in wanted:
        written.extend(write_csv(model, out_dir))
    if "pdf" in wanted:
        written.append(write_pdf(model, out_dir, page_size=page_size, table_cap=table_cap))
    return written
