"""The PDF's words: how each value, status and cut table reads (plain strings; the templates only place them)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pandas as pd

from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.snapshot.manifest import iso_utc

PAGE_SIZES = {"A4": "A4", "LETTER": "Letter"}
STATUSES = [s.value for s in Status]
STATUS_WORDS = {
    "PASS": "PASS",
    "FAIL": "FAIL",
    "NOT_ASSESSED": "NOT ASSESSED",
    "NOT_APPLICABLE": "N/A",
    "MANUAL": "MANUAL",
}
# A glyph beside every status word, so status never rests on colour alone.
STATUS_ICONS = {"PASS": "\u2713", "FAIL": "\u2717", "NOT_ASSESSED": "?", "NOT_APPLICABLE": "\u2013", "MANUAL": "\u270e"}
SHOWN_STATUSES = (Status.FAIL, Status.NOT_ASSESSED)
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
INTERACTION_WORDS = {"console_sign_in": "Console sign-in", "console_action": "Console", "api_call": "API"}
# The results index (end of the findings chapter) names every finding not detailed above by its
# id, status, account, resource and evidence ids, up to this share of the table cap (250 rows at
# the default 500, about 9 pages: every id of a dozen-account organization); beyond it the page
# says how many more there are and that the workbook's Findings sheet holds them all.
RESULTS_INDEX_SHARE_OF_CAP = 0.5
# Evidence ids printed beside one finding; the rest are counted (all are in findings.json).
EVIDENCE_IDS_LISTED = 6
# The findings section lists at most this share of the table cap (250 affected resources at the
# default 500), shared fairly among the (check, status) groups; each cut group names its workbook
# rows. Findings rows are the tallest of the pack (observed sentence, evidence).
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
CHANGE_WORDS = {
    "new": "New findings",
    "resolved": "Resolved",
    "still_open": "Still open",
    "no_longer_assessed": "No longer assessed",
}


def pdf_name(model: Pack) -> str:
    return f"audit-pack-{model.period_label}.pdf"


def workbook_name(model: Pack) -> str:
    return f"evidence-{model.period_label}.xlsx"


# --------------------------------------------------------------------------------------------
# Value formatting (plain strings; the templates only place them)
# --------------------------------------------------------------------------------------------


def plain_text(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp | datetime):
        return iso_utc(value.to_pydatetime() if isinstance(value, pd.Timestamp) else value)
    if isinstance(value, list | tuple):
        return ", ".join(plain_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={plain_text(v)}" for k, v in value.items())
    return str(value)


def cell_text(frame_row: Any, column: str, note: str | None = None) -> str:
    """A credential-report value, or the special word AWS wrote when there is no value."""
    value = plain_text(frame_row.get(column))
    if not value and note is not None:
        value = plain_text(frame_row.get(note))
    return value or "\u2014"


def date_only(stamp: str) -> str:
    return stamp[:10] if len(stamp) >= 10 and stamp[4:5] == "-" else stamp


def status_view(value: str) -> dict[str, str]:
    return {
        "code": value,
        "word": STATUS_WORDS[value],
        "icon": STATUS_ICONS[value],
        "css": value.lower().replace("_", "-"),
    }


def account_label(model: Pack, account_id: str) -> str:
    name = account_names(model).get(account_id)
    return f"{account_id} ({name})" if name else account_id


def account_names(model: Pack) -> dict[str, str]:
    names = {a.id: a.name for a in model.snapshot.manifest.accounts if a.name}
    names.update({a.id: a.name for a in model.accounts if a.name})
    return names


def cut(total: int, cap: int) -> int:
    return min(total, max(cap, 0))


def rest_note(
    *, what: str, shown: int, total: int, sheet: str, first_row: int, last_row: int, ids: tuple[str, str], workbook: str
) -> dict[str, Any] | None:
    """Where the rows the PDF leaves out are: never cut silently."""
    if shown >= total:
        return None
    return {
        "what": what,
        "shown": shown,
        "total": total,
        "rest": total - shown,
        "workbook": workbook,
        "sheet": sheet,
        "first_row": first_row,
        "last_row": last_row,
        "first_id": ids[0],
        "last_id": ids[1],
    }
