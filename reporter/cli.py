"""The `reporter` command line."""

from __future__ import annotations

import re
import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from reporter import __version__
from reporter.checks.context import Thresholds
from reporter.checks.registry import CHECKS
from reporter.frameworks import (
    Attestation,
    Framework,
    FrameworkError,
    load_attestations,
    load_frameworks,
    validate_attestations,
)
from reporter.render.csv_export import write_csv
from reporter.render.json_report import write_json
from reporter.render.pdf import write_pdf
from reporter.render.xlsx import write_xlsx
from reporter.render.model import build_report
from reporter.resources import demo_snapshot_dir
from reporter.snapshot.reader import Snapshot, SnapshotError
from reporter.snapshot.verify import verify_snapshot

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Monthly AWS root-usage and credential-hygiene audit packs.")
checks_app = typer.Typer(no_args_is_help=True, help="The checks reporter runs.")
app.add_typer(checks_app, name="checks")
frameworks_app = typer.Typer(no_args_is_help=True, help="The compliance frameworks checks are mapped to.")
app.add_typer(frameworks_app, name="frameworks")
out = Console()
err = Console(stderr=True)


class OutputFormat(StrEnum):
    json = "json"
    xlsx = "xlsx"
    csv = "csv"
    pdf = "pdf"


class PageSize(StrEnum):
    A4 = "A4"
    Letter = "Letter"


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _open(path: Path) -> Snapshot:
    try:
        return Snapshot.open(path)
    except SnapshotError as exc:
        raise _fail(str(exc)) from None


RootWindow = Annotated[int, typer.Option("--root-window-days", min=1, help="Root use within this many days before as_of fails root_not_used.")]
UnusedDays = Annotated[int, typer.Option("--unused-days", min=1, help="Credentials unused this long must be disabled.")]
RotationDays = Annotated[int, typer.Option("--rotation-days", min=1, help="Active access keys older than this fail.")]
Formats = Annotated[list[OutputFormat], typer.Option("--format", "-f", help="Output format (repeatable).")]
FrameworkIds = Annotated[str | None, typer.Option(
    "--framework", help="Comma-separated framework ids (default: all). See `reporter frameworks list`.")]
FrameworksDir = Annotated[list[Path] | None, typer.Option(
    "--frameworks-dir", help="Folder of extra framework YAML files; same id overrides a shipped one (repeatable).")]
Pages = Annotated[PageSize, typer.Option("--page-size", help="PDF page size.")]
TableCap = Annotated[int, typer.Option("--table-cap", min=1, help="PDF tables longer than this show their first rows and point to the workbook.")]
AttestationsFile = Annotated[Path | None, typer.Option(
    "--attestations", help="YAML file of attestations for MANUAL requirements and context.")]


def _frameworks(ids: str | None, dirs: list[Path] | None) -> list[Framework]:
    try:
        available = load_frameworks(dirs or ())
    except FrameworkError as exc:
        raise _fail(str(exc)) from None
    if not ids:
        return list(available.values())
    wanted = [i.strip() for i in ids.split(",") if i.strip()]
    unknown = [i for i in wanted if i not in available]
    if unknown:
        raise _fail(f"unknown framework(s) {', '.join(unknown)}; known: {', '.join(available)}")
    return [available[i] for i in wanted]


def _attestations(path: Path | None, frameworks: list[Framework]) -> list[Attestation]:
    if path is None:
        return []
    try:
        attestations = load_attestations(path)
        # A typo'd requirement or check id would otherwise be silently ignored.
        validate_attestations(attestations, {fw.id: fw for fw in frameworks})
    except FrameworkError as exc:
        raise _fail(str(exc)) from None
    return attestations


def _write_pack(snapshot: Snapshot, out_dir: Path, formats: list[OutputFormat], thresholds: Thresholds,
                frameworks: list[Framework], attestations: list[Attestation],
                page_size: PageSize = PageSize.A4, table_cap: int = 500) -> None:
    # Every input is validated above this line: nothing is written half-way.
    model = build_report(snapshot, thresholds, frameworks, attestations)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if OutputFormat.json in formats:
        written.append(write_json(model, out_dir))
    if OutputFormat.xlsx in formats:
        written.append(write_xlsx(model, out_dir))
    if OutputFormat.csv in formats:
        written.extend(write_csv(model, out_dir))
    if OutputFormat.pdf in formats:
        written.append(write_pdf(model, out_dir, page_size=page_size.value, table_cap=table_cap))
    counts = model.counts()
    for problem in model.problems:
        err.print(f"[yellow]warning:[/] {problem}", highlight=False, soft_wrap=True)
    out.print(f"{len(model.findings)} findings: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v),
              highlight=False)
    for path in written:
        out.print(f"wrote {path}", highlight=False)


