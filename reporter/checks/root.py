"""Checks on the root user: is it used, does it hold access keys, is it behind (hardware) MFA."""

from __future__ import annotations

import pandas as pd

from reporter.checks.common import (
    cell,
    flag,
    iso,
    plural,
    root_credentials_removed,
    root_row,
    row_ref,
    said,
    sentence,
    when,
)
from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import check
from reporter.core.partition import root_mfa_serial
from reporter.core.status import Severity, Status
from reporter.evidence.credential_report import is_root_subject

_LAST_USED = ("password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date")
_MAX_EVENT_REFS = 25
_USE_LABEL = {
    "password_last_used": "password",
    "access_key_1_last_used_date": "access key 1",
    "access_key_2_last_used_date": "access key 2",
}
_CREDENTIALS = ("password_enabled", "mfa_active", "access_key_1_active", "access_key_2_active")


def _no_root_row(ctx: CheckContext) -> list[Finding]:
    table = ctx.table("credential_report")
    unreadable = [str(p) for p in table.problems if is_root_subject(p.subject)]
    why = f" (its row could not be read: {unreadable[0]})" if unreadable else ""
    return [
        ctx.finding(
            ctx.root_arn,
            Status.NOT_ASSESSED,
            f"The credential report has no usable root row{why}.",
            observed_text=f"The credential report {table.sources[0]} has no readable row for the root user{why}.",
            evidence=[EvidenceRef(table.sources[0])],
        )
    ]


@check(
    id="root_not_used",
    title="The root user has not been used within the window",
    limits=("root_window_days",),
    expects=(
        "No root use in the {root_window_days} days before as_of: no root password or access key use in the "
        "credential report and no root CloudTrail event counted by the CIS root-usage filter"
    ),
    fails_when=(
        "the newest of root `password_last_used`, `access_key_1_last_used_date`, "
        "`access_key_2_last_used_date` is within the window, or a root CloudTrail event counted by the CIS "
        "root-usage filter (no `invokedBy`, `eventType` ≠ `AwsServiceEvent`) falls in it"
    ),
    severity=Severity.HIGH,
    evidence=("credential_report", "root_events"),
    scope="root",
    rationale=(
        "Root bypasses every IAM policy and cannot be scoped. Everyday work belongs to roles and "
        "users with least privilege; any recent root activity needs a reason an auditor can see."
    ),
    remediation=(
        "Identify who used root and why from the root activity timeline (time, source IP, user agent).",
        "Move the task to an IAM role or IAM Identity Center permission set; only the few tasks that "
        "require root (listed in the AWS documentation) justify its use.",
        "If the use was not expected, treat it as an incident: rotate the root password, review MFA, "
        "and review what the session changed.",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#root-user-tasks",
        "CIS AWS Foundations Benchmark v5.0.0 1.6",
    ),
)
def root_not_used(ctx: CheckContext) -> list[Finding]:
    window = ctx.limits["root_window_days"]
    start = ctx.as_of - pd.Timedelta(days=window)
    reasons: list[str] = []
    seen: list[str] = []
    refs: list[EvidenceRef] = []
    observed: dict[str, object] = {"window_days": window, "window_start": iso(start)}

    report = ctx.maybe("credential_report")
    row = root_row(ctx, report) if report is not None else None
    if report is not None and row is not None:
        refs.append(row_ref(report, row))
        uses = {c: row[c] for c in _LAST_USED if not pd.isna(row[c])}
        observed.update({c: cell(row, c) for c in _LAST_USED})
        if uses:
            column, newest = max(uses.items(), key=lambda item: item[1])
            days = ctx.days_before_as_of(newest)
            observed.update(last_used=iso(newest), last_used_by=column, days_since_last_use=days)
            seen.append(
                f"root {_USE_LABEL[column]} last used {when(newest)}, {plural(days or 0, 'day')} before as_of "
                f"({when(ctx.as_of)}); the window began {when(start)}"
            )
            if newest >= start:
                reasons.append(
                    f"the credential report shows root last used {days} day(s) before as_of ({column} {iso(newest)})"
                )
        else:
            seen.append(
                "the credential report records no root password or access key use ("
                + ", ".join(f"{c} {said(cell(row, c))}" for c in _LAST_USED)
                + ")"
            )

    events = ctx.maybe("root_events")
    if events is not None:
        frame = events.data
        in_window = frame[
            frame["cis_counted"].fillna(False) & (frame["event_time"] >= start) & (frame["event_time"] <= ctx.as_of)
        ]
        observed["cis_counted_events_in_window"] = len(in_window)
        if len(in_window):
            sign_ins = int((in_window["interaction"] == "console_sign_in").sum())
            seen.append(
                f"{plural(len(in_window), 'root CloudTrail event')} counted by the CIS root-usage filter from "
                f"{when(start)} to {when(ctx.as_of)} ({plural(sign_ins, 'console sign-in')}), the latest "
                f"{when(in_window['event_time'].max())}"
            )
            reasons.append(
                f"{len(in_window)} root event(s) counted by the CIS root-usage filter in the "
                f"window ({sign_ins} console sign-in(s)), the latest {iso(in_window['event_time'].max())}"
            )
            refs += [
                EvidenceRef(src, loc, row_id)
                for src, loc, row_id in in_window[["source", "location", "evidence_id"]]
                .tail(_MAX_EVENT_REFS)
                .itertuples(index=False)
            ]
        else:
            seen.append(
                f"no root CloudTrail event counted by the CIS root-usage filter from {when(start)} to "
                f"{when(ctx.as_of)} ({plural(len(frame), 'root event')} in the evidence in all)"
            )

    if reasons:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.FAIL,
                "Root was used: " + "; ".join(reasons) + ".",
                observed_text=sentence(seen),
                observed=observed,
                evidence=refs,
            )
        ]
    if row is None:
        return _no_root_row(ctx)
    ctx.table("root_events")
    return [
        ctx.finding(
            ctx.root_arn,
            Status.PASS,
            f"No root use in the {window} days before as_of, by the credential report and CloudTrail.",
            observed_text=sentence(seen),
            observed=observed,
            evidence=refs,
            aggregate=True,
        )
    ]


