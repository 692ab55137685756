"""The executive-summary chart: requirement status per framework, as deterministic SVG."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
LABELS = {"PASS": "Pass", "FAIL": "Fail", "NOT_ASSESSED": "Not assessed",
          "NOT_APPLICABLE": "Not applicable", "MANUAL": "Manual"}


def status_chart_svg(rows: Sequence[tuple[str, dict[str, int]]]) -> bytes:
    """A horizontal stacked bar per framework (label, counts by status). Same input → same bytes."""
    rc = {
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
            ax.barh(labels, values, left=left, color=colour, hatch=hatch, edgecolor="#222222",
                    linewidth=0.4, label=LABELS[status], height=0.62)
            for y, (x0, v) in enumerate(zip(left, values, strict=True)):
                if v:
                    ax.text(x0 + v / 2, y, str(v), ha="center", va="center", fontsize=7,
                            color="black", bbox={"boxstyle": "round,pad=0.12", "fc": "white",
                                                 "ec": "none", "alpha": 0.85})
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_xlabel("requirements")
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(left + [1]))
        ax.legend(ncols=5, loc="lower center", bbox_to_anchor=(0.4, 1.0), frameon=False, fontsize=7,
                  handlelength=2.2, handleheight=1.1)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
    return out.getvalue()
