"""The collector against in-process moto: a three-account organization, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import moto_gaps
import pytest
from moto.sts.models import sts_backends
from moto_world import AS_OF, END, REGIONS, ROLE, START, World, fixed_clock, no_sleep, options
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.collect import collect
from reporter.collect.cloudtrail import arn_hash
from reporter.collect.context import Context
from reporter.collect.runner import _regions
from reporter.collect.session import ApiCounter, ClientPool, SharedClients, client_config
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot
from reporter.snapshot.writer import SnapshotWriter


@pytest.fixture(scope="module")
def collected(world: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("collected") / "snap"
    return out, collect(options(out, external_id="shared-external-secret"), clock=fixed_clock, sleep=no_sleep)


def by_path(snapshot: Snapshot) -> dict[str, Any]:
    return {a.path: a for a in snapshot.manifest.artifacts if a.path}


def read_json(root: Path, rel: str) -> Any:
    return json.loads((root / rel).read_text())


def test_organization_happy_path(world: World, collected: tuple[Path, Any]) -> None:
    out, summary = collected
    snapshot = Snapshot.open(out)
    manifest = snapshot.manifest
    assert verify_snapshot(snapshot) == []
    assert manifest.organization_id == world.org_id and manifest.as_of == AS_OF
    assert manifest.caller_arn and world.mgmt in manifest.caller_arn
    scope = {a.id: a for a in manifest.accounts}
    assert set(scope) == {world.mgmt, world.prod, world.sandbox}
    assert scope[world.mgmt].is_management and not scope[world.prod].is_management
    assert scope[world.prod].name == "acme-prod" and scope[world.prod].regions == list(REGIONS)
    assert summary.accounts == 3 and summary.regions == 2 and summary.api_calls > 40
    # management: 3 pages in us-east-1 and 1 in eu-west-1; prod: 1 page per region
    assert summary.calls_by_api["cloudtrail:LookupEvents"] == 3 + 1 + 2

    arts = by_path(snapshot)
    m, p = f"accounts/{world.mgmt}/", f"accounts/{world.prod}/"
    for rel, api, region in [
        ("iam/credential_report.csv", "iam:GetCredentialReport", "us-east-1"),
        ("iam/account_summary.json", "iam:GetAccountSummary", "us-east-1"),
        ("iam/virtual_mfa_devices.json", "iam:ListVirtualMFADevices", "us-east-1"),
        ("iam/password_policy.json", "iam:GetAccountPasswordPolicy", "us-east-1"),
        ("regions.json", "ec2:DescribeRegions", "us-east-1"),
        ("cloudtrail/trails.json", "cloudtrail:DescribeTrails", None),
        ("cloudtrail/root_events.jsonl", "cloudtrail:LookupEvents", None),
        (f"cloudtrail/trail_status/{arn_hash(world.trail_arn)}.json", "cloudtrail:GetTrailStatus", "us-east-1"),
        (f"cloudtrail/event_selectors/{arn_hash(world.trail_arn)}.json", "cloudtrail:GetEventSelectors", "us-east-1"),
        ("monitoring/us-east-1/metric_filters.json", "logs:DescribeMetricFilters", "us-east-1"),
        ("monitoring/us-east-1/alarms.json", "cloudwatch:DescribeAlarms", "us-east-1"),
        ("monitoring/us-east-1/sns_subscriptions.json", "sns:ListSubscriptionsByTopic", "us-east-1"),
        ("monitoring/us-east-1/eventbridge_rules.json", "events:ListRules", "us-east-1"),
        ("monitoring/eu-west-1/eventbridge_rules.json", "events:ListRules", "eu-west-1"),
    ]:
        artifact = arts[m + rel]
        assert (artifact.api, artifact.region, artifact.account, artifact.status) == (api, region, world.mgmt, "ok")
        assert artifact.collected_at == AS_OF
    for rel in [
        "organization.json",
        "accounts.json",
        "roots.json",
        "organizational_units.json",
        "children.json",
        "policies.json",
        f"scps/{world.scp_id}.json",
        "policy_targets.json",
        "features.json",
    ]:
        assert arts["organization/" + rel].account is None
    assert arts["organization/policies.json"].params == {"Filter": "SERVICE_CONTROL_POLICY"}
    assert arts[m + "regions.json"].params == {"AllRegions": True}

    # contents
    report = (out / m / "iam/credential_report.csv").read_text()
    assert report.splitlines()[1].startswith(f"<root_account>,arn:aws:iam::{world.mgmt}:root,")
    assert arts[m + "iam/credential_report.csv"].params["GeneratedTime"].endswith("Z")
    assert read_json(out, p + "iam/account_summary.json")["SummaryMap"]["AccountMFAEnabled"] == 1
    assert read_json(out, m + "iam/password_policy.json")["PasswordPolicy"]["MinimumPasswordLength"] == 14
    assert read_json(out, p + "iam/password_policy.json") == {
        "Error": {
            "Code": "NoSuchEntity",
            "Message": f"The Password Policy with domain name {world.prod} cannot be found.",
        }
    }
    trails = read_json(out, m + "cloudtrail/trails.json")["trailList"]
    assert [t["TrailARN"] for t in trails] == [world.trail_arn]  # the shadow in eu-west-1 merged away
    assert arts[m + "cloudtrail/trails.json"].params == {"includeShadowTrails": True, "regions": list(REGIONS)}
    assert [t["TrailARN"] for t in read_json(out, p + "cloudtrail/trails.json")["trailList"]] == [world.prod_trail_arn]
    assert arts[p + f"cloudtrail/trail_status/{arn_hash(world.prod_trail_arn)}.json"].region == "eu-west-1"
    assert read_json(out, m + f"cloudtrail/trail_status/{arn_hash(world.trail_arn)}.json")["IsLogging"] is True
    selectors = read_json(out, m + f"cloudtrail/event_selectors/{arn_hash(world.trail_arn)}.json")
    assert selectors["EventSelectors"][0]["IncludeManagementEvents"] is True
    filters = read_json(out, m + "monitoring/us-east-1/metric_filters.json")["metricFilters"]
    assert [f["filterName"] for f in filters] == ["root-usage"]
    assert arts[m + "monitoring/us-east-1/metric_filters.json"].params == {"logGroupNames": ["CloudTrail/org"]}
    alarms = read_json(out, m + "monitoring/us-east-1/alarms.json")
    assert [a["AlarmName"] for a in alarms["MetricAlarms"]] == ["root-usage"] and alarms["CompositeAlarms"] == []
    subs = read_json(out, m + "monitoring/us-east-1/sns_subscriptions.json")["Subscriptions"]
    assert [s["Endpoint"] for s in subs] == ["secops@example.com"]
    rules = read_json(out, m + "monitoring/us-east-1/eventbridge_rules.json")
    assert [r["Name"] for r in rules["Rules"]] == ["root-signin"] and rules["Targets"]["root-signin"][0]["Id"] == "sns"
    assert f"accounts/{world.prod}/monitoring/eu-west-1/metric_filters.json" not in arts  # no log group
    targets = read_json(out, "organization/policy_targets.json")["Targets"][world.scp_id]
    assert [t["TargetId"] for t in targets] == [world.ou_id]
    children = read_json(out, "organization/children.json")["Children"]
    assert children[world.ou_id] == [{"Id": world.prod, "Type": "ACCOUNT"}]
    assert arts["organization/children.json"].params == {"ChildType": "ACCOUNT"}
    assert not (out / "organization/parents.json").exists() and "organizations:ListParents" not in summary.calls_by_api
    walk = read_json(out, "organization/organizational_units.json")["OrganizationalUnits"]
    assert [o["Id"] for ous in walk.values() for o in ous] == [world.ou_id] and walk[world.ou_id] == []
    assert "Content" in read_json(out, f"organization/scps/{world.scp_id}.json")["Policy"]
    assert read_json(out, "organization/features.json")["EnabledFeatures"] == [
        "RootCredentialsManagement",
        "RootSessions",
    ]


def test_root_events_paginated_deduplicated_root_only(world: World, collected: tuple[Path, Any]) -> None:
    out, _ = collected
    lines = (out / f"accounts/{world.mgmt}/cloudtrail/root_events.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    ids = [r["eventID"] for r in records]
    assert len(ids) == len(set(ids)) == 121  # 120 over 3 pages + "token"; duplicates, IAM user, September gone
    assert "iam-user-root" not in ids and "september" not in ids
    assert all(r["userIdentity"]["type"] == "Root" for r in records)
    assert [(r["eventTime"], r["eventID"]) for r in records] == sorted((r["eventTime"], r["eventID"]) for r in records)
    artifact = by_path(Snapshot.open(out))[f"accounts/{world.mgmt}/cloudtrail/root_events.jsonl"]
    assert artifact.params == {
        "StartTime": "2026-10-01T00:00:00Z",
        "EndTime": "2026-11-01T00:00:00Z",
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "root"}],
        "regions": list(REGIONS),
    }


def test_no_secret_reaches_the_snapshot(world: World, collected: tuple[Path, Any]) -> None:
    out, _ = collected
    secrets = {"SECRET-TOKEN-VALUE", "shared-external-secret"}
    for partitions in sts_backends.values():
        for backend in partitions.values():
            for role in backend.assumed_roles:
                secrets |= {role.secret_access_key, role.session_token}
    assert len(secrets) > 4  # the collector really assumed roles
    blob = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert not [s for s in secrets if s.encode() in blob]
    assert b"sessionToken" in blob  # the key stays, its value is redacted


def test_refused_role_and_throttling_become_error_artifacts(world: World, tmp_path: Path) -> None:
    moto_gaps.throttle(world.prod, "eu-west-1", "LookupEvents")
    out = tmp_path / "snap"
    try:
        summary = collect(options(out), clock=fixed_clock, sleep=no_sleep)
    finally:
        moto_gaps.unthrottle(world.prod, "eu-west-1", "LookupEvents")
    manifest = Snapshot.open(out).manifest
    sandbox = manifest.artifacts_for(account=world.sandbox)
    assert [(a.api, a.status, a.error and a.error.code) for a in sandbox] == [
        ("sts:AssumeRole", "error", "AccessDenied")
    ]
    assert sandbox[0].params == {
        "RoleArn": f"arn:aws:iam::{world.sandbox}:role/{ROLE}",
        "RoleSessionName": "reporter-collect",
    }
    assert world.sandbox in {a.id for a in manifest.accounts}
    lookups = manifest.artifacts_for(account=world.prod, api="cloudtrail:LookupEvents")
    failed = [a for a in lookups if a.status == "error"]
    assert len(failed) == 1 and failed[0].region == "eu-west-1" and failed[0].error.code == "ThrottlingException"
    assert failed[0].params["regions"] == ["eu-west-1"] and "3 attempts" in failed[0].error.message
    ok = [a for a in lookups if a.status == "ok"]
    assert len(ok) == 1 and ok[0].params["regions"] == ["us-east-1"]
    assert summary.errors == 2
    assert summary.calls_by_account[world.prod] > 10
    assert set(summary.calls_by_account) == {world.mgmt, world.prod}  # the refused account made no call


def test_same_world_same_bytes(world: World, collected: tuple[Path, Any], tmp_path: Path) -> None:
    # With a fixed clock the collector adds no randomness of its own (thread scheduling, dict
    # order): only AWS's own data may differ, here moto's trail status times (read from its clock).
    (tmp_path / "a").symlink_to(collected[0])
    collect(options(tmp_path / "b", max_workers=1), clock=fixed_clock, sleep=no_sleep)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    differ = [str(f) for f in files if (tmp_path / "a" / f).read_bytes() != (tmp_path / "b" / f).read_bytes()]
    assert all("/trail_status/" in f for f in differ if f != "manifest.json")

    def entries(root: Path) -> list[dict[str, Any]]:
        artifacts = json.loads((root / "manifest.json").read_bytes())["artifacts"]
        return [
            {k: v for k, v in a.items() if "/trail_status/" not in (a["path"] or "") or k not in ("sha256", "size")}
            for a in artifacts
        ]

    assert entries(tmp_path / "a") == entries(tmp_path / "b")


def test_caller_only_and_enabled_regions(world: World, tmp_path: Path) -> None:
    # No --accounts, no --organization: the caller's account. The caller is the management
    # account, so the organization is collected anyway.
    out = tmp_path / "snap"
    summary = collect(options(out, organization=False, regions=("us-east-1",)), clock=fixed_clock, sleep=no_sleep)
    (account,) = Snapshot.open(out).manifest.accounts
    assert account.id == world.mgmt and summary.accounts == 1
    assert (out / "organization/policies.json").exists()
    # Without --regions an account is collected in the regions DescribeRegions says are enabled.
    regions = read_json(out, f"accounts/{world.mgmt}/regions.json")["Regions"]
    writer = SnapshotWriter(tmp_path / "other", tool_version="t", period_start=START, period_end=END, as_of=AS_OF)
    pool = ClientPool(
        world.mgmt,
        SharedClients(boto3.Session(region_name="us-east-1"), config=client_config(2, 1), counter=ApiCounter()),
    )
    ctx = Context(world.mgmt, pool, writer, fixed_clock, no_sleep, "us-east-1", artifact_account=world.mgmt)
    enabled = sorted(r["RegionName"] for r in regions if r["OptInStatus"] in ("opt-in-not-required", "opted-in"))
    assert _regions(ctx, ()) == enabled and "ap-east-1" not in enabled and "us-east-1" in enabled


def test_cli_collect_then_run(world: World, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "collect",
            "--out",
            str(tmp_path / "snap"),
            "--period",
            "2026-10",
            "--accounts",
            world.prod,
            "--regions",
            "us-east-1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "collected 1 account(s), 1 region(s)" in result.output and "API calls" in result.output
    manifest = Snapshot.open(tmp_path / "snap").manifest
    assert [a.id for a in manifest.accounts] == [world.prod] and manifest.period_start == START
    again = runner.invoke(app, ["collect", "--out", str(tmp_path / "snap"), "--quiet"])
    assert again.exit_code == 2 and "already holds a snapshot" in again.output
    bad = runner.invoke(app, ["collect", "--out", str(tmp_path / "x"), "--period", "2026-13"])
    assert bad.exit_code == 2 and "2026-13" in bad.output
    run = runner.invoke(
        app,
        [
            "run",
            "--out",
            str(tmp_path / "pack"),
            "--period",
            "2026-10",
            "--regions",
            "us-east-1",
            "--quiet",
            "-f",
            "json",
        ],
    )
    # the management account fails root_not_used (and more): exit code 1, the pack still written
    assert run.exit_code == 1, run.output
    assert (tmp_path / "pack/snapshot/manifest.json").exists()
    assert sorted(p.name for p in (tmp_path / "pack").iterdir() if p.is_file()) == [
        "findings.json",
        "pack-manifest.json",
    ]


DENIED = [  # (account attribute, region, operation)
    ("mgmt", "us-east-1", "GetAccountSummary"),
    ("mgmt", "eu-west-1", "DescribeTrails"),
    ("mgmt", "us-east-1", "GetEventSelectors"),
    ("mgmt", "us-east-1", "DescribeMetricFilters"),
    ("mgmt", "us-east-1", "ListSubscriptionsByTopic"),
    ("mgmt", "eu-west-1", "ListRules"),
    ("mgmt", "us-east-1", "ListPolicies"),
    ("prod", "us-east-1", "DescribeRegions"),
    ("prod", "us-east-1", "GenerateCredentialReport"),
]


def test_each_denied_call_is_an_error_artifact_and_the_rest_is_collected(world: World, tmp_path: Path) -> None:
    for who, region, operation in DENIED:
        moto_gaps.fail(getattr(world, who), region, operation, "AccessDenied")
    out = tmp_path / "snap"
    try:
        summary = collect(options(out), clock=fixed_clock, sleep=no_sleep)
    finally:
        for who, region, operation in DENIED:
            moto_gaps.unthrottle(getattr(world, who), region, operation)
    snapshot = Snapshot.open(out)
    errors = {(a.account, a.api, a.region): a for a in snapshot.manifest.artifacts if a.status == "error"}
    m, p = world.mgmt, world.prod
    assert set(errors) == {
        (m, "iam:GetAccountSummary", "us-east-1"),
        (m, "cloudtrail:DescribeTrails", "eu-west-1"),
        (m, "cloudtrail:GetEventSelectors", "us-east-1"),
        (m, "logs:DescribeMetricFilters", "us-east-1"),
        (m, "sns:ListSubscriptionsByTopic", "us-east-1"),
        (m, "events:ListRules", "eu-west-1"),
        (None, "organizations:ListPolicies", "us-east-1"),
        (p, "ec2:DescribeRegions", "us-east-1"),
        (p, "iam:GetCredentialReport", "us-east-1"),
        (world.sandbox, "sts:AssumeRole", None),
    }
    assert all(a.error.code == "AccessDenied" for k, a in errors.items() if k[1] != "sts:AssumeRole")
    assert summary.errors == len(errors)
    assert errors[(m, "cloudtrail:DescribeTrails", "eu-west-1")].params == {
        "includeShadowTrails": True,
        "regions": ["eu-west-1"],
    }
    topic = f"arn:aws:sns:us-east-1:{m}:security-alerts"
    assert errors[(m, "sns:ListSubscriptionsByTopic", "us-east-1")].params == {"TopicArns": [topic]}
    arts = by_path(snapshot)
    # what was not denied is still there
    assert arts[f"accounts/{m}/cloudtrail/trails.json"].params["regions"] == ["us-east-1"]
    for rel in [
        "iam/credential_report.csv",
        "monitoring/us-east-1/alarms.json",
        "monitoring/us-east-1/eventbridge_rules.json",
        f"cloudtrail/trail_status/{arn_hash(world.trail_arn)}.json",
        "cloudtrail/root_events.jsonl",
    ]:
        assert arts[f"accounts/{m}/{rel}"].status == "ok"
    assert "organization/features.json" in arts and "organization/policy_targets.json" not in arts
    assert f"accounts/{p}/iam/account_summary.json" in arts
    assert {a.id: a.regions for a in snapshot.manifest.accounts}[p] == list(REGIONS)  # --regions still applies


def _put_trail_logs(account: str, records: list[dict[str, Any]]) -> None:
    """The same records LookupEvents serves, as the trail delivers them to its bucket (one file a day)."""
    import gzip

    s3 = boto3.client("s3", region_name="us-east-1")
    days: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        days.setdefault((record["awsRegion"], record["eventTime"][:10]), []).append(record)
    for (region, day), found in days.items():
        y, m, d = day.split("-")
        key = (
            f"AWSLogs/{account}/CloudTrail/{region}/{y}/{m}/{d}/{account}_CloudTrail_{region}_{y}{m}{d}T0000Z_x.json.gz"
        )
        s3.put_object(Bucket="trail-bucket", Key=key, Body=gzip.compress(json.dumps({"Records": found}).encode()))


def test_root_events_from_the_trail_bucket_match_lookup_events(
    world: World, collected: tuple[Path, Any], tmp_path: Path
) -> None:
    from reporter.collect.options import RootEventSource

    lookup_out, _ = collected
    rel = f"accounts/{world.mgmt}/cloudtrail/root_events.jsonl"
    served = [json.loads(line) for line in (lookup_out / rel).read_text().splitlines()]
    _put_trail_logs(world.mgmt, served)
    out = tmp_path / "s3"
    # The bucket is found from the management account's trail; no --trail-bucket.
    summary = collect(
        options(out, accounts=(world.mgmt,), organization=False, root_events=RootEventSource(kind="s3")),
        clock=fixed_clock,
        sleep=no_sleep,
    )
    arts = by_path(Snapshot.open(out))
    assert arts[rel].api == "s3:GetObject" and arts[rel].params["Bucket"] == "trail-bucket"
    assert sorted(arts[rel].params["regions"]) == sorted({r["awsRegion"] for r in served})
    assert (out / rel).read_bytes() == (lookup_out / rel).read_bytes()
    assert "cloudtrail:LookupEvents" not in summary.calls_by_api
    assert f"accounts/{world.mgmt}/cloudtrail/trail_log_objects.json" in arts


def test_accounts_start_as_their_listing_page_comes_in(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not after the whole ListAccounts walk (a call per 20 accounts, one after another)."""
    import threading

    from reporter.collect import runner

    started, listed = threading.Event(), threading.Event()
    before_listing_ended: list[bool] = []
    real_list, real_account = runner.list_accounts, runner._collect_account

    def list_accounts(*args: Any) -> Any:
        info = real_list(*args)
        started.wait(10)  # an account the pages started is running by now; none without streaming
        listed.set()
        return info

    def collect_account(run: Any, account: str) -> None:
        before_listing_ended.append(not listed.is_set())
        started.set()
        real_account(run, account)

    monkeypatch.setattr(runner, "list_accounts", list_accounts)
    monkeypatch.setattr(runner, "_collect_account", collect_account)
    summary = collect(options(tmp_path / "snap"), clock=fixed_clock, sleep=no_sleep)
    assert summary.accounts == 3
    assert len(before_listing_ended) == 3 and before_listing_ended[0]
