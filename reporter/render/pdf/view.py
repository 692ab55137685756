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
from reporter.pack.integrity import STAMP
from reporter.pack.model import Pack
from reporter.render.chart import STATUS_STYLE, status_chart_alt, status_chart_svg
from reporter.render.pdf.auditor import auditor_guide
from reporter.render.pdf.chapters import chapters_view, plan_chapters
from reporter.render.pdf.evidence_sections import (
    chain_section,
    credential_tables,
    drift_section,
    exceptions_section,
    manifest_table,
    root_timeline,
)
from reporter.render.pdf.findings_view import control_matrix, findings_chapter, framework_anchor
from reporter.render.pdf.org_view import ACCOUNTS_LISTED, org_units_view
from reporter.render.pdf.summary_view import coverage_cell, executive_summary
from reporter.render.pdf.words import (
    PAGE_SIZES,
    STATUSES,
    account_label,
    account_names,
    status_view,
    workbook_name,
)
from reporter.snapshot.manifest import iso_utc

# Accounts the cover names (and not fully assessed accounts it names), so it stays one page.
COVER_ACCOUNTS = 6

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
        "complete": count.complete,
        "gaps": list(count.gaps),
        "sign_ins": shown(len(sign_ins)),
        "sign_ins_failed": shown(failed),
        "sign_ins_without_mfa": shown(len(no_mfa)),
        "alert": len(no_mfa) > 0,
        "api_calls": shown(len(api_calls)),
    }


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
                "coverage": coverage_cell(st.coverage) if st else "NO",
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
    org = _organization(model)
    events = model.root_events()
    root = _root_headline(model, events)
    per_account = _counts_per_account(model)
    findings = findings_chapter(model, table_cap, workbook)
    drift = drift_section(model, table_cap, workbook)
    chapters = plan_chapters(
        frameworks=[
            {"anchor": framework_anchor(i), "name": r.name, "version": r.version}
            for i, r in enumerate(model.frameworks, start=1)
        ],
        groups=findings["groups"],
        has_changes=drift is not None and not drift["baseline"],
    )
    toc = chapters_view(chapters)
    for g in findings["groups"]:
        g["number"] = toc["number"][g["anchor"]]
    frameworks = control_matrix(model, findings["groups"])
    integrity = _integrity(model)
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
        # The cover names a few accounts (all are in Scope and method); per OU, it counts them.
        "accounts_cover": [account_label(model, a.id) for a in manifest.accounts[:COVER_ACCOUNTS]] if listed else [],
        "accounts_cover_more": max(0, len(manifest.accounts) - COVER_ACCOUNTS) if listed else 0,
        "org_units": org_units,
        "chapters": toc,
        "summary": {
            **executive_summary(
                model,
                org=org,
                root=root,
                frameworks=frameworks,
                groups=findings["groups"],
                per_account=per_account,
                integrity=integrity,
                numbers=toc["number"],
            ),
            "statuses": [status_view(s) for s in STATUSES],
            "root": root,
            "chart": chart,
            "chart_alt": status_chart_alt(chart_rows),
            "legend": [(status_view(s), STATUS_STYLE[s][1]) for s in STATUSES],
        },
        "scope": _scope(model, listed),
        "frameworks": frameworks,
        "findings": findings,
        "drift": drift,
        "exceptions": exceptions_section(model, table_cap, workbook),
        "chain": chain_section(model),
        "integrity": integrity,
        "coverage": model.coverage_text(named=COVER_ACCOUNTS),
        "auditor": auditor_guide(model),
        "timeline": root_timeline(model, events, table_cap, workbook),
        "credentials": credential_tables(model, table_cap, workbook, root_cap=None if listed else account_cap),
        "manifest": manifest_table(model, table_cap, workbook),
        "table_cap": table_cap,
    }
