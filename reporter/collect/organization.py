"""AWS Organizations evidence, asked of the management (or a delegated administrator) account."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from reporter.collect.context import Context, Failure, all_pages, without_metadata

SCP = "SERVICE_CONTROL_POLICY"
ACCOUNT = "ACCOUNT"  # ListChildren's ChildType: OUs come from the OU walk


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


def is_active(account: dict[str, Any]) -> bool:
    # `State` replaces the deprecated `Status` (both present until September 2026 on AWS).
    return (account.get("State") or account.get("Status")) == "ACTIVE"


def list_accounts(
    ctx: Context, info: OrganizationInfo, found: Callable[[list[dict[str, Any]]], None] | None = None
) -> OrganizationInfo:
    """ListAccounts, every page; `found(accounts)` as each page comes in."""
    orgs = ctx.client("organizations")

    def listing() -> dict[str, Any]:
        accounts: list[dict[str, Any]] = []
        for page in orgs.get_paginator("list_accounts").paginate():
            accounts += page.get("Accounts") or []
            if found is not None:
                found(page.get("Accounts") or [])
        return {"Accounts": accounts}

    api, home = "organizations:ListAccounts", ctx.home_region
    answer = ctx.fetch_json("organization/accounts.json", listing, api=api, region=home)
    if isinstance(answer, Failure):
        return info
    accounts = answer["Accounts"]
    return OrganizationInfo(
        info.organization_id,
        info.management_account,
        {a["Id"]: a.get("Name", "") for a in accounts},
        tuple(sorted(a["Id"] for a in accounts if is_active(a))),
        listed=True,
    )


def collect_structure(ctx: Context) -> None:
    """Roots, the OU tree, the accounts under each root and OU, SCPs with content and targets,
    root features.

    One ListChildren per root and OU places every account (1 + #OUs calls instead of a
    ListParents per account and OU: those were on the run's critical path, one after another,
    under a low Organizations throttle). An account that no listing places is the evidence
    layer's to report, from ListAccounts and the listings' error artifacts.
    """
    orgs = ctx.client("organizations")
    home = ctx.home_region
    roots = ctx.fetch_json(
        "organization/roots.json",
        lambda: {"Roots": all_pages(orgs, "list_roots", "Roots")},
        api="organizations:ListRoots",
        region=home,
    )
    if not isinstance(roots, Failure):
        root_ids = [r["Id"] for r in roots["Roots"]]
        ous = _organizational_units(ctx, root_ids)
        _accounts_under(ctx, root_ids + [ou["Id"] for ou in ous])
    _policies(ctx)
    iam = ctx.client("iam")
    ctx.fetch_json(
        "organization/features.json",
        lambda: without_metadata(iam.list_organizations_features()),
        api="iam:ListOrganizationsFeatures",
        region=home,
    )


def _organizational_units(ctx: Context, root_ids: list[str]) -> list[dict[str, Any]]:
    """Walk the OU tree breadth-first from the roots; the OUs found, in walk order.

    The artifact keeps each answer under the ParentId asked ({"OrganizationalUnits": {parent:
    [OU, ...]}}): that is every OU's parent, so no ListParents is needed for OUs either.
    """
    api = "organizations:ListOrganizationalUnitsForParent"
    orgs = ctx.client("organizations")
    by_parent: dict[str, list[dict[str, Any]]] = {}
    pending, failed = list(root_ids), False
    while pending:
        parent = pending.pop(0)
        children = ctx.attempt(
            cast(
                "Callable[[], list[Any]]",
                lambda p=parent: all_pages(
                    orgs, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=p
                ),
            )
        )
        if isinstance(children, Failure):
            ctx.error(children, api=api, region=ctx.home_region, params={"ParentId": parent})
            failed = True
            continue
        by_parent[parent] = children
        pending.extend(ou["Id"] for ou in children)
    if by_parent or not failed:
        ctx.json(
            "organization/organizational_units.json",
            {"OrganizationalUnits": by_parent},
            api=api,
            region=ctx.home_region,
        )
    return [ou for found in by_parent.values() for ou in found]


def _accounts_under(ctx: Context, parents: list[str]) -> None:
    """ListChildren(ChildType=ACCOUNT) per root and OU: {"Children": {parent: [child, ...]}}."""
    api = "organizations:ListChildren"
    orgs = ctx.client("organizations")
    children: dict[str, list[dict[str, Any]]] = {}
    for parent in parents:
        answer = ctx.attempt(
            cast(
                "Callable[[], list[Any]]",
                lambda p=parent: all_pages(orgs, "list_children", "Children", ParentId=p, ChildType=ACCOUNT),
            )
        )
        if isinstance(answer, Failure):
            ctx.error(answer, api=api, region=ctx.home_region, params={"ParentId": parent, "ChildType": ACCOUNT})
        else:
            children[parent] = answer
    if children or not parents:
        ctx.json(
            "organization/children.json",
            {"Children": children},
            api=api,
            region=ctx.home_region,
            params={"ChildType": ACCOUNT},
        )


def _policies(ctx: Context) -> None:
    orgs = ctx.client("organizations")
    home = ctx.home_region
    listed = ctx.fetch_json(
        "organization/policies.json",
        lambda: {"Policies": all_pages(orgs, "list_policies", "Policies", Filter=SCP)},
        api="organizations:ListPolicies",
        region=home,
        params={"Filter": SCP},
    )
    if isinstance(listed, Failure):
        return
    ids = [p["Id"] for p in listed["Policies"]]
    targets: dict[str, Any] = {}
    for policy_id in ids:
        ctx.fetch_json(
            f"organization/scps/{policy_id}.json",
            cast(
                "Callable[[], dict[str, Any]]", lambda p=policy_id: without_metadata(orgs.describe_policy(PolicyId=p))
            ),
            api="organizations:DescribePolicy",
            region=home,
            params={"PolicyId": policy_id},
        )
        answer = ctx.attempt(
            cast(
                "Callable[[], list[Any]]",
                lambda p=policy_id: all_pages(orgs, "list_targets_for_policy", "Targets", PolicyId=p),
            )
        )
        if isinstance(answer, Failure):
            ctx.error(answer, api="organizations:ListTargetsForPolicy", region=home, params={"PolicyIds": [policy_id]})
        else:
            targets[policy_id] = answer
    if targets or not ids:
        ctx.json(
            "organization/policy_targets.json",
            {"Targets": targets},
            api="organizations:ListTargetsForPolicy",
            region=home,
            params={"PolicyIds": sorted(targets)},
        )
