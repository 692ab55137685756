"""`reporter iam-policy --format cloudformation|terraform`: the audit role's templates lint clean,
grant exactly the collector's actions, and take the partition from the data."""

from __future__ import annotations

import json
from typing import Any

import hcl2
import pytest
from cfnlint.api import lint
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.collect.iam_policy import ASSUME_ROLE, actions
from reporter.collect.options import DEFAULT_ROLE_NAME

runner = CliRunner()
AUDIT = "111122223333"
SOURCES = ("lookup", "s3", "athena")


def _cli(*args: str) -> str:
    result = runner.invoke(app, ["iam-policy", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _cfn(*args: str) -> dict[str, Any]:
    return json.loads(_cli("--format", "cloudformation", "--audit-account", AUDIT, *args))


def _role(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["ReporterAuditRole"]["Properties"]


@pytest.mark.parametrize("stackset", [False, True])
@pytest.mark.parametrize("trust", [[], ["--external-id", "reporter-7f3a", "--audit-role", "reporter-runner"]])
def test_cloudformation_templates_pass_cfn_lint(stackset: bool, trust: list[str]) -> None:
    args = ["--format", "cloudformation", "--audit-account", AUDIT, "--root-events", "athena"]
    args += ["--stackset"] * stackset + trust
    text = _cli(*args)
    matches = lint(text)
    assert matches == [], [str(m) for m in matches]
    if stackset:  # the member template the StackSet deploys lints clean as well
        body = json.loads(text)["Resources"]["ReporterAuditRoleStackSet"]["Properties"]["TemplateBody"]
        assert lint(body) == []


@pytest.mark.parametrize("source", SOURCES)
def test_cloudformation_grants_exactly_the_collector_actions(source: str) -> None:
    for template in (
        _cfn("--root-events", source),
        json.loads(
            _cfn("--root-events", source, "--stackset")["Resources"]["ReporterAuditRoleStackSet"]["Properties"][
                "TemplateBody"
            ]
        ),
    ):
        (policy,) = _role(template)["Policies"]
        (statement,) = policy["PolicyDocument"]["Statement"]
        assert statement["Action"] == actions(source)  # type: ignore[arg-type]
        assert statement["Resource"] == "*"


def test_cloudformation_trust_is_the_audit_account_with_external_id() -> None:
    template = _cfn("--external-id", "reporter-7f3a", "--role-name", "AuditRO")
    assert template["Parameters"]["ExternalId"]["Default"] == "reporter-7f3a"
    assert template["Parameters"]["AuditAccountId"]["Default"] == AUDIT
    assert template["Parameters"]["RoleName"]["Default"] == "AuditRO"
    (trust,) = _role(template)["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == ASSUME_ROLE.action
    assert trust["Principal"]["AWS"]["Fn::If"] == [
        "HasAuditRole",
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditAccountId}:role/${AuditRoleName}"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditAccountId}:root"},
    ]
    assert template["Parameters"]["AuditRoleName"]["Default"] == ""
    assert _cfn("--audit-role", "runner")["Parameters"]["AuditRoleName"]["Default"] == "runner"
    with_id = trust["Condition"]["Fn::If"][1]
    assert with_id == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    assert _role(template)["MaxSessionDuration"] == 3600
    assert "arn:aws:" not in json.dumps(template)


def test_stackset_is_service_managed_and_auto_deploys() -> None:
    props = _cfn("--stackset")["Resources"]["ReporterAuditRoleStackSet"]["Properties"]
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert props["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    targets = props["StackInstancesGroup"][0]["DeploymentTargets"]
    assert targets == {"OrganizationalUnitIds": {"Ref": "OrganizationalUnitIds"}}


def test_templates_are_deterministic_and_default_to_the_audit_role_name() -> None:
    assert _cli("--format", "terraform", "--audit-account", AUDIT) == _cli(
        "--format", "terraform", "--audit-account", AUDIT
    )
    assert _cfn() == _cfn()
    assert _cfn()["Parameters"]["RoleName"]["Default"] == DEFAULT_ROLE_NAME == "ReporterAudit"


def _unquote(value: str) -> str:
    return value.strip('"')


@pytest.mark.parametrize("source", SOURCES)
def test_terraform_parses_and_grants_exactly_the_collector_actions(source: str) -> None:
    text = _cli("--format", "terraform", "--audit-account", AUDIT, "--external-id", "x-1", "--root-events", source)
    tf = hcl2.loads(text)
    documents = {
        _unquote(k): v
        for d in tf["data"]
        for name, blocks in d.items()
        if _unquote(name) == "aws_iam_policy_document"
        for k, v in blocks.items()
    }
    (evidence,) = documents["evidence"]["statement"]
    assert [_unquote(a) for a in evidence["actions"]] == actions(source)  # type: ignore[arg-type]
    (trust,) = documents["trust"]["statement"]
    (principal,) = trust["principals"]
    assert [_unquote(i) for i in principal["identifiers"]] == [
        "arn:${data.aws_partition.current.partition}:iam::${var.audit_account_id}:${local.trusted}"
    ]
    (local,) = tf["locals"]
    assert local["trusted"] == '${var.audit_role_name == "" ? "root" : "role/${var.audit_role_name}"}'
    assert any(_unquote(name) == "aws_partition" for d in tf["data"] for name in d)
    variables = {_unquote(k): v for v in tf["variable"] for k, v in v.items()}
    assert _unquote(variables["audit_account_id"]["default"]) == AUDIT
    assert _unquote(variables["external_id"]["default"]) == "x-1"
    assert "arn:aws:" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "cloudformation"], "need --audit-account"),
        (["--format", "terraform", "--audit-account", "12345"], "12-digit"),
        (["--format", "cloudformation", "--audit-account", AUDIT, "--external-id", "a b"], "--external-id"),
        (["--format", "cloudformation", "--audit-account", AUDIT, "--role-name", "x/y"], "--role-name"),
        (["--format", "terraform", "--audit-account", AUDIT, "--audit-role", "a b"], "--audit-role"),
        (["--format", "yaml"], "choose json, cloudformation or terraform"),
        (["--stackset"], "--format cloudformation"),
    ],
)
def test_template_errors_are_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["iam-policy", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
