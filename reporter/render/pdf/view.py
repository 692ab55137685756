"""The PDF's view: one plain dict of strings and small tables, prepared from the Pack.

The templates only place what this module prepares (autoescaped); nothing here reads the clock:
every date is `as_of`, so the same snapshot always gives the same view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from reporter import __version__
from reporter.assess.risk_acceptance import AcceptanceState, Decision
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.limits import LimitKey, describe_limits, limit_key
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.pack.coverage import ASSESSED, PARTIAL, Coverage
from reporter.pack.integrity import STAMP
from reporter.pack.model import Pack
from reporter.render.chart import STATUS_STYLE, status_chart_svg
from reporter.render.pdf.auditor import auditor_guide
from reporter.render.pdf.evidence_sections import (
    chain_section,
    credential_tables,
    drift_section,
    exceptions_section,
    manifest_table,
    root_timeline,
)
from reporter.render.pdf.words import (
    EVIDENCE_ROWS_LISTED,
    FINDINGS_SHARE_OF_CAP,
    LINKED_FINDINGS_PER_REQUIREMENT,
    PAGE_SIZES,
    SEVERITY_ORDER,
    SHEET_FINDINGS,
    SHOWN_STATUSES,
    STATUSES,
    account_label,
    account_names,
    plain_text,
    status_view,
    workbook_name,
)
from reporter.snapshot.manifest import iso_utc

# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _integrity(model: Pack) -> dict[str, Any]:
    """The cover's integrity row and, when the evidence failed verification, the page stamp."""
    integrity = model.integrity
    if integrity.failures:
        state = f"{STAMP}: {len(integrity.failures)} failure(s), rendered with --allow-unverified"
    elif integrity.verified:
        state = "verified before rendering"
    else:
        state = "not verified (built without a check)"
    return {
        "stamp": STAMP if integrity.failures else "",
        "state": state,
        "checks": ", ".join(integrity.checks()),
        "failures": [str(f) for f in integrity.failures],
    }


def _organization(model: Pack) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    management = next((a for a in manifest.accounts if a.is_management), None)
    if manifest.organization_id:
        title = f"AWS Organization {manifest.organization_id}"
        if management is not None:
            name = account_names(model).get(management.id)
            title += f" (management account {management.id}{', ' + name if name else ''})"
    elif len(manifest.accounts) == 1:
        title = f"AWS account {account_label(model, manifest.accounts[0].id)}"
    else:
        title = f"{len(manifest.accounts)} AWS accounts"
    short = manifest.organization_id or (
        manifest.accounts[0].id if len(manifest.accounts) == 1 else f"{len(manifest.accounts)} accounts"
    )
    return {"title": title, "short": short}


def _root_headline(model: Pack, events: pd.DataFrame) -> dict[str, Any]:
    """Root activity counts; over incomplete root-event evidence each reads "at least N"."""
    count = model.root_event_count()
    sign_ins = events[events["interaction"] == "console_sign_in"]
    api_calls = events[events["interaction"] != "console_sign_in"]
    successful = sign_ins[sign_ins["success"].fillna(False).astype(bool)]
    no_mfa = successful[~successful["mfa_used"].fillna(False).astype(bool)]
    failed = len(sign_ins) - len(successful)

    def shown(n: int) -> str:
        return str(n) if count.complete else f"≥ {n}"

    return {
        "events": len(events),
        "complete": count.complete,
        "floor": "" if count.complete else "at least ",
        "gaps": list(count.gaps),
        "sign_ins": shown(len(sign_ins)),
        "sign_ins_ok": shown(len(successful)),
        "sign_ins_failed": shown(failed),
        "sign_ins_without_mfa": shown(len(no_mfa)),
        "alert": len(no_mfa) > 0,
        "api_calls": shown(len(api_calls)),
        "accounts": sorted(events["account"].dropna().unique().tolist()) if len(events) else [],
    }


