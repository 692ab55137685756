"""The SVG charts: what they draw is the counts they were given, the same bytes every time, and
nothing in them can fetch or run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from reporter.render.chart import (
    STATUS_STYLE,
    WIDTH,
    fail_trend_alt,
    fail_trend_svg,
    root_events_trend_alt,
    root_events_trend_svg,
    status_chart_svg,
    text_width,
)

NS = {"s": "http://www.w3.org/2000/svg"}
MONTHS = [f"2026-{m:02d}" for m in range(1, 7)]


def _texts(svg: bytes) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iterfind(".//s:text", NS)]


def _bars(svg: bytes) -> dict[str, list[float]]:
    """Widths of the filled (colour) rectangles, by colour."""
    out: dict[str, list[float]] = {}
    for rect in ET.fromstring(svg).iterfind(".//s:rect", NS):
        if rect.get("stroke") and rect.get("fill", "").startswith("#"):
            out.setdefault(rect.get("fill", ""), []).append(float(rect.get("width", "0")))
    return out


ROWS = [("CIS 5.0.0", {"PASS": 6, "FAIL": 3, "NOT_ASSESSED": 1}), ("SOC 2", {"FAIL": 2, "MANUAL": 2})]


def test_status_bars_are_proportional_to_the_counts_and_labelled_with_them():
    svg = status_chart_svg(ROWS)
    bars = _bars(svg)
    legend = 16.0  # each status also has its swatch in the legend
    widths = {status: [w for w in bars[colour] if w != legend] for status, (colour, _) in STATUS_STYLE.items()}
    unit = widths["PASS"][0] / 6
    assert widths["FAIL"] == pytest.approx([3 * unit, 2 * unit], abs=0.01)
    assert widths["NOT_ASSESSED"] == pytest.approx([unit], abs=0.01)
    assert widths["MANUAL"] == pytest.approx([2 * unit], abs=0.01)
    assert widths["NOT_APPLICABLE"] == []
    texts = _texts(svg)
    rows = texts[texts.index("CIS 5.0.0") : texts.index("requirements")]
    assert rows == ["CIS 5.0.0", "6", "3", "1", "SOC 2", "2", "2"]
    assert {"Pass", "Fail", "Not assessed", "Not applicable", "Manual", "requirements"} <= set(texts)


def test_every_hatched_status_is_hatched_and_a_hatch_is_defined_once():
    svg = status_chart_svg(ROWS)
    root = ET.fromstring(svg)
    patterns = [p.get("id") for p in root.iterfind(".//s:pattern", NS)]
    assert len(patterns) == len(set(patterns)) == 4  # every status but PASS, each once
    overlays = [r for r in root.iterfind(".//s:rect", NS) if r.get("fill", "").startswith("url(#")]
    assert len(overlays) == 4 + 4  # the four hatched bars (FAIL twice), the four hatched swatches


def test_same_counts_same_bytes_and_the_label_column_fits_the_longest_label():
    long = "Payment Card Industry Data Security Standard 4.0.1"
    first = status_chart_svg([(long, {"PASS": 1})])
    assert first == status_chart_svg([(long, {"PASS": 1})])
    bars = [r for r in ET.fromstring(first).iterfind(".//s:rect", NS) if r.get("fill") == STATUS_STYLE["PASS"][0]]
    assert min(float(r.get("x", "0")) for r in bars[1:]) > text_width(long, 8)


def test_hostile_labels_are_text_and_nothing_is_fetched():
    label = '<script>alert(1)</script> & "x" <image href="https://evil.example/x.png"/>'
    svg = status_chart_svg([(label, {"FAIL": 1})])
    assert label in _texts(svg)
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.endswith(("script", "image", "use", "foreignObject"))]
    attributes = [(k, v) for e in root.iter() for k, v in e.attrib.items()]
    assert not [k for k, _ in attributes if k.endswith("href")]
    assert all(v.startswith("url(#") for _, v in attributes if "url(" in v)


def test_a_month_without_a_pack_says_so_and_an_incomplete_count_is_a_hatched_floor():
    svg = root_events_trend_svg(
        MONTHS, [0, None, 4, 2, None, 7], [True, True, False, True, True, True], [True, False, True, True, True, True]
    )
    texts = _texts(svg)
    assert texts.count("no pack") == 1 and texts.count("no data") == 1
    assert "\u22654" in texts and "7" in texts and "2" in texts
    assert [m[2:] for m in MONTHS] == [t for t in texts if re.fullmatch(r"\d\d-\d\d", t)]
    root = ET.fromstring(svg)
    assert len([r for r in root.iterfind(".//s:rect", NS) if r.get("fill", "").startswith("url(#")]) == 1
    # The current month stands out; a zero is a bar of height 0, not a gap.
    fills = [r.get("fill") for r in root.iterfind(".//s:rect", NS) if r.get("stroke")]
    assert fills[-1] == "#1d3557" and len(fills) == 4


def test_a_gap_in_a_trend_line_is_a_break_never_a_zero():
    svg = fail_trend_svg(MONTHS, [("CIS", [3, 2, None, 1, 1, 0]), ("SOC 2", [None, None, None, None, None, 4])])
    root = ET.fromstring(svg)
    lines = root.findall(".//s:polyline", NS)
    assert [len(p.get("points", "").split()) for p in lines] == [2, 3]  # SOC 2: one point, no line
    ys = {float(pt.split(",")[1]) for p in lines for pt in p.get("points", "").split()}
    assert len(ys) == 4  # 3, 2, 1 and 0 are four heights
    assert {"CIS", "SOC 2", "FAIL requirements"} <= set(_texts(svg))


def test_the_chart_is_as_wide_as_the_text_and_its_height_grows_with_the_rows():
    one = ET.fromstring(status_chart_svg(ROWS[:1]))
    two = ET.fromstring(status_chart_svg(ROWS))
    assert one.get("viewBox", "").split()[2] == str(int(WIDTH))
    assert float(two.get("viewBox", "").split()[3]) - float(one.get("viewBox", "").split()[3]) == pytest.approx(23)


def test_the_alt_text_of_each_chart_gives_its_numbers():
    months = MONTHS[:3]
    alt = root_events_trend_alt(months, [None, 2, 5], [True, True, False], [False, True, True])
    assert alt == "Root events per month: 2026-01 no pack; 2026-02 2; 2026-03 at least 5."
    lines = fail_trend_alt(months, [("CIS", [None, 3, 1])])
    assert lines.endswith("CIS: no pack, 3, 1.") and "2026-01 to 2026-03" in lines
