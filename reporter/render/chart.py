"""The pack's charts, written as small SVG documents from the counts (no plotting library).

Text is laid out with the advance widths of the pack's own font (templates/fonts), the font the
SVG names, so labels fit the same way on every machine; the same input gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import cache
from html import escape

from reporter.core.resources import shipped_dir

# Order, fill and hatch of each status: the hatch keeps statuses apart in grey print.
STATUS_STYLE = {
    "PASS": ("#4f9a6b", ""),
    "FAIL": ("#c0392b", "xx"),
    "NOT_ASSESSED": ("#e0a526", ".."),
    "NOT_APPLICABLE": ("#b8bec6", "//"),
    "MANUAL": ("#5b7db1", "\\\\"),
}
LABELS = {
    "PASS": "Pass",
    "FAIL": "Fail",
    "NOT_ASSESSED": "Not assessed",
    "NOT_APPLICABLE": "Not applicable",
    "MANUAL": "Manual",
}
# Colour, dash pattern and marker per line: frameworks stay apart in grey print as well.
_LINES = [
    ("#1d3557", "", "circle"),
    ("#c0392b", "4 2", "square"),
    ("#4f9a6b", "1 1.5", "triangle"),
    ("#e0a526", "4 1.5 1 1.5", "diamond"),
    ("#5b7db1", "5 1 1 1", "down"),
    ("#7f5539", "1 1", "plus"),
]
# One 6 × 6 pt tile of each hatch; strokes run past the tile so neighbouring tiles join.
_HATCHES = {
    "xx": "M0 0L6 6M6 0L0 6",
    "..": "M1.5 1.5h.01M4.5 4.5h.01",
    "//": "M0 6L6 0M-1 1L1 -1M5 7L7 5",
    "\\\\": "M0 0L6 6M-1 5L1 7M5 -1L7 1",
}
WIDTH = 504.0  # points: 7 in, the text width the chart is scaled to
INK = "#222222"
FONT_FAMILY = "Pack Sans, DejaVu Sans, sans-serif"


@cache
def _metrics() -> tuple[dict[int, int], int, int]:
    from fontTools.ttLib import TTFont  # noqa: PLC0415 - only when a chart is drawn

    font = TTFont(shipped_dir("templates") / "fonts" / "DejaVuSans.ttf", lazy=True)
    hmtx = font["hmtx"]
    advances = {code: hmtx[glyph][0] for code, glyph in font.getBestCmap().items()}
    return advances, hmtx[".notdef"][0], font["head"].unitsPerEm


def text_width(text: str, size: float) -> float:
    """The width in points of `text` set in the pack's font at `size` points."""
    advances, missing, per_em = _metrics()
    return sum(advances.get(ord(c), missing) for c in text) * size / per_em


