"""The executive summary: the one page an auditor reads first.

Scope, the verdict of each selected framework, whether root was used in each account this period,
the few most severe failures, and whether the evidence is verified and complete. It stays one
page at any size of organization: past a cap of accounts it gives counts and names only the
accounts where root was used (the rest are in the workbook), like every other cut table.
"""

from __future__ import annotations

from typing import Any

from reporter.core.status import Status
from reporter.pack.coverage import ASSESSED, PARTIAL, Coverage
from reporter.pack.model import Pack
from reporter.pack.org_units import ROOT_UNKNOWN, root_use_in_period
from reporter.render.pdf.words import SHEET_ROOT_EVENTS, account_label, status_view
from reporter.snapshot.manifest import iso_utc

# Accounts listed one row each; beyond, the summary counts them (a page holds about this many
# rows beside the other blocks, with the default selection's frameworks).
SUMMARY_ACCOUNTS = 12
# Framework rows the account budget above leaves room for; each framework more takes an account row.
FRAMEWORK_ROWS = 5
# The most severe failing checks named as top risks.
TOP_RISKS = 5
# Not-fully-assessed accounts and uncollected region calls named before "and N more".
GAPS_LISTED = 4


def root_use(model: Pack) -> list[dict[str, Any]]:
    """Per account, in scope order: was the root user used in the period (pack/org_units.py
    decides: "yes", "no", or "unknown" when the root-event evidence has gaps) and what shows it."""
    uses = root_use_in_period(model)
    out = []
    for account in model.accounts:  # one per evidence entry, so each has its RootUse
        use = uses[account.id]
        detail: list[str] = []
        if use.events:
            detail.append(
                f"{use.events} root event(s)" + (f", {use.sign_ins} console sign-in(s)" if use.sign_ins else "")
            )
        detail += use.report_uses
        if use.used == ROOT_UNKNOWN:
            detail.append(f"no root event found, but its evidence is incomplete ({len(use.gaps)} gap(s))")
        out.append(
            {"id": account.id, "label": account_label(model, account.id), "used": use.used, "detail": "; ".join(detail)}
        )
    return out


def coverage_cell(coverage: Coverage) -> str:
    """An account's coverage in a table cell: were all its checks assessed."""
    if coverage.state == ASSESSED:
        return f"yes ({coverage.checks_total} checks)"
    if coverage.state == PARTIAL:
        return f"{coverage.checks_assessed} of {coverage.checks_total} checks"
    return "NO"


def _accounts(
    model: Pack, used: list[dict[str, Any]], per_account: dict[str, dict[str, int]], cap: int
) -> dict[str, Any]:
    """One row per account up to `cap`; beyond, only the accounts where root was used (or cannot
    be ruled out), at most `cap` of them."""
    rows = []
    by_id = {a.id: a for a in model.accounts}
    for u in used:
        account = by_id[u["id"]]
        counts = per_account.get(u["id"], {})
        rows.append(
            {
                **u,
                "fail": counts.get(Status.FAIL.value, 0),
                "not_assessed": counts.get(Status.NOT_ASSESSED.value, 0),
                "coverage": coverage_cell(account.coverage),
            }
        )
    tally = {word: sum(1 for u in used if u["used"] == word) for word in ("yes", "no", "unknown")}
    if len(rows) <= cap:
        return {"rows": rows, "tally": tally, "cut": False, "more": 0}
    # Too many for one page: the accounts where root was used or could not be ruled out, first ones.
    notable = [r for r in rows if r["used"] != "no"]
    return {
        "rows": notable[:cap],
        "tally": tally,
        "cut": True,
        "more": len(notable) - min(len(notable), cap),
        "sheet": SHEET_ROOT_EVENTS,
    }


