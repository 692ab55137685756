"""Building and writing packs: `report`, `demo`, `demo-snapshot`, and the report half of `run`."""

from __future__ import annotations

import logging
import math
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from reporter.checks.limits import Thresholds
from reporter.cli import inputs
from reporter.cli.console import ExitCode, err, fail, finish, out, terminal_line
from reporter.cli.groups import grouped
from reporter.cli.options import (
    DEFAULT_FORMATS,
    ConfigFile,
    FailOn,
    Formats,
    HistoryArgs,
    OutputFormat,
    Pages,
    PageSize,
    PublishArgs,
    ReportArgs,
    SigningArgs,
)
from reporter.core.resources import demo_exceptions_file, demo_snapshot_dir
from reporter.history.records import scope_key_for
from reporter.history.store import History
from reporter.pack.integrity import STAMP, Integrity, check_integrity
from reporter.pack.model import Pack, PackOptions, build_pack
from reporter.publish.pack_manifest import RenderInputs, sha256_file, write_pack_manifest
from reporter.publish.security_hub import BATCH_SIZE, ImportResult, Refused
from reporter.render.outputs import write_outputs
from reporter.snapshot.reader import Snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportPlan:
    """ReportArgs read and checked: what build_pack and the renderers are given."""

    options: PackOptions
    formats: tuple[OutputFormat, ...] = DEFAULT_FORMATS
    page_size: PageSize = PageSize.A4
    table_cap: int = 500
    fail_on: FailOn = FailOn.fail
    public_key: Any = None
    allow_unverified: bool = False
    sign_key: Any = None
    attestations_sha256: str | None = None
    exceptions_sha256: str | None = None
    pdf_signer: Any = None

    def render_inputs(self, history: bool) -> RenderInputs:
        return RenderInputs(
            [str(f) for f in self.formats],
            self.page_size.value,
            self.table_cap,
            self.attestations_sha256,
            self.exceptions_sha256,
            history,
        )


def plan_report(args: ReportArgs, sign_key: Any = None) -> ReportPlan:
    """Every report input checked before anything is collected or written (exit 2 on a problem)."""
    thresholds = Thresholds(
        root_window_days=args.root_window_days,
        unused_credentials_days=args.unused_days,
        key_rotation_days=args.rotation_days,
    )
    chosen = inputs.frameworks(args.framework, args.frameworks_dir)
    if not chosen and OutputFormat.oscal in args.formats:
        # Frameworks given only by --frameworks-dir, none selected by default.
        raise fail("-f oscal reports framework controls and no framework is selected: name one with --framework")
    options = PackOptions(
        thresholds, chosen, inputs.attestations(args.attestations, chosen), inputs.risk_acceptances(args.exceptions)
    )
    return ReportPlan(
        options,
        tuple(args.formats),
        args.page_size,
        args.table_cap,
        args.fail_on,
        inputs.public_key(args.public_key),
        args.allow_unverified,
        sign_key,
        sha256_file(args.attestations) if args.attestations else None,
        sha256_file(args.exceptions) if args.exceptions else None,
        inputs.pdf_signer(args.sign_pdf, args.tsa_url),
    )


def verify_evidence(snapshot: Snapshot, plan: ReportPlan, history: History | None) -> Integrity:
    """The snapshot checked before anything is rendered: exit 5, nothing written, on a failure
    (unless --allow-unverified, which renders a stamped pack)."""

    def previous(snap: Snapshot) -> str | None:
        if history is None:
            return None
        manifest = snap.manifest
        scope = scope_key_for(manifest.organization_id, [a.id for a in manifest.accounts])
        return history.previous_digest(scope, manifest.period_start)

    integrity = check_integrity(snapshot, plan.public_key, previous)
    if not integrity.failures:
        return integrity
    for failure in integrity.failures:
        err.print(
            f"[bold red]integrity:[/] {escape(str(failure))}", highlight=False, soft_wrap=True, level=logging.ERROR
        )
    if not plan.allow_unverified:
        raise fail(
            f"{snapshot.root}: {len(integrity.failures)} file(s) fail verification; no pack written"
            " (--allow-unverified renders a stamped pack)",
            ExitCode.INTEGRITY,
        )
    err.print(
        f"[yellow]warning:[/] rendering with --allow-unverified: every page is stamped {STAMP}", level=logging.WARNING
    )
    return integrity


