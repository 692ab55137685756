"""Organization guardrails on root: an SCP that denies root, and centralized root access."""

from __future__ import annotations

from typing import Any

from reporter.checks.context import CheckContext
from reporter.checks.finding import EvidenceRef, Finding
from reporter.checks.registry import check
from reporter.core.status import Severity, Status
from reporter.evidence.keyed import Documents
from reporter.evidence.organization import NOT_IN_ORGANIZATION, OrgTree
from reporter.evidence.scp import denies_root

_MAX_DEPTH = 10  # Organizations allows five levels of OUs; deeper means a loop in the evidence


def _outside_organization(ctx: CheckContext) -> Finding | None:
    org = ctx.table("organization")
    if org.data is not None:
        return None
    return ctx.finding(
        ctx.root_arn if ctx.check.scope == "root" else ctx.account_id,
        Status.NOT_APPLICABLE,
        f"The account is not in an AWS Organization (DescribeOrganization answered "
        f"{NOT_IN_ORGANIZATION}), so there are no SCPs or organization features.",
        observed_text=f"DescribeOrganization answered {NOT_IN_ORGANIZATION} for account {ctx.account_id}.",
        observed={"organization": None},
    )


def _management_id(ctx: CheckContext) -> str | None:
    org = ctx.table("organization").data
    found = org.get("MasterAccountId") if isinstance(org, dict) else None
    return found if isinstance(found, str) else None


def _is_management(ctx: CheckContext) -> bool:
    return _management_id(ctx) == ctx.account_id or ctx.account.is_management


def _path(tree: OrgTree, account_id: str) -> tuple[list[tuple[str, str]], str | None]:
    """(id, type) from the account up to the root, or why the tree cannot say."""
    path = [(account_id, "ACCOUNT")]
    current = account_id
    for _ in range(_MAX_DEPTH):
        above = tree.parents.get(current)
        if not above:
            return path, tree.why_unplaced(current)
        if len(above) > 1:  # listed under two parents (moved while listed): which SCPs bind it is unknown
            return path, f"{current} is listed under {len(above)} parents ({', '.join(p['Id'] for p in above)})"
        parent = above[0]
        path.append((parent["Id"], str(parent.get("Type"))))
        if parent.get("Type") == "ROOT":
            return path, None
        current = parent["Id"]
    return path, f"the parents of {account_id} do not reach a root"


