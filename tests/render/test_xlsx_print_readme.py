"""The workbook on paper and its "Read me" sheet: print layout of every sheet, and a Read me that
names exactly the workbook's sheets and columns, each with a meaning."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from monthly import A, write_chain

from reporter.assess.risk_acceptance import load_risk_acceptances
from reporter.core.resources import demo_snapshot_dir
from reporter.history.store import History
from reporter.pack.model import Pack, PackOptions, build_pack
from reporter.pack.record import pack_record
from reporter.render.readme_sheet import KIND_LABELS, LISTED_ACCOUNTS, SHEET, SHEET_KIND
from reporter.render.xlsx import workbook_tables, write_xlsx
from reporter.render.xlsx_print import MIN_SCALE, PRINT_WIDTH
from reporter.snapshot.reader import Snapshot

TABLE_HEADER = ["sheet", "column", "type", "meaning"]


@pytest.fixture(scope="module")
def demo_model() -> Pack:
    return build_pack(Snapshot.open(demo_snapshot_dir()))


@pytest.fixture(scope="module")
def full_model(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """October of the monthly chain: drift and trend against September, a risk acceptance, and
    the shipped frameworks (PCI DSS states its own limits)."""
    base = tmp_path_factory.mktemp("full")
    september, october, _ = write_chain(base / "packs")
    (base / "x.yaml").write_text(f"""acceptances:
  - check: root_not_used
    account: "{A}"
    justification: break-glass drill, reviewed monthly
    approver: Jane Doe (CISO)
    approved_on: 2026-09-01
    expires_on: 2026-12-31
    ticket: SEC-1