@check(
    id="root_no_access_keys",
    title="The root user has no access keys",
    fails_when="a root access key is active, or the account summary says root keys are present",
    expects=(
        "Root has no active access key in the credential report, and the account summary reports none "
        "(AccountAccessKeysPresent 0)"
    ),
    severity=Severity.CRITICAL,
    evidence=("credential_report", "account_summary"),
    scope="root",
    rationale=(
        "A root access key grants unrestricted, unscoped API access to the account and can be "
        "leaked like any long-term secret; AWS recommends that root has none."
    ),
    remediation=(
        "Sign in as root, open Security credentials, and deactivate then delete each access key.",
        "Find and fix any automation that used the key (CloudTrail events with an AKIA root key).",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html",
        "CIS AWS Foundations Benchmark v5.0.0 1.3",
    ),
)
def root_no_access_keys(ctx: CheckContext) -> list[Finding]:
    reasons: list[str] = []
    seen: list[str] = []
    refs: list[EvidenceRef] = []
    observed: dict[str, object] = {}
    report = ctx.maybe("credential_report")
    row = root_row(ctx, report) if report is not None else None
    if report is not None and row is not None:
        refs.append(row_ref(report, row))
        for n in (1, 2):
            observed[f"access_key_{n}_active"] = cell(row, f"access_key_{n}_active")
            if flag(row[f"access_key_{n}_active"]) is True:
                reasons.append(f"access key {n} is active (credential report)")
        seen.append(
            "the credential report gives root access_key_1_active "
            f"{said(observed['access_key_1_active'])} and access_key_2_active {said(observed['access_key_2_active'])}"
        )
    summary = ctx.maybe("account_summary")
    if summary is not None:
        present = summary.data.get("AccountAccessKeysPresent")
        observed["AccountAccessKeysPresent"] = present
        refs.append(EvidenceRef(summary.sources[0], "SummaryMap.AccountAccessKeysPresent"))
        seen.append(f"the account summary gives AccountAccessKeysPresent {said(present)}")
        if present:
            reasons.append("the account summary reports root access keys present")

    def verdict(status: Status, reason: str) -> list[Finding]:
        return [
            ctx.finding(ctx.root_arn, status, reason, observed_text=sentence(seen), observed=observed, evidence=refs)
        ]

    if reasons:
        return verdict(Status.FAIL, "Root has access keys: " + "; ".join(reasons) + ".")
    if row is None:
        return _no_root_row(ctx)
    if any(pd.isna(row[f"access_key_{n}_active"]) for n in (1, 2)):
        return verdict(Status.NOT_ASSESSED, "The credential report does not say whether root's access keys are active.")
    ctx.table("account_summary")
    return verdict(Status.PASS, "Root has no access keys.")


def _root_credentials_text(row: pd.Series) -> str:
    return "The credential report gives root " + ", ".join(f"{c} {said(cell(row, c))}" for c in _CREDENTIALS) + "."


def _root_mfa_subject(ctx: CheckContext) -> tuple[pd.Series, list[EvidenceRef]] | list[Finding]:
    """The root row of an account whose root holds credentials and a known MFA state, or the
    finding that settles an MFA check before it starts (no row, credentials removed, unknown)."""
    report = ctx.table("credential_report")
    row = root_row(ctx, report)
    if row is None:
        return _no_root_row(ctx)
    refs = [row_ref(report, row)]
    if root_credentials_removed(row):
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_APPLICABLE,
                "Root has no password, no access keys and no MFA: its credentials were removed "
                "(centralized root access), so there is nothing to protect with MFA.",
                observed_text=_root_credentials_text(row),
                observed={c: cell(row, c) for c in _CREDENTIALS},
                evidence=refs,
            )
        ]
    if pd.isna(row["mfa_active"]):
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_ASSESSED,
                "The credential report does not say whether root MFA is active.",
                observed_text=_root_credentials_text(row),
                observed={c: cell(row, c) for c in ("password_enabled", "mfa_active")},
                evidence=refs,
            )
        ]
    return row, refs


