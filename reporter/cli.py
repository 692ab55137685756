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
from rich.markup import escape
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
from reporter.config import load_defaults
from reporter.history import History, HistoryError, default_history_path
from reporter.render.csv_export import write_csv
from reporter.render.json_report import write_json
from reporter.render.pdf import write_pdf
from reporter.render.xlsx import write_xlsx
from reporter.render.model import ReportModel, build_report
from reporter.resources import demo_snapshot_dir
from reporter.risk_acceptance import RiskAcceptanceError, RiskAcceptances, load_risk_acceptances
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


class FailOn(StrEnum):
    fail = "fail"
    not_assessed = "not-assessed"
    never = "never"


class ExitCode:
    """The exit codes of `report` and `run` (documented in the README). When several apply the
    highest wins, in this order: 2, 4, 3, 1."""

    OK = 0                # every assessed requirement passes (or --fail-on never)
    FAIL = 1              # a FAIL without a valid exception (--fail-on fail), or NOT_ASSESSED (not-assessed)
    USAGE = 2             # usage or configuration error: nothing was collected or written
    INCOMPLETE = 3        # run: collection incomplete (an error artifact in the snapshot)
    UPLOAD = 4            # --output-bucket: the pack is written and recorded, the upload failed


SIGN_KEY_PASSPHRASE_ENV = "REPORTER_SIGN_KEY_PASSPHRASE"


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
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


def _config_callback(ctx: typer.Context, value: Path | None) -> Path | None:
    return load_defaults(ctx, value)


ConfigFile = Annotated[Path | None, typer.Option(
    "--config", is_eager=True, callback=_config_callback,
    help="reporter.toml with any of these options (default: ./reporter.toml if present); flags win.")]
HistoryPath = Annotated[Path | None, typer.Option(
    "--history", help="History database of earlier packs (default: $XDG_DATA_HOME/reporter/history.db).")]
NoHistory = Annotated[bool, typer.Option("--no-history", help="Neither read nor record the history (drift: baseline).")]
ExceptionsFile = Annotated[Path | None, typer.Option(
    "--exceptions", help="YAML file of risk acceptances (and break-glass tickets for root events).")]
FailOnOption = Annotated[FailOn, typer.Option(
    "--fail-on", help="Exit 1 on: fail (a FAIL without a valid exception), not-assessed (also NOT_ASSESSED), never.")]
OutputBucket = Annotated[str | None, typer.Option(
    "--output-bucket", help="s3://bucket/prefix: upload the pack (PDF, XLSX, JSON, snapshot .tar.gz) to PREFIX/YYYY-MM/.")]
SseOption = Annotated[str, typer.Option("--sse", help="Server-side encryption of uploads: AES256 or aws:kms.")]
SseKmsKeyId = Annotated[str | None, typer.Option("--sse-kms-key-id", help="KMS key for --sse aws:kms (implies it).")]
SignKey = Annotated[Path | None, typer.Option(
    "--sign-key", help=f"Ed25519 private key (reporter keygen): sign manifest.json; passphrase from ${SIGN_KEY_PASSPHRASE_ENV}.")]


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


def _risk_acceptances(path: Path | None) -> RiskAcceptances:
    if path is None:
        return RiskAcceptances()
    try:
        return load_risk_acceptances(path)
    except RiskAcceptanceError as exc:
        raise _fail(str(exc)) from None


def _history_path(path: Path | None, no_history: bool) -> Path | None:
    """The history to use (None: --no-history). An existing file is opened once here, so an
    unusable history stops the command (exit 2) before any AWS call or any file is written."""
    if no_history and path is not None:
        raise _fail("give --history or --no-history, not both")
    chosen = None if no_history else (path or default_history_path())
    if chosen is not None and chosen.exists():
        try:
            History(chosen, create=False).close()
        except HistoryError as exc:
            raise _fail(str(exc)) from None
    return chosen


def _open_history(path: Path | None) -> History | None:
    if path is None:
        return None
    try:
        return History(path)
    except HistoryError as exc:
        raise _fail(str(exc)) from None


