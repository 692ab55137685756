"""What to fix so that a NOT_ASSESSED result can be judged: the failed calls behind the check's
evidence (the snapshot's error artifacts), each with what to grant, retry or collect.

A check's own remediation fixes the account (buy a hardware key, delete a root key); a result
that could not be assessed needs the evidence fixed instead, so it never gets that text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reporter.checks.finding import Finding
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.evidence.tables import ASSUME_ROLE_API, ORG_TABLE_NAMES, table_apis
from reporter.snapshot.manifest import INTERNAL_ERROR_API, Artifact, Manifest

_DENIED = re.compile(r"AccessDenied|Unauthori[sz]ed|NotAuthorized|AuthorizationError|Forbidden", re.IGNORECASE)
_THROTTLED = re.compile(r"Throttl|RequestLimitExceeded|TooManyRequests|SlowDown|RateExceeded", re.IGNORECASE)
_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "RequestExpired",
    "NoCredentialsError",
    "SignedAsAnother",
}
_REGION_OFF = {"OptInRequired", "AuthFailure"}
# botocore's and urllib3's exception names (the collector files a non-AWS failure under its class).
_TRANSPORT = {
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
    "ProxyConnectionError",
    "SSLError",
    "ResponseParserError",
    "HTTPClientError",
    "IncompleteReadError",
    "ResponseStreamingError",
    "IncompleteBody",
}
_SERVER = {
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
}
# The action AWS names in its AccessDenied message ("… not authorized to perform: iam:Generate…"):
# it can differ from the call (GetCredentialReport needs GenerateCredentialReport first).
_DENIED_ACTION = re.compile(r"perform: ([a-z0-9-]+:[A-Za-z0-9]+)")


def _where(artifact: Artifact) -> str:
    account = f"account {artifact.account}" if artifact.account else "the organization's management account"
    return f"{account}" + (f", {artifact.region}" if artifact.region else "")


def step_for(artifact: Artifact) -> str:
    """One failed call → what to do about it."""
    code = artifact.error.code if artifact.error else "no error code"
    message = artifact.error.message if artifact.error else ""
    call = f"{artifact.api} ({_where(artifact)})"
    if artifact.api == ASSUME_ROLE_API:
        return (
            f"The audit role could not be assumed in {_where(artifact)} ({code}): deploy it there "
            "(`reporter iam-policy --format cloudformation --audit-account ID`) and let its trust name the caller."
        )
    if artifact.api == INTERNAL_ERROR_API:
        return (
            f"The collector stopped on an internal error ({code}): finish the snapshot with "
            "`reporter collect --resume`."
        )
    if _DENIED.search(code):
        action = m.group(1) if (m := _DENIED_ACTION.search(message)) else artifact.api
        return (
            f"Grant {action} to the audit role in {_where(artifact)}: {artifact.api} was refused ({code}). "
            "`reporter iam-policy` prints the whole policy; if the role has it, a service control policy "
            "or a permissions boundary denies it."
        )
    if _THROTTLED.search(code):
        return (
            f"{call} was throttled ({code}) until its retries gave up: collect again, with fewer `--workers` "
            "if it recurs."
        )
    if code in _CREDENTIALS:
        return (
            f"The credentials were refused for {call} ({code}): refresh them (a longer session for long "
            "runs) and collect again."
        )
    if code in _REGION_OFF:
        return f"{call}: the region is not enabled for the account ({code}): enable it, or leave it out of `--regions`."
    if code in _TRANSPORT:
        return (
            f"{call} got no usable answer ({code}: a network, proxy or endpoint problem): check the path to the "
            "AWS endpoint and collect again."
        )
    if code in _SERVER:
        return f"AWS answered {call} with a server error ({code}): collect again later."
    return f"{call} failed ({code}): fix the cause its error states in manifest.json, then collect again."


def _failures_by_account(manifest: Manifest) -> dict[str | None, list[Artifact]]:
    """The error artifacts, in manifest order, by account (None: the organization's)."""
    by_account: dict[str | None, list[Artifact]] = {}
    for artifact in manifest.artifacts:
        if artifact.status == "error":
            by_account.setdefault(artifact.account, []).append(artifact)
    return by_account


def steps_for(finding: Finding, failures: dict[str | None, list[Artifact]]) -> list[str]:
    """The steps for one NOT_ASSESSED finding, each once: its account's failed calls, then the
    organization's, each in manifest order; `failures` is
    `_failures_by_account` of the snapshot's manifest."""
    check = CHECKS.get(finding.check_id)
    if check is None:
        return []
    apis = table_apis()
    account_apis = {api for t in check.evidence if t not in ORG_TABLE_NAMES for api in apis.get(t, ())}
    org_apis = {api for t in check.evidence if t in ORG_TABLE_NAMES for api in apis.get(t, ())}
    failed = [
        a for a in failures.get(finding.account_id, []) if a.api in account_apis | {ASSUME_ROLE_API, INTERNAL_ERROR_API}
    ] + [a for a in failures.get(None, []) if a.api in org_apis | {INTERNAL_ERROR_API}]
    steps = list(dict.fromkeys(step_for(a) for a in failed))
    if "could not be read" in finding.reason or "unreadable" in finding.reason:
        steps.append(
            "Some evidence could not be read (the reason names the file and line): `reporter verify SNAPSHOT` "
            "tells a damaged file from an unexpected answer; collect again if it is damaged."
        )
    if "not collected" in finding.reason or "did not cover region" in finding.reason:
        steps.append(
            "Part of the evidence was never collected (an account or region outside the run): collect it, "
            "with the account in scope and every enabled region."
        )
    if not steps:
        tables = ", ".join(check.evidence)
        steps.append(
            f"The evidence this check reads ({tables}) does not settle it (the reason says what is missing): "
            "collect again once that is fixed."
        )
    return steps


def attach_steps(findings: Iterable[Finding], manifest: Manifest) -> None:
    """Give every NOT_ASSESSED finding its steps (`Finding.remediation`); others keep none."""
    failures = _failures_by_account(manifest)
    for finding in findings:
        finding.remediation = steps_for(finding, failures) if finding.status is Status.NOT_ASSESSED else []
