"""evidence-<YYYY-MM>.xlsx: sheets, tables, types, formula safety, byte-identical renders."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import orjson
import pytest
from factory import AccountSpec, cr_row, jsonl, report, root_record, write_snapshot

from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.render import xlsx as xlsx_module
from reporter.render.cells import safe_text
from reporter.render.json_report import render_json
from reporter.render.xlsx import write_xlsx
from reporter.snapshot.reader import Snapshot

SHEETS = [
    "Read me",
    "Summary",
    "Findings",
    "Frameworks",
    "Accounts",
    "Root events",
    "Credential report",
    "Manifest",
    "Evidence cited",
    "Drift",
    "Trend",
    "Exceptions",
]
HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1+1", "-2+3", "\t=1+1", "\r=1+1"]


@pytest.fixture(scope="module")
def demo_model():
    return build_pack(Snapshot.open(demo_snapshot_dir()))


@pytest.fixture(scope="module")
def demo_book(demo_model, tmp_path_factory):
    path = write_xlsx(demo_model, tmp_path_factory.mktemp("xlsx"))
    return path, openpyxl.load_workbook(path)


def header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def column(ws, name: str) -> list:
    i = header(ws).index(name)
    return [row[i] for row in ws.iter_rows(min_row=2, values_only=True)]


def test_safe_text_neutralises_formulas_and_control_characters() -> None:
    for text in HOSTILE:
        assert safe_text(text) == "'" + text
    assert safe_text("Mozilla/5.0") == "Mozilla/5.0" and safe_text("") == ""
    assert safe_text("a\x07b\x00") == "a\\x07b\\x00"
    assert safe_text("\x1b=1") == "\\x1b=1"  # escaped first, so no longer a leading control char
    assert safe_text("line1\nline2\ttab") == "line1\nline2\ttab"
    # U+FFFE and U+FFFF are valid JSON escapes in a CloudTrail record but not XML characters.
    assert safe_text("a\ufffeb\uffff") == "a\\ufffeb\\uffff"


def test_xml_forbidden_noncharacters_in_a_user_agent_do_not_break_the_workbook(tmp_path: Path) -> None:
    agent = "curl\uffff/\ufffe8"
    events = jsonl(root_record("2026-10-05T11:00:00Z", "ListUsers", agent=agent, event_id="ev-1"))
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row()), root_events=events))
    wb = openpyxl.load_workbook(write_xlsx(build_pack(snapshot), tmp_path / "out"))
    assert "curl\\uffff/\\ufffe8" in column(wb["Root events"], "user_agent")


def test_demo_workbook_sheets_tables_and_layout(demo_book, demo_model) -> None:
    path, wb = demo_book
    assert path.name == f"evidence-{demo_model.period_label}.xlsx" == "evidence-2026-10.xlsx"
    assert wb.sheetnames == SHEETS
    assert len(wb["Read me"].tables) == 1  # its layout: tests/render/test_xlsx_print_readme.py
    for ws in wb.worksheets[1:]:
        assert len(ws.tables) == 1, ws.title
        table = next(iter(ws.tables.values()))
        assert table.ref.startswith("A1:") and table.autoFilter is not None
        assert [c.name for c in table.tableColumns] == header(ws)
        assert ws.freeze_panes in ("A2", "B2")
        assert all(ws.column_dimensions[c].width for c in "AB")
    assert header(wb["Findings"])[0] == "finding_id"
    assert header(wb["Root events"])[:3] == ["evidence_id", "event_id", "event_time (UTC)"]
    assert header(wb["Credential report"])[0] == "evidence_id"
    assert header(wb["Manifest"])[:3] == ["evidence_id", "path", "sha256"]
    assert not any(h.endswith("_note") for h in header(wb["Credential report"]))
    assert wb.properties.creator == "reporter"
    assert wb.properties.created == wb.properties.modified == datetime(2026, 11, 1, 6, 0)


def test_demo_workbook_rows_ids_and_types(demo_book, demo_model) -> None:
    _, wb = demo_book
    doc = orjson.loads(render_json(demo_model))
    assert column(wb["Findings"], "finding_id") == [f["id"] for f in doc["findings"] + doc["framework_findings"]]
    assert set(column(wb["Findings"], "status")) == {f["status"] for f in doc["findings"]}
    observed = column(wb["Findings"], "observed (JSON)")
    assert orjson.loads(observed[0]) == doc["findings"][0]["observed"]

    events = demo_model.root_events()
    assert column(wb["Root events"], "evidence_id") == list(events["evidence_id"])
    assert all(e.startswith("E-evt-") for e in events["evidence_id"])
    times = column(wb["Root events"], "event_time (UTC)")
    assert all(isinstance(t, datetime) and t.tzinfo is None for t in times)
    assert times[0] == events["event_time"].iloc[0].tz_convert(None).to_pydatetime()
    assert {type(v) for v in column(wb["Root events"], "success")} <= {bool, type(None)}
    assert column(wb["Root events"], "location")[0] == "line 1"

    creds = demo_model.credential_rows()
    cr = wb["Credential report"]
    assert column(cr, "evidence_id") == list(creds["evidence_id"])
    assert len(set(creds["evidence_id"])) == len(creds) and all(e.startswith("E-cred-") for e in creds["evidence_id"])
    assert all(isinstance(v, bool) for v in column(cr, "mfa_active"))
    assert isinstance(column(cr, "user_creation_time (UTC)")[0], datetime)
    # special values are spelled out where the typed value is missing
    rotation = column(cr, "password_next_rotation (UTC)")
    assert rotation[0] == "not_supported" and "N/A" in rotation
    assert set(column(cr, "access_key_2_last_used_date (UTC)")) >= {"N/A"}

    fw = wb["Frameworks"]
    n = sum(len(r.requirements) for r in demo_model.frameworks)
    assert fw.max_row == n + 1
    assert {v for v in column(fw, "framework_id")} == {r.framework.id for r in demo_model.frameworks}

    manifest = wb["Manifest"]
    assert len(column(manifest, "api")) == len(demo_model.snapshot.manifest.artifacts)
    assert all(isinstance(v, datetime) for v in column(manifest, "collected_at (UTC)"))
    errors = [a for a in demo_model.snapshot.manifest.artifacts if a.status == "error"]
    assert sorted(filter(None, column(manifest, "error_code"))) == sorted(a.error.code for a in errors)


def _target(cell) -> tuple[str, int]:
    """The sheet and row an internal link cell points to ('Sheet'!A12)."""
    assert cell.hyperlink is not None and cell.hyperlink.location, cell.coordinate
    sheet, ref = cell.hyperlink.location.rsplit("!", 1)
    assert ref.startswith("A")
    return sheet.strip("'"), int(ref[1:])


def _row_id(wb, sheet: str, row: int):
    return wb[sheet].cell(row=row, column=1).value


def test_matrix_links_to_findings_and_findings_to_their_evidence_rows(demo_book, demo_model) -> None:
    """Frameworks → Findings → evidence rows: every link lands on the row of the id it names."""
    _, wb = demo_book
    findings = wb["Findings"]
    cols = header(findings)
    by_id = {f.finding_id: f for f in demo_model.all_findings}
    linked = 0
    for row in findings.iter_rows(min_row=2):
        cell = row[cols.index("evidence_ids")]
        finding = by_id[row[0].value]
        ids = [ref.id for ref in finding.evidence]
        assert (cell.value or "").split("; ") == (list(dict.fromkeys(ids)) or [""])
        if cell.hyperlink is not None:
            sheet, target = _target(cell)
            first = next(ref for ref in finding.evidence if ref.id)
            landed = _row_id(wb, sheet, target)
            # A credential-report or root-event row by its id, else the artifact's Manifest row.
            assert landed == first.id or (
                sheet == "Manifest" and wb[sheet].cell(row=target, column=2).value == first.path
            )
            linked += 1
    assert linked > len(demo_model.all_findings) // 2

    fw = wb["Frameworks"]
    i = header(fw).index("finding_ids")
    for row in fw.iter_rows(min_row=2):
        cell = row[i]
        if cell.value:
            sheet, target = _target(cell)
            assert sheet == "Findings" and _row_id(wb, sheet, target) == cell.value.split(", ")[0]

    cited = wb["Evidence cited"]
    assert cited.max_row - 1 == sum(len(f.evidence) for f in demo_model.all_findings)
    for row in cited.iter_rows(min_row=2):
        sheet, target = _target(row[0])
        assert (sheet, _row_id(wb, sheet, target)) == ("Findings", row[0].value)
        if row[1].hyperlink is not None:
            sheet, target = _target(row[1])
            assert _row_id(wb, sheet, target) == row[1].value or sheet == "Manifest"


def test_summary_counts_and_links(demo_book, demo_model) -> None:
    _, wb = demo_book
    ws = wb["Summary"]
    rows = {(r[0], r[1]): r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[("report", "period")][2] == "2026-10"
    assert rows[("report", "as_of (UTC)")][2] == datetime(2026, 11, 1, 6, 0)
    assert rows[("report", "snapshot digest (SHA-256 of manifest.json)")][2] == demo_model.snapshot.digest
    assert rows[("report", "accounts")][2] == len(demo_model.accounts)
    statuses = header(ws)[3:8]
    total = rows[("findings", "all accounts")]
    assert dict(zip(statuses, total[3:8], strict=True)) == demo_model.counts()
    for a in demo_model.accounts:
        row = next(r for k, r in rows.items() if k[0] == "findings by account" and k[1].startswith(a.id))
        assert dict(zip(statuses, row[3:8], strict=True)) == demo_model.counts(a.id)
    assert sum(1 for k in rows if k[0] == "requirements by framework") == len(demo_model.frameworks)
    links = {c.hyperlink.location for row in ws.iter_rows(min_row=2) for c in row if c.hyperlink}
    assert links == {f"'{s}'!A1" for s in SHEETS[2:]}


def test_status_conditional_formatting(demo_book) -> None:
    _, wb = demo_book
    for name in ("Findings", "Frameworks"):
        rules = [r for cf in wb[name].conditional_formatting for r in cf.rules]
        assert {r.formula[0] for r in rules} == {'"PASS"', '"FAIL"', '"NOT_ASSESSED"', '"NOT_APPLICABLE"', '"MANUAL"'}


def test_workbook_is_byte_identical_across_renders(demo_model, tmp_path: Path) -> None:
    first = write_xlsx(demo_model, tmp_path / "a").read_bytes()
    time.sleep(2.1)  # zip timestamps have 2-second resolution
    second = write_xlsx(demo_model, tmp_path / "b").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a" / "evidence-2026-10.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 1, 6, 0, 0)}
        assert z.testzip() is None


def hostile_snapshot(tmp_path: Path) -> Snapshot:
    events = [
        root_record(f"2026-10-{d:02d}T10:00:00Z", agent=agent, event_id=f"evt-{d}")
        for d, agent in enumerate([*HOSTILE, "bell\x07agent"], 1)
    ]
    creds = report(cr_row(), cr_row("=cmd|' /C calc'!A0"), cr_row("@SUM(A1)"), cr_row("-x+y"))
    return write_snapshot(tmp_path / "snap", AccountSpec(root_events=jsonl(*events), credential_report=creds))


def test_hostile_strings_are_inert_text(tmp_path: Path) -> None:
    model = build_pack(hostile_snapshot(tmp_path))
    path = write_xlsx(model, tmp_path / "out")
    wb = openpyxl.load_workbook(path)
    ws = wb["Root events"]
    i = header(ws).index("user_agent")
    agents = [row[i] for row in ws.iter_rows(min_row=2)]
    assert [c.value for c in agents] == ["'" + a for a in HOSTILE] + ["bell\\x07agent"]
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    pytest.fail(f"{ws.title}!{cell.coordinate} starts like a formula: {cell.value!r}")
    users = column(wb["Credential report"], "user")
    assert "'=cmd|' /C calc'!A0" in users and "'@SUM(A1)" in users and "'-x+y" in users
    # nothing in the raw sheet XML is a formula either
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name)


def test_long_text_is_truncated_to_excel_limit() -> None:
    long = "x" * 40_000
    fitted = xlsx_module._fit(long)
    assert len(fitted) == xlsx_module.EXCEL_MAX_TEXT and fitted.endswith("[truncated: 40000 characters]")


def test_empty_tables_still_valid(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec(root_events=b"", credential_report=None))
    path = write_xlsx(build_pack(snap), tmp_path / "out")
    wb = openpyxl.load_workbook(path)
    for name in ("Root events", "Credential report"):
        ws = wb[name]
        assert ws.max_row in (1, 2)  # header only; the table spans one empty data row
        assert next(iter(ws.tables.values())).ref.endswith("2")


def test_observed_and_expected_sentences_are_inert_text_and_escaped(demo_model, tmp_path: Path) -> None:
    """A sentence carries IAM and CloudTrail values: in the workbook it stays text, in HTML it is escaped."""
    import dataclasses

    from reporter.core.status import Status
    from reporter.render.html import render_report_html

    hostile = '=HYPERLINK("http://169.254.169.254/","x") <b>bold</b>'
    findings = list(demo_model.findings)
    index = next(i for i, f in enumerate(findings) if f.status is Status.FAIL)
    findings[index] = dataclasses.replace(findings[index], observed_text=hostile, expected_text="@SUM(A1)")
    model = dataclasses.replace(demo_model, findings=findings)
    ws = openpyxl.load_workbook(write_xlsx(model, tmp_path))["Findings"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == findings[index].finding_id)
    names = header(ws)
    observed, expected = row[names.index("observed")], row[names.index("expected")]
    assert (observed.value, expected.value) == ("'" + hostile, "'@SUM(A1)")
    assert observed.data_type != "f" and expected.data_type != "f"
    html = render_report_html(model).decode()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
