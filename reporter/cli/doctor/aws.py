"""What doctor checks against AWS: the credentials boto3 finds, who they belong to, whether that
principal may make every call the collector makes, and optionally one AssumeRole of the audit role.

Every AWS call failure, whatever its class (a ClientError, NoCredentialsError, an endpoint that
cannot be reached), becomes a FIX line: doctor is the command run when something is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from reporter.cli.doctor import Finding, failure, fix, ok
from reporter.collect.iam_policy import RootEventsKind, actions
from reporter.collect.session import caller_session, client_config
from reporter.core.partition import DEFAULT_PARTITION, HOME_REGIONS, arn, partition_of

# A diagnosis should answer in seconds, not wait out the collector's patient retries.
_CONFIG = client_config(max_attempts=2, max_workers=1, connect_timeout=5.0, read_timeout=10.0)
_DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
# What to do about the errors an operator meets first.
_HINTS = {
    "ExpiredToken": "the credentials have expired: refresh them (aws sso login, or new temporary keys)",
    "ExpiredTokenException": "the credentials have expired: refresh them (aws sso login, or new temporary keys)",
    "InvalidClientTokenId": "AWS does not know this access key: check the key id, or the partition's region",
    "SignatureDoesNotMatch": "the secret access key does not match the key id",
}
NO_CREDENTIALS = (
    "no AWS credentials found (environment, shared files, SSO, instance or container role): run `aws configure`,"
    " or `aws sso login --profile NAME` and pass --profile NAME (or set AWS_PROFILE)"
)
SKIPPED = "not checked: fix the credentials first"


@dataclass(frozen=True)
class AwsTarget:
    """What to diagnose: the options `reporter collect` would be run with."""

    profile: str | None = None
    region: str | None = None
    root_events: RootEventsKind = "lookup"
    role_name: str | None = None
    account: str | None = None  # a member account to try assuming role_name in
    external_id: str | None = None


@dataclass(frozen=True)
class Caller:
    account: str
    arn: str
    partition: str


def _why(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        hint = _HINTS.get(str(exc.response.get("Error", {}).get("Code")))
        if hint:
            return f"{failure(exc)}; {hint}"
    return failure(exc)


def credentials(session: boto3.Session) -> Finding:
    """Which provider of botocore's chain supplied credentials (never the keys themselves)."""
    try:
        found = session.get_credentials()
        if found is None:
            return fix("aws credentials", NO_CREDENTIALS)
        # Refreshable credentials (SSO, assume-role, instance roles) are fetched or refreshed
        # here, so an expired SSO session shows as this line, not as a later AccessDenied.
        found.get_frozen_credentials()
    except Exception as exc:
        return fix("aws credentials", f"could not be loaded ({failure(exc)}): check the profile, or aws sso login")
    profile = f", profile {session.profile_name}" if session.profile_name != "default" else ""
    return ok("aws credentials", f"from {found.method}{profile}")


def caller_identity(sts: Any) -> tuple[Finding, Caller | None]:
    try:
        reply = sts.get_caller_identity()
    except Exception as exc:
        return fix("sts:GetCallerIdentity", _why(exc)), None
    caller = Caller(reply["Account"], reply["Arn"], partition_of(reply["Arn"]) or DEFAULT_PARTITION)
    return ok("sts:GetCallerIdentity", f"account {caller.account}, {caller.arn} (partition {caller.partition})"), caller


def principal_arn(caller: Caller, iam: Any) -> str | None:
    """The IAM principal whose policies apply to the caller: an assumed-role session's role
    (GetRole for its path, which the session ARN leaves out), an IAM user; None for root and
    federated users, which IAM cannot simulate."""
    service, _, _, resource = caller.arn.split(":", 5)[2:]
    if service == "iam" and resource.startswith("user/"):
        return caller.arn
    if service == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        try:
            return str(iam.get_role(RoleName=role)["Role"]["Arn"])
        except Exception:
            return arn(caller.partition, "iam", "", caller.account, f"role/{role}")
    return None


def permissions(caller: Caller, iam: Any, target: AwsTarget) -> Finding:
    item = "permissions"
    by_hand = f"`reporter iam-policy --root-events {target.root_events}`"
    if caller.arn.endswith(":root"):
        return ok(item, "the root user may call everything (AWS advises an IAM role for audits instead)")
    principal = principal_arn(caller, iam)
    if principal is None:
        return fix(item, f"IAM cannot simulate {caller.arn}: compare its permissions with {by_hand} by hand")
    wanted = actions(target.root_events) + (["sts:AssumeRole"] if target.role_name else [])
    try:
        pages = iam.get_paginator("simulate_principal_policy").paginate(PolicySourceArn=principal, ActionNames=wanted)
        denied = sorted(
            r["EvalActionName"] for p in pages for r in p["EvaluationResults"] if r["EvalDecision"] != "allowed"
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _DENIED:
            return fix(
                item,
                f"iam:SimulatePrincipalPolicy is denied to {caller.arn}, so doctor cannot check: compare {principal}'s"
                f" policies with {by_hand} by hand, or allow it iam:SimulatePrincipalPolicy",
            )
        return fix(item, f"iam:SimulatePrincipalPolicy failed ({_why(exc)}): compare with {by_hand} by hand")
    except Exception as exc:
        return fix(item, f"iam:SimulatePrincipalPolicy failed ({_why(exc)}): compare with {by_hand} by hand")
    if denied:
        return fix(item, f"{principal} is denied {', '.join(denied)}: attach the policy {by_hand} prints")
    return ok(item, f"{principal} is allowed all {len(wanted)} actions the collector calls (IAM policy simulation)")


def assume_role(caller: Caller, sts: Any, target: AwsTarget) -> Finding | None:
    if not (target.account and target.role_name):
        return None
    role_arn = arn(caller.partition, "iam", "", target.account, f"role/{target.role_name}")
    params = {"RoleArn": role_arn, "RoleSessionName": "reporter-doctor"}
    if target.external_id:
        params["ExternalId"] = target.external_id
    try:
        sts.assume_role(**params)  # the credentials it returns are dropped unread
    except Exception as exc:
        return fix(
            "sts:AssumeRole",
            f"{role_arn}: {_why(exc)}: the role must exist and trust {caller.account} (and allow this caller)",
        )
    return ok("sts:AssumeRole", f"{role_arn} can be assumed")


def aws_findings(
    target: AwsTarget, session_factory: Callable[[str | None], boto3.Session] = caller_session
) -> list[Finding]:
    try:
        session = session_factory(target.profile)
    except Exception as exc:
        return [fix("aws credentials", f"{failure(exc)}: see `aws configure list-profiles`")]
    found = credentials(session)
    if found.status != "OK":
        return [found, fix("sts:GetCallerIdentity", SKIPPED), fix("permissions", SKIPPED)]
    region = target.region or session.region_name or HOME_REGIONS[DEFAULT_PARTITION]
    try:
        sts = session.client("sts", region_name=region, config=_CONFIG)
        iam = session.client("iam", region_name=region, config=_CONFIG)
    except Exception as exc:
        return [found, fix("aws clients", f"{failure(exc)}: check --region")]
    identity, caller = caller_identity(sts)
    if caller is None:
        return [found, identity, fix("permissions", "not checked: the caller is unknown")]
    assumed = assume_role(caller, sts, target)
    return [found, identity, permissions(caller, iam, target), *([assumed] if assumed else [])]