def sign_pdfs(written: list[Path], signer: Any) -> dict[str, dict[str, Any]]:
    """Sign each PDF written (--sign-pdf). A pack asked to be signed is never left unsigned: when
    signing fails (a TSA down, say) the files just written go, nothing is recorded, exit 2."""
    if signer is None:
        return {}
    from reporter.publish.pdf_signature import PdfSigningError, sign_pdf  # noqa: PLC0415 - the [sign] extra

    signed = {}
    for path in written:
        if path.suffix == ".pdf":
            try:
                signed[path.name] = sign_pdf(path, signer).as_dict()
            except PdfSigningError as exc:
                for done in written:
                    done.unlink(missing_ok=True)
                raise fail(f"{exc}; no pack written") from None
            out.print(f"signed {path.name}: PAdES, by {signer.subject}", highlight=False, markup=False, soft_wrap=True)
    return signed


def write_pack(
    snapshot: Snapshot,
    out_dir: Path,
    plan: ReportPlan,
    history_path: Path | None = None,
    publish: PublishArgs | None = None,
) -> tuple[Pack, list[Path]]:
    """Build, write every file, then (and only then) record the pack in the history."""
    # Every input is validated above this line: nothing is written half-way.
    log.info(
        "building the pack of snapshot %s",
        snapshot.root,
        extra={
            "snapshot": str(snapshot.root),
            "snapshot_digest": snapshot.digest,
            "formats": ",".join(str(f) for f in plan.formats),
        },
    )
    history = inputs.open_history(history_path)
    try:
        integrity = verify_evidence(snapshot, plan, history)
        model = build_pack(snapshot, replace(plan.options, history=history, integrity=integrity))
        if publish is not None:
            security_hub_region(model, publish)  # a publish target known only from the evidence
        written = write_outputs(model, out_dir, plan.formats, page_size=plan.page_size.value, table_cap=plan.table_cap)
        signed_from = sign_pdfs(written, plan.pdf_signer)
        written += write_pack_manifest(
            model, out_dir, written, plan.render_inputs(history is not None), plan.sign_key, signed_from
        )
        # A failed render never reaches the history: drift next month compares with a real pack.
        recorded = history.record(model.record) if history is not None and model.record is not None else None
    finally:
        if history is not None:
            history.close()
    counts = model.counts()
    for problem in model.problems:
        err.print(f"[yellow]warning:[/] {escape(str(problem))}", highlight=False, soft_wrap=True, level=logging.WARNING)
    extra = len(model.framework_findings)
    out.print(
        f"{len(model.findings)} findings: "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        + (f"; {extra} more judged under framework rows' own limits" if extra else ""),
        highlight=False,
    )
    if model.acceptances is not None and model.acceptances.source:
        c = model.acceptances.counts()
        out.print(
            f"exceptions: {c['accepted']} accepted, {c['expired']} expired, {c['not_yet_valid']} not yet valid; "
            f"{model.acceptances.unaccepted_fails} FAIL(s) without a valid exception",
            highlight=False,
            soft_wrap=True,
        )
    if model.drift is not None:
        d = model.drift.counts()
        since = (
            "baseline: first pack of this scope"
            if model.drift.baseline
            else (
                f"since {model.drift.previous_month}: {d['new']} new, {d['resolved']} resolved, "
                f"{d['still_open']} still open, {d['no_longer_assessed']} no longer assessed"
            )
        )
        out.print(f"drift: {since}", highlight=False, soft_wrap=True)
    for path in written:
        out.print(f"wrote {path}", highlight=False, markup=False, soft_wrap=True)
        log.info("wrote %s", path, extra={"output": str(path), "bytes": path.stat().st_size})
    if recorded is not None:
        out.print(
            f"history: {recorded.value} pack {model.snapshot.digest[:16]}… in {history_path}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    return model, written


def verdict(model: Pack, fail_on: FailOn) -> int:
    """Exit code 5 (evidence failed verification), else 0 or 1 from the findings (exceptions applied)."""
    if model.integrity.failures:
        err.print(
            f"exit {ExitCode.INTEGRITY}: the evidence failed verification (rendered with --allow-unverified)",
            level=logging.ERROR,
        )
        return ExitCode.INTEGRITY
    if fail_on is FailOn.never:
        return ExitCode.OK
    unaccepted = model.acceptances.unaccepted_fails if model.acceptances is not None else model.counts()["FAIL"]
    if unaccepted:
        err.print(
            f"exit {ExitCode.FAIL}: {unaccepted} FAIL(s) without a valid exception",
            highlight=False,
            level=logging.WARNING,
        )
        return ExitCode.FAIL
    if fail_on is FailOn.not_assessed:
        missing = model.counts()["NOT_ASSESSED"] + sum(1 for a in model.accounts if not a.assessed)
        if missing:
            err.print(
                f"exit {ExitCode.FAIL}: {missing} result(s)/account(s) NOT ASSESSED (--fail-on not-assessed)",
                highlight=False,
                level=logging.WARNING,
            )
            return ExitCode.FAIL
    return ExitCode.OK


PUBLISH_RETRIES = 5  # retries after the first attempt (adaptive mode: with client-side rate limiting)


def publish_client(profile: str | None, service: str, region: str | None = None) -> Any:
    """A client that delivers the pack: adaptive retries, the collector's timeouts, and an answer
    cut short is a failed attempt, never half a document read as an empty answer (a cut
    BatchImportFindings answer would otherwise read as every finding imported)."""
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    from reporter.collect.options import CONNECT_TIMEOUT, READ_TIMEOUT  # noqa: PLC0415
    from reporter.core.truncation import refuse_cut_bodies  # noqa: PLC0415

    config = Config(
        retries={"mode": "adaptive", "max_attempts": PUBLISH_RETRIES},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )
    client = boto3.Session(profile_name=profile).client(service, region_name=region, config=config)
    refuse_cut_bodies(client.meta.events, int(client.meta.config.retries["total_max_attempts"]))
    return client


def upload(model: Pack, written: list[Path], snapshot_dir: Path, args: PublishArgs, profile: str | None = None) -> int:
    """Deliver the pack (--output-bucket), then import its findings (--to-security-hub); exit 4 if
    either failed, after both were tried."""
    delivered = to_bucket(model, written, snapshot_dir, args, profile)
    imported = to_security_hub(model, args, profile)
    return delivered or imported


def to_bucket(model: Pack, written: list[Path], snapshot_dir: Path, args: PublishArgs, profile: str | None) -> int:
    if args.output_bucket is None:
        return ExitCode.OK
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    from reporter.publish.upload import UploadError, parse_target, upload_pack  # noqa: PLC0415 - boto3 only here

    target = parse_target(args.output_bucket, sse=args.sse, kms_key_id=args.sse_kms_key_id)
    try:
        client = publish_client(profile, "s3")
    except BotoCoreError as exc:  # no such profile, a malformed config: before any object
        err.print(
            f"[bold red]upload failed:[/] {escape(terminal_line(str(exc)))}",
            highlight=False,
            soft_wrap=True,
            level=logging.ERROR,
        )
        return ExitCode.UPLOAD
    try:
        urls = upload_pack(
            target,
            written,
            period=model.period_label,
            manifest_sha256=model.snapshot.digest,
            snapshot_dir=snapshot_dir,
            as_of=model.snapshot.manifest.as_of,
            client=client,
        )
    except UploadError as exc:
        for url in exc.written:  # a partial upload: what did reach the bucket
            out.print(f"uploaded {url}", highlight=False, markup=False)
        err.print(
            f"[bold red]upload failed:[/] {escape(terminal_line(str(exc)))}",
            highlight=False,
            soft_wrap=True,
            level=logging.ERROR,
        )
        return ExitCode.UPLOAD
    for url in urls:
        out.print(f"uploaded {url}", highlight=False, markup=False)
    return ExitCode.OK


def security_hub_region(model: Pack, args: PublishArgs) -> str | None:
    """The region --to-security-hub imports into, None without it. A region of another partition than
    the snapshot's is a configuration error (exit 2), said once the snapshot's partition is known and
    before anything is rendered: no Security Hub takes findings whose ARNs are of another partition."""
    if not args.to_security_hub:
        return None
    from botocore.exceptions import UnknownRegionError  # noqa: PLC0415

    from reporter.core.partition import DEFAULT_PARTITION, home_region, partition_of_region  # noqa: PLC0415

    partition = model.evidence[0].partition if model.evidence else DEFAULT_PARTITION
    region = args.security_hub_region or home_region(partition)
    try:
        region_partition = partition_of_region(region)
    except UnknownRegionError:  # a region newer than botocore's data: let Security Hub judge it
        region_partition = partition
    if region_partition != partition:
        raise fail(
            f"--security-hub-region {region} is in partition {region_partition}; the snapshot's accounts are"
            f" in partition {partition}: give one of its regions (e.g. {home_region(partition)});"
            " nothing was rendered or imported"
        )
    return region


def to_security_hub(model: Pack, args: PublishArgs, profile: str | None) -> int:
    region = security_hub_region(model, args)
    if region is None:
        return ExitCode.OK
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    from reporter.publish.security_hub import import_findings, sync_workflow  # noqa: PLC0415 - boto3 only here
    from reporter.render.asff import asff_findings  # noqa: PLC0415

    findings = asff_findings(model, region)
    try:
        client = publish_client(profile, "securityhub", region)
    except BotoCoreError as exc:
        err.print(
            f"[bold red]security hub:[/] {escape(terminal_line(str(exc)))}",
            highlight=False,
            soft_wrap=True,
            level=logging.ERROR,
        )
        return ExitCode.UPLOAD
    result = import_findings(findings, client, region)
    sync_workflow(findings, client, result)
    report_refusals(result)
    set_ = ", ".join(f"{n} {status}" for status, n in sorted(result.workflow_set.items()))
    out.print(
        f"security hub ({region}): {result.imported} of {len(findings)} finding(s) imported in {result.calls} call(s)"
        + (f"; workflow set: {set_}" if set_ else ""),
        highlight=False,
        soft_wrap=True,
    )
    return ExitCode.UPLOAD if result.refused or result.workflow_failed else ExitCode.OK


def _say_each(refusals: list[Refused], prefix: str) -> dict[tuple[str, str], list[Refused]]:
    """Print each finding's own refusal; return the failed calls by distinct error, said once each."""
    failed_calls: dict[tuple[str, str], list[Refused]] = {}
    for refused in refusals:
        if refused.call_failed:
            failed_calls.setdefault((refused.code, refused.message), []).append(refused)
            continue
        err.print(
            f"[bold red]{prefix}[/] {escape(terminal_line(str(refused)))}",
            highlight=False,
            soft_wrap=True,
            level=logging.ERROR,
        )
    return failed_calls


def report_refusals(result: ImportResult) -> None:
    """Each finding Security Hub refused on its own line; a call that failed as a whole (no
    credentials, throttled, denied) once per distinct error, with the way to diagnose it."""
    failed_calls = _say_each(result.refused, "security hub refused")
    for (code, message), refused_ in failed_calls.items():
        calls = math.ceil(len(refused_) / BATCH_SIZE)  # every call but the last carries a full batch
        err.print(
            f"[bold red]security hub:[/] {calls} of {result.calls} call(s) failed, {len(refused_)} finding(s) not"
            f" imported: {escape(terminal_line(f'{code}: {message}'))}",  # one line, whatever the error says
            highlight=False,
            soft_wrap=True,
            level=logging.ERROR,
        )
    workflow_calls = _say_each(result.workflow_failed, "security hub kept the workflow of")
    for (code, message), refused_ in workflow_calls.items():
        what = (
            "could not read the imported findings' workflow (GetFindings)"
            if refused_[0].finding_id == "GetFindings"
            else f"{len(refused_)} finding(s) left in a workflow the pack contradicts"
        )
        err.print(
            f"[bold red]security hub:[/] {what}: {escape(terminal_line(f'{code}: {message}'))}",
            highlight=False,
            soft_wrap=True,
            level=logging.ERROR,
        )
    if failed_calls or workflow_calls:
        err.print(
            f"hint: `reporter doctor` checks the credentials; Security Hub must be enabled in {result.region}"
            " and securityhub:BatchImportFindings, securityhub:GetFindings and securityhub:BatchUpdateFindings"
            " allowed",
            highlight=False,
            markup=False,
            soft_wrap=True,
            level=logging.ERROR,
        )


@grouped
def report(
    snapshot: Annotated[Path, typer.Argument(help="An evidence snapshot folder.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the audit pack.")] = Path("."),
    config: ConfigFile = None,
    *,
    report_args: ReportArgs,
    history_args: HistoryArgs,
    publish_args: PublishArgs,
    signing_args: SigningArgs,
) -> None:
    """Build the audit pack of SNAPSHOT, after verifying it (digests; signature with --public-key; chain link
    against the history); write pack-manifest.json (signed with --sign-key). Exit codes: see `reporter --help`."""
    plan = plan_report(report_args, inputs.sign_key(signing_args.sign_key))
    history_path = inputs.history_path(history_args.history, history_args.no_history)
    inputs.check_bucket(publish_args.output_bucket, publish_args.sse, publish_args.sse_kms_key_id)
    inputs.check_security_hub(publish_args.to_security_hub, publish_args.security_hub_region)
    opened = inputs.open_snapshot(snapshot)
    shard = opened.manifest.shard
    if shard is not None:
        raise fail(
            f"{snapshot} is shard {shard.index}/{shard.count} of a collection; "
            f"`reporter merge` all {shard.count} shards, then report the merged snapshot"
        )
    model, written = write_pack(
        opened,
        inputs.period_dir(out_dir, opened.manifest.period_start.strftime("%Y-%m")),
        plan,
        history_path,
        publish_args,
    )
    uploaded = upload(model, written, opened.root, publish_args)
    stopped = opened.manifest.incomplete
    incomplete = ExitCode.OK if stopped is None else ExitCode.INCOMPLETE
    if stopped is not None:
        err.print(
            f"exit {ExitCode.INCOMPLETE}: collection incomplete: {stopped.reason}",
            highlight=False,
            level=logging.WARNING,
        )
    result = verdict(model, plan.fail_on)
    finish(result if result == ExitCode.INTEGRITY else uploaded or incomplete or result)


def demo(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo audit pack.")] = Path("demo-pack"),
    formats: Formats = list(DEFAULT_FORMATS),  # noqa: B006 - read, never mutated
    page_size: Pages = PageSize.A4,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history", help="Compare with and record in this history (default: none, so the demo is reproducible)."
        ),
    ] = None,
) -> None:
    """Build the audit pack of the bundled demo snapshot: a twelve-account organization, October 2026, mostly
    compliant, with its exceptions file (one break-glass root sign-in under change CHG-2291)."""
    # No history unless asked for: the committed sample reports are compared byte for byte.
    exceptions = demo_exceptions_file()
    options = PackOptions(
        frameworks=inputs.frameworks(None, None),
        risk_acceptances=inputs.risk_acceptances(exceptions),
    )
    plan = ReportPlan(options, tuple(formats), page_size, exceptions_sha256=sha256_file(exceptions))
    write_pack(inputs.open_snapshot(demo_snapshot_dir()), out_dir, plan, history)


def demo_snapshot(
    out_dir: Annotated[Path, typer.Argument(help="Where to copy the bundled demo snapshot.")],
) -> None:
    """Copy the bundled demo snapshot, to edit an artifact and see what the report makes of it."""
    if out_dir.exists():
        raise fail(f"{out_dir} already exists")
    shutil.copytree(demo_snapshot_dir(), out_dir)
    out.print(f"copied the demo snapshot to {out_dir}", highlight=False)
    # The exceptions file stays outside: a file the manifest does not list would fail `verify`.
    out.print(
        f"its exceptions file (for report --exceptions): {demo_exceptions_file()}", highlight=False, soft_wrap=True
    )
