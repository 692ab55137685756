"""The organization walk against moto: one ListChildren per root and OU, no ListParents, and
what a failed listing leaves unassessed (nested OUs, an account at every level)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import moto_gaps
import pytest
from botocore.client import BaseClient
from moto import mock_aws
from moto_world import fixed_clock, no_sleep, options

from reporter.checks.finding import Finding
from reporter.collect import collect
from reporter.core.status import Status
from reporter.evidence.tables import EvidenceTable, load_organization
from reporter.pack.model import build_pack
from reporter.snapshot.reader import Snapshot

DENY_ROOT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
            }
        ],
    }
)


@dataclass
class Tree:
    mgmt: str
    root: str
    ous: dict[str, str]  # name -> OU id: workloads > apps > team, and sandbox beside workloads
    accounts: dict[str, str]  # name -> account id: one under each OU, one under the root


@pytest.fixture(scope="module")
def tree() -> Iterator[Tree]:
    moto_gaps.install()
    moto_gaps.reset()
    with mock_aws():
        orgs = boto3.client("organizations", region_name="us-east-1")
        mgmt = orgs.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
        root = orgs.list_roots()["Roots"][0]["Id"]
        ous: dict[str, str] = {}
        for name, parent in [("workloads", root), ("apps", "workloads"), ("team", "apps"), ("sandbox", root)]:
            ous[name] = orgs.create_organizational_unit(ParentId=ous.get(parent, root), Name=name)[
                "OrganizationalUnit"
            ]["Id"]
        accounts: dict[str, str] = {}
        for name, where in [("w", "workloads"), ("a", "apps"), ("t", "team"), ("s", "sandbox"), ("r", None)]:
            account = orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"][
                "AccountId"
            ]
            if where:
                orgs.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ous[where])
            accounts[name] = account
        orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        scp = orgs.create_policy(Name="deny-root", Type="SERVICE_CONTROL_POLICY", Description="", Content=DENY_ROOT)
        orgs.attach_policy(PolicyId=scp["Policy"]["PolicySummary"]["Id"], TargetId=ous["workloads"])
        yield Tree(mgmt, root, ous, accounts)
    moto_gaps.reset()


@pytest.fixture
def organizations_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every Organizations operation any botocore client makes, with its parameters."""
    called: list[tuple[str, dict[str, Any]]] = []
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "organizations":
            called.append((operation_name, dict(api_params)))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return called


def scp_verdicts(snapshot: Snapshot) -> dict[str, Finding]:
    return {f.account_id: f for f in build_pack(snapshot).findings if f.check_id == "root_scp_deny"}


def test_one_list_children_per_root_and_ou_and_no_list_parents(
    tree: Tree, organizations_calls: list[tuple[str, dict[str, Any]]], tmp_path: Path
) -> None:
    out = tmp_path / "snap"
    summary = collect(options(out, regions=("us-east-1",)), clock=fixed_clock, sleep=no_sleep)
    listings = [params for operation, params in organizations_calls if operation == "ListChildren"]
    assert len(listings) == 1 + len(tree.ous) == summary.calls_by_api["organizations:ListChildren"]
    assert sorted(p["ParentId"] for p in listings) == sorted([tree.root, *tree.ous.values()])
    assert {p["ChildType"] for p in listings} == {"ACCOUNT"}
    assert "ListParents" not in {operation for operation, _ in organizations_calls}
    assert "organizations:ListParents" not in summary.calls_by_api

    snapshot = Snapshot.open(out)
    children = json.loads((out / "organization/children.json").read_text())["Children"]
    assert children[tree.ous["team"]] == [{"Id": tree.accounts["t"], "Type": "ACCOUNT"}]
    walk = json.loads((out / "organization/organizational_units.json").read_text())["OrganizationalUnits"]
    assert [ou["Id"] for ou in walk[tree.ous["apps"]]] == [tree.ous["team"]] and walk[tree.ous["team"]] == []

    # The parents derived from the listings are what ListParents answers for every account and OU.
    orgs = boto3.client("organizations", region_name="us-east-1")
    asked = {
        child: orgs.list_parents(ChildId=child)["Parents"]
        for child in [tree.mgmt, *tree.accounts.values(), *tree.ous.values()]
    }
    table = load_organization(snapshot)["org_parents"]
    assert isinstance(table, EvidenceTable) and table.complete
    assert table.data.parents == asked

    verdicts = scp_verdicts(snapshot)
    assert {name: verdicts[a].status for name, a in tree.accounts.items()} == {
        "w": Status.PASS,
        "a": Status.PASS,
        "t": Status.PASS,
        "s": Status.FAIL,
        "r": Status.FAIL,
    }
    assert verdicts[tree.mgmt].status is Status.NOT_APPLICABLE
    assert verdicts[tree.accounts["t"]].observed["path"] == [
        f"ACCOUNT {tree.accounts['t']}",
        f"ORGANIZATIONAL_UNIT {tree.ous['team']}",
        f"ORGANIZATIONAL_UNIT {tree.ous['apps']}",
        f"ORGANIZATIONAL_UNIT {tree.ous['workloads']}",
        f"ROOT {tree.root}",
    ]


def test_a_refused_listing_leaves_exactly_its_accounts_not_assessed(tree: Tree, tmp_path: Path) -> None:
    apps = tree.ous["apps"]
    moto_gaps.fail(
        tree.mgmt,
        "us-east-1",
        "ListChildren",
        "AccessDeniedException",
        "You don't have permissions to access this resource.",
        params={"ParentId": apps},
    )
    out = tmp_path / "snap"
    try:
        collect(options(out, regions=("us-east-1",)), clock=fixed_clock, sleep=no_sleep)
    finally:
        moto_gaps.unthrottle(tree.mgmt, "us-east-1", "ListChildren")
    snapshot = Snapshot.open(out)
    errors = [a for a in snapshot.manifest.artifacts if a.status == "error"]
    assert [(a.api, a.params, a.account, a.error and a.error.code) for a in errors] == [
        ("organizations:ListChildren", {"ParentId": apps, "ChildType": "ACCOUNT"}, None, "AccessDeniedException")
    ]
    assert apps not in json.loads((out / "organization/children.json").read_text())["Children"]

    verdicts = scp_verdicts(snapshot)
    refused = verdicts[tree.accounts["a"]]
    assert refused.status is Status.NOT_ASSESSED
    assert (
        f"{tree.accounts['a']} is in no successful organizations:ListChildren listing; failed listings: "
        f"organizations:ListChildren of {apps} failed: AccessDeniedException" in refused.reason
    ), refused.reason
    # every other account, also the one in the OU below the refused one, is assessed
    assert {name: verdicts[a].status for name, a in tree.accounts.items() if name != "a"} == {
        "w": Status.PASS,
        "t": Status.PASS,
        "s": Status.FAIL,
        "r": Status.FAIL,
    }
    assert verdicts[tree.mgmt].status is Status.NOT_APPLICABLE
