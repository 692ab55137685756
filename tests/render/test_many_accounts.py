"""A large organization's PDF summarises per OU and says where each account went; the workbook
keeps every row. A 60-account organization in 4 OUs with low caps stands for 1,000 accounts (the
bench's org generator, bench/org_snapshot.py; timings are the bench's, never asserted here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import openpyxl
import pypdf
import pytest

from reporter.assess.framework_files import load_frameworks
from reporter.core.resources import demo_snapshot_dir
from reporter.core.status import Status
from reporter.pack.model import Pack, PackOptions, build_pack
from reporter.pack.org_units import ROOT_UNIT, account_overviews
from reporter.render.pdf import build_view
from reporter.render.pdf.document import render_html
from reporter.render.pdf.org_view import FAILED_ACCOUNTS_NAMED
from reporter.render.xlsx import write_xlsx
from reporter.snapshot.reader import Snapshot

BENCH = Path(__file__).resolve().parents[2] / "bench"
ACCOUNTS, OUS, ACCOUNT_CAP, TABLE_CAP = 60, 4, 20, 10


def _org_snapshot_module():
    spec = importlib.util.spec_from_file_location("org_snapshot", BENCH / "org_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["org_snapshot"] = module
    spec.loader.exec_module(module)
    return module


org = _org_snapshot_module()


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    root = tmp_path_factory.mktemp("org") / "snap"
    org.build_org_snapshot(root, accounts=ACCOUNTS, users=3, events=ACCOUNTS * 2, ous=OUS)
    # One framework keeps the PDF short (its matrix is not what this tests).
    return build_pack(Snapshot.open(root), PackOptions(frameworks=[load_frameworks()["cis-aws-7.0.0"]]))


def test_accounts_are_placed_in_their_ous(model: Pack) -> None:
    names, placed = org.ou_layout(ACCOUNTS, OUS)
    by_id = {o.id: o for o in account_overviews(model)}
    assert len(by_id) == ACCOUNTS
    management = org.account_ids(ACCOUNTS)[0]
    assert by_id[management].ou == ROOT_UNIT
    for account, ou_id in placed.items():
        assert (by_id[account].ou, by_id[account].ou_id) == (names[ou_id], ou_id)


def test_view_summarises_per_ou_beyond_the_account_cap(model: Pack) -> None:
    view = build_view(model, table_cap=TABLE_CAP, account_cap=ACCOUNT_CAP)
    units = view["org_units"]
    assert units["per_ou"]
    assert len(units["units"]) == OUS + 1  # the management account sits at the root
    assert sum(u["accounts"] for u in units["units"]) == ACCOUNTS
    # The OU rows add up to the pack's own counts: nothing is lost in the summary.
    totals = model.counts()
    assert units["total"]["counts"] == [totals[s.value] for s in Status]
    assert [sum(u["counts"][i] for u in units["units"]) for i in range(len(Status))] == units["total"]["counts"]
    failing = [o for o in account_overviews(model) if o.failed]
    assert units["total"]["failed_accounts"] == len(failing)
    assert units["total"]["failed_named"].endswith(f"and {len(failing) - FAILED_ACCOUNTS_NAMED} more")
    root = units["total"]["root"]
    assert root["yes"] + root["no"] + root["unknown"] == ACCOUNTS
    # No table keeps a row per account; the root rows stop at the cap.
    assert view["scope"]["accounts"] == [] and view["accounts_cover"] == []
    # The summary lists only the accounts where root was used or cannot be ruled out, by the same
    # definition as the OU rows.
    listed = view["summary"]["accounts"]
    assert listed["cut"] and len(listed["rows"]) <= ACCOUNT_CAP
    assert listed["tally"] == {"yes": root["yes"], "no": root["no"], "unknown": root["unknown"]}
    assert len(view["credentials"]["root"]) == ACCOUNT_CAP and view["credentials"]["root_total"] == ACCOUNTS
    errors = [a for a in model.snapshot.manifest.artifacts if a.status == "error"]
    assert sum(c["calls"] for c in units["failed_calls"]) == len(errors) > 0
    assert view["scope"]["not_covered"] == []


def test_pdf_says_what_moved_to_the_workbook_and_where(model: Pack, tmp_path: Path) -> None:
    from reporter.render.pdf.document import render_pdf

    data = render_pdf(model, table_cap=TABLE_CAP, account_cap=ACCOUNT_CAP)
    (tmp_path / "pack.pdf").write_bytes(data)
    text = " ".join((p.extract_text() or "") for p in pypdf.PdfReader(tmp_path / "pack.pdf").pages)
    text = " ".join(text.split())
    assert f"This organization has {ACCOUNTS} accounts, more than the {ACCOUNT_CAP}" in text
    assert "sheet “Accounts” (one row per account; filter column “ou”" in text
    assert "sheet “Manifest” (filter column “status” = error)" in text
    assert "sheet “Credential report” (filter column “user” = <root_account>)" in text
    assert f"{ACCOUNTS} accounts in {OUS + 1} OUs, summarised per OU" in text  # the cover
    names, _ = org.ou_layout(ACCOUNTS, OUS)
    assert all(name in text for name in names.values())


def test_workbook_keeps_every_account_and_evidence_row(model: Pack, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_xlsx(model, tmp_path), read_only=True)

    def rows(sheet: str) -> list[tuple]:
        return list(wb[sheet].iter_rows(min_row=2, values_only=True))

    accounts = rows("Accounts")
    header = next(wb["Accounts"].iter_rows(max_row=1, values_only=True))
    assert [r[0] for r in accounts] == [a.id for a in model.accounts]
    ou = header.index("ou")
    fail = header.index("FAIL")
    by_id = {o.id: o for o in account_overviews(model)}
    assert all(r[ou] == by_id[r[0]].ou and r[fail] == by_id[r[0]].counts["FAIL"] for r in accounts)
    assert len(rows("Credential report")) == len(model.credential_rows())
    assert len(rows("Root events")) == len(model.root_events())
    assert len(rows("Manifest")) == len(model.snapshot.manifest.artifacts)
    assert len(rows("Findings")) == len(model.all_findings)


def test_a_small_organization_keeps_a_row_per_account() -> None:
    model = build_pack(Snapshot.open(demo_snapshot_dir()))
    view = build_view(model)
    assert not view["org_units"]["per_ou"]
    assert len(view["scope"]["accounts"]) == len(view["summary"]["accounts"]["rows"]) == len(model.accounts)
    assert len(view["credentials"]["root"]) == view["credentials"]["root_total"]
    html, _ = render_html(view)
    assert "Per OU, not per account" not in html and "sheet “Accounts”" not in html
