"""report-<YYYY-MM>.html: the PDF's sections, self-contained (parsed: nothing it could fetch), escaped, reproducible."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from factory import AccountSpec, cr_row, jsonl, report, root_record, write_snapshot

from reporter.core.resources import demo_snapshot_dir
from reporter.core.status import Status
from reporter.pack.model import Pack, build_pack
from reporter.render.html import render_report_html, write_html
from reporter.render.pdf import build_view, render_html
from reporter.snapshot.reader import Snapshot

SCRIPT_AGENT = "<script>alert(1)</script>"
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)


class _Page(HTMLParser):
    """Every tag with its attributes, the <style> text and the visible text of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag

    def handle_endtag(self, tag: str) -> None:
        self._in = ""

    def handle_data(self, data: str) -> None:
        (self.styles if self._in == "style" else self.text).append(data)


def _parse(data: bytes) -> _Page:
    page = _Page()
    page.feed(data.decode("utf-8"))
    return page


@pytest.fixture(scope="module")
def demo() -> Pack:
    return build_pack(Snapshot.open(demo_snapshot_dir()))


def test_every_pdf_section_is_in_the_page(demo: Pack, tmp_path: Path) -> None:
    path = write_html(demo, tmp_path)
    assert path.name == "report-2026-10.html"
    page = _parse(path.read_bytes())
    pdf_page = _Page()
    pdf_page.feed(render_html(build_view(demo))[0])
    headings = [t for t in pdf_page.tags if t[0] in ("h1", "h2")]
    assert len(headings) > 10
    assert [t for t in page.tags if t[0] in ("h1", "h2")] == headings
    text = " ".join(page.text)
    for finding in demo.findings:
        if finding.status in (Status.FAIL, Status.NOT_ASSESSED):
            assert finding.finding_id in text
    assert "NOT ASSESSED" in text.upper().replace("_", " ")


def test_nothing_is_fetched_from_outside(demo: Pack) -> None:
    page = _parse(render_report_html(demo))
    assert not [t for t in page.tags if t[0] == "link" or (t[0] == "script" and "src" in t[1])]
    for _tag, attrs in page.tags:
        for name in ("src", "href", "srcset", "style"):
            if name not in attrs:
                continue
            value = attrs[name] or ""
            assert not REMOTE.match(value), value
            if name == "src":
                assert value.startswith("data:image/svg+xml;base64,"), value
            if name == "href":
                assert value.startswith("#"), value
    css = "\n".join(page.styles)
    assert "@import" not in css
    assert CSS_URL.findall(css) == []  # no url(): the fonts are local() names, the charts data: URIs
    assert sum(t[0] == "img" for t in page.tags) >= 1


def test_hostile_user_agent_shows_as_text(tmp_path: Path) -> None:
    events = jsonl(root_record("2026-10-05T11:00:00Z", "ListUsers", agent=SCRIPT_AGENT, event_id="ev-2"))
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row()), root_events=events))
    data = render_report_html(build_pack(snapshot))
    assert SCRIPT_AGENT.encode() not in data
    page = _parse(data)
    assert not [t for t in page.tags if t[0] == "script"]
    assert SCRIPT_AGENT in "".join(page.text)


def test_same_snapshot_same_bytes(demo: Pack) -> None:
    assert render_report_html(demo) == render_report_html(build_pack(Snapshot.open(demo_snapshot_dir())))