def _top_risks(groups: list[dict[str, Any]], numbers: dict[str, str]) -> list[dict[str, Any]]:
    """The most severe failing checks, as the findings chapter orders them (severity, then size),
    each with how many accounts it fails in. A check judged again under a framework row's own
    limits is the same risk: it is named once."""
    out: list[dict[str, Any]] = []
    for g in groups:
        if g["status"]["code"] != Status.FAIL.value or g["framework_limits"]:
            continue
        out.append(
            {
                "anchor": g["anchor"],
                "number": numbers.get(g["anchor"], ""),
                "title": g["title"],
                "severity": g["severity"],
                "accounts": g["accounts"],
                "count": g["count"],
            }
        )
        if len(out) == TOP_RISKS:
            break
    return out


def _named(items: list[str], limit: int) -> str:
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def _status_lines(model: Pack, integrity: dict[str, Any], root: dict[str, Any]) -> list[tuple[str, str]]:
    """Integrity and coverage, as (label, sentence) rows."""
    manifest = model.snapshot.manifest
    coverage = model.coverage_text(named=GAPS_LISTED)
    failed_calls = sorted(
        {f"{a.api} in {a.region} ({a.account})" for a in manifest.artifacts if a.status == "error" and a.region}
    )
    regions = (
        f"{len(failed_calls)} regional call(s) failed, their checks NOT ASSESSED: {_named(failed_calls, GAPS_LISTED)}"
        if failed_calls
        else f"every regional call succeeded in {len(manifest.regions)} region(s)"
    )
    lines = [("Evidence integrity", integrity["state"]), ("Coverage", coverage), ("Regions", regions)]
    if not root["complete"]:
        lines.append(("Root events", f"counts are floors (at least N): {len(root['gaps'])} gap(s) in the evidence"))
    return lines


def _period(model: Pack) -> str:
    manifest = model.snapshot.manifest
    return f"{manifest.period_start:%Y-%m-%d} to {manifest.period_end:%Y-%m-%d}, end exclusive"


def _history_line(model: Pack, numbers: dict[str, str]) -> str:
    drift = model.drift
    if drift is None or drift.baseline:
        return (
            "First month of history for this scope: no earlier pack is recorded, so there are no changes"
            " to report; this pack is the baseline the next months are compared with."
        )
    c = drift.counts()
    return (
        f"Since {drift.previous_month}: {c['new']} new failure(s), {c['resolved']} resolved,"
        f" {c['still_open']} still open and {c['no_longer_assessed']} no longer assessed"
        f" (chapter {numbers.get('changes', '')})."
    )


def _exceptions_line(model: Pack) -> str:
    acceptances = model.acceptances
    if acceptances is None:
        return ""
    c = acceptances.counts()
    if not (c["accepted"] or c["expired"]):
        return ""
    return (
        f"{c['accepted']} failed result(s) are covered by an accepted exception (they stay FAIL);"
        f" {c['expired']} exception(s) have expired and no longer apply."
    )


def executive_summary(
    model: Pack,
    *,
    org: dict[str, Any],
    root: dict[str, Any],
    frameworks: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    per_account: dict[str, dict[str, int]],
    integrity: dict[str, Any],
    numbers: dict[str, str],
) -> dict[str, Any]:
    """Everything the summary page shows, as plain values."""
    manifest = model.snapshot.manifest
    verdicts = {r.framework_id: r.verdict for r in model.frameworks}
    return {
        "scope": [
            ("Organization", org["title"]),
            ("Accounts", f"{len(model.accounts)} account(s), {len(manifest.regions)} region(s)"),
            ("Period", f"{manifest.period_start:%B %Y} ({_period(model)}); evidence as of {iso_utc(manifest.as_of)}"),
        ],
        "frameworks": [
            {
                "anchor": fw["anchor"],
                "name": f"{fw['name']} {fw['version']}",
                "verdict": status_view(verdicts[fw["id"]].value),
                "counts": [c for _, c in fw["counts"]],
            }
            for fw in frameworks
        ],
        "accounts": _accounts(
            model, root_use(model), per_account, SUMMARY_ACCOUNTS - max(0, len(frameworks) - FRAMEWORK_ROWS)
        ),
        "top_risks": _top_risks(groups, numbers),
        "status": _status_lines(model, integrity, root),
        "history": _history_line(model, numbers),
        "exceptions": _exceptions_line(model),
    }
