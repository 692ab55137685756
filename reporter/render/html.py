"""report-<YYYY-MM>.html: the PDF's content as one self-contained page for a browser.

The same view (pdf/view.py) and the same templates as the PDF, so the two cannot say different
things. The stylesheets are inlined without their @font-face rules (those point at the shipped
font files); charts are already data: URIs. Nothing in the page is fetched from anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from reporter.core.resources import shipped_dir
from reporter.pack.model import Pack
from reporter.render.pdf.document import render_html
from reporter.render.pdf.view import build_view
from reporter.snapshot.writer import atomic_write

_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}\n?")


def html_name(model: Pack) -> str:
    return f"report-{model.period_label}.html"


def _inline_css(templates: Path, page_size: str) -> str:
    page = "page-letter.css" if page_size == "Letter" else "page-a4.css"
    parts = [(templates / name).read_text(encoding="utf-8") for name in ("pack.css", page, "screen.css")]
    return "\n".join(_FONT_FACE.sub("", part) if i < 2 else part for i, part in enumerate(parts))


def render_report_html(model: Pack, *, page_size: str = "A4", table_cap: int = 500) -> bytes:
    """The pack as one self-contained HTML document (UTF-8)."""
    templates = shipped_dir("templates")
    view = build_view(model, page_size=page_size, table_cap=table_cap)
    html, _generated = render_html(view, templates, inline_css=_inline_css(templates, view["page_size"]))
    return html.encode("utf-8")


def write_html(model: Pack, out_dir: Path, *, page_size: str = "A4", table_cap: int = 500) -> Path:
    """Write `report-<YYYY-MM>.html` into `out_dir` (atomically) and return its path."""
    path = Path(out_dir) / html_name(model)
    atomic_write(path, render_report_html(model, page_size=page_size, table_cap=table_cap))
    return path
