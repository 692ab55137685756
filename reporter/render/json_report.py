"""findings.json: the findings for machines (CI gates, SIEM, dashboards). Byte-stable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from reporter import __version__
from reporter.render.model import ReportModel, checks_block, snapshot_block
from reporter.snapshot.writer import atomic_write

SCHEMA_VERSION = "1.0"


def findings_document(model: ReportModel) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": {"name": "reporter", "version": __version__},
        "snapshot": snapshot_block(model),
        "thresholds": model.thresholds.as_dict(),
        "accounts": [a.as_dict() for a in model.accounts],
        "summary": {"total": model.counts(),
                    "by_account": {a.id: model.counts(a.id) for a in model.accounts}},
        "checks": checks_block(),
        "findings": [f.as_dict() for f in model.findings],
        "frameworks": [r.as_dict() for r in model.frameworks],
        "evidence_problems": [p.as_dict() for p in model.problems],
    }


def render_json(model: ReportModel) -> bytes:
    # Sorted keys and an order fixed by the model: the same snapshot gives the same bytes.
    return orjson.dumps(findings_document(model), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def write_json(model: ReportModel, out_dir: Path) -> Path:
    path = out_dir / "findings.json"
    atomic_write(path, render_json(model))
    return path
