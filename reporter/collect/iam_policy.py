"""The IAM policy the audit role needs: exactly the AWS actions the collector calls.

`COLLECTOR_ACTIONS` is the collector's list of every operation it can call, with when it calls
it. It is not hand-waved: tests/test_iam_policy.py runs the collector against moto with a
recorder on every botocore call and asserts the generated policy lists exactly the actions
called, and that every `api=` name the collector writes into a manifest is in the list. A new
API call in reporter/collect without an entry here fails that test.

Every action is read-only except iam:GenerateCredentialReport, which only (re)builds the
credential report. The member accounts' audit role gets the evidence statement; the identity
that runs `reporter collect` additionally needs sts:AssumeRole on the audit roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

RootEventsKind = Literal["lookup", "s3", "athena"]


@dataclass(frozen=True)
class Action:
    action: str  # IAM action name, service prefix as IAM spells it (cloudwatch, not monitoring)
    when: str  # when the collector calls it (for the README table and the policy's reviewers)
    # The root-event sources that need it; None: every collection.
    sources: tuple[RootEventsKind, ...] | None = None


COLLECTOR_ACTIONS: tuple[Action, ...] = (
    Action("sts:GetCallerIdentity", "once, to identify the caller (always allowed by AWS)"),
    Action("organizations:DescribeOrganization", "once, the organization id for the manifest"),
    Action("organizations:ListAccounts", "--organization, or the caller is the management account"),
    Action("organizations:ListRoots", "organization structure"),
    Action("organizations:ListOrganizationalUnitsForParent", "organization structure, per root and OU"),
    Action("organizations:ListChildren", "organization structure, per root and OU: its accounts"),
    Action("organizations:ListPolicies", "service control policies"),
    Action("organizations:DescribePolicy", "per SCP: its content"),
    Action("organizations:ListTargetsForPolicy", "per SCP: where it is attached"),
    Action("iam:ListOrganizationsFeatures", "centralized root access features (management account)"),
    Action("ec2:DescribeRegions", "per account: the enabled regions"),
    Action("iam:GenerateCredentialReport", "per account: (re)build the credential report (not read-only)"),
    Action("iam:GetCredentialReport", "per account: the credential report"),
    Action("iam:GetAccountSummary", "per account: root MFA and access keys"),
    Action("iam:ListVirtualMFADevices", "per account: is root's MFA virtual"),
    Action("iam:GetAccountPasswordPolicy", "per account: the password policy"),
    Action("cloudtrail:DescribeTrails", "per account and region"),
    Action("cloudtrail:GetTrailStatus", "per trail"),
    Action("cloudtrail:GetEventSelectors", "per trail"),
    Action("cloudtrail:LookupEvents", "per account and region: the period's root events", ("lookup",)),
    Action("logs:DescribeMetricFilters", "per trail log group: CIS root-usage metric filter"),
    Action("cloudwatch:DescribeAlarms", "regions with a trail log group: alarms on the filter"),
    Action("sns:ListSubscriptionsByTopic", "per alarm topic: who is notified"),
    Action("events:ListRules", "per account and region: EventBridge rules of the default bus"),
    Action("events:ListTargetsByRule", "per rule"),
    # --root-events s3: the trail's log files (caller's credentials, the trail bucket).
    Action("s3:ListBucket", "--root-events s3|athena: list the trail's log files", ("s3", "athena")),
    Action("s3:GetObject", "--root-events s3|athena: read log files / Athena results", ("s3", "athena")),
    # --root-events athena: the query, and what Athena does on the caller's behalf.
    Action("athena:StartQueryExecution", "--root-events athena", ("athena",)),
    Action("athena:GetQueryExecution", "--root-events athena", ("athena",)),
    Action("athena:GetQueryResults", "--root-events athena", ("athena",)),
    Action("glue:GetTable", "--root-events athena: the CloudTrail table (on Athena's behalf)", ("athena",)),
    Action("glue:GetDatabase", "--root-events athena (on Athena's behalf)", ("athena",)),
    Action("s3:GetBucketLocation", "--root-events athena (on Athena's behalf)", ("athena",)),
    Action("s3:PutObject", "--root-events athena: query results to the output location", ("athena",)),
)

ASSUME_ROLE = Action("sts:AssumeRole", "the caller, once per account other than its own")


def actions(root_events: RootEventsKind = "lookup") -> list[str]:
    """The evidence actions for a collection with this root-event source, sorted."""
    return sorted({a.action for a in COLLECTOR_ACTIONS if a.sources is None or root_events in a.sources})


def policy_document(
    *, root_events: RootEventsKind = "lookup", role_name: str | None = None, partition: str = "aws"
) -> dict[str, Any]:
    """An IAM policy document (JSON-ready). `role_name`: add the caller's statement allowing
    sts:AssumeRole on that role in every account (the --role-name of `reporter collect`)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReporterReadEvidence",
            "Effect": "Allow",
            "Action": actions(root_events),
            "Resource": "*",
        }
    ]
    if role_name:
        statements.append(
            {
                "Sid": "ReporterAssumeAuditRole",
                "Effect": "Allow",
                "Action": [ASSUME_ROLE.action],
                "Resource": f"arn:{partition}:iam::*:role/{role_name}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


# botocore's endpoint prefix -> IAM's service prefix, where they differ.
_IAM_PREFIX = {"monitoring": "cloudwatch"}


def iam_action(endpoint_prefix: str, operation: str) -> str:
    """The IAM action of a botocore call (`monitoring`, `DescribeAlarms` -> cloudwatch:DescribeAlarms)."""
    return f"{_IAM_PREFIX.get(endpoint_prefix, endpoint_prefix)}:{operation}"


def unknown(called: Iterable[str], root_events: RootEventsKind = "lookup") -> list[str]:
    """Actions called that the policy would not allow (for a pre-flight or a test)."""
    allowed = set(actions(root_events)) | {ASSUME_ROLE.action}
    return sorted(set(called) - allowed)
