"""The command-line options, each declared once, and the option groups commands share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from reporter.cli.config import load_defaults
from reporter.cli.groups import option_group
from reporter.collect.options import CONNECT_TIMEOUT, DEFAULT_ROLE_NAME, READ_TIMEOUT

SIGN_KEY_PASSPHRASE_ENV = "REPORTER_SIGN_KEY_PASSPHRASE"
SIGN_PDF_PASSPHRASE_ENV = "REPORTER_SIGN_PDF_PASSPHRASE"


class OutputFormat(StrEnum):
    json = "json"
    xlsx = "xlsx"
    csv = "csv"
    pdf = "pdf"
    ocsf = "ocsf"  # OCSF 1.5 Compliance Finding events, one a line
    asff = "asff"  # AWS Security Finding Format, what Security Hub imports
    junit = "junit"
    html = "html"
    oscal = "oscal"


class PageSize(StrEnum):
    A4 = "A4"
    Letter = "Letter"


class FailOn(StrEnum):
    fail = "fail"
    not_assessed = "not-assessed"
    never = "never"


DEFAULT_FORMATS = (OutputFormat.json, OutputFormat.xlsx, OutputFormat.pdf)
ROOT_EVENT_SOURCES = ("lookup", "s3", "athena")


def complete_root_events(incomplete: str) -> list[str]:
    """Shell completion of --root-events (a str option, so Click cannot offer the choices itself)."""
    return [s for s in ROOT_EVENT_SOURCES if s.startswith(incomplete)]


def _complete_list(incomplete: str, choices: Iterable[str]) -> list[str]:
    """Completion of a comma list: the choices not yet typed, after the ones already there."""
    typed, _, last = incomplete.rpartition(",")
    prefix = f"{typed}," if typed else ""
    return [prefix + c for c in choices if c.startswith(last) and c not in typed.split(",")]


def complete_framework_ids(incomplete: str) -> list[str]:
    """Shell completion of --framework: the shipped ids, after the ones already typed (a comma list)."""
    from reporter.assess.framework_files import load_frameworks  # noqa: PLC0415 - only when completing

    return _complete_list(incomplete, load_frameworks())


def complete_formats(incomplete: str) -> list[str]:
    return _complete_list(incomplete, [f.value for f in OutputFormat])


def parse_formats(values: list[str] | None) -> list[OutputFormat]:
    """`-f pdf -f json` and `--format ocsf,asff,junit` alike; each format once, in the order given."""
    formats: list[OutputFormat] = []
    for value in values or []:
        for name in filter(None, (part.strip() for part in str(value).split(","))):
            try:
                fmt = OutputFormat(name)
            except ValueError:
                raise typer.BadParameter(f"{name!r}: choose from {', '.join(f.value for f in OutputFormat)}") from None
            if fmt not in formats:
                formats.append(fmt)
    return formats


RootWindow = Annotated[
    int,
    typer.Option("--root-window-days", min=1, help="Root use within this many days before as_of fails root_not_used."),
]
UnusedDays = Annotated[int, typer.Option("--unused-days", min=1, help="Credentials unused this long must be disabled.")]
RotationDays = Annotated[int, typer.Option("--rotation-days", min=1, help="Active access keys older than this fail.")]
# Parsed from text (not an enum choice) so that a comma list is one value; typed as the result.
Formats = Annotated[
    list[OutputFormat],
    typer.Option(
        "--format",
        "-f",
        parser=str,
        callback=parse_formats,
        autocompletion=complete_formats,
        help="Output formats, repeatable or comma-separated: " + ", ".join(f.value for f in OutputFormat) + ".",
    ),
]
FrameworkIds = Annotated[
    str | None,
    typer.Option(
        "--framework",
        autocompletion=complete_framework_ids,
        help="Comma-separated framework ids; `default` is the default selection (newest CIS, SOC 2, HIPAA,"
        " Well-Architected, FTR), `all` every framework. See `reporter frameworks list`.",
    ),
]
FrameworksDir = Annotated[
    list[Path] | None,
    typer.Option(
        "--frameworks-dir", help="Folder of extra framework YAML files; same id overrides a shipped one (repeatable)."
    ),
]
Pages = Annotated[PageSize, typer.Option("--page-size", help="PDF page size.")]
TableCap = Annotated[
    int,
    typer.Option(
        "--table-cap", min=1, help="PDF tables longer than this show their first rows and point to the workbook."
    ),
]
AttestationsFile = Annotated[
    Path | None, typer.Option("--attestations", help="YAML file of attestations for MANUAL requirements and context.")
]


def _config_callback(ctx: typer.Context, value: Path | None) -> Path | None:
    return load_defaults(ctx, value)


ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        is_eager=True,
        callback=_config_callback,
        help="reporter.toml with any of these options (default: ./reporter.toml if present); flags win.",
    ),
]
HistoryPath = Annotated[
    Path | None,
    typer.Option("--history", help="History database of earlier packs (default: $XDG_DATA_HOME/reporter/history.db)."),
]
NoHistory = Annotated[bool, typer.Option("--no-history", help="Neither read nor record the history (drift: baseline).")]
ExceptionsFile = Annotated[
    Path | None,
    typer.Option("--exceptions", help="YAML file of risk acceptances (and break-glass tickets for root events)."),
]
FailOnOption = Annotated[
    FailOn,
    typer.Option(
        "--fail-on", help="Exit 1 on: fail (a FAIL without a valid exception), not-assessed (also NOT_ASSESSED), never."
    ),
]
OutputBucket = Annotated[
    str | None,
    typer.Option(
        "--output-bucket",
        help="s3://bucket/prefix: upload the pack (PDF, XLSX, JSON, snapshot .tar.gz) to PREFIX/YYYY-MM/.",
    ),
]
ToSecurityHub = Annotated[
    bool,
    typer.Option(
        "--to-security-hub",
        help="Import the findings (ASFF) into Security Hub with BatchImportFindings; exit 4 if any is refused.",
    ),
]
SecurityHubRegion = Annotated[
    str | None,
    typer.Option(
        "--security-hub-region", help="Region to import into (default: the partition's home region, e.g. us-east-1)."
    ),
]
SseOption = Annotated[str, typer.Option("--sse", help="Server-side encryption of uploads: AES256 or aws:kms.")]
SseKmsKeyId = Annotated[str | None, typer.Option("--sse-kms-key-id", help="KMS key for --sse aws:kms (implies it).")]
SignKey = Annotated[
    Path | None,
    typer.Option(
        "--sign-key",
        help=f"Ed25519 private key (reporter keygen): sign manifest.json (collect) and pack-manifest.json (report);"
        f" passphrase from ${SIGN_KEY_PASSPHRASE_ENV}.",
    ),
]

PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        help="Ed25519 public key (reporter keygen): the snapshot's manifest.json.sig must verify before rendering.",
    ),
]
SignPdf = Annotated[
    Path | None,
    typer.Option(
        "--sign-pdf",
        help=f"PKCS#12 certificate and key (.p12): sign the PDF (PAdES, PDF/A-3b kept; the [sign] extra);"
        f" passphrase from ${SIGN_PDF_PASSPHRASE_ENV}.",
    ),
]
TsaUrl = Annotated[
    str | None,
    typer.Option("--tsa-url", help="With --sign-pdf: an RFC 3161 timestamp authority's URL (PAdES B-T)."),
]
AllowUnverified = Annotated[
    bool,
    typer.Option(
        "--allow-unverified",
        help="Render even when the snapshot fails verification: every page is stamped, and the exit code is 5.",
    ),
]


Period = Annotated[str, typer.Option("--period", help="The month reported on: YYYY-MM, or last-month (UTC).")]
AccountIds = Annotated[
    str | None, typer.Option("--accounts", help="Comma-separated account ids (default: the caller's account).")
]
WholeOrganization = Annotated[
    bool, typer.Option("--organization", help="Every ACTIVE account of the caller's AWS Organization.")
]
RoleName = Annotated[str, typer.Option("--role-name", help="Role assumed in each account other than the caller's.")]
ExternalId = Annotated[
    str | None,
    typer.Option("--external-id", envvar="REPORTER_EXTERNAL_ID", help="ExternalId for AssumeRole (never stored)."),
]
RegionNames = Annotated[
    str | None, typer.Option("--regions", help="Comma-separated regions (default: each account's enabled regions).")
]
Profile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (SSO profiles too); default: boto3's credential chain.")
]
Workers = Annotated[int, typer.Option("--workers", min=1, help="API requests in flight at once (the whole run).")]
Processes = Annotated[
    int,
    typer.Option(
        "--processes",
        min=1,
        help="Collect the accounts in N processes (one collector process is CPU-bound near 20 requests in "
        "flight; use the machine's cores for --workers above that); --workers stays the bound of the whole run.",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
MaxAttempts = Annotated[
    int,
    typer.Option(
        "--max-attempts",
        min=1,
        envvar="REPORTER_MAX_ATTEMPTS",
        help="Retries (botocore adaptive mode) before a failing call is recorded as an error.",
    ),
]
ConnectTimeout = Annotated[
    float,
    typer.Option("--connect-timeout", min=0.1, help="Seconds to open a connection to AWS before the attempt fails."),
]
ReadTimeout = Annotated[
    float,
    typer.Option(
        "--read-timeout",
        min=0.1,
        help="Seconds to wait for AWS's answer before the attempt fails (retried, then an error artifact).",
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue the interrupted collection in the output folder: its verified artifacts are re-used, "
        "the rest collected (same options required).",
    ),
]
ShardOption = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        help="Collect only shard K of N: the accounts whose id hashes to K (stable); join the N snapshots "
        "with `reporter merge`.",
    ),
]
RootEvents = Annotated[
    str,
    typer.Option(
        "--root-events",
        autocompletion=complete_root_events,
        help="Source of root events: lookup (LookupEvents, 90 days), s3 (the trail's log files) or athena.",
    ),
]
TrailBucket = Annotated[
    str | None, typer.Option("--trail-bucket", help="s3: the trail bucket (default: from the trails found).")
]
TrailPrefix = Annotated[str | None, typer.Option("--trail-prefix", help="s3: the trail's S3 key prefix.")]
TrailDir = Annotated[
    Path | None, typer.Option("--trail-dir", help="s3 offline: a folder of CloudTrail .json.gz log files.")
]
AthenaTable = Annotated[str | None, typer.Option("--athena-table", help="athena: the CloudTrail table, DB.TABLE.")]
AthenaWorkgroup = Annotated[str, typer.Option("--athena-workgroup", help="athena: the workgroup.")]
AthenaOutput = Annotated[str | None, typer.Option("--athena-output", help="athena: s3:// location for results.")]
AthenaRegion = Annotated[
    str | None, typer.Option("--athena-region", help="athena: the table's region (default: the caller's).")
]


@option_group
class ReportArgs:
    """What a pack is built from and written as (report and run)."""

    formats: Formats = field(default_factory=lambda: list(DEFAULT_FORMATS))
    root_window_days: RootWindow = 90
    unused_days: UnusedDays = 45
    rotation_days: RotationDays = 90
    framework: FrameworkIds = None
    frameworks_dir: FrameworksDir = None
    attestations: AttestationsFile = None
    page_size: Pages = PageSize.A4
    table_cap: TableCap = 500
    exceptions: ExceptionsFile = None
    fail_on: FailOnOption = FailOn.fail
    public_key: PublicKeyOption = None
    allow_unverified: AllowUnverified = False
    sign_pdf: SignPdf = None
    tsa_url: TsaUrl = None


@option_group
class SigningArgs:
    """The Ed25519 key that signs what a command writes (collect: manifest.json; report:
    pack-manifest.json; run: both)."""

    sign_key: SignKey = None


@option_group
class HistoryArgs:
    """Where earlier packs are recorded (report, collect and run)."""

    history: HistoryPath = None
    no_history: NoHistory = False


@option_group
class PublishArgs:
    """Where the finished pack is uploaded, and Security Hub it is imported into (report and run)."""

    output_bucket: OutputBucket = None
    sse: SseOption = "AES256"
    sse_kms_key_id: SseKmsKeyId = None
    to_security_hub: ToSecurityHub = False
    security_hub_region: SecurityHubRegion = None


@option_group
class CollectArgs:
    """What evidence is collected, from which accounts and regions (collect and run)."""

    period: Period = "last-month"
    accounts: AccountIds = None
    organization: WholeOrganization = False
    role_name: RoleName = DEFAULT_ROLE_NAME
    external_id: ExternalId = None
    regions: RegionNames = None
    profile: Profile = None
    workers: Workers = 16
    processes: Processes = 1
    quiet: Quiet = False
    max_attempts: MaxAttempts = 10
    connect_timeout: ConnectTimeout = CONNECT_TIMEOUT
    read_timeout: ReadTimeout = READ_TIMEOUT
    resume: Resume = False
    shard: ShardOption = None
    root_events: RootEvents = "lookup"
    trail_bucket: TrailBucket = None
    trail_prefix: TrailPrefix = None
    trail_dir: TrailDir = None
    athena_table: AthenaTable = None
    athena_workgroup: AthenaWorkgroup = "primary"
    athena_output: AthenaOutput = None
    athena_region: AthenaRegion = None
