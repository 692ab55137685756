"""The PDF's findings chapter and control matrix: FAIL and NOT_ASSESSED findings grouped by check,
status and the limits they were judged by (a framework row's own limits make a group of their
own), and each requirement's row naming its findings and linking their groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reporter.assess.risk_acceptance import AcceptanceState, Decision
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.limits import LimitKey, describe_limits, limit_key
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.render.pdf.words import (
    EVIDENCE_IDS_LISTED,
    EVIDENCE_ROWS_LISTED,
    FINDINGS_SHARE_OF_CAP,
    RESULTS_INDEX_SHARE_OF_CAP,
    SEVERITY_ORDER,
    SHEET_FINDINGS,
    SHOWN_STATUSES,
    STATUSES,
    account_label,
    status_view,
)


def exception_text(decision: Decision | None) -> str:
    """What a pack says about a FAIL's risk acceptance, in one plain sentence ("" when none)."""
    acc = decision.acceptance if decision is not None else None
    if decision is None or acc is None:
        return ""
    if decision.state is AcceptanceState.ACCEPTED:
        return (
            f"Accepted exception \u2014 approved by {acc.approver} on {acc.approved_on.isoformat()},"
            f" expires {acc.expires_on.isoformat()}, ticket {acc.ticket}"
        )
    if decision.state is AcceptanceState.EXPIRED:
        return (
            f"Exception EXPIRED on {acc.expires_on.isoformat()} \u2014 no longer applies"
            f" (approved by {acc.approver}, ticket {acc.ticket})"
        )
    return (
        f"Exception approved on {acc.approved_on.isoformat()}, after the evidence date \u2014 not applied"
        f" (approver {acc.approver}, ticket {acc.ticket})"
    )


def decisions(model: Pack) -> dict[str, Decision]:
    if model.acceptances is None:
        return {}
    return {d.finding_id: d for d in model.acceptances.decisions if d.acceptance is not None}


def finding_row(f: Finding, model: Pack, decision: Decision | None = None) -> dict[str, Any]:
    """One affected resource of a check: a plain row (no nested markup, it may repeat 500 times)."""
    return {
        "id": f.finding_id,
        "anchor": f"finding-{f.finding_id}",
        "account": account_label(model, f.account_id),
        "resource": f.resource,
        "exception": exception_text(decision),
        "observed": f.observed_text,
        "evidence": _evidence_text(f.evidence),
        **evidence_ids(f),
    }


def evidence_ids(f: Finding) -> dict[str, Any]:
    """The evidence ids a finding cites, the first EVIDENCE_IDS_LISTED of them printed."""
    ids = list(dict.fromkeys(ref.id for ref in f.evidence if ref.id))
    return {"evidence_ids": ids[:EVIDENCE_IDS_LISTED], "more_evidence": len(ids) - EVIDENCE_IDS_LISTED}


def results_index(model: Pack, detailed: set[str], cap: int, workbook: str) -> dict[str, Any]:
    """Every finding not detailed in its group (PASS and N/A included), by id, in the findings'
    order, so each id the workbook and findings.json carry can be found in the PDF too; at most
    RESULTS_INDEX_SHARE_OF_CAP of the table cap, the rest counted and sent to the workbook."""
    listed = [f for f in model.all_findings if f.finding_id not in detailed]
    shown = max(1, int(cap * RESULTS_INDEX_SHARE_OF_CAP))
    rows = [
        {
            "id": f.finding_id,
            "anchor": f"finding-{f.finding_id}",
            "status": status_view(f.status.value),
            "account": account_label(model, f.account_id),
            "resource": f.resource,
            "framework_limits": f.framework_limits,
            **evidence_ids(f),
        }
        for f in listed[:shown]
    ]
    return {"rows": rows, "total": len(listed), "rest": len(listed) - len(rows), "workbook": workbook}


def _evidence_text(refs: Iterable[EvidenceRef]) -> str:
    """Evidence rows grouped by file ("path: line 2, 15, 3"); long lists end with how many more.

    Every reference is in findings.json (attached) and the workbook; the root events themselves
    are in the timeline, so a root finding need not repeat 2,000 line numbers.
    """
    by_path: dict[str, list[str]] = {}
    for ref in refs:
        rows = by_path.setdefault(ref.path, [])
        if ref.row:
            rows.append(ref.row)
    parts = []
    for path, rows in by_path.items():
        lines = [r[5:] for r in rows if r.startswith("line ")]
        if rows and len(lines) == len(rows):
            shown = ", ".join(lines[:EVIDENCE_ROWS_LISTED])
            more = (
                f" and {len(lines) - EVIDENCE_ROWS_LISTED} more (findings.json)"
                if len(lines) > EVIDENCE_ROWS_LISTED
                else ""
            )
            parts.append(f"{path} line{'s' if len(lines) > 1 else ''} {shown}{more}")
        elif rows:
            shown = ", ".join(rows[:EVIDENCE_ROWS_LISTED])
            more = (
                f" and {len(rows) - EVIDENCE_ROWS_LISTED} more (findings.json)"
                if len(rows) > EVIDENCE_ROWS_LISTED
                else ""
            )
            parts.append(f"{path} \u00b7 {shown}{more}")
        else:
            parts.append(path)
    return "; ".join(parts) or "\u2014"


