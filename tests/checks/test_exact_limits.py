"""Every "N days" limit the checks use is judged to the second against as_of (issue #15, item 5):
one second on either side of each limit flips the verdict, and whole-day rounding never does."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from factory import ACCOUNT, AS_OF, AccountSpec, checked, cr_row, report, write_snapshot

from reporter.checks.finding import Finding
from reporter.checks.limits import Thresholds
from reporter.core.status import Status

SECOND = timedelta(seconds=1)
USER = f"arn:aws:iam::{ACCOUNT}:user/edge"


def stamp(age: timedelta) -> str:
    return (AS_OF - age).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(tmp_path: Path, row: str, thresholds: Thresholds | None = None, root: str | None = None) -> list[Finding]:
    rows = [root or cr_row(), row] if row else [root or cr_row()]
    return checked(write_snapshot(tmp_path, AccountSpec(credential_report=report(*rows))), thresholds).findings


def verdict(found: list[Finding], check_id: str, resource: str = USER) -> Finding:
    (match,) = [f for f in found if f.check_id == check_id and f.resource == resource]
    return match


def key_user(rotated: str) -> str:
    return cr_row(
        "edge", password_enabled="false", password_last_changed="N/A", key1=("true", rotated, stamp(timedelta(days=1)))
    )


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(days=90) - SECOND, Status.PASS),
        (timedelta(days=90), Status.PASS),  # "rotated within 90 days": exactly 90 × 24 h is within
        (timedelta(days=90) + SECOND, Status.FAIL),
        (timedelta(days=90, hours=23, minutes=59, seconds=59), Status.FAIL),  # 90 whole days, still over
    ],
)
def test_key_rotation_limit_to_the_second(tmp_path: Path, age: timedelta, expected: Status) -> None:
    found = verdict(run(tmp_path, key_user(stamp(age))), "iam_access_keys_rotated")
    assert found.status is expected, found.reason
    if expected is Status.FAIL:
        # at the edge the reason gives the time of day, so "90 days" is never the stated failure
        assert f"is 90 days {int((age - timedelta(days=90)).total_seconds()) // 3600:02d}:" in found.reason


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(days=45) - SECOND, Status.PASS),
        (timedelta(days=45), Status.FAIL),  # CIS: "unused for 45 days or greater"
        (timedelta(days=45) + SECOND, Status.FAIL),
    ],
)
def test_unused_credentials_limit_to_the_second(tmp_path: Path, age: timedelta, expected: Status) -> None:
    row = cr_row("edge", password_last_used=stamp(age), password_last_changed="2020-01-01T00:00:00Z")
    found = verdict(run(tmp_path, row), "iam_unused_credentials_disabled")
    assert found.status is expected, found.reason


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(days=90) - SECOND, Status.FAIL),
        (timedelta(days=90), Status.FAIL),  # used at the first second of the 90-day window
        (timedelta(days=90) + SECOND, Status.PASS),
    ],
)
def test_root_window_to_the_second(tmp_path: Path, age: timedelta, expected: Status) -> None:
    root = cr_row(password_last_used=stamp(age))
    found = verdict(run(tmp_path, "", root=root), "root_not_used", f"arn:aws:iam::{ACCOUNT}:root")
    assert found.status is expected, found.reason


def test_a_limit_given_as_a_threshold_is_judged_the_same_way(tmp_path: Path) -> None:
    limits = Thresholds(key_rotation_days=30)
    inside = verdict(run(tmp_path / "a", key_user(stamp(timedelta(days=30))), limits), "iam_access_keys_rotated")
    over = verdict(run(tmp_path / "b", key_user(stamp(timedelta(days=30) + SECOND)), limits), "iam_access_keys_rotated")
    assert (inside.status, over.status) == (Status.PASS, Status.FAIL)
    assert over.observed["threshold_days"] == 30 and "(limit 30)" in over.reason
