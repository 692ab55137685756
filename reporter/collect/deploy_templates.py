"""Deployment templates for the least-privilege audit role the collector assumes in each account.

The role's permissions are `iam_policy.actions(...)`, the one list of what the collector calls,
so a template never grants more (or less) than a collection uses. The trust is the audit
account's root principal (its administrators then decide which of its identities may assume the
role), with an `sts:ExternalId` condition when an external id is given. No ARN here names a
partition: CloudFormation substitutes `${AWS::Partition}` and Terraform reads `aws_partition`, so
the same template deploys in GovCloud and China.

CloudFormation templates are JSON (a subset of YAML CloudFormation accepts, written
deterministically with sorted lists and no clock).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reporter.collect.iam_policy import ASSUME_ROLE, RootEventsKind, actions

# One hour covers a large organization's collection; the collector re-assumes per account.
MAX_SESSION_SECONDS = 3600
STACKSET_NAME = "reporter-audit-role"
DESCRIPTION = "Read-only role that compliance-reporter assumes to collect root-user audit evidence."
TAGS = {"ManagedBy": "compliance-reporter", "Purpose": "root-user-audit-evidence"}

# IAM's own patterns: an account id; sts:ExternalId ([\w+=,.@:/-], 2 to 1224 characters); a role
# name (1 to 64). Validated values cannot break out of a JSON or HCL string literal.
_ACCOUNT = re.compile(r"\d{12}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


class TemplateError(ValueError):
    """An option the template needs is missing or not what IAM accepts."""


@dataclass(frozen=True)
class AuditRole:
    """What a template deploys: the role's name, who may assume it, and for which collection."""

    audit_account: str
    external_id: str | None
    role_name: str
    root_events: RootEventsKind
    # A role of the audit account to trust instead of its root principal (None: the root).
    audit_role: str | None = None


def audit_role(
    audit_account: str | None,
    external_id: str | None,
    role_name: str,
    root_events: RootEventsKind,
    trusted_role: str | None = None,
) -> AuditRole:
    """The role to template, once every input is one IAM accepts (TemplateError otherwise)."""
    if not audit_account:
        raise TemplateError("the templates need --audit-account: the 12-digit account that runs reporter")
    if not _ACCOUNT.fullmatch(audit_account):
        raise TemplateError(f"--audit-account {audit_account!r}: expected a 12-digit AWS account id")
    if external_id is not None and not _EXTERNAL_ID.fullmatch(external_id):
        raise TemplateError(f"--external-id: 2 to 1224 characters of letters, digits and +=,.@:/-_ ({external_id!r})")
    if not _ROLE_NAME.fullmatch(role_name):
        raise TemplateError(f"--role-name {role_name!r}: 1 to 64 characters of letters, digits and +=,.@-_")
    if trusted_role is not None and not _ROLE_NAME.fullmatch(trusted_role):
        raise TemplateError(
            f"--audit-role {trusted_role!r}: a role name of the audit account (letters, digits, +=,.@-_)"
        )
    return AuditRole(audit_account, external_id, role_name, root_events, trusted_role)


def _parameters(role: AuditRole) -> dict[str, Any]:
    return {
        "AuditAccountId": {
            "Type": "String",
            "Description": "The account whose principals run reporter and assume this role.",
            "AllowedPattern": _ACCOUNT.pattern,
            "Default": role.audit_account,
        },
        "ExternalId": {
            "Type": "String",
            "Description": "sts:ExternalId the caller must pass (reporter --external-id); empty: none.",
            "Default": role.external_id or "",
        },
        "AuditRoleName": {
            "Type": "String",
            "Description": "Trust only this role of the audit account; empty: the account's root principal.",
            "AllowedPattern": rf"^$|^{_ROLE_NAME.pattern}$",
            "Default": role.audit_role or "",
        },
        "RoleName": {
            "Type": "String",
            "Description": "The audit role's name (reporter --role-name).",
            "AllowedPattern": _ROLE_NAME.pattern,
            "Default": role.role_name,
        },
    }


