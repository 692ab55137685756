"""AWS Organizations evidence: the organization, its tree, its SCPs, its IAM features."""

from __future__ import annotations

from typing import Any

from reporter.evidence.iam_documents import DocumentError
from reporter.evidence.keyed import list_of_objects, load_object
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
parse_ous = _list("OrganizationalUnits")
parse_policies = _list("Policies")


def _id_lists(key: str) -> Any:
    def parse(data: bytes, source: str) -> Parsed:
        mapping = load_object(data, source).get(key)
        if not isinstance(mapping, dict):
            raise DocumentError(f"{source}: no {key} object")
        kept: dict[str, list[dict[str, Any]]] = {}
        problems: list[ParseProblem] = []
        for owner, items in mapping.items():
            if isinstance(items, list) and all(isinstance(i, dict) and isinstance(i.get("Id") or i.get("TargetId"), str)
                                               for i in items):
                kept[owner] = items
            else:
                problems.append(ParseProblem(source, f"{key}.{owner}", "not a list of objects with an Id"))
        return kept, problems
    return parse


parse_parents = _id_lists("Parents")
parse_policy_targets = _id_lists("Targets")


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
