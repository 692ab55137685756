"""Each account's place in the organization and its one-line overview, for outputs that summarise
a large organization per OU (the PDF) and list every account (the workbook's Accounts sheet).

The OU is the account's direct parent in the organization's tree (organizations:ListChildren and
the OU walk), named by its path from the root ("Workloads / Prod"). An account the tree does not
place, or a snapshot without the organization's structure, is in `UNKNOWN_OU`: said, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from reporter.core.status import Status
from reporter.evidence.organization import OrgTree
from reporter.evidence.tables import ORG_TREE, EvidenceTable, MissingEvidence
from reporter.pack.coverage import table_gaps
from reporter.pack.model import Pack

ROOT_UNIT = "(organization root)"
UNKNOWN_OU = "(OU not known)"
# The OU tree is at most 5 levels deep (AWS Organizations quota); a longer walk means a cycle.
_MAX_DEPTH = 8
# Root use in the period, per account: an event seen, none in complete evidence, or none seen in
# evidence that is missing or has gaps (which cannot say "no").
ROOT_USED, ROOT_NOT_USED, ROOT_UNKNOWN = "yes", "no", "unknown"
# The credential report's own root-use dates (a sign-in or a key use in the period is root use,
# even where CloudTrail has no event for it).
ROOT_USE_COLUMNS = {
    "password_last_used": "password",
    "access_key_1_last_used_date": "access key 1",
    "access_key_2_last_used_date": "access key 2",
}


@dataclass(frozen=True)
class AccountOverview:
    id: str
    name: str
    ou: str  # the OU's path from the root, ROOT_UNIT or UNKNOWN_OU
    ou_id: str  # "" when not known
    is_management: bool
    assessed: bool
    coverage: str  # the coverage label ("assessed (17 of 17 checks)", "partially assessed (…)")
    counts: dict[str, int]  # check results per status
    root_used: str  # ROOT_USED, ROOT_NOT_USED or ROOT_UNKNOWN
    root_events: int  # root events of the period seen for the account

    @property
    def failed(self) -> bool:
        return self.counts.get(Status.FAIL.value, 0) > 0


def _org_table(model: Pack, name: str) -> Any:
    for account in model.evidence:  # the organization's tables are shared by every account
        table = account.tables.get(name)
        if isinstance(table, EvidenceTable):
            return table.data
        if isinstance(table, MissingEvidence):
            return None
    return None


def _unit_names(model: Pack) -> dict[str, str]:
    units = _org_table(model, "org_units")
    return {u["Id"]: str(u.get("Name") or u["Id"]) for u in units or () if isinstance(u, dict) and "Id" in u}


def _unit_path(tree: OrgTree, names: dict[str, str], account_id: str) -> tuple[str, str]:
    """(OU path, OU id) of an account's direct parent; ROOT_UNIT or UNKNOWN_OU where that is what the tree says."""
    above = tree.parents.get(account_id) or []
    if len(above) != 1:
        return UNKNOWN_OU, ""
    parent = above[0]["Id"]
    if parent.startswith("r-"):
        return ROOT_UNIT, parent
    path, current = [], parent
    for _ in range(_MAX_DEPTH):
        path.append(names.get(current, current))
        up = tree.parents.get(current) or []
        if len(up) != 1:
            return UNKNOWN_OU, ""
        current = up[0]["Id"]
        if current.startswith("r-"):
            return " / ".join(reversed(path)), parent
    return UNKNOWN_OU, ""


@dataclass(frozen=True)
class RootUse:
    """Was root used in the period in one account: the one definition the summary, the per-OU
    tables and the Accounts sheet share."""

    used: str  # ROOT_USED, ROOT_NOT_USED or ROOT_UNKNOWN
    events: int  # root events of the period
    sign_ins: int  # of them, console sign-ins
    report_uses: tuple[str, ...]  # the credential report's own uses in the period ("password last used …")
    gaps: tuple[str, ...]  # why the account's root-event evidence is incomplete


def _root_rows(model: Pack) -> dict[str, dict[Any, Any]]:
    """Account → the credential report's root row (only where a report was read)."""
    creds = model.credential_rows()
    if not len(creds):
        return {}
    root = creds[creds["is_root"].fillna(False).astype(bool)]
    return {str(r["account_id"]): dict(r) for r in root.to_dict("records")}


def root_use_in_period(model: Pack) -> dict[str, RootUse]:
    """Per account: "yes" when a root event of the period or the credential report's own
    last-used dates show use, "no" when nothing shows it in complete evidence, "unknown" when
    nothing shows it but the root-event evidence is missing or has gaps (absence proves nothing)."""
    manifest = model.snapshot.manifest
    start, end = pd.Timestamp(manifest.period_start), pd.Timestamp(manifest.period_end)
    events = model.root_events()
    per_account = events["account"].value_counts().to_dict() if len(events) else {}
    sign_in = events[events["interaction"] == "console_sign_in"] if len(events) else events
    sign_ins = sign_in["account"].value_counts().to_dict() if len(sign_in) else {}
    root_rows = _root_rows(model)
    out: dict[str, RootUse] = {}
    for account in model.evidence:
        n = int(per_account.get(account.account_id, 0))
        row = root_rows.get(account.account_id, {})
        report_uses = tuple(
            f"{what} last used {value:%Y-%m-%d}"
            for column, what in ROOT_USE_COLUMNS.items()
            if isinstance(value := row.get(column), pd.Timestamp) and start <= value < end
        )
        gaps = table_gaps([account], "root_events")
        used = ROOT_USED if n or report_uses else ROOT_UNKNOWN if gaps else ROOT_NOT_USED
        out[account.account_id] = RootUse(used, n, int(sign_ins.get(account.account_id, 0)), report_uses, gaps)
    return out


def account_overviews(model: Pack) -> list[AccountOverview]:
    """One overview per account of the pack, in the pack's account order."""
    tree = _org_table(model, ORG_TREE)
    names = _unit_names(model)
    root_use = root_use_in_period(model)
    out = []
    for a in model.accounts:
        ou, ou_id = _unit_path(tree, names, a.id) if isinstance(tree, OrgTree) else (UNKNOWN_OU, "")
        use = root_use[a.id]  # the accounts are the evidence entries, each with its RootUse
        out.append(
            AccountOverview(
                id=a.id,
                name=a.name or "",
                ou=ou,
                ou_id=ou_id,
                is_management=a.is_management,
                assessed=a.assessed,
                coverage=a.coverage.label,
                counts=model.counts(a.id),
                root_used=use.used,
                root_events=use.events,
            )
        )
    return out
