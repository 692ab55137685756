"""The Accounts sheet: one row per account with its OU, coverage, check results per status and
root use in the period. It holds the per-account detail the PDF summarises per OU for a large
organization (the PDF names this sheet and the column to filter)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reporter.pack.model import Pack
from reporter.pack.org_units import ROOT_UNIT, UNKNOWN_OU, account_overviews
from reporter.render.sheet_table import BOOL, INT, STATUS_ORDER, Column, SheetTable, text_value

SHEET_ACCOUNTS = "Accounts"


def accounts_table(model: Pack) -> SheetTable:
    columns = [
        Column("account_id", description="The AWS account id."),
        Column("account_name", description="The account's name in the organization, if known."),
        Column(
            "ou",
            description=f"The account's OU, as its path from the organization root; {ROOT_UNIT} for an account "
            f"directly under the root, {UNKNOWN_OU} when the organization's structure does not place it.",
        ),
        Column("ou_id", description="The id of that OU (ou-…) or root (r-…); empty when not known."),
        Column("management", BOOL, description="Whether it is the organization's management account."),
        Column("assessed", BOOL, description="Whether every check had its evidence for this account."),
        Column("coverage", description="How many of the account's checks had their evidence."),
        *(Column(s, INT, description=f"How many of the account's check results are {s}.") for s in STATUS_ORDER),
        Column(
            "root_used_in_period",
            description="yes: a root event of the period was recorded, or the credential report's root password or "
            "key was last used in the period; no: neither, in complete root-event evidence; unknown: neither seen, "
            "but the account's root-event evidence is missing or incomplete.",
        ),
        Column("root_events", INT, description="Root events of the period recorded for the account."),
    ]
    overviews = account_overviews(model)

    def rows() -> Iterator[list[Any]]:
        for o in overviews:
            yield [
                o.id,
                text_value(o.name),
                text_value(o.ou),
                text_value(o.ou_id),
                o.is_management,
                o.assessed,
                o.coverage,
                *(o.counts.get(s, 0) for s in STATUS_ORDER),
                o.root_used,
                o.root_events,
            ]

    return SheetTable(
        "accounts",
        SHEET_ACCOUNTS,
        "Accounts",
        columns,
        len(overviews),
        rows,
        freeze_first_column=True,
        widths={"ou": 36, "coverage": 36},
        description="Every account: its OU, coverage, check results per status and root use in the period.",
    )
