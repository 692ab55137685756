"""The chaos suite's harness (issue #15, item 2): one moto organization on a ThreadedMotoServer, a
faultless reference collection of it, and collections of it through the fault proxy, each judged
against the reference by the oracle.

The oracle, per faulty run:
- no exception escapes `collect` (a crash);
- `verify_snapshot` passes;
- every (check, account, resource) finding has the reference's status, or is NOT_ASSESSED with a
  reason naming a call that failed (an error artifact's API); a reference finding may be missing
  only when the organization's account listing failed (then the pack covers fewer accounts, and
  says why);
- every injected fault was either retried to success (moto answered a later attempt of the same
  request) or is an error artifact of that call (API, account, region);
- `reporter report` exits with the reference's code or 3 (evidence incomplete), never 70.

    python tests/chaos/run.py --seeds 1-20      # make chaos: the long run, with a summary table
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import moto_gaps
import moto_scenario as ms
import pandas as pd
from fault_proxy import KINDS, Call, FaultProxy
from typer.testing import CliRunner

from reporter.checks.runner import run_checks
from reporter.cli.app import app
from reporter.collect import CollectOptions, collect
from reporter.core.status import Status
from reporter.evidence.tables import load_evidence
from reporter.snapshot.manifest import Artifact
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot

REGIONS = ("eu-west-1", "us-east-1")
READ_TIMEOUT = 1.0  # a stall costs one second per attempt, not botocore's 60
STALL = READ_TIMEOUT + 0.5
MAX_ATTEMPTS = 3  # few enough that storms and repeated faults outlast the retries
LISTING = frozenset({"organizations:DescribeOrganization", "organizations:ListAccounts"})
# A call whose failure the collector records under the evidence its flow produces
RECORDED_AS = {"iam:GenerateCredentialReport": "iam:GetCredentialReport"}

Key = tuple[str, str, str]  # check, account, resource


@dataclass
class World:
    url: str  # moto's
    accounts: int
    reference: dict[Key, tuple[Status, str]] = field(default_factory=dict)
    reference_exit: int = 0


@dataclass
class Outcome:
    seed: int
    requests: int = 0  # that reached the proxy, retries included
    faults: Counter[str] = field(default_factory=Counter)
    retried: int = 0  # faults whose request moto answered at a later attempt
    error_artifacts: int = 0
    crashes: int = 0
    wrong_verdicts: list[str] = field(default_factory=list)
    unaccounted_faults: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # verify failures, crash text, exit codes
    not_assessed: int = 0  # findings NOT_ASSESSED here, judged in the reference
    exit_code: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.crashes or self.wrong_verdicts or self.unaccounted_faults or self.problems)


@contextlib.contextmanager
def chaos_world(accounts: int, workdir: Path) -> Iterator[World]:
    """The organization on a moto server in this process, and its faultless reference run."""
    ms.fake_aws_env()
    moto_gaps.install()
    moto_gaps.reset()
    try:
        with ms.fixed_ids(ms.MGMT), ms.moto_server() as url:
            ms.big_organization(ms.Scenario(endpoint_url=url), accounts)
            world = World(url, accounts)
            reference = run_seed(world, seed=0, rate=0.0, out=workdir / "reference")
            if not reference.ok:
                raise AssertionError(f"the faultless reference run is not clean: {reference}")
            yield world
    finally:
        moto_gaps.reset()
        os.environ.pop("AWS_ENDPOINT_URL", None)


def _account_of(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return get_account_id_from(access_key)


def run_seed(world: World, *, seed: int, rate: float, out: Path) -> Outcome:
    """One collection through the fault proxy, judged (with rate 0: the reference, recorded)."""
    outcome = Outcome(seed)
    proxy = FaultProxy(world.url, seed=seed, rate=rate, stall=STALL, account_of=_account_of)
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
    started = time.monotonic()
    try:
        collect(_options(out / "snap"), clock=lambda: ms.AS_OF, sleep=lambda _: None)
    except Exception as exc:  # the point of the suite: nothing may escape
        outcome.crashes += 1
        outcome.problems.append(f"collect raised {type(exc).__name__}: {exc}")
        return outcome
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        proxy.close()
        outcome.seconds = time.monotonic() - started
    snapshot = Snapshot.open(out / "snap")
    outcome.problems += [f"verify: {failure}" for failure in verify_snapshot(snapshot)]
    errors = [a for a in snapshot.manifest.artifacts if a.status == "error"]
    outcome.error_artifacts = len(errors)
    outcome.faults, outcome.requests = proxy.by_kind(), proxy.requests
    for fault in proxy.injected:
        if any(later > fault.attempt for later in proxy.answered.get(fault.call, ())):
            outcome.retried += 1
        elif not any(_records(a, fault.call) for a in errors):
            outcome.unaccounted_faults.append(f"{fault.kind} on {fault.call} (attempt {fault.attempt})")
    verdicts = _verdicts(snapshot)
    exit_code = _report_exit(out)
    if rate == 0:
        world.reference, world.reference_exit = verdicts, exit_code
    else:
        _judge(world, verdicts, errors, outcome)
        if exit_code not in (world.reference_exit, 3):
            outcome.problems.append(f"report exited {exit_code} (reference {world.reference_exit})")
    outcome.exit_code = exit_code
    return outcome


def _options(out: Path) -> CollectOptions:
    return CollectOptions(
        out=out,
        period_start=ms.PERIOD_START,
        period_end=ms.PERIOD_END,
        organization=True,
        regions=REGIONS,
        quiet=True,
        lookup_rate=1000.0,
        max_attempts=MAX_ATTEMPTS,
        max_workers=8,
        connect_timeout=READ_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )


def _records(artifact: Artifact, call: Call) -> bool:
    """Whether `artifact` is the error artifact of `call` (global calls carry no region or account)."""
    return (
        artifact.api == RECORDED_AS.get(call.api, call.api)
        and artifact.account in (call.account, None)
        and (artifact.region in (call.region, None) or not call.region)
    )


def _verdicts(snapshot: Snapshot) -> dict[Key, tuple[Status, str]]:
    findings = run_checks(load_evidence(snapshot), pd.Timestamp(snapshot.manifest.as_of))
    return {(f.check_id, f.account_id, f.resource): (f.status, f.reason) for f in findings}


def _report_exit(out: Path) -> int:
    args = ["report", str(out / "snap"), "--out", str(out / "pack"), "-f", "json", "--no-history"]
    return CliRunner().invoke(app, args).exit_code


def _judge(world: World, verdicts: dict[Key, tuple[Status, str]], errors: list[Artifact], outcome: Outcome) -> None:
    failed_apis = {a.api for a in errors}
    listing_failed = bool(failed_apis & LISTING)
    for key, (status, _) in world.reference.items():
        if key not in verdicts:
            if not listing_failed:
                outcome.wrong_verdicts.append(f"{key}: judged in the reference, missing here")
            continue
        got, reason = verdicts[key]
        if got is status:
            continue
        if got is Status.NOT_ASSESSED and any(api in reason for api in failed_apis):
            outcome.not_assessed += 1
            continue
        outcome.wrong_verdicts.append(f"{key}: {got.value} (reference {status.value}): {reason[:300]}")
    for key in verdicts.keys() - world.reference.keys():
        outcome.wrong_verdicts.append(f"{key}: {verdicts[key][0].value}, not in the reference")


def summary_table(outcomes: list[Outcome]) -> str:
    """The figures of a set of runs, one row per seed and a total."""
    head = ["seed", "requests", *KINDS, "faults", "retried", "errors", "n/a", "crash", "wrong", "lost", "exit", "s"]
    rows = []
    for o in outcomes:
        cells = [
            o.seed,
            o.requests,
            *(o.faults[k] for k in KINDS),
            sum(o.faults.values()),
            o.retried,
            o.error_artifacts,
        ]
        cells += [o.not_assessed, o.crashes, len(o.wrong_verdicts), len(o.unaccounted_faults), o.exit_code]
        rows.append([*map(str, cells), f"{o.seconds:.1f}"])
    total = Counter[str]()
    for o in outcomes:
        total.update(o.faults)
    sums = [sum(total[k] for k in KINDS), sum(o.retried for o in outcomes), sum(o.error_artifacts for o in outcomes)]
    sums += [sum(o.not_assessed for o in outcomes), sum(o.crashes for o in outcomes)]
    sums += [sum(len(o.wrong_verdicts) for o in outcomes), sum(len(o.unaccounted_faults) for o in outcomes)]
    requests = str(sum(o.requests for o in outcomes))
    rows.append(["all", requests, *(str(total[k]) for k in KINDS), *map(str, sums), "", ""])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [head, *rows]]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])