def _summary_paragraph(model: Pack, org: dict[str, Any], root: dict[str, Any], counts: dict[str, int]) -> str:
    manifest = model.snapshot.manifest
    parts = [
        f"This pack covers {org['title']} for {manifest.period_start:%B %Y}, with evidence as of "
        f"{iso_utc(manifest.as_of)}. Coverage: {model.coverage_text()}.",
    ]
    fails = counts["FAIL"]
    not_assessed = counts["NOT_ASSESSED"]
    parts.append(
        f"Of {sum(counts.values())} automated check results, {counts['PASS']} passed, {fails} failed "
        f"and {not_assessed} could not be assessed because evidence was missing or its collection failed; "
        f"missing evidence is never counted as a pass."
    )
    floor = root["floor"]
    if root["events"]:
        accounts = ", ".join(root["accounts"])
        parts.append(
            f"The root user was active this period in {floor}{len(root['accounts'])} account(s) ({accounts}): "
            f"{floor}{len(model.root_events())} root event(s), of them console sign-ins: "
            f"{root['sign_ins']} ({root['sign_ins_without_mfa']} successful without MFA, "
            f"{root['sign_ins_failed']} failed), and {root['api_calls']} other root action(s)."
        )
    elif root["complete"]:
        parts.append("No root activity was recorded in the period in the evidence collected.")
    else:
        parts.append("No root activity was found in the root-event evidence that could be collected.")
    if not root["complete"]:
        parts.append(
            f"Root-event counts are floors (at least N): the evidence has {len(root['gaps'])} gap(s)"
            f" ({'; '.join(root['gaps'][:3])}{'; …' if len(root['gaps']) > 3 else ''})."
        )
    critical = [f for f in model.findings if f.status == Status.FAIL and f.severity.value == "critical"]
    if critical:
        parts.append(
            f"{len(critical)} failed check result(s) are of critical severity and should be "
            f"remediated first (see Findings)."
        )
    acceptances = model.acceptances
    if acceptances is not None and (acceptances.counts()["accepted"] or acceptances.counts()["expired"]):
        c = acceptances.counts()
        parts.append(
            f"{c['accepted']} failed result(s) are covered by an accepted exception (they stay FAIL);"
            f" {c['expired']} exception(s) have expired and no longer apply."
        )
    drift = model.drift
    if drift is not None and drift.baseline:
        parts.append("This is the first pack of this scope: it is the baseline for later months.")
    elif drift is not None:
        c = drift.counts()
        parts.append(
            f"Since {drift.previous_month}: {c['new']} new failure(s), {c['resolved']} resolved,"
            f" {c['still_open']} still open and {c['no_longer_assessed']} no longer assessed"
            f" (see Changes since last month)."
        )
    return " ".join(parts)


def _coverage_cell(coverage: Coverage) -> str:
    if coverage.state == ASSESSED:
        return f"yes ({coverage.checks_total} checks)"
    if coverage.state == PARTIAL:
        return f"partially: {coverage.checks_assessed} of {coverage.checks_total} checks"
    return "NO"


