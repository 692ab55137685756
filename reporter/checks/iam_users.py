"""Checks on IAM users from the credential report: MFA, unused credentials, key rotation, key count."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from reporter.checks.common import age_text, cell, flag, iso, plural, row_ref, said, sentence, when
from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import check
from reporter.core.status import Severity, Status
from reporter.evidence.tables import EvidenceTable

# One credential-report row as a plain mapping (column -> value). Plain dicts, not pd.Series:
# building a Series per row (iterrows) and indexing it was most of the time of these checks on
# a large organization, and `to_dict("records")` gives the same Python values.
Row = Mapping[str, Any]
# A verdict on one user's row: (status, reason, observed sentence, observed values), or None when
# the user is out of scope.
Verdict = tuple[Status, str, str, dict[str, object]] | None
Judge = Callable[[CheckContext, Row], Verdict]

# The four per-user checks of one account run one after another on the same table: remember the
# last table's user rows (held by reference, so the identity test cannot match a new object).
_last_users: tuple[EvidenceTable, list[dict[str, Any]]] | None = None


def _user_rows(table: EvidenceTable) -> list[dict[str, Any]]:
    """The rows of `common.users(table)` (is_root false or unknown), as dicts, in table order."""
    global _last_users
    if _last_users is None or _last_users[0] is not table:
        # Filtering the records in Python skips a boolean take over ~40 columns per account.
        _last_users = (table, [r for r in _records(table.data) if not _is_true(r["is_root"])])
    return _last_users[1]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """`frame.to_dict("records")`, built from each column's `tolist()` (the same Python values:
    ints, floats, Timestamps, NA), which skips to_dict's boxing of every cell, 6 ms of a 51-row
    report, 6 s on 1,000 accounts."""
    columns = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _is_true(value: Any) -> bool:
    """What `fillna(False)` then truth means for one cell: missing (None, NA, NaN) is False."""
    return value is not None and not pd.isna(value) and bool(value)


def _per_user(ctx: CheckContext, judge: Judge, nobody_in_scope: str) -> list[Finding]:
    table = ctx.table("credential_report")
    findings = []
    for row in _user_rows(table):
        verdict = judge(ctx, row)
        if verdict is not None:
            status, reason, seen, observed = verdict
            findings.append(
                ctx.finding(
                    row["arn"],
                    status,
                    reason,
                    observed_text=seen,
                    observed={"user": row["user"], **observed},
                    evidence=[row_ref(table, row)],
                )
            )
    if not findings:
        findings.append(
            ctx.finding(
                ctx.account_id,
                Status.NOT_APPLICABLE,
                nobody_in_scope,
                observed_text=f"The credential report lists {plural(len(_user_rows(table)), 'IAM user')}. "
                + nobody_in_scope,
                evidence=[EvidenceRef(table.sources[0])],
                aggregate=True,
            )
        )
    return findings


def _active_keys(row: Row) -> list[int]:
    return [n for n in (1, 2) if flag(row[f"access_key_{n}_active"]) is True]


def _unknown(row: Row, *columns: str) -> Verdict:
    observed = {c: cell(row, c) for c in columns}
    return (
        Status.NOT_ASSESSED,
        f"The credential report does not say {' or '.join(columns)} for this user.",
        f"The credential report gives IAM user {row['user']} "
        + ", ".join(f"{c} {said(v)}" for c, v in observed.items())
        + ".",
        observed,
    )


@check(
    id="iam_user_console_mfa",
    title="Every IAM user with a console password has MFA",
    fails_when="an IAM user with a console password has no MFA (one finding per user)",
    expects="Every IAM user with a console password has an active MFA device",
    severity=Severity.HIGH,
    evidence=("credential_report",),
    scope="principal",
    rationale="A console password without MFA is taken over by one phished or reused password.",
    remediation=(
        "Ask the user to register an MFA device (IAM console, Security credentials), or assign one.",
        "Enforce it with a policy that denies everything but MFA set-up while aws:MultiFactorAuthPresent is false.",
        "Better still, move people to IAM Identity Center and remove IAM console passwords.",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
        "CIS AWS Foundations Benchmark v5.0.0 1.9",
    ),
)
def iam_user_console_mfa(ctx: CheckContext) -> list[Finding]:
    def judge(_: CheckContext, row: Row) -> Verdict:
        if flag(row["password_enabled"]) is not True:
            return None
        mfa = flag(row["mfa_active"])
        if mfa is None:
            return _unknown(row, "mfa_active")
        observed: dict[str, object] = {"password_enabled": True, "mfa_active": mfa}
        seen = f"IAM user {row['user']} has a console password (password_enabled true) and mfa_active {said(mfa)}."
        if mfa:
            return Status.PASS, "The user has a console password and MFA.", seen, observed
        return Status.FAIL, "The user can sign in to the console with a password alone (no MFA).", seen, observed

    return _per_user(ctx, judge, "No IAM user has a console password.")


@check(
    id="iam_unused_credentials_disabled",
    title="Credentials unused for the threshold period are disabled",
    limits=("unused_credentials_days", "unused_credentials_over_days"),
    fails_when=(
        "an enabled password or active key unused for N × 24 h or more before as_of (N: 45 by default, or the "
        "framework row's `unused_credentials_days`), or for more than N × 24 h where the row states "
        "`unused_credentials_over_days`, to the second; never-used ones count from when they were set"
    ),
    severity=Severity.MEDIUM,
    evidence=("credential_report",),
    expects=lambda limits: (
        "Every enabled password and active access key was used (a never-used one: set) within the "
        + (
            f"{limits['unused_credentials_over_days']} days before as_of; unused for more than "
            f"{limits['unused_credentials_over_days']} days fails"
            if "unused_credentials_over_days" in limits
            else f"{limits['unused_credentials_days']} days before as_of; unused for "
            f"{limits['unused_credentials_days']} days or more fails"
        )
    ),
    scope="principal",
    rationale=(
        "A password or key nobody uses is a door nobody watches: if it leaks, its use is not noticed. "
        "Disabling what is unused shrinks the attack surface at no cost."
    ),
    remediation=(
        "Confirm with the owner that the credential is not needed.",
        "Remove the console password (delete login profile) or deactivate the access key; delete it "
        "after a grace period.",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html",
        "CIS AWS Foundations Benchmark v5.0.0 1.11",
    ),
)
def iam_unused_credentials_disabled(ctx: CheckContext) -> list[Finding]:
    # CIS: "unused for 45 days or greater"; PCI DSS: inactive means "not used in over 90 days".
    over = "unused_credentials_over_days" in ctx.limits
    limit = ctx.limits["unused_credentials_over_days" if over else "unused_credentials_days"]

    def idle(last_used: str, since: str, row: Row, label: str) -> tuple[str | None, str]:
        """(why it is stale or None, what the row says of it)."""
        # Never used (N/A, no_information): CIS counts the age since the credential was set.
        used, fallback = row[last_used], row[since]
        if pd.isna(used) and pd.isna(fallback):
            fallback = row["user_creation_time"]
        at, what = (used, "last used") if not pd.isna(used) else (fallback, "never used, set")
        if pd.isna(at):
            raise LookupError(label)
        age = age_text(ctx.as_of - at, limit)
        seen = f"{label} {what} {when(at)}, {age} before as_of"
        if not ctx.older_than(at, limit, or_equal=not over):
            return None, seen
        return f"{label} {what} {age} ago ({iso(at)})", seen

    def judge(_: CheckContext, row: Row) -> Verdict:
        checks = []
        if flag(row["password_enabled"]) is True:
            checks.append(("password_last_used", "password_last_changed", "password"))
        checks += [
            (f"access_key_{n}_last_used_date", f"access_key_{n}_last_rotated", f"access key {n}")
            for n in _active_keys(row)
        ]
        user = f"IAM user {row['user']}"
        if not checks:
            enabled = said(cell(row, "password_enabled"))
            seen = f"{user} has no enabled password (password_enabled {enabled}) and no active access key."
            return Status.PASS, "The user has no enabled password and no active access key.", seen, {}
        observed = {c: cell(row, c) for triple in checks for c in triple[:2]}
        try:
            judged = [idle(*triple[:2], row, triple[2]) for triple in checks]
        except LookupError as exc:
            seen = (
                f"The credential report gives {user} no usable date for the {exc} ("
                + ", ".join(f"{c} {said(v)}" for c, v in observed.items())
                + ")."
            )
            return Status.NOT_ASSESSED, f"The credential report gives no usable date for the {exc}.", seen, observed
        observed["threshold_days"] = limit
        stale = [why for why, _ in judged if why]
        seen = sentence([f"{user}'s " + ", ".join(text for _, text in judged)])
        if stale:
            return Status.FAIL, "Enabled but unused: " + "; ".join(stale) + ".", seen, observed
        return Status.PASS, f"Every enabled credential was used (or set) within {limit} days.", seen, observed

    return _per_user(ctx, judge, "The account has no IAM users.")


@check(
    id="iam_access_keys_rotated",
    title="Active access keys are rotated within the threshold",
    limits=("key_rotation_days",),
    fails_when=(
        "an active key was last rotated more than N × 24 h before as_of (N: 90 by default, or the framework "
        "row's own number), to the second"
    ),
    severity=Severity.MEDIUM,
    evidence=("credential_report",),
    expects="Every active access key was rotated within the {key_rotation_days} days before as_of",
    scope="principal",
    rationale="The longer a key lives, the more places it is copied to and the longer a leak stays useful.",
    remediation=(
        "Create a second key, move the application to it, deactivate the old key, then delete it.",
        "Prefer roles with temporary credentials (instance profiles, OIDC federation) over user keys.",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html#rotating_access_keys_console",
        "CIS AWS Foundations Benchmark v5.0.0 1.13",
    ),
)
def iam_access_keys_rotated(ctx: CheckContext) -> list[Finding]:
    limit = ctx.limits["key_rotation_days"]

    def judge(_: CheckContext, row: Row) -> Verdict:
        active = _active_keys(row)
        if not active:
            return None
        columns = [f"access_key_{n}_last_rotated" for n in active]
        if any(pd.isna(row[c]) for c in columns):
            return _unknown(row, *columns)
        observed: dict[str, object] = {c: cell(row, c) for c in columns} | {"threshold_days": limit}
        seen = (
            f"IAM user {row['user']}'s "
            + ", ".join(
                f"access key {n} was last rotated {when(row[c])}, {age_text(ctx.as_of - row[c], limit)} before as_of"
                for n, c in zip(active, columns, strict=True)
            )
            + "."
        )
        old = [
            f"access key {n} is {age_text(ctx.as_of - row[c], limit)} old"
            for n, c in zip(active, columns, strict=True)
            if ctx.older_than(row[c], limit)
        ]
        if old:
            return Status.FAIL, "Not rotated: " + "; ".join(old) + f" (limit {limit}).", seen, observed
        return Status.PASS, f"Every active key is at most {limit} days old.", seen, observed

    return _per_user(ctx, judge, "No IAM user has an active access key.")


@check(
    id="iam_single_active_access_key",
    title="No IAM user has more than one active access key",
    fails_when="a user has two active keys",
    expects="An IAM user has at most one active access key",
    severity=Severity.LOW,
    evidence=("credential_report",),
    scope="principal",
    rationale="Two live keys double what can leak and usually mean a rotation was never finished.",
    remediation=("Find which key is in use (access_key_N_last_used_date), then deactivate and delete the other.",),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        "CIS AWS Foundations Benchmark v5.0.0 1.12",
    ),
)
def iam_single_active_access_key(ctx: CheckContext) -> list[Finding]:
    def judge(_: CheckContext, row: Row) -> Verdict:
        active = _active_keys(row)
        if not active:
            return None
        observed: dict[str, object] = {"active_keys": len(active)}
        seen = (
            f"IAM user {row['user']} has {plural(len(active), 'active access key')} ("
            + ", ".join(f"access_key_{n}_active {said(cell(row, f'access_key_{n}_active'))}" for n in (1, 2))
            + ")."
        )
        if len(active) > 1:
            return Status.FAIL, "The user has two active access keys.", seen, observed
        return Status.PASS, "The user has one active access key.", seen, observed

    return _per_user(ctx, judge, "No IAM user has an active access key.")
