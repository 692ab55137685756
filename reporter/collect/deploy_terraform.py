"""The audit role as Terraform (`main.tf`): the same role, trust and actions as
`deploy_templates.member_template`, the partition from `data "aws_partition"`.

Strings are written with json.dumps, which HCL reads as the same string; the values are
validated by `deploy_templates.audit_role` first and cannot hold `${` or `%{` templates.
"""

from __future__ import annotations

import json

from reporter.collect.deploy_templates import DESCRIPTION, MAX_SESSION_SECONDS, TAGS, AuditRole
from reporter.collect.iam_policy import ASSUME_ROLE, actions


def _q(text: str) -> str:
    return json.dumps(text)


def main_tf(role: AuditRole) -> str:
    """The Terraform configuration of the audit role in one account."""
    action_lines = "".join(f"      {_q(a)},\n" for a in actions(role.root_events))
    tag_lines = "".join(f"    {k} = {_q(v)}\n" for k, v in sorted(TAGS.items()))
    return f"""# reporter iam-policy --format terraform --root-events {role.root_events}
terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }}
  }}
}}

variable "audit_account_id" {{
  type        = string
  description = "The account whose principals run reporter and assume this role."
  default     = {_q(role.audit_account)}
}}

variable "external_id" {{
  type        = string
  description = "sts:ExternalId the caller must pass (reporter --external-id); empty: none."
  default     = {_q(role.external_id or "")}
}}

variable "audit_role_name" {{
  type        = string
  description = "Trust only this role of the audit account; empty: the account's root principal."
  default     = {_q(role.audit_role or "")}
}}

variable "role_name" {{
  type        = string
  description = "The audit role's name (reporter --role-name)."
  default     = {_q(role.role_name)}
}}

data "aws_partition" "current" {{}}

locals {{
  trusted = var.audit_role_name == "" ? "root" : "role/${{var.audit_role_name}}"
}}

data "aws_iam_policy_document" "trust" {{
  statement {{
    sid     = "ReporterAuditAccount"
    effect  = "Allow"
    actions = [{_q(ASSUME_ROLE.action)}]
    principals {{
      type        = "AWS"
      identifiers = ["arn:${{data.aws_partition.current.partition}}:iam::${{var.audit_account_id}}:${{local.trusted}}"]
    }}
    dynamic "condition" {{
      for_each = var.external_id == "" ? [] : [var.external_id]
      content {{
        test     = "StringEquals"
        variable = "sts:ExternalId"
        values   = [condition.value]
      }}
    }}
  }}
}}

data "aws_iam_policy_document" "evidence" {{
  statement {{
    sid       = "ReporterReadEvidence"
    effect    = "Allow"
    resources = ["*"]
    actions = [
{action_lines}    ]
  }}
}}

resource "aws_iam_role" "reporter_audit" {{
  name                 = var.role_name
  description          = {_q(DESCRIPTION)}
  max_session_duration = {MAX_SESSION_SECONDS}
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  tags = {{
{tag_lines}  }}
}}

resource "aws_iam_role_policy" "reporter_evidence" {{
  name   = "ReporterReadEvidence"
  role   = aws_iam_role.reporter_audit.id
  policy = data.aws_iam_policy_document.evidence.json
}}

output "role_arn" {{
  value = aws_iam_role.reporter_audit.arn
}}
"""
