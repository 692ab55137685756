"""End to end: `reporter collect --organization` in a subprocess against a ThreadedMotoServer,
then `reporter report`, then the findings.

The server runs in this process, with moto_gaps and the three-account organization of
tests/moto_scenario.py (`acme`, the demo's before it grew to twelve accounts); the subprocess
only talks HTTP to it through AWS_ENDPOINT_URL with dummy credentials. Second run, same world:
the sandbox's role refuses AssumeRole and prod's LookupEvents is throttled forever in eu-west-1;
the run still completes (exit code 0: failures are evidence, written to the manifest) and the
findings say exactly what was not assessed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto_gaps
import moto_scenario as ms
import pytest

from reporter.collect.options import DEFAULT_ROLE_NAME
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot

MGMT, PROD, SANDBOX = ms.MGMT, ms.PROD, ms.SANDBOX
NEW_CHECKS = (
    "root_usage_alerting",
    "cloudtrail_root_evidence_complete",
    "root_scp_deny",
    "root_credentials_centrally_managed",
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    moto_gaps.install()
    moto_gaps.reset()
    ms.seed_random()
    with ms.fixed_ids(MGMT, ms.ORG_ID), ms.moto_server() as url:
        clock = ms.MotoClock(ms.AS_OF)
        try:
            ms.acme(ms.Scenario(endpoint_url=url), clock)
            yield url
        finally:
            clock.restore()
            moto_gaps.reset()


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    home = Path(os.environ.get("TMPDIR", "/tmp"))
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [str(Path(sys.executable).with_name("reporter")), *args], env=env, capture_output=True, text=True, timeout=600
    )


def collect_and_report(url: str, tmp: Path) -> tuple[subprocess.CompletedProcess[str], Snapshot, dict[str, Any]]:
    snap, out = tmp / "snap", tmp / "pack"
    done = cli(
        url,
        "collect",
        "--organization",
        "--out",
        str(snap),
        "--period",
        "2026-10",
        "--regions",
        ",".join(ms.REGIONS),
        "--quiet",
        "--max-attempts",
        "3",
    )
    assert done.returncode == 0, done.stderr
    report = cli(url, "report", str(snap), "--out", str(out), "--format", "json", "--fail-on", "never")
    assert report.returncode == 0, report.stderr
    return done, Snapshot.open(snap), json.loads((out / "findings.json").read_text())


def statuses(doc: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for f in doc["findings"]:
        found.setdefault((f["check_id"], f["account_id"]), set()).add(f["status"])
    return found


def only(found: dict[tuple[str, str], set[str]], check: str, account: str) -> str:
    (status,) = found[(check, account)]
    return status


def test_collect_then_report_over_http(server: str, tmp_path: Path) -> None:
    done, snapshot, doc = collect_and_report(server, tmp_path)
    assert "collected 3 account(s), 2 region(s)" in done.stderr and "0 error artifact(s)" in done.stderr
    assert verify_snapshot(snapshot) == []
    manifest = snapshot.manifest
    assert manifest.organization_id == ms.ORG_ID
    assert {a.id for a in manifest.accounts} == {MGMT, PROD, SANDBOX}
    assert [a.id for a in manifest.accounts if a.is_management] == [MGMT]
    assert [a for a in manifest.artifacts if a.status == "error"] == []

    found = statuses(doc)
    expected = {
        # management: org trail + CIS filter/alarm/confirmed subscriber; centralized root access off
        ("root_usage_alerting", MGMT): "PASS",
        ("cloudtrail_root_evidence_complete", MGMT): "PASS",
        ("root_scp_deny", MGMT): "NOT_APPLICABLE",
        ("root_credentials_centrally_managed", MGMT): "FAIL",
        ("root_mfa_enabled", MGMT): "FAIL",
        ("root_no_access_keys", MGMT): "FAIL",
        ("iam_password_policy_strong", MGMT): "FAIL",
        # prod: EventBridge route in both regions, own trail, in the OU with the deny-root SCP
        ("root_usage_alerting", PROD): "PASS",
        ("cloudtrail_root_evidence_complete", PROD): "PASS",
        ("root_scp_deny", PROD): "PASS",
        ("root_credentials_centrally_managed", PROD): "NOT_APPLICABLE",
        ("root_mfa_enabled", PROD): "PASS",
        ("root_not_used", PROD): "PASS",
        ("iam_password_policy_strong", PROD): "PASS",
        # sandbox: nothing routed, no trail, outside the OU, no password policy
        ("root_usage_alerting", SANDBOX): "FAIL",
        ("cloudtrail_root_evidence_complete", SANDBOX): "FAIL",
        ("root_scp_deny", SANDBOX): "FAIL",
        ("iam_password_policy_strong", SANDBOX): "FAIL",
        ("root_mfa_enabled", SANDBOX): "PASS",
    }
    assert {key: only(found, *key) for key in expected} == expected
    # the IAM users' stories survive the trip through moto, HTTP and the credential report
    by_user = {
        (f["check_id"], f["resource"].rsplit("/", 1)[-1]): f["status"]
        for f in doc["findings"]
        if f["account_id"] == MGMT and ":user/" in f["resource"]
    }
    assert by_user[("iam_user_console_mfa", "bob")] == "FAIL" and by_user[("iam_user_console_mfa", "alice")] == "PASS"
    assert by_user[("iam_single_active_access_key", "dave")] == "FAIL"
    assert by_user[("iam_access_keys_rotated", "carol")] == "FAIL"
    root_events = (snapshot.root / f"accounts/{MGMT}/cloudtrail/root_events.jsonl").read_text().splitlines()
    assert len(root_events) == len(ms.MGMT_ROOT_EVENTS)


@pytest.fixture
def broken(server: str) -> Iterator[str]:
    role = f"arn:aws:iam::{SANDBOX}:role/{DEFAULT_ROLE_NAME}"
    moto_gaps.refuse_assume_role(role)
    moto_gaps.throttle(PROD, "eu-west-1")
    try:
        yield server
    finally:
        moto_gaps.unthrottle(PROD, "eu-west-1")
        with moto_gaps._STATE.lock:
            moto_gaps._STATE.refused_roles.discard(role)


def test_refused_role_and_throttled_region_are_reported_as_not_assessed(broken: str, tmp_path: Path) -> None:
    done, snapshot, doc = collect_and_report(broken, tmp_path)
    assert verify_snapshot(snapshot) == []
    errors = [a for a in snapshot.manifest.artifacts if a.status == "error"]
    assert sorted((a.api, a.account, a.region) for a in errors) == [
        ("cloudtrail:LookupEvents", PROD, "eu-west-1"),
        ("sts:AssumeRole", SANDBOX, None),
    ]
    throttled = next(a for a in errors if a.api == "cloudtrail:LookupEvents")
    assert throttled.error is not None and throttled.error.code == "ThrottlingException"
    assert "gave up after" in throttled.error.message and throttled.params["regions"] == ["eu-west-1"]
    assert "recorded failure: sts:AssumeRole 444455556666: AccessDenied" in done.stderr
    assert "recorded failure: cloudtrail:LookupEvents 222233334444 eu-west-1: ThrottlingException" in done.stderr
    # the refused account stays in scope, with nothing collected
    assert SANDBOX in {a.id for a in snapshot.manifest.accounts}
    assert not (snapshot.root / "accounts" / SANDBOX).exists()

    # Every check on the account's own evidence is NOT_ASSESSED with the assume-role reason; the
    # two organization checks are answered from the management account's evidence.
    sandbox = {f["check_id"]: f for f in doc["findings"] if f["account_id"] == SANDBOX}
    org_level = {"root_scp_deny": "FAIL", "root_credentials_centrally_managed": "NOT_APPLICABLE"}
    assert {c: sandbox[c]["status"] for c in org_level} == org_level
    own = {c: f for c, f in sandbox.items() if c not in org_level}
    assert len(own) == len(doc["checks"]) - len(org_level) and {f["status"] for f in own.values()} == {"NOT_ASSESSED"}
    for finding in own.values():
        assert "sts:AssumeRole failed: AccessDenied" in finding["reason"], finding

    found = statuses(doc)
    prod = {f["check_id"]: f for f in doc["findings"] if f["account_id"] == PROD}
    # root events are the evidence that became incomplete; these checks name the region
    # (cloudtrail_root_evidence_complete FAILs by definition when a lookup failed; root_not_used
    # cannot tell, so it is NOT_ASSESSED)
    assert prod["cloudtrail_root_evidence_complete"]["status"] == "FAIL"
    assert prod["root_not_used"]["status"] == "NOT_ASSESSED"
    for check in ("cloudtrail_root_evidence_complete", "root_not_used"):
        assert "eu-west-1" in prod[check]["reason"] and "ThrottlingException" in prod[check]["reason"], prod[check]
    # what does not depend on root events is still assessed
    assert only(found, "root_scp_deny", PROD) == "PASS" and only(found, "root_mfa_enabled", PROD) == "PASS"
    assert only(found, "root_usage_alerting", PROD) == "PASS"
    assert only(found, "root_usage_alerting", MGMT) == "PASS"
