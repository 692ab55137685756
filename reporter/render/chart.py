"""The executive-summary chart: requirement status per framework, as deterministic SVG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Order, fill and hatch of each status: the hatch keeps statuses apart in grey print. Double
# (not triple) hatches: as legible in print, and half the pattern paths WeasyPrint has to draw
# (the chart alone took ~1.5 s of a pack's rendering with triple hatches).
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


def status_chart_svg(rows: Sequence[tuple[str, dict[str, int]]]) -> bytes:
    """A horizontal stacked bar per framework (label, counts by status). Same input → same bytes."""
    rc: dict[RcKeyType, Any] = {
        "svg.hashsalt": "reporter",
        "svg.fonttype": "path",
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "hatch.linewidth": 0.6,
        "hatch.color": "#222222",
    }
    with matplotlib.rc_context(rc):
        height = 0.9 + 0.32 * max(len(rows), 1)
        fig, ax = plt.subplots(figsize=(7.0, height))
        labels = [label for label, _ in rows][::-1]
        counts = [c for _, c in rows][::-1]
        left = [0] * len(rows)
        for status, (colour, hatch) in STATUS_STYLE.items():
            values = [c.get(status, 0) for c in counts]
            ax.barh(
                labels,
                values,
                left=left,
                color=colour,
                hatch=hatch,
                edgecolor="#222222",
                linewidth=0.4,
                label=LABELS[status],
                height=0.62,
            )
            for y, (x0, v) in enumerate(zip(left, values, strict=True)):
                if v:
                    ax.text(
                        x0 + v / 2,
                        y,
                        str(v),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="black",
                        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85},
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_xlabel("requirements")
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(left + [1]))
        ax.legend(
            ncols=5,
            loc="lower center",
            bbox_to_anchor=(0.4, 1.0),
            frameon=False,
            fontsize=7,
            handlelength=2.2,
            handleheight=1.1,
        )
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    return out.getvalue()


# Month-over-month trend charts ("Changes since last month"). Same determinism as above; a month
# without a pack is a gap with the words "no pack", never a zero bar or a zero point.
_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "reporter",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "hatch.linewidth": 0.6,
    "hatch.color": "#222222",
}
# Line styles and markers keep frameworks apart in grey print as well as in colour.
_LINES = [
    ("#1d3557", "-", "o"),
    ("#c0392b", "--", "s"),
    ("#4f9a6b", ":", "^"),
    ("#e0a526", "-.", "D"),
    ("#5b7db1", (0, (5, 1, 1, 1)), "v"),
    ("#7f5539", (0, (1, 1)), "P"),
]


def _svg(fig: plt.Figure) -> bytes:
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return out.getvalue()


def _month_ticks(ax: plt.Axes, months: Sequence[str]) -> None:
    ax.set_xticks(range(len(months)))
    ax.set_xticklabels([m[2:] for m in months], rotation=0)  # "26-10": 13 labels fit on one line
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(-0.6, len(months) - 0.4)


def root_events_trend_svg(
    months: Sequence[str], events: Sequence[int | None], complete: Sequence[bool], packs: Sequence[bool]
) -> bytes:
    """Root events per month (oldest first, this month last). A month without a pack has no bar
    and says so; an incomplete count (an account's or a region's evidence missing) is hatched
    and marked "≥" (it is a lower bound)."""
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.0, 2.1))
        top = max([e for e in events if e is not None] + [1])
        for x, (value, whole, pack) in enumerate(zip(events, complete, packs, strict=True)):
            if not pack or value is None:
                ax.text(
                    x,
                    top * 0.04,
                    "no pack" if not pack else "no data",
                    rotation=90,
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    color="#555555",
                )
                continue
            current = x == len(events) - 1
            ax.bar(
                x,
                value,
                width=0.62,
                color="#1d3557" if current else "#8da9c4",
                hatch="" if whole else "//",
                edgecolor="#222222",
                linewidth=0.4,
            )
            ax.text(
                x, value + top * 0.02, ("" if whole else "\u2265") + str(value), ha="center", va="bottom", fontsize=6.5
            )
        _month_ticks(ax, months)
        ax.set_ylim(0, top * 1.18)
        ax.set_ylabel("root events")
        return _svg(fig)


def fail_trend_svg(months: Sequence[str], series: Sequence[tuple[str, Sequence[int | None]]]) -> bytes:
    """FAIL requirements per framework per month, one line each; a month without a pack (None) is
    a gap in the line."""
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.0, 2.3))
        top = 1
        for i, (label, values) in enumerate(series):
            colour, style, marker = _LINES[i % len(_LINES)]
            ys = [float("nan") if v is None else v for v in values]
            top = max([top] + [v for v in values if v is not None])
            ax.plot(
                range(len(values)),
                ys,
                color=colour,
                linestyle=style,
                marker=marker,
                markersize=3.2,
                linewidth=1.0,
                label=label,
            )
        _month_ticks(ax, months)
        ax.set_ylim(0, top * 1.15 + 0.5)
        ax.set_ylabel("FAIL requirements")
        if series:
            ax.legend(
                ncols=min(3, len(series)),
                loc="lower center",
                bbox_to_anchor=(0.5, 1.0),
                frameon=False,
                fontsize=6.3,
                handlelength=3,
            )
        return _svg(fig)
