"""Every requested output of one Pack, written in a fixed order (the same for `report` and for
the re-render `verify PACK --snapshot` compares with)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from reporter.pack.model import Pack
from reporter.render.asff import write_asff
from reporter.render.csv_export import write_csv
from reporter.render.html import write_html
from reporter.render.json_report import write_json
from reporter.render.junit import write_junit
from reporter.render.ocsf import write_ocsf
from reporter.render.oscal import write_oscal
from reporter.render.pdf import write_pdf
from reporter.render.xlsx import write_xlsx

FORMATS = ("json", "xlsx", "csv", "pdf", "ocsf", "asff", "junit", "html", "oscal")
_ONE_FILE = {
    "json": write_json,
    "ocsf": write_ocsf,
    "asff": write_asff,
    "junit": write_junit,
    "oscal": write_oscal,
}
_PAGED = {"pdf": write_pdf, "html": write_html}


def write_outputs(
    model: Pack, out_dir: Path, formats: Collection[str], *, page_size: str = "A4", table_cap: int = 500
) -> list[Path]:
    """Write each of `formats` (FORMATS) into `out_dir`, in FORMATS order; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = {str(f) for f in formats}
    written: list[Path] = []
    for name in (f for f in FORMATS if f in wanted):
        if name == "csv":
            written.extend(write_csv(model, out_dir))
        elif name == "xlsx":
            written.append(write_xlsx(model, out_dir, page_size=page_size))
        elif name in _PAGED:
            written.append(_PAGED[name](model, out_dir, page_size=page_size, table_cap=table_cap))
        else:
            written.append(_ONE_FILE[name](model, out_dir))
    return written
