"""The `reporter doctor` command: the findings of local.py and aws.py, one line each, exit 2 when
anything must be fixed (a configuration problem, never a traceback)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from reporter.cli.console import ExitCode, fail, finish, say
from reporter.cli.doctor import Status
from reporter.cli.doctor.aws import AwsTarget, aws_findings
from reporter.cli.doctor.local import local_findings
from reporter.cli.options import ROOT_EVENT_SOURCES, ExternalId, Profile, complete_root_events


class DoctorFormat(StrEnum):
    text = "text"
    json = "json"


def doctor_command(
    profile: Profile = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Region to reach STS and IAM in (default: the profile's).")
    ] = None,
    root_events: Annotated[
        str,
        typer.Option(
            "--root-events",
            autocompletion=complete_root_events,
            help="lookup, s3 or athena: the permissions that collection needs.",
        ),
    ] = "lookup",
    role_name: Annotated[
        str | None, typer.Option("--role-name", help="The audit role collect assumes: also check sts:AssumeRole.")
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="A member account: try assuming --role-name in it.")
    ] = None,
    external_id: ExternalId = None,
    output: Annotated[DoctorFormat, typer.Option("--format", help="text (a line each) or json.")] = DoctorFormat.text,
) -> None:
    """Check this machine: Python, extras, WeasyPrint, fonts, AWS credentials, identity, permissions."""
    if root_events not in ROOT_EVENT_SOURCES:
        raise fail(f"--root-events {root_events!r}: choose lookup, s3 or athena")
    target = AwsTarget(profile, region, root_events, role_name, account, external_id)  # type: ignore[arg-type]
    findings = [*local_findings(), *aws_findings(target)]
    if output is DoctorFormat.json:
        say(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        width = max(len(f.item) for f in findings)
        for f in findings:
            say(f"{f.status.value:<4} {f.item:<{width}}  {f.detail}")
    finish(ExitCode.USAGE if any(f.status is Status.FIX for f in findings) else ExitCode.OK)
