"""The workbook on paper: the print layout of every sheet."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import Pack, build_pack
from reporter.render.xlsx import write_xlsx
from reporter.snapshot.reader import Snapshot


@pytest.fixture(scope="module")
def demo_model() -> Pack:
    return build_pack(Snapshot.open(demo_snapshot_dir()))


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_row(demo_model: Pack, tmp_path: Path) -> None:
    path = write_xlsx(demo_model, tmp_path)
    wb = openpyxl.load_workbook(path)
    digest = demo_model.snapshot.digest
    for ws in wb:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (int(setup.fitToWidth), int(setup.fitToHeight)) == (1, 0)
        header_row = next(iter(ws.tables.values())).ref.split(":")[0][1:]
        assert ws.print_title_rows == f"${header_row}:${header_row}"
        assert ws.oddHeader.left.text == "&A"
        assert "2026-10" in ws.oddHeader.center.text and digest[:16] in ws.oddHeader.right.text
        assert ws.oddFooter.center.text == "Page &P of &N"
        assert ws.print_options.gridLines is True
        assert header_row == "1" and ws.freeze_panes in ("A2", "B2")
    with zipfile.ZipFile(path) as z:
        names = z.read("xl/workbook.xml").decode()
    assert names.count('name="_xlnm.Print_Titles"') == len(wb.sheetnames)


def test_letter_paper_and_an_unknown_size(demo_model: Pack, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(demo_model, tmp_path, page_size="Letter"))
    assert {int(ws.page_setup.paperSize) for ws in wb} == {1}
    with pytest.raises(ValueError, match="A4 or Letter"):
        write_xlsx(demo_model, tmp_path, page_size="A3")