def _allocate(sizes: list[int], cap: int) -> list[int]:
    """Share `cap` detailed rows among groups fairly: small groups whole, big ones an equal share.

    Every group shows at least one row, so each check that failed is described in the PDF.
    """
    shares = [0] * len(sizes)
    left, open_ = max(cap, len(sizes)), sorted(range(len(sizes)), key=lambda i: sizes[i])
    while open_:
        fair = left // len(open_)
        i = open_[0]
        if sizes[i] <= fair:
            shares[i] = sizes[i]
        else:  # every remaining group is bigger than its share: split what is left evenly
            for rank, j in enumerate(open_):
                shares[j] = max(1, fair + (1 if rank < left - fair * len(open_) else 0))
            break
        left -= sizes[i]
        open_.pop(0)
    return shares


def findings_chapter(model: Pack, cap: int, workbook: str) -> dict[str, Any]:
    """FAIL and NOT_ASSESSED results, one block per (check, status).

    A block says once what the check is, why it matters and how to fix it, then lists the affected
    resources one table row each (what was observed, evidence row) under the requirement. At most half of `cap`
    rows in all are detailed (FINDINGS_SHARE_OF_CAP), shared fairly among the blocks; each block
    that is cut says where its other rows are in the workbook, so nothing is left out silently.
    """
    shown = [f for f in model.all_findings if f.status in SHOWN_STATUSES]
    grouped: dict[tuple[str, str, LimitKey], list[Finding]] = {}
    for f in shown:
        grouped.setdefault(_group_key(f), []).append(f)
    keys = sorted(
        grouped,
        key=lambda k: (
            k[1] != Status.FAIL.value,
            SEVERITY_ORDER.get(grouped[k][0].severity.value, 9),
            grouped[k][0].framework_limits,
            -len(grouped[k]),
            k[0],
            k[2],
        ),
    )
    shares = _allocate([len(grouped[k]) for k in keys], max(1, int(cap * FINDINGS_SHARE_OF_CAP)))
    groups: list[dict[str, Any]] = []
    anchored: set[str] = set()
    decided = decisions(model)
    stated_by = _stated_by(model)
    # The Findings sheet lists model.all_findings in order from Excel row 2.
    position = {f.finding_id: i for i, f in enumerate(model.all_findings)}
    for index, (key, share) in enumerate(zip(keys, shares, strict=True), start=1):
        members = sorted(grouped[key], key=lambda f: position[f.finding_id])
        detailed, rest = members[:share], members[share:]
        anchored.update(f.finding_id for f in detailed)
        check_id, status, limits = key
        check = CHECKS.get(check_id)
        framework_limits = members[0].framework_limits
        note = None
        if rest:
            rows = [position[f.finding_id] + 2 for f in rest]
            note = {
                "shown": len(detailed),
                "total": len(members),
                "rest": len(rest),
                "workbook": workbook,
                "sheet": SHEET_FINDINGS,
                "first_row": rows[0],
                "last_row": rows[-1],
                "check_id": check_id,
                "status": status,
            }
        groups.append(
            {
                "anchor": f"findings-{index}",
                "check_id": check_id,
                "title": (check.title if check else check_id)
                + (f" \u2014 limits of {', '.join(stated_by.get((check_id, limits), ()))}" if framework_limits else ""),
                "limits": describe_limits(dict(limits)),
                "limit_key": limits,
                "framework_limits": framework_limits,
                "status": status_view(status),
                "severity": members[0].severity.value,
                "count": len(members),
                "accounts": len({f.account_id for f in members}),
                "risk": check.rationale if check else "",
                # One sentence for the group: a group shares its check, limits and whose they are.
                "expected": members[0].expected_text,
                # A result not assessed needs its evidence fixed, not the account: its own steps.
                "remediation": (
                    list(dict.fromkeys(step for f in members for step in f.remediation))
                    if status == Status.NOT_ASSESSED.value
                    else list(check.remediation)
                    if check
                    else []
                ),
                "remediation_label": "To assess it" if status == Status.NOT_ASSESSED.value else "Remediation",
                "references": list(check.references) if check else [],
                "rows": [finding_row(f, model, decided.get(f.finding_id)) for f in detailed],
                "rest": note,
                "accepted": sum(1 for f in members if (d := decided.get(f.finding_id)) is not None and d.applies),
                "expired": sum(
                    1
                    for f in members
                    if (d := decided.get(f.finding_id)) is not None and d.state is AcceptanceState.EXPIRED
                ),
            }
        )
    by_severity = _count_by(shown, lambda f: f.severity.value)
    detailed_total = sum(len(g["rows"]) for g in groups)
    results = results_index(model, anchored, cap, workbook)
    # A cut group says its other ids are in the index only where the index (itself capped) has them.
    indexed = {r["id"] for r in results["rows"]}
    for g, key in zip(groups, keys, strict=True):
        if g["rest"] is not None:
            g["rest"]["in_index"] = all(f.finding_id in indexed for f in grouped[key] if f.finding_id not in anchored)
    return {
        "groups": groups,
        "anchored": anchored,
        "total": len(shown),
        "detailed": detailed_total,
        "in_workbook": len(shown) - detailed_total,
        "workbook": workbook,
        "listed_cap": max(1, int(cap * FINDINGS_SHARE_OF_CAP)),
        "fail": sum(1 for f in shown if f.status == Status.FAIL),
        "not_assessed": sum(1 for f in shown if f.status == Status.NOT_ASSESSED),
        "by_severity": [(s, by_severity.get(s, 0)) for s in SEVERITY_ORDER],
        "index": results,
    }


