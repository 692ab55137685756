"""IAM evidence of one account: credential report, account summary, virtual MFA, password policy."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reporter.collect.context import Context, Failure, all_pages, without_metadata
from reporter.snapshot.manifest import iso_utc

# Credential report polling: the report takes seconds to minutes; wait 1, 2, 4, … up to 30 s
# between polls and give up after about five minutes in all.
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
MAX_WAIT = 300.0
NOT_READY = {"ReportInProgress"}
STALE = {"ReportExpired", "ReportNotPresent"}


def collect_iam(ctx: Context) -> None:
    base = f"accounts/{ctx.account}/iam/"
    _credential_report(ctx, base + "credential_report.csv")
    iam = ctx.client("iam")
    ctx.fetch_json(
        base + "account_summary.json",
        lambda: without_metadata(iam.get_account_summary()),
        api="iam:GetAccountSummary",
        region=ctx.home_region,
    )
    ctx.fetch_json(
        base + "virtual_mfa_devices.json",
        lambda: {"VirtualMFADevices": all_pages(iam, "list_virtual_mfa_devices", "VirtualMFADevices")},
        api="iam:ListVirtualMFADevices",
        region=ctx.home_region,
    )
    ctx.fetch_json(
        base + "password_policy.json",
        lambda: _password_policy(iam),
        api="iam:GetAccountPasswordPolicy",
        region=ctx.home_region,
    )


def _password_policy(iam: Any) -> dict[str, Any]:
    try:
        return without_metadata(iam.get_account_password_policy())
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") != "NoSuchEntity":
            raise
        # No policy is a fact about the account (AWS defaults apply), stored as AWS said it.
        return {"Error": {"Code": "NoSuchEntity", "Message": error.get("Message", "")}}


def _credential_report(ctx: Context, path: str) -> None:
    """GenerateCredentialReport until COMPLETE, then GetCredentialReport.

    A report still being written (ReportInProgress, State STARTED/INPROGRESS) is polled with
    backoff; an expired or absent one is generated again. Every failure is recorded under
    iam:GetCredentialReport, the evidence this flow produces.
    """
    api = "iam:GetCredentialReport"
    if ctx.writer.reuse(path, api) is not None:
        return
    iam = ctx.client("iam")
    delay, waited = FIRST_DELAY, 0.0
    while True:
        outcome = ctx.attempt(lambda: _try_report(iam))
        if isinstance(outcome, Failure):
            ctx.error(outcome, api=api, region=ctx.home_region)
            return
        if isinstance(outcome, dict):
            ctx.bytes(
                path,
                outcome["Content"],
                api=api,
                region=ctx.home_region,
                params={"GeneratedTime": iso_utc(outcome["GeneratedTime"])},
            )
            return
        if waited >= MAX_WAIT:
            ctx.error(
                Failure("ReportInProgress", f"credential report not ready after {waited:.0f} s ({outcome})"),
                api=api,
                region=ctx.home_region,
            )
            return
        ctx.sleep(delay)
        waited += delay
        delay = min(delay * 2, MAX_DELAY)


def _try_report(iam: Any) -> dict[str, Any] | str:
    """The report, or why to wait (a state or error code). Other errors propagate."""
    state = iam.generate_credential_report().get("State")
    if state != "COMPLETE":
        return f"State {state}"
    try:
        return iam.get_credential_report()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code in NOT_READY or code in STALE:
            # STALE: the next GenerateCredentialReport starts a new one.
            return str(code)
        raise
