"""Collecting evidence from AWS: `collect`, `run` (collect, then report), and `athena-ddl`."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from reporter.cli import inputs, logs
from reporter.cli.console import ExitCode, err, fail, finish, warn
from reporter.cli.groups import grouped
from reporter.cli.interrupt import Interrupted, interruptible
from reporter.cli.options import (
    AccountIds,
    CollectArgs,
    ConfigFile,
    HistoryArgs,
    PublishArgs,
    RegionNames,
    ReportArgs,
    SigningArgs,
    TrailPrefix,
)
from reporter.cli.pack_commands import plan_report, upload, verdict, write_pack
from reporter.core.period import month_period
from reporter.history.store import HistoryError, chain_lookup


def _collect(
    snapshot_dir: Path,
    period: str,
    args: CollectArgs,
    source: Any,
    *,
    history: Path | None = None,
    sign_key: Any = None,
) -> Any:
    # Imported here: boto3 loads slowly and only these two commands need it.
    from reporter.collect import CollectError, CollectOptions, collect  # noqa: PLC0415
    from reporter.collect.runner import utc_now  # noqa: PLC0415
    from reporter.core.shard import Shard  # noqa: PLC0415

    if args.organization and args.accounts:
        raise fail("give --accounts or --organization, not both")
    if snapshot_dir.exists() and not snapshot_dir.is_dir():
        raise fail(f"--out {snapshot_dir} is a file, not a folder; give a new folder")
    inputs.aws_profile(args.profile)
    if source.directory is not None and not source.directory.is_dir():
        raise fail(f"--trail-dir {source.directory}: not a folder")
    try:
        start, end = month_period(period, utc_now())
        options = CollectOptions(
            out=snapshot_dir,
            period_start=start,
            period_end=end,
            accounts=inputs.split(args.accounts),
            organization=args.organization,
            role_name=args.role_name,
            external_id=args.external_id,
            regions=inputs.split(args.regions),
            profile=args.profile,
            max_workers=args.workers,
            processes=args.processes,
            quiet=args.quiet or logs.json_logs(),  # a log collector reads stderr: no bar in it
            root_events=source,
            max_attempts=args.max_attempts,
            connect_timeout=args.connect_timeout,
            read_timeout=args.read_timeout,
            resume=args.resume,
            shard=Shard.parse(args.shard) if args.shard is not None else None,
            previous_manifest=chain_lookup(history, start) if history else None,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        with interruptible():
            summary = collect(options)
    except (CollectError, HistoryError) as exc:
        raise fail(str(exc)) from None
    except Interrupted as exc:
        # the runner's note says where the incomplete snapshot is; without one nothing was written yet
        notes = getattr(exc, "__notes__", None) or ["before anything was collected; nothing was written"]
        for note in notes:
            warn(f"interrupted ({exc.signal_name}): {note}")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    if sign_key is not None:
        from reporter.snapshot.signing import sign_manifest  # noqa: PLC0415

        info = sign_manifest(snapshot_dir, sign_key)
        err.print(f"signed manifest.json with Ed25519 key {info.key_id}", highlight=False)
    if summary.manifest.previous_manifest_sha256:
        err.print(
            f"chained to the previous pack's manifest {summary.manifest.previous_manifest_sha256}", highlight=False
        )
    failed = [a for a in summary.manifest.artifacts if a.status == "error" and a.error is not None]
    for artifact in failed[:20]:
        where = " ".join(x for x in (artifact.account, artifact.region) if x)
        assert artifact.error is not None  # `failed` holds only artifacts with an error
        err.print(
            f"[yellow]recorded failure:[/] {artifact.api} {where}: {artifact.error.code}",
            highlight=False,
            soft_wrap=True,
            level=logging.WARNING,
        )
    if len(failed) > 20:
        err.print(f"… and {len(failed) - 20} more (see manifest.json)", highlight=False, level=logging.WARNING)
    if args.resume:
        err.print(
            f"resumed: {summary.reused} artifact(s) of the interrupted run re-used, "
            f"{len(summary.not_reused)} not re-used (collected again)",
            highlight=False,
        )
        for why in summary.not_reused[:20]:
            warn(f"  collected again: {why}", logging.INFO)
    err.print(
        f"collected {summary.accounts} account(s), {summary.regions} region(s): {summary.api_calls} API calls, "
        f"{summary.errors} error artifact(s) -> {snapshot_dir}",
        highlight=False,
    )
    return summary


@grouped
def collect_command(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="New folder for the evidence snapshot.")],
    config: ConfigFile = None,
    *,
    collect_args: CollectArgs,
    history_args: HistoryArgs,
    signing_args: SigningArgs,
) -> None:
    """Collect an evidence snapshot from AWS (read-only calls, plus iam:GenerateCredentialReport);
    failures become evidence.

    The manifest records the digest of the previous pack of the same scope found in the history (the evidence chain)."""
    source = inputs.root_event_source(collect_args)
    key = inputs.sign_key(signing_args.sign_key)
    history = inputs.history_path(history_args.history, history_args.no_history)
    _collect(out_dir, collect_args.period, collect_args, source, history=history, sign_key=key)


@grouped
def run_command(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the pack; the snapshot goes to OUT/snapshot.")
    ],
    config: ConfigFile = None,
    *,
    collect_args: CollectArgs,
    report_args: ReportArgs,
    history_args: HistoryArgs,
    publish_args: PublishArgs,
    signing_args: SigningArgs,
) -> None:
    """Collect a snapshot into OUT/snapshot, then build its audit pack in OUT (collect + report): the monthly job.

    The snapshot is verified before its pack is rendered. Exit codes: see `reporter --help`."""
    from reporter.collect.runner import utc_now  # noqa: PLC0415

    if collect_args.shard is not None:
        raise fail("--shard is for `reporter collect`: collect every shard, `reporter merge` them, then report")
    # Report inputs are checked before any AWS call, so a typo costs nothing.
    key = inputs.sign_key(signing_args.sign_key)
    plan = plan_report(report_args, key)
    history_path = inputs.history_path(history_args.history, history_args.no_history)
    inputs.check_bucket(publish_args.output_bucket, publish_args.sse, publish_args.sse_kms_key_id)
    inputs.check_security_hub(publish_args.to_security_hub, publish_args.security_hub_region)
    source = inputs.root_event_source(collect_args)
    try:
        month = month_period(collect_args.period, utc_now())[0].strftime("%Y-%m")  # resolved once: no month-end race
    except ValueError as exc:
        raise fail(str(exc)) from None
    out_dir = inputs.period_dir(out_dir, month)
    snapshot_dir = out_dir / "snapshot"
    summary = _collect(snapshot_dir, month, collect_args, source, history=history_path, sign_key=key)
    model, written = write_pack(inputs.open_snapshot(snapshot_dir), out_dir, plan, history_path, publish_args)
    uploaded = upload(model, written, snapshot_dir, publish_args, collect_args.profile)
    incomplete = ExitCode.INCOMPLETE if summary.errors else ExitCode.OK
    if incomplete:
        err.print(
            f"exit {ExitCode.INCOMPLETE}: collection incomplete, {summary.errors} error artifact(s)",
            highlight=False,
            level=logging.WARNING,
        )
    result = verdict(model, plan.fail_on)
    finish(result if result == ExitCode.INTEGRITY else uploaded or incomplete or result)


def athena_ddl_command(
    table: Annotated[str, typer.Option("--athena-table", help="The table to create, DB.TABLE.")],
    bucket: Annotated[str, typer.Option("--trail-bucket", help="The trail bucket.")],
    prefix: TrailPrefix = None,
    org_id: Annotated[str | None, typer.Option("--org-id", help="o-…: the logs of an organization trail.")] = None,
    accounts: AccountIds = None,
    regions: RegionNames = None,
) -> None:
    """Print CREATE TABLE for CloudTrail logs with partition projection (for --root-events athena)."""
    from reporter.collect.trail_logs import athena_ddl  # noqa: PLC0415

    if not re.fullmatch(r"[\w-]+\.[\w-]+", table):
        raise fail("--athena-table must be DB.TABLE")
    if org_id is not None and not re.fullmatch(r"o-[a-z0-9]{10,32}", org_id):
        raise fail(f"--org-id {org_id!r} is not an organization id (o-…)")
    print(
        athena_ddl(
            table,
            bucket=bucket,
            prefix=prefix,
            org_id=org_id,
            accounts=list(inputs.split(accounts)) or None,
            regions=list(inputs.split(regions)) or None,
        )
    )