def member_template(role: AuditRole) -> dict[str, Any]:
    """The CloudFormation template of the audit role in one account (JSON-ready)."""
    trust_statement = {
        "Sid": "ReporterAuditAccount",
        "Effect": "Allow",
        "Principal": {
            "AWS": {
                "Fn::If": [
                    "HasAuditRole",
                    {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditAccountId}:role/${AuditRoleName}"},
                    {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditAccountId}:root"},
                ]
            }
        },
        "Action": ASSUME_ROLE.action,
        "Condition": {
            "Fn::If": [
                "HasExternalId",
                {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                {"Ref": "AWS::NoValue"},
            ]
        },
    }
    evidence = {"Sid": "ReporterReadEvidence", "Effect": "Allow", "Action": actions(role.root_events), "Resource": "*"}
    resource = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": {"Ref": "RoleName"},
            "Description": DESCRIPTION,
            "MaxSessionDuration": MAX_SESSION_SECONDS,
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust_statement]},
            "Policies": [
                {
                    "PolicyName": "ReporterReadEvidence",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [evidence]},
                }
            ],
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(TAGS.items())],
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{DESCRIPTION} Permissions: reporter iam-policy --root-events {role.root_events}.",
        "Parameters": _parameters(role),
        "Conditions": {
            "HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]},
            "HasAuditRole": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AuditRoleName"}, ""]}]},
        },
        "Resources": {"ReporterAuditRole": resource},
        "Outputs": {
            "RoleArn": {"Description": "reporter's audit role", "Value": {"Fn::GetAtt": ["ReporterAuditRole", "Arn"]}}
        },
    }


def stackset_template(role: AuditRole) -> dict[str, Any]:
    """The management (or delegated administrator) account's template: a SERVICE_MANAGED
    StackSet deploying `member_template` to every account of the given OUs (or the root), and
    to accounts that join them later. StackSets never deploy to the management account itself:
    it needs the member template as a stack of its own."""
    member = member_template(role)
    parameters = _parameters(role)
    parameters["OrganizationalUnitIds"] = {
        "Type": "CommaDelimitedList",
        "Description": "The organization root id (r-...) for every account, or OU ids (ou-...).",
        "AllowedPattern": r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$",
    }
    parameters["CallAs"] = {
        "Type": "String",
        "Description": "SELF in the management account, DELEGATED_ADMIN in a delegated administrator.",
        "AllowedValues": ["SELF", "DELEGATED_ADMIN"],
        "Default": "SELF",
    }
    stackset = {
        "Type": "AWS::CloudFormation::StackSet",
        "Properties": {
            "StackSetName": STACKSET_NAME,
            "Description": DESCRIPTION,
            "PermissionModel": "SERVICE_MANAGED",
            "CallAs": {"Ref": "CallAs"},
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "ManagedExecution": {"Active": True},
            "OperationPreferences": {"FailureTolerancePercentage": 0, "MaxConcurrentPercentage": 25},
            "Parameters": [
                {"ParameterKey": key, "ParameterValue": {"Ref": key}}
                for key in ("AuditAccountId", "AuditRoleName", "ExternalId", "RoleName")
            ],
            # IAM is global: one region per account is the whole deployment.
            "StackInstancesGroup": [
                {
                    "DeploymentTargets": {"OrganizationalUnitIds": {"Ref": "OrganizationalUnitIds"}},
                    "Regions": [{"Ref": "AWS::Region"}],
                }
            ],
            "TemplateBody": json.dumps(member, sort_keys=True, separators=(",", ":")),
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(TAGS.items())],
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"StackSet: {DESCRIPTION}",
        "Parameters": parameters,
        "Resources": {"ReporterAuditRoleStackSet": stackset},
        "Outputs": {"StackSetId": {"Description": "the StackSet", "Value": {"Ref": "ReporterAuditRoleStackSet"}}},
    }


def cloudformation(template: dict[str, Any]) -> str:
    """A template as the JSON text `reporter iam-policy` prints (stable bytes)."""
    return json.dumps(template, indent=2) + "\n"
