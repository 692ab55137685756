"""root_scp_deny and root_credentials_centrally_managed, and organization evidence loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from factory import ACCOUNT, AccountSpec, OrgSpec, checked, monitored, write_snapshot

from reporter.checks.finding import Finding
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.evidence.tables import (
    ORG_TABLE_NAMES,
    EvidenceTable,
    load_evidence,
    load_organization,
)

MEMBER = "210987654321"
OU, CHILD_OU = "ou-ex12-prod0001", "ou-ex12-apps0001"
DENY_ROOT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "DenyRootUser",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}},
        },
    ],
}
NOT_ACTION: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyRootMostly",
            "Effect": "Deny",
            "NotAction": ["iam:CreateVirtualMFADevice"],
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
        }
    ],
}


def org(**changes: Any) -> OrgSpec:
    base = OrgSpec(
        accounts=[ACCOUNT, MEMBER],
        ous={OU: "r-ex12", CHILD_OU: OU},
        parents={MEMBER: CHILD_OU},
        policies={"p-denyroot1": ("deny-root", DENY_ROOT)},
        targets={"p-denyroot1": [OU]},
        features=["RootCredentialsManagement", "RootSessions"],
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def findings(tmp_path: Path, organization: OrgSpec, *accounts: AccountSpec) -> list[Finding]:
    accounts = accounts or (AccountSpec(is_management=True), AccountSpec(id=MEMBER))
    return checked(write_snapshot(tmp_path / "snap", *accounts, organization=organization)).findings


def one(found: list[Finding], check_id: str, account: str) -> Finding:
    [f] = [f for f in found if f.check_id == check_id and f.account_id == account]
    return f


def test_scp_at_ou_level_with_arnlike_passes(tmp_path: Path) -> None:
    found = findings(tmp_path, org())
    f = one(found, "root_scp_deny", MEMBER)
    assert f.status is Status.PASS, f.reason
    assert f.resource == f"arn:aws:iam::{MEMBER}:root"
    assert "deny-root (p-denyroot1) statement DenyRootUser" in f.reason and f"organizational unit {OU}" in f.reason
    assert f.observed["path"] == [
        f"ACCOUNT {MEMBER}",
        f"ORGANIZATIONAL_UNIT {CHILD_OU}",
        f"ORGANIZATIONAL_UNIT {OU}",
        "ROOT r-ex12",
    ]
    assert any(ref.row == "Statement[1]" for ref in f.evidence)


def test_management_account_is_not_applicable(tmp_path: Path) -> None:
    f = one(findings(tmp_path, org()), "root_scp_deny", ACCOUNT)
    assert f.status is Status.NOT_APPLICABLE and "SCPs never apply" in f.reason


@pytest.mark.parametrize(
    "changes, status, words",
    [
        (
            {"policies": {"p-notact01": ("deny-root-mostly", NOT_ACTION)}, "targets": {"p-notact01": ["r-ex12"]}},
            Status.FAIL,
            "NotAction",
        ),
        ({"scp_enabled": False}, Status.FAIL, "SCPs are not enabled on the organization root"),
        ({"targets": {"p-denyroot1": ["ou-elsewhere1"]}}, Status.FAIL, "no SCP is attached"),
        (
            {"policies": {"p-denyroot1": ("deny-root", "{not json")}},
            Status.NOT_ASSESSED,
            "Policy.Content: policy content is not valid JSON",
        ),
        (
            {"parents": {}, "accounts": [ACCOUNT]},
            Status.NOT_ASSESSED,
            f"{MEMBER} is in no successful organizations:ListChildren listing",
        ),
        (
            {"parents": {}, "accounts": [ACCOUNT], "tree": "parents"},
            Status.NOT_ASSESSED,
            f"ListParents has no parent for {MEMBER}",
        ),
    ],
)
def test_scp_failures(tmp_path: Path, changes: dict, status: Status, words: str) -> None:
    f = one(findings(tmp_path, org(**changes)), "root_scp_deny", MEMBER)
    assert f.status is status and words in f.reason, f.reason


def test_a_good_scp_stands_beside_an_unreadable_one(tmp_path: Path) -> None:
    policies = {"p-denyroot1": ("deny-root", DENY_ROOT), "p-broken01": ("broken", "{")}
    spec = org(policies=policies, targets={"p-denyroot1": [OU], "p-broken01": ["r-ex12"]})
    report = checked(
        write_snapshot(tmp_path / "snap", AccountSpec(is_management=True), AccountSpec(id=MEMBER), organization=spec)
    )
    assert one(report.findings, "root_scp_deny", MEMBER).status is Status.PASS
    assert [p.file for p in report.problems] == ["organization/scps/p-broken01.json"]


def test_describe_policy_refused_is_not_assessed(tmp_path: Path) -> None:
    # listed and attached, but DescribePolicy left only an error artifact
    spec = org(
        policies={},
        errors=[
            ("organizations:DescribePolicy", {"PolicyId": "p-denyroot1"}, "AccessDeniedException", "not authorized")
        ],
        raw={
            "policies.json": b'{"Policies": [{"Id": "p-denyroot1", "Name": "deny-root"}]}',
            "policy_targets.json": b'{"Targets": {"p-denyroot1": [{"TargetId": "%s"}]}}' % OU.encode(),
        },
    )
    f = one(findings(tmp_path, spec), "root_scp_deny", MEMBER)
    assert f.status is Status.NOT_ASSESSED and "AccessDeniedException" in f.reason, f.reason


@pytest.mark.parametrize(
    "features, status",
    [
        (["RootCredentialsManagement", "RootSessions"], Status.PASS),
        (["RootSessions"], Status.FAIL),
        ([], Status.FAIL),
    ],
)
def test_centralized_root_on_off(tmp_path: Path, features: list[str], status: Status) -> None:
    found = findings(tmp_path, org(features=features))
    assert one(found, "root_credentials_centrally_managed", ACCOUNT).status is status
    member = one(found, "root_credentials_centrally_managed", MEMBER)
    assert member.status is Status.NOT_APPLICABLE and ACCOUNT in member.reason


def test_centralized_root_features_unreadable_or_refused(tmp_path: Path) -> None:
    f = one(
        findings(tmp_path / "a", org(raw={"features.json": b'{"EnabledFeatures": "all"}'})),
        "root_credentials_centrally_managed",
        ACCOUNT,
    )
    assert f.status is Status.NOT_ASSESSED and "EnabledFeatures is not a list" in f.reason
    f = one(
        findings(
            tmp_path / "b",
            org(
                features=None,
                errors=[
                    (
                        "iam:ListOrganizationsFeatures",
                        {},
                        "ServiceAccessNotEnabledException",
                        "trusted access not enabled",
                    )
                ],
            ),
        ),
        "root_credentials_centrally_managed",
        ACCOUNT,
    )
    assert f.status is Status.NOT_ASSESSED and "ServiceAccessNotEnabledException" in f.reason


def test_not_in_an_organization(tmp_path: Path) -> None:
    found = findings(tmp_path, OrgSpec(not_in_use=True), AccountSpec())
    for check_id in ("root_scp_deny", "root_credentials_centrally_managed"):
        f = one(found, check_id, ACCOUNT)
        assert f.status is Status.NOT_APPLICABLE and "AWSOrganizationsNotInUseException" in f.reason


def test_snapshot_without_organization_evidence_is_not_assessed(tmp_path: Path) -> None:
    found = checked(write_snapshot(tmp_path / "snap", AccountSpec())).findings
    f = one(found, "root_scp_deny", ACCOUNT)
    assert f.status is Status.NOT_ASSESSED and "DescribeOrganization was not collected for the organization" in f.reason


def test_organization_tables_are_loaded_once_and_shared(tmp_path: Path) -> None:
    snap = write_snapshot(
        tmp_path / "snap", AccountSpec(is_management=True), AccountSpec(id=MEMBER), organization=org()
    )
    first, second = load_evidence(snap)
    for name in ORG_TABLE_NAMES:
        assert isinstance(first.tables[name], EvidenceTable), name
        assert first.tables[name] is second.tables[name]
    assert first.period_start is not None and str(first.period_end.date()) == "2026-11-01"


def test_assume_role_refused_account_is_not_assessed_everywhere_it_is_read(tmp_path: Path) -> None:
    refused = AccountSpec(
        id=MEMBER, assume_role_error=("AccessDenied", f"User is not authorized to perform sts:AssumeRole on {MEMBER}")
    )
    found = findings(tmp_path, org(), monitored(is_management=True), refused)
    member = [f for f in found if f.account_id == MEMBER]
    assert {f.check_id for f in member} == set(CHECKS)
    org_level = {"root_scp_deny", "root_credentials_centrally_managed"}
    for f in member:
        if f.check_id in org_level:
            continue  # evidence from the management account, not from the refused role
        assert f.status is Status.NOT_ASSESSED, f
        assert "sts:AssumeRole failed: AccessDenied" in f.reason and "nothing could be collected" in f.reason, f
    # Organization-level evidence still speaks for the account: its SCPs come from the management account.
    assert one(found, "root_scp_deny", MEMBER).status is Status.PASS
    assert one(found, "root_credentials_centrally_managed", MEMBER).status is Status.NOT_APPLICABLE
    assert one(found, "root_usage_alerting", ACCOUNT).status is Status.PASS


# ---------------------------------------------------------------- the tree: ListChildren, or ListParents before

SIBLING, ROOTED = "333344445555", "444455556666"  # directly under OU, directly under the root


def tree_org(**changes: Any) -> OrgSpec:
    """Nested OUs, an account at every level; the deny-root SCP on OU (so not on the root)."""
    return org(accounts=[ACCOUNT, MEMBER, SIBLING, ROOTED], parents={MEMBER: CHILD_OU, SIBLING: OU}, **changes)


def tree_accounts() -> tuple[AccountSpec, ...]:
    return (AccountSpec(is_management=True), *(AccountSpec(id=a) for a in (MEMBER, SIBLING, ROOTED)))


def scp_findings(tmp_path: Path, spec: OrgSpec) -> dict[str, Finding]:
    return {f.account_id: f for f in findings(tmp_path, spec, *tree_accounts()) if f.check_id == "root_scp_deny"}


def test_children_and_parents_evidence_give_the_same_tree_and_findings(tmp_path: Path) -> None:
    trees, verdicts = {}, {}
    for kind in ("children", "parents"):
        snap = write_snapshot(tmp_path / kind, *tree_accounts(), organization=tree_org(tree=kind))
        table = load_organization(snap)["org_parents"]
        assert isinstance(table, EvidenceTable) and table.complete, table
        trees[kind] = table.data.parents
        verdicts[kind] = {
            a: (f.status, f.reason, f.observed)
            for a, f in scp_findings(tmp_path / f"r-{kind}", tree_org(tree=kind)).items()
        }
    assert trees["children"] == trees["parents"]
    assert trees["children"][MEMBER] == [{"Id": CHILD_OU, "Type": "ORGANIZATIONAL_UNIT"}]
    assert trees["children"][CHILD_OU] == [{"Id": OU, "Type": "ORGANIZATIONAL_UNIT"}]
    assert trees["children"][OU] == [{"Id": "r-ex12", "Type": "ROOT"}]
    assert verdicts["children"] == verdicts["parents"]
    assert {a: v[0] for a, v in verdicts["children"].items()} == {
        ACCOUNT: Status.NOT_APPLICABLE,
        MEMBER: Status.PASS,
        SIBLING: Status.PASS,
        ROOTED: Status.FAIL,
    }


def test_a_failed_listing_leaves_only_its_accounts_not_assessed(tmp_path: Path) -> None:
    refused = ("AccessDeniedException", "You don't have permissions to access this resource.")
    found = scp_findings(tmp_path, tree_org(children_errors={CHILD_OU: refused}))
    member = found[MEMBER]
    assert member.status is Status.NOT_ASSESSED
    assert (
        f"{MEMBER} is in no successful organizations:ListChildren listing; failed listings: "
        f"organizations:ListChildren of {CHILD_OU} failed: AccessDeniedException"
    ) in member.reason, member.reason
    assert "organization/children.json" in {ref.path for ref in member.evidence}
    # found under listings that succeeded: assessed as if nothing had failed
    assert found[SIBLING].status is Status.PASS and found[ROOTED].status is Status.FAIL
    assert found[ACCOUNT].status is Status.NOT_APPLICABLE


def test_a_failed_ou_walk_leaves_the_accounts_below_it_not_assessed(tmp_path: Path) -> None:
    # ListOrganizationalUnitsForParent(OU) failed: CHILD_OU was never found, so never listed.
    walk = {"OrganizationalUnits": {"r-ex12": [{"Id": OU, "Name": OU}]}}
    children = {
        "Children": {
            "r-ex12": [{"Id": ACCOUNT, "Type": "ACCOUNT"}, {"Id": ROOTED, "Type": "ACCOUNT"}],
            OU: [{"Id": SIBLING, "Type": "ACCOUNT"}],
        }
    }
    spec = tree_org(
        raw={"organizational_units.json": orjson.dumps(walk), "children.json": orjson.dumps(children)},
        errors=[
            (
                "organizations:ListOrganizationalUnitsForParent",
                {"ParentId": OU},
                "TooManyRequestsException",
                "AWS Organizations can't complete your request because of too many requests.",
            )
        ],
    )
    found = scp_findings(tmp_path, spec)
    assert found[MEMBER].status is Status.NOT_ASSESSED
    assert (
        f"organizations:ListOrganizationalUnitsForParent of {OU} failed: TooManyRequestsException"
        in found[MEMBER].reason
    ), found[MEMBER].reason
    assert found[SIBLING].status is Status.PASS and found[ROOTED].status is Status.FAIL


def test_an_account_in_no_listing_is_not_assessed(tmp_path: Path) -> None:
    # ListAccounts has MEMBER; every listing succeeded and none holds it (it moved mid-collection).
    children = {
        "Children": {
            "r-ex12": [{"Id": ACCOUNT, "Type": "ACCOUNT"}, {"Id": ROOTED, "Type": "ACCOUNT"}],
            OU: [{"Id": SIBLING, "Type": "ACCOUNT"}],
            CHILD_OU: [],
        }
    }
    found = scp_findings(tmp_path, tree_org(raw={"children.json": orjson.dumps(children)}))
    member = found[MEMBER]
    assert member.status is Status.NOT_ASSESSED, member.reason
    assert member.reason == (
        "Not assessed: the account's place in the organization is unknown "
        f"({MEMBER} is in no successful organizations:ListChildren listing)."
    )
    assert found[SIBLING].status is Status.PASS and found[ROOTED].status is Status.FAIL


def test_an_account_listed_under_two_parents_is_not_assessed(tmp_path: Path) -> None:
    children = {
        "Children": {
            "r-ex12": [{"Id": ACCOUNT, "Type": "ACCOUNT"}, {"Id": MEMBER, "Type": "ACCOUNT"}],
            OU: [],
            CHILD_OU: [{"Id": MEMBER, "Type": "ACCOUNT"}],
        }
    }
    member = one(findings(tmp_path, org(raw={"children.json": orjson.dumps(children)})), "root_scp_deny", MEMBER)
    assert member.status is Status.NOT_ASSESSED
    assert f"{MEMBER} is listed under 2 parents (r-ex12, {CHILD_OU})" in member.reason, member.reason


def test_no_listing_answered_is_not_assessed(tmp_path: Path) -> None:
    refused = ("AccessDeniedException", "denied")
    spec = tree_org(children_errors=dict.fromkeys(("r-ex12", OU, CHILD_OU), refused))
    found = scp_findings(tmp_path, spec)
    for account in (MEMBER, SIBLING, ROOTED):
        assert found[account].status is Status.NOT_ASSESSED
        assert f"organizations:ListChildren of {OU} failed: AccessDeniedException" in found[account].reason
    # As when every ListParents failed: the tree is missing, and NOT_APPLICABLE needs it complete.
    assert found[ACCOUNT].status is Status.NOT_ASSESSED and "org_parents missing" in found[ACCOUNT].reason


def test_old_snapshot_a_failed_list_parents_still_weakens_every_pass(tmp_path: Path) -> None:
    # Snapshots from before ListChildren are read as they always were: a failed ListParents is a gap
    # of the whole tree, so no account PASSes on it.
    spec = tree_org(tree="parents", errors=[("organizations:ListParents", {"ChildId": ROOTED}, "AccessDenied", "no")])
    found = scp_findings(tmp_path, spec)
    assert found[MEMBER].status is Status.NOT_ASSESSED and "org_parents incomplete" in found[MEMBER].reason
    assert found[ROOTED].status is Status.FAIL
