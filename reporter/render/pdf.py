"""audit-pack-<YYYY-MM>.pdf: the pack an auditor reads, files and trusts.

Python prepares one plain view dict from the report model; Jinja2 templates (autoescaped) lay it
out; WeasyPrint renders PDF/A-3b with manifest.json and findings.json attached. Nothing here
reads the clock: every date in the document, the PDF metadata and the attachments is `as_of`,
so the same snapshot always gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from reporter import __version__
from reporter.checks.registry import CHECKS
from reporter.findings import EvidenceRef, Finding, Status
from reporter.render.chart import STATUS_STYLE, fail_trend_svg, root_events_trend_svg, status_chart_svg
from reporter.render.fetcher import TemplatesOnlyFetcher
from reporter.render.gcpause import paused_gc
from reporter.render.json_report import render_json
from reporter.render.model import ReportModel, signature_block
from reporter.risk_acceptance import AcceptanceState, Decision
from reporter.resources import shipped_dir
from reporter.snapshot.manifest import iso_utc
from reporter.snapshot.writer import atomic_write

PAGE_SIZES = {"A4": "A4", "LETTER": "Letter"}
STATUSES = [s.value for s in Status]
STATUS_WORDS = {"PASS": "PASS", "FAIL": "FAIL", "NOT_ASSESSED": "NOT ASSESSED",
                "NOT_APPLICABLE": "N/A", "MANUAL": "MANUAL"}
# A glyph beside every status word, so status never rests on colour alone.
STATUS_ICONS = {"PASS": "\u2713", "FAIL": "\u2717", "NOT_ASSESSED": "?", "NOT_APPLICABLE": "\u2013",
                "MANUAL": "\u270e"}
SHOWN_STATUSES = (Status.FAIL, Status.NOT_ASSESSED)
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
INTERACTION_WORDS = {"console_sign_in": "Console sign-in", "console_action": "Console",
                     "api_call": "API"}
LINKED_FINDINGS_PER_REQUIREMENT = 24
# The findings section lists at most this share of the table cap (250 affected resources at the
# default 500), shared fairly among the (check, status) groups; each cut group names its workbook
# rows. Findings rows are the tallest of the pack (reason, observed values, evidence).
FINDINGS_SHARE_OF_CAP = 0.5
# Evidence rows named per file in a finding's row; the rest are counted (all are in findings.json).
EVIDENCE_ROWS_LISTED = 8

# Workbook the pack points to when a table is cut (sheet names agreed with the XLSX renderer).
SHEET_FINDINGS = "Findings"
SHEET_ROOT_EVENTS = "Root events"
SHEET_CREDENTIALS = "Credential report"
SHEET_MANIFEST = "Manifest"
SHEET_DRIFT = "Drift"
SHEET_EXCEPTIONS = "Exceptions"
CHANGE_WORDS = {"new": "New findings", "resolved": "Resolved", "still_open": "Still open",
                "no_longer_assessed": "No longer assessed"}


def pdf_name(model: ReportModel) -> str:
    return f"audit-pack-{model.period_label}.pdf"


def workbook_name(model: ReportModel) -> str:
    return f"evidence-{model.period_label}.xlsx"


# --------------------------------------------------------------------------------------------
# Value formatting (plain strings; the templates only place them)
# --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | datetime):
        return iso_utc(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value)
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def _cell(frame_row: Any, column: str, note: str | None = None) -> str:
    """A credential-report value, or the special word AWS wrote when there is no value."""
    value = _text(frame_row.get(column))
    if not value and note is not None:
        value = _text(frame_row.get(note))
    return value or "\u2014"


def _date_only(stamp: str) -> str:
    return stamp[:10] if len(stamp) >= 10 and stamp[4:5] == "-" else stamp


def _status(value: str) -> dict[str, str]:
    return {"code": value, "word": STATUS_WORDS[value], "icon": STATUS_ICONS[value],
            "css": value.lower().replace("_", "-")}


def _account_label(model: ReportModel, account_id: str) -> str:
    name = _account_names(model).get(account_id)
    return f"{account_id} ({name})" if name else account_id


def _account_names(model: ReportModel) -> dict[str, str]:
    names = {a.id: a.name for a in model.snapshot.manifest.accounts if a.name}
    names.update({a.id: a.name for a in model.accounts if a.name})
    return names


def _cut(total: int, cap: int) -> int:
    return min(total, max(cap, 0))


def _rest_note(*, what: str, shown: int, total: int, sheet: str, first_row: int, last_row: int,
               ids: tuple[str, str], workbook: str) -> dict[str, Any] | None:
    """Where the rows the PDF leaves out are: never cut silently."""
    if shown >= total:
        return None
    return {"what": what, "shown": shown, "total": total, "rest": total - shown, "workbook": workbook,
            "sheet": sheet, "first_row": first_row, "last_row": last_row,
            "first_id": ids[0], "last_id": ids[1]}


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _organization(model: ReportModel) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    management = next((a for a in manifest.accounts if a.is_management), None)
    if manifest.organization_id:
        title = f"AWS Organization {manifest.organization_id}"
        if management is not None:
            name = _account_names(model).get(management.id)
            title += f" (management account {management.id}{', ' + name if name else ''})"
    elif len(manifest.accounts) == 1:
        title = f"AWS account {_account_label(model, manifest.accounts[0].id)}"
    else:
        title = f"{len(manifest.accounts)} AWS accounts"
    short = manifest.organization_id or (manifest.accounts[0].id if len(manifest.accounts) == 1
                                         else f"{len(manifest.accounts)} accounts")
    return {"title": title, "short": short}


def _root_headline(events: pd.DataFrame) -> dict[str, Any]:
    sign_ins = events[events["interaction"] == "console_sign_in"]
    api_calls = events[events["interaction"] != "console_sign_in"]
    successful = sign_ins[sign_ins["success"].fillna(False).astype(bool)]
    no_mfa = successful[~successful["mfa_used"].fillna(False).astype(bool)]
    failed = len(sign_ins) - len(successful)
    return {
        "events": len(events),
        "sign_ins": len(sign_ins),
        "sign_ins_ok": len(successful),
        "sign_ins_failed": failed,
        "sign_ins_without_mfa": len(no_mfa),
        "api_calls": len(api_calls),
        "accounts": sorted(events["account"].dropna().unique().tolist()) if len(events) else [],
    }


def _summary_paragraph(model: ReportModel, org: dict[str, Any], root: dict[str, Any],
                       counts: dict[str, int]) -> str:
    manifest = model.snapshot.manifest
    assessed = [a for a in model.accounts if a.assessed]
    parts = [
        f"This pack covers {org['title']} for {manifest.period_start:%B %Y}, with evidence as of "
        f"{iso_utc(manifest.as_of)}. {len(assessed)} of {len(model.accounts)} account(s) were assessed.",
    ]
    fails = counts["FAIL"]
    not_assessed = counts["NOT_ASSESSED"]
    parts.append(
        f"Of {sum(counts.values())} automated check results, {counts['PASS']} passed, {fails} failed "
        f"and {not_assessed} could not be assessed because evidence was missing or its collection failed; "
        f"missing evidence is never counted as a pass."
    )
    if root["events"]:
        accounts = ", ".join(root["accounts"])
        parts.append(
            f"The root user was active this period in {len(root['accounts'])} account(s) ({accounts}): "
            f"{root['sign_ins']} console sign-in(s) ({root['sign_ins_without_mfa']} successful without MFA, "
            f"{root['sign_ins_failed']} failed) and {root['api_calls']} other root action(s)."
        )
    else:
        parts.append("No root activity was recorded in the period in the evidence collected.")
    critical = [f for f in model.findings if f.status == Status.FAIL and f.severity.value == "critical"]
    if critical:
        parts.append(f"{len(critical)} failed check result(s) are of critical severity and should be "
                     f"remediated first (see Findings).")
    acceptances = model.acceptances
    if acceptances is not None and (acceptances.counts()["accepted"] or acceptances.counts()["expired"]):
        c = acceptances.counts()
        parts.append(f"{c['accepted']} failed result(s) are covered by an accepted exception (they stay FAIL);"
                     f" {c['expired']} exception(s) have expired and no longer apply.")
    drift = model.drift
    if drift is not None and drift.baseline:
        parts.append("This is the first pack of this scope: it is the baseline for later months.")
    elif drift is not None:
        c = drift.counts()
        parts.append(f"Since {drift.previous_month}: {c['new']} new failure(s), {c['resolved']} resolved,"
                     f" {c['still_open']} still open and {c['no_longer_assessed']} no longer assessed"
                     f" (see Changes since last month).")
    return " ".join(parts)


def _scope(model: ReportModel) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    status = {a.id: a for a in model.accounts}
    errors = [a for a in manifest.artifacts if a.status == "error"]
    accounts = []
    for scope in manifest.accounts:
        st = status.get(scope.id)
        gaps = [f"{a.api}{' in ' + a.region if a.region else ''}: {a.error.code}"
                for a in errors if a.account == scope.id and a.error]
        accounts.append({
            "id": scope.id, "name": scope.name or "", "management": scope.is_management,
            "regions": ", ".join(scope.regions) or "\u2014",
            "assessed": bool(st and st.assessed),
            "note": (st.reason if st and not st.assessed else "") or "",
            "gaps": gaps,
        })
    not_covered = [{
        "account": a.account or "\u2014", "region": a.region or "\u2014", "api": a.api,
        "code": a.error.code if a.error else "", "message": a.error.message if a.error else "",
    } for a in errors]
    apis: dict[str, dict[str, Any]] = {}
    for a in manifest.artifacts:
        entry = apis.setdefault(a.api, {"api": a.api, "ok": 0, "error": 0, "accounts": set()})
        entry["ok" if a.status == "ok" else "error"] += 1
        if a.account:
            entry["accounts"].add(a.account)
    api_rows = [{"api": e["api"], "ok": e["ok"], "error": e["error"], "accounts": len(e["accounts"])}
                for e in sorted(apis.values(), key=lambda e: e["api"])]
    cr_generated = sorted({str(a.params.get("GeneratedTime")) for a in manifest.artifacts
                           if a.api == "iam:GetCredentialReport" and a.params.get("GeneratedTime")})
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
        "cr_generated": cr_generated,
        "problems": [p.as_dict() for p in model.problems],
        "frameworks": [r.framework.describe() if hasattr(r, "framework") else r.as_dict()["framework"]
                       for r in model.frameworks],
    }


def exception_text(decision: Decision | None) -> str:
    """What a pack says about a FAIL's risk acceptance, in one plain sentence ("" when none)."""
    acc = decision.acceptance if decision is not None else None
    if decision is None or acc is None:
        return ""
    if decision.state is AcceptanceState.ACCEPTED:
        return (f"Accepted exception \u2014 approved by {acc.approver} on {acc.approved_on.isoformat()},"
                f" expires {acc.expires_on.isoformat()}, ticket {acc.ticket}")
    if decision.state is AcceptanceState.EXPIRED:
        return (f"Exception EXPIRED on {acc.expires_on.isoformat()} \u2014 no longer applies"
                f" (approved by {acc.approver}, ticket {acc.ticket})")
    return (f"Exception approved on {acc.approved_on.isoformat()}, after the evidence date \u2014 not applied"
            f" (approver {acc.approver}, ticket {acc.ticket})")


