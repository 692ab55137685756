"""assessment-results-<YYYY-MM>.oscal.json: the pack as an OSCAL 1.1 assessment-results document.

One result for the period. Every framework requirement is a reviewed control and a finding whose
target states satisfied / not-satisfied; OSCAL 1.1 has no third state, so anything but PASS
(NOT_ASSESSED, MANUAL, NOT_APPLICABLE) is "not-satisfied" with reason "other" and the pack's own
status and reason in the remarks — missing evidence is never "satisfied". Every check finding is
an observation (collected at as_of, the snapshot files it read with their SHA-256); every FAIL is
a risk: open, or "deviation-approved" when a valid exception covers it (its approver, dates and
ticket in its risk-log, as the PDF words them; an expired one is logged too, and stays open).
UUIDs are uuid5 of the snapshot digest and stable keys: same snapshot, same bytes.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import orjson

from reporter import __version__
from reporter.assess.evaluate import RequirementResult
from reporter.assess.risk_acceptance import Decision
from reporter.checks.finding import Finding
from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.render.pdf.findings_view import decisions, exception_text
from reporter.snapshot.writer import atomic_write

OSCAL_VERSION = "1.1.2"
# The namespace of every uuid5 in the document (itself uuid5 of the tool's name, for the record).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "compliance-reporter/oscal")
_NOT_TOKEN = re.compile(r"[^\w.\-]", re.ASCII)


def oscal_name(model: Pack) -> str:
    return f"assessment-results-{model.period_label}.oscal.json"


def _token(text: str) -> str:
    """An OSCAL token (starts with a letter or _, then letters, digits, . - _)."""
    cleaned = _NOT_TOKEN.sub("_", text)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"_{cleaned}"


class _Ids:
    def __init__(self, digest: str) -> None:
        self.digest = digest

    def __call__(self, *key: str) -> str:
        return str(uuid.uuid5(_NAMESPACE, "\0".join((self.digest, *key))))


def _evidence(model: Pack, finding: Finding) -> list[dict[str, Any]]:
    digests = {a.path: a.sha256 for a in model.snapshot.manifest.artifacts if a.path}
    out = []
    for path in sorted({ref.path for ref in finding.evidence}):
        sha = digests.get(path)
        entry: dict[str, Any] = {"href": path, "description": f"Snapshot file {path}, SHA-256 {sha or 'not recorded'}"}
        if sha:
            entry["props"] = [{"name": "sha256", "value": sha}]
        out.append(entry)
    return out


def _observation(model: Pack, ids: _Ids, finding: Finding, when: str) -> dict[str, Any]:
    observation: dict[str, Any] = {
        "uuid": ids("observation", finding.finding_id),
        "title": f"{finding.finding_id} {finding.check_id}",
        "description": f"{finding.status.value}: {finding.reason}",
        "props": [{"name": "reporter-status", "value": finding.status.value}],
        "methods": ["AUTOMATED"],
        "subjects": [
            {
                "subject-uuid": ids("account", finding.account_id),
                "type": "inventory-item",
                "title": f"AWS account {finding.account_id}",
            }
        ],
        "collected": when,
    }
    evidence = _evidence(model, finding)
    if evidence:
        observation["relevant-evidence"] = evidence
    return observation


def _target(status: Status, reason: str) -> dict[str, Any]:
    if status is Status.PASS:
        return {"state": "satisfied", "reason": "pass"}
    if status is Status.FAIL:
        return {"state": "not-satisfied", "reason": "fail", "remarks": reason}
    return {"state": "not-satisfied", "reason": "other", "remarks": f"{status.value}: {reason}"}


def _finding(ids: _Ids, control: str, row: RequirementResult, risks: dict[str, str]) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "uuid": ids("finding", control),
        "title": f"{row.requirement.id} {row.requirement.title}",
        "description": f"{row.status.value}: {row.reason}",
        "props": [{"name": "reporter-status", "value": row.status.value}],
        "target": {"type": "objective-id", "target-id": control, "status": _target(row.status, row.reason)},
    }
    if row.finding_ids:
        finding["related-observations"] = [{"observation-uuid": ids("observation", f)} for f in row.finding_ids]
    related = [{"risk-uuid": risks[f]} for f in row.finding_ids if f in risks]
    if related:
        finding["related-risks"] = related
    return finding


def _risk(ids: _Ids, finding: Finding, decision: Decision | None) -> dict[str, Any]:
    props = [{"name": "severity", "value": finding.severity.value}]
    risk: dict[str, Any] = {
        "uuid": ids("risk", finding.finding_id),
        "title": f"{finding.finding_id} {finding.check_id} failed in account {finding.account_id}",
        "description": finding.reason,
        "statement": f"{finding.resource}: {finding.statement()}",
        "props": props,
        # OSCAL's word for a risk the organization has formally accepted; otherwise it is open.
        "status": "deviation-approved" if decision is not None and decision.applies else "open",
    }
    acceptance = decision.acceptance if decision is not None else None
    if decision is not None and acceptance is not None:
        props.append({"name": "risk-acceptance", "value": decision.state.value})
        entry: dict[str, Any] = {
            "uuid": ids("risk-acceptance", finding.finding_id),
            "title": f"Risk acceptance {acceptance.ticket}",
            "description": exception_text(decision),
            # The acceptance's own period (UTC dates, inclusive), not the time of rendering.
            "start": f"{acceptance.approved_on.isoformat()}T00:00:00+00:00",
            "end": f"{acceptance.expires_on.isoformat()}T23:59:59+00:00",
        }
        if decision.applies:
            entry["status-change"] = "deviation-approved"
        risk["risk-log"] = {"entries": [entry]}
    risk["related-observations"] = [{"observation-uuid": ids("observation", finding.finding_id)}]
    return risk


def build_oscal(model: Pack) -> dict[str, Any]:
    """The OSCAL assessment-results document as a dict (keys in OSCAL's order)."""
    manifest = model.snapshot.manifest
    ids = _Ids(model.snapshot.digest)
    when = manifest.as_of.isoformat()
    findings = sorted(model.findings + model.framework_findings, key=lambda f: f.finding_id)
    risks = {f.finding_id: ids("risk", f.finding_id) for f in findings if f.status is Status.FAIL}
    decided = decisions(model)  # only the FAILs an exception names
    controls: list[dict[str, str]] = []
    oscal_findings = []
    for framework in model.frameworks:
        for row in framework.requirements:
            control = _token(f"{framework.framework_id}-{row.requirement.id}")
            controls.append({"control-id": control})
            oscal_findings.append(_finding(ids, control, row, risks))
    if not controls:  # OSCAL has no empty selection; the CLI refuses -f oscal without a framework
        raise ValueError("an OSCAL assessment-results document needs at least one framework requirement")
    result: dict[str, Any] = {
        "uuid": ids("result", model.period_label),
        "title": f"Root-user and IAM credential assessment {model.period_label}",
        "description": f"Evidence snapshot SHA-256 {model.snapshot.digest}, as of {when}.",
        "start": when,
        "end": when,
        "reviewed-controls": {"control-selections": [{"include-controls": controls}]},
        "observations": [_observation(model, ids, f, when) for f in findings],
        "risks": [_risk(ids, f, decided.get(f.finding_id)) for f in findings if f.status is Status.FAIL],
        "findings": oscal_findings,
    }
    for key in ("observations", "risks", "findings"):
        if not result[key]:
            del result[key]  # OSCAL arrays are never empty
    return {
        "assessment-results": {
            "uuid": ids("assessment-results"),
            "metadata": {
                "title": f"reporter assessment results {model.period_label}",
                "published": when,
                "last-modified": when,
                "version": __version__,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {"href": "#reporter-assessment-plan"},
            "results": [result],
        }
    }


def render_oscal(model: Pack) -> bytes:
    return orjson.dumps(build_oscal(model), option=orjson.OPT_INDENT_2) + b"\n"


def write_oscal(model: Pack, out_dir: Path) -> Path:
    """Write `assessment-results-<YYYY-MM>.oscal.json` into `out_dir` (atomically) and return its path."""
    path = Path(out_dir) / oscal_name(model)
    atomic_write(path, render_oscal(model))
    return path
