"""AWS Organizations evidence, asked of the management (or a delegated administrator) account."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reporter.collect.context import Context, Failure, all_pages, without_metadata

SCP = "SERVICE_CONTROL_POLICY"


@dataclass(frozen=True)
class OrganizationInfo:
    organization_id: str | None = None
    management_account: str | None = None
    account_names: dict[str, str] = field(default_factory=dict)
    active_accounts: tuple[str, ...] = ()
    listed: bool = False  # ListAccounts answered


def describe_organization(ctx: Context, answer: dict[str, Any] | Failure) -> OrganizationInfo:
    """Write organization.json from DescribeOrganization's `answer` (asked before the writer
    existed, since the manifest header carries the organization id).

    Not being in an organization (AWSOrganizationsNotInUseException) is an error artifact: evidence.
    """
    api = "organizations:DescribeOrganization"
    if isinstance(answer, Failure):
        ctx.error(answer, api=api, region=ctx.home_region)
        return OrganizationInfo()
    body = without_metadata(answer)
    ctx.json("organization/organization.json", body, api=api, region=ctx.home_region)
    org = body["Organization"]
    return OrganizationInfo(organization_id=org.get("Id"), management_account=org.get("MasterAccountId"))


def list_accounts(ctx: Context, info: OrganizationInfo) -> OrganizationInfo:
    orgs = ctx.client("organizations")
    answer = ctx.fetch_json("organization/accounts.json",
                            lambda: {"Accounts": all_pages(orgs, "list_accounts", "Accounts")},
                            api="organizations:ListAccounts", region=ctx.home_region)
    if isinstance(answer, Failure):
        return info
    accounts = answer["Accounts"]
    # `State` replaces the deprecated `Status` (both present until September 2026 on AWS).
    active = tuple(sorted(a["Id"] for a in accounts if (a.get("State") or a.get("Status")) == "ACTIVE"))
    return OrganizationInfo(info.organization_id, info.management_account,
                            {a["Id"]: a.get("Name", "") for a in accounts}, active, listed=True)


def collect_structure(ctx: Context, accounts: list[str]) -> None:
    """Roots, OUs, every account's and OU's parents, SCPs with content and targets, root features."""
    orgs = ctx.client("organizations")
    home = ctx.home_region
    roots = ctx.fetch_json("organization/roots.json", lambda: {"Roots": all_pages(orgs, "list_roots", "Roots")},
                           api="organizations:ListRoots", region=home)
    ous: list[dict[str, Any]] = []
    if not isinstance(roots, Failure):
        ous = _organizational_units(ctx, [r["Id"] for r in roots["Roots"]])
    _parents(ctx, accounts + [ou["Id"] for ou in ous])
    _policies(ctx)
    iam = ctx.client("iam")
    ctx.fetch_json("organization/features.json", lambda: without_metadata(iam.list_organizations_features()),
                   api="iam:ListOrganizationsFeatures", region=home)


def _organizational_units(ctx: Context, root_ids: list[str]) -> list[dict[str, Any]]:
    """Walk the OU tree breadth-first from the roots."""
    api = "organizations:ListOrganizationalUnitsForParent"
    orgs = ctx.client("organizations")
    found: list[dict[str, Any]] = []
    pending, failed = list(root_ids), False
    while pending:
        parent = pending.pop(0)
        children = ctx.attempt(lambda p=parent: all_pages(orgs, "list_organizational_units_for_parent",
                                                          "OrganizationalUnits", ParentId=p))
        if isinstance(children, Failure):
            ctx.error(children, api=api, region=ctx.home_region, params={"ParentId": parent})
            failed = True
            continue
        found.extend(children)
        pending.extend(ou["Id"] for ou in children)
    if found or not failed:
        ctx.json("organization/organizational_units.json", {"OrganizationalUnits": found}, api=api,
                 region=ctx.home_region)
    return found


def _parents(ctx: Context, children: list[str]) -> None:
    api = "organizations:ListParents"
    orgs = ctx.client("organizations")
    parents: dict[str, Any] = {}
    for child in children:
        answer = ctx.attempt(lambda c=child: all_pages(orgs, "list_parents", "Parents", ChildId=c))
        if isinstance(answer, Failure):
            ctx.error(answer, api=api, region=ctx.home_region, params={"ChildId": child})
        else:
            parents[child] = answer
    if parents or not children:
        ctx.json("organization/parents.json", {"Parents": parents}, api=api, region=ctx.home_region)


def _policies(ctx: Context) -> None:
    orgs = ctx.client("organizations")
    home = ctx.home_region
    listed = ctx.fetch_json("organization/policies.json",
                            lambda: {"Policies": all_pages(orgs, "list_policies", "Policies", Filter=SCP)},
                            api="organizations:ListPolicies", region=home, params={"Filter": SCP})
    if isinstance(listed, Failure):
        return
    ids = [p["Id"] for p in listed["Policies"]]
    targets: dict[str, Any] = {}
    for policy_id in ids:
        ctx.fetch_json(f"organization/scps/{policy_id}.json",
                       lambda p=policy_id: without_metadata(orgs.describe_policy(PolicyId=p)),
                       api="organizations:DescribePolicy", region=home, params={"PolicyId": policy_id})
        answer = ctx.attempt(lambda p=policy_id: all_pages(orgs, "list_targets_for_policy", "Targets", PolicyId=p))
        if isinstance(answer, Failure):
            ctx.error(answer, api="organizations:ListTargetsForPolicy", region=home,
                      params={"PolicyIds": [policy_id]})
        else:
            targets[policy_id] = answer
    if targets or not ids:
        ctx.json("organization/policy_targets.json", {"Targets": targets}, api="organizations:ListTargetsForPolicy",
                 region=home, params={"PolicyIds": sorted(targets)})