def _stated_by(model: Pack) -> dict[tuple[str, LimitKey], list[str]]:
    """(check, limits) → the framework rows judged by them ("pci-dss-4.0.1 8.2.6")."""
    out: dict[tuple[str, LimitKey], list[str]] = {}
    for result in model.frameworks:
        for req in result.requirements:
            for check_id, limits in sorted(req.limits.items()):
                out.setdefault((check_id, limit_key(limits)), []).append(f"{result.framework_id} {req.requirement.id}")
    return out


def _group_key(finding: Finding) -> tuple[str, str, LimitKey]:
    """One findings group per check, status and limits: a check judged again under a framework
    row's limits (PCI DSS's 90 days) is a group of its own, cited by that row."""
    return finding.check_id, finding.status.value, limit_key(finding.limits)


def _count_by(items: Iterable[Any], key: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for item in items:
        k = key(item)
        out[k] = out.get(k, 0) + 1
    return out


def framework_anchor(index: int) -> str:
    """The link target of the n-th framework's matrix (1-based), for the contents and the matrix."""
    return f"fw-{index}"


def control_matrix(model: Pack, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Control matrix rows. A requirement's failed and not-assessed findings are counted and linked
    once per findings group (its section number), where each is named by its id: ids run to 60
    characters and would only break over the lines of a narrow matrix cell."""
    by_id = {f.finding_id: f for f in model.all_findings}
    # A finding is cited by many requirements (every framework mapping its check): its group key
    # once, not once per citing row (1.7 million limit keys on 1,000 accounts).
    key_of: dict[str, tuple[str, str, LimitKey]] = {}
    group_of = {
        (g["check_id"], g["status"]["code"], g["limit_key"]): (index, g) for index, g in enumerate(groups, start=1)
    }
    out = []
    for index, result in enumerate(model.frameworks, start=1):
        doc = result.as_dict()
        info = doc["framework"]
        reqs = []
        for req in doc["requirements"]:
            ids = req.get("finding_ids") or []
            problem_ids = [i for i in ids if i in by_id and by_id[i].status in SHOWN_STATUSES]
            keys = sorted(
                {key_of[i] if i in key_of else key_of.setdefault(i, _group_key(by_id[i])) for i in problem_ids},
                key=lambda k: group_of[k][0] if k in group_of else 0,
            )
            per_group = _count_by(problem_ids, key_of.__getitem__)
            links = [
                {
                    "anchor": group_of[k][1]["anchor"],
                    "label": group_of[k][1]["number"],
                    "status": group_of[k][1]["status"],
                    "count": per_group[k],
                }
                for k in keys
                if k in group_of
            ]
            reqs.append(
                {
                    "id": req["id"],
                    "title": req["title"],
                    "section": req.get("section") or "",
                    "status": status_view(req["status"]),
                    "reason": req.get("reason") or "",
                    "checks": [
                        {"id": c["id"], "limits": describe_limits(c.get("limits") or {})}
                        for c in req.get("checks") or []
                    ],
                    "groups": links,
                    "other_findings": len(ids) - len(problem_ids),
                }
            )
        out.append(
            {
                "anchor": framework_anchor(index),
                "id": info["id"],
                "name": info["name"],
                "version": info["version"],
                "publisher": info.get("publisher") or "",
                "source": info.get("source") or "",
                "sha256": info.get("sha256") or "",
                "source_url": info.get("source_url") or "",
                "counts": [(status_view(s), doc["counts"].get(s, 0)) for s in STATUSES],
                "requirements": reqs,
            }
        )
    return out
