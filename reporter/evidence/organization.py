"""AWS Organizations evidence: the organization, its tree, its SCPs, its IAM features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reporter.evidence.iam_documents import DocumentError, load_object
from reporter.evidence.keyed import list_of_objects
from reporter.evidence.problems import ParseProblem
from reporter.evidence.scp import PolicyError, parse_policy

Parsed = tuple[Any, list[ParseProblem]]

# DescribeOrganization's answer for an account outside any organization: evidence, not a failure.
NOT_IN_ORGANIZATION = "AWSOrganizationsNotInUseException"


def parse_organization(data: bytes, source: str) -> Parsed:
    org = load_object(data, source).get("Organization")
    if not isinstance(org, dict) or not isinstance(org.get("Id"), str):
        raise DocumentError(f"{source}: no Organization with an Id")
    return org, []


def _list(key: str) -> Any:
    def parse(data: bytes, source: str) -> Parsed:
        return list_of_objects(load_object(data, source), key, source), []

    return parse


parse_org_accounts = _list("Accounts")
parse_roots = _list("Roots")
parse_policies = _list("Policies")


def _lists_by_owner(doc: dict[str, Any], key: str, source: str) -> Parsed:
    """{owner: [item with an Id, ...]}: one answer per parameter asked (a parent, a policy)."""
    mapping = doc.get(key)
    if not isinstance(mapping, dict):
        raise DocumentError(f"{source}: no {key} object")
    kept: dict[str, list[dict[str, Any]]] = {}
    problems: list[ParseProblem] = []
    for owner, items in mapping.items():
        if isinstance(items, list) and all(
            isinstance(i, dict) and isinstance(i.get("Id") or i.get("TargetId"), str) for i in items
        ):
            kept[owner] = items
        else:
            problems.append(ParseProblem(source, f"{key}.{owner}", "not a list of objects with an Id"))
    return kept, problems


def _id_lists(key: str) -> Any:
    def parse(data: bytes, source: str) -> Parsed:
        return _lists_by_owner(load_object(data, source), key, source)

    return parse


parse_parents = _id_lists("Parents")  # ListParents per child: snapshots before ListChildren
parse_children = _id_lists("Children")  # ListChildren(ACCOUNT) per root and OU
parse_policy_targets = _id_lists("Targets")


def parse_ou_walk(data: bytes, source: str) -> Parsed:
    """ListOrganizationalUnitsForParent: {parent id: [OU, ...]}, each answer under the ParentId asked."""
    doc = load_object(data, source)
    if isinstance(doc.get("OrganizationalUnits"), list):
        raise DocumentError(
            f"{source}: OrganizationalUnits is a flat list (a snapshot from before "
            "ListChildren), which does not say under which parent each OU was listed"
        )
    return _lists_by_owner(doc, "OrganizationalUnits", source)


def parse_ous(data: bytes, source: str) -> Parsed:
    """Every OU found, flat: snapshots before ListChildren stored the walk as one list."""
    doc = load_object(data, source)
    if isinstance(doc.get("OrganizationalUnits"), list):
        return list_of_objects(doc, "OrganizationalUnits", source), []
    by_parent, problems = _lists_by_owner(doc, "OrganizationalUnits", source)
    return [ou for ous in by_parent.values() for ou in ous], problems


def node_type(node_id: str) -> str | None:
    """A parent's type from its id, as the Organizations API patterns fix it ("r-…" a root, "ou-…"
    an OU): ListChildren answers the children's type, not the parent's, which ListParents gave."""
    if node_id.startswith("r-"):
        return "ROOT"
    if node_id.startswith("ou-"):
        return "ORGANIZATIONAL_UNIT"
    return None


LIST_PARENTS = "organizations:ListParents"
LIST_CHILDREN = "organizations:ListChildren"
OU_WALK = "organizations:ListOrganizationalUnitsForParent"


@dataclass(frozen=True)
class OrgTree:
    """Each account's and OU's parents, shaped as ListParents answers them ({child: [{"Id", "Type"}]}),
    whichever calls the snapshot holds; and why a child absent from it may be absent."""

    parents: dict[str, list[dict[str, Any]]]
    # LIST_PARENTS (one answer per child, snapshots before ListChildren) or LIST_CHILDREN (one
    # listing per root and OU, plus the OU walk).
    source_api: str
    # Listings that failed or could not be read: a child found in no other listing may be under
    # one of them, so its place is unknown, not absent.
    failed_listings: tuple[str, ...] = ()

    def why_unplaced(self, child: str) -> str:
        if self.source_api == LIST_PARENTS:
            return f"ListParents has no parent for {child}"  # the words of every earlier report
        api = OU_WALK if child.startswith("ou-") else LIST_CHILDREN
        failed = f"; failed listings: {'; '.join(self.failed_listings)}" if self.failed_listings else ""
        return f"{child} is in no successful {api} listing{failed}"


def tree_from_listings(
    children: dict[str, list[dict[str, Any]]], ou_walk: dict[str, list[dict[str, Any]]], failed_listings: list[str]
) -> OrgTree:
    """The parents map from ListChildren's accounts per parent and the OU walk's OUs per parent."""
    parents: dict[str, list[dict[str, Any]]] = {}
    for listing in (ou_walk, children):
        for parent, found in listing.items():
            for child in found:
                above = parents.setdefault(child["Id"], [])
                if all(p["Id"] != parent for p in above):  # a page served twice is still one parent
                    above.append({"Id": parent, "Type": node_type(parent)})
    return OrgTree(parents, LIST_CHILDREN, tuple(failed_listings))


def parse_scp(data: bytes, source: str) -> Parsed:
    """DescribePolicy: the summary and the policy document, parsed from its Content string."""
    policy = load_object(data, source).get("Policy")
    if not isinstance(policy, dict) or not isinstance(policy.get("Content"), str):
        raise DocumentError(f"{source}: no Policy.Content string")
    try:
        document = parse_policy(policy["Content"])
    except PolicyError as exc:
        raise DocumentError(f"{source}: Policy.Content: {exc}") from None
    summary = policy.get("PolicySummary") if isinstance(policy.get("PolicySummary"), dict) else {}
    return {"summary": summary, "document": document}, []


def parse_features(data: bytes, source: str) -> Parsed:
    doc = load_object(data, source)
    features = doc.get("EnabledFeatures")
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise DocumentError(f"{source}: EnabledFeatures is not a list of names")
    return {"OrganizationId": doc.get("OrganizationId"), "EnabledFeatures": features}, []