def _decisions(model: ReportModel) -> dict[str, Decision]:
    if model.acceptances is None:
        return {}
    return {d.finding_id: d for d in model.acceptances.decisions if d.acceptance is not None}


def _finding_row(f: Finding, model: ReportModel, decision: Decision | None = None) -> dict[str, Any]:
    """One affected resource of a check: a plain row (no nested markup, it may repeat 500 times)."""
    return {
        "id": f.finding_id, "anchor": f"finding-{f.finding_id}",
        "account": _account_label(model, f.account_id), "resource": f.resource, "reason": f.reason,
        "exception": exception_text(decision),
        "observed": "; ".join(f"{k} = {_text(v)}" for k, v in f.observed.items()),
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
            more = f" and {len(lines) - EVIDENCE_ROWS_LISTED} more (findings.json)" \
                if len(lines) > EVIDENCE_ROWS_LISTED else ""
            parts.append(f"{path} line{'s' if len(lines) > 1 else ''} {shown}{more}")
        elif rows:
            shown = ", ".join(rows[:EVIDENCE_ROWS_LISTED])
            more = f" and {len(rows) - EVIDENCE_ROWS_LISTED} more (findings.json)" \
                if len(rows) > EVIDENCE_ROWS_LISTED else ""
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


def _findings(model: ReportModel, cap: int, workbook: str) -> dict[str, Any]:
    """FAIL and NOT_ASSESSED results, one block per (check, status).

    A block says once what the check is, why it matters and how to fix it, then lists the affected
    resources one table row each (reason, observed values, evidence row). At most half of `cap`
    rows in all are detailed (FINDINGS_SHARE_OF_CAP), shared fairly among the blocks; each block
    that is cut says where its other rows are in the workbook, so nothing is left out silently.
    """
    shown = [f for f in model.findings if f.status in SHOWN_STATUSES]
    grouped: dict[tuple[str, str], list[Finding]] = {}
    for f in shown:
        grouped.setdefault((f.check_id, f.status.value), []).append(f)
    keys = sorted(grouped, key=lambda k: (k[1] != Status.FAIL.value,
                                          SEVERITY_ORDER.get(grouped[k][0].severity.value, 9),
                                          -len(grouped[k]), k[0]))
    shares = _allocate([len(grouped[k]) for k in keys], max(1, int(cap * FINDINGS_SHARE_OF_CAP)))
    groups = []
    anchored: set[str] = set()
    decided = _decisions(model)
    for index, (key, share) in enumerate(zip(keys, shares, strict=True), start=1):
        members = sorted(grouped[key], key=lambda f: _finding_number(f.finding_id))
        detailed, rest = members[:share], members[share:]
        anchored.update(f.finding_id for f in detailed)
        check_id, status = key
        check = CHECKS.get(check_id)
        note = None
        if rest:
            # Findings sheet: every finding in id order, F-k on Excel row k+1.
            rows = [_finding_number(f.finding_id) + 1 for f in rest]
            note = {"shown": len(detailed), "total": len(members), "rest": len(rest), "workbook": workbook,
                    "sheet": SHEET_FINDINGS, "first_row": rows[0], "last_row": rows[-1],
                    "first_id": rest[0].finding_id, "last_id": rest[-1].finding_id,
                    "check_id": check_id, "status": status}
        groups.append({
            "anchor": f"findings-{index}", "check_id": check_id, "title": check.title if check else check_id,
            "status": _status(status), "severity": members[0].severity.value, "count": len(members),
            "accounts": len({f.account_id for f in members}),
            "risk": check.rationale if check else "",
            "remediation": list(check.remediation) if check else [],
            "references": list(check.references) if check else [],
            "rows": [_finding_row(f, model, decided.get(f.finding_id)) for f in detailed],
            "rest": note,
            "accepted": sum(1 for f in members if (d := decided.get(f.finding_id)) is not None and d.applies),
            "expired": sum(1 for f in members if (d := decided.get(f.finding_id)) is not None
                           and d.state is AcceptanceState.EXPIRED),
        })
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


def _finding_number(finding_id: str) -> int:
    return int(finding_id.rsplit("-", 1)[1])


def _count_by(items: Iterable[Any], key: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for item in items:
        k = key(item)
        out[k] = out.get(k, 0) + 1
    return out


def _counts_per_account(model: ReportModel) -> dict[str, dict[str, int]]:
    """model.counts(account) for every account in one pass (not accounts x findings)."""
    out = {a.id: {s: 0 for s in STATUSES} for a in model.accounts}
    for f in model.findings:
        out.setdefault(f.account_id, {s: 0 for s in STATUSES})[f.status.value] += 1
    return out


def _frameworks(model: ReportModel, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Control matrix rows. Findings are named as plain ids (cheap to lay out, hundreds per table)
    and linked once per findings group (4.n), where each id is listed or its workbook row named."""
    by_id = {f.finding_id: f for f in model.findings}
    group_of = {(g["check_id"], g["status"]["code"]): (index, g) for index, g in enumerate(groups, start=1)}
    out = []
    for index, result in enumerate(model.frameworks, start=1):
        doc = result.as_dict()
        info = doc["framework"]
        reqs = []
        for req in doc["requirements"]:
            ids = req.get("finding_ids") or []
            problem_ids = [i for i in ids if i in by_id and by_id[i].status in SHOWN_STATUSES]
            keys = sorted({(by_id[i].check_id, by_id[i].status.value) for i in problem_ids},
                          key=lambda k: group_of[k][0] if k in group_of else 0)
            links = [{"anchor": group_of[k][1]["anchor"], "label": f"4.{group_of[k][0]}",
                      "status": group_of[k][1]["status"]} for k in keys if k in group_of]
            listed = problem_ids[:LINKED_FINDINGS_PER_REQUIREMENT]
            reqs.append({
                "id": req["id"], "title": req["title"], "section": req.get("section") or "",
                "status": _status(req["status"]), "reason": req.get("reason") or "",
                "checks": req.get("check_ids") or [],
                "groups": links,
                "finding_ids": ", ".join(listed),
                "more_findings": len(problem_ids) - len(listed),
                "other_findings": len(ids) - len(problem_ids),
            })
        out.append({
            "anchor": f"fw-{index}", "id": info["id"], "name": info["name"], "version": info["version"],
            "publisher": info.get("publisher") or "", "source": info.get("source") or "",
            "sha256": info.get("sha256") or "", "source_url": info.get("source_url") or "",
            "counts": [(_status(s), doc["counts"].get(s, 0)) for s in STATUSES],
            "requirements": reqs,
        })
    return out


def _root_timeline(model: ReportModel, events: pd.DataFrame, cap: int, workbook: str) -> dict[str, Any]:
    newest_first = events.iloc[::-1]
    tickets = {e.row_id: e.break_glass for e in (model.acceptances.root_events if model.acceptances else ())}
    n = _cut(len(newest_first), cap)
    rows = []
    for ev in newest_first.head(n).to_dict("records"):
        mfa = ev.get("mfa_used")
        success = ev.get("success")
        kind = INTERACTION_WORDS.get(_text(ev.get("interaction")), _text(ev.get("interaction")))
        failed = "" if success is None or success is pd.NA or success else \
            " \u00b7 FAILED" + (f": {error}" if (error := _text(ev.get("error_code"))
                                                 or _text(ev.get("error_message"))) else "")
        rows.append({
            "id": ev["row_id"], "time": _text(ev.get("event_time")).replace("T", " "),
            "account": _text(ev.get("account")), "region": _text(ev.get("region")),
            "event": f"{_text(ev.get('event_name'))} \u00b7 {_text(ev.get('event_source'))}{failed}",
            "failed": bool(failed),
            "kind": kind,
            "mfa": "\u2014" if mfa is None or mfa is pd.NA else ("yes" if mfa else "NO"),
            "ip": _text(ev.get("source_ip")), "agent": _text(ev.get("user_agent")),
            "key": _text(ev.get("access_key_id")),
            "ticket": _ticket_text(tickets.get(ev["row_id"])),
        })
    total = len(newest_first)
    ticketed = sum(1 for bg in tickets.values() if bg is not None)
    # The rest are the oldest events: E-root-0001 … E-root-(total-n), Excel rows 2 … total-n+1.
    rest = _rest_note(what="root events", shown=n, total=total, sheet=SHEET_ROOT_EVENTS, first_row=2,
                      last_row=total - n + 1, ids=(f"E-root-{1:04d}", f"E-root-{total - n:04d}"),
                      workbook=workbook)
    return {"rows": rows, "total": total, "rest": rest, "ticketed": ticketed, "unticketed": total - ticketed}


def _ticket_text(break_glass: Any) -> str:
    if break_glass is None:
        return "no break-glass ticket"
    return f"{break_glass.ticket} \u00b7 {break_glass.approver}"


def _joined(*parts: str) -> str:
    return " \u00b7 ".join(parts)


def _key_text(r: dict[str, Any], n: int) -> str:
    """Access key n of a credential-report row in one cell: active · rotated · last used."""
    active = _cell(r, f"access_key_{n}_active", f"access_key_{n}_active_note")
    rotated = _date_only(_cell(r, f"access_key_{n}_last_rotated", f"access_key_{n}_last_rotated_note"))
    used = _date_only(_cell(r, f"access_key_{n}_last_used_date", f"access_key_{n}_last_used_date_note"))
    return _joined(active, f"rotated {rotated}", f"used {used}")


def _credential_tables(model: ReportModel, cap: int, workbook: str) -> dict[str, Any]:
    creds = model.credential_rows()
    is_root = creds["is_root"].fillna(False).astype(bool)
    user_frame = creds[~is_root]
    root_rows = []
    # Only the rows shown become dicts (5,000 users would cost ~0.5 s for nothing).
    for r in creds[is_root].to_dict("records"):
        root_rows.append({
            "id": r["row_id"], "account": _text(r.get("account_id")),
            "password": _joined(_cell(r, "password_enabled", "password_enabled_note"),
                                "used " + _cell(r, "password_last_used", "password_last_used_note")),
            "mfa": _cell(r, "mfa_active", "mfa_active_note"),
            "key1": _joined(_cell(r, "access_key_1_active", "access_key_1_active_note"),
                            "used " + _cell(r, "access_key_1_last_used_date",
                                            "access_key_1_last_used_date_note")),
            "key2": _joined(_cell(r, "access_key_2_active", "access_key_2_active_note"),
                            "used " + _cell(r, "access_key_2_last_used_date",
                                            "access_key_2_last_used_date_note")),
            "certs": f"{_cell(r, 'cert_1_active', 'cert_1_active_note')} / "
                     f"{_cell(r, 'cert_2_active', 'cert_2_active_note')}",
            "source": f"{_text(r.get('source'))} line {_text(r.get('line'))}",
        })
    n = _cut(len(user_frame), cap)
    users = user_frame.head(n).to_dict("records")
    row_ids = user_frame["row_id"].tolist()
    user_rows = [{
        "id": r["row_id"], "account": _text(r.get("account_id")), "user": _text(r.get("user")),
        "created": _date_only(_cell(r, "user_creation_time", "user_creation_time_note")),
        "password": _joined(_cell(r, "password_enabled", "password_enabled_note"),
                            "used " + _date_only(_cell(r, "password_last_used", "password_last_used_note"))),
        "mfa": _cell(r, "mfa_active", "mfa_active_note"),
        "key1": _key_text(r, 1), "key2": _key_text(r, 2),
    } for r in users]
    rest = None
    if n < len(row_ids):
        first, last = row_ids[n], row_ids[-1]
        rest = _rest_note(what="IAM users", shown=n, total=len(row_ids), sheet=SHEET_CREDENTIALS,
                          first_row=int(first.split("-")[1]) + 1, last_row=int(last.split("-")[1]) + 1,
                          ids=(first, last), workbook=workbook)
    covered = {r["account"] for r in root_rows}
    missing = [_account_label(model, a.id) for a in model.accounts if a.id not in covered]
    return {"root": root_rows, "root_missing": missing, "users": user_rows, "users_total": len(row_ids),
            "users_rest": rest}


def _manifest_table(model: ReportModel, cap: int, workbook: str) -> dict[str, Any]:
    artifacts = model.snapshot.manifest.artifacts
    n = _cut(len(artifacts), cap)
    rows = [{
        "id": f"A-{i:04d}", "path": a.path or "(no file: collection failed)", "api": a.api,
        "account": a.account or "\u2014", "region": a.region or "\u2014",
        "status": "ok" if a.status == "ok" else f"ERROR {a.error.code if a.error else ''}".strip(),
        "error": a.status != "ok", "size": "" if a.size is None else f"{a.size:,}",
        "sha256": a.sha256 or "\u2014", "collected_at": iso_utc(a.collected_at),
    } for i, a in enumerate(artifacts[:n], start=1)]
    rest = _rest_note(what="manifest artifacts", shown=n, total=len(artifacts), sheet=SHEET_MANIFEST,
                      first_row=n + 2, last_row=len(artifacts) + 1,
                      ids=(f"A-{n + 1:04d}", f"A-{len(artifacts):04d}"), workbook=workbook)
    return {"rows": rows, "total": len(artifacts), "rest": rest}


def _change_row(c: Any) -> dict[str, Any]:
    """One finding change: four plain cells (key, statuses, months open, reason / exception state)."""
    was = STATUS_WORDS.get(c.previous_status or "", "absent")
    now = STATUS_WORDS.get(c.status or "", "absent")
    note = c.reason + (f" \u00b7 exception {c.acceptance}" if c.acceptance else "")
    return {"what": f"{c.check_id} \u00b7 {c.account_id} \u00b7 {c.resource}",
            "status": f"{was} \u2192 {now} \u00b7 {c.severity}",
            "months": "" if c.months_open is None else str(c.months_open), "note": note}


def _drift(model: ReportModel, cap: int, workbook: str) -> dict[str, Any] | None:
    drift = model.drift
    if drift is None:
        return None
    doc = drift.as_dict()
    root = doc["root_events"]
    if drift.baseline:
        compared = "baseline: first pack of this scope"
    else:
        compared = f"compared with {drift.previous_month} (manifest sha256 {drift.previous_manifest_sha256})"
    gap = None
    if not drift.baseline and not drift.previous_is_last_month:
        gap = (f"The previous pack of this scope is {drift.previous_month}, not the month before"
               f" {drift.month}: the months in between have no pack, so changes span more than one month.")
    tables = []
    sheet_row = 2  # the Drift sheet lists new, resolved, still_open, no_longer_assessed in that order
    for name in ("new", "resolved", "still_open", "no_longer_assessed"):
        changes = list(getattr(drift, name))
        if name == "still_open":  # the oldest problems first
            changes.sort(key=lambda c: (-(c.months_open or 0), c.account_id, c.check_id, c.resource))
        n = _cut(len(changes), cap)
        rest = None
        if n < len(changes):
            rest = {"shown": n, "total": len(changes), "workbook": workbook, "sheet": SHEET_DRIFT,
                    "first_row": sheet_row, "last_row": sheet_row + len(changes) - 1, "change": name}
        tables.append({"name": name, "title": CHANGE_WORDS[name], "total": len(changes),
                       "rows": [_change_row(c) for c in changes[:n]], "rest": rest})
        sheet_row += len(changes)
    months = [p.month for p in drift.trend]
    root_chart = root_events_trend_svg(months, [p.root_events for p in drift.trend],
                                       [p.root_events_complete for p in drift.trend],
                                       [p.manifest_sha256 is not None for p in drift.trend])
    series = drift.fail_series()
    fail_chart = fail_trend_svg(months, [(fw, series[fw]) for fw in drift.frameworks])
    now = root["this_month"]
    if now is None:
        root_line = "Root events this month: unknown (the root-event evidence is missing)."
    else:
        lower = "" if root["this_month_complete"] else "at least "
        root_line = f"Root events this month: {lower}{now}"
        if root["prior_max"] is None:
            root_line += " (no pack in the prior 12 months to compare with)."
        else:
            packs = sum(1 for p in drift.prior if p.manifest_sha256)
            root_line += (f" (prior 12 months, {packs} with a pack: max {root['prior_max']},"
                          f" mean {root['prior_mean']:g}).")
    counts = drift.counts()
    return {
        "compared": compared,
        "baseline": drift.baseline,
        "gap": gap,
        "counts": [(CHANGE_WORDS[k], counts[k]) for k in CHANGE_WORDS]
                  + [("Accounts added", counts["accounts_added"]), ("Accounts removed", counts["accounts_removed"])],
        "accounts_added": ", ".join(_account_label(model, a) for a in drift.accounts_added),
        "accounts_removed": ", ".join(drift.accounts_removed),
        "tables": tables,
        "root_line": root_line,
        "root_chart": root_chart,
        "fail_chart": fail_chart,
        "trend_rows": [{"month": p.month, "pack": "yes" if p.manifest_sha256 else "no pack",
                        "root": "\u2014" if p.root_events is None
                        else ("" if p.root_events_complete else "\u2265") + str(p.root_events),
                        "fails": "\u2014" if p.fail_findings is None else str(p.fail_findings)}
                       for p in drift.trend],
    }


def _exceptions(model: ReportModel, cap: int, workbook: str) -> dict[str, Any]:
    report = model.acceptances
    rows: list[dict[str, str]] = []
    counts = {"accepted": 0, "expired": 0, "not_yet_valid": 0, "unused": 0, "unused_break_glass": 0}
    source = ""
    if report is not None:
        source = report.source
        state_words = {AcceptanceState.ACCEPTED: "ACCEPTED", AcceptanceState.EXPIRED: "EXPIRED",
                       AcceptanceState.NOT_YET_VALID: "NOT YET VALID"}
        for d in report.decisions:
            acc = d.acceptance
            if acc is None:
                continue
            counts[d.state.value] += 1
            rows.append({"what": f"{d.finding_id} \u00b7 {d.check_id} \u00b7 {d.account_id} \u00b7 {d.resource}",
                         "state": state_words[d.state],
                         "approval": f"{acc.approver} \u00b7 {acc.approved_on.isoformat()} to "
                                     f"{acc.expires_on.isoformat()} \u00b7 {acc.ticket}",
                         "justification": acc.justification})
        for acc in report.unused:
            counts["unused"] += 1
            rows.append({"what": f"entry {acc.index} \u00b7 {acc.check} \u00b7 {acc.account} \u00b7 {acc.resource}",
                         "state": "UNUSED (matched no FAIL)",
                         "approval": f"{acc.approver} \u00b7 {acc.approved_on.isoformat()} to "
                                     f"{acc.expires_on.isoformat()} \u00b7 {acc.ticket}",
                         "justification": acc.justification})
        for bg in report.unused_break_glass:
            counts["unused_break_glass"] += 1
            what = bg.event_id or f"{_text(bg.start)} to {_text(bg.end)}"
            rows.append({"what": f"break-glass entry {bg.index} \u00b7 {bg.account or '*'} \u00b7 {what}",
                         "state": "UNUSED (matched no root event)",
                         "approval": f"{bg.approver} \u00b7 {bg.approved_on.isoformat()} \u00b7 {bg.ticket}",
                         "justification": bg.justification})
    n = _cut(len(rows), cap)
    rest = _rest_note(what="exception entries", shown=n, total=len(rows), sheet=SHEET_EXCEPTIONS,
                      first_row=n + 2, last_row=len(rows) + 1, ids=(f"row {n + 2}", f"row {len(rows) + 1}"),
                      workbook=workbook)
    return {"rows": rows[:n], "total": len(rows), "rest": rest, "counts": counts, "source": source,
            "unaccepted": report.unaccepted_fails if report is not None else None}


def _chain(model: ReportModel) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    sig = signature_block(model)
    if sig is None:
        signature = "not signed (no manifest.json.sig)"
    elif sig.get("error"):
        signature = f"manifest.json.sig: {sig['error']}"
    else:
        signature = (f"Ed25519, key id {sig['key_id']}"
                     + ("" if sig["matches_manifest"] else " \u2014 signed a DIFFERENT manifest")
                     + " (check with reporter verify --public-key)")
    return {"previous": manifest.previous_manifest_sha256 or "none recorded (first pack of the chain)",
            "signature": signature}


def build_view(model: ReportModel, *, page_size: str = "A4", table_cap: int = 500) -> dict[str, Any]:
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
    root = _root_headline(events)
    counts = model.counts()
    per_account = _counts_per_account(model)
    findings = _findings(model, table_cap, workbook)
    frameworks = _frameworks(model, findings["groups"])
    chart_rows = [(f"{fw['name']} {fw['version']}" if len(fw["name"]) < 40 else f"{fw['id']}",
                   {s["code"]: c for s, c in fw["counts"]}) for fw in frameworks]
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
        "accounts_cover": [_account_label(model, a.id) for a in manifest.accounts],
        "summary": {
            "paragraph": _summary_paragraph(model, org, root, counts),
            "statuses": [_status(s) for s in STATUSES],
            "frameworks": [{"anchor": fw["anchor"], "name": fw["name"], "version": fw["version"],
                            "counts": [c for _, c in fw["counts"]]} for fw in frameworks],
            "accounts": [{"label": _account_label(model, a.id), "assessed": a.assessed,
                          "counts": [per_account[a.id][s] for s in STATUSES]} for a in model.accounts],
            "total": [counts[s] for s in STATUSES],
            "root": root,
            "chart": chart,
            "legend": [(_status(s), STATUS_STYLE[s][1]) for s in STATUSES],
        },
        "scope": _scope(model),
        "frameworks": frameworks,
        "findings": findings,
        "drift": _drift(model, table_cap, workbook),
        "exceptions": _exceptions(model, table_cap, workbook),
        "chain": _chain(model),
        "timeline": _root_timeline(model, events, table_cap, workbook),
        "credentials": _credential_tables(model, table_cap, workbook),
        "manifest": _manifest_table(model, table_cap, workbook),
        "table_cap": table_cap,
    }


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _freeze_font_timestamp(font: bytes) -> bytes:
    """Set a TrueType font's `head.modified` to its `head.created` (fixing the checksums).

    The font subsetter stamps the subset with the time of rendering; that stamp is the one thing
    that would make two renders of the same snapshot differ. Same length, so /Length1 holds.
    """
    if len(font) < 12 or font[:4] not in (b"\x00\x01\x00\x00", b"true"):
        return font
    data = bytearray(font)
    tables = {}
    for i in range(struct.unpack(">H", data[4:6])[0]):
        tag, _, offset, length = struct.unpack(">4sLLL", data[12 + 16 * i: 28 + 16 * i])
        tables[tag] = (12 + 16 * i, offset, length)
    if b"head" not in tables:
        return font
    record, offset, length = tables[b"head"]
    if length < 36 or offset + length > len(data):
        return font
    data[offset + 28: offset + 36] = data[offset + 20: offset + 28]  # modified := created
    data[offset + 8: offset + 12] = b"\0\0\0\0"  # checkSumAdjustment, recomputed below

    def checksum(chunk: bytes) -> int:
        chunk = bytes(chunk) + b"\0" * (-len(chunk) % 4)
        return sum(struct.unpack(f">{len(chunk) // 4}L", chunk)) & 0xFFFFFFFF

    data[record + 4: record + 8] = struct.pack(">L", checksum(data[offset: offset + length]))
    data[offset + 8: offset + 12] = struct.pack(">L", (0xB1B0AFBA - checksum(data)) & 0xFFFFFFFF)
    return bytes(data)


def _reproducible_fonts(document: Any, pdf: Any) -> None:  # noqa: ARG001 - WeasyPrint finisher
    for obj in pdf.objects:
        extra = getattr(obj, "extra", None)
        stream = getattr(obj, "stream", None)
        if extra is not None and stream and "Length1" in extra and len(stream) == 1 \
                and isinstance(stream[0], bytes):
            stream[0] = _freeze_font_timestamp(stream[0])


def _environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(view: dict[str, Any], templates: Path | None = None) -> tuple[str, dict[str, tuple[bytes, str]]]:
    """The pack as HTML, and the generated resources (data: URL → bytes, type) it references."""
    templates = templates or shipped_dir("templates")
    generated: dict[str, tuple[bytes, str]] = {}

    def url(svg: bytes) -> str:
        if not svg:
            return ""
        data_url = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        generated[data_url] = (svg, "image/svg+xml")
        return data_url

    chart_url = url(view["summary"]["chart"])
    drift = view.get("drift") or {}
    trend_urls = {"root": url(drift.get("root_chart", b"")), "fails": url(drift.get("fail_chart", b""))}
    html = _environment(templates).get_template("pack.html.j2").render(view=view, chart_url=chart_url,
                                                                        trend_urls=trend_urls)
    return html, generated


def render_pdf(model: ReportModel, *, page_size: str = "A4", table_cap: int = 500,
               fetcher: TemplatesOnlyFetcher | None = None) -> bytes:
    """The pack's PDF bytes (PDF/A-3b, manifest.json and findings.json attached)."""
    from weasyprint import HTML, Attachment  # noqa: PLC0415 - heavy import, only when rendering

    templates = shipped_dir("templates")
    view = build_view(model, page_size=page_size, table_cap=table_cap)
    html, generated = render_html(view, templates)
    fetcher = fetcher or TemplatesOnlyFetcher(templates)
    fetcher.root = templates.resolve()
    fetcher.generated.update(generated)
    as_of = model.snapshot.manifest.as_of.replace(tzinfo=None)  # WeasyPrint writes these as UTC ("Z")
    manifest_bytes = model.snapshot.manifest_bytes
    attachments = [
        Attachment(string=manifest_bytes, name="manifest.json", url_fetcher=fetcher, created=as_of,
                   modified=as_of, relationship="Source",
                   description=f"Evidence snapshot manifest, SHA-256 {model.snapshot.digest}"),
        Attachment(string=render_json(model), name="findings.json", url_fetcher=fetcher, created=as_of,
                   modified=as_of, relationship="Data",
                   description="The findings of this pack for machines (reporter findings.json)"),
    ]
    identifier = hashlib.sha256(b"reporter-pdf\0" + model.snapshot.digest.encode() + b"\0"
                                + view["page_size"].encode() + b"\0" + str(table_cap).encode()).hexdigest()
    with paused_gc():  # the cyclic GC adds up to 45 % to WeasyPrint's layout of long documents
        document = HTML(string=html, base_url=templates.resolve().as_uri() + "/", url_fetcher=fetcher,
                        encoding="utf-8")
        return document.write_pdf(
            pdf_variant="pdf/a-3b",
            pdf_identifier=identifier[:32].encode("ascii"),
            attachments=attachments,
            uncompressed_pdf=False,
            finisher=_reproducible_fonts,
        )


def write_pdf(model: ReportModel, out_dir: Path, *, page_size: str = "A4", table_cap: int = 500) -> Path:
    """Write `audit-pack-<YYYY-MM>.pdf` into `out_dir` (atomically) and return its path."""
    data = render_pdf(model, page_size=page_size, table_cap=table_cap)
    path = Path(out_dir) / pdf_name(model)
    atomic_write(path, data)
    return path