def _write_pack(snapshot: Snapshot, out_dir: Path, formats: list[OutputFormat], thresholds: Thresholds,
                frameworks: list[Framework], attestations: list[Attestation],
                page_size: PageSize = PageSize.A4, table_cap: int = 500, *,
                acceptances: RiskAcceptances | None = None,
                history_path: Path | None = None) -> tuple[ReportModel, list[Path]]:
    """Build, write every file, then (and only then) record the pack in the history."""
    # Every input is validated above this line: nothing is written half-way.
    history = _open_history(history_path)
    try:
        model = build_report(snapshot, thresholds, frameworks, attestations, risk_acceptances=acceptances,
                             history=history)
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
        # A failed render never reaches the history: drift next month compares with a real pack.
        recorded = history.record(model.pack) if history is not None and model.pack is not None else None
    finally:
        if history is not None:
            history.close()
    counts = model.counts()
    for problem in model.problems:
        err.print(f"[yellow]warning:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    out.print(f"{len(model.findings)} findings: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v),
              highlight=False)
    if model.acceptances is not None and model.acceptances.source:
        c = model.acceptances.counts()
        out.print(f"exceptions: {c['accepted']} accepted, {c['expired']} expired, {c['not_yet_valid']} not yet valid; "
                  f"{model.acceptances.unaccepted_fails} FAIL(s) without a valid exception", highlight=False, soft_wrap=True)
    if model.drift is not None:
        d = model.drift.counts()
        since = "baseline: first pack of this scope" if model.drift.baseline else (
            f"since {model.drift.previous_month}: {d['new']} new, {d['resolved']} resolved, "
            f"{d['still_open']} still open, {d['no_longer_assessed']} no longer assessed")
        out.print(f"drift: {since}", highlight=False, soft_wrap=True)
    for path in written:
        out.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)
    if recorded is not None:
        out.print(f"history: {recorded.value} pack {model.snapshot.digest[:16]}… in {history_path}", highlight=False, markup=False, soft_wrap=True)
    return model, written


def _verdict(model: ReportModel, fail_on: FailOn) -> int:
    """Exit code 0 or 1 from the findings (exceptions applied)."""
    if fail_on is FailOn.never:
        return ExitCode.OK
    unaccepted = model.acceptances.unaccepted_fails if model.acceptances is not None else model.counts()["FAIL"]
    if unaccepted:
        err.print(f"exit {ExitCode.FAIL}: {unaccepted} FAIL(s) without a valid exception", highlight=False)
        return ExitCode.FAIL
    if fail_on is FailOn.not_assessed:
        missing = model.counts()["NOT_ASSESSED"] + sum(1 for a in model.accounts if not a.assessed)
        if missing:
            err.print(f"exit {ExitCode.FAIL}: {missing} result(s)/account(s) NOT ASSESSED (--fail-on not-assessed)",
                      highlight=False)
            return ExitCode.FAIL
    return ExitCode.OK


