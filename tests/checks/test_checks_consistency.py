"""evidence_consistent: a contradiction between the credential report and the account summary is
a FAIL naming both sources, never resolved silently."""

from __future__ import annotations

from pathlib import Path

from factory import ACCOUNT, AccountSpec, checked, cr_row, report, write_snapshot

from reporter.core.status import Status

ACTIVE_KEY = ("true", "2026-01-01T00:00:00Z", "N/A")
REPORT = f"accounts/{ACCOUNT}/iam/credential_report.csv"
SUMMARY = f"accounts/{ACCOUNT}/iam/account_summary.json"


def consistency(tmp_path: Path, spec: AccountSpec):
    found = [
        f for f in checked(write_snapshot(tmp_path / "snap", spec)).findings if f.check_id == "evidence_consistent"
    ]
    assert len(found) == 1, found
    return found[0]


def summary(mfa: int | None, keys: int | None) -> dict:
    values = {"AccountMFAEnabled": mfa, "AccountAccessKeysPresent": keys}
    return {"SummaryMap": {k: v for k, v in values.items() if v is not None}}


def test_agreeing_sources_pass(tmp_path: Path) -> None:
    f = consistency(tmp_path, AccountSpec())  # report: MFA on, no keys; summary: 1 and 0
    assert f.status is Status.PASS and "agree on 2 of 2" in f.reason
    assert f.observed["account_summary.AccountMFAEnabled"] == 1


def test_root_key_in_the_report_but_not_in_the_summary_fails_naming_both(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=report(cr_row(key1=ACTIVE_KEY)), summary=summary(1, 0))
    f = consistency(tmp_path, spec)
    assert f.status is Status.FAIL
    assert f"root access keys: the credential report ({REPORT}, line 2) says yes" in f.reason
    assert f"the account summary ({SUMMARY}, AccountAccessKeysPresent=0) says no" in f.reason
    assert {e.path for e in f.evidence} == {REPORT, SUMMARY}


def test_mfa_contradiction_fails(tmp_path: Path) -> None:
    f = consistency(tmp_path, AccountSpec(summary=summary(0, 0)))
    assert f.status is Status.FAIL and "root MFA: the credential report" in f.reason
    assert "AccountMFAEnabled=0) says no" in f.reason and "access keys" not in f.reason


def test_one_fact_stated_by_one_side_only_is_compared_on_the_other(tmp_path: Path) -> None:
    f = consistency(tmp_path, AccountSpec(summary=summary(1, None)))
    assert f.status is Status.PASS and "agree on 1 of 2" in f.reason


def test_nothing_comparable_is_not_assessed(tmp_path: Path) -> None:
    assert consistency(tmp_path / "a", AccountSpec(summary=summary(None, None))).status is Status.NOT_ASSESSED
    missing = consistency(tmp_path / "b", AccountSpec(summary=None))
    assert missing.status is Status.NOT_ASSESSED and "account_summary" in missing.reason