""")
    with History(base / "h.db") as history:
        history.record(pack_record(build_pack(september), snapshot_path=september.root))
        options = PackOptions(risk_acceptances=load_risk_acceptances(base / "x.yaml"), history=history)
        model = build_pack(october, options)
    assert model.drift is not None and not model.drift.baseline and model.drift.frameworks
    assert model.acceptances is not None and model.acceptances.decisions
    assert any(f.framework_limits for f in model.all_findings)
    return model


def read_me_rows(ws) -> list[tuple]:
    rows = list(ws.iter_rows(values_only=True))
    start = rows.index(tuple(TABLE_HEADER))
    return rows[start + 1 :]


@pytest.mark.parametrize("which", ["demo_model", "full_model"])
def test_read_me_names_exactly_the_workbooks_sheets_and_columns(which, request, tmp_path: Path) -> None:
    model = request.getfixturevalue(which)
    wb = openpyxl.load_workbook(write_xlsx(model, tmp_path))
    assert wb.sheetnames[0] == SHEET
    listed = read_me_rows(wb[SHEET])
    # Every row has a meaning; every sheet, the Read me included, has its own row, then its columns.
    assert all(isinstance(r[3], str) and len(r[3]) > 10 for r in listed), [r for r in listed if not r[3]]
    sheets = [r[0] for r in listed if r[2] == SHEET_KIND]
    assert sheets == wb.sheetnames
    for ws in wb:
        table = next(iter(ws.tables.values()))
        columns = [c.name for c in table.tableColumns]
        assert [r[1] for r in listed if r[0] == ws.title and r[2] != SHEET_KIND] == columns, ws.title
    # The type column says what the cells hold, as the sheets store them.
    types = {(r[0], r[1]): r[2] for r in listed}
    assert types[("Root events", "event_time (UTC)")] == "date-time"
    assert types[("Credential report", "mfa_active")] == "bool"
    assert types[("Manifest", "size")] == "int"
    assert set(types.values()) <= {*KIND_LABELS.values(), SHEET_KIND}
    # Sheet cells link to their sheet.
    links = {c.hyperlink.location for row in wb[SHEET].iter_rows() for c in row[:1] if c.hyperlink}
    assert links == {f"'{s}'!A1" for s in wb.sheetnames}


def test_every_column_of_a_full_pack_is_described(full_model: Pack) -> None:
    tables = workbook_tables(full_model)
    assert {"Drift", "Trend", "Exceptions"} <= {t.sheet for t in tables}
    assert any(c.name.startswith("FAIL requirements ") for t in tables for c in t.columns)
    missing = [(t.sheet, c.name) for t in tables for c in t.columns if not c.description]
    assert missing == []
    assert all(t.description for t in tables)


def test_read_me_states_what_the_workbook_is(demo_model: Pack, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(write_xlsx(demo_model, tmp_path))[SHEET]
    about = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and r[1] and r[2] is None}
    manifest = demo_model.snapshot.manifest
    assert demo_model.snapshot.digest in about["snapshot SHA-256"]
    assert about["as_of (UTC)"].startswith("2026-11-01T06:00:00Z")
    assert about["period"].startswith("2026-10: 2026-10-01T00:00:00Z to 2026-11-01T00:00:00Z")
    assert f"organization {manifest.organization_id}" in about["scope"]
    assert f"{len(demo_model.accounts)} account(s)" in about["scope"]
    if len(demo_model.accounts) > LISTED_ACCOUNTS:  # the demo's twelve: counted, listed in the Summary
        assert about["scope"].endswith("listed in the Summary sheet")
    else:
        assert all(a.id in about["scope"] for a in demo_model.accounts)
    assert "reporter" in about["reporter version"]
    assert {"filters", "row ids", "links", "times", "formulas", "status"} <= set(about)
    assert "never a pass" in about["status"]
    for text in about.values():
        assert text[:1] not in ("=", "+", "-", "@")  # every text cell went through safe_text


def test_every_sheet_prints_landscape_fitted_to_its_width_with_its_header_row(demo_model: Pack, tmp_path: Path) -> None:
    path = write_xlsx(demo_model, tmp_path)
    wb = openpyxl.load_workbook(path)
    digest = demo_model.snapshot.digest
    for ws in wb:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # As few pages across as keep the type at 55 % or more: one for a narrow sheet.
        width = sum(d.width for d in ws.column_dimensions.values())
        across = int(setup.fitToWidth)
        assert int(setup.fitToHeight) == 0 and across >= 1
        assert width / across <= PRINT_WIDTH["A4"] / MIN_SCALE and (
            across == 1 or width / (across - 1) > PRINT_WIDTH["A4"] / MIN_SCALE
        )
        # Spread over pages, each page starts with the row id the PDF cites.
        assert ws.print_title_cols == ("$A:$A" if across > 1 and ws.freeze_panes == "B2" else None), ws.title
        header_row = next(iter(ws.tables.values())).ref.split(":")[0][1:]
        assert ws.print_title_rows == f"${header_row}:${header_row}"
        assert ws.oddHeader.left.text == "&A"
        assert "2026-10" in ws.oddHeader.center.text and digest[:16] in ws.oddHeader.right.text
        assert ws.oddFooter.center.text == "Page &P of &N"
        assert ws.print_options.gridLines is (ws.title != SHEET)
        if ws.title != SHEET:
            assert header_row == "1" and ws.freeze_panes in ("A2", "B2")
    with zipfile.ZipFile(path) as z:
        names = z.read("xl/workbook.xml").decode()
    assert names.count('name="_xlnm.Print_Titles"') == len(wb.sheetnames)


def test_letter_paper_and_an_unknown_size(demo_model: Pack, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(demo_model, tmp_path, page_size="Letter"))
    assert {int(ws.page_setup.paperSize) for ws in wb} == {1}
    with pytest.raises(ValueError, match="A4 or Letter"):
        write_xlsx(demo_model, tmp_path, page_size="A3")


def test_read_me_is_byte_identical_across_renders(full_model: Pack, tmp_path: Path) -> None:
    first = write_xlsx(full_model, tmp_path / "a").read_bytes()
    time.sleep(2.1)  # zip timestamps have 2-second resolution
    assert write_xlsx(full_model, tmp_path / "b").read_bytes() == first
