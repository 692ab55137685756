"""The pack's page budget, read back from the rendered PDF's word boxes (tests/pdf_layout.py):
no overlapping words, no page under a third full unless it ends a chapter, no chapter without
content, and an executive summary of exactly one page, whatever the size of the organization."""

from __future__ import annotations

from pathlib import Path

import pytest
from factory import AccountSpec, cr_row, jsonl, report, root_record, write_snapshot
from monthly import write_chain
from pdf_layout import Layout, empty_chapters, overlapping_words, read_layout, underfilled_pages
from typer.testing import CliRunner

from reporter.assess.framework_files import load_frameworks
from reporter.cli.app import app
from reporter.core.resources import shipped_dir
from reporter.history.store import History
from reporter.pack.model import PackOptions, build_pack
from reporter.pack.record import pack_record
from reporter.render.pdf import render_pdf
from reporter.render.pdf.summary_view import SUMMARY_ACCOUNTS
from reporter.snapshot.reader import Snapshot

FRONT = ["Cover", "Contents", "Executive summary", "Scope and method", "Control matrix", "Findings"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The demo pack exactly as `reporter demo` writes it (its exceptions file applied: the
    summary then has an Exceptions line, which a bare build_pack would not show)."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--format", "pdf"])
    assert result.exit_code == 0, result.output
    (pdf,) = out.glob("audit-pack-*.pdf")
    return read_layout(pdf.read_bytes())


def _organization(root: Path, accounts: int) -> tuple[Snapshot, list[str]]:
    """`accounts` accounts, and those that used root this month: some signed in (CloudTrail), some
    only show it in the credential report (password last used). The last account has no
    credential report and no root-event lookup: its root use can be neither shown nor ruled out."""
    specs, used = [], []
    for i in range(accounts):
        account = f"{100000000000 + i * 7919:012d}"
        by_event, by_password = i % 5 == 0, i % 5 == 2
        events = jsonl(root_record("2026-10-03T10:00:00Z", account=account, event_id=f"ev-{i}")) if by_event else b""
        password = "2026-10-20T08:00:00Z" if by_password else "no_information"
        spec = AccountSpec(
            id=account,
            name=f"workload-{i:03d}",
            is_management=i == 0,
            credential_report=report(
                cr_row(account=account, password_last_used=password), cr_row("ci", account=account)
            ),
            root_events=events,
        )
        if i == accounts - 1:
            spec.credential_report = None
            spec.credential_report_error = ("AccessDenied", "not authorized to perform iam:GenerateCredentialReport")
            spec.root_events = None
            spec.lookup_errors = {"us-east-1": ("AccessDenied", "not authorized to perform cloudtrail:LookupEvents")}
        elif by_event or by_password:
            used.append(account)
        specs.append(spec)
    return write_snapshot(root, *specs, organization_id="o-layouttest1"), used


def _assert_budget(layout: Layout) -> None:
    problems = [p for page in layout.pages for p in overlapping_words(page)]
    problems += underfilled_pages(layout) + empty_chapters(layout)
    assert not problems, "\n".join(problems)


def _summary(layout: Layout) -> str:
    chapter = layout.chapter("Executive summary")
    assert chapter.first == chapter.last, f"the executive summary runs over pages {chapter.first}-{chapter.last}"
    return chapter.pages[0].text


# ------------------------------------------------------------------------------------ the demo


def test_no_two_words_overlap_on_any_page(demo: Layout) -> None:
    problems = [p for page in demo.pages for p in overlapping_words(page)]
    assert not problems, "\n".join(problems)


def test_no_page_is_under_a_third_full_unless_it_ends_a_chapter(demo: Layout) -> None:
    problems = underfilled_pages(demo)
    assert not problems, "\n".join(problems)


def test_no_chapter_is_empty(demo: Layout) -> None:
    problems = empty_chapters(demo)
    assert not problems, "\n".join(problems)


def test_chapters_come_in_reading_order_numbered_from_one(demo: Layout) -> None:
    titles = [c.title for c in demo.chapters]
    assert [t.split(" ", 1)[-1] for t in titles[: len(FRONT)]] == FRONT
    assert titles[-1].endswith("Sign-off") and titles[-2].endswith("Auditor's guide")
    numbered = titles[2:]
    assert [t.split(" ", 1)[0] for t in numbered] == [str(n) for n in range(1, len(numbered) + 1)]
    # A first month: no changes chapter (the summary says so instead).
    assert not any("Changes since last month" in t for t in titles)


