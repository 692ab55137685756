"""audit-pack-<YYYY-MM>.pdf: the pack an auditor reads, files and trusts.

The view (view.py) is laid out by Jinja2 templates (autoescaped); WeasyPrint renders PDF/A-3b with
manifest.json and findings.json attached. Nothing here reads the clock: every date in the document,
the PDF metadata and the attachments is `as_of`, so the same snapshot always gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from pathlib import Path
from typing import Any

import jinja2

from reporter.core.gcpause import paused_gc
from reporter.core.resources import shipped_dir
from reporter.pack.model import Pack
from reporter.render.fetcher import TemplatesOnlyFetcher
from reporter.render.json_report import render_json
from reporter.render.pdf.view import build_view
from reporter.render.pdf.words import pdf_name
from reporter.snapshot.writer import atomic_write

# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _freeze_font_timestamp(font: bytes) -> bytes:
    """Set a TrueType font's `head.modified` to its `head.created` (fixing the checksums).

    The font subsetter stamps the subset with the time of rendering; that stamp is the one thing
    that would make two renders of the same snapshot differ. Same length, so /Length1 holds.
    """
    if len(font) < 12 or font[:4] not in (b"\x00\x01\x00\x00", b"true"):
        return font
    data = bytearray(font)
    tables = {}
    for i in range(struct.unpack(">H", data[4:6])[0]):
        tag, _, offset, length = struct.unpack(">4sLLL", data[12 + 16 * i : 28 + 16 * i])
        tables[tag] = (12 + 16 * i, offset, length)
    if b"head" not in tables:
        return font
    record, offset, length = tables[b"head"]
    if length < 36 or offset + length > len(data):
        return font
    data[offset + 28 : offset + 36] = data[offset + 20 : offset + 28]  # modified := created
    data[offset + 8 : offset + 12] = b"\0\0\0\0"  # checkSumAdjustment, recomputed below

    def checksum(chunk: bytes | bytearray) -> int:
        chunk = bytes(chunk) + b"\0" * (-len(chunk) % 4)
        return sum(struct.unpack(f">{len(chunk) // 4}L", chunk)) & 0xFFFFFFFF

    data[record + 4 : record + 8] = struct.pack(">L", checksum(data[offset : offset + length]))
    data[offset + 8 : offset + 12] = struct.pack(">L", (0xB1B0AFBA - checksum(data)) & 0xFFFFFFFF)
    return bytes(data)


def _reproducible_fonts(document: Any, pdf: Any) -> None:
    for obj in pdf.objects:
        extra = getattr(obj, "extra", None)
        stream = getattr(obj, "stream", None)
        if extra is not None and stream and "Length1" in extra and len(stream) == 1 and isinstance(stream[0], bytes):
            stream[0] = _freeze_font_timestamp(stream[0])


def _environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(view: dict[str, Any], templates: Path | None = None) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """The pack as HTML, and the generated resources (data: URL → bytes, type) it references."""
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
        .render(view=view, chart_url=chart_url, trend_urls=trend_urls)
    )
    return html, generated


def render_pdf(
    model: Pack, *, page_size: str = "A4", table_cap: int = 500, fetcher: TemplatesOnlyFetcher | None = None
) -> bytes:
    """The pack's PDF bytes (PDF/A-3b, manifest.json and findings.json attached)."""
    from weasyprint import HTML, Attachment  # noqa: PLC0415 - heavy import, only when rendering

    templates = shipped_dir("templates")
    view = build_view(model, page_size=page_size, table_cap=table_cap)
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
    ).hexdigest()
    with paused_gc():  # the cyclic GC adds up to 45 % to WeasyPrint's layout of long documents
        document = HTML(string=html, base_url=templates.resolve().as_uri() + "/", url_fetcher=fetcher, encoding="utf-8")
        return document.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_identifier=identifier[:32].encode("ascii"),
            attachments=attachments,
            uncompressed_pdf=False,
            finisher=_reproducible_fonts,
        )


def write_pdf(model: Pack, out_dir: Path, *, page_size: str = "A4", table_cap: int = 500) -> Path:
    """Write `audit-pack-<YYYY-MM>.pdf` into `out_dir` (atomically) and return its path."""
    data = render_pdf(model, page_size=page_size, table_cap=table_cap)
    path = Path(out_dir) / pdf_name(model)
    atomic_write(path, data)
    return path