def _n(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _ticks(top: int) -> list[int]:
    """At most six round steps (1, 2 or 5 × 10^k) from 0 to at least `top`."""
    top = max(top, 1)
    step = next(m * 10**power for power in range(12) for m in (1, 2, 5) if top <= 5 * m * 10**power)
    return list(range(0, math.ceil(top / step) * step + 1, step))


class _Svg:
    """Elements in drawing order; `bytes()` closes the document at the height reached."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.patterns: dict[str, str] = {}

    def add(self, tag: str, body: str = "", **attrs: str | float) -> None:
        text = " ".join(
            f'{k.rstrip("_").replace("_", "-")}="{v if isinstance(v, str) else _n(v)}"' for k, v in attrs.items()
        )
        self.parts.append(f"<{tag} {text}>{body}</{tag}>" if body else f"<{tag} {text}/>")

    def text(self, x: float, y: float, words: str, size: float, anchor: str = "start", **attrs: str | float) -> None:
        self.add("text", escape(words), x=x, y=y, font_size=size, text_anchor=anchor, **attrs)

    def box(self, x: float, y: float, width: float, height: float, colour: str, hatch: str = "") -> None:
        """A filled, outlined rectangle with the status's hatch drawn over the colour. The hatch
        tiles are transparent: tiles with a background of their own show seams between them."""
        self.add("rect", x=x, y=y, width=width, height=height, fill=colour, stroke=INK, stroke_width=0.4)
        if not hatch:
            return
        key = f"hatch{sorted(_HATCHES).index(hatch)}"
        if key not in self.patterns:
            self.patterns[key] = (
                f'<pattern id="{key}" width="6" height="6" patternUnits="userSpaceOnUse">'
                f'<path d="{_HATCHES[hatch]}" stroke="{INK}" stroke-width="{1.4 if hatch == ".." else 0.6}" '
                'stroke-linecap="round"/></pattern>'
            )
        self.add("rect", x=x, y=y, width=width, height=height, fill=f"url(#{key})")

    def close(self, height: float) -> bytes:
        defs = f"<defs>{''.join(self.patterns.values())}</defs>" if self.patterns else ""
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(WIDTH)}pt" height="{_n(height)}pt" '
            f'viewBox="0 0 {_n(WIDTH)} {_n(height)}" font-family="{FONT_FAMILY}" fill="{INK}">'
        )
        return (head + defs + "".join(self.parts) + "</svg>\n").encode("utf-8")


def _legend(svg: _Svg, items: Sequence[tuple[str, str]], y: float, size: float, centre: float) -> None:
    """Swatches with their labels, centred on one row: a status's box, or `line:N`, the Nth line."""
    gap, swatch = 10.0, 16.0
    widths = [swatch + 3 + text_width(label, size) for _, label in items]
    x = centre - (sum(widths) + gap * (len(items) - 1)) / 2
    for (paint, label), w in zip(items, widths, strict=True):
        if paint.startswith("line:"):
            colour, dash, marker = _LINES[int(paint[5:]) % len(_LINES)]
            svg.add(
                "line",
                x1=x,
                y1=y - size / 3,
                x2=x + swatch,
                y2=y - size / 3,
                stroke=colour,
                stroke_dasharray=dash or "none",
            )
            _marker(svg, x + swatch / 2, y - size / 3, colour, marker)
        else:
            svg.box(x, y - size * 0.8, swatch, size * 0.9, *STATUS_STYLE[paint])
        svg.text(x + swatch + 3, y, label, size)
        x += w + gap


def _marker(svg: _Svg, x: float, y: float, colour: str, shape: str) -> None:
    r = 2.2
    points = {
        "square": [(-r, -r), (r, -r), (r, r), (-r, r)],
        "triangle": [(0, -r), (r, r), (-r, r)],
        "down": [(-r, -r), (r, -r), (0, r)],
        "diamond": [(0, -r * 1.3), (r, 0), (0, r * 1.3), (-r, 0)],
    }
    if shape == "circle":
        svg.add("circle", cx=x, cy=y, r=r, fill=colour)
    elif shape == "plus":
        svg.add(
            "path",
            d=f"M{_n(x - r)} {_n(y)}h{_n(2 * r)}M{_n(x)} {_n(y - r)}v{_n(2 * r)}",
            stroke=colour,
            stroke_width=1.2,
        )
    else:
        svg.add("polygon", points=" ".join(f"{_n(x + dx)},{_n(y + dy)}" for dx, dy in points[shape]), fill=colour)


def _value_axis(
    svg: _Svg, ticks: Sequence[int], place: Iterator[tuple[float, float, float, float]], size: float
) -> None:
    """Gridlines and labels of a value axis; `place` yields (x1, y1, x2, y2) per tick."""
    for tick, (x1, y1, x2, y2) in zip(ticks, place, strict=False):
        svg.add("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke="#d5d8dc", stroke_width=0.4)
        if x1 == x2:  # vertical gridline: its label below
            svg.text(x1, y2 + size + 2, str(tick), size, "middle")
        else:
            svg.text(x1 - 3, y1 + size / 3, str(tick), size, "end")


def status_chart_svg(rows: Sequence[tuple[str, dict[str, int]]]) -> bytes:
    """A horizontal stacked bar per framework (label, counts by status), first row on top."""
    size, small, row, bar = 8.0, 7.0, 23.0, 14.0
    svg = _Svg()
    label_width = max([text_width(label, size) for label, _ in rows] + [0.0]) + 6
    left, right = label_width + 4, WIDTH - 6
    legend = [(s, LABELS[s]) for s in STATUS_STYLE]
    _legend(svg, legend, 12, small, (left + right) / 2)
    ticks = _ticks(max([sum(c.values()) for _, c in rows] + [1]))
    scale = (right - left) / ticks[-1]
    top, bottom = 22.0, 22.0 + row * len(rows)
    _value_axis(svg, ticks, ((left + t * scale, top, left + t * scale, bottom) for t in ticks), small)
    for i, (label, counts) in enumerate(rows):
        y = top + i * row + (row - bar) / 2
        svg.text(label_width, y + bar / 2 + size / 3, label, size, "end")
        x = left
        for status, (colour, hatch) in STATUS_STYLE.items():
            value = counts.get(status, 0)
            if not value:
                continue
            w = value * scale
            svg.box(x, y, w, bar, colour, hatch)
            box = text_width(str(value), small) + 3
            svg.add(
                "rect",
                x=x + w / 2 - box / 2,
                y=y + bar / 2 - 4.5,
                width=box,
                height=9,
                rx=1.5,
                fill="#ffffff",
                fill_opacity=0.85,
            )
            svg.text(x + w / 2, y + bar / 2 + small / 3, str(value), small, "middle")
            x += w
    svg.add("line", x1=left, y1=bottom, x2=right, y2=bottom, stroke=INK, stroke_width=0.6)
    svg.text((left + right) / 2, bottom + 2 * small + 6, "requirements", size, "middle")
    return svg.close(bottom + 2 * small + 10)


def _month_columns(
    svg: _Svg, months: Sequence[str], left: float, right: float, baseline: float, size: float
) -> list[float]:
    """The x of each month's column, labelled "26-10" under the axis (13 fit on one line)."""
    step = (right - left) / max(len(months), 1)
    xs = [left + step * (i + 0.5) for i in range(len(months))]
    for x, month in zip(xs, months, strict=True):
        svg.text(x, baseline + size + 3, month[2:], size, "middle")
    svg.add("line", x1=left, y1=baseline, x2=right, y2=baseline, stroke=INK, stroke_width=0.6)
    return xs


def _trend_frame(svg: _Svg, top_value: int, label: str, top: float, bottom: float) -> tuple[float, float]:
    """The y axis of a trend chart (ticks, gridlines, its rotated label); returns (left, scale)."""
    size = 7.0
    ticks = _ticks(top_value)
    left = 14 + text_width(str(ticks[-1]), size) + 6
    scale = (bottom - top) / ticks[-1]
    _value_axis(svg, ticks, ((left, bottom - t * scale, WIDTH - 6, bottom - t * scale) for t in ticks), size)
    svg.text(9, (top + bottom) / 2, label, size, "middle", transform=f"rotate(-90 9 {_n((top + bottom) / 2)})")
    return left, scale


def root_events_trend_svg(
    months: Sequence[str], events: Sequence[int | None], complete: Sequence[bool], packs: Sequence[bool]
) -> bytes:
    """Root events per month (oldest first, this month last). A month without a pack has no bar
    and says so; an incomplete count (an account's or a region's evidence missing) is hatched
    and marked "≥" (it is a lower bound)."""
    size, top, bottom = 6.5, 10.0, 128.0
    svg = _Svg()
    left, scale = _trend_frame(svg, max([e for e in events if e is not None] + [1]), "root events", top, bottom)
    xs = _month_columns(svg, months, left, WIDTH - 6, bottom, 7.0)
    width = (WIDTH - 6 - left) / max(len(months), 1) * 0.62
    for i, (x, value, whole, pack) in enumerate(zip(xs, events, complete, packs, strict=True)):
        if not pack or value is None:
            words = "no pack" if not pack else "no data"
            svg.text(x, bottom - 4, words, 6.0, fill="#555555", transform=f"rotate(-90 {_n(x + 2)} {_n(bottom - 4)})")
            continue
        colour = "#1d3557" if i == len(xs) - 1 else "#8da9c4"
        height = value * scale
        svg.box(x - width / 2, bottom - height, width, height, colour, "" if whole else "//")
        svg.text(x, bottom - height - 2, ("" if whole else "\u2265") + str(value), size, "middle")
    return svg.close(bottom + 14)


def fail_trend_svg(months: Sequence[str], series: Sequence[tuple[str, Sequence[int | None]]]) -> bytes:
    """FAIL requirements per framework per month, one line each; a month without a pack (None) is
    a gap in the line."""
    svg = _Svg()
    legend_rows = [series[i : i + 3] for i in range(0, len(series), 3)]
    top, bottom = 10.0 + 11 * len(legend_rows), 150.0 + 11 * len(legend_rows)
    highest = max([v for _, values in series for v in values if v is not None] + [1])
    left, scale = _trend_frame(svg, highest, "FAIL requirements", top, bottom)
    for r, chunk in enumerate(legend_rows):
        items = [(f"line:{r * 3 + k}", label) for k, (label, _) in enumerate(chunk)]
        _legend(svg, items, 9 + 11 * r, 6.3, (left + WIDTH - 6) / 2)
    xs = _month_columns(svg, months, left, WIDTH - 6, bottom, 7.0)
    for i, (_, values) in enumerate(series):
        colour, dash, marker = _LINES[i % len(_LINES)]
        points = [(x, bottom - v * scale) if v is not None else None for x, v in zip(xs, values, strict=True)]
        run: list[tuple[float, float]] = []
        for point in [*points, None]:
            if point is not None:
                run.append(point)
                continue
            if len(run) > 1:
                path = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                svg.add(
                    "polyline",
                    points=path,
                    fill="none",
                    stroke=colour,
                    stroke_width=1.0,
                    stroke_dasharray=dash or "none",
                )
            for x, y in run:
                _marker(svg, x, y, colour, marker)
            run = []
    return svg.close(bottom + 14)


# What each chart shows, in words: the alternative text of its image (a tagged PDF's Figure
# /Alt, the HTML's alt), so a screen reader gets the numbers, not "a chart".
def status_chart_alt(rows: Sequence[tuple[str, dict[str, int]]]) -> str:
    parts = [
        f"{label}: " + ", ".join(f"{counts[s]} {LABELS[s].lower()}" for s in STATUS_STYLE if counts.get(s))
        for label, counts in rows
    ]
    return "Requirements per status, for each framework. " + "; ".join(parts) + "."


def root_events_trend_alt(
    months: Sequence[str], events: Sequence[int | None], complete: Sequence[bool], packs: Sequence[bool]
) -> str:
    def words(value: int | None, whole: bool, pack: bool) -> str:
        if not pack:
            return "no pack"
        if value is None:
            return "no data"
        return f"{'' if whole else 'at least '}{value}"

    points = [f"{m} {words(*p)}" for m, p in zip(months, zip(events, complete, packs, strict=True), strict=True)]
    return "Root events per month: " + "; ".join(points) + "."


def fail_trend_alt(months: Sequence[str], series: Sequence[tuple[str, Sequence[int | None]]]) -> str:
    lines = [f"{label}: " + ", ".join("no pack" if v is None else str(v) for v in values) for label, values in series]
    span = f"{months[0]} to {months[-1]}" if months else "no months"
    return f"Requirements with status FAIL per framework and month, {span}. " + "; ".join(lines) + "."