@app.command()
def report(
    snapshot: Annotated[Path, typer.Argument(help="An evidence snapshot folder.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the audit pack.")] = Path("."),
    formats: Formats = [OutputFormat.json, OutputFormat.xlsx, OutputFormat.pdf],  # noqa: B006 - read, never mutated
    root_window_days: RootWindow = 90,
    unused_days: UnusedDays = 45,
    rotation_days: RotationDays = 90,
    framework: FrameworkIds = None,
    frameworks_dir: FrameworksDir = None,
    attestations: AttestationsFile = None,
    page_size: Pages = PageSize.A4,
    table_cap: TableCap = 500,
) -> None:
    """Build the audit pack of SNAPSHOT."""
    thresholds = Thresholds(root_window_days=root_window_days, unused_credentials_days=unused_days,
                            key_rotation_days=rotation_days)
    chosen = _frameworks(framework, frameworks_dir)
    _write_pack(_open(snapshot), out_dir, formats, thresholds, chosen, _attestations(attestations, chosen),
                page_size, table_cap)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo audit pack.")] = Path("demo-pack"),
    formats: Formats = [OutputFormat.json, OutputFormat.xlsx, OutputFormat.pdf],  # noqa: B006
    page_size: Pages = PageSize.A4,
) -> None:
    """Build the audit pack of the bundled demo snapshot (a three-account organization, October 2026)."""
    _write_pack(_open(demo_snapshot_dir()), out_dir, formats, Thresholds(), _frameworks(None, None), [],
                page_size)


@app.command("demo-snapshot")
def demo_snapshot(
    out_dir: Annotated[Path, typer.Argument(help="Where to copy the bundled demo snapshot.")],
) -> None:
    """Copy the bundled demo snapshot, to edit an artifact and see what the report makes of it."""
    if out_dir.exists():
        raise _fail(f"{out_dir} already exists")
    shutil.copytree(demo_snapshot_dir(), out_dir)
    out.print(f"copied the demo snapshot to {out_dir}", highlight=False)


@app.command()
def verify(snapshot: Annotated[Path, typer.Argument(help="An evidence snapshot folder.")]) -> None:
    """Recompute every SHA-256 of SNAPSHOT; exit 1 if any file is modified, missing or unexpected."""
    opened = _open(snapshot)
    problems = verify_snapshot(opened)
    for problem in problems:
        out.print(str(problem), highlight=False, soft_wrap=True)
    listed = sum(1 for a in opened.manifest.artifacts if a.status == "ok")
    if problems:
        err.print(f"{len(problems)} problem(s) in {snapshot} ({listed} artifacts listed)", highlight=False)
        raise typer.Exit(1)
    out.print(f"ok: {listed} artifacts match manifest {opened.digest}", highlight=False)


Period = Annotated[str, typer.Option("--period", help="The month reported on: YYYY-MM, or last-month (UTC).")]
AccountIds = Annotated[str | None, typer.Option("--accounts", help="Comma-separated account ids (default: the caller's account).")]
WholeOrganization = Annotated[bool, typer.Option("--organization", help="Every ACTIVE account of the caller's AWS Organization.")]
RoleName = Annotated[str, typer.Option("--role-name", help="Role assumed in each account other than the caller's.")]
ExternalId = Annotated[str | None, typer.Option("--external-id", envvar="REPORTER_EXTERNAL_ID",
                                                help="ExternalId for AssumeRole (never stored).")]
RegionNames = Annotated[str | None, typer.Option("--regions", help="Comma-separated regions (default: each account's enabled regions).")]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile (SSO profiles too); default: boto3's credential chain.")]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Concurrent API conversations.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
MaxAttempts = Annotated[int, typer.Option("--max-attempts", min=1, envvar="REPORTER_MAX_ATTEMPTS",
                                          help="Retries (botocore adaptive mode) before a failing call is recorded as an error.")]
RootEvents = Annotated[str, typer.Option("--root-events", help="Source of root events: lookup (LookupEvents, 90 days), "
                                         "s3 (the trail's log files) or athena.")]