def _upload(model: ReportModel, written: list[Path], snapshot_dir: Path, bucket: str | None, sse: str,
            kms_key_id: str | None, profile: str | None = None) -> int:
    if bucket is None:
        return ExitCode.OK
    from reporter.upload import UploadError, parse_target, upload_pack  # noqa: PLC0415 - boto3 only here

    import boto3  # noqa: PLC0415

    target = parse_target(bucket, sse=sse, kms_key_id=kms_key_id)
    try:
        client = boto3.Session(profile_name=profile).client("s3")
        urls = upload_pack(target, written, period=model.period_label, manifest_sha256=model.snapshot.digest,
                           snapshot_dir=snapshot_dir, as_of=model.snapshot.manifest.as_of, client=client)
    except UploadError as exc:
        err.print(f"[bold red]upload failed:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return ExitCode.UPLOAD
    for url in urls:
        out.print(f"uploaded {url}", highlight=False, markup=False)
    return ExitCode.OK


def _check_bucket(bucket: str | None, sse: str, kms_key_id: str | None) -> None:
    """Refuse a malformed --output-bucket before any work (exit 2)."""
    if bucket is None:
        if kms_key_id is not None:
            raise _fail("--sse-kms-key-id needs --output-bucket")
        return
    from reporter.upload import UploadError, parse_target  # noqa: PLC0415

    try:
        parse_target(bucket, sse=sse, kms_key_id=kms_key_id)
    except UploadError as exc:
        raise _fail(str(exc)) from None


def _period_dir(out_dir: Path, period: str) -> Path:
    """`--out packs/{period}` (handy in reporter.toml) becomes packs/2026-10."""
    return Path(str(out_dir).replace("{period}", period))


def _finish(code: int) -> None:
    if code:
        raise typer.Exit(code)


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
    history: HistoryPath = None,
    no_history: NoHistory = False,
    exceptions: ExceptionsFile = None,
    fail_on: FailOnOption = FailOn.fail,
    output_bucket: OutputBucket = None,
    sse: SseOption = "AES256",
    sse_kms_key_id: SseKmsKeyId = None,
    config: ConfigFile = None,  # noqa: ARG001 - read by its callback
) -> None:
    """Build the audit pack of SNAPSHOT. Exit 0: every assessed requirement passes; 1: a FAIL without a valid
    exception (see --fail-on); 2: usage or configuration error; 4: upload failed."""
    thresholds = Thresholds(root_window_days=root_window_days, unused_credentials_days=unused_days,
                            key_rotation_days=rotation_days)
    chosen = _frameworks(framework, frameworks_dir)
    attested = _attestations(attestations, chosen)
    accepted = _risk_acceptances(exceptions)
    history_path = _history_path(history, no_history)
    _check_bucket(output_bucket, sse, sse_kms_key_id)
    opened = _open(snapshot)
    model, written = _write_pack(opened, _period_dir(out_dir, opened.manifest.period_start.strftime("%Y-%m")),
                                 formats, thresholds, chosen, attested, page_size, table_cap,
                                 acceptances=accepted, history_path=history_path)
    uploaded = _upload(model, written, opened.root, output_bucket, sse, sse_kms_key_id)
    _finish(uploaded or _verdict(model, fail_on))


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo audit pack.")] = Path("demo-pack"),
    formats: Formats = [OutputFormat.json, OutputFormat.xlsx, OutputFormat.pdf],  # noqa: B006
    page_size: Pages = PageSize.A4,
    history: Annotated[Path | None, typer.Option(
        "--history", help="Compare with and record in this history (default: none, so the demo is reproducible).")] = None,
) -> None:
    """Build the audit pack of the bundled demo snapshot (a three-account organization, October 2026)."""
    # No history unless asked for: the committed sample reports are compared byte for byte.
    _write_pack(_open(demo_snapshot_dir()), out_dir, formats, Thresholds(), _frameworks(None, None), [],
                page_size, history_path=history)


@app.command("demo-snapshot")
def demo_snapshot(
    out_dir: Annotated[Path, typer.Argument(help="Where to copy the bundled demo snapshot.")],
) -> None:
    """Copy the bundled demo snapshot, to edit an artifact and see what the report makes of it."""
    if out_dir.exists():
        raise _fail(f"{out_dir} already exists")
    shutil.copytree(demo_snapshot_dir(), out_dir)
    out.print(f"copied the demo snapshot to {out_dir}", highlight=False)


def _snapshot_folder(path: Path) -> Path:
    """A pack folder of `reporter run` holds its snapshot in PACK/snapshot."""
    if not (path / "manifest.json").exists() and (path / "snapshot" / "manifest.json").exists():
        return path / "snapshot"
    return path


