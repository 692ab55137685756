"""The parsers against real-world AWS data kept outside the repository (/work/shared/samples).

The sample files are read in place, never copied into the repository (several have no licence);
PROVENANCE.md beside them says where each came from and what it contains. Every expected value
below was read from the files themselves.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from reporter.checks.finding import Finding
from reporter.core.status import Status
from reporter.evidence.cloudtrail import parse_root_events
from reporter.evidence.credential_report import parse_credential_report
from reporter.pack.model import build_pack
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.writer import SnapshotWriter

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
if not SAMPLES.is_dir():
    pytest.skip(f"real sample data not found at {SAMPLES}", allow_module_level=True)

CREDENTIAL_REPORTS = SAMPLES / "credential_reports"
OLD_REPORT = CREDENTIAL_REPORTS / "JakubDziegielewski_AWS_testbench__credential_report.csv"
NEW_REPORT = CREDENTIAL_REPORTS / "cfech_aws-solutions-architect-associate__credential-report.csv"
OLD_ACCOUNT, NEW_ACCOUNT = "278368863034", "156041403698"

CLOUDTRAIL = SAMPLES / "cloudtrail"
CONSOLE_SIGNIN = CLOUDTRAIL / "aws_docs" / "console_signin"
SEKOIA = CLOUDTRAIL / "sekoia_intake_formats"
ASHU = CLOUDTRAIL / "ashubeginner_lookup_events"
ASHU_RECORDS = ASHU / "DERIVED_lookup_events_cloudtrailevent_records.json"
ASHU_LOOKUP = ASHU / "DERIVED_lookup_events_response_shape.json"
TRAILSCRAPER = (
    CLOUDTRAIL / "trailscraper" / "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz"
)

# aws_docs console sign-in examples: file stem -> eventID of its one record.
DOCS_ROOT = {
    "root_signin_success_no_mfa": "deb1e1f9-c99b-4612-8e9f-21f93b5d79c0",
    "root_signin_success_mfa_uppercase_YES": "deb1e1f9-c99b-4612-8e9f-21f93b5d79c0",
    "root_signin_failure_no_mfa": "a4fbbe77-91a0-4238-804a-64314184edb6",
    "root_enable_mfa_device": "EXAMPLEb-7dae-48cb-895f-20e86EXAMPLE",
    "root_password_updated": "EXAMPLEd-244c-4044-abbf-21c64EXAMPLE",
}
DOCS_IAM_USER = (
    "iam_user_signin_success_no_mfa_envelope",
    "iam_user_signin_success_mfa",
    "iam_user_signin_failure",
    "iam_user_checkmfa_single_type",
    "iam_user_checkmfa_multiple_types",
)
# SEKOIA test cases: file stem -> eventID of the raw record inside `input.message`.
SEKOIA_ROOT = {
    "event_signin": "9d4ca355-a7d3-4422-96ae-dbe2c3431609",
    "event_iam": "76a4c7d1-1f00-4ceb-b7ad-3d355a3515cd",
    "event_ec2-error": "249e3b13-41d4-4007-8f04-ef4b4f4341ed",
    "event_cloudtrail": "6ffb6978-7b42-47d1-9aa1-1838ec08b514",
    "event_ec2": "f832abd6-9496-4f3e-9112-796f64b786e3",
    "event_rds": "eee4217d-4a93-4ad3-89ff-108b25c4c9ab",
    "7602ff70-7e5f-42e9-86b2-36803df39183": "8311ce18-5d58-40f1-a4b3-a757df7cbe47",
    "invalid_characters": "18312058-5aae-41a9-9a72-9c47a50ece24",
}
SEKOIA_NON_ROOT = {
    "test_signin2": "e7dd6d97-2d3a-45dc-bb19-a3ea347091e3",  # AssumedRole (SAML) ConsoleLogin
    "event_sts": "bcf6f457-76bc-4e8c-8a7b-8a2451481675",  # AWSService AssumeRole
}
# ashubeginner: the three root calls of 2020-01-09, their UTC eventTime and invokedBy.
ASHU_EVENTS = {
    "b91c9ab7-f980-4e5e-a590-9e625b27517c": ("GetTags", "2020-01-09T05:37:09Z", "signin.amazonaws.com"),
    "dae9c213-528a-47ea-8a1d-c5f952d09937": ("GetResources", "2020-01-09T05:37:06Z", "glue.amazonaws.com"),
    "555bed03-ae3c-4a07-b02c-81e6bc3cab17": ("DescribeInstances", "2020-01-09T05:36:48Z", "signin.amazonaws.com"),
}


def utc(stamp: str) -> pd.Timestamp:
    return pd.Timestamp(stamp).tz_convert("UTC")


def sekoia_record(stem: str) -> bytes:
    """The raw CloudTrail record a SEKOIA test case wraps as `{"input": {"message": "<json>"}}`."""
    case = json.loads((SEKOIA / f"{stem}.json").read_bytes())
    message = case["input"]["message"]
    assert isinstance(message, str)
    return message.encode()


def parse_file(path: Path) -> tuple[pd.DataFrame, list]:
    return parse_root_events(path.read_bytes(), path.name)


def only_row(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1, frame
    return frame.iloc[0]


def assert_utc_timestamps(series: pd.Series) -> None:
    assert isinstance(series.dtype, pd.DatetimeTZDtype)
    assert str(series.dtype.tz) == "UTC"


# --------------------------------------------------------------------------------------------
# Credential reports
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def old_report() -> pd.DataFrame:
    frame, problems = parse_credential_report(OLD_REPORT.read_bytes(), OLD_REPORT.name)
    assert problems == []
    return frame.set_index("user", drop=False)


@pytest.fixture(scope="module")
def new_report() -> pd.DataFrame:
    frame, problems = parse_credential_report(NEW_REPORT.read_bytes(), NEW_REPORT.name)
    assert problems == []
    return frame.set_index("user", drop=False)


@pytest.mark.parametrize("path", [OLD_REPORT, NEW_REPORT], ids=["old_format", "new_format"])
def test_real_credential_reports_parse_without_problems_and_typed(path: Path) -> None:
    frame, problems = parse_credential_report(path.read_bytes(), path.name)
    assert problems == []
    assert int(frame["is_root"].sum()) == 1
    for column in (
        "user_creation_time",
        "password_last_used",
        "password_last_changed",
        "access_key_1_last_rotated",
        "access_key_1_last_used_date",
    ):
        assert_utc_timestamps(frame[column])
    for column in ("password_enabled", "mfa_active", "access_key_1_active", "is_root"):
        assert frame[column].dtype == "boolean"
    # Physical line numbers: header is line 1, rows follow in order.
    assert list(frame["line"]) == list(range(2, 2 + len(frame)))


def test_old_format_users_and_accounts(old_report: pd.DataFrame) -> None:
    assert set(old_report["account_id"]) == {OLD_ACCOUNT}
    users = old_report[~old_report["is_root"]]
    assert sorted(users["user"]) == ["cloudgoat", "jake", "test_account", "test_key_account"]
    assert old_report.loc["<root_account>", "arn"] == f"arn:aws:iam::{OLD_ACCOUNT}:root"


def test_old_format_root_row(old_report: pd.DataFrame) -> None:
    root = old_report.loc["<root_account>"]
    assert bool(root["is_root"]) is True
    # Older reports cannot say whether root has a password.
    assert pd.isna(root["password_enabled"])
    assert root["password_enabled_note"] == "not_supported"
    assert pd.isna(root["password_last_changed"]) and root["password_last_changed_note"] == "not_supported"
    assert pd.isna(root["password_next_rotation"]) and root["password_next_rotation_note"] == "not_supported"
    # +00:00 timestamps become UTC times.
    assert root["password_last_used"] == utc("2022-12-21T16:19:23Z")
    assert root["password_last_used"].tzinfo is not None
    assert root["password_last_used"].utcoffset() == pd.Timedelta(0)
    assert not isinstance(root["password_last_used_note"], str)
    assert root["user_creation_time"] == utc("2022-03-08T16:02:25Z")
    assert bool(root["mfa_active"]) is False
    for n in (1, 2):
        assert bool(root[f"access_key_{n}_active"]) is False
        assert pd.isna(root[f"access_key_{n}_last_used_date"])
        assert root[f"access_key_{n}_last_used_date_note"] == "N/A"
        assert root[f"access_key_{n}_last_rotated_note"] == "N/A"


def test_old_format_user_cases(old_report: pd.DataFrame) -> None:
    cloudgoat = old_report.loc["cloudgoat"]  # no password, key used (us-east-1, rds)
    assert bool(cloudgoat["password_enabled"]) is False
    assert pd.isna(cloudgoat["password_last_used"]) and cloudgoat["password_last_used_note"] == "N/A"
    assert pd.isna(cloudgoat["password_last_changed"]) and cloudgoat["password_last_changed_note"] == "N/A"
    assert bool(cloudgoat["access_key_1_active"]) is True
    assert cloudgoat["access_key_1_last_rotated"] == utc("2022-05-27T10:25:44Z")
    assert cloudgoat["access_key_1_last_used_date"] == utc("2022-12-21T18:30:00Z")
    assert cloudgoat["access_key_1_last_used_region"] == "us-east-1"
    assert cloudgoat["access_key_1_last_used_service"] == "rds"

    jake = old_report.loc["jake"]  # password and key both used (eu-central-1, ec2)
    assert bool(jake["password_enabled"]) is True
    assert jake["password_last_used"] == utc("2023-01-03T09:38:09Z")
    assert jake["password_last_changed"] == utc("2022-05-18T09:05:13Z")
    assert jake["access_key_1_last_used_date"] == utc("2023-01-03T10:27:00Z")
    assert (jake["access_key_1_last_used_region"], jake["access_key_1_last_used_service"]) == ("eu-central-1", "ec2")
    assert bool(jake["mfa_active"]) is False

    test_account = old_report.loc["test_account"]  # password never used
    assert bool(test_account["password_enabled"]) is True
    assert pd.isna(test_account["password_last_used"])
    assert test_account["password_last_used_note"] == "no_information"
    assert test_account["password_last_changed"] == utc("2022-12-19T09:17:33Z")
    assert bool(test_account["access_key_1_active"]) is False

    test_key_account = old_report.loc["test_key_account"]  # key never used
    assert bool(test_key_account["password_enabled"]) is False
    assert test_key_account["password_last_changed_note"] == "N/A"
    assert bool(test_key_account["access_key_1_active"]) is True
    assert test_key_account["access_key_1_last_rotated"] == utc("2022-12-19T09:22:23Z")
    assert pd.isna(test_key_account["access_key_1_last_used_date"])
    assert test_key_account["access_key_1_last_used_date_note"] == "N/A"


def test_na_and_no_information_stay_distinct(old_report: pd.DataFrame, new_report: pd.DataFrame) -> None:
    # "never used" (no_information) and "has no password" (N/A) are both NaT, told apart by the note.
    assert old_report.loc["test_account", "password_last_used_note"] == "no_information"
    assert old_report.loc["cloudgoat", "password_last_used_note"] == "N/A"
    assert old_report.loc["test_key_account", "password_last_used_note"] == "N/A"
    assert new_report.loc["Regular", "password_last_used_note"] == "no_information"
    assert new_report.loc["<root_account>", "password_last_used_note"] == "no_information"
    # The special words never leak into the value columns.
    for frame in (old_report, new_report):
        for column in ("password_last_used", "password_last_changed", "access_key_1_last_used_date"):
            assert all(v is pd.NaT or isinstance(v, pd.Timestamp) for v in frame[column])


def test_new_format_users_and_accounts(new_report: pd.DataFrame) -> None:
    assert set(new_report["account_id"]) == {NEW_ACCOUNT}
    assert sorted(new_report.loc[~new_report["is_root"], "user"]) == ["Ad", "Regular"]


def test_new_format_root_row(new_report: pd.DataFrame) -> None:
    root = new_report.loc["<root_account>"]
    assert bool(root["is_root"]) is True
    assert root["arn"] == f"arn:aws:iam::{NEW_ACCOUNT}:root"
    # Newer reports say true/false for root's password.
    assert bool(root["password_enabled"]) is True
    assert not isinstance(root["password_enabled_note"], str)
    assert root["password_last_used"] is pd.NaT
    assert root["password_last_used_note"] == "no_information"
    # `Z` timestamps are read as UTC, exactly like `+00:00`.
    assert root["password_last_changed"] == utc("2025-01-28T17:25:12Z")
    assert root["user_creation_time"] == utc("2025-01-28T17:25:12Z")
    assert root["password_next_rotation_note"] == "not_supported"
    assert bool(root["mfa_active"]) is True
    assert bool(root["access_key_1_active"]) is False and bool(root["access_key_2_active"]) is False


def test_new_format_user_rows(new_report: pd.DataFrame) -> None:
    ad, regular = new_report.loc["Ad"], new_report.loc["Regular"]
    assert ad["password_last_used"] == utc("2025-01-29T16:46:14Z")
    assert ad["password_last_changed"] == utc("2025-01-28T23:09:18Z")
    assert ad["password_next_rotation_note"] == "N/A"
    assert regular["password_last_changed"] == utc("2025-01-28T23:15:55Z")
    for row in (ad, regular):
        assert bool(row["password_enabled"]) is True
        assert bool(row["mfa_active"]) is False
        assert bool(row["access_key_1_active"]) is False


def test_both_formats_give_the_same_typed_columns(old_report: pd.DataFrame, new_report: pd.DataFrame) -> None:
    from reporter.evidence.credential_report import BOOLEAN_COLUMNS, TIMESTAMP_COLUMNS

    assert list(old_report.columns) == list(new_report.columns)
    for frame in (old_report, new_report):
        # (The time resolution may differ, s or us, with pandas' inference; the zone may not.)
        for column in TIMESTAMP_COLUMNS:
            assert_utc_timestamps(frame[column])
        for column in (*BOOLEAN_COLUMNS, "is_root"):
            assert frame[column].dtype == "boolean"


# --------------------------------------------------------------------------------------------
# CloudTrail
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", sorted(DOCS_ROOT))
def test_docs_root_console_records_found(stem: str) -> None:
    frame, problems = parse_file(CONSOLE_SIGNIN / f"{stem}.json")
    assert problems == []
    row = only_row(frame)
    assert row["event_id"] == DOCS_ROOT[stem]
    assert row["account_id"] == "111122223333"
    assert row["event_time"] == utc("2022-11-10T16:24:34Z")
    assert_utc_timestamps(frame["event_time"])


@pytest.mark.parametrize("stem", DOCS_IAM_USER)
def test_docs_iam_user_records_are_not_root(stem: str) -> None:
    path = CONSOLE_SIGNIN / f"{stem}.json"
    doc = json.loads(path.read_bytes())
    records = doc["Records"] if "Records" in doc else [doc]
    assert [r["userIdentity"]["type"] for r in records] == ["IAMUser"]
    frame, problems = parse_file(path)
    assert problems == [] and frame.empty


@pytest.mark.parametrize(
    "name, records",
    [
        ("log_file_examples_envelopes.json", 8),  # 7 envelopes; EC2/IAM records and two Insight events
        ("iam_user_guide_signin_examples.json", 2),
    ],
)
def test_docs_lists_of_documents_have_no_root(name: str, records: int) -> None:
    path = CLOUDTRAIL / "aws_docs" / name
    doc = json.loads(path.read_bytes())
    assert isinstance(doc, list)
    found = [r for item in doc for r in (item["Records"] if "Records" in item else [item])]
    assert len(found) == records
    frame, problems = parse_file(path)
    # Top-level lists, old-schema records without eventID/eventType, Insight records without
    # userIdentity: all readable, none of them root.
    assert problems == []
    assert frame.empty


def test_sekoia_envelope_holds_exactly_the_eight_root_records() -> None:
    frame, problems = parse_file(SEKOIA / "DERIVED_records_envelope.json")
    assert problems == []
    assert len(frame) == 8
    assert set(frame["event_id"]) == set(SEKOIA_ROOT.values())
    assert not set(frame["event_id"]) & set(SEKOIA_NON_ROOT.values())
    assert_utc_timestamps(frame["event_time"])
    assert frame["event_time"].is_monotonic_increasing


@pytest.mark.parametrize("stem", sorted(SEKOIA_ROOT))
def test_sekoia_root_records_found_one_by_one(stem: str) -> None:
    frame, problems = parse_root_events(sekoia_record(stem), f"{stem}.json")
    assert problems == []
    row = only_row(frame)
    assert row["event_id"] == SEKOIA_ROOT[stem]
    assert row["location"] == "line 1"  # a single-line record is read as JSON Lines


@pytest.mark.parametrize("stem", sorted(SEKOIA_NON_ROOT))
def test_sekoia_non_root_records_not_found(stem: str) -> None:
    record = json.loads(sekoia_record(stem))
    assert record["eventID"] == SEKOIA_NON_ROOT[stem]
    frame, problems = parse_root_events(sekoia_record(stem), f"{stem}.json")
    assert problems == [] and frame.empty


def test_sekoia_envelope_rows_match_per_file_rows() -> None:
    envelope, _ = parse_file(SEKOIA / "DERIVED_records_envelope.json")
    by_id = envelope.set_index("event_id")
    columns = ["event_time", "event_name", "success", "mfa_used", "access_key_kind", "cis_counted"]
    for stem, event_id in SEKOIA_ROOT.items():
        single = only_row(parse_root_events(sekoia_record(stem), stem)[0])
        for column in columns:
            a, b = by_id.loc[event_id, column], single[column]
            assert (pd.isna(a) and pd.isna(b)) or a == b, (stem, column, a, b)


@pytest.mark.parametrize("path", [ASHU_RECORDS, ASHU_LOOKUP], ids=["records_envelope", "lookup_events"])
def test_ashubeginner_root_records_in_both_shapes(path: Path) -> None:
    frame, problems = parse_file(path)
    assert problems == []
    assert len(frame) == 3
    assert_utc_timestamps(frame["event_time"])
    for _, row in frame.iterrows():
        name, when, invoked_by = ASHU_EVENTS[row["event_id"]]
        assert row["event_name"] == name
        assert row["event_time"] == utc(when)
        assert row["invoked_by"] == invoked_by
        assert row["account_id"] == "xx"  # redacted, non-numeric account id is kept as given
        assert row["region"] == "us-west-1"


def test_lookup_events_time_is_the_inner_utc_event_time() -> None:
    outer = json.loads(ASHU_LOOKUP.read_bytes())["Events"]
    get_tags = next(e for e in outer if e["EventName"] == "GetTags")
    # The outer EventTime is the author's local time (+05:30), printed without a zone.
    assert get_tags["EventTime"].startswith("2020-01-09T11:07:09")
    frame, _ = parse_file(ASHU_LOOKUP)
    row = frame.set_index("event_id").loc[get_tags["EventId"]]
    assert row["event_time"] == pd.Timestamp(datetime(2020, 1, 9, 5, 37, 9, tzinfo=UTC))
    assert row["event_time"].utcoffset() == pd.Timedelta(0)
    assert row["event_time"] != utc("2020-01-09T11:07:09Z")
    # Both shapes agree record for record.
    records, _ = parse_file(ASHU_RECORDS)
    pd.testing.assert_series_equal(
        frame.set_index("event_id")["event_time"].sort_index(), records.set_index("event_id")["event_time"].sort_index()
    )


def test_trailscraper_gzip_log_file_has_no_root() -> None:
    data = gzip.decompress(TRAILSCRAPER.read_bytes())
    assert len(json.loads(data)["Records"]) == 2
    frame, problems = parse_root_events(data, TRAILSCRAPER.name)
    assert problems == []
    assert frame.empty
    assert list(frame.columns)[:4] == ["evidence_id", "event_id", "event_time", "account_id"]


def test_every_real_root_record_survives_a_jsonl_round_trip() -> None:
    """The snapshot stores root events as JSON Lines: all 16 real root records, one per line."""
    records = [json.loads((CONSOLE_SIGNIN / f"{stem}.json").read_bytes()) for stem in DOCS_ROOT]
    records += [json.loads(sekoia_record(stem)) for stem in SEKOIA_ROOT]
    records += json.loads(ASHU_RECORDS.read_bytes())["Records"]
    assert all(r["userIdentity"]["type"] == "Root" for r in records)
    data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
    frame, problems = parse_root_events(data, "root_events.jsonl")
    assert problems == []
    assert len(frame) == 16
    assert sorted(frame["location"]) == sorted(f"line {n}" for n in range(1, 17))


# --------------------------------------------------------------------------------------------
# Field semantics on real records
# --------------------------------------------------------------------------------------------


def docs_row(stem: str) -> pd.Series:
    return only_row(parse_file(CONSOLE_SIGNIN / f"{stem}.json")[0])


def sekoia_row(stem: str) -> pd.Series:
    return only_row(parse_root_events(sekoia_record(stem), stem)[0])


def test_mfa_used_uppercase_yes_is_true() -> None:
    row = docs_row("root_signin_success_mfa_uppercase_YES")
    assert row["event_name"] == "ConsoleLogin" and row["interaction"] == "console_sign_in"
    assert bool(row["mfa_used"]) is True
    assert bool(row["success"]) is True
    assert pd.isna(row["error_message"])


def test_mfa_used_no_is_false() -> None:
    row = docs_row("root_signin_success_no_mfa")
    assert bool(row["mfa_used"]) is False
    assert bool(row["success"]) is True
    assert bool(row["cis_counted"]) is True
    assert row["access_key_id"] is None  # "" in the record means no key


def test_root_failed_sign_in() -> None:
    row = docs_row("root_signin_failure_no_mfa")
    assert row["event_name"] == "ConsoleLogin"
    assert bool(row["success"]) is False
    assert row["error_message"] == "Failed authentication"
    assert bool(row["mfa_used"]) is False
    assert bool(row["cis_counted"]) is True


def test_root_enable_mfa_device_api_call() -> None:
    row = docs_row("root_enable_mfa_device")
    assert (row["event_source"], row["event_name"]) == ("iam.amazonaws.com", "EnableMFADevice")
    assert row["interaction"] == "api_call"
    assert row["user_agent"] == "Coral/Netty4"
    assert bool(row["mfa_used"]) is False  # sessionContext mfaAuthenticated "false"
    assert row["access_key_kind"] == "other"  # placeholder key "EXAMPLE"
    assert bool(row["success"]) is True


def test_root_password_updated_is_counted() -> None:
    row = docs_row("root_password_updated")
    assert (row["event_source"], row["event_name"]) == ("signin.amazonaws.com", "PasswordUpdated")
    assert bool(row["success"]) is True
    assert bool(row["cis_counted"]) is True


def test_sekoia_console_login_without_mfa() -> None:
    row = sekoia_row("event_signin")
    assert row["interaction"] == "console_sign_in"
    assert bool(row["success"]) is True
    assert bool(row["mfa_used"]) is False
    assert row["event_time"] == utc("2020-08-19T15:33:43Z")
    assert row["account_id"] == "1111111111"


def test_root_long_term_access_key() -> None:
    row = sekoia_row("event_iam")
    assert row["event_name"] == "CreateUser"
    assert row["access_key_id"].startswith("AKIA")
    assert row["access_key_kind"] == "long_term"
    assert row["interaction"] == "api_call"
    assert bool(row["success"]) is True
    assert bool(row["cis_counted"]) is True
    assert pd.isna(row["mfa_used"])  # no session context: MFA unknown, not "no"


def test_root_session_key_from_console() -> None:
    row = sekoia_row("event_cloudtrail")
    assert row["event_name"] == "LookupEvents"
    assert row["access_key_id"].startswith("ASIA")
    assert row["access_key_kind"] == "session"
    assert bool(row["mfa_used"]) is False


def test_root_api_call_that_failed() -> None:
    row = sekoia_row("event_ec2-error")
    assert row["access_key_kind"] == "long_term"
    assert row["error_code"] == "Client.AuthFailure"
    assert bool(row["success"]) is False
    assert row["error_message"].startswith("vm-import-export@amazon.com")


@pytest.mark.parametrize("stem", ["event_ec2", "event_rds", "7602ff70-7e5f-42e9-86b2-36803df39183"])
def test_aws_internal_source_ip_is_still_counted(stem: str) -> None:
    # "AWS Internal"/"aws.internal" is a source IP, not userIdentity.invokedBy: the CIS filter counts it.
    row = sekoia_row(stem)
    assert row["source_ip"] in ("AWS Internal", "aws.internal")
    assert row["invoked_by"] is None
    assert bool(row["cis_counted"]) is True
    assert bool(row["mfa_used"]) is True  # mfaAuthenticated "true"


def test_unusual_characters_record() -> None:
    row = sekoia_row("invalid_characters")
    assert row["event_source"] == "connect.amazonaws.com"
    assert row["event_time"] == utc("2025-07-25T04:25:16Z")
    assert row["account_id"] == "111111111111"  # recipientAccountId wins over userIdentity.accountId


@pytest.mark.parametrize("path", [ASHU_RECORDS, ASHU_LOOKUP], ids=["records_envelope", "lookup_events"])
def test_invoked_by_records_are_not_cis_counted(path: Path) -> None:
    frame = parse_file(path)[0].set_index("event_name")
    assert frame.loc["GetTags", "invoked_by"] == "signin.amazonaws.com"
    assert bool(frame.loc["GetTags", "cis_counted"]) is False
    assert not frame["cis_counted"].any()
    assert frame["invoked_by"].notna().all()
    assert not frame["mfa_used"].any()  # mfaAuthenticated "false" on all three


# --------------------------------------------------------------------------------------------
# End to end: a snapshot holding only a real credential report
# --------------------------------------------------------------------------------------------


def snapshot_with_report(root: Path, report: Path, account: str, as_of: datetime) -> Snapshot:
    writer = SnapshotWriter(
        root,
        tool_version="test",
        period_start=datetime(as_of.year, as_of.month, 1, tzinfo=UTC),
        period_end=as_of,
        as_of=as_of,
    )
    writer.add_account(account, regions=["us-east-1"])
    writer.add_bytes(
        f"accounts/{account}/iam/credential_report.csv",
        report.read_bytes(),
        api="iam:GetCredentialReport",
        account=account,
        region="us-east-1",
        collected_at=as_of,
    )
    writer.finalize(collected_at=as_of)
    return Snapshot.open(root)


def only_finding(findings: list[Finding], check_id: str) -> Finding:
    """The one finding of an account-level check (its resource is the root ARN, or the account id
    when the runner stopped it for missing evidence)."""
    found = [f for f in findings if f.check_id == check_id]
    assert len(found) == 1, found
    return found[0]


def by_check(findings: list[Finding], check_id: str) -> dict[str, Finding]:
    found = [f for f in findings if f.check_id == check_id]
    assert len({f.resource for f in found}) == len(found), found
    return {f.resource: f for f in found}


def test_end_to_end_new_format_report(tmp_path: Path) -> None:
    as_of = datetime(2025, 1, 29, 20, 0, tzinfo=UTC)  # after the newest time in the report
    model = build_pack(snapshot_with_report(tmp_path / "snap", NEW_REPORT, NEW_ACCOUNT, as_of))
    assert model.problems == []
    root = f"arn:aws:iam::{NEW_ACCOUNT}:root"
    findings = model.findings

    mfa = by_check(findings, "root_mfa_enabled")[root]
    assert mfa.status is Status.PASS
    assert mfa.observed == {"password_enabled": True, "mfa_active": True}
    assert mfa.evidence[0].path == f"accounts/{NEW_ACCOUNT}/iam/credential_report.csv"
    assert mfa.evidence[0].row == "line 2"

    # Root MFA is active, but whether it is virtual needs ListVirtualMFADevices: not collected.
    hardware = only_finding(findings, "root_hardware_mfa_enabled")
    assert hardware.status is Status.NOT_ASSESSED
    assert "virtual_mfa_devices" in hardware.reason
    # No root key in the report, but the account summary was not collected: never PASS.
    keys = only_finding(findings, "root_no_access_keys")
    assert keys.status is Status.NOT_ASSESSED
    assert "account_summary" in keys.reason
    # Root password never used (no_information) and no keys, but CloudTrail was not collected.
    not_used = only_finding(findings, "root_not_used")
    assert not_used.status is Status.NOT_ASSESSED
    assert "root_events" in not_used.reason
    assert not [
        f
        for f in findings
        if f.check_id.startswith("root_") and f.status is Status.PASS and f.check_id != "root_mfa_enabled"
    ]

    console = by_check(findings, "iam_user_console_mfa")
    assert set(console) == {f"arn:aws:iam::{NEW_ACCOUNT}:user/Ad", f"arn:aws:iam::{NEW_ACCOUNT}:user/Regular"}
    assert {f.status for f in console.values()} == {Status.FAIL}

    # No user holds an access key: the key checks have nobody in scope.
    for check_id in ("iam_access_keys_rotated", "iam_single_active_access_key"):
        assert [f.status for f in by_check(findings, check_id).values()] == [Status.NOT_APPLICABLE]


def test_end_to_end_old_format_report(tmp_path: Path) -> None:
    as_of = datetime(2023, 1, 3, 12, 0, tzinfo=UTC)  # the day of the source commit, after jake's key use
    model = build_pack(snapshot_with_report(tmp_path / "snap", OLD_REPORT, OLD_ACCOUNT, as_of))
    assert model.problems == []
    root = f"arn:aws:iam::{OLD_ACCOUNT}:root"
    user = f"arn:aws:iam::{OLD_ACCOUNT}:user/{{}}".format
    findings = model.findings

    # password_enabled is not_supported (unknown, not "no password") and MFA is off: FAIL.
    mfa = by_check(findings, "root_mfa_enabled")[root]
    assert mfa.status is Status.FAIL
    assert mfa.observed == {"password_enabled": "not_supported", "mfa_active": False}
    assert by_check(findings, "root_hardware_mfa_enabled")[root].status is Status.FAIL

    # Root signed in 12 days before as_of: a failure on the credential report alone.
    used = by_check(findings, "root_not_used")[root]
    assert used.status is Status.FAIL
    assert used.observed["last_used"] == "2022-12-21T16:19:23Z"
    assert used.observed["last_used_by"] == "password_last_used"
    assert used.observed["days_since_last_use"] == 12

    # Root holds no key per the report, yet the account summary is missing: NOT_ASSESSED.
    keys = only_finding(findings, "root_no_access_keys")
    assert keys.status is Status.NOT_ASSESSED
    assert "account_summary" in keys.reason

    console = by_check(findings, "iam_user_console_mfa")
    assert {r: f.status for r, f in console.items()} == {user("jake"): Status.FAIL, user("test_account"): Status.FAIL}

    rotated = by_check(findings, "iam_access_keys_rotated")
    assert {r: f.status for r, f in rotated.items()} == {
        user("cloudgoat"): Status.FAIL,
        user("jake"): Status.FAIL,
        user("test_key_account"): Status.PASS,
    }

    single = by_check(findings, "iam_single_active_access_key")
    assert {f.status for f in single.values()} == {Status.PASS}
    assert set(single) == {user("cloudgoat"), user("jake"), user("test_key_account")}

    unused = by_check(findings, "iam_unused_credentials_disabled")
    assert set(unused) == {user(n) for n in ("cloudgoat", "jake", "test_account", "test_key_account")}
    assert {f.status for f in unused.values()} == {Status.PASS}
    # test_account never used its password: its age counts from when it was set (15 days).
    assert unused[user("test_account")].observed["password_last_used"] == "no_information"