TrailBucket = Annotated[str | None, typer.Option("--trail-bucket", help="s3: the trail bucket (default: from the trails found).")]
TrailPrefix = Annotated[str | None, typer.Option("--trail-prefix", help="s3: the trail's S3 key prefix.")]
TrailDir = Annotated[Path | None, typer.Option("--trail-dir", help="s3 offline: a folder of CloudTrail .json.gz log files.")]
AthenaTable = Annotated[str | None, typer.Option("--athena-table", help="athena: the CloudTrail table, DB.TABLE.")]
AthenaWorkgroup = Annotated[str, typer.Option("--athena-workgroup", help="athena: the workgroup.")]
AthenaOutput = Annotated[str | None, typer.Option("--athena-output", help="athena: s3:// location for results.")]
AthenaRegion = Annotated[str | None, typer.Option("--athena-region", help="athena: the table's region (default: the caller's).")]


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))


def _root_event_source(kind: str, bucket: str | None, prefix: str | None, directory: Path | None,
                       table: str | None, workgroup: str, output: str | None, region: str | None) -> Any:
    from reporter.collect.options import RootEventSource

    if kind not in ("lookup", "s3", "athena"):
        raise _fail(f"--root-events {kind!r}: choose lookup, s3 or athena")
    try:
        return RootEventSource(kind=kind, bucket=bucket, prefix=prefix, directory=directory,  # type: ignore[arg-type]
                               athena_table=table, athena_workgroup=workgroup, athena_output=output,
                               athena_region=region)
    except ValueError as exc:
        raise _fail(str(exc)) from None


def _collect(snapshot_dir: Path, period: str, accounts: str | None, organization: bool, role_name: str,
             external_id: str | None, regions: str | None, profile: str | None, workers: int,
             quiet: bool, root_events: Any, max_attempts: int) -> None:
    # Imported here: boto3 loads slowly and only these two commands need it.
    from reporter.collect import CollectError, CollectOptions, collect, month_period
    from reporter.collect.runner import utc_now

    if organization and accounts:
        raise _fail("give --accounts or --organization, not both")
    if root_events.directory is not None and not root_events.directory.is_dir():
        raise _fail(f"--trail-dir {root_events.directory}: not a folder")
    try:
        start, end = month_period(period, utc_now())
        options = CollectOptions(out=snapshot_dir, period_start=start, period_end=end, accounts=_split(accounts),
                                 organization=organization, role_name=role_name, external_id=external_id,
                                 regions=_split(regions), profile=profile, max_workers=workers, quiet=quiet,
                                 root_events=root_events, max_attempts=max_attempts)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        summary = collect(options)
    except CollectError as exc:
        raise _fail(str(exc)) from None
    failed = [a for a in summary.manifest.artifacts if a.status == "error" and a.error is not None]
    for artifact in failed[:20]:
        where = " ".join(x for x in (artifact.account, artifact.region) if x)
        err.print(f"[yellow]recorded failure:[/] {artifact.api} {where}: {artifact.error.code}",  # type: ignore[union-attr]
                  highlight=False, soft_wrap=True)
    if len(failed) > 20:
        err.print(f"… and {len(failed) - 20} more (see manifest.json)", highlight=False)
    err.print(f"collected {summary.accounts} account(s), {summary.regions} region(s): {summary.api_calls} API calls, "
              f"{summary.errors} error artifact(s) -> {snapshot_dir}", highlight=False)


@app.command("collect")
def collect_command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="New folder for the evidence snapshot.")],
    period: Period = "last-month",
    accounts: AccountIds = None,
    organization: WholeOrganization = False,
    role_name: RoleName = "OrganizationAccountAccessRole",
    external_id: ExternalId = None,
    regions: RegionNames = None,
    profile: Profile = None,
    workers: Workers = 16,
    quiet: Quiet = False,
    max_attempts: MaxAttempts = 10,
    root_events: RootEvents = "lookup",
    trail_bucket: TrailBucket = None,
    trail_prefix: TrailPrefix = None,
    trail_dir: TrailDir = None,
    athena_table: AthenaTable = None,
    athena_workgroup: AthenaWorkgroup = "primary",
    athena_output: AthenaOutput = None,
    athena_region: AthenaRegion = None,
) -> None:
    """Collect an evidence snapshot from AWS (read-only calls, plus iam:GenerateCredentialReport); failures become evidence."""
    source = _root_event_source(root_events, trail_bucket, trail_prefix, trail_dir, athena_table, athena_workgroup,
                                athena_output, athena_region)
    _collect(out_dir, period, accounts, organization, role_name, external_id, regions, profile, workers, quiet,
             source, max_attempts)


