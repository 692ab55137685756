"""The HTML report is a conforming HTML document: no parse error of the HTML standard and no quirks
mode, on the demo and with attacker-chosen CloudTrail text in it (a browser guesses at neither)."""

from __future__ import annotations

from pathlib import Path

import pytest
from factory import AccountSpec, cr_row, jsonl, report, root_record, write_snapshot
from format_validators import html_problems

from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.render.html import render_report_html
from reporter.snapshot.reader import Snapshot

# Markup, comment and CDATA openers, a NUL and other C0/C1 controls, noncharacters, character
# references that would be errors: each is a parse error if written raw. (An unpaired surrogate
# never gets this far: the trail line holding one is reported unparseable.)
HOSTILE = [
    "</td></tr></table><!-- <script>alert(1)</script>",
    "<![CDATA[ x ]]> <!DOCTYPE html> <plaintext>",
    "agent\x00with\x01controls\x0b\x1f\x7f\x85",
    "nonchars \ufdd0 \ufffe \U0001ffff",
    "&notin; &amp &#0; &#xD800; &bogus;",
]


def test_the_demo_report_is_conforming_html() -> None:
    assert html_problems(render_report_html(build_pack(Snapshot.open(demo_snapshot_dir())))) == []


@pytest.mark.parametrize("agent", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_cloudtrail_text_keeps_the_report_conforming(tmp_path: Path, agent: str) -> None:
    events = jsonl(root_record("2026-10-05T11:00:00Z", "ListUsers", agent=agent, event_id="ev-1"))
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row()), root_events=events))
    page = render_report_html(build_pack(snapshot))
    assert html_problems(page) == []
    # What a control was stays on the page, as the workbook writes it.
    if "\x00" in agent:
        assert b"agent\\x00with\\x01controls\\x0b\\x1f\\x7f\\x85" in page


def test_the_validator_finds_what_a_browser_would_guess_at() -> None:
    assert html_problems(b"<!DOCTYPE html><title>t</title><p>ok</p>") == []
    assert html_problems(b"<title>t</title><p>ok</p>") != []  # no doctype: quirks mode
    assert html_problems(b"<!DOCTYPE html><title>t</title><p>\x00</p>") != []
    assert html_problems(b"<!DOCTYPE html><title>t</title><p></div>") != []
