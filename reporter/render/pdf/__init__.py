"""The PDF audit pack: view.py prepares, document.py lays out and renders."""

from reporter.render.pdf.document import render_html, render_pdf, write_pdf
from reporter.render.pdf.view import build_view
from reporter.render.pdf.words import pdf_name, workbook_name

__all__ = ["build_view", "pdf_name", "render_html", "render_pdf", "workbook_name", "write_pdf"]
