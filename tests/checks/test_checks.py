"""Each check's decisions, and the runner's rule that missing evidence is never PASS."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from factory import ACCOUNT, AS_OF, PERIOD, AccountSpec, checked, cr_row, jsonl, report, root_record, write_snapshot

from reporter.checks.finding import Finding
from reporter.checks.limits import Thresholds
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.writer import SnapshotWriter

ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def findings(
    tmp_path: Path, spec: AccountSpec, thresholds: Thresholds | None = None, as_of: datetime | None = None
) -> list[Finding]:
    kwargs = {"as_of": as_of} if as_of else {}
    return checked(write_snapshot(tmp_path / "snap", spec, **kwargs), thresholds).findings


def one(found: list[Finding], check_id: str, resource: str | None = None) -> Finding:
    matches = [f for f in found if f.check_id == check_id and (resource is None or f.resource == resource)]
    assert len(matches) == 1, matches
    return matches[0]


def status(found: list[Finding], check_id: str, resource: str | None = None) -> Status:
    return one(found, check_id, resource).status


# --- root_not_used -------------------------------------------------------------------------------


def test_root_not_used_passes_when_idle(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=report(cr_row(password_last_used="2026-01-05T00:00:00Z")))
    f = one(findings(tmp_path, spec), "root_not_used")
    assert f.status is Status.PASS and f.observed["days_since_last_use"] == 300


def test_root_not_used_takes_the_newest_use_not_the_first(tmp_path: Path) -> None:
    # password long ago, key 2 recently: the first non-empty field would wrongly pass
    row = cr_row(
        password_last_used="2025-01-01T00:00:00Z",
        key1=("false", "2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
        key2=("true", "2020-01-01T00:00:00Z", "2026-10-20T00:00:00+00:00"),
    )
    f = one(findings(tmp_path, AccountSpec(credential_report=report(row))), "root_not_used")
    assert f.status is Status.FAIL and f.observed["last_used_by"] == "access_key_2_last_used_date"


def test_root_not_used_window_is_configurable_and_measured_from_as_of(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=report(cr_row(password_last_used="2026-09-01T00:00:00Z")))
    assert status(findings(tmp_path / "a", spec), "root_not_used") is Status.FAIL
    assert status(findings(tmp_path / "b", spec, Thresholds(root_window_days=30)), "root_not_used") is Status.PASS
    later = datetime(2027, 6, 1, tzinfo=UTC)
    assert status(findings(tmp_path / "c", spec, as_of=later), "root_not_used") is Status.PASS


def test_root_event_in_window_fails_even_if_credential_report_is_quiet(tmp_path: Path) -> None:
    spec = AccountSpec(root_events=jsonl(root_record("2026-10-10T10:00:00Z")))
    f = one(findings(tmp_path, spec), "root_not_used")
    assert f.status is Status.FAIL and f.observed["cis_counted_events_in_window"] == 1
    assert any(ref.path.endswith("root_events.jsonl") for ref in f.evidence)


def test_events_excluded_by_the_cis_filter_do_not_count(tmp_path: Path) -> None:
    spec = AccountSpec(
        root_events=jsonl(
            root_record("2026-10-10T10:00:00Z", "GetTags", invoked_by="signin.amazonaws.com"),
            root_record("2026-10-11T10:00:00Z", "Heartbeat", event_type="AwsServiceEvent"),
        )
    )
    assert status(findings(tmp_path, spec), "root_not_used") is Status.PASS


def test_root_events_gap_blocks_pass_but_not_fail(tmp_path: Path) -> None:
    gap = AccountSpec(
        regions=["us-east-1", "eu-west-1"], lookup_errors={"eu-west-1": ("ThrottlingException", "Rate exceeded")}
    )
    f = one(findings(tmp_path / "a", gap), "root_not_used")
    assert f.status is Status.NOT_ASSESSED and "ThrottlingException" in f.reason
    assert f.observed["would_be"] == "PASS"
    uncovered = AccountSpec(regions=["us-east-1", "ap-south-1"])
    f = one(findings(tmp_path / "b", uncovered), "root_not_used")
    assert f.status is Status.NOT_ASSESSED and "did not cover region ap-south-1" in f.reason
    gap.root_events = jsonl(root_record("2026-10-10T10:00:00Z"))
    assert status(findings(tmp_path / "c", gap), "root_not_used") is Status.FAIL


def test_missing_root_events_is_not_assessed(tmp_path: Path) -> None:
    f = one(findings(tmp_path, AccountSpec(root_events=None)), "root_not_used")
    assert f.status is Status.NOT_ASSESSED and "root_events" in f.reason


def test_unreadable_event_line_blocks_pass(tmp_path: Path) -> None:
    spec = AccountSpec(root_events=jsonl(root_record("2026-01-01T00:00:00Z")) + b'{"eventTime": "2026-10-\n')
    f = one(findings(tmp_path, spec), "root_not_used")
    assert f.status is Status.NOT_ASSESSED and "line 2" in f.reason


# --- root_no_access_keys -------------------------------------------------------------------------


def test_root_access_key_active_fails(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=report(cr_row(key1=("true", "2020-01-01T00:00:00Z", "N/A"))))
    assert status(findings(tmp_path, spec), "root_no_access_keys") is Status.FAIL


def test_account_summary_alone_can_show_root_keys(tmp_path: Path) -> None:
    spec = AccountSpec(summary={"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1}})
    assert status(findings(tmp_path, spec), "root_no_access_keys") is Status.FAIL


def test_root_keys_pass_needs_the_account_summary(tmp_path: Path) -> None:
    assert status(findings(tmp_path / "a", AccountSpec()), "root_no_access_keys") is Status.PASS
    f = one(findings(tmp_path / "b", AccountSpec(summary=None)), "root_no_access_keys")
    assert f.status is Status.NOT_ASSESSED and "account_summary" in f.reason


# --- root MFA -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, expected",
    [
        (cr_row(mfa="true"), Status.PASS),
        (cr_row(mfa="false"), Status.FAIL),
        (cr_row(mfa="FALSE", password_enabled="not_supported"), Status.FAIL),  # old report format
        (cr_row(mfa="false", password_enabled="false", password_last_changed="N/A"), Status.NOT_APPLICABLE),
    ],
)
def test_root_mfa(tmp_path: Path, row: str, expected: Status) -> None:
    assert status(findings(tmp_path, AccountSpec(credential_report=report(row))), "root_mfa_enabled") is expected


def test_root_hardware_mfa(tmp_path: Path) -> None:
    assert status(findings(tmp_path / "hw", AccountSpec()), "root_hardware_mfa_enabled") is Status.PASS
    default = [{"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"}]
    assert (
        status(findings(tmp_path / "v1", AccountSpec(virtual_mfa=default)), "root_hardware_mfa_enabled") is Status.FAIL
    )
    named = [{"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/phone", "User": {"Arn": ROOT}}]
    assert status(findings(tmp_path / "v2", AccountSpec(virtual_mfa=named)), "root_hardware_mfa_enabled") is Status.FAIL
    user_device = [
        {"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/alice", "User": {"Arn": f"arn:aws:iam::{ACCOUNT}:user/alice"}}
    ]
    assert (
        status(findings(tmp_path / "v3", AccountSpec(virtual_mfa=user_device)), "root_hardware_mfa_enabled")
        is Status.PASS
    )
    no_mfa = AccountSpec(credential_report=report(cr_row(mfa="false")))
    assert status(findings(tmp_path / "none", no_mfa), "root_hardware_mfa_enabled") is Status.FAIL
    unknown = one(findings(tmp_path / "nolist", AccountSpec(virtual_mfa=None)), "root_hardware_mfa_enabled")
    assert unknown.status is Status.NOT_ASSESSED


def test_centralized_root_access_makes_mfa_checks_not_applicable(tmp_path: Path) -> None:
    removed = cr_row(password_enabled="false", password_last_changed="N/A", mfa="false")
    found = findings(tmp_path, AccountSpec(credential_report=report(removed)))
    assert status(found, "root_mfa_enabled") is Status.NOT_APPLICABLE
    assert status(found, "root_hardware_mfa_enabled") is Status.NOT_APPLICABLE
    assert status(found, "root_no_access_keys") is Status.PASS


def test_no_root_row_is_not_assessed(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=report(cr_row("alice")))
    found = findings(tmp_path, spec)
    for check_id in ("root_mfa_enabled", "root_hardware_mfa_enabled", "root_no_access_keys", "root_not_used"):
        assert status(found, check_id) is Status.NOT_ASSESSED, check_id


def test_credential_report_refused_makes_its_checks_not_assessed(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=None, credential_report_error=("AccessDenied", "not authorized"))
    found = findings(tmp_path, spec)
    reads_report = [f for f in found if "credential_report" in CHECKS[f.check_id].evidence]
    assert len({f.check_id for f in reads_report}) >= 8
    for f in reads_report:
        assert f.status is Status.NOT_ASSESSED and "AccessDenied" in f.reason, f


# --- IAM users ------------------------------------------------------------------------------------


def _users(*rows: str) -> AccountSpec:
    return AccountSpec(credential_report=report(cr_row(), *rows))


def arn(user: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{user}"


def test_console_mfa_per_user(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        _users(
            cr_row("ann", password_last_used="2026-10-30T00:00:00Z", mfa="true"),
            cr_row("ben", password_last_used="2026-10-30T00:00:00Z", mfa="false"),
            cr_row("api", password_enabled="false", password_last_changed="N/A", mfa="false"),
        ),
    )
    assert status(found, "iam_user_console_mfa", arn("ann")) is Status.PASS
    assert status(found, "iam_user_console_mfa", arn("ben")) is Status.FAIL
    assert not [f for f in found if f.check_id == "iam_user_console_mfa" and f.resource == arn("api")]


def test_user_checks_not_applicable_without_users(tmp_path: Path) -> None:
    found = findings(tmp_path, AccountSpec())
    for check_id in (
        "iam_user_console_mfa",
        "iam_unused_credentials_disabled",
        "iam_access_keys_rotated",
        "iam_single_active_access_key",
    ):
        assert status(found, check_id) is Status.NOT_APPLICABLE


def test_unused_credentials(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        _users(
            cr_row("fresh", password_last_used="2026-10-20T00:00:00Z"),
            cr_row("stale", password_last_used="2026-09-01T00:00:00Z"),
            cr_row("never", password_last_used="no_information", password_last_changed="2026-08-01T00:00:00Z"),
            cr_row("newbie", password_last_used="no_information", password_last_changed="2026-10-25T00:00:00Z"),
            cr_row(
                "idlekey",
                password_enabled="false",
                password_last_changed="N/A",
                key1=("true", "2026-06-01T00:00:00Z", "N/A"),
            ),
            cr_row(
                "oldkeyused",
                password_enabled="false",
                password_last_changed="N/A",
                key1=("true", "2026-01-01T00:00:00Z", "2026-10-31T00:00:00Z"),
            ),
        ),
    )
    expected = {
        "fresh": Status.PASS,
        "stale": Status.FAIL,
        "never": Status.FAIL,
        "newbie": Status.PASS,
        "idlekey": Status.FAIL,
        "oldkeyused": Status.PASS,
    }
    for user, want in expected.items():
        assert status(found, "iam_unused_credentials_disabled", arn(user)) is want, user
    assert "never used" in one(found, "iam_unused_credentials_disabled", arn("never")).reason


def test_unused_threshold_is_configurable(tmp_path: Path) -> None:
    spec = _users(cr_row("u", password_last_used="2026-09-15T00:00:00Z"))
    assert status(findings(tmp_path / "a", spec), "iam_unused_credentials_disabled", arn("u")) is Status.FAIL
    relaxed = Thresholds(unused_credentials_days=90)
    assert status(findings(tmp_path / "b", spec, relaxed), "iam_unused_credentials_disabled", arn("u")) is Status.PASS


def test_key_rotation_and_count(tmp_path: Path) -> None:
    found = findings(
        tmp_path,
        _users(
            cr_row("old", password_enabled="false", key1=("true", "2026-03-01T00:00:00Z", "2026-10-30T00:00:00Z")),
            cr_row(
                "two",
                password_enabled="false",
                key1=("true", "2026-10-01T00:00:00Z", "2026-10-30T00:00:00Z"),
                key2=("true", "2026-10-02T00:00:00Z", "2026-10-30T00:00:00Z"),
            ),
            cr_row("inactiveold", password_enabled="false", key1=("false", "2019-01-01T00:00:00Z", "N/A")),
        ),
    )
    assert status(found, "iam_access_keys_rotated", arn("old")) is Status.FAIL
    assert status(found, "iam_access_keys_rotated", arn("two")) is Status.PASS
    assert status(found, "iam_single_active_access_key", arn("two")) is Status.FAIL
    assert status(found, "iam_single_active_access_key", arn("old")) is Status.PASS
    assert not [f for f in found if f.resource == arn("inactiveold") and f.check_id == "iam_access_keys_rotated"]


def test_malformed_user_row_is_not_assessed_and_others_stand(tmp_path: Path) -> None:
    bad = cr_row("broken", password_last_used="yesterday")
    found = findings(tmp_path, _users(cr_row("ok", password_last_used="2026-10-30T00:00:00Z", mfa="false"), bad))
    assert status(found, "iam_user_console_mfa", arn("ok")) is Status.FAIL
    broken = [f for f in found if f.resource == arn("broken")]
    assert {f.check_id for f in broken} == {
        "iam_user_console_mfa",
        "iam_unused_credentials_disabled",
        "iam_access_keys_rotated",
        "iam_single_active_access_key",
    }
    assert all(f.status is Status.NOT_ASSESSED and f.evidence[0].row == "line 4" for f in broken)
    assert status(found, "root_mfa_enabled") is Status.PASS  # the root row itself is fine


def test_a_root_row_short_of_fields_is_never_taken_for_a_user(tmp_path: Path) -> None:
    short_root = ",".join(cr_row().split(",")[1:])  # the user field is gone, the ARN leads
    found = findings(tmp_path, AccountSpec(credential_report=report(short_root)))
    assert status(found, "root_mfa_enabled") is Status.NOT_ASSESSED
    assert not [f for f in found if f.resource == ROOT and f.check_id.startswith("iam_")]


def test_missing_evidence_names_the_same_resource_as_a_real_finding(tmp_path: Path) -> None:
    found = findings(tmp_path, AccountSpec(credential_report=None))
    assert one(found, "root_mfa_enabled").resource == ROOT
    assert one(found, "iam_user_console_mfa").resource == ACCOUNT


def test_malformed_row_blocks_table_wide_conclusions(tmp_path: Path) -> None:
    found = findings(tmp_path, _users("ghost,arn:aws:iam::123456789012:user/ghost,garbage"))
    f = one(found, "iam_user_console_mfa", ACCOUNT)
    assert f.status is Status.NOT_ASSESSED and f.observed["would_be"] == "NOT_APPLICABLE"


# --- password policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy, expected",
    [
        ({"PasswordPolicy": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}}, Status.PASS),
        ({"PasswordPolicy": {"MinimumPasswordLength": 13, "PasswordReusePrevention": 24}}, Status.FAIL),
        ({"PasswordPolicy": {"MinimumPasswordLength": 20}}, Status.FAIL),
        ({"Error": {"Code": "NoSuchEntity", "Message": "no policy"}}, Status.FAIL),
        ({"Unexpected": 1}, Status.NOT_ASSESSED),
        (None, Status.NOT_ASSESSED),
    ],
)
def test_password_policy(tmp_path: Path, policy: dict | None, expected: Status) -> None:
    assert status(findings(tmp_path, AccountSpec(password_policy=policy)), "iam_password_policy_strong") is expected


def test_tampered_artifact_is_not_assessed(tmp_path: Path) -> None:
    snap = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row(mfa="false"))))
    path = next(a.path for a in snap.manifest.artifacts if a.api == "iam:GetCredentialReport")
    (snap.root / path).write_bytes(report(cr_row(mfa="true")))
    f = one(checked(snap).findings, "root_mfa_enabled")
    assert f.status is Status.NOT_ASSESSED and "SHA-256" in f.reason


def test_no_check_passes_when_nothing_was_collected(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=None, summary=None, virtual_mfa=None, password_policy=None, root_events=None)
    found = findings(tmp_path, spec)
    assert found and all(f.status is Status.NOT_ASSESSED for f in found)


def test_two_conflicting_password_policies_are_not_assessed(tmp_path: Path) -> None:
    writer = SnapshotWriter(tmp_path / "s", tool_version="t", period_start=PERIOD[0], period_end=PERIOD[1], as_of=AS_OF)
    writer.add_account(ACCOUNT)
    for n, length in ((1, 8), (2, 20)):
        writer.add_json(
            f"accounts/{ACCOUNT}/iam/password_policy_{n}.json",
            {"PasswordPolicy": {"MinimumPasswordLength": length, "PasswordReusePrevention": 24}},
            api="iam:GetAccountPasswordPolicy",
            account=ACCOUNT,
            collected_at=AS_OF,
        )
    writer.finalize(collected_at=AS_OF)
    f = one(checked(Snapshot.open(tmp_path / "s")).findings, "iam_password_policy_strong")
    assert f.status is Status.NOT_ASSESSED and "which to believe" in f.reason


def test_event_with_impossible_time_is_a_problem_and_the_rest_is_kept(tmp_path: Path) -> None:
    spec = AccountSpec(root_events=jsonl(root_record("2026-10-10T10:00:00Z"), root_record("2999-01-01T00:00:00Z")))
    report_model = checked(write_snapshot(tmp_path / "s", spec))
    assert status(report_model.findings, "root_not_used") is Status.FAIL
    assert [p.location for p in report_model.problems] == ["line 2"]
