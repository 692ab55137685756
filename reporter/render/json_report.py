"""findings.json: the findings for machines (CI gates, SIEM, dashboards). Byte-stable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from reporter import __version__
from reporter.checks.finding import Finding
from reporter.core.gcpause import paused_gc
from reporter.pack.model import Pack, checks_block, snapshot_block
from reporter.snapshot.writer import atomic_write

# 1.1 (additive): "drift", "risk_acceptances", per-finding "acceptance", and the snapshot's
# previous_manifest_sha256 and signature. 1.2 (additive): "integrity", what was verified of the
# snapshot before the pack was built. 1.5 (additive): per-finding "limits", "framework_findings"
# (checks judged again under a framework row's own limits) and each requirement check's "limits".
# 1.7: per-finding "observed_text", "expected_text" and "source_text", the sentences the
# PDF and the workbook print.
# Also in 1.7: a finding's "id" is stable (F-<check>-<account>[-<resource hash>][-L<limits hash>], no
# longer F-0001 by position) and each "evidence" reference carries the row's stable "id"
# (E-cred-…, E-evt-<eventID>, E-doc-…), the one the workbook's evidence sheets carry; each drift
# change carries its "finding_id", and risk_acceptances.root_events[] "evidence_id" replaces "row_id".
SCHEMA_VERSION = "1.7"


def findings_document(model: Pack) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": {"name": "reporter", "version": __version__},
        "snapshot": snapshot_block(model),
        "integrity": model.integrity.as_dict(),
        "thresholds": model.thresholds.as_dict(),
        "accounts": [a.as_dict() for a in model.accounts],
        "summary": {
            "total": model.counts(),
            "by_account": {a.id: model.counts(a.id) for a in model.accounts},
            "coverage": model.coverage_counts(),
            "root_events": model.root_event_count().as_dict(),
        },
        "checks": checks_block(),
        "findings": _findings(model, model.findings),
        "framework_findings": _findings(model, model.framework_findings),
        "frameworks": [r.as_dict() for r in model.frameworks],
        "evidence_problems": [p.as_dict() for p in model.problems],
        "drift": model.drift.as_dict() if model.drift is not None else None,
        "risk_acceptances": model.acceptances.as_dict() if model.acceptances is not None else None,
    }


def _findings(model: Pack, findings: list[Finding]) -> list[dict[str, Any]]:
    """Each finding; a FAIL matched by an exceptions entry carries that decision (else null)."""
    decided = {}
    if model.acceptances is not None:
        decided = {d.finding_id: d for d in model.acceptances.decisions if d.acceptance is not None}
    out = []
    for f in findings:
        doc = f.as_dict()
        decision = decided.get(f.finding_id)
        doc["acceptance"] = (
            None
            if decision is None
            else {
                k: v
                for k, v in decision.as_dict().items()
                if k not in ("finding_id", "check_id", "account_id", "resource")
            }
        )
        out.append(doc)
    return out


def render_json(model: Pack) -> bytes:
    """findings.json's bytes, made once per pack: `report` writes them and embeds them in the PDF."""
    return model.memo("findings.json", lambda: _render_json(model))


def _render_json(model: Pack) -> bytes:
    # Sorted keys and an order fixed by the model: the same snapshot gives the same bytes. The
    # GC paused: a 1,000-account document is ~140,000 findings' dicts, none in a cycle.
    with paused_gc():
        return orjson.dumps(findings_document(model), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def write_json(model: Pack, out_dir: Path) -> Path:
    path = out_dir / "findings.json"
    atomic_write(path, render_json(model))
    return path
