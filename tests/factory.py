"""Build small snapshots for tests, in the shape the collector writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from reporter.checks.finding import Finding
from reporter.checks.limits import Thresholds
from reporter.checks.runner import run_checks
from reporter.evidence.credential_report import COLUMNS
from reporter.evidence.problems import ParseProblem
from reporter.evidence.tables import load_evidence
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.writer import SnapshotWriter

ACCOUNT = "123456789012"
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
PERIOD = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
# AWS writes the columns in this order; the parser's list is the one source of it.
HEADER = ",".join(COLUMNS)


def cr_row(
    user: str = "<root_account>",
    account: str = ACCOUNT,
    *,
    created: str = "2020-01-01T00:00:00Z",
    password_enabled: str = "true",
    password_last_used: str = "no_information",
    password_last_changed: str = "2024-01-01T00:00:00Z",
    mfa: str = "true",
    key1: tuple[str, str, str] = ("false", "N/A", "N/A"),
    key2: tuple[str, str, str] = ("false", "N/A", "N/A"),
    partition: str = "aws",
) -> str:
    resource = "root" if user == "<root_account>" else f"user/{user}"
    arn = f"arn:{partition}:iam::{account}:{resource}"

    def key(k: tuple[str, str, str]) -> list[str]:
        used = k[2] != "N/A"
        return [k[0], k[1], k[2], "us-east-1" if used else "N/A", "s3" if used else "N/A"]

    return ",".join(
        [
            user,
            arn,
            created,
            password_enabled,
            password_last_used,
            password_last_changed,
            "N/A",
            mfa,
            *key(key1),
            *key(key2),
            "false",
            "N/A",
            "false",
            "N/A",
        ]
    )


def report(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def root_record(
    when: str,
    name: str = "ConsoleLogin",
    *,
    mfa: str | None = "No",
    key: str | None = None,
    invoked_by: str | None = None,
    event_type: str | None = None,
    agent: str = "Mozilla/5.0",
    event_id: str | None = None,
    region: str = "us-east-1",
    account: str = ACCOUNT,
) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }
    if key:
        identity["accessKeyId"] = key
    if invoked_by:
        identity["invokedBy"] = invoked_by
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when,
        "eventSource": "signin.amazonaws.com" if name == "ConsoleLogin" else "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.1",
        "userAgent": agent,
        "eventID": event_id or f"id-{name}-{when}",
        "recipientAccountId": account,
        "eventType": event_type or ("AwsConsoleSignIn" if name == "ConsoleLogin" else "AwsApiCall"),
    }
    if name == "ConsoleLogin":
        record["responseElements"] = {"ConsoleLogin": "Success"}
        if mfa is not None:
            record["additionalEventData"] = {"MFAUsed": mfa}
    return record


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


@dataclass
class AccountSpec:
    id: str = ACCOUNT
    credential_report: bytes | None = field(default_factory=lambda: report(cr_row()))
    credential_report_error: tuple[str, str] | None = None
    summary: dict[str, Any] | None = field(
        default_factory=lambda: {"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}}
    )
    virtual_mfa: list[dict[str, Any]] | None = field(default_factory=list)
    password_policy: dict[str, Any] | None = field(
        default_factory=lambda: {"PasswordPolicy": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}}
    )
    root_events: bytes | None = b""
    lookup_regions: list[str] = field(default_factory=lambda: ["us-east-1"])
    lookup_errors: dict[str, tuple[str, str]] = field(default_factory=dict)
    regions: list[str] = field(default_factory=lambda: ["us-east-1"])
    name: str | None = None
    # Issue #6 evidence; None writes nothing (the snapshot predates it). Any JSON content may be
    # given as bytes to write a malformed artifact exactly as collected.
    is_management: bool = False
    trails: list[dict[str, Any]] | bytes | None = None
    trail_regions: list[str] | None = None  # regions DescribeTrails answered (default: regions)
    trail_status: dict[str, dict[str, Any] | bytes] | None = None  # TrailARN -> GetTrailStatus
    event_selectors: dict[str, dict[str, Any] | bytes] | None = None  # TrailARN -> GetEventSelectors
    metric_filters: dict[str, list[dict[str, Any]] | bytes] | None = None  # region -> metricFilters
    alarms: dict[str, list[dict[str, Any]] | bytes] | None = None  # region -> MetricAlarms
    subscriptions: dict[str, list[dict[str, Any]] | bytes] | None = None  # region -> Subscriptions
    eventbridge: dict[str, dict[str, Any] | bytes] | None = None  # region -> {"Rules", "Targets"}
    # (api, region, params, code, message) error artifacts of this account
    errors: list[tuple[str, str | None, dict[str, Any], str, str]] = field(default_factory=list)
    assume_role_error: tuple[str, str] | None = None  # then nothing else is written for the account


@dataclass
class OrgSpec:
    """organization/*.json as the collector writes them (management account's view)."""

    id: str = "o-exampleorgid"
    management: str = ACCOUNT
    not_in_use: bool = False  # DescribeOrganization -> AWSOrganizationsNotInUseException
    accounts: list[str] = field(default_factory=lambda: [ACCOUNT])
    scp_enabled: bool = True
    ous: dict[str, str] = field(default_factory=dict)  # OU id -> parent id (root or OU)
    parents: dict[str, str] = field(default_factory=dict)  # account id -> parent id (default: the root)
    policies: dict[str, tuple[str, str | dict[str, Any]]] = field(default_factory=dict)  # id -> (name, content)
    targets: dict[str, list[str]] = field(default_factory=dict)  # policy id -> target ids
    features: list[str] | None = field(default_factory=list)
    root_id: str = "r-ex12"
    # How the tree is stored: "children" (ListChildren per root and OU + the OU walk by parent, as
    # the collector writes it) or "parents" (ListParents per account and OU: earlier snapshots).
    tree: str = "children"
    children_errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # parent -> ListChildren (code, msg)
    raw: dict[str, bytes] = field(default_factory=dict)  # organization/<name> -> bytes, replaces the JSON
    errors: list[tuple[str, dict[str, Any], str, str]] = field(default_factory=list)  # (api, params, code, msg)


def _arn_hash(arn: str) -> str:
    return hashlib.sha256(arn.encode()).hexdigest()[:16]


def _put(writer: SnapshotWriter, path: str, content: Any, **meta: Any) -> None:
    if isinstance(content, bytes):
        writer.add_bytes(path, content, **meta)
    else:
        writer.add_json(path, content, **meta)


def _node_type(node: str) -> str:
    return "ROOT" if node.startswith("r-") else "ORGANIZATIONAL_UNIT" if node.startswith("ou-") else "ACCOUNT"


def _tree(org: OrgSpec) -> dict[str, tuple[str, dict[str, Any], Any]]:
    """organizational_units.json and the parents' evidence, in the format `org.tree` names."""
    parent_of = {**{a: org.parents.get(a, org.root_id) for a in org.accounts}, **org.ous}
    if org.tree == "parents":
        return {
            "organizational_units.json": (
                "organizations:ListOrganizationalUnitsForParent",
                {},
                {"OrganizationalUnits": [{"Id": ou, "Name": ou} for ou in org.ous]},
            ),
            "parents.json": (
                "organizations:ListParents",
                {},
                {"Parents": {child: [{"Id": p, "Type": _node_type(p)}] for child, p in parent_of.items()}},
            ),
        }
    listed = [org.root_id, *org.ous]  # every root and OU the walk finds, each asked once
    docs: dict[str, tuple[str, dict[str, Any], Any]] = {
        "organizational_units.json": (
            "organizations:ListOrganizationalUnitsForParent",
            {},
            {
                "OrganizationalUnits": {
                    p: [{"Id": ou, "Name": ou} for ou, up in org.ous.items() if up == p] for p in listed
                }
            },
        )
    }
    answered = [p for p in listed if p not in org.children_errors]
    if answered:  # as the collector: no children.json when every listing failed
        docs["children.json"] = (
            "organizations:ListChildren",
            {"ChildType": "ACCOUNT"},
            {
                "Children": {
                    p: [{"Id": a, "Type": "ACCOUNT"} for a in org.accounts if parent_of[a] == p] for p in answered
                }
            },
        )
    return docs


def _write_org(writer: SnapshotWriter, org: OrgSpec, at: datetime) -> None:
    meta: dict[str, Any] = dict(region="us-east-1", collected_at=at)
    if org.not_in_use:
        writer.add_error(
            api="organizations:DescribeOrganization",
            code="AWSOrganizationsNotInUseException",
            message="Your account is not a member of an organization.",
            **meta,
        )
        return
    arn = f"arn:aws:organizations::{org.management}:organization/{org.id}"
    docs: dict[str, tuple[str, dict[str, Any], Any]] = {
        "organization.json": (
            "organizations:DescribeOrganization",
            {},
            {
                "Organization": {
                    "Id": org.id,
                    "Arn": arn,
                    "FeatureSet": "ALL",
                    "MasterAccountId": org.management,
                    "MasterAccountArn": f"arn:aws:organizations::{org.management}:account/{org.id}/{org.management}",
                }
            },
        ),
        "accounts.json": (
            "organizations:ListAccounts",
            {},
            {
                "Accounts": [
                    {
                        "Id": a,
                        "Arn": f"arn:aws:organizations::{org.management}:account/{org.id}/{a}",
                        "Name": f"acct-{a}",
                        "Status": "ACTIVE",
                    }
                    for a in org.accounts
                ]
            },
        ),
        "roots.json": (
            "organizations:ListRoots",
            {},
            {
                "Roots": [
                    {
                        "Id": org.root_id,
                        "Arn": f"arn:aws:organizations::{org.management}:root/{org.id}/{org.root_id}",
                        "Name": "Root",
                        "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
                        if org.scp_enabled
                        else [],
                    }
                ]
            },
        ),
        **_tree(org),
        "policies.json": (
            "organizations:ListPolicies",
            {"Filter": "SERVICE_CONTROL_POLICY"},
            {
                "Policies": [
                    {"Id": pid, "Name": name, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": False}
                    for pid, (name, _) in org.policies.items()
                ]
            },
        ),
        "policy_targets.json": (
            "organizations:ListTargetsForPolicy",
            {"PolicyIds": sorted(org.policies)},
            {
                "Targets": {
                    pid: [{"TargetId": t, "Arn": t, "Name": t, "Type": _node_type(t)} for t in org.targets.get(pid, [])]
                    for pid in org.policies
                }
            },
        ),
    }
    if org.features is not None:
        docs["features.json"] = (
            "iam:ListOrganizationsFeatures",
            {},
            {"OrganizationId": org.id, "EnabledFeatures": org.features},
        )
    for pid, (name, content) in org.policies.items():
        text = content if isinstance(content, str) else orjson.dumps(content).decode()
        docs[f"scps/{pid}.json"] = (
            "organizations:DescribePolicy",
            {"PolicyId": pid},
            {"Policy": {"PolicySummary": {"Id": pid, "Name": name, "Type": "SERVICE_CONTROL_POLICY"}, "Content": text}},
        )
    for name, (api, params, content) in docs.items():
        _put(writer, f"organization/{name}", org.raw.get(name, content), api=api, params=params, **meta)
    for api, params, code, message in org.errors:
        writer.add_error(api=api, params=params, code=code, message=message, **meta)
    for parent, (code, message) in org.children_errors.items():
        writer.add_error(
            api="organizations:ListChildren",
            params={"ParentId": parent, "ChildType": "ACCOUNT"},
            code=code,
            message=message,
            **meta,
        )


def _write_issue6(writer: SnapshotWriter, spec: AccountSpec, at: datetime) -> None:
    base = f"accounts/{spec.id}/"
    meta: dict[str, Any] = dict(account=spec.id, collected_at=at)
    if spec.trails is not None:
        content = spec.trails if isinstance(spec.trails, bytes) else {"trailList": spec.trails}
        _put(
            writer,
            base + "cloudtrail/trails.json",
            content,
            api="cloudtrail:DescribeTrails",
            params={"includeShadowTrails": True, "regions": spec.trail_regions or spec.regions},
            **meta,
        )
    home = {t.get("TrailARN"): t.get("HomeRegion") for t in spec.trails or [] if isinstance(t, dict)}
    for arn, doc in (spec.trail_status or {}).items():
        _put(
            writer,
            base + f"cloudtrail/trail_status/{_arn_hash(arn)}.json",
            doc,
            api="cloudtrail:GetTrailStatus",
            params={"Name": arn},
            region=home.get(arn, "us-east-1"),
            **meta,
        )
    for arn, doc in (spec.event_selectors or {}).items():
        _put(
            writer,
            base + f"cloudtrail/event_selectors/{_arn_hash(arn)}.json",
            doc,
            api="cloudtrail:GetEventSelectors",
            params={"TrailName": arn},
            region=home.get(arn, "us-east-1"),
            **meta,
        )
    for region, filters in (spec.metric_filters or {}).items():
        # as the collector asks: the log groups of the trails that deliver to this region
        groups = sorted(
            {
                t["CloudWatchLogsLogGroupArn"].split(":", 6)[6].removesuffix(":*")
                for t in spec.trails or []
                if isinstance(t, dict)
                and t.get("CloudWatchLogsLogGroupArn")
                and t["CloudWatchLogsLogGroupArn"].split(":")[3] == region
            }
        )
        _put(
            writer,
            base + f"monitoring/{region}/metric_filters.json",
            filters if isinstance(filters, bytes) else {"metricFilters": filters},
            api="logs:DescribeMetricFilters",
            params={"logGroupNames": groups},
            region=region,
            **meta,
        )
    for region, alarms in (spec.alarms or {}).items():
        _put(
            writer,
            base + f"monitoring/{region}/alarms.json",
            alarms if isinstance(alarms, bytes) else {"MetricAlarms": alarms, "CompositeAlarms": []},
            api="cloudwatch:DescribeAlarms",
            region=region,
            **meta,
        )
    for region, subs in (spec.subscriptions or {}).items():
        topics = sorted({s["TopicArn"] for s in subs}) if isinstance(subs, list) else []
        _put(
            writer,
            base + f"monitoring/{region}/sns_subscriptions.json",
            subs if isinstance(subs, bytes) else {"Subscriptions": subs},
            api="sns:ListSubscriptionsByTopic",
            params={"TopicArns": topics},
            region=region,
            **meta,
        )
    for region, rules in (spec.eventbridge or {}).items():
        _put(
            writer,
            base + f"monitoring/{region}/eventbridge_rules.json",
            rules,
            api="events:ListRules",
            params={"EventBusName": "default"},
            region=region,
            **meta,
        )
    for api, region, params, code, message in spec.errors:
        writer.add_error(api=api, code=code, message=message, params=params, region=region, **meta)


def write_snapshot(
    root: Path,
    *accounts: AccountSpec,
    as_of: datetime = AS_OF,
    organization: OrgSpec | None = None,
    period: tuple[datetime, datetime] = PERIOD,
    organization_id: str | None = None,
    previous_manifest_sha256: str | None = None,
    caller_arn: str | None = None,
) -> Snapshot:
    """`organization_id` names the organization when no OrgSpec writes its evidence; `caller_arn`
    (the collector's identity) sets the partition the checks build ARNs in."""
    if organization is not None:
        organization_id = None if organization.not_in_use else organization.id
    writer = SnapshotWriter(
        root,
        tool_version="test",
        period_start=period[0],
        period_end=period[1],
        as_of=as_of,
        organization_id=organization_id,
        previous_manifest_sha256=previous_manifest_sha256,
        caller_arn=caller_arn,
    )
    at = as_of
    if organization is not None:
        _write_org(writer, organization, at)
    for spec in accounts or (AccountSpec(),):
        writer.add_account(spec.id, name=spec.name, regions=spec.regions, is_management=spec.is_management)
        if spec.assume_role_error is not None:
            code, message = spec.assume_role_error
            writer.add_error(
                api="sts:AssumeRole",
                code=code,
                message=message,
                account=spec.id,
                collected_at=at,
                params={
                    "RoleArn": f"arn:aws:iam::{spec.id}:role/OrganizationAccountAccessRole",
                    "RoleSessionName": "reporter",
                },
            )
            continue
        _write_issue6(writer, spec, at)
        base = f"accounts/{spec.id}/"
        meta = dict(account=spec.id, region="us-east-1", collected_at=at)
        if spec.credential_report is not None:
            writer.add_bytes(
                base + "iam/credential_report.csv", spec.credential_report, api="iam:GetCredentialReport", **meta
            )
        if spec.credential_report_error is not None:
            code, message = spec.credential_report_error
            writer.add_error(api="iam:GetCredentialReport", code=code, message=message, **meta)
        if spec.summary is not None:
            writer.add_json(base + "iam/account_summary.json", spec.summary, api="iam:GetAccountSummary", **meta)
        if spec.virtual_mfa is not None:
            writer.add_json(
                base + "iam/virtual_mfa_devices.json",
                {"VirtualMFADevices": spec.virtual_mfa},
                api="iam:ListVirtualMFADevices",
                **meta,
            )
        if spec.password_policy is not None:
            writer.add_json(
                base + "iam/password_policy.json", spec.password_policy, api="iam:GetAccountPasswordPolicy", **meta
            )
        if spec.root_events is not None:
            writer.add_bytes(
                base + "cloudtrail/root_events.jsonl",
                spec.root_events,
                api="cloudtrail:LookupEvents",
                params={"regions": spec.lookup_regions},
                account=spec.id,
                collected_at=at,
            )
        for region, (code, message) in spec.lookup_errors.items():
            writer.add_error(
                api="cloudtrail:LookupEvents",
                code=code,
                message=message,
                account=spec.id,
                region=region,
                collected_at=at,
            )
    writer.finalize(collected_at=at)
    return Snapshot.open(root)


# --- issue #6 evidence builders (modelled on real describe-trails / logs / cloudwatch / sns answers) ---

TRAIL_NAME = "management-events"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{TRAIL_NAME}"
LOG_GROUP = f"aws-cloudtrail-logs-{ACCOUNT}-a73a1250"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:security-alerts"
CIS_ROOT_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
)
ROOT_METRIC = ("CISBenchmark", "RootAccountUsageCount")


def trail(
    name: str = TRAIL_NAME,
    *,
    multi_region: bool = True,
    home: str = "us-east-1",
    log_group: str | None = LOG_GROUP,
    account: str = ACCOUNT,
    partition: str = "aws",
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Name": name,
        "S3BucketName": f"aws-cloudtrail-logs-{account}-0fc557d9",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": multi_region,
        "HomeRegion": home,
        "TrailARN": f"arn:{partition}:cloudtrail:{home}:{account}:trail/{name}",
        "LogFileValidationEnabled": True,
        "HasCustomEventSelectors": False,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": False,
    }
    if log_group:
        doc["CloudWatchLogsLogGroupArn"] = f"arn:{partition}:logs:{home}:{account}:log-group:{log_group}:*"
        doc["CloudWatchLogsRoleArn"] = (
            f"arn:{partition}:iam::{account}:role/service-role/CloudTrailRoleForCloudWatchLogs"
        )
    return doc


def trail_status(
    *, logging: bool = True, start: str | None = "2025-03-01T09:00:00Z", stop: str | None = None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "IsLogging": logging,
        "LatestDeliveryTime": "2026-11-01T05:55:00Z",
        "LatestDigestDeliveryTime": "2026-11-01T05:00:00Z",
    }
    if start:
        doc["StartLoggingTime"] = start
        doc["TimeLoggingStarted"] = start
    if stop:
        doc["StopLoggingTime"] = stop
        doc["TimeLoggingStopped"] = stop
    return doc


def basic_selectors(arn: str = TRAIL_ARN, read_write: str = "All", management: bool = True) -> dict[str, Any]:
    return {
        "TrailARN": arn,
        "EventSelectors": [
            {
                "ReadWriteType": read_write,
                "IncludeManagementEvents": management,
                "DataResources": [],
                "ExcludeManagementEventSources": [],
            }
        ],
    }


def metric_filter(
    pattern: str = CIS_ROOT_PATTERN,
    *,
    name: str = "RootAccountUsage",
    group: str = LOG_GROUP,
    metric: tuple[str, str] = ROOT_METRIC,
) -> dict[str, Any]:
    return {
        "filterName": name,
        "filterPattern": pattern,
        "logGroupName": group,
        "creationTime": 1700000000000,
        "metricTransformations": [{"metricName": metric[1], "metricNamespace": metric[0], "metricValue": "1"}],
    }


def alarm(
    *,
    name: str = "RootAccountUsage",
    metric: tuple[str, str] = ROOT_METRIC,
    topic: str | None = TOPIC,
    actions_enabled: bool = True,
) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{name}",
        "ActionsEnabled": actions_enabled,
        "AlarmActions": [topic] if topic else [],
        "OKActions": [],
        "MetricName": metric[1],
        "Namespace": metric[0],
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "StateValue": "OK",
    }


def subscription(topic: str = TOPIC, *, confirmed: bool = True) -> dict[str, Any]:
    return {
        "SubscriptionArn": f"{topic}:0b7e1f0e-1111-2222-3333-444455556666" if confirmed else "PendingConfirmation",
        "Owner": ACCOUNT,
        "Protocol": "email",
        "Endpoint": "secops@example.com",
        "TopicArn": topic,
    }


def monitored(**changes: Any) -> AccountSpec:
    """An account with a logging multi-region trail and the full CIS root-usage alarm chain."""
    spec = AccountSpec(
        trails=[trail()],
        trail_status={TRAIL_ARN: trail_status()},
        event_selectors={TRAIL_ARN: basic_selectors()},
        metric_filters={"us-east-1": [metric_filter()]},
        alarms={"us-east-1": [alarm()]},
        subscriptions={"us-east-1": [subscription()]},
        eventbridge={"us-east-1": {"Rules": [], "Targets": {}}},
    )
    for key, value in changes.items():
        setattr(spec, key, value)
    return spec


@dataclass(frozen=True)
class Checked:
    """What the checks make of a snapshot: the evidence stage, then the checks stage, nothing after."""

    findings: list[Finding]
    problems: list[ParseProblem]


def checked(snapshot: Snapshot, thresholds: Thresholds | None = None) -> Checked:
    evidence = load_evidence(snapshot)
    findings = run_checks(evidence, pd.Timestamp(snapshot.manifest.as_of), thresholds)
    return Checked(findings, sorted({p for account in evidence for p in account.problems()}))
