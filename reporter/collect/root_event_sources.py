"""Root events from the trail's log files (S3 or a local folder) or Athena, for every account at once.

Runs after the account workers: the S3 source needs the trails they found (to locate the bucket)
and the regions each account covers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reporter.collect.trail_logs import collect_from_athena, collect_from_dir, collect_from_s3
from reporter.collect.trail_logs.athena import Polling

if TYPE_CHECKING:
    from reporter.collect.runner import _Run

API_S3 = "s3:GetObject"


def collect_trail_log_root_events(run: _Run, accounts: tuple[str, ...]) -> None:
    source = run.options.root_events
    start, end = run.options.period_start, run.options.period_end
    # An account whose role was refused still has its logs in the central bucket; read them
    # for the regions the run covers elsewhere.
    fallback = sorted({r for regions in run.regions.values() for r in regions} | set(run.options.regions))
    regions = {a: run.regions.get(a) or fallback for a in accounts}
    if source.kind == "athena":
        athena = run.caller.client("athena", source.athena_region or run.caller.region or run.home)
        collect_from_athena(
            run.writer,
            athena=athena,
            table=source.athena_table or "",
            workgroup=source.athena_workgroup,
            output_location=source.athena_output,
            accounts=list(accounts),
            regions=fallback,
            start=start,
            end=end,
            clock=run.clock,
            polling=Polling(sleep=run.sleep),
        )
        return
    if source.directory is not None:
        collect_from_dir(
            run.writer, directory=source.directory, accounts=list(accounts), start=start, end=end, clock=run.clock
        )
        return
    s3 = run.caller.client("s3", run.home)
    for (bucket, prefix), members in _buckets(run, accounts).items():
        if bucket is None:
            for account in members:
                run.writer.add_error(
                    api=API_S3,
                    code="NoTrailBucket",
                    message="no trail of this account delivers to S3; pass --trail-bucket",
                    collected_at=run.clock(),
                    params={"regions": []},
                    account=account,
                )
            continue
        collect_from_s3(
            run.writer,
            s3=s3,
            bucket=bucket,
            prefix=prefix,
            accounts=members,
            regions={a: regions[a] for a in members},
            start=start,
            end=end,
            clock=run.clock,
            org_id=run.info.organization_id,
        )


def _buckets(run: _Run, accounts: tuple[str, ...]) -> dict[tuple[str | None, str | None], list[str]]:
    """Accounts grouped by the bucket (and prefix) that holds their logs."""
    source = run.options.root_events
    if source.bucket:
        return {(source.bucket, source.prefix): list(accounts)}
    groups: dict[tuple[str | None, str | None], list[str]] = {}
    shared = _best_trail([t for trails in run.trails.values() for t in trails if t.get("IsOrganizationTrail")])
    for account in accounts:
        trail = _best_trail(run.trails.get(account, [])) or shared
        key = (trail.get("S3BucketName"), trail.get("S3KeyPrefix")) if trail else (None, None)
        groups.setdefault(key, []).append(account)
    return groups


def _best_trail(trails: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An organization trail first (it holds every account), then a multi-region one."""
    with_bucket = [t for t in trails if t.get("S3BucketName")]
    ranked = sorted(
        with_bucket,
        key=lambda t: (not t.get("IsOrganizationTrail"), not t.get("IsMultiRegionTrail"), t.get("TrailARN", "")),
    )
    return ranked[0] if ranked else None
