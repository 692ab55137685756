"""collect --processes N: the accounts collected by N child processes into one snapshot folder,
against the three-account organization on a ThreadedMotoServer (children are fresh interpreters:
they reach moto over HTTP, AWS_ENDPOINT_URL). The snapshot is one run's: the same findings, byte
for byte, as one process, `verify` clean, one manifest, no journal left; a child that dies leaves
its unfinished accounts as InternalError artifacts in a manifest marked incomplete, and is raised."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import moto_gaps
import moto_scenario as ms
import orjson
import pytest
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.collect import CollectOptions, collect
from reporter.collect.options import CollectSummary
from reporter.collect.processes import CollectProcessError
from reporter.pack.model import PackOptions, build_pack
from reporter.render.json_report import findings_document
from reporter.snapshot.journal import JOURNAL_NAME
from reporter.snapshot.manifest import INTERNAL_ERROR_API
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot

AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return AS_OF


def no_sleep(_: float) -> None:
    pass


def second_child_dies() -> datetime:
    """The clock, except in the second child process, which dies at its first artifact."""
    if multiprocessing.current_process().name == "collect-2":
        os._exit(9)
    return AS_OF


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    moto_gaps.install()
    moto_gaps.reset()
    ms.seed_random()
    saved = dict(os.environ)
    ms.fake_aws_env()
    with ms.fixed_ids(ms.MGMT, ms.ORG_ID), ms.moto_server() as url:
        clock = ms.MotoClock(ms.AS_OF)
        try:
            ms.acme(ms.Scenario(endpoint_url=url), clock)
            os.environ["AWS_ENDPOINT_URL"] = url  # the children inherit it
            yield url
        finally:
            clock.restore()
            moto_gaps.reset()
            os.environ.clear()
            os.environ.update(saved)


def options(out: Path, processes: int) -> CollectOptions:
    return CollectOptions(
        out=out,
        period_start=ms.PERIOD_START,
        period_end=ms.PERIOD_END,
        organization=True,
        regions=ms.REGIONS,
        max_workers=4,
        max_attempts=3,
        quiet=True,
        processes=processes,
    )


def verdict_bytes(root: Path) -> bytes:
    snapshot = Snapshot.open(root)
    doc = findings_document(build_pack(snapshot, PackOptions()))
    doc.pop("snapshot")
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).replace(snapshot.digest.encode(), b"<this snapshot>")


@pytest.fixture(scope="module")
def single(server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CollectSummary]:
    out = tmp_path_factory.mktemp("one") / "snap"
    return out, collect(options(out, 1), clock=fixed_clock, sleep=no_sleep)


def test_processes_give_the_snapshot_of_one_process(single: tuple[Path, CollectSummary], tmp_path: Path) -> None:
    out = tmp_path / "snap"
    summary = collect(options(out, 3), clock=fixed_clock, sleep=no_sleep)
    one, three = Snapshot.open(single[0]), Snapshot.open(out)
    assert verify_snapshot(three) == []
    assert three.manifest.incomplete is None and not (out / JOURNAL_NAME).exists()
    assert summary.errors == 0 and summary.accounts == 3
    # the children's calls counted in the parent's summary (moto answers the credential report
    # COMPLETE at once now that the first run generated it: fewer GenerateCredentialReport calls)
    assert summary.calls_by_api.keys() == single[1].calls_by_api.keys()
    assert summary.calls_by_account.keys() == single[1].calls_by_account.keys()
    assert summary.api_calls == sum(summary.calls_by_api.values()) == sum(summary.calls_by_account.values())
    assert sorted(a.path or "" for a in three.manifest.artifacts) == sorted(
        a.path or "" for a in one.manifest.artifacts
    )
    assert three.manifest.accounts == one.manifest.accounts
    assert verdict_bytes(out) == verdict_bytes(single[0])


def test_a_child_that_dies_leaves_its_accounts_as_errors(server: str, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    with pytest.raises(CollectProcessError, match="exited with code 9"):
        collect(options(out, 2), clock=second_child_dies, sleep=no_sleep)
    snapshot = Snapshot.open(out)
    manifest = snapshot.manifest
    assert manifest.incomplete is not None and "collection process 2/2 exited with code 9" in manifest.incomplete.reason
    assert verify_snapshot(snapshot) == []
    # accounts are dealt round-robin as the listing finds them: the second child had one of three
    lost = [a for a in manifest.artifacts if a.api == INTERNAL_ERROR_API]
    assert [a.error and a.error.code for a in lost] == ["ProcessExited"]
    second = lost[0].account
    assert {a.id for a in manifest.accounts} == {ms.MGMT, ms.PROD, ms.SANDBOX}
    assert not any(a.account == second and a.status == "ok" for a in manifest.artifacts)
    # the journal is kept: --resume (in one process) collects the rest
    assert (out / JOURNAL_NAME).exists()
    resumed = collect(replace(options(out, 2), resume=True), clock=fixed_clock, sleep=no_sleep)
    assert resumed.manifest.incomplete is None and resumed.errors == 0


def test_cli_processes(server: str, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    args = ["collect", "--organization", "--out", str(out), "--period", "2026-10", "--regions", ",".join(ms.REGIONS)]
    result = CliRunner().invoke(app, [*args, "--quiet", "--max-attempts", "3", "--workers", "4", "--processes", "2"])
    assert result.exit_code == 0, result.output
    manifest = Snapshot.open(out).manifest
    assert {a.id for a in manifest.accounts} == {ms.MGMT, ms.PROD, ms.SANDBOX}
    assert not [a for a in manifest.artifacts if a.status == "error"]