@app.command("run")
def run_command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the pack; the snapshot goes to OUT/snapshot.")],
    period: Period = "last-month",
    accounts: AccountIds = None,
    organization: WholeOrganization = False,
    role_name: RoleName = "OrganizationAccountAccessRole",
    external_id: ExternalId = None,
    regions: RegionNames = None,
    profile: Profile = None,
    workers: Workers = 16,
    quiet: Quiet = False,
    max_attempts: MaxAttempts = 10,
    root_events: RootEvents = "lookup",
    trail_bucket: TrailBucket = None,
    trail_prefix: TrailPrefix = None,
    trail_dir: TrailDir = None,
    athena_table: AthenaTable = None,
    athena_workgroup: AthenaWorkgroup = "primary",
    athena_output: AthenaOutput = None,
    athena_region: AthenaRegion = None,
    formats: Formats = [OutputFormat.json, OutputFormat.xlsx, OutputFormat.pdf],  # noqa: B006 - read, never mutated
    root_window_days: RootWindow = 90,
    unused_days: UnusedDays = 45,
    rotation_days: RotationDays = 90,
    framework: FrameworkIds = None,
    frameworks_dir: FrameworksDir = None,
    attestations: AttestationsFile = None,
    page_size: Pages = PageSize.A4,
    table_cap: TableCap = 500,
) -> None:
    """Collect a snapshot into OUT/snapshot, then build its audit pack in OUT (collect + report)."""
    thresholds = Thresholds(root_window_days=root_window_days, unused_credentials_days=unused_days,
                            key_rotation_days=rotation_days)
    # Report inputs are checked before any AWS call, so a typo costs nothing.
    chosen = _frameworks(framework, frameworks_dir)
    attested = _attestations(attestations, chosen)
    source = _root_event_source(root_events, trail_bucket, trail_prefix, trail_dir, athena_table, athena_workgroup,
                                athena_output, athena_region)
    snapshot_dir = out_dir / "snapshot"
    _collect(snapshot_dir, period, accounts, organization, role_name, external_id, regions, profile, workers, quiet,
             source, max_attempts)
    _write_pack(_open(snapshot_dir), out_dir, formats, thresholds, chosen, attested, page_size, table_cap)


@app.command("athena-ddl")
def athena_ddl_command(
    table: Annotated[str, typer.Option("--athena-table", help="The table to create, DB.TABLE.")],
    bucket: Annotated[str, typer.Option("--trail-bucket", help="The trail bucket.")],
    prefix: TrailPrefix = None,
    org_id: Annotated[str | None, typer.Option("--org-id", help="o-…: the logs of an organization trail.")] = None,
    accounts: AccountIds = None,
    regions: RegionNames = None,
) -> None:
    """Print CREATE TABLE for CloudTrail logs with partition projection (for --root-events athena)."""
    from reporter.collect.trail_logs import athena_ddl

    if not re.fullmatch(r"[\w-]+\.[\w-]+", table):
        raise _fail("--athena-table must be DB.TABLE")
    if org_id is not None and not re.fullmatch(r"o-[a-z0-9]{10,32}", org_id):
        raise _fail(f"--org-id {org_id!r} is not an organization id (o-…)")
    print(athena_ddl(table, bucket=bucket, prefix=prefix, org_id=org_id, accounts=list(_split(accounts)) or None,
                     regions=list(_split(regions)) or None))


@checks_app.command("list")
def checks_list() -> None:
    """List every check with its severity and the evidence it reads."""
    table = Table(Column("id", no_wrap=True), "severity", "title", "evidence")
    for c in CHECKS.values():
        table.add_row(c.id, c.severity.value, c.title, ", ".join(c.evidence))
    out.print(table)


@frameworks_app.command("list")
def frameworks_list(frameworks_dir: FrameworksDir = None) -> None:
    """List the frameworks (shipped, plus any from --frameworks-dir)."""
    table = Table(Column("id", no_wrap=True), Column("requirements", justify="right"), "name", "file")
    for fw in _frameworks(None, frameworks_dir):
        table.add_row(fw.id, str(len(fw.requirements)), f"{fw.name} {fw.version}", fw.source)
    out.print(table)


@frameworks_app.command("show")
def frameworks_show(
    framework_id: Annotated[str, typer.Argument(help="A framework id from `reporter frameworks list`.")],
    frameworks_dir: FrameworksDir = None,
) -> None:
    """Show a framework's requirements and the checks behind each."""
    (fw,) = _frameworks(framework_id, frameworks_dir)
    out.print(f"[bold]{fw.name}[/] {fw.version} ({fw.publisher}, {fw.text_date})\n{fw.source_url}", highlight=False)
    table = Table(Column("id", no_wrap=True), "title", "checks (rationale)")
    for req in fw.requirements:
        checks = "\n".join(f"{c.id}: {c.rationale}" for c in req.checks) or "MANUAL (no automated check)"
        table.add_row(req.id, req.title, checks)
    out.print(table)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"reporter {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """reporter turns evidence snapshots of AWS accounts into audit packs."""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