def _scope(model: Pack) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    status = {a.id: a for a in model.accounts}
    errors = [a for a in manifest.artifacts if a.status == "error"]
    accounts = []
    for scope in manifest.accounts:
        st = status.get(scope.id)
        gaps = [
            f"{a.api}{' in ' + a.region if a.region else ''}: {a.error.code}"
            for a in errors
            if a.account == scope.id and a.error
        ]
        accounts.append(
            {
                "id": scope.id,
                "name": scope.name or "",
                "management": scope.is_management,
                "regions": ", ".join(scope.regions) or "\u2014",
                "assessed": bool(st and st.assessed),
                "coverage": _coverage_cell(st.coverage) if st else "NO",
                "note": (st.reason if st else "") or "",
                "gaps": gaps,
            }
        )
    not_covered = [
        {
            "account": a.account or "\u2014",
            "region": a.region or "\u2014",
            "api": a.api,
            "code": a.error.code if a.error else "",
            "message": a.error.message if a.error else "",
        }
        for a in errors
    ]
    apis: dict[str, dict[str, Any]] = {}
    for a in manifest.artifacts:
        entry = apis.setdefault(a.api, {"api": a.api, "ok": 0, "error": 0, "accounts": set()})
        entry["ok" if a.status == "ok" else "error"] += 1
        if a.account:
            entry["accounts"].add(a.account)
    api_rows = [
        {"api": e["api"], "ok": e["ok"], "error": e["error"], "accounts": len(e["accounts"])}
        for e in sorted(apis.values(), key=lambda e: e["api"])
    ]
    cr_generated = sorted(
        {
            str(a.params.get("GeneratedTime"))
            for a in manifest.artifacts
            if a.api == "iam:GetCredentialReport" and a.params.get("GeneratedTime")
        }
    )
    return {
        "accounts": accounts,
        "regions": ", ".join(manifest.regions) or "\u2014",
        "not_covered": not_covered,
        "apis": api_rows,
        "caller_arn": manifest.caller_arn or "not recorded",
        "collected_at": iso_utc(manifest.collected_at),
        "thresholds": [
            ("Root-usage look-back window", f"{model.thresholds.root_window_days} days"),
            ("Credential unused after", f"{model.thresholds.unused_credentials_days} days"),
            ("Access-key rotation limit", f"{model.thresholds.key_rotation_days} days"),
            ("Minimum password length", str(model.thresholds.password_min_length)),
            ("Password reuse prevention", f"{model.thresholds.password_reuse_prevention} passwords"),
        ],
        "stated_limits": [
            f"{r.framework.name} {r.framework.version} {req.requirement.id}, {check}: {describe_limits(limits)}"
            for r in model.frameworks
            for req in r.requirements
            for check, limits in sorted(req.limits.items())
            if check in CHECKS and limits != model.thresholds.for_check(CHECKS[check].limits)
        ],
        "cr_generated": cr_generated,
        "problems": [p.as_dict() for p in model.problems],
        "frameworks": [
            r.framework.describe() if hasattr(r, "framework") else r.as_dict()["framework"] for r in model.frameworks
        ],
    }


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
        "reason": f.reason,
        "exception": exception_text(decision),
        "observed": "; ".join(f"{k} = {plain_text(v)}" for k, v in f.observed.items()),
        "evidence": _evidence_text(f.evidence),
    }


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


