"""The month-over-month sheets of the workbook: drift, trend, exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reporter.pack.model import Pack
from reporter.render.sheet_table import (
    BOOL,
    INT,
    Column,
    SheetTable,
    iso_text,
    text_value,
)


def drift_table(model: Pack) -> SheetTable:
    columns = [
        Column(
            "finding_id",
            description="The finding's stable id (Findings sheet), the same in every month's pack; a resolved "
            "finding keeps the id it had.",
        ),
        Column("change", description="new, resolved, still_open or no_longer_assessed since the previous pack."),
        Column("check_id", description="The check of the finding that changed."),
        Column("account_id", description="The AWS account of the finding."),
        Column("resource", description="The principal or resource of the finding, if the check names one."),
        Column("severity", description="The check's severity."),
        Column("status", description="The finding's status in this pack (empty when it is gone)."),
        Column("previous_status", description="Its status in the previous pack (empty when it is new)."),
        Column(
            "months_open",
            INT,
            description="For a still-open FAIL: the consecutive months, ending with this one, it was FAIL.",
        ),
        Column("acceptance", description="The risk acceptance state that applies to it, if any."),
        Column("reason", description="The finding's reason in the latest pack that has it."),
    ]
    drift = model.drift
    changes = (
        []
        if drift is None
        else [
            (name, c)
            for name, group in (
                ("new", drift.new),
                ("resolved", drift.resolved),
                ("still_open", drift.still_open),
                ("no_longer_assessed", drift.no_longer_assessed),
            )
            for c in group
        ]
    )

    def rows() -> Iterator[list[Any]]:
        for name, c in changes:
            yield [
                *(
                    text_value(v)
                    for v in (
                        c.finding_id,
                        name,
                        c.check_id,
                        c.account_id,
                        c.resource,
                        c.severity,
                        c.status,
                        c.previous_status,
                    )
                ),
                c.months_open,
                text_value(c.acceptance),
                text_value(c.reason),
            ]

    return SheetTable(
        "drift",
        "Drift",
        "Drift",
        columns,
        len(changes),
        rows,
        status_column="status",
        widths={"finding_id": 50, "resource": 50, "reason": 80},
        description="Findings new, resolved, still open or no longer assessed since the previous pack.",
    )


def trend_table(model: Pack) -> SheetTable:
    drift = model.drift
    points = list(drift.trend) if drift is not None else []
    frameworks = list(drift.frameworks) if drift is not None else []
    columns = [
        Column("month", description="The month (YYYY-MM); this month and the 12 before."),
        Column("manifest_sha256", description="The manifest SHA-256 of that month's pack; empty: no pack that month."),
        Column("root_events", INT, description="Root events in that month's period; empty when unknown."),
        Column("root_events_complete", BOOL, description="Whether every account's root-event evidence was complete."),
        Column("fail_findings", INT, description="How many findings were FAIL that month."),
        *(
            Column(f"FAIL requirements {fw}", INT, description=f"How many requirements of {fw} were FAIL that month.")
            for fw in frameworks
        ),
    ]
    series = drift.fail_series() if drift is not None else {}

    def rows() -> Iterator[list[Any]]:
        for i, p in enumerate(points):
            # A month without a pack stays empty (never 0); so does an unknown root-event count.
            yield [
                text_value(p.month),
                text_value(p.manifest_sha256),
                p.root_events,
                p.root_events_complete if p.manifest_sha256 else None,
                p.fail_findings,
                *(series[fw][i] for fw in frameworks),
            ]

    return SheetTable(
        "trend",
        "Trend",
        "Trend",
        columns,
        len(points),
        rows,
        freeze_first_column=True,
        widths={"manifest_sha256": 66},
        description="Root events and FAIL counts per month, this month and the 12 before.",
    )


def _approval(acc: Any) -> list[Any]:
    """Who approved a risk acceptance, for how long, under which ticket, and why."""
    return [
        acc.approver,
        acc.approved_on.isoformat(),
        acc.expires_on.isoformat(),
        acc.ticket,
        acc.justification,
        acc.index,
    ]


def exceptions_table(model: Pack) -> SheetTable:
    columns = [
        Column("kind", description="acceptance, or an --exceptions entry that matched nothing (and of which kind)."),
        Column("state", description="The acceptance's state (e.g. accepted, expired), or unused."),
        Column("finding_id", description="The finding (Findings sheet) the acceptance applies to."),
        Column("check_id", description="The check the entry names."),
        Column("account_id", description="The AWS account the entry names."),
        Column("resource", description="The resource the entry names; for break-glass, the event id or time window."),
        Column("approver", description="Who approved the entry."),
        Column("approved_on", description="The day (YYYY-MM-DD) it was approved."),
        Column("expires_on", description="The day (YYYY-MM-DD) it expires."),
        Column("ticket", description="The ticket the entry cites."),
        Column("justification", description="Why the risk was accepted, in the approver's words."),
        Column("entry", INT, description="The entry's position in the --exceptions file's list (counted from 0)."),
    ]
    report = model.acceptances
    items: list[list[Any]] = []
    if report is not None:
        for d in report.decisions:
            acc = d.acceptance
            if acc is None:
                continue
            items.append(
                [
                    "acceptance",
                    d.state.value,
                    d.finding_id,
                    d.check_id,
                    d.account_id,
                    d.resource,
                    *_approval(acc),
                ]
            )
        for acc in report.unused:
            items.append(
                [
                    "acceptance (matched no FAIL)",
                    "unused",
                    None,
                    acc.check,
                    acc.account,
                    acc.resource,
                    *_approval(acc),
                ]
            )
        for bg in report.unused_break_glass:
            what = bg.event_id or f"{iso_text(bg.start)} to {iso_text(bg.end)}"
            items.append(
                [
                    "break-glass (matched no root event)",
                    "unused",
                    None,
                    None,
                    bg.account,
                    what,
                    bg.approver,
                    bg.approved_on.isoformat(),
                    None,
                    bg.ticket,
                    bg.justification,
                    bg.index,
                ]
            )

    def rows() -> Iterator[list[Any]]:
        for item in items:
            yield [*(text_value(v) for v in item[:-1]), item[-1]]

    return SheetTable(
        "exceptions",
        "Exceptions",
        "Exceptions",
        columns,
        len(items),
        rows,
        widths={"resource": 45, "justification": 60},
        description="Risk acceptances applied (or expired) and --exceptions entries that matched nothing.",
    )


def monthly_tables(model: Pack) -> list[SheetTable]:
    """The month-over-month sheets (workbook only; the CSV export keeps to the evidence)."""
    return [drift_table(model), trend_table(model), exceptions_table(model)]
