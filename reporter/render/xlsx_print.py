"""How each sheet of the evidence workbook prints: landscape, one page wide and as many tall as
the rows need (a sheet too wide to read at 55 % spreads over pages across, its row-id column
repeated on each), the header row repeated on every page, and a header and footer that tie
every printed page to its sheet, period and snapshot.

Without this a sheet prints at 100 % in portrait, its columns spilling over page after page
(the demo workbook printed to 111 pages, most of them fragments of a row). Fitting the width
shrinks the text of the widest sheets, but keeps each row whole on one page, which is what an
auditor ticks off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from openpyxl.worksheet.properties import PageSetupProperties

# ECMA-376 paper size codes (CT_PageSetup/@paperSize); the PDF offers the same two sizes.
PAPER_SIZES = {"A4": 9, "LETTER": 1}
# Printable landscape width in Excel column-width units (characters of the default font) at
# 100 %, margins taken off: A4 ~ 10.9 in, Letter ~ 10.2 in, about 13.7 units an inch.
PRINT_WIDTH = {"A4": 149.0, "LETTER": 140.0}
# Below this scale type is too small to read on paper: a wider sheet spreads over pages across.
MIN_SCALE = 0.55
# The snapshot digest's first characters: enough to tell two packs apart on paper, short enough for a header.
DIGEST_PREFIX = 16


def _header_text(text: str) -> str:
    # `&` starts a header/footer control code (&P, &N, &A); a literal one is written `&&`.
    return text.replace("&", "&&")


@dataclass(frozen=True)
class PrintLayout:
    """What every printed page of one workbook says: its period, its snapshot, its paper."""

    period: str
    digest: str  # SHA-256 of the snapshot's manifest.json
    page_size: str = "A4"

    def __post_init__(self) -> None:
        if self.page_size.upper() not in PAPER_SIZES:
            raise ValueError(f"page_size must be A4 or Letter, not {self.page_size!r}")

    def pages_wide(self, width: float) -> int:
        """Pages across for columns `width` units wide: one, unless that would print them
        smaller than MIN_SCALE."""
        return max(1, math.ceil(width * MIN_SCALE / PRINT_WIDTH[self.page_size.upper()]))

    def apply(
        self, ws: Any, *, title_row: int, gridlines: bool = True, width: float = 0.0, id_column: bool = False
    ) -> None:
        """Set `ws`'s print layout, `title_row` repeated atop every page, and (`id_column`, a sheet
        wider than one page) column A, the row id, at the left of every page. Call before the first
        row: a write-only sheet writes its properties (where fit-to-page lives) ahead of the rows."""
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        setup = ws.page_setup
        setup.orientation = "landscape"
        setup.paperSize = PAPER_SIZES[self.page_size.upper()]
        setup.fitToWidth = across = self.pages_wide(width)
        setup.fitToHeight = 0  # 0: as many pages tall as the rows need
        ws.print_title_rows = f"{title_row}:{title_row}"
        if across > 1 and id_column:
            ws.print_title_cols = "A:A"
        ws.print_options.gridLines = gridlines
        margins = ws.page_margins
        margins.left = margins.right = 0.4
        margins.top = margins.bottom = 0.6
        margins.header = margins.footer = 0.3
        ws.oddHeader.left.text = "&A"  # the sheet's name
        ws.oddHeader.center.text = _header_text(f"Evidence workbook {self.period}")
        ws.oddHeader.right.text = _header_text(f"snapshot SHA-256 {self.digest[:DIGEST_PREFIX]}…")
        ws.oddFooter.center.text = "Page &P of &N"
