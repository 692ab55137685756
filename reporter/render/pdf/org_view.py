"""The PDF's account material for a large organization: per OU beyond a cap, per account below it.

Up to ACCOUNTS_LISTED accounts the pack lists every account wherever it has a row per account
(cover, executive summary, scope, root rows of the credential reports, failed calls). Beyond it,
those tables are one row per OU (accounts, check results per status, accounts that failed, root
use in the period), the accounts that failed are named up to FAILED_ACCOUNTS_NAMED per OU, and the
page says which workbook sheet, filtered on which column, holds every account: the detail moves,
nothing is dropped.
"""

from __future__ import annotations

from typing import Any

from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.pack.org_units import ROOT_NOT_USED, ROOT_UNKNOWN, ROOT_USED, AccountOverview, account_overviews
from reporter.render.pdf.words import SHEET_CREDENTIALS, SHEET_MANIFEST, STATUSES
from reporter.render.sheets_accounts import SHEET_ACCOUNTS

# Organizations up to this many accounts keep a row per account in the PDF (the demo's full
# detail); larger ones are summarised per OU, with every account in the workbook's Accounts sheet.
ACCOUNTS_LISTED = 50
# Per OU, the accounts with a FAIL named in the PDF (most FAIL results first); the rest counted.
FAILED_ACCOUNTS_NAMED = 8
# Per failed API call and error code, the accounts named in the PDF; the rest counted.
FAILED_CALL_ACCOUNTS_NAMED = 6
# Accounts named in one sentence of the summary (root used in N accounts: a, b, …).
ACCOUNTS_IN_A_SENTENCE = 10


def named(items: list[str], limit: int) -> str:
    """ "a, b, c" or "a, b and 12 more" (the rest are in the workbook)."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def per_ou(model: Pack, cap: int) -> bool:
    return len(model.accounts) > cap


def _unit_row(ou: str, members: list[AccountOverview]) -> dict[str, Any]:
    failed = sorted((o for o in members if o.failed), key=lambda o: (-o.counts[Status.FAIL.value], o.id))
    labels = [f"{o.id} ({o.name})" if o.name else o.id for o in failed]
    return {
        "ou": ou,
        "ou_id": members[0].ou_id,
        "accounts": len(members),
        "assessed": sum(1 for o in members if o.assessed),
        "counts": [sum(o.counts.get(s, 0) for o in members) for s in STATUSES],
        "failed_accounts": len(failed),
        "failed_named": named(labels, FAILED_ACCOUNTS_NAMED),
        "root": {
            "yes": sum(1 for o in members if o.root_used == ROOT_USED),
            "no": sum(1 for o in members if o.root_used == ROOT_NOT_USED),
            "unknown": sum(1 for o in members if o.root_used == ROOT_UNKNOWN),
        },
    }


def _failed_calls(model: Pack) -> list[dict[str, Any]]:
    """Failed API calls grouped by (API, error code): how many calls and accounts, a few named."""
    groups: dict[tuple[str, str], list[str]] = {}
    for a in model.snapshot.manifest.artifacts:
        if a.status == "error":
            groups.setdefault((a.api, a.error.code if a.error else ""), []).append(a.account or "organization")
    return [
        {
            "api": api,
            "code": code,
            "calls": len(accounts),
            "accounts": len(set(accounts)),
            "named": named(sorted(set(accounts)), FAILED_CALL_ACCOUNTS_NAMED),
        }
        for (api, code), accounts in sorted(groups.items())
    ]


def org_units_view(model: Pack, cap: int, workbook: str) -> dict[str, Any]:
    """The per-OU tables and the "moved to the workbook" notes; `per_ou` false keeps every account."""
    overviews = account_overviews(model)
    if not per_ou(model, cap):
        return {"per_ou": False, "accounts": len(overviews), "cap": cap}
    by_unit: dict[str, list[AccountOverview]] = {}
    for o in overviews:
        by_unit.setdefault(o.ou, []).append(o)
    units = [_unit_row(ou, members) for ou, members in sorted(by_unit.items())]
    total = {**_unit_row("All accounts", overviews), "ou_id": ""}
    errors = sum(1 for a in model.snapshot.manifest.artifacts if a.status == "error")
    return {
        "per_ou": True,
        "accounts": len(overviews),
        "cap": cap,
        "units": units,
        "total": total,
        "failed_named_cap": FAILED_ACCOUNTS_NAMED,
        "failed_calls": _failed_calls(model),
        "failed_call_count": errors,
        "moved": {
            "accounts": (
                f"This organization has {len(overviews):,} accounts, more than the {cap} this PDF lists one by one: "
                f"its account tables are summarised per OU ({len(units)} OUs). Every account, with its OU, "
                f"coverage, check results per status and root use, is in {workbook}, "
                f"sheet \u201c{SHEET_ACCOUNTS}\u201d (one row per account; filter column \u201cou\u201d for an OU, "
                f"\u201cFAIL\u201d above 0 for the accounts that failed, \u201croot_used_in_period\u201d for root use)."
            ),
            "failed_calls": (
                f"{errors:,} failed API call(s), grouped by call and error code. Each call, with its account, "
                f"region and error message, is in {workbook}, sheet \u201c{SHEET_MANIFEST}\u201d "
                f"(filter column \u201cstatus\u201d = error)."
            ),
            "root_rows": (
                f"The root row of each account's credential report ({len(overviews):,} accounts) is in {workbook}, "
                f"sheet \u201c{SHEET_CREDENTIALS}\u201d (filter column \u201cuser\u201d = <root_account>); "
                f"this table shows the root rows of the first {cap} accounts."
            ),
        },
        "cover": (
            f"{len(overviews):,} accounts in {len(units)} OUs, summarised per OU in 2 Scope and method; "
            f"each account in {workbook}, sheet \u201c{SHEET_ACCOUNTS}\u201d"
        ),
    }