@check(
    id="root_scp_deny",
    title="A service control policy denies every action to the member account's root user",
    fails_when=(
        "a member account has no SCP on its path (account, OUs, root) denying `*` to `arn:<partition>:iam::*:root`, "
        "or SCPs are not enabled; NOT_APPLICABLE for the management account (SCPs never apply to it) and "
        "outside an organization"
    ),
    expects=(
        "A member account's root user is denied every action by an SCP attached to the account, one of its OUs "
        "or the organization root, with SCPs enabled"
    ),
    severity=Severity.MEDIUM,
    evidence=("organization", "org_roots", "org_parents", "scp_list", "scp_targets", "scps"),
    scope="root",
    rationale=(
        "Root in a member account bypasses IAM; an SCP that denies it everything is the one guardrail "
        "that still binds it, so a leaked or recovered root password cannot be used for anything."
    ),
    remediation=(
        "Enable SCPs on the organization root: aws organizations enable-policy-type --root-id <r-...> "
        "--policy-type SERVICE_CONTROL_POLICY.",
        'Create an SCP with {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": '
        '{"ArnLike": {"aws:PrincipalArn": "arn:*:iam::*:root"}}} (the `*` partition also covers aws-us-gov and '
        "aws-cn) and attach it to the root or to every OU.",
        "Keep the condition on aws:PrincipalArn only: any other condition (region, MFA, tags) leaves root "
        "usable; NotAction leaves the listed actions open.",
    ),
    references=(
        "CIS AWS Foundations Benchmark v7.0.0 1.1 (centralized root access and guardrails)",
        "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html",
        "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html",
    ),
)
def root_scp_deny(ctx: CheckContext) -> list[Finding]:
    outside = _outside_organization(ctx)
    if outside is not None:
        return [outside]
    if _is_management(ctx):
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_APPLICABLE,
                "This is the organization's management account; SCPs never apply to it.",
                observed_text=f"Account {ctx.account_id} is the organization's management account "
                f"(MasterAccountId {_management_id(ctx) or 'not stated; the collector marked it'}).",
                observed={"management_account": True},
            )
        ]
    roots_table = ctx.table("org_roots")
    refs = [EvidenceRef(s) for s in roots_table.sources]
    scp_types = {
        r.get("Id"): [
            t.get("Status")
            for t in r.get("PolicyTypes") or []
            if isinstance(t, dict) and t.get("Type") == "SERVICE_CONTROL_POLICY"
        ]
        for r in roots_table.data
    }
    if not any("ENABLED" in statuses for statuses in scp_types.values()):
        return [
            ctx.finding(
                ctx.root_arn,
                Status.FAIL,
                f"SCPs are not enabled on the organization root ({', '.join(map(str, scp_types))}), "
                "so no SCP can deny root.",
                observed_text="The organization root lists the SERVICE_CONTROL_POLICY type as "
                + "; ".join(f"{root} {', '.join(map(str, st)) or 'absent'}" for root, st in scp_types.items())
                + ".",
                observed={"scp_policy_type": scp_types},
                evidence=refs,
            )
        ]
    parents_table = ctx.table("org_parents")
    refs += [EvidenceRef(s) for s in parents_table.sources]
    path, broken = _path(parents_table.data, ctx.account_id)
    observed: dict[str, Any] = {"path": [f"{kind} {node}" for node, kind in path]}
    placed = "The account's path in the organization is " + " → ".join(observed["path"])
    if broken:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_ASSESSED,
                f"Not assessed: the account's place in the organization is unknown ({broken}).",
                observed_text=f"{placed}, and goes no further: {broken}.",
                observed=observed,
                evidence=refs,
            )
        ]
    on_path = {node: kind for node, kind in path}
    listed = {p["Id"]: p.get("Name", p["Id"]) for p in ctx.table("scp_list").data if isinstance(p.get("Id"), str)}
    targets_table = ctx.table("scp_targets")
    refs += [EvidenceRef(s) for s in targets_table.sources]
    targets = targets_table.data
    unknown = [
        f"the targets of SCP {pid} were not collected (organizations:ListTargetsForPolicy)"
        for pid in sorted(listed)
        if pid not in targets
    ]
    attached = {pid: [t["TargetId"] for t in ts if t.get("TargetId") in on_path] for pid, ts in targets.items()}
    attached = {pid: where for pid, where in attached.items() if where}
    documents: Documents = ctx.table("scps").data
    verdicts: list[str] = []
    observed["scps_on_path"] = {pid: {"name": listed.get(pid), "attached_to": where} for pid, where in attached.items()}
    for pid, where in sorted(attached.items()):
        name = listed.get(pid, pid)
        if pid not in documents.items:
            unknown.append(f"SCP {name} ({pid}) could not be read ({documents.errors.get(pid, 'not collected')})")
            continue
        source = documents.sources[pid]
        for verdict in denies_root(documents.items[pid]["document"], ctx.root_arn):
            label = f"{name} ({pid}) statement {verdict.sid or verdict.index}"
            if verdict.counts:
                targets_text = ", ".join(f"{on_path[t].lower().replace('_', ' ')} {t}" for t in where)
                return [
                    ctx.finding(
                        ctx.root_arn,
                        Status.PASS,
                        f"SCP {label}, attached to {targets_text}, {verdict.reason}.",
                        observed_text=f"{placed}; SCP {label}, attached to {targets_text}, {verdict.reason}.",
                        observed={**observed, "policy": pid, "statement": verdict.sid or verdict.index},
                        evidence=[*refs, EvidenceRef(source, f"Statement[{verdict.index}]")],
                    )
                ]
            verdicts.append(f"{label}: {verdict.reason}")
    observed["statements_not_counted"] = verdicts
    if unknown:
        return [
            ctx.finding(
                ctx.root_arn,
                Status.NOT_ASSESSED,
                "Not assessed: no readable SCP on the account's path denies root, and " + "; ".join(unknown) + ".",
                observed_text=f"{placed}; {len(attached)} SCP(s) are attached on it and none readable denies root; "
                + "; ".join(unknown)
                + ".",
                observed=observed,
                evidence=refs,
            )
        ]
    if not attached:
        why = "no SCP is attached to the account, its OUs or the root"
    else:
        shown = verdicts[:5] + ([f"and {len(verdicts) - 5} more"] if len(verdicts) > 5 else [])
        why = "no statement of the SCPs on its path denies every action to root (" + "; ".join(shown) + ")"
    return [
        ctx.finding(
            ctx.root_arn,
            Status.FAIL,
            f"Root of this member account is not denied by an SCP: {why}.",
            observed_text=f"{placed}; {why}.",
            observed=observed,
            evidence=refs,
        )
    ]


