"""The account password policy."""

from __future__ import annotations

from reporter.checks.common import said
from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import check
from reporter.core.status import Severity, Status


@check(
    id="iam_password_policy_strong",
    title="The account password policy requires length and prevents reuse",
    limits=("password_min_length", "password_reuse_prevention"),
    fails_when=(
        "no policy, minimum length below the limit (14 by default), or reuse prevention below the limit "
        "(24 by default; a framework row may state its own numbers)"
    ),
    expects=(
        "An account password policy requires at least {password_min_length} characters and prevents reuse of "
        "the last {password_reuse_prevention} passwords"
    ),
    severity=Severity.MEDIUM,
    evidence=("password_policy",),
    scope="account",
    rationale=(
        "Without a policy IAM accepts short passwords and lets users cycle back to old, possibly "
        "leaked ones; length and reuse prevention are the two settings CIS requires."
    ),
    remediation=(
        "Run: aws iam update-account-password-policy --minimum-password-length 14 "
        "--password-reuse-prevention 24 (add the other settings your policy requires).",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
        "CIS AWS Foundations Benchmark v5.0.0 1.7 and 1.8",
    ),
)
def iam_password_policy_strong(ctx: CheckContext) -> list[Finding]:
    table = ctx.table("password_policy")
    evidence = [EvidenceRef(table.sources[0])]
    policy = table.data
    want_length = ctx.limits["password_min_length"]
    want_reuse = ctx.limits["password_reuse_prevention"]
    if policy is None:
        return [
            ctx.finding(
                ctx.account_id,
                Status.FAIL,
                "The account has no password policy (IAM answered NoSuchEntity).",
                observed_text=f"GetAccountPasswordPolicy answered NoSuchEntity for account {ctx.account_id}: "
                "no password policy is set.",
                observed={"policy": None},
                evidence=evidence,
            )
        ]
    length = policy.get("MinimumPasswordLength")
    reuse = policy.get("PasswordReusePrevention")
    observed = {
        "MinimumPasswordLength": length,
        "PasswordReusePrevention": reuse,
        "required_length": want_length,
        "required_reuse_prevention": want_reuse,
    }
    seen = f"The password policy sets MinimumPasswordLength {said(length)} and PasswordReusePrevention {said(reuse)}."
    weak = []
    if not isinstance(length, int) or length < want_length:
        weak.append(f"minimum length {length} (needs {want_length})")
    if not isinstance(reuse, int) or reuse < want_reuse:
        weak.append(f"reuse prevention {reuse if reuse is not None else 'not set'} (needs {want_reuse})")
    if weak:
        return [
            ctx.finding(
                ctx.account_id,
                Status.FAIL,
                "Weak password policy: " + "; ".join(weak) + ".",
                observed_text=seen,
                observed=observed,
                evidence=evidence,
            )
        ]
    return [
        ctx.finding(
            ctx.account_id,
            Status.PASS,
            f"Passwords need at least {length} characters and cannot repeat the last {reuse}.",
            observed_text=seen,
            observed=observed,
            evidence=evidence,
        )
    ]
