"""Write templates/fonts/: the DejaVu faces the pack's CSS uses, cut to a fixed character set.

The PDF embeds these files whole (WeasyPrint's `full_fonts`), so its bytes depend on the files
in the repository, not on which font-subsetting library (HarfBuzz-subset or fontTools) the
machine that renders happens to have. The character set covers Latin-1, Latin Extended-A,
punctuation, arrows, mathematical operators, box drawing, geometric shapes and the check marks
the pack prints; a character outside it (an attacker's user agent, say) falls back to a system
font. Run with the Debian package fonts-dejavu-core installed: `python tools/ship_fonts.py`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE = Path("/usr/share/fonts/truetype/dejavu")
LICENCE = Path("/usr/share/doc/fonts-dejavu-core/copyright")
FACES = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSansMono", "DejaVuSansMono-Bold")
RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x017F),
    (0x2000, 0x206F),
    (0x20AC, 0x20AC),
    (0x2122, 0x2122),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x2500, 0x25FF),
    (0x2610, 0x2612),
    (0x270E, 0x270E),
    (0x2713, 0x2718),
    (0xFFFD, 0xFFFD),
)


def ship(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    # Kerning and mark placement only: the PDF maps each embedded glyph back to text through the
    # font's cmap, and a ligature glyph (fi, fl) has no cmap entry, so "file" would copy as "?le".
    options.layout_features = ["kern", "mark", "mkmk"]
    options.hinting = False  # screen hinting does nothing in a PDF
    options.drop_tables += ["FFTM"]  # FontForge's build timestamps
    unicodes = [c for low, high in RANGES for c in range(low, high + 1)]
    for face in FACES:
        font = TTFont(SOURCE / f"{face}.ttf", recalcTimestamp=False)  # keep the source's dates: same bytes every run
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        font.save(target / f"{face}.ttf")
    shutil.copyfile(LICENCE, target / "LICENSE")


if __name__ == "__main__":
    ship(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "templates" / "fonts")