@check(
    id="root_credentials_centrally_managed",
    title="The organization manages member accounts' root credentials centrally",
    fails_when=(
        "the organization has not enabled centralized root credential management "
        "(`RootCredentialsManagement`); a finding on the management account, members NOT_APPLICABLE"
    ),
    expects="The organization has centralized root credential management (RootCredentialsManagement) enabled",
    severity=Severity.MEDIUM,
    evidence=("organization", "org_features"),
    scope="account",
    rationale=(
        "With centralized root access the management account can remove member accounts' root "
        "passwords, keys and MFA and perform the few root-only tasks through short privileged sessions, "
        "so member root users have no long-term credentials to steal or to look after."
    ),
    remediation=(
        "From the management account: aws organizations enable-aws-service-access --service-principal "
        "iam.amazonaws.com; then aws iam enable-organizations-root-credentials-management (and "
        "enable-organizations-root-sessions).",
        "Remove the root credentials of each member account (IAM console, Root access management).",
    ),
    references=(
        "CIS AWS Foundations Benchmark v7.0.0 1.1 (centralized root access in AWS Organizations)",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html#id_root-user-access-management",
        "https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html",
    ),
)
def root_credentials_centrally_managed(ctx: CheckContext) -> list[Finding]:
    outside = _outside_organization(ctx)
    if outside is not None:
        return [outside]
    if not _is_management(ctx):
        return [
            ctx.finding(
                ctx.account_id,
                Status.NOT_APPLICABLE,
                f"An organization-wide setting, reported on the management account "
                f"({_management_id(ctx) or 'unknown'}).",
                observed_text=f"Account {ctx.account_id} is a member account; the organization's management "
                f"account is {_management_id(ctx) or 'not stated'}.",
                observed={"management_account": _management_id(ctx)},
            )
        ]
    features = ctx.table("org_features")
    enabled = sorted(features.data["EnabledFeatures"])
    observed = {"EnabledFeatures": enabled, "OrganizationId": features.data.get("OrganizationId")}
    refs = [EvidenceRef(s, "EnabledFeatures") for s in features.sources]
    seen = (
        f"ListOrganizationsFeatures gives organization {observed['OrganizationId'] or '(id not stated)'} "
        f"EnabledFeatures: {', '.join(enabled) or 'none'}."
    )
    if "RootCredentialsManagement" in enabled:
        sessions = " and privileged root sessions" if "RootSessions" in enabled else ""
        return [
            ctx.finding(
                ctx.account_id,
                Status.PASS,
                f"Centralized root credential management{sessions} is enabled for the organization.",
                observed_text=seen,
                observed=observed,
                evidence=refs,
            )
        ]
    return [
        ctx.finding(
            ctx.account_id,
            Status.FAIL,
            f"Centralized root credential management is not enabled (EnabledFeatures: {', '.join(enabled) or 'none'}).",
            observed_text=seen,
            observed=observed,
            evidence=refs,
        )
    ]
