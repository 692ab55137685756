"""The pack's chapters, numbered from what this pack has to say.

A chapter with nothing to show is left out rather than printed empty (a first month has no
"Changes since last month"), so its number goes to the next one. The contents page, every
heading and every cross-reference ("see 4.2") read their number from here, never from a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Where the risk acceptances go when there is no changes chapter to hold them (a first month).
EXCEPTIONS_ANCHOR = "exceptions"


@dataclass
class Section:
    anchor: str
    title: str
    number: str = ""


@dataclass
class Chapter:
    anchor: str
    title: str
    sections: list[Section] = field(default_factory=list)
    number: str = ""


def _sections(*pairs: tuple[str, str]) -> list[Section]:
    return [Section(anchor, title) for anchor, title in pairs]


def plan_chapters(
    *,
    frameworks: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    has_changes: bool,
) -> list[Chapter]:
    """The chapters in reading order, numbered 1, 2, … and their sections n.1, n.2, …

    Cover and contents are not numbered. The risk acceptances close the changes chapter when there
    is one, else the findings chapter, whose failures they are about."""
    exceptions = Section(EXCEPTIONS_ANCHOR, "Risk acceptances (exceptions)")
    findings = Chapter(
        "findings",
        "Findings",
        [Section(g["anchor"], f"{g['title']} ({g['status']['word']})") for g in groups],
    )
    chapters = [
        Chapter("summary", "Executive summary"),
        Chapter("scope", "Scope and method"),
        Chapter(
            "matrix", "Control matrix", [Section(fw["anchor"], f"{fw['name']} {fw['version']}") for fw in frameworks]
        ),
        findings,
    ]
    if has_changes:
        changes = _sections(("changes-findings", "Finding changes"), ("changes-trend", "Trends over 12 months"))
        chapters.append(Chapter("changes", "Changes since last month", [*changes, exceptions]))
    else:
        findings.sections.append(exceptions)
    appendix = _sections(
        ("appendix-root", "Root row of each credential report"),
        ("appendix-users", "IAM users"),
        ("appendix-manifest", "Snapshot manifest"),
    )
    chapters += [
        Chapter("timeline", "Root activity timeline"),
        Chapter("appendix", "Evidence appendix", appendix),
        Chapter(
            "auditor",
            "Auditor's guide",
            _sections(
                ("auditor-proves", "What the pack proves, and what it does not"),
                ("auditor-verify", "Verification in three commands"),
                ("auditor-checks", "How each check decides, and from which evidence"),
                ("auditor-recompute", "Recomputing a verdict by hand from the workbook"),
            ),
        ),
        Chapter("signoff", "Sign-off"),
    ]
    kept = [c for c in chapters if c.anchor != "matrix" or c.sections]
    for number, chapter in enumerate(kept, start=1):
        chapter.number = str(number)
        for index, section in enumerate(chapter.sections, start=1):
            section.number = f"{number}.{index}"
    return kept


def chapters_view(chapters: list[Chapter]) -> dict[str, Any]:
    """The contents list, and the number of every chapter and section by anchor (for headings)."""
    numbers: dict[str, str] = {}
    headings: dict[str, str] = {}
    contents = []
    for chapter in chapters:
        numbers[chapter.anchor] = chapter.number
        headings[chapter.anchor] = f"{chapter.number} {chapter.title}"
        contents.append(
            {
                "anchor": chapter.anchor,
                "label": headings[chapter.anchor],
                "sections": [{"anchor": s.anchor, "label": f"{s.number} {s.title}"} for s in chapter.sections],
            }
        )
        for section in chapter.sections:
            numbers[section.anchor] = section.number
            headings[section.anchor] = f"{section.number} {section.title}"
    return {"contents": contents, "number": numbers, "heading": headings}
