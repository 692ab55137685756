"""The PDF's view: one plain dict of strings and small tables, prepared from the Pack.

The templates only place what this module prepares (autoescaped); nothing here reads the clock:
every date is `as_of`, so the same snapshot always gives the same view.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reporter import __version__
from reporter.checks.limits import describe_limits
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.pack.coverage import ASSESSED, PARTIAL, Coverage
from reporter.pack.integrity import STAMP
from reporter.pack.model import Pack
from reporter.render.chart import STATUS_STYLE, status_chart_alt, status_chart_svg
from reporter.render.pdf.auditor import auditor_guide
from reporter.render.pdf.evidence_sections import (
    chain_section,
    credential_tables,
    drift_section,
    exceptions_section,
    manifest_table,
    root_timeline,
)
from reporter.render.pdf.findings_view import control_matrix, findings_chapter
from reporter.render.pdf.org_view import ACCOUNTS_IN_A_SENTENCE, ACCOUNTS_LISTED, named, org_units_view
from reporter.render.pdf.words import (
    PAGE_SIZES,
    STATUSES,
    account_label,
    account_names,
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


def _summary_paragraph(
    model: Pack, org: dict[str, Any], root: dict[str, Any], counts: dict[str, int], coverage: str
) -> str:
    manifest = model.snapshot.manifest
    parts = [
        f"This pack covers {org['title']} for {manifest.period_start:%B %Y}, with evidence as of "
        f"{iso_utc(manifest.as_of)}. Coverage: {coverage}.",
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
        accounts = named(root["accounts"], ACCOUNTS_IN_A_SENTENCE)
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


def _scope(model: Pack, listed: bool) -> dict[str, Any]:
    """`listed`: a row per account and per failed call (else the OU summary stands for them)."""
    manifest = model.snapshot.manifest
    status = {a.id: a for a in model.accounts}
    errors = [a for a in manifest.artifacts if a.status == "error"] if listed else []
    accounts = []
    for scope in manifest.accounts if listed else ():
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


def _counts_per_account(model: Pack) -> dict[str, dict[str, int]]:
    """model.counts(account) for every account in one pass (not accounts x findings)."""
    out = {a.id: dict.fromkeys(STATUSES, 0) for a in model.accounts}
    for f in model.findings:
        out.setdefault(f.account_id, dict.fromkeys(STATUSES, 0))[f.status.value] += 1
    return out


def build_view(
    model: Pack, *, page_size: str = "A4", table_cap: int = 500, account_cap: int = ACCOUNTS_LISTED
) -> dict[str, Any]:
    """Everything the templates show, as plain values (strings, numbers, lists, dicts).

    Beyond `account_cap` accounts, the tables with a row per account are summarised per OU
    (org_view.py) and the page names the workbook sheet that lists every account."""
    size = PAGE_SIZES.get(page_size.upper())
    if size is None:
        raise ValueError(f"page_size must be A4 or Letter, not {page_size!r}")
    if table_cap < 1 or account_cap < 1:
        raise ValueError("table_cap and account_cap must be at least 1")
    manifest = model.snapshot.manifest
    workbook = workbook_name(model)
    org_units = org_units_view(model, account_cap, workbook)
    listed = not org_units["per_ou"]
    coverage = model.coverage_text() if listed else model.coverage_text(named=ACCOUNTS_IN_A_SENTENCE)
    org = _organization(model)
    events = model.root_events()
    root = _root_headline(model, events)
    counts = model.counts()
    per_account = _counts_per_account(model)
    findings = findings_chapter(model, table_cap, workbook)
    frameworks = control_matrix(model, findings["groups"])
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
        "accounts_cover": [account_label(model, a.id) for a in manifest.accounts] if listed else [],
        "org_units": org_units,
        "summary": {
            "paragraph": _summary_paragraph(model, org, root, counts, coverage),
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
            "accounts_heading": "Account (check results)" if listed else "OU (check results of its accounts)",
            "accounts": [
                {
                    "label": account_label(model, a.id),
                    "assessed": a.assessed,
                    "coverage": "" if a.assessed else a.coverage.label,
                    "counts": [per_account[a.id][s] for s in STATUSES],
                }
                for a in model.accounts
            ]
            if listed
            else [
                {
                    "label": f"{u['ou']} · {u['accounts']} account(s)",
                    "assessed": u["assessed"] == u["accounts"],
                    "coverage": f"{u['assessed']} fully assessed",
                    "counts": u["counts"],
                }
                for u in org_units["units"]
            ],
            "total": [counts[s] for s in STATUSES],
            "root": root,
            "chart": chart,
            "chart_alt": status_chart_alt(chart_rows),
            "legend": [(status_view(s), STATUS_STYLE[s][1]) for s in STATUSES],
        },
        "scope": _scope(model, listed),
        "frameworks": frameworks,
        "findings": findings,
        "drift": drift_section(model, table_cap, workbook),
        "exceptions": exceptions_section(model, table_cap, workbook),
        "chain": chain_section(model),
        "integrity": _integrity(model),
        "coverage": coverage,
        "auditor": auditor_guide(model),
        "timeline": root_timeline(model, events, table_cap, workbook),
        "credentials": credential_tables(model, table_cap, workbook, root_cap=None if listed else account_cap),
        "manifest": manifest_table(model, table_cap, workbook),
        "table_cap": table_cap,
    }
