"""What reporter knows: `checks list`, `frameworks list|show`, and `iam-policy` (the role it needs)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Column, Table

from reporter.assess.framework_files import default_frameworks
from reporter.checks.registry import CHECKS
from reporter.cli import inputs
from reporter.cli.console import fail, out
from reporter.cli.options import FrameworksDir
from reporter.collect import deploy_templates as dt
from reporter.collect.deploy_terraform import main_tf
from reporter.collect.iam_policy import policy_document
from reporter.collect.options import DEFAULT_ROLE_NAME


def iam_policy_command(
    root_events: Annotated[
        str, typer.Option("--root-events", help="lookup, s3 or athena (adds what that source needs).")
    ] = "lookup",
    role_name: Annotated[
        str | None,
        typer.Option(
            "--role-name",
            help="json: add the caller's sts:AssumeRole statement for this role; templates: the role's name "
            f"(default {DEFAULT_ROLE_NAME}).",
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="json (the policy), cloudformation or terraform (the audit role).")
    ] = "json",
    audit_account: Annotated[
        str | None, typer.Option("--audit-account", help="Templates: the account id that runs reporter.")
    ] = None,
    audit_role: Annotated[
        str | None,
        typer.Option("--audit-role", help="Templates: trust only this role of the audit account, not its root."),
    ] = None,
    external_id: Annotated[
        str | None, typer.Option("--external-id", help="Templates: the sts:ExternalId the role requires.")
    ] = None,
    stackset: Annotated[
        bool, typer.Option("--stackset", help="cloudformation: the organization's StackSet template instead.")
    ] = False,
) -> None:
    """Print the IAM policy (JSON) the audit role needs, or a template deploying that role."""
    if root_events not in ("lookup", "s3", "athena"):
        raise fail(f"--root-events {root_events!r}: choose lookup, s3 or athena")
    if output_format not in ("json", "cloudformation", "terraform"):
        raise fail(f"--format {output_format!r}: choose json, cloudformation or terraform")
    if stackset and output_format != "cloudformation":
        raise fail("--stackset is a CloudFormation template: add --format cloudformation")
    if output_format == "json":
        print(json.dumps(policy_document(root_events=root_events, role_name=role_name), indent=2))  # type: ignore[arg-type]
        return
    name = role_name or DEFAULT_ROLE_NAME
    try:
        role = dt.audit_role(audit_account, external_id, name, root_events, audit_role)  # type: ignore[arg-type]  # checked above
    except dt.TemplateError as e:
        raise fail(str(e)) from None
    if output_format == "terraform":
        sys.stdout.write(main_tf(role))
        return
    template = dt.stackset_template(role) if stackset else dt.member_template(role)
    sys.stdout.write(dt.cloudformation(template))


def checks_list() -> None:
    """List every check with its severity and the evidence it reads."""
    table = Table(Column("id", no_wrap=True), "severity", "title", "evidence")
    for c in CHECKS.values():
        table.add_row(c.id, c.severity.value, c.title, ", ".join(c.evidence))
    out.print(table)


def frameworks_list(frameworks_dir: FrameworksDir = None) -> None:
    """List the frameworks (shipped, plus any from --frameworks-dir)."""
    available = inputs.available_frameworks(frameworks_dir)
    default = {fw.id for fw in default_frameworks(available)}
    table = Table(Column("id", no_wrap=True), Column("requirements", justify="right"), "default", "name", "file")
    for fw in available.values():
        in_default = "yes" if fw.id in default else "no"
        table.add_row(fw.id, str(len(fw.requirements)), in_default, f"{fw.name} {fw.version}", fw.source)
    out.print(table)


def frameworks_show(
    framework_id: Annotated[str, typer.Argument(help="A framework id from `reporter frameworks list`.")],
    frameworks_dir: FrameworksDir = None,
) -> None:
    """Show a framework's requirements and the checks behind each."""
    available = inputs.available_frameworks(frameworks_dir)
    if framework_id not in available:
        raise fail(f"unknown framework {framework_id}; known: {', '.join(available)}")
    fw = available[framework_id]
    out.print(f"[bold]{fw.name}[/] {fw.version} ({fw.publisher}, {fw.text_date})\n{fw.source_url}", highlight=False)
    table = Table(Column("id", no_wrap=True), "title", "checks (rationale)")
    for req in fw.requirements:
        checks = "\n".join(f"{c.id}: {c.rationale}" for c in req.checks) or "MANUAL (no automated check)"
        table.add_row(req.id, req.title, checks)
    out.print(table)
