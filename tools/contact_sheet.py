"""Every page of a PDF on one PNG, so a reviewer sees the whole pack at a glance.

    python tools/contact_sheet.py sample_reports/audit-pack-2026-10.pdf sample_reports/pages.png

Pages are rendered with poppler's pdftoppm (Debian: poppler-utils) and tiled with Pillow,
numbered, in reading order.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

COLUMNS = 8
DPI = 24  # an A4 page is ~200 px wide: layout visible, text not meant to be read
GAP = 6


def contact_sheet(pdf: Path, out: Path, columns: int = COLUMNS, dpi: int = DPI) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), f"{tmp}/p"], check=True)
        pages = [Image.open(p).convert("RGB") for p in sorted(Path(tmp).glob("p-*.png"))]
    cell_w = max(p.width for p in pages)
    cell_h = max(p.height for p in pages) + 12
    rows = -(-len(pages) // columns)
    sheet = Image.new("RGB", (columns * (cell_w + GAP) + GAP, rows * (cell_h + GAP) + GAP), "#9aa3ad")
    draw = ImageDraw.Draw(sheet)
    for i, page in enumerate(pages):
        x = GAP + (i % columns) * (cell_w + GAP)
        y = GAP + (i // columns) * (cell_h + GAP)
        sheet.paste(page, (x, y))
        draw.text((x + 2, y + page.height + 1), str(i + 1), fill="#000000")
    sheet.save(out, optimize=True)
    return len(pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--columns", type=int, default=COLUMNS)
    args = parser.parse_args()
    try:
        n = contact_sheet(args.pdf, args.out, args.columns)
    except FileNotFoundError:
        print("pdftoppm is missing: sudo apt-get install -y poppler-utils", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({n} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
