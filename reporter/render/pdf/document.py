"""audit-pack-<YYYY-MM>.pdf: the pack an auditor reads, files and trusts.

The view (view.py) is laid out by Jinja2 templates (autoescaped); WeasyPrint renders PDF/A-3b with
manifest.json and findings.json attached. Nothing here reads the clock: every date in the document,
the PDF metadata and the attachments is `as_of`, so the same snapshot always gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from reporter.core.gcpause import paused_gc
from reporter.core.resources import shipped_dir
from reporter.pack.model import Pack
from reporter.render.codepoints import visible_in_html
from reporter.render.fetcher import TemplatesOnlyFetcher
from reporter.render.json_report import render_json
from reporter.render.pdf.org_view import ACCOUNTS_LISTED
from reporter.render.pdf.view import build_view
from reporter.render.pdf.words import pdf_name
from reporter.snapshot.writer import atomic_write

# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _visible(value: Any) -> Any:
    """Every value a template prints, with what HTML cannot hold made visible (codepoints.py)."""
    if not isinstance(value, str):
        return value
    shown = visible_in_html(value)
    if shown is value:
        return value
    return markupsafe.Markup(shown) if isinstance(value, markupsafe.Markup) else shown


def _environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,  # every template, whatever its name
        finalize=_visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(
    view: dict[str, Any], templates: Path | None = None, *, inline_css: str = ""
) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """The pack as HTML, and the generated resources (data: URL → bytes, type) it references.

    `inline_css` (trusted, from templates/) replaces the stylesheet links: report.html uses it.
    """
    templates = templates or shipped_dir("templates")
    generated: dict[str, tuple[bytes, str]] = {}

    def url(svg: bytes) -> str:
        if not svg:
            return ""
        data_url = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        generated[data_url] = (svg, "image/svg+xml")
        return data_url

    chart_url = url(view["summary"]["chart"])
    drift = view.get("drift") or {}
    trend_urls = {"root": url(drift.get("root_chart", b"")), "fails": url(drift.get("fail_chart", b""))}
    html = (
        _environment(templates)
        .get_template("pack.html.j2")
        .render(view=view, chart_url=chart_url, trend_urls=trend_urls, inline_css=markupsafe.Markup(inline_css))
    )
    return html, generated


# pydyf's own level for every stream; an embedded file (findings.json: 237 MB at 1,000 accounts)
# at zlib's default instead: a third of level 9's time for ~5 % more bytes.
STREAM_LEVEL, EMBEDDED_FILE_LEVEL = 9, 6


def _compress_streams_once(_document: Any, pdf: Any) -> None:
    """WeasyPrint's finisher: deflate each stream once, here.

    pydyf deflates a stream each time its bytes are read, and writing reads each twice (the
    file, then the file identifier's digest); at 1,000 accounts that was ~11 s of deflating
    findings.json alone. Each stream is handed over already deflated, with the /Filter pydyf
    would add, so pydyf then writes its bytes as they are."""
    from pydyf import Stream, _to_bytes  # noqa: PLC0415 - WeasyPrint's PDF writer, only when rendering

    for obj in pdf.objects:
        if not isinstance(obj, Stream) or not obj.compress:
            continue
        raw = b"\n".join(_to_bytes(item) for item in obj.stream)  # what pydyf would deflate
        level = EMBEDDED_FILE_LEVEL if obj.extra.get("Type") == "/EmbeddedFile" else STREAM_LEVEL
        deflate = zlib.compressobj(level=level)
        obj.stream = [deflate.compress(raw) + deflate.flush()]
        obj.extra["Filter"] = "/FlateDecode"
        obj.compress = False


def render_pdf(
    model: Pack,
    *,
    page_size: str = "A4",
    table_cap: int = 500,
    account_cap: int = ACCOUNTS_LISTED,
    fetcher: TemplatesOnlyFetcher | None = None,
) -> bytes:
    """The pack's PDF bytes (PDF/A-3b, manifest.json and findings.json attached); beyond
    `account_cap` accounts the account tables are per OU (org_view.py)."""
    from weasyprint import HTML, Attachment  # noqa: PLC0415 - heavy import, only when rendering

    # The cyclic GC adds up to 45 % to WeasyPrint's layout of long documents, and its passes over
    # a 1,000-account pack's objects slow the view and findings.json too: paused throughout.
    with paused_gc():
        templates = shipped_dir("templates")
        view = build_view(model, page_size=page_size, table_cap=table_cap, account_cap=account_cap)
        html, generated = render_html(view, templates)
        fetcher = fetcher or TemplatesOnlyFetcher(templates)
        fetcher.root = templates.resolve()
        fetcher.generated.update(generated)
        as_of = model.snapshot.manifest.as_of.replace(tzinfo=None)  # WeasyPrint writes these as UTC ("Z")
        manifest_bytes = model.snapshot.manifest_bytes
        attachments = [
            Attachment(
                string=manifest_bytes,
                name="manifest.json",
                url_fetcher=fetcher,
                created=as_of,
                modified=as_of,
                relationship="Source",
                description=f"Evidence snapshot manifest, SHA-256 {model.snapshot.digest}",
            ),
            Attachment(
                string=render_json(model),
                name="findings.json",
                url_fetcher=fetcher,
                created=as_of,
                modified=as_of,
                relationship="Data",
                description="The findings of this pack for machines (reporter findings.json)",
            ),
        ]
        identifier = hashlib.sha256(
            b"reporter-pdf\0"
            + model.snapshot.digest.encode()
            + b"\0"
            + view["page_size"].encode()
            + b"\0"
            + str(table_cap).encode()
            + b"\0"
            + str(account_cap).encode()
        ).hexdigest()
        document = HTML(string=html, base_url=templates.resolve().as_uri() + "/", url_fetcher=fetcher, encoding="utf-8")
        return document.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_tags=True,  # structure (headings, tables, figures with their alt text) for screen readers
            pdf_identifier=identifier[:32].encode("ascii"),
            attachments=attachments,
            uncompressed_pdf=False,
            full_fonts=True,  # the shipped fonts whole: no subsetting library decides the bytes
            finisher=_compress_streams_once,
        )


def write_pdf(
    model: Pack, out_dir: Path, *, page_size: str = "A4", table_cap: int = 500, account_cap: int = ACCOUNTS_LISTED
) -> Path:
    """Write `audit-pack-<YYYY-MM>.pdf` into `out_dir` (atomically) and return its path."""
    data = render_pdf(model, page_size=page_size, table_cap=table_cap, account_cap=account_cap)
    path = Path(out_dir) / pdf_name(model)
    atomic_write(path, data)
    return path
