"""collect(): scope, concurrency, progress, and the snapshot's manifest.

Two thread pools, so that waiting never starves working: one runs an orchestrator per account
(assume the role, list regions, wait for its pieces, merge them), the other runs the pieces
(one API conversation each: a region's trails, a region's root events, a trail's status, …).
Pieces never wait on other pieces, so the bounded pools cannot deadlock. The concurrency that
AWS sees is bounded separately: `max_workers` requests in flight (session.SharedClients's gate),
whatever the number of threads waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from reporter import __version__
from reporter.collect.cloudtrail import (
    collect_trail_details,
    describe_trails,
    lookup_root_events,
    reused_root_events,
    reused_trails,
    write_root_events,
    write_trails,
)
from reporter.collect.context import MAX_MESSAGE, Context, Failure
from reporter.collect.iam import collect_iam
from reporter.collect.monitoring import collect_alerting, collect_eventbridge, trail_log_groups
from reporter.collect.options import CollectError, CollectOptions, CollectSummary
from reporter.collect.organization import (
    OrganizationInfo,
    collect_structure,
    describe_organization,
    is_active,
    list_accounts,
)
from reporter.collect.ratelimit import SAFETY_MARGIN, ConcurrencyGate, RateLimiter
from reporter.collect.resume import check_resumable, journal_parameters, resume_state
from reporter.collect.root_event_sources import collect_trail_log_root_events
from reporter.collect.session import (
    SESSION_NAME,
    ApiCounter,
    ClientPool,
    SharedClients,
    assumed_credentials,
    caller_session,
    client_config,
)
from reporter.core.partition import DEFAULT_PARTITION, home_region, partition_of, partition_regions
from reporter.snapshot.manifest import INTERNAL_ERROR_API, ShardInfo
from reporter.snapshot.writer import SnapshotWriter

ENABLED_REGION = {"opt-in-not-required", "opted-in"}
# Threads per permit of the in-flight gate (`max_workers` requests in flight at most). Most
# threads wait most of the time — an account for its pieces, a piece for its paced page or its
# credential report — so that requests in flight stay at the bound, more threads are needed than
# permits: accounts open at once, and pieces running at once.
ACCOUNT_THREADS = 4
PIECE_THREADS = 8
log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Run:
    options: CollectOptions
    writer: SnapshotWriter
    caller: ClientPool
    caller_account: str
    partition: str
    home: str
    info: OrganizationInfo
    work: ThreadPoolExecutor | None  # the pieces' pool, while the accounts are collected
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    # Filled by the account workers, read once they are all done (trail-log sources need them).
    regions: dict[str, list[str]] = field(default_factory=dict)
    trails: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bugs: list[Exception] = field(default_factory=list)  # raised by reporter's own code (_guarded)
    stopping: bool = False  # interrupted: the parts still running end without recording anything
    counter: ApiCounter = field(default_factory=ApiCounter)  # the run's, for the per-account log lines

    def context(self, account: str, clients: ClientPool, *, artifact_account: str | None) -> Context:
        return Context(
            account, clients, self.writer, self.clock, self.sleep, self.home, artifact_account=artifact_account
        )


def collect(
    options: CollectOptions,
    *,
    session: boto3.Session | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectSummary:
    """Collect every artifact of the scope into `options.out` and write its manifest.

    `clock` gives as_of (at the start) and every artifact's collected_at; `sleep` paces the
    credential-report polling and the LookupEvents limiter (a no-op makes tests fast). Raises
    CollectError when nothing can start; every failure of a call after that is an error artifact.
    A bug in reporter (or an interruption) still finalises what was collected, the manifest marked
    incomplete, and is then raised (with a note saying where the snapshot is).
    """
    interrupted = resume_state(options)
    as_of = interrupted.as_of if interrupted else clock()
    progress = _progress(options.quiet)
    bar = progress.add_task("identifying the caller", total=None, calls=0)
    counter = ApiCounter(on_call=lambda n: progress.update(bar, calls=n))
    caller = ClientPool("caller", _shared_clients(options, counter, sleep, session), priority=True)
    with progress:
        identity = _identity(caller)
        caller.account = identity["Account"]
        counter.rename("caller", caller.account)
        partition = partition_of(identity["Arn"]) or DEFAULT_PARTITION
        home = home_region(partition)
        foreign = sorted(set(options.regions) - set(partition_regions(partition)))
        if foreign:
            raise CollectError(
                f"--regions {','.join(foreign)}: not in the caller's partition {partition} "
                f"({', '.join(partition_regions(partition))})"
            )
        parameters = journal_parameters(options, caller.account, partition)
        if interrupted is not None:
            check_resumable(interrupted, parameters)
        orgs = caller.client("organizations", home)
        described = Context.attempt(orgs.describe_organization)
        org = {} if isinstance(described, Failure) else described["Organization"]
        writer = SnapshotWriter(
            options.out,
            tool_version=__version__,
            period_start=options.period_start,
            period_end=options.period_end,
            as_of=as_of,
            caller_arn=identity["Arn"],
            organization_id=org.get("Id"),
            journal=parameters,
            resume=interrupted,
        )
        info = OrganizationInfo()
        run = _Run(options, writer, caller, caller.account, partition, home, info, None, clock, sleep, counter=counter)
        log.info(
            "collecting %s to %s as %s",
            options.period_start.strftime("%Y-%m"),
            options.out,
            identity["Arn"],
            extra={"account": caller.account, "partition": partition, "out": str(options.out)},
        )
        try:
            targets = _collect_scope(run, described, progress, bar)
        except BaseException as exc:  # an interruption: what was collected is kept all the same
            _stop(run, f"collection interrupted: {type(exc).__name__}: {exc}", exc)
            raise
        if run.bugs:
            _stop(run, f"collection stopped by an internal error in reporter ({_describe(run.bugs[0])})", run.bugs[0])
            raise run.bugs[0]
        # A shard links to the previous pack of the whole scope, so that every shard agrees.
        seen = writer.shard.accounts_seen if writer.shard is not None else None
        manifest = writer.finalize(
            collected_at=clock(),
            previous_manifest_sha256=options.chain_link(org.get("Id"), targets if seen is None else seen),
        )
    errors = sum(1 for a in manifest.artifacts if a.status == "error")
    log.info(
        "collected %d account(s), %d region(s): %d API calls, %d failed",
        len(manifest.accounts),
        len(manifest.regions),
        counter.total,
        errors,
        extra={"accounts": len(manifest.accounts), "calls": counter.total, "failed": errors, "reused": writer.reused},
    )
    return CollectSummary(
        manifest=manifest,
        accounts=len(manifest.accounts),
        regions=len(manifest.regions),
        api_calls=counter.total,
        errors=errors,
        calls_by_api=dict(sorted(counter.by_api.items())),
        calls_by_account=dict(sorted(counter.by_account.items())),
        reused=writer.reused,
        not_reused=list(writer.not_reused) + (interrupted.skipped if interrupted else []),
    )


def _shared_clients(
    options: CollectOptions, counter: ApiCounter, sleep: Callable[[float], None], session: boto3.Session | None
) -> SharedClients:
    config = client_config(options.max_attempts, options.max_workers, options.connect_timeout, options.read_timeout)
    limiter = RateLimiter(options.lookup_rate, margin=SAFETY_MARGIN, sleep=sleep)
    gate = ConcurrencyGate(options.max_workers)
    base_session = session or caller_session(options.profile)
    return SharedClients(base_session, config=config, counter=counter, limiter=limiter, gate=gate)


def _collect_scope(run: _Run, described: dict[str, Any] | Failure, progress: Progress, bar: TaskID) -> tuple[str, ...]:
    """The organization's artifacts, then every account's; the accounts in scope.

    With --organization, each account starts as soon as its ListAccounts page is in (the
    listing is 1 call per 20 accounts, one after another: 2.5 s at 1,000 accounts, with nothing
    else in flight if the accounts waited for it).
    """
    options, caller = run.options, run.caller
    org_ctx = run.context(run.caller_account, caller, artifact_account=None)
    run.info = describe_organization(org_ctx, described)
    whole_org = options.organization or run.info.management_account == run.caller_account
    shard = options.shard
    processes = 1 if options.resume else min(options.processes, options.max_workers)
    progress.update(bar, description="collecting accounts", total=None, completed=0)
    # Imported here: processes.py builds on this module (_Run, _Accounts).
    from reporter.collect.processes import Children  # noqa: PLC0415

    collector: Children | _Accounts
    if processes > 1:
        collector = Children(run, processes, progress.advance, bar)
    else:
        collector = _Accounts(run, lambda _: progress.advance(bar))
    with collector:

        def found(page: list[dict[str, Any]]) -> None:
            for account in page:
                run.info.account_names[account["Id"]] = account.get("Name", "")
                if is_active(account) and (shard is None or shard.select([account["Id"]])):
                    collector.add(account["Id"])

        if whole_org:
            run.info = list_accounts(org_ctx, run.info, found if options.organization else None)
        targets = _targets(options, run.info, run.caller_account)
        if shard is not None:
            # Without the organization's account list a shard cannot know its share: it collects
            # none (but those its pages already started), and merge refuses it (its ListAccounts
            # error artifact says why).
            listed = run.info.listed or not options.organization
            run.writer.shard = ShardInfo(
                index=shard.index, count=shard.count, accounts_seen=sorted(targets) if listed else None
            )
            targets = shard.select(targets) if listed else ()
        if whole_org and run.info.listed and (shard is None or shard.walks_organization):
            collector.walk()
        for account in targets:
            collector.add(account)  # those the pages did not start (a resume, --accounts, a failed listing)
        progress.update(bar, total=len(collector.accounts))
    if options.root_events.kind != "lookup":
        progress.update(bar, description=f"root events from {options.root_events.kind}")
        _guarded(run, None, f"root events from {options.root_events.kind}", collect_trail_log_root_events, run, targets)
    return targets


class _Accounts:
    """This process's pools: the organization walk and each account added, collected at once;
    `done(account)` once an account is collected, `done(None)` once the walk is. Leaving the
    `with` waits for them all (on an interruption: cancels what has not started)."""

    def __init__(self, run: _Run, done: Callable[[str | None], None]) -> None:
        self.run, self._done = run, done
        self.accounts: dict[str, None] = {}  # in the order added
        workers = run.options.max_workers
        self._work = ThreadPoolExecutor(workers * PIECE_THREADS, thread_name_prefix="collect")
        self._pool = ThreadPoolExecutor(workers * ACCOUNT_THREADS, thread_name_prefix="account")
        self._pending: list[Future[None]] = []
        run.work = self._work

    def walk(self) -> None:
        run = self.run
        org_ctx = run.context(run.caller_account, run.caller, artifact_account=None)
        future = self._pool.submit(_guarded, run, None, "the organization walk", collect_structure, org_ctx)
        future.add_done_callback(lambda _: self._done(None))
        self._pending.append(future)

    def add(self, account: str) -> None:
        if account in self.accounts:
            return
        self.accounts[account] = None
        run = self.run
        future = self._pool.submit(_guarded, run, account, f"account {account}", _collect_account, run, account)
        future.add_done_callback(lambda _: self._done(account))
        self._pending.append(future)

    def __enter__(self) -> _Accounts:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        if kind is not None:
            self._cancel()
            return
        try:
            for future in self._pending:
                future.result()
        except BaseException:
            self._cancel()
            raise
        self._pool.shutdown()
        self._work.shutdown()

    def _cancel(self) -> None:
        # An interruption: what has not started never will, so the snapshot is finalised now,
        # not after every queued account has been collected all the same.
        # What is running is waited for: nothing may write beside the manifest once it is written.
        self.run.stopping = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._work.shutdown(wait=False, cancel_futures=True)
        self._pool.shutdown()
        self._work.shutdown()


def _guarded(run: _Run, account: str | None, what: str, job: Callable[..., None], *args: Any) -> None:
    """Run one part of the collection; a bug in it is recorded (an error artifact naming the
    part) and kept for the end, so the other parts still collect what they can."""
    try:
        job(*args)
    except Exception as exc:  # a bug in reporter, not a failed call: those never reach here
        if run.stopping:
            return  # its pieces were cancelled by the interruption; the resume collects this part
        run.bugs.append(exc)
        _record_unfinished(run, account, "InternalError", f"{what}: {_describe(exc)}")


def _record_unfinished(run: _Run, account: str | None, code: str, message: str) -> None:
    """An error artifact for a part of the collection that did not complete; its account stays
    in scope, so what it lacks is reported, not left out."""
    run.writer.add_error(api=INTERNAL_ERROR_API, code=code, message=message, account=account, collected_at=run.clock())
    if account is not None and not run.writer.has_account(account):
        run.writer.add_account(account, name=run.info.account_names.get(account) or None)


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:MAX_MESSAGE]


def _stop(run: _Run, reason: str, exc: BaseException) -> None:
    """Finalise the snapshot as it stands, marked incomplete; say so on the raised exception."""
    writer = run.writer
    if not writer.has_account():
        writer.add_account(run.caller_account)  # stopped before any account: a snapshot needs one
    writer.finalize(collected_at=run.clock(), incomplete=reason)
    exc.add_note(
        f"the evidence collected so far is in {run.options.out}, its manifest marked incomplete; "
        f"`reporter collect --resume` with the same options collects the rest"
    )


def _progress(quiet: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[calls]} API calls"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=False,
    )


def _identity(caller: ClientPool) -> dict[str, Any]:
    sts = caller.client("sts", caller.region or "us-east-1")
    try:
        return sts.get_caller_identity()
    except Exception as exc:  # whatever the call raised (collect/context.py)
        failure = Failure.of(exc)
        raise CollectError(
            f"cannot identify the caller (sts:GetCallerIdentity): {failure.code}: {failure.message}"
        ) from None


def _targets(options: CollectOptions, info: OrganizationInfo, caller: str) -> tuple[str, ...]:
    if options.organization:
        # ListAccounts refused: its error artifact says why; collect at least the caller's account.
        return info.active_accounts if info.listed and info.active_accounts else (caller,)
    return tuple(dict.fromkeys(options.accounts)) or (caller,)


def _collect_account(run: _Run, account: str) -> None:
    log.info("account %s: collecting", account, extra={"account": account})
    _collect_account_evidence(run, account)
    calls, failed = run.counter.by_account[account], run.writer.error_count(account)
    log.info(
        "account %s: done, %d API calls, %d failed",
        account,
        calls,
        failed,
        extra={"account": account, "calls": calls, "failed": failed},
    )


def _collect_account_evidence(run: _Run, account: str) -> None:
    options, info = run.options, run.info
    name = info.account_names.get(account) or None
    is_management = account == info.management_account
    clients = run.caller if account == run.caller_account else _assume(run, account)
    if clients is None:
        run.writer.add_account(account, name=name, regions=list(options.regions), is_management=is_management)
        return
    ctx = run.context(account, clients, artifact_account=account)
    regions = _regions(ctx, options.regions)
    run.writer.add_account(account, name=name, regions=regions, is_management=is_management)
    start, end = options.period_start, options.period_end
    work = run.work
    assert work is not None  # accounts are collected inside _collect_scope's pool
    pieces: list[Future[Any]] = [work.submit(collect_iam, ctx)]
    reused = reused_trails(ctx, regions)
    trails = {} if reused is not None else {r: work.submit(describe_trails, ctx, r) for r in regions}
    lookups = (
        {r: work.submit(lookup_root_events, ctx, r, start, end) for r in regions}
        if options.root_events.kind == "lookup" and not reused_root_events(ctx, regions, start, end)
        else {}
    )
    pieces += [work.submit(collect_eventbridge, ctx, r) for r in regions]
    merged = reused if reused is not None else write_trails(ctx, {r: f.result() for r, f in trails.items()})
    pieces += [work.submit(collect_trail_details, ctx, t) for t in merged]
    pieces += [work.submit(collect_alerting, ctx, r, groups) for r, groups in trail_log_groups(merged, account).items()]
    if lookups:
        write_root_events(ctx, {r: f.result() for r, f in lookups.items()}, start, end)
    for piece in pieces:
        piece.result()
    run.regions[account] = regions
    run.trails[account] = merged


def _assume(run: _Run, account: str) -> ClientPool | None:
    options = run.options
    role_arn = f"arn:{run.partition}:iam::{account}:role/{options.role_name}"
    sts = run.caller.client("sts", run.caller.region or run.home)
    try:
        credentials = assumed_credentials(sts, role_arn=role_arn, external_id=options.external_id)
    except Exception as exc:  # whatever the call raised (collect/context.py)
        failure = Failure.of(exc)
        # ExternalId is a shared secret of the trust policy: never in the snapshot.
        run.writer.add_error(
            api="sts:AssumeRole",
            code=failure.code,
            message=failure.message,
            account=account,
            region=None,
            params={"RoleArn": role_arn, "RoleSessionName": SESSION_NAME},
            collected_at=run.clock(),
            attempts=failure.attempts,
        )
        return None
    return ClientPool(account, run.caller.shared, credentials=credentials)


def _regions(ctx: Context, wanted: tuple[str, ...]) -> list[str]:
    """The account's enabled regions (or `wanted`); regions.json records what AWS said."""
    ec2 = ctx.client("ec2")
    answer = ctx.fetch_json(
        f"accounts/{ctx.account}/regions.json",
        lambda: {"Regions": ec2.describe_regions(AllRegions=True)["Regions"]},
        api="ec2:DescribeRegions",
        region=ctx.home_region,
        params={"AllRegions": True},
    )
    if wanted:
        return sorted(set(wanted))
    if isinstance(answer, Failure):
        # Its error artifact says why; the home region at least, where IAM and sign-ins live.
        return [ctx.home_region]
    return sorted(r["RegionName"] for r in answer["Regions"] if r.get("OptInStatus") in ENABLED_REGION)
