"""What reporter knows: `checks list`, `frameworks list|show`, and `iam-policy` (the role it needs)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Column, Table

from reporter.checks.registry import CHECKS
from reporter.cli import inputs
from reporter.cli.console import fail, out
from reporter.cli.options import FrameworksDir


def iam_policy_command(
    root_events: Annotated[
        str, typer.Option("--root-events", help="lookup, s3 or athena (adds what that source needs).")
    ] = "lookup",
    role_name: Annotated[
        str | None,
        typer.Option("--role-name", help="Add the caller's sts:AssumeRole statement for this audit role name."),
    ] = None,
) -> None:
    """Print the IAM policy (JSON) the audit role needs: exactly the actions the collector calls."""
    from reporter.collect.iam_policy import policy_document  # noqa: PLC0415

    if root_events not in ("lookup", "s3", "athena"):
        raise fail(f"--root-events {root_events!r}: choose lookup, s3 or athena")
    print(json.dumps(policy_document(root_events=root_events, role_name=role_name), indent=2))  # type: ignore[arg-type]


def checks_list() -> None:
    """List every check with its severity and the evidence it reads."""
    table = Table(Column("id", no_wrap=True), "severity", "title", "evidence")
    for c in CHECKS.values():
        table.add_row(c.id, c.severity.value, c.title, ", ".join(c.evidence))
    out.print(table)


def frameworks_list(frameworks_dir: FrameworksDir = None) -> None:
    """List the frameworks (shipped, plus any from --frameworks-dir)."""
    table = Table(Column("id", no_wrap=True), Column("requirements", justify="right"), "name", "file")
    for fw in inputs.frameworks(None, frameworks_dir):
        table.add_row(fw.id, str(len(fw.requirements)), f"{fw.name} {fw.version}", fw.source)
    out.print(table)


def frameworks_show(
    framework_id: Annotated[str, typer.Argument(help="A framework id from `reporter frameworks list`.")],
    frameworks_dir: FrameworksDir = None,
) -> None:
    """Show a framework's requirements and the checks behind each."""
    (fw,) = inputs.frameworks(framework_id, frameworks_dir)
    out.print(f"[bold]{fw.name}[/] {fw.version} ({fw.publisher}, {fw.text_date})\n{fw.source_url}", highlight=False)
    table = Table(Column("id", no_wrap=True), "title", "checks (rationale)")
    for req in fw.requirements:
        checks = "\n".join(f"{c.id}: {c.rationale}" for c in req.checks) or "MANUAL (no automated check)"
        table.add_row(req.id, req.title, checks)
    out.print(table)
