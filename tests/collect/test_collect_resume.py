"""A collection stopped by a bug keeps what it collected (an incomplete snapshot), and
`collect --resume` finishes it (issue #15, items 1 and 8), against the three-account moto organization."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from moto_world import AS_OF, World, fixed_clock, no_sleep, options
from typer.testing import CliRunner

from reporter.checks.runner import run_checks
from reporter.cli import crash
from reporter.cli.app import app, cli
from reporter.collect import CollectError, collect
from reporter.collect.options import CollectSummary
from reporter.core.status import Status
from reporter.evidence.tables import load_evidence
from reporter.snapshot.journal import JOURNAL_NAME
from reporter.snapshot.manifest import INTERNAL_ERROR_API
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot

LATER = AS_OF.replace(day=3)  # the resumed run's wall clock: as_of must stay the interrupted run's


@pytest.fixture(scope="module")
def reference(world: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CollectSummary]:
    out = tmp_path_factory.mktemp("reference") / "snap"
    return out, collect(options(out), clock=fixed_clock, sleep=no_sleep)


def _broken_eventbridge(account: str) -> Any:
    from reporter.collect import runner

    real = runner.collect_eventbridge

    def collect_eventbridge(ctx: Any, region: str) -> None:
        if ctx.account == account and region == "eu-west-1":
            raise KeyError("Rules")  # a bug in reporter's own code, not a failed call
        real(ctx, region)

    return collect_eventbridge


@pytest.fixture
def interrupted(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "snap"
    with monkeypatch.context() as patch:
        patch.setattr("reporter.collect.runner.collect_eventbridge", _broken_eventbridge(world.prod))
        with pytest.raises(KeyError) as raised:
            collect(options(out), clock=fixed_clock, sleep=no_sleep)
    assert any("--resume" in note and str(out) in note for note in raised.value.__notes__)
    return out


def verdicts(root: Path) -> list[tuple[str, str, str, Status]]:
    snapshot = Snapshot.open(root)
    findings = run_checks(load_evidence(snapshot), pd.Timestamp(snapshot.manifest.as_of))
    return sorted((f.check_id, f.account_id, f.resource, f.status) for f in findings)


def test_a_bug_finalises_what_was_collected_as_an_incomplete_snapshot(world: World, interrupted: Path) -> None:
    snapshot = Snapshot.open(interrupted)
    manifest = snapshot.manifest
    assert verify_snapshot(snapshot) == []  # the journal named by the manifest is no stray file
    assert manifest.incomplete is not None and manifest.incomplete.journal == JOURNAL_NAME
    assert "internal error" in manifest.incomplete.reason and "KeyError" in manifest.incomplete.reason
    (bug,) = [a for a in manifest.artifacts if a.api == INTERNAL_ERROR_API]
    assert bug.account == world.prod and bug.status == "error" and bug.error is not None
    assert bug.error.code == "InternalError" and f"account {world.prod}" in bug.error.message
    # the other accounts, and the prod account's other calls, were collected all the same
    assert {a.id for a in manifest.accounts} == {world.mgmt, world.prod, world.sandbox}
    ok = {(a.api, a.account) for a in manifest.artifacts if a.status == "ok"}
    assert ("iam:GetCredentialReport", world.prod) in ok and ("events:ListRules", world.mgmt) in ok
    findings = run_checks(load_evidence(snapshot), pd.Timestamp(manifest.as_of))
    prod = {f.check_id: f for f in findings if f.account_id == world.prod}
    # us-east-1 has no alert path (a FAIL the evidence proves); eu-west-1's rules were never read
    alerting = prod["root_usage_alerting"]
    assert alerting.status is Status.FAIL and "Could not tell in eu-west-1" in alerting.reason, alerting.reason
    assert prod["root_mfa_enabled"].status is Status.PASS  # what the bug did not touch is judged


def test_resume_reuses_what_verifies_and_ends_where_an_uninterrupted_run_ends(
    world: World, interrupted: Path, reference: tuple[Path, CollectSummary]
) -> None:
    tampered = f"accounts/{world.mgmt}/iam/credential_report.csv"
    (interrupted / tampered).write_bytes(b"user,arn\nnot,what was collected\n")
    summary = collect(options(interrupted, resume=True), clock=lambda: LATER, sleep=no_sleep)
    manifest = Snapshot.open(interrupted).manifest
    assert manifest.incomplete is None and manifest.as_of == AS_OF
    assert not (interrupted / JOURNAL_NAME).exists()
    assert verify_snapshot(Snapshot.open(interrupted)) == []
    assert summary.reused > 20 and summary.api_calls < reference[1].api_calls / 2
    assert any(tampered in why and "SHA-256 differs" in why for why in summary.not_reused), summary.not_reused
    assert (interrupted / tampered).read_bytes() == (reference[0] / tampered).read_bytes()
    assert not [a for a in manifest.artifacts if a.api == INTERNAL_ERROR_API]
    assert verdicts(interrupted) == verdicts(reference[0])


def test_resume_refuses_other_options_a_complete_snapshot_and_a_folder_without_journal(
    world: World, interrupted: Path, reference: tuple[Path, CollectSummary], tmp_path: Path
) -> None:
    before = (interrupted / "manifest.json").read_bytes()
    with pytest.raises(CollectError, match=r"regions=\['eu-west-1', 'us-east-1'\].*\['us-east-1'\]"):
        collect(options(interrupted, resume=True, regions=("us-east-1",)), clock=fixed_clock, sleep=no_sleep)
    with pytest.raises(CollectError, match="role_name"):
        collect(options(interrupted, resume=True, role_name="Auditor"), clock=fixed_clock, sleep=no_sleep)
    assert (interrupted / "manifest.json").read_bytes() == before  # a refusal touches nothing
    with pytest.raises(CollectError, match="interrupted collection; continue it with --resume"):
        collect(options(interrupted), clock=fixed_clock, sleep=no_sleep)
    with pytest.raises(CollectError, match="complete snapshot; there is nothing to resume"):
        collect(options(reference[0], resume=True), clock=fixed_clock, sleep=no_sleep)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CollectError, match="--resume: .*journal"):
        collect(options(tmp_path / "empty", resume=True), clock=fixed_clock, sleep=no_sleep)


def test_a_killed_run_leaves_a_journal_that_resumes(world: World, interrupted: Path) -> None:
    # A run killed outright writes no manifest: only the journal, its last line cut mid-write.
    (interrupted / "manifest.json").unlink()
    journal = interrupted / JOURNAL_NAME
    journal.write_bytes(journal.read_bytes() + b'{"path": "accounts/cut')
    summary = collect(options(interrupted, resume=True), clock=lambda: LATER, sleep=no_sleep)
    assert summary.reused > 20 and any("line" in why for why in summary.not_reused), summary.not_reused
    assert verify_snapshot(Snapshot.open(interrupted)) == [] and Snapshot.open(interrupted).manifest.as_of == AS_OF


def test_cli_exit_codes_of_an_interrupted_collection(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snap"
    monkeypatch.setattr("reporter.collect.runner.collect_eventbridge", _broken_eventbridge(world.prod))
    monkeypatch.setenv(crash.CRASH_DIR_ENV, str(tmp_path / "crashes"))
    collect_args = ["collect", "--out", str(out), "--period", "2026-10", "--organization", "--regions"]
    monkeypatch.setattr(sys, "argv", ["reporter", *collect_args, "eu-west-1,us-east-1", "--quiet"])
    with pytest.raises(SystemExit) as exited:
        cli()
    assert exited.value.code == 70
    shown = capsys.readouterr().err.replace("\n", " ")
    assert "internal error: KeyError" in shown and "--resume" in shown and "Traceback" not in shown
    runner = CliRunner()
    report = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "pack"), "-f", "json", "--no-history"])
    assert report.exit_code == 3, report.output  # evidence incomplete, whatever the verdicts
    pack = json.loads((tmp_path / "pack/findings.json").read_bytes())
    assert "internal error in reporter" in pack["snapshot"]["incomplete"]
    refused = runner.invoke(app, [*collect_args, "us-east-1", "--resume", "--quiet"])
    assert refused.exit_code == 2 and "regions=" in refused.output
    monkeypatch.undo()
    resumed = runner.invoke(app, [*collect_args, "eu-west-1,us-east-1", "--resume", "--quiet"])
    assert resumed.exit_code == 0, resumed.output
    assert "resumed:" in resumed.output and "re-used" in resumed.output


def test_sigterm_finalises_an_incomplete_snapshot_and_exits_130(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reporter.collect import runner

    real = runner.collect_eventbridge

    def terminated(ctx: Any, region: str) -> None:
        if ctx.account == world.prod:
            os.kill(os.getpid(), signal.SIGTERM)  # the scheduler stops the task mid-run
        real(ctx, region)

    monkeypatch.setattr("reporter.collect.runner.collect_eventbridge", terminated)
    out = tmp_path / "snap"
    args = ["collect", "--out", str(out), "--period", "2026-10", "--organization", "--regions", "eu-west-1,us-east-1"]
    stopped = CliRunner().invoke(app, [*args, "--quiet"])
    assert stopped.exit_code == 130, stopped.output
    assert "interrupted (SIGTERM)" in stopped.output and "--resume" in stopped.output
    incomplete = Snapshot.open(out).manifest.incomplete
    assert incomplete is not None and "SIGTERM" in incomplete.reason
    assert verify_snapshot(Snapshot.open(out)) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is the collection's only
    monkeypatch.undo()
    assert CliRunner().invoke(app, [*args, "--resume", "--quiet"]).exit_code == 0
    assert Snapshot.open(out).manifest.incomplete is None
