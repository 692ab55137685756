"""Reading a rendered pack's layout back, the way a reader sees its pages: word boxes (pdfplumber),
the chapters (the PDF's first-level bookmarks) and how full each page's body is.

The body is the page inside the margins of templates/pack.css; the running header and footer
live in those margins and are left out. The helpers return problems as sentences naming the page
and the words, so a failing test says what to look at.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import pdfplumber
import pypdf

from reporter.core.resources import shipped_dir

MM = 72 / 25.4
# Two words overlap when their boxes share more than this in both directions (points): glyph
# boxes of neighbouring words on one line may touch, drawn over each other they overlap by more.
OVERLAP_TOLERANCE = 1.0
# A page's content must reach this share of the body height, unless it ends a chapter.
MIN_FILL = 1 / 3


def page_margins() -> tuple[float, float]:
    """(top, bottom) margin of every page, in points, from the first @page rule of pack.css."""
    css = (shipped_dir("templates") / "pack.css").read_text()
    match = re.search(r"@page\s*\{[^}]*?margin:\s*([\d.]+)mm\s+[\d.]+mm\s+([\d.]+)mm", css)
    assert match, "pack.css has no @page margin"
    return float(match.group(1)) * MM, float(match.group(2)) * MM


@dataclass
class Page:
    number: int  # 1-based
    height: float
    body_top: float
    body_bottom: float
    words: list[dict[str, Any]]  # inside the body, in reading order
    content_bottom: float  # lowest word or drawing inside the body (body_top when empty)

    @property
    def fill(self) -> float:
        return (self.content_bottom - self.body_top) / (self.body_bottom - self.body_top)

    @property
    def text(self) -> str:
        return " ".join(w["text"] for w in self.words)


@dataclass
class Chapter:
    title: str
    first: int  # page numbers, 1-based, inclusive
    last: int
    pages: list[Page] = field(default_factory=list)

    def content_words(self) -> list[dict[str, Any]]:
        """The chapter's words after its heading (the heading's words open its first page)."""
        words = [w for p in self.pages for w in p.words]
        title = self.title.split()
        if [w["text"] for w in words[: len(title)]] == title:
            return words[len(title) :]
        return words


@dataclass
class Layout:
    pages: list[Page]
    chapters: list[Chapter]

    def chapter(self, title_part: str) -> Chapter:
        found = [c for c in self.chapters if title_part in c.title]
        assert len(found) == 1, f"no single chapter titled like {title_part!r}: {[c.title for c in self.chapters]}"
        return found[0]


def _drawings_bottom(page: Any, top: float, bottom: float) -> float:
    lowest = top
    for obj in [*page.rects, *page.lines, *page.curves, *page.images]:
        if obj["bottom"] > top and obj["top"] < bottom:
            lowest = max(lowest, min(obj["bottom"], bottom))
    return lowest


def _chapters(data: bytes, total: int) -> list[tuple[str, int]]:
    """(title, first page) of each first-level bookmark, in page order."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    starts = [
        (item.title, reader.get_destination_page_number(item) + 1)
        for item in reader.outline
        if not isinstance(item, list)
    ]
    assert starts, "the PDF has no bookmarks"
    assert all(1 <= n <= total for _, n in starts)
    return sorted(starts, key=lambda s: s[1])


def read_layout(data: bytes) -> Layout:
    margin_top, margin_bottom = page_margins()
    pages: list[Page] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            top, bottom = margin_top, page.height - margin_bottom
            words = [
                w
                for w in page.extract_words(keep_blank_chars=False, use_text_flow=False, return_chars=True)
                if w["top"] >= top - 1 and w["bottom"] <= bottom + 1
            ]
            words.sort(key=lambda w: (round(w["top"]), w["x0"]))
            lowest = max([w["bottom"] for w in words], default=top)
            pages.append(
                Page(number, page.height, top, bottom, words, max(lowest, _drawings_bottom(page, top, bottom)))
            )
    starts = _chapters(data, len(pages))
    chapters = []
    for index, (title, first) in enumerate(starts):
        last = starts[index + 1][1] - 1 if index + 1 < len(starts) else len(pages)
        # Two bookmarks on one page (no page break between them) make the first a chapter of no page.
        last = max(last, first)
        chapters.append(Chapter(title, first, last, pages[first - 1 : last]))
    return Layout(pages, chapters)


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    return min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]), min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])


def overlapping_words(page: Page, tolerance: float = OVERLAP_TOLERANCE) -> list[str]:
    """Each pair of words whose boxes overlap by more than `tolerance` in both directions, and each
    "word" whose letters overlap: pdfplumber joins two texts drawn over each other on one line into
    one interleaved word, so its letters, not its box, show the overlap."""
    problems = []
    # Upright text only: a chart's rotated axis label is read letter by letter, stacked.
    words = sorted((w for w in page.words if w["upright"]), key=lambda w: w["top"])
    for i, a in enumerate(words):
        # Letters of one text touch (kerning takes a point or so); two texts interleaved need
        # far more room than their box.
        excess = sum(c["x1"] - c["x0"] for c in a["chars"]) - (a["x1"] - a["x0"])
        if excess > max(3 * tolerance, 0.15 * (a["x1"] - a["x0"])):
            problems.append(
                f"page {page.number}: {a['text']!r} at ({a['x0']:.0f}, {a['top']:.0f}) is two texts drawn over each"
                f" other (its letters need {excess:.1f} pt more than its box)"
            )
        for b in words[i + 1 :]:
            if b["top"] >= a["bottom"] - tolerance:
                break
            dx, dy = _overlap(a, b)
            if dx > tolerance and dy > tolerance:
                problems.append(
                    f"page {page.number}: {a['text']!r} at ({a['x0']:.0f}, {a['top']:.0f}) overlaps"
                    f" {b['text']!r} at ({b['x0']:.0f}, {b['top']:.0f}) by {dx:.1f} x {dy:.1f} pt"
                )
    return problems


def underfilled_pages(layout: Layout, min_fill: float = MIN_FILL) -> list[str]:
    """Pages filled below `min_fill` of their body that are not the last page of a chapter."""
    ends = {c.last for c in layout.chapters}
    return [
        f"page {p.number} is {p.fill:.0%} full (under {min_fill:.0%}) and does not end a chapter;"
        f" it reads: {p.text[:160]!r}"
        for p in layout.pages
        if p.number not in ends and p.fill < min_fill
    ]


def empty_chapters(layout: Layout) -> list[str]:
    return [
        f"chapter {c.title!r} (page {c.first}) has nothing after its heading"
        for c in layout.chapters
        if not c.content_words()
    ]