@app.command()
def verify(
    snapshots: Annotated[list[Path] | None, typer.Argument(
        help="Snapshot (or `run` pack) folders; several = one monthly chain, oldest first.")] = None,
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", help="Also require a valid Ed25519 signature (manifest.json.sig) from this key.")] = None,
    history: Annotated[Path | None, typer.Option(
        "--history", help="Verify every pack recorded in this history, month by month, from its snapshot folder.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="With --history: only this scope (org:o-… or accounts:…).")] = None,
) -> None:
    """Recompute every SHA-256 of SNAPSHOT; exit 1 if any file is modified, missing or unexpected.

    Several folders (oldest first) are checked as a chain: each month must record the digest of the
    previous month's manifest; the first broken link is named. --history walks every recorded pack."""
    from reporter.chain import verify_chain, verify_history_chain  # noqa: PLC0415
    from reporter.signing import SignatureError, load_public_key, verify_manifest_signature  # noqa: PLC0415

    key = None
    if public_key is not None:
        try:
            key = load_public_key(public_key)
        except SignatureError as exc:
            raise _fail(str(exc)) from None
    if history is not None:
        if snapshots:
            raise _fail("give snapshot folders or --history, not both")
        try:
            store = History(history, create=False)
        except HistoryError as exc:
            raise _fail(str(exc)) from None
        with store:
            scopes = [scope] if scope else store.scopes()
            if scope and scope not in store.scopes():
                raise _fail(f"{history}: no pack of scope {scope!r}; scopes: {', '.join(store.scopes()) or 'none'}")
            reports = [(s_, verify_history_chain(store, s_, public_key=key)) for s_ in scopes]
        broken = False
        for name, chain in reports:
            out.print(f"scope {name}: {len(chain.entries)} month(s)", highlight=False, markup=False)
            for line in chain.lines():
                out.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
            broken |= not chain.ok
        if not reports:
            out.print(f"{history}: no pack recorded yet", highlight=False, markup=False)
        raise typer.Exit(1 if broken else 0)
    if not snapshots:
        raise _fail("give a snapshot folder (or several, oldest first), or --history PATH")
    folders = [_snapshot_folder(p) for p in snapshots]
    if len(folders) > 1:
        chain = verify_chain(folders, public_key=key)
        for line in chain.lines():
            out.print(line, highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(0 if chain.ok else 1)
    snapshot = folders[0]
    opened = _open(snapshot)
    problems = verify_snapshot(opened)
    for problem in problems:
        out.print(str(problem), highlight=False, markup=False, soft_wrap=True)
    listed = sum(1 for a in opened.manifest.artifacts if a.status == "ok")
    signature_problem = None
    if key is not None:
        try:
            info = verify_manifest_signature(snapshot, key)
            out.print(f"signature ok: Ed25519 key {info.key_id}", highlight=False)
        except SignatureError as exc:
            signature_problem = str(exc)
            out.print(f"signature: {exc}", highlight=False, markup=False, soft_wrap=True)
    if problems or signature_problem:
        err.print(f"{len(problems) + bool(signature_problem)} problem(s) in {snapshot} ({listed} artifacts listed)",
                  highlight=False)
        raise typer.Exit(1)
    out.print(f"ok: {listed} artifacts match manifest {opened.digest}", highlight=False, markup=False)
    if opened.manifest.previous_manifest_sha256:
        out.print(f"chained to the previous pack's manifest {opened.manifest.previous_manifest_sha256}"
                  " (verify both folders together to check the link)", highlight=False)


@app.command()
def keygen(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Private key file (PEM, written 0600).")] = Path("reporter.key"),
    public: Annotated[Path | None, typer.Option("--public", help="Public key file (default: OUT.pub).")] = None,
    passphrase_env: Annotated[str, typer.Option(
        "--passphrase-env", help="Environment variable holding the passphrase that encrypts the private key.")]
    = SIGN_KEY_PASSPHRASE_ENV,
    force: Annotated[bool, typer.Option("--force", help="Replace existing key files.")] = False,
) -> None:
    """Create an Ed25519 key pair for signing snapshot manifests (--sign-key) and verifying them (--public-key)."""
    import os  # noqa: PLC0415

    from reporter.signing import SignatureError, generate_keypair  # noqa: PLC0415

    secret = os.environ.get(passphrase_env)
    if not secret:
        err.print(f"[yellow]warning:[/] ${passphrase_env} is not set: the private key is NOT encrypted;"
                  " keep it in a secret store", highlight=False)
    try:
        private, public_path, key = generate_keypair(out_path, public, passphrase=secret.encode() if secret else None,
                                                     overwrite=force)
    except (SignatureError, FileExistsError, OSError) as exc:
        raise _fail(str(exc)) from None
    out.print(f"private key {private} (keep secret)\npublic key  {public_path}\nkey id      {key}", highlight=False)


@app.command("iam-policy")
def iam_policy_command(
    root_events: Annotated[str, typer.Option("--root-events", help="lookup, s3 or athena (adds what that source needs).")]
    = "lookup",
    role_name: Annotated[str | None, typer.Option(
        "--role-name", help="Add the caller's sts:AssumeRole statement for this audit role name.")] = None,
) -> None:
    """Print the IAM policy (JSON) the audit role needs: exactly the actions the collector calls."""
    import json  # noqa: PLC0415

    from reporter.iam_policy import policy_document  # noqa: PLC0415

    if root_events not in ("lookup", "s3", "athena"):
        raise _fail(f"--root-events {root_events!r}: choose lookup, s3 or athena")
    print(json.dumps(policy_document(root_events=root_events, role_name=role_name), indent=2))  # type: ignore[arg-type]


Period = Annotated[str, typer.Option("--period", help="The month reported on: YYYY-MM, or last-month (UTC).")]
AccountIds = Annotated[str | None, typer.Option("--accounts", help="Comma-separated account ids (default: the caller's account).")]
WholeOrganization = Annotated[bool, typer.Option("--organization", help="Every ACTIVE account of the caller's AWS Organization.")]
RoleName = Annotated[str, typer.Option("--role-name", help="Role assumed in each account other than the caller's.")]
ExternalId = Annotated[str | None, typer.Option("--external-id", envvar="REPORTER_EXTERNAL_ID",
                                                help="ExternalId for AssumeRole (never stored).")]
RegionNames = Annotated[str | None, typer.Option("--regions", help="Comma-separated regions (default: each account's enabled regions).")]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile (SSO profiles too); default: boto3's credential chain.")]
Workers = Annotated[int, typer.Option("--workers", min=1, help="API requests in flight at once (the whole run).")]
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


def _sign_key(path: Path | None) -> Any:
    """Load the signing key before any AWS call: a wrong passphrase costs nothing."""
    if path is None:
        return None
    import os  # noqa: PLC0415

    from reporter.signing import SignatureError, load_private_key  # noqa: PLC0415

    secret = os.environ.get(SIGN_KEY_PASSPHRASE_ENV)
    try:
        return load_private_key(path, secret.encode() if secret else None)
    except SignatureError as exc:
        raise _fail(f"{exc} (passphrase: ${SIGN_KEY_PASSPHRASE_ENV})") from None


def _collect(snapshot_dir: Path, period: str, accounts: str | None, organization: bool, role_name: str,
             external_id: str | None, regions: str | None, profile: str | None, workers: int,
             quiet: bool, root_events: Any, max_attempts: int, *, history: Path | None = None,
             sign_key: Any = None) -> Any:
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
                                 root_events=root_events, max_attempts=max_attempts, history=history)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        summary = collect(options)
    except (CollectError, HistoryError) as exc:
        raise _fail(str(exc)) from None
    if sign_key is not None:
        from reporter.signing import sign_manifest  # noqa: PLC0415

        info = sign_manifest(snapshot_dir, sign_key)
        err.print(f"signed manifest.json with Ed25519 key {info.key_id}", highlight=False)
    if summary.manifest.previous_manifest_sha256:
        err.print(f"chained to the previous pack's manifest {summary.manifest.previous_manifest_sha256}",
                  highlight=False)
    failed = [a for a in summary.manifest.artifacts if a.status == "error" and a.error is not None]
    for artifact in failed[:20]:
        where = " ".join(x for x in (artifact.account, artifact.region) if x)
        err.print(f"[yellow]recorded failure:[/] {artifact.api} {where}: {artifact.error.code}",  # type: ignore[union-attr]
                  highlight=False, soft_wrap=True)
    if len(failed) > 20:
        err.print(f"… and {len(failed) - 20} more (see manifest.json)", highlight=False)
    err.print(f"collected {summary.accounts} account(s), {summary.regions} region(s): {summary.api_calls} API calls, "
              f"{summary.errors} error artifact(s) -> {snapshot_dir}", highlight=False)
    return summary


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
    history: HistoryPath = None,
    no_history: NoHistory = False,
    sign_key: SignKey = None,
    config: ConfigFile = None,  # noqa: ARG001 - read by its callback
) -> None:
    """Collect an evidence snapshot from AWS (read-only calls, plus iam:GenerateCredentialReport); failures become evidence.

    The manifest records the digest of the previous pack of the same scope found in the history (the evidence chain)."""
    source = _root_event_source(root_events, trail_bucket, trail_prefix, trail_dir, athena_table, athena_workgroup,
                                athena_output, athena_region)
    key = _sign_key(sign_key)
    _collect(out_dir, period, accounts, organization, role_name, external_id, regions, profile, workers, quiet,
             source, max_attempts, history=_history_path(history, no_history), sign_key=key)


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
    history: HistoryPath = None,
    no_history: NoHistory = False,
    exceptions: ExceptionsFile = None,
    fail_on: FailOnOption = FailOn.fail,
    sign_key: SignKey = None,
    output_bucket: OutputBucket = None,
    sse: SseOption = "AES256",
    sse_kms_key_id: SseKmsKeyId = None,
    config: ConfigFile = None,  # noqa: ARG001 - read by its callback
) -> None:
    """Collect a snapshot into OUT/snapshot, then build its audit pack in OUT (collect + report): the monthly job.

    Exit 0: every assessed requirement passes; 1: a FAIL without a valid exception (see --fail-on); 2: usage or
    configuration error; 3: collection incomplete (an API call failed: see the pack's scope section); 4: upload failed."""
    from reporter.collect import month_period  # noqa: PLC0415
    from reporter.collect.runner import utc_now  # noqa: PLC0415

    thresholds = Thresholds(root_window_days=root_window_days, unused_credentials_days=unused_days,
                            key_rotation_days=rotation_days)
    # Report inputs are checked before any AWS call, so a typo costs nothing.
    chosen = _frameworks(framework, frameworks_dir)
    attested = _attestations(attestations, chosen)
    accepted = _risk_acceptances(exceptions)
    history_path = _history_path(history, no_history)
    _check_bucket(output_bucket, sse, sse_kms_key_id)
    key = _sign_key(sign_key)
    source = _root_event_source(root_events, trail_bucket, trail_prefix, trail_dir, athena_table, athena_workgroup,
                                athena_output, athena_region)
    try:
        month = month_period(period, utc_now())[0].strftime("%Y-%m")  # resolved once: no month-end race
    except ValueError as exc:
        raise _fail(str(exc)) from None
    out_dir = _period_dir(out_dir, month)
    snapshot_dir = out_dir / "snapshot"
    summary = _collect(snapshot_dir, month, accounts, organization, role_name, external_id, regions, profile, workers,
                       quiet, source, max_attempts, history=history_path, sign_key=key)
    model, written = _write_pack(_open(snapshot_dir), out_dir, formats, thresholds, chosen, attested, page_size,
                                 table_cap, acceptances=accepted, history_path=history_path)
    uploaded = _upload(model, written, snapshot_dir, output_bucket, sse, sse_kms_key_id, profile)
    incomplete = ExitCode.INCOMPLETE if summary.errors else ExitCode.OK
    if incomplete:
        err.print(f"exit {ExitCode.INCOMPLETE}: collection incomplete, {summary.errors} error artifact(s)", highlight=False)
    _finish(uploaded or incomplete or _verdict(model, fail_on))


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