@check(
    id="root_mfa_enabled",
    title="The root user has MFA",
    fails_when="root has a password (or an old report cannot tell) and MFA is not active",
    expects="Root has an active MFA device whenever it can sign in with a password",
    severity=Severity.CRITICAL,
    evidence=("credential_report",),
    scope="root",
    rationale="A password alone is one phishing page away from full control of the account.",
    remediation=(
        "Sign in as root, open Security credentials, and assign an MFA device (a FIDO2 security key "
        "or hardware TOTP token is preferred; see root_hardware_mfa_enabled).",
        "Register a second device so that losing one does not force account recovery.",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html",
        "CIS AWS Foundations Benchmark v5.0.0 1.4",
    ),
)
def root_mfa_enabled(ctx: CheckContext) -> list[Finding]:
    subject = _root_mfa_subject(ctx)
    if isinstance(subject, list):
        return subject
    row, refs = subject
    observed = {c: cell(row, c) for c in ("password_enabled", "mfa_active")}
    seen = _root_credentials_text(row)
    if row["mfa_active"]:
        return [
            ctx.finding(
                ctx.root_arn, Status.PASS, "Root MFA is active.", observed_text=seen, observed=observed, evidence=refs
            )
        ]
    if flag(row["password_enabled"]) is False:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_APPLICABLE,
                "Root has no console password, so console MFA does not apply; "
                "its access keys are judged by root_no_access_keys.",
                observed_text=seen,
                observed=observed,
                evidence=refs,
            )
        ]
    return [
        ctx.finding(
            ctx.root_arn,
            Status.FAIL,
            "Root can sign in with a password and has no MFA.",
            observed_text=seen,
            observed=observed,
            evidence=refs,
        )
    ]


@check(
    id="root_hardware_mfa_enabled",
    title="The root user's MFA is a hardware device",
    fails_when=(
        "root has no MFA, or its MFA is a virtual device (`…:mfa/root-account-mfa-device`, or any device "
        "assigned to the root ARN)"
    ),
    expects=(
        "Root MFA is active and is a hardware device: no virtual MFA device has root's default serial or is "
        "assigned to the root user"
    ),
    severity=Severity.MEDIUM,
    evidence=("credential_report", "virtual_mfa_devices"),
    scope="root",
    rationale=(
        "A virtual MFA app lives on a phone that is used for everything else; a dedicated FIDO2 key or "
        "hardware token kept in a safe cannot be copied or phished remotely."
    ),
    remediation=(
        "Buy a FIDO2 security key or hardware TOTP token for each account's root user.",
        "Sign in as root, add the hardware device, then remove the virtual MFA device.",
        "Store the device under dual control and record where (an attestation in the pack).",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_physical.html",
        "CIS AWS Foundations Benchmark v5.0.0 1.5",
    ),
)
def root_hardware_mfa_enabled(ctx: CheckContext) -> list[Finding]:
    subject = _root_mfa_subject(ctx)
    if isinstance(subject, list):
        return subject
    row, refs = subject
    if not row["mfa_active"]:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.FAIL,
                "Root has no MFA device at all.",
                observed_text=_root_credentials_text(row),
                observed={"mfa_active": False},
                evidence=refs,
            )
        ]
    devices = ctx.table("virtual_mfa_devices")
    frame = devices.data
    default_serial = root_mfa_serial(ctx.partition, ctx.account_id)
    virtual = frame[(frame["serial_number"] == default_serial) | (frame["user_arn"] == ctx.root_arn)]
    observed = {"mfa_active": True, "root_virtual_mfa_serials": sorted(virtual["serial_number"])}
    refs.append(EvidenceRef(devices.sources[0]))
    if len(virtual):
        return [
            ctx.finding(
                ctx.root_arn,
                Status.FAIL,
                f"Root MFA is a virtual device ({', '.join(sorted(virtual['serial_number']))}).",
                observed_text=f"Root MFA is active (credential report) and the virtual MFA device list names "
                f"{plural(len(virtual), 'device')} of root: {', '.join(sorted(virtual['serial_number']))}.",
                observed=observed,
                evidence=refs,
            )
        ]
    return [
        ctx.finding(
            ctx.root_arn,
            Status.PASS,
            "Root MFA is active and no virtual MFA device belongs to root.",
            observed_text=f"Root MFA is active (credential report) and none of the "
            f"{plural(len(frame), 'virtual MFA device')} listed has root's serial {default_serial} or is assigned "
            "to root.",
            observed=observed,
            evidence=refs,
        )
    ]
