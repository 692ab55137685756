"""Checks that two evidence sources tell the same story: a contradiction is a finding of its own.

The credential report and the account summary both say whether root holds access keys and MFA.
They come from different IAM calls (the report is a cached CSV up to four hours old, the summary
is live), so a disagreement means one source is stale or wrong. Every other check reads one of
them; this one keeps the pack from resolving the conflict silently.
"""

from __future__ import annotations

from reporter.checks.common import cell, flag, root_row, row_ref, said
from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import check
from reporter.core.status import Severity, Status

# (what is compared, the credential-report columns any of which being true means "yes", the summary key)
_FACTS = (
    ("root access keys", ("access_key_1_active", "access_key_2_active"), "AccountAccessKeysPresent"),
    ("root MFA", ("mfa_active",), "AccountMFAEnabled"),
)


@check(
    id="evidence_consistent",
    title="The credential report and the account summary agree on root's access keys and MFA",
    fails_when=(
        "the credential report's root row and the account summary contradict each other on root access keys "
        "(`access_key_N_active` vs `AccountAccessKeysPresent`) or root MFA (`mfa_active` vs "
        "`AccountMFAEnabled`); the reason names both files and values. Mapped to SOC 2 CC7.2"
    ),
    expects=(
        "The credential report's root row and the account summary agree on root access keys "
        "(access_key_N_active and AccountAccessKeysPresent) and on root MFA (mfa_active and AccountMFAEnabled)"
    ),
    severity=Severity.HIGH,
    evidence=("credential_report", "account_summary"),
    scope="root",
    rationale=(
        "A pack's verdicts on root rest on the credential report and the account summary. When they "
        "contradict each other one of them is stale or wrong, and a verdict drawn from either alone "
        "could be the wrong one; the auditor must see the conflict, not a silent choice."
    ),
    remediation=(
        "Generate a fresh credential report (aws iam generate-credential-report) and collect again: "
        "the report is cached for up to four hours and may predate a change.",
        "If they still disagree, check the root user's Security credentials page as root and open a "
        "case with AWS Support naming both values.",
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html",
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html",
    ),
)
def evidence_consistent(ctx: CheckContext) -> list[Finding]:
    report = ctx.table("credential_report")
    summary = ctx.table("account_summary")
    row = root_row(ctx, report)
    if row is None:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_ASSESSED,
                "The credential report has no usable root row to compare with the account summary.",
                observed_text=f"The credential report {report.sources[0]} has no readable row for the root user.",
                evidence=[EvidenceRef(report.sources[0]), EvidenceRef(summary.sources[0])],
            )
        ]
    refs = [row_ref(report, row)]
    observed: dict[str, object] = {}
    conflicts: list[str] = []
    compared = 0
    for fact, columns, key in _FACTS:
        values = [flag(row[c]) for c in columns]
        present = summary.data.get(key)
        for c in columns:
            observed[f"credential_report.{c}"] = cell(row, c)
        observed[f"account_summary.{key}"] = present
        refs.append(EvidenceRef(summary.sources[0], f"SummaryMap.{key}"))
        if any(v is None for v in values) or not isinstance(present, int):
            continue  # one side does not say: nothing to compare for this fact
        compared += 1
        in_report, in_summary = any(values), present > 0
        if in_report != in_summary:
            conflicts.append(
                f"{fact}: the credential report ({report.sources[0]}, {refs[0].row}) says "
                f"{'yes' if in_report else 'no'}, the account summary ({summary.sources[0]}, {key}={present}) "
                f"says {'yes' if in_summary else 'no'}"
            )
    seen = (
        "The credential report gives root "
        + ", ".join(f"{c} {said(cell(row, c))}" for _, columns, _ in _FACTS for c in columns)
        + "; the account summary gives "
        + ", ".join(f"{key} {said(summary.data.get(key))}" for _, _, key in _FACTS)
        + "."
    )
    if conflicts:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.FAIL,
                "The evidence sources contradict each other on " + "; ".join(conflicts) + ".",
                observed_text=seen,
                observed=observed,
                evidence=refs,
            )
        ]
    if not compared:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_ASSESSED,
                "Neither root access keys nor root MFA are stated by both the credential report and the "
                "account summary, so they cannot be compared.",
                observed_text=seen,
                observed=observed,
                evidence=refs,
            )
        ]
    return [
        ctx.finding(
            ctx.root_arn,
            Status.PASS,
            f"The credential report and the account summary agree on {compared} of {len(_FACTS)} root facts"
            " (access keys, MFA).",
            observed_text=seen,
            observed=observed,
            evidence=refs,
        )
    ]