def _findings(model: Pack, cap: int, workbook: str) -> dict[str, Any]:
    """FAIL and NOT_ASSESSED results, one block per (check, status).

    A block says once what the check is, why it matters and how to fix it, then lists the affected
    resources one table row each (reason, observed values, evidence row). At most half of `cap`
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
    for index, (key, share) in enumerate(zip(keys, shares, strict=True), start=1):
        members = sorted(grouped[key], key=lambda f: _finding_number(f.finding_id))
        detailed, rest = members[:share], members[share:]
        anchored.update(f.finding_id for f in detailed)
        check_id, status, limits = key
        check = CHECKS.get(check_id)
        framework_limits = members[0].framework_limits
        note = None
        if rest:
            # Findings sheet: every finding in id order, F-k on Excel row k+1.
            rows = [_finding_number(f.finding_id) + 1 for f in rest]
            note = {
                "shown": len(detailed),
                "total": len(members),
                "rest": len(rest),
                "workbook": workbook,
                "sheet": SHEET_FINDINGS,
                "first_row": rows[0],
                "last_row": rows[-1],
                "first_id": rest[0].finding_id,
                "last_id": rest[-1].finding_id,
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
                "remediation": list(check.remediation) if check else [],
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


def _finding_number(finding_id: str) -> int:
    return int(finding_id.rsplit("-", 1)[1])


def _count_by(items: Iterable[Any], key: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for item in items:
        k = key(item)
        out[k] = out.get(k, 0) + 1
    return out


def _counts_per_account(model: Pack) -> dict[str, dict[str, int]]:
    """model.counts(account) for every account in one pass (not accounts x findings)."""
    out = {a.id: dict.fromkeys(STATUSES, 0) for a in model.accounts}
    for f in model.findings:
        out.setdefault(f.account_id, dict.fromkeys(STATUSES, 0))[f.status.value] += 1
    return out


def _frameworks(model: Pack, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Control matrix rows. Findings are named as plain ids (cheap to lay out, hundreds per table)
    and linked once per findings group (4.n), where each id is listed or its workbook row named."""
    by_id = {f.finding_id: f for f in model.all_findings}
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
                {_group_key(by_id[i]) for i in problem_ids},
                key=lambda k: group_of[k][0] if k in group_of else 0,
            )
            links = [
                {"anchor": group_of[k][1]["anchor"], "label": f"4.{group_of[k][0]}", "status": group_of[k][1]["status"]}
                for k in keys
                if k in group_of
            ]
            listed = problem_ids[:LINKED_FINDINGS_PER_REQUIREMENT]
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
                    "finding_ids": ", ".join(listed),
                    "more_findings": len(problem_ids) - len(listed),
                    "other_findings": len(ids) - len(problem_ids),
                }
            )
        out.append(
            {
                "anchor": f"fw-{index}",
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


def build_view(model: Pack, *, page_size: str = "A4", table_cap: int = 500) -> dict[str, Any]:
    """Everything the templates show, as plain values (strings, numbers, lists, dicts)."""
    size = PAGE_SIZES.get(page_size.upper())
    if size is None:
        raise ValueError(f"page_size must be A4 or Letter, not {page_size!r}")
    if table_cap < 1:
        raise ValueError("table_cap must be at least 1")
    manifest = model.snapshot.manifest
    workbook = workbook_name(model)
    org = _organization(model)
    events = model.root_events()
    root = _root_headline(model, events)
    counts = model.counts()
    per_account = _counts_per_account(model)
    findings = _findings(model, table_cap, workbook)
    frameworks = _frameworks(model, findings["groups"])
    chart_rows = [
        (
            f"{fw['name']} {fw['version']}" if len(fw["name"]) < 40 else f"{fw['id']}",
            {s["code"]: c for s, c in fw["counts"]},
        )
        for fw in frameworks
    ]
    chart = status_chart_svg(chart_rows) if chart_rows else b""
    as_of = iso_utc(manifest.as_of)
    period = f"{manifest.period_start:%Y-%m-%d} to {manifest.period_end:%Y-%m-%d} (end exclusive)"
    return {
        "page_size": size,
        "lang": "en",
        "title": f"Root usage and IAM credential audit pack \u2014 {model.period_label}",
        "subject": f"{org['title']}: root-user usage and IAM credential hygiene, {model.period_label}",
        "author": f"reporter {__version__}",
        "org": org,
        "period_label": model.period_label,
        "period_month": f"{manifest.period_start:%B %Y}",
        "period": period,
        "as_of": as_of,
        "generated_at": as_of,
        "tool_version": __version__,
        "snapshot_tool_version": manifest.tool_version,
        "digest": model.snapshot.digest,
        "workbook": workbook,
        "accounts_cover": [account_label(model, a.id) for a in manifest.accounts],
        "summary": {
            "paragraph": _summary_paragraph(model, org, root, counts),
            "statuses": [status_view(s) for s in STATUSES],
            "frameworks": [
                {
                    "anchor": fw["anchor"],
                    "name": fw["name"],
                    "version": fw["version"],
                    "counts": [c for _, c in fw["counts"]],
                }
                for fw in frameworks
            ],
            "accounts": [
                {
                    "label": account_label(model, a.id),
                    "assessed": a.assessed,
                    "coverage": "" if a.assessed else a.coverage.label,
                    "counts": [per_account[a.id][s] for s in STATUSES],
                }
                for a in model.accounts
            ],
            "total": [counts[s] for s in STATUSES],
            "root": root,
            "chart": chart,
            "legend": [(status_view(s), STATUS_STYLE[s][1]) for s in STATUSES],
        },
        "scope": _scope(model),
        "frameworks": frameworks,
        "findings": findings,
        "drift": drift_section(model, table_cap, workbook),
        "exceptions": exceptions_section(model, table_cap, workbook),
        "chain": chain_section(model),
        "integrity": _integrity(model),
        "coverage": model.coverage_text(),
        "auditor": auditor_guide(model),
        "timeline": root_timeline(model, events, table_cap, workbook),
        "credentials": credential_tables(model, table_cap, workbook),
        "manifest": manifest_table(model, table_cap, workbook),
        "table_cap": table_cap,
    }