def test_contents_and_executive_summary_are_one_page_each(demo: Layout) -> None:
    contents = demo.chapter("Contents")
    assert contents.first == contents.last
    text = _summary(demo)
    assert "first month of history" in text.lower()
    for block in ("Verdict per framework", "Root user this period", "Top risks", "Integrity, coverage and history"):
        assert block in text


# ------------------------------------------------------------------------------------ larger organizations


@pytest.mark.parametrize(
    ("accounts", "page_size", "frameworks"),
    [
        (SUMMARY_ACCOUNTS, "A4", "default"),
        (SUMMARY_ACCOUNTS, "Letter", "default"),
        (SUMMARY_ACCOUNTS, "Letter", "all"),  # 11 framework rows: fewer account rows
        (2 * SUMMARY_ACCOUNTS + 1, "A4", "default"),
    ],
)
def test_the_summary_stays_one_page_and_names_the_accounts_where_root_was_used(
    tmp_path: Path, accounts: int, page_size: str, frameworks: str
) -> None:
    snapshot, used = _organization(tmp_path / "s", accounts)
    chosen = list(load_frameworks().values()) if frameworks == "all" else None
    pack = build_pack(snapshot, PackOptions(frameworks=chosen))
    layout = read_layout(render_pdf(pack, page_size=page_size))
    assert [c.first for c in layout.chapters[:3]] == [1, 2, 3]  # cover and contents one page each
    _assert_budget(layout)
    text = _summary(layout)
    assert f"Root used in {len(used)} of {accounts} account(s)" in text and "not known in 1" in text
    assert all(a in text for a in used[:SUMMARY_ACCOUNTS])
    if accounts > SUMMARY_ACCOUNTS:
        # Cut: the root-use table names only the accounts where root was used or cannot be ruled out.
        table = text[text.index("Root user this period") : text.index("Top risks")]
        quiet = [a.id for a in pack.accounts[:-1] if a.id not in used]
        assert not [a for a in quiet if a in table] and pack.accounts[-1].id in table


def test_a_second_month_has_its_changes_chapter_within_the_budget(tmp_path: Path) -> None:
    september, october, _ = write_chain(tmp_path / "packs")
    with History(tmp_path / "h.db") as history:
        history.record(pack_record(build_pack(september), snapshot_path=september.root))
        layout = read_layout(render_pdf(build_pack(october, PackOptions(history=history))))
    _assert_budget(layout)
    titles = [c.title for c in layout.chapters]
    changes = next(i for i, t in enumerate(titles) if t.endswith("Changes since last month"))
    assert titles[changes - 1].endswith(" Findings")
    text = _summary(layout)
    assert "first month of history" not in text.lower() and "Since 2026-09:" in text


# ------------------------------------------------------------------------------------ the helpers can fail


def _html_pdf(body: str) -> bytes:
    from weasyprint import HTML

    css = (shipped_dir("templates") / "pack.css").read_text().split("html {", 1)[0]  # the @page rules only
    return HTML(string=f"<html><head><style>{css}</style></head><body>{body}</body></html>").write_pdf()


def test_the_helpers_find_overlap_an_underfilled_page_and_an_empty_chapter() -> None:
    layout = read_layout(
        _html_pdf(
            "<h1 style='bookmark-level: 1'>One</h1><p>short</p>"
            "<p style='position: absolute; top: 30mm; left: 20mm'>overlapping words</p>"
            "<p style='position: absolute; top: 30.5mm; left: 22mm'>drawn twice</p>"
            "<p style='page-break-before: always'>a near-empty page inside chapter One</p>"
            "<p style='page-break-before: always'>" + "filler text " * 900 + "</p>"
            "<h1 style='bookmark-level: 1; page-break-before: always'>Two</h1>"
        )
    )
    overlaps = [p for page in layout.pages for p in overlapping_words(page)]
    assert overlaps and all(p.startswith("page 1: ") for p in overlaps), overlaps
    under = underfilled_pages(layout)
    assert any(p.startswith("page 1 ") for p in under) and any("a near-empty page" in p for p in under)
    assert empty_chapters(layout) == [f"chapter 'Two' (page {len(layout.pages)}) has nothing after its heading"]
