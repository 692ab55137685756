"""Evidence tables per account, and what is missing from them (so checks can say why)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reporter.core.partition import DEFAULT_PARTITION, root_arn, snapshot_partition
from reporter.evidence.cloudtrail import parse_root_events
from reporter.evidence.credential_report import CredentialReportError, parse_credential_report
from reporter.evidence.iam_documents import (
    DocumentError,
    parse_account_summary,
    parse_password_policy,
    parse_virtual_mfa_devices,
)
from reporter.evidence.keyed import KeyOf, Parse, artifacts_of, describe_error, load_documents
from reporter.evidence.monitoring import parse_alarms, parse_metric_filters, parse_rules, parse_subscriptions
from reporter.evidence.organization import (
    LIST_CHILDREN,
    LIST_PARENTS,
    NOT_IN_ORGANIZATION,
    OU_WALK,
    OrgTree,
    parse_children,
    parse_features,
    parse_org_accounts,
    parse_organization,
    parse_ou_walk,
    parse_ous,
    parse_parents,
    parse_policies,
    parse_policy_targets,
    parse_roots,
    parse_scp,
    tree_from_listings,
)
from reporter.evidence.problems import ParseProblem
from reporter.evidence.trails import parse_event_selectors, parse_trail_status, parse_trails
from reporter.snapshot.manifest import INTERNAL_ERROR_API, Artifact
from reporter.snapshot.reader import ArtifactUnreadable, Snapshot


@dataclass
class EvidenceTable:
    name: str
    data: Any  # a DataFrame, or a dict / None for one-record documents
    sources: list[str]
    problems: list[ParseProblem] = field(default_factory=list)
    # Collection failures that leave the table incomplete (a region whose call failed, a region
    # never covered). Rows present are real; conclusions from absence are not safe.
    gaps: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems and not self.gaps


@dataclass(frozen=True)
class MissingEvidence:
    name: str
    reason: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str
    api: str
    parse: Callable[[bytes, str], tuple[Any, list[ParseProblem]]]
    regional: bool = False
    # Other calls that produce the same artifact (root events read from trail log files or
    # Athena instead of LookupEvents); a snapshot holds one source per account.
    alternatives: tuple[str, ...] = ()

    @property
    def apis(self) -> tuple[str, ...]:
        return (self.api, *self.alternatives)


def _no_problems(parse: Callable[[bytes, str], Any]) -> Callable[[bytes, str], tuple[Any, list[ParseProblem]]]:
    return lambda data, source: (parse(data, source), [])


TABLE_SPECS: tuple[TableSpec, ...] = (
    TableSpec("credential_report", "iam:GetCredentialReport", parse_credential_report),
    TableSpec("account_summary", "iam:GetAccountSummary", _no_problems(parse_account_summary)),
    TableSpec("virtual_mfa_devices", "iam:ListVirtualMFADevices", _no_problems(parse_virtual_mfa_devices)),
    TableSpec("password_policy", "iam:GetAccountPasswordPolicy", _no_problems(parse_password_policy)),
    TableSpec(
        "root_events",
        "cloudtrail:LookupEvents",
        parse_root_events,
        regional=True,
        alternatives=("s3:GetObject", "file:read", "athena:GetQueryResults"),
    ),
    TableSpec("trails", "cloudtrail:DescribeTrails", parse_trails, regional=True),
)


@dataclass(frozen=True)
class KeyedSpec:
    """A table made of many artifacts of one API, each about one key (see keyed.Documents)."""

    name: str
    api: str
    key_of: KeyOf
    parse: Parse


def _param(name: str) -> KeyOf:
    return lambda artifact: value if isinstance(value := artifact.params.get(name), str) else None


def _region(artifact: Artifact) -> str | None:
    return artifact.region


KEYED_SPECS: tuple[KeyedSpec, ...] = (
    KeyedSpec("trail_status", "cloudtrail:GetTrailStatus", _param("Name"), parse_trail_status),
    KeyedSpec("event_selectors", "cloudtrail:GetEventSelectors", _param("TrailName"), parse_event_selectors),
    KeyedSpec("metric_filters", "logs:DescribeMetricFilters", _region, parse_metric_filters),
    KeyedSpec("alarms", "cloudwatch:DescribeAlarms", _region, parse_alarms),
    KeyedSpec("sns_subscriptions", "sns:ListSubscriptionsByTopic", _region, parse_subscriptions),
    KeyedSpec("eventbridge_rules", "events:ListRules", _region, parse_rules),
)

# Organization-level evidence (artifacts with no account): loaded once, shared by every account.
ORG_SPECS: tuple[TableSpec, ...] = (
    TableSpec("organization", "organizations:DescribeOrganization", parse_organization),
    TableSpec("org_accounts", "organizations:ListAccounts", parse_org_accounts),
    TableSpec("org_roots", "organizations:ListRoots", parse_roots),
    TableSpec("org_units", OU_WALK, parse_ous),
    TableSpec("scp_list", "organizations:ListPolicies", parse_policies),
    TableSpec("scp_targets", "organizations:ListTargetsForPolicy", parse_policy_targets),
    TableSpec("org_features", "iam:ListOrganizationsFeatures", parse_features),
)
ORG_KEYED_SPECS: tuple[KeyedSpec, ...] = (
    KeyedSpec("scps", "organizations:DescribePolicy", _param("PolicyId"), parse_scp),
)
# Each account's and OU's parent (an OrgTree), from several artifacts: see _load_org_parents.
ORG_TREE = "org_parents"
_LIST_PARENTS = TableSpec(ORG_TREE, LIST_PARENTS, parse_parents)

ACCOUNT_TABLE_NAMES = tuple(s.name for s in TABLE_SPECS) + tuple(s.name for s in KEYED_SPECS)
ORG_TABLE_NAMES = tuple(s.name for s in ORG_SPECS) + tuple(s.name for s in ORG_KEYED_SPECS) + (ORG_TREE,)
TABLE_NAMES = ACCOUNT_TABLE_NAMES + ORG_TABLE_NAMES
ASSUME_ROLE_API = "sts:AssumeRole"


@dataclass
class AccountEvidence:
    account_id: str
    name: str | None
    is_management: bool
    regions: list[str]
    tables: dict[str, EvidenceTable | MissingEvidence]
    # The month the pack reports on (start inclusive, end exclusive), from the manifest.
    # TODO(checks6): belongs on CheckContext; kept here until the runner passes it.
    period_start: pd.Timestamp | None = None
    period_end: pd.Timestamp | None = None
    partition: str = DEFAULT_PARTITION  # the caller's, so every ARN is built in the account's own

    @property
    def root_arn(self) -> str:
        return root_arn(self.partition, self.account_id)

    def problems(self) -> list[ParseProblem]:
        return [p for t in self.tables.values() if isinstance(t, EvidenceTable) for p in t.problems]


_describe_error = describe_error


# Failures that stop the collection of whole parts: the organization's structure is walked only
# once its description and account list were read.
_ORG_STOPPERS = (INTERNAL_ERROR_API, "organizations:DescribeOrganization", "organizations:ListAccounts")


def _why_not_collected(snapshot: Snapshot, account: str | None) -> str:
    """The failures that kept a part of the collection from being attempted, as " (…)"s."""
    apis = _ORG_STOPPERS if account is None else (INTERNAL_ERROR_API,)
    return "".join(f" ({_describe_error(a)})" for api in apis for a in artifacts_of(snapshot, account, api))


def _load_table(
    snapshot: Snapshot, spec: TableSpec, account: str | None, regions: list[str]
) -> EvidenceTable | MissingEvidence:
    artifacts = [a for api in spec.apis for a in artifacts_of(snapshot, account, api)]
    ok = [a for a in artifacts if a.status == "ok"]
    failed = [a for a in artifacts if a.status == "error"]
    if not ok:
        whom = "this account" if account else "the organization"
        why = _why_not_collected(snapshot, account)
        reason = "; ".join(_describe_error(a) for a in failed) or f"{spec.api} was not collected for {whom}{why}"
        return MissingEvidence(spec.name, reason)
    frames: list[Any] = []
    problems: list[ParseProblem] = []
    for artifact in ok:
        assert artifact.path is not None
        try:
            data, found = spec.parse(snapshot.read(artifact), artifact.path)
        except (ArtifactUnreadable, CredentialReportError, DocumentError, ValueError) as exc:
            return MissingEvidence(spec.name, str(exc), (artifact.path,))
        frames.append(data)
        problems.extend(found)
    if len(frames) == 1:
        data = frames[0]
    elif all(isinstance(f, pd.DataFrame) for f in frames):
        data = pd.concat(frames, ignore_index=True)
    else:
        paths = tuple(a.path for a in ok if a.path)
        return MissingEvidence(
            spec.name,
            f"{len(ok)} artifacts answer {spec.api} for one account "
            f"({', '.join(paths)}); the snapshot does not say which to believe",
            paths,
        )
    gaps = [_describe_error(a) for a in failed]
    if spec.regional:
        covered = {r for a in ok for r in a.params.get("regions", [a.region] if a.region else [])}
        covered |= {a.region for a in failed if a.region}
        source = ok[0].api
        gaps += [f"{source} did not cover region {r}" for r in sorted(set(regions) - covered)]
    return EvidenceTable(spec.name, data, [a.path for a in ok if a.path], problems, gaps)


def _load_keyed(snapshot: Snapshot, spec: KeyedSpec, account: str | None) -> EvidenceTable:
    # Always a table (maybe empty): which keys should be in it (a trail, a region) is known only
    # from other evidence, so the check, not the loader, says when one is absent.
    docs, problems, sources = load_documents(snapshot, account, spec.api, spec.key_of, spec.parse)
    return EvidenceTable(spec.name, docs, sources, problems)


def _failed_listing(artifact: Artifact) -> str:
    error = f": {artifact.error.code}: {artifact.error.message}" if artifact.error else ""
    return f"{artifact.api} of {artifact.params.get('ParentId', 'an unnamed parent')} failed{error}"


_Listing = tuple[dict[str, list[dict[str, Any]]], list[str], list[ParseProblem], list[str]]


def _load_listing(
    snapshot: Snapshot, api: str, parse: Callable[[bytes, str], tuple[Any, list[ParseProblem]]]
) -> _Listing | MissingEvidence:
    """One per-parent listing artifact: (answers by parent, sources, problems, failed listings)."""
    artifacts = artifacts_of(snapshot, None, api)
    ok = [a for a in artifacts if a.status == "ok" and a.path]
    failed = [_failed_listing(a) for a in artifacts if a.status == "error"]
    if len(ok) > 1:
        paths = tuple(a.path for a in ok if a.path)
        return MissingEvidence(
            ORG_TREE,
            f"{len(ok)} artifacts answer {api} ({', '.join(paths)}); the snapshot does not say which to believe",
            paths,
        )
    if not ok:
        return {}, [], [], failed
    path = ok[0].path
    assert path is not None
    try:
        data, problems = parse(snapshot.read(ok[0]), path)
    except (ArtifactUnreadable, DocumentError, ValueError) as exc:
        return MissingEvidence(ORG_TREE, str(exc), (path,))
    return data, [path], problems, failed


def _load_org_parents(snapshot: Snapshot) -> EvidenceTable | MissingEvidence:
    """Every account's and OU's parent, as an OrgTree.

    Since ListChildren: from children.json (accounts per root and OU) and the OU walk (OUs per
    parent). A listing that failed is not a gap of the whole table: it leaves unplaced only the
    accounts it would have held, which the check then names NOT_ASSESSED, while accounts found
    under a listing that succeeded have their whole path in evidence. Snapshots from before hold
    ListParents per child (parents.json), read exactly as they always were.
    """
    if not artifacts_of(snapshot, None, LIST_CHILDREN) and artifacts_of(snapshot, None, LIST_PARENTS):
        old = _load_table(snapshot, _LIST_PARENTS, None, [])
        if isinstance(old, EvidenceTable):
            old.data = OrgTree(old.data, LIST_PARENTS)
        return old
    children = _load_listing(snapshot, LIST_CHILDREN, parse_children)
    if isinstance(children, MissingEvidence):
        return children
    walk = _load_listing(snapshot, OU_WALK, parse_ou_walk)
    if isinstance(walk, MissingEvidence):
        return walk
    by_parent, sources, problems, failed = children
    if not sources:
        why = _why_not_collected(snapshot, None)
        return MissingEvidence(
            ORG_TREE, "; ".join(failed) or f"{LIST_CHILDREN} was not collected for the organization{why}"
        )
    ous, walk_sources, walk_problems, walk_failed = walk
    if not walk_sources and not walk_failed:
        walk_failed = [f"{OU_WALK} was not collected for the organization"]
    problems += walk_problems
    unreadable = [f"{p.file}: {p.location}: {p.reason}" for p in problems]
    tree = tree_from_listings(by_parent, ous, failed + walk_failed + unreadable)
    return EvidenceTable(ORG_TREE, tree, sources + walk_sources, problems)


def _assume_role_failure(snapshot: Snapshot, account_id: str) -> str | None:
    """Why nothing could be collected in this account, when its role could not be assumed."""
    ours = snapshot.artifacts_of(account_id)
    refused = [a for a in ours if a.api == ASSUME_ROLE_API and a.status == "error"]
    if not refused or any(a.status == "ok" for a in ours):
        return None
    return _describe_error(refused[0]) + "; nothing could be collected from this account"


def load_organization(snapshot: Snapshot) -> dict[str, EvidenceTable | MissingEvidence]:
    """The organization-level tables, once for the snapshot.

    Outside an organization (DescribeOrganization answered AWSOrganizationsNotInUseException)
    every organization table is a complete, empty table whose data is None: there is no tree,
    no SCP and no organization feature, and that is a fact, not a gap.
    """
    described = artifacts_of(snapshot, None, "organizations:DescribeOrganization")
    if (
        described
        and all(a.status == "error" for a in described)
        and any(a.error is not None and a.error.code == NOT_IN_ORGANIZATION for a in described)
    ):
        return {name: EvidenceTable(name, None, []) for name in ORG_TABLE_NAMES}
    tables: dict[str, EvidenceTable | MissingEvidence] = {
        spec.name: _load_table(snapshot, spec, None, []) for spec in ORG_SPECS
    }
    for keyed in ORG_KEYED_SPECS:
        tables[keyed.name] = _load_keyed(snapshot, keyed, None)
    tables[ORG_TREE] = _load_org_parents(snapshot)
    return tables


def load_account(
    snapshot: Snapshot, account_id: str, organization: dict[str, EvidenceTable | MissingEvidence] | None = None
) -> AccountEvidence:
    scope = next(a for a in snapshot.manifest.accounts if a.id == account_id)
    refused = _assume_role_failure(snapshot, account_id)
    tables: dict[str, EvidenceTable | MissingEvidence]
    if refused is not None:
        tables = {name: MissingEvidence(name, refused) for name in ACCOUNT_TABLE_NAMES}
    else:
        tables = {spec.name: _load_table(snapshot, spec, account_id, scope.regions) for spec in TABLE_SPECS}
        tables.update({spec.name: _load_keyed(snapshot, spec, account_id) for spec in KEYED_SPECS})
    tables.update(organization if organization is not None else load_organization(snapshot))
    manifest = snapshot.manifest
    return AccountEvidence(
        account_id,
        scope.name,
        scope.is_management,
        scope.regions,
        tables,
        pd.Timestamp(manifest.period_start),
        pd.Timestamp(manifest.period_end),
        snapshot_partition(manifest.caller_arn, scope.regions, _credential_report_arns(tables)),
    )


def _credential_report_arns(tables: dict[str, EvidenceTable | MissingEvidence]) -> list[str]:
    report = tables.get("credential_report")
    if not isinstance(report, EvidenceTable) or report.data is None or "arn" not in report.data:
        return []
    return [str(a) for a in report.data["arn"].head(1)]


def load_evidence(snapshot: Snapshot) -> list[AccountEvidence]:
    organization = load_organization(snapshot)
    return [load_account(snapshot, account.id, organization) for account in snapshot.manifest.accounts]


def table_apis() -> dict[str, tuple[str, ...]]:
    """Each table's name → the calls whose artifacts it is read from (what must succeed for it)."""
    apis: dict[str, tuple[str, ...]] = {s.name: s.apis for s in (*TABLE_SPECS, *ORG_SPECS)}
    apis.update({s.name: (s.api,) for s in (*KEYED_SPECS, *ORG_KEYED_SPECS)})
    apis[ORG_TREE] = (LIST_CHILDREN, OU_WALK, LIST_PARENTS)
    return apis
