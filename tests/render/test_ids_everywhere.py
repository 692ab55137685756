"""#17 acceptance: every finding of the demo is cited by the same id in the PDF text, the
workbook and findings.json, and the evidence ids it cites are on the workbook's evidence sheets."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import orjson
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from reporter.checks.registry import CHECKS
from reporter.cli.app import app
from reporter.render.pdf.words import EVIDENCE_IDS_LISTED

# A complete finding id: a known check, a 12-digit account, then an optional resource hash and
# limits suffix. A fragment of an id broken over two lines would not match, so each id must be
# laid out whole to be found.
FINDING_ID = re.compile(
    r"(?<![\w-])F-(?:" + "|".join(map(re.escape, CHECKS)) + r")-\d{12}(?:-[0-9a-f]{8,64})?(?:-L[0-9a-f]{6})?(?![\w-])"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code in (0, 1), result.output  # the demo organization has FAILs
    return out


def _json_findings(out: Path) -> list[dict]:
    doc = orjson.loads((out / "findings.json").read_bytes())
    assert doc["schema_version"] == "1.7"
    return doc["findings"] + doc["framework_findings"]


def test_every_finding_id_is_the_same_in_pdf_workbook_and_json(demo: Path) -> None:
    findings = _json_findings(demo)
    json_ids = [f["id"] for f in findings]
    assert len(set(json_ids)) == len(json_ids) > 0
    assert all(FINDING_ID.fullmatch(i) for i in json_ids), [i for i in json_ids if not FINDING_ID.fullmatch(i)]

    pdf_text = "\n".join(page.extract_text() or "" for page in PdfReader(demo / "audit-pack-2026-10.pdf").pages)
    pdf_ids = set(FINDING_ID.findall(pdf_text))

    book = openpyxl.load_workbook(demo / "evidence-2026-10.xlsx", read_only=True)
    rows = book["Findings"].iter_rows(values_only=True)
    header = next(rows)
    book_ids = [row[header.index("finding_id")] for row in rows]

    assert book_ids == json_ids  # the same ids, in the same order
    missing = sorted(set(json_ids) - pdf_ids)
    assert missing == [], f"{len(missing)} finding ids not printed whole in the PDF: {missing[:5]}"
    assert pdf_ids == set(json_ids)  # and the PDF names no finding the JSON does not have


def test_every_cited_evidence_id_is_on_an_evidence_sheet_or_names_an_artifact(demo: Path) -> None:
    findings = _json_findings(demo)
    book = openpyxl.load_workbook(demo / "evidence-2026-10.xlsx", read_only=True)

    def first_column(sheet: str) -> set[str]:
        return {row[0] for row in book[sheet].iter_rows(min_row=2, values_only=True) if row[0]}

    credentials, manifest = first_column("Credential report"), first_column("Manifest")
    events = first_column("Root events")
    cited = [ref for f in findings for ref in f["evidence"]]
    assert cited and all(ref["id"] for ref in cited)
    for ref in cited:
        kind = ref["id"].split("-")[1]
        if kind == "cred":
            assert ref["id"] in credentials, ref
        elif kind == "evt":
            # Root use in the window may predate the period, whose events alone the sheet lists.
            assert ref["id"] in events or ref["path"].endswith("root_events.jsonl"), ref
        else:
            # E-doc-<account>-<hash of path>[-<hash of key>]: its artifact's Manifest row.
            assert "-".join(ref["id"].split("-")[:4]) in manifest, ref


def test_the_pdf_prints_each_findings_evidence_ids_whole(demo: Path) -> None:
    pdf_text = "\n".join(page.extract_text() or "" for page in PdfReader(demo / "audit-pack-2026-10.pdf").pages)
    # Each finding prints its first EVIDENCE_IDS_LISTED distinct evidence ids (the rest are counted).
    printed = {
        ref["id"]
        for f in _json_findings(demo)
        for ref in list({r["id"]: r for r in f["evidence"]}.values())[:EVIDENCE_IDS_LISTED]
    }
    assert printed
    missing = sorted(i for i in printed if not re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", pdf_text))
    assert missing == []
