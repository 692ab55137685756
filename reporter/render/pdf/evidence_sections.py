"""The PDF's evidence sections: root timeline, credential tables, manifest, drift, exceptions, chain.

The templates only place what this module prepares (autoescaped); nothing here reads the clock:
every date is `as_of`, so the same snapshot always gives the same view.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd

from reporter.assess.risk_acceptance import AcceptanceState
from reporter.evidence.row_ids import artifact_row_id
from reporter.pack.model import Pack, signature_block
from reporter.render.chart import fail_trend_alt, fail_trend_svg, root_events_trend_alt, root_events_trend_svg
from reporter.render.pdf.words import (
    CHANGE_WORDS,
    INTERACTION_WORDS,
    SHEET_CREDENTIALS,
    SHEET_DRIFT,
    SHEET_EXCEPTIONS,
    SHEET_MANIFEST,
    SHEET_ROOT_EVENTS,
    STATUS_WORDS,
    account_label,
    cell_text,
    cut,
    date_only,
    plain_text,
    rest_note,
)
from reporter.snapshot.manifest import iso_utc


def root_timeline(model: Pack, events: pd.DataFrame, cap: int, workbook: str) -> dict[str, Any]:
    newest_first = events.iloc[::-1]
    tickets = {e.evidence_id: e.break_glass for e in (model.acceptances.root_events if model.acceptances else ())}
    n = cut(len(newest_first), cap)
    rows = []
    for ev in newest_first.head(n).to_dict("records"):
        mfa = ev.get("mfa_used")
        success = ev.get("success")
        kind = INTERACTION_WORDS.get(plain_text(ev.get("interaction")), plain_text(ev.get("interaction")))
        failed = (
            ""
            if success is None or success is pd.NA or success
            else " \u00b7 FAILED"
            + (
                f": {error}"
                if (error := plain_text(ev.get("error_code")) or plain_text(ev.get("error_message")))
                else ""
            )
        )
        rows.append(
            {
                "id": ev["evidence_id"],
                "time": plain_text(ev.get("event_time")).replace("T", " "),
                "account": plain_text(ev.get("account")),
                "region": plain_text(ev.get("region")),
                "event": f"{plain_text(ev.get('event_name'))} \u00b7 {plain_text(ev.get('event_source'))}{failed}",
                "failed": bool(failed),
                "kind": kind,
                "mfa": "\u2014" if mfa is None or mfa is pd.NA else ("yes" if mfa else "NO"),
                "ip": plain_text(ev.get("source_ip")),
                "agent": plain_text(ev.get("user_agent")),
                "key": plain_text(ev.get("access_key_id")),
                "ticket": _ticket_text(tickets.get(ev["evidence_id"])),
            }
        )
    total = len(newest_first)
    ticketed = sum(1 for bg in tickets.values() if bg is not None)
    # The rest are the oldest events, the sheet's first total-n rows (Excel rows 2 … total-n+1).
    ids = events["evidence_id"].tolist()
    rest = rest_note(
        what="root events",
        shown=n,
        total=total,
        sheet=SHEET_ROOT_EVENTS,
        first_row=2,
        last_row=total - n + 1,
        ids=(ids[0], ids[total - n - 1]) if n < total else ("", ""),
        workbook=workbook,
    )
    return {"rows": rows, "total": total, "rest": rest, "ticketed": ticketed, "unticketed": total - ticketed}


def _ticket_text(break_glass: Any) -> str:
    if break_glass is None:
        return "no break-glass ticket"
    return f"{break_glass.ticket} \u00b7 {break_glass.approver}"


def _joined(*parts: str) -> str:
    return " \u00b7 ".join(parts)


def _key_text(r: dict[Hashable, Any], n: int) -> str:
    """Access key n of a credential-report row in one cell: active · rotated · last used."""
    active = cell_text(r, f"access_key_{n}_active", f"access_key_{n}_active_note")
    rotated = date_only(cell_text(r, f"access_key_{n}_last_rotated", f"access_key_{n}_last_rotated_note"))
    used = date_only(cell_text(r, f"access_key_{n}_last_used_date", f"access_key_{n}_last_used_date_note"))
    return _joined(active, f"rotated {rotated}", f"used {used}")


def credential_tables(model: Pack, cap: int, workbook: str, *, root_cap: int | None = None) -> dict[str, Any]:
    """`root_cap`: list the root rows of at most that many accounts (a large organization's are
    all in the workbook, as org_view's note says)."""
    creds = model.credential_rows()
    is_root = creds["is_root"].fillna(False).astype(bool)
    user_frame = creds[~is_root]
    root_frame = creds[is_root]
    root_total = len(root_frame)
    root_rows = []
    # Only the rows shown become dicts (5,000 users would cost ~0.5 s for nothing).
    for r in (root_frame if root_cap is None else root_frame.head(root_cap)).to_dict("records"):
        root_rows.append(
            {
                "id": r["evidence_id"],
                "account": plain_text(r.get("account_id")),
                "password": _joined(
                    cell_text(r, "password_enabled", "password_enabled_note"),
                    "used " + cell_text(r, "password_last_used", "password_last_used_note"),
                ),
                "mfa": cell_text(r, "mfa_active", "mfa_active_note"),
                "key1": _joined(
                    cell_text(r, "access_key_1_active", "access_key_1_active_note"),
                    "used " + cell_text(r, "access_key_1_last_used_date", "access_key_1_last_used_date_note"),
                ),
                "key2": _joined(
                    cell_text(r, "access_key_2_active", "access_key_2_active_note"),
                    "used " + cell_text(r, "access_key_2_last_used_date", "access_key_2_last_used_date_note"),
                ),
                "certs": f"{cell_text(r, 'cert_1_active', 'cert_1_active_note')} / "
                f"{cell_text(r, 'cert_2_active', 'cert_2_active_note')}",
                "source": f"{plain_text(r.get('source'))} line {plain_text(r.get('line'))}",
            }
        )
    n = cut(len(user_frame), cap)
    users = user_frame.head(n).to_dict("records")
    row_ids = user_frame["evidence_id"].tolist()
    # creds is numbered from 0 in sheet order, so a row's index + 2 is its Excel row.
    sheet_rows = [int(i) + 2 for i in user_frame.index]
    user_rows = [
        {
            "id": r["evidence_id"],
            "account": plain_text(r.get("account_id")),
            "user": plain_text(r.get("user")),
            "created": date_only(cell_text(r, "user_creation_time", "user_creation_time_note")),
            "password": _joined(
                cell_text(r, "password_enabled", "password_enabled_note"),
                "used " + date_only(cell_text(r, "password_last_used", "password_last_used_note")),
            ),
            "mfa": cell_text(r, "mfa_active", "mfa_active_note"),
            "key1": _key_text(r, 1),
            "key2": _key_text(r, 2),
        }
        for r in users
    ]
    rest = None
    if n < len(row_ids):
        first, last = row_ids[n], row_ids[-1]
        rest = rest_note(
            what="IAM users",
            shown=n,
            total=len(row_ids),
            sheet=SHEET_CREDENTIALS,
            first_row=sheet_rows[n],
            last_row=sheet_rows[-1],
            ids=(first, last),
            workbook=workbook,
        )
    covered = set(root_frame["account_id"])
    missing = [account_label(model, a.id) for a in model.accounts if a.id not in covered]
    if root_cap is not None and len(missing) > root_cap:
        missing = [*missing[:root_cap], f"and {len(missing) - root_cap} more (Scope and method)"]
    return {
        "root": root_rows,
        "root_total": root_total,
        "root_missing": missing,
        "users": user_rows,
        "users_total": len(row_ids),
        "users_rest": rest,
    }


def manifest_table(model: Pack, cap: int, workbook: str) -> dict[str, Any]:
    artifacts = model.snapshot.manifest.artifacts
    n = cut(len(artifacts), cap)
    # The artifact's evidence id (the workbook's Manifest column A); a failed call has no file.
    ids = [artifact_row_id(a.path) if a.path else "\u2014" for a in artifacts]
    rows = [
        {
            "id": ids[i],
            "path": a.path or "(no file: collection failed)",
            "api": a.api,
            "account": a.account or "\u2014",
            "region": a.region or "\u2014",
            "status": "ok" if a.status == "ok" else f"ERROR {a.error.code if a.error else ''}".strip(),
            "error": a.status != "ok",
            "size": "" if a.size is None else f"{a.size:,}",
            "sha256": a.sha256 or "\u2014",
            "collected_at": iso_utc(a.collected_at),
        }
        for i, a in enumerate(artifacts[:n])
    ]
    rest = rest_note(
        what="manifest artifacts",
        shown=n,
        total=len(artifacts),
        sheet=SHEET_MANIFEST,
        first_row=n + 2,
        last_row=len(artifacts) + 1,
        ids=(ids[n], ids[-1]) if n < len(artifacts) else ("", ""),
        workbook=workbook,
    )
    return {"rows": rows, "total": len(artifacts), "rest": rest}


def _change_row(c: Any) -> dict[str, Any]:
    """One finding change: four plain cells (key, statuses, months open, reason / exception state)."""
    was = STATUS_WORDS.get(c.previous_status or "", "absent")
    now = STATUS_WORDS.get(c.status or "", "absent")
    note = c.reason + (f" \u00b7 exception {c.acceptance}" if c.acceptance else "")
    return {
        "id": c.finding_id,
        "what": f"{c.check_id} \u00b7 {c.account_id} \u00b7 {c.resource}",
        "status": f"{was} \u2192 {now} \u00b7 {c.severity}",
        "months": "" if c.months_open is None else str(c.months_open),
        "note": note,
    }


def drift_section(model: Pack, cap: int, workbook: str) -> dict[str, Any] | None:
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
        gap = (
            f"The previous pack of this scope is {drift.previous_month}, not the month before"
            f" {drift.month}: the months in between have no pack, so changes span more than one month."
        )
    tables = []
    sheet_row = 2  # the Drift sheet lists new, resolved, still_open, no_longer_assessed in that order
    for name in ("new", "resolved", "still_open", "no_longer_assessed"):
        changes = list(getattr(drift, name))
        if name == "still_open":  # the oldest problems first
            changes.sort(key=lambda c: (-(c.months_open or 0), c.account_id, c.check_id, c.resource))
        n = cut(len(changes), cap)
        rest = None
        if n < len(changes):
            rest = {
                "shown": n,
                "total": len(changes),
                "workbook": workbook,
                "sheet": SHEET_DRIFT,
                "first_row": sheet_row,
                "last_row": sheet_row + len(changes) - 1,
                "change": name,
            }
        tables.append(
            {
                "name": name,
                "title": CHANGE_WORDS[name],
                "total": len(changes),
                "rows": [_change_row(c) for c in changes[:n]],
                "rest": rest,
            }
        )
        sheet_row += len(changes)
    months = [p.month for p in drift.trend]
    bars = (
        months,
        [p.root_events for p in drift.trend],
        [p.root_events_complete for p in drift.trend],
        [p.manifest_sha256 is not None for p in drift.trend],
    )
    series = drift.fail_series()
    lines = [(fw, series[fw]) for fw in drift.frameworks]
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
            root_line += (
                f" (prior 12 months, {packs} with a pack: max {root['prior_max']}, mean {root['prior_mean']:g})."
            )
    counts = drift.counts()
    return {
        "compared": compared,
        "baseline": drift.baseline,
        "gap": gap,
        "counts": [(CHANGE_WORDS[k], counts[k]) for k in CHANGE_WORDS]
        + [("Accounts added", counts["accounts_added"]), ("Accounts removed", counts["accounts_removed"])],
        "accounts_added": ", ".join(account_label(model, a) for a in drift.accounts_added),
        "accounts_removed": ", ".join(drift.accounts_removed),
        "tables": tables,
        "root_line": root_line,
        "root_chart": root_events_trend_svg(*bars),
        "root_chart_alt": root_events_trend_alt(*bars),
        "fail_chart": fail_trend_svg(months, lines),
        "fail_chart_alt": fail_trend_alt(months, lines),
        "trend_rows": [
            {
                "month": p.month,
                "pack": "yes" if p.manifest_sha256 else "no pack",
                "root": "\u2014"
                if p.root_events is None
                else ("" if p.root_events_complete else "\u2265") + str(p.root_events),
                "fails": "\u2014" if p.fail_findings is None else str(p.fail_findings),
            }
            for p in drift.trend
        ],
    }


def exceptions_section(model: Pack, cap: int, workbook: str) -> dict[str, Any]:
    report = model.acceptances
    rows: list[dict[str, str]] = []
    counts = {"accepted": 0, "expired": 0, "not_yet_valid": 0, "unused": 0, "unused_break_glass": 0}
    source = ""
    if report is not None:
        source = report.source
        state_words = {
            AcceptanceState.ACCEPTED: "ACCEPTED",
            AcceptanceState.EXPIRED: "EXPIRED",
            AcceptanceState.NOT_YET_VALID: "NOT YET VALID",
        }
        for d in report.decisions:
            acc = d.acceptance
            if acc is None:
                continue
            counts[d.state.value] += 1
            rows.append(
                {
                    "what": f"{d.finding_id} \u00b7 {d.check_id} \u00b7 {d.account_id} \u00b7 {d.resource}",
                    "state": state_words[d.state],
                    "approval": f"{acc.approver} \u00b7 {acc.approved_on.isoformat()} to "
                    f"{acc.expires_on.isoformat()} \u00b7 {acc.ticket}",
                    "justification": acc.justification,
                }
            )
        for acc in report.unused:
            counts["unused"] += 1
            rows.append(
                {
                    "what": f"entry {acc.index} \u00b7 {acc.check} \u00b7 {acc.account} \u00b7 {acc.resource}",
                    "state": "UNUSED (matched no FAIL)",
                    "approval": f"{acc.approver} \u00b7 {acc.approved_on.isoformat()} to "
                    f"{acc.expires_on.isoformat()} \u00b7 {acc.ticket}",
                    "justification": acc.justification,
                }
            )
        for bg in report.unused_break_glass:
            counts["unused_break_glass"] += 1
            what = bg.event_id or f"{plain_text(bg.start)} to {plain_text(bg.end)}"
            rows.append(
                {
                    "what": f"break-glass entry {bg.index} \u00b7 {bg.account or '*'} \u00b7 {what}",
                    "state": "UNUSED (matched no root event)",
                    "approval": f"{bg.approver} \u00b7 {bg.approved_on.isoformat()} \u00b7 {bg.ticket}",
                    "justification": bg.justification,
                }
            )
    n = cut(len(rows), cap)
    rest = rest_note(
        what="exception entries",
        shown=n,
        total=len(rows),
        sheet=SHEET_EXCEPTIONS,
        first_row=n + 2,
        last_row=len(rows) + 1,
        ids=(f"row {n + 2}", f"row {len(rows) + 1}"),
        workbook=workbook,
    )
    return {
        "rows": rows[:n],
        "total": len(rows),
        "rest": rest,
        "counts": counts,
        "source": source,
        "unaccepted": report.unaccepted_fails if report is not None else None,
    }


def chain_section(model: Pack) -> dict[str, Any]:
    manifest = model.snapshot.manifest
    sig = signature_block(model)
    if sig is None:
        signature = "not signed (no manifest.json.sig)"
    elif sig.get("error"):
        signature = f"manifest.json.sig: {sig['error']}"
    else:
        signature = (
            f"Ed25519, key id {sig['key_id']}"
            + ("" if sig["matches_manifest"] else " \u2014 signed a DIFFERENT manifest")
            + " (check with reporter verify --public-key)"
        )
    return {
        "previous": manifest.previous_manifest_sha256 or "none recorded (first pack of the chain)",
        "signature": signature,
    }
