"""Drift across three consecutive monthly packs (tests/monthly.py tells the story), numbers exact."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import orjson
import pytest
from monthly import MONTHS, A, B, C, write_chain

from reporter.core.status import Status
from reporter.history.drift import Drift, compute_drift
from reporter.history.records import PackRecord
from reporter.history.store import History
from reporter.pack.model import Pack, build_pack
from reporter.pack.record import pack_record

ROOT_USED = f"root_not_used|{A}|arn:aws:iam::{A}:root"
ALICE_KEY = f"iam_access_keys_rotated|{A}|arn:aws:iam::{A}:user/alice"
B_ROOT_MFA = f"root_mfa_enabled|{B}|arn:aws:iam::{B}:root"
B_HW_MFA = f"root_hardware_mfa_enabled|{B}|arn:aws:iam::{B}:root"
BOB_MFA = f"iam_user_console_mfa|{C}|arn:aws:iam::{C}:user/bob"


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Pack, PackRecord, Drift]]:
    """Each month: build the report, compute drift against the history, then record it."""
    base = tmp_path_factory.mktemp("drift")
    out = []
    with History(base / "history.db") as history:
        for snap in write_chain(base / "packs"):
            model = build_pack(snap)
            pack = pack_record(model, snapshot_path=snap.root)
            out.append((model, pack, compute_drift(pack, history)))
            history.record(pack)
    return out


def _keys(changes) -> list[str]:
    return sorted(c.key for c in changes)


def _fails(model: Pack) -> dict[str, int]:
    return {r.framework_id: r.counts[Status.FAIL] for r in model.frameworks}


def test_first_month_is_the_baseline(months) -> None:
    _, pack, drift = months[0]
    assert drift.baseline and drift.previous_month is None
    assert drift.counts() == {
        "new": 0,
        "resolved": 0,
        "still_open": 0,
        "no_longer_assessed": 0,
        "accounts_added": 0,
        "accounts_removed": 0,
    }
    assert pack.fail_keys() == {ROOT_USED, ALICE_KEY, B_ROOT_MFA, B_HW_MFA}
    assert len(drift.trend) == 13 and drift.trend[-1].month == "2026-09"
    assert all(p.manifest_sha256 is None and p.root_events is None for p in drift.prior)
    assert drift.current.root_events == 1 and drift.current.root_events_complete


def test_second_month_against_the_first(months) -> None:
    model, _, drift = months[1]
    assert drift.previous_month == "2026-09" and drift.previous_is_last_month
    assert drift.previous_manifest_sha256 == months[0][1].manifest_sha256
    assert drift.counts() == {
        "new": 1,
        "resolved": 1,
        "still_open": 3,
        "no_longer_assessed": 0,
        "accounts_added": 1,
        "accounts_removed": 0,
    }
    assert _keys(drift.new) == [BOB_MFA]
    assert drift.new[0].previous_status is None and drift.new[0].months_open == 1
    assert _keys(drift.resolved) == [B_ROOT_MFA] and drift.resolved[0].status == "PASS"
    assert {c.key: c.months_open for c in drift.still_open} == {ROOT_USED: 2, ALICE_KEY: 2, B_HW_MFA: 2}
    assert drift.accounts_added == (C,) and drift.accounts_removed == ()
    # Root events: 3 this month against 1 in September; earlier months have no pack.
    vs = drift.root_events_vs_prior()
    assert len(vs) == 12 and vs[-1] == {"month": "2026-09", "events": 1, "complete": True, "difference": 2}
    assert all(v["events"] is None and v["difference"] is None for v in vs[:-1])
    assert drift.current.root_events == 3
    series = drift.fail_series()
    assert set(series) == set(_fails(model))
    for fw, values in series.items():
        assert values == [None] * 11 + [_fails(months[0][0])[fw], _fails(model)[fw]]


def test_third_month_against_the_second(months) -> None:
    model, _, drift = months[2]
    assert drift.previous_month == "2026-10"
    assert drift.counts() == {
        "new": 0,
        "resolved": 1,
        "still_open": 2,
        "no_longer_assessed": 1,
        "accounts_added": 0,
        "accounts_removed": 1,
    }
    assert _keys(drift.resolved) == [ALICE_KEY]
    assert {c.key: c.months_open for c in drift.still_open} == {ROOT_USED: 3, BOB_MFA: 2}
    # B left the scope: its open FAIL is not "resolved", it is no longer assessed.
    assert _keys(drift.no_longer_assessed) == [B_HW_MFA]
    assert drift.no_longer_assessed[0].status is None and drift.no_longer_assessed[0].previous_status == "FAIL"
    assert drift.accounts_removed == (B,)
    # C's root-event lookup failed: this month's count (2, all from A) is flagged incomplete.
    assert drift.current.root_events == 2 and not drift.current.root_events_complete
    assert [v["events"] for v in drift.root_events_vs_prior()][-2:] == [1, 3]
    assert [v["difference"] for v in drift.root_events_vs_prior()][-2:] == [1, -1]
    for fw, values in drift.fail_series().items():
        assert values[-3:] == [_fails(m)[fw] for m, _, _ in months]
        assert values[:-3] == [None] * 10


def test_drift_json_block(months) -> None:
    doc = months[2][2].as_dict()
    assert orjson.loads(orjson.dumps(doc)) == doc  # plain JSON
    assert doc["month"] == "2026-11" and doc["previous"]["month"] == "2026-10"
    assert doc["counts"]["still_open"] == 2
    assert doc["root_events"]["this_month"] == 2 and doc["root_events"]["this_month_complete"] is False
    assert doc["root_events"]["prior_max"] == 3 and doc["root_events"]["prior_mean"] == 2.0
    assert doc["fail_requirements_by_framework"]["months"][-1] == "2026-11"
    assert len(doc["trend"]) == 13


def test_no_longer_assessed_is_not_resolved(tmp_path: Path) -> None:
    """A FAIL whose evidence disappears (NOT_ASSESSED now) is not counted as fixed."""
    _, pack_oct, _ = _two(tmp_path)
    after = tuple(dataclasses.replace(f, status="NOT_ASSESSED") if f.key == ROOT_USED else f for f in pack_oct.findings)
    nov = dataclasses.replace(
        pack_oct,
        findings=after,
        manifest_sha256="f" * 64,
        period_start=pack_oct.period_end,
        period_end=pack_oct.period_end.replace(month=12),
    )
    with History(tmp_path / "h.db") as history:
        drift = compute_drift(nov, history)
    assert ROOT_USED in _keys(drift.no_longer_assessed) and ROOT_USED not in _keys(drift.resolved)
    change = next(c for c in drift.no_longer_assessed if c.key == ROOT_USED)
    assert (change.previous_status, change.status) == ("FAIL", "NOT_ASSESSED")


def _two(tmp_path: Path):
    snaps = write_chain(tmp_path / "c")[:2]
    with History(tmp_path / "h.db") as history:
        packs = [pack_record(build_pack(s)) for s in snaps]
        for p in packs:
            history.record(p)
    return snaps, packs[1], packs[0]


def test_without_history_every_pack_is_a_baseline(tmp_path: Path) -> None:
    snaps = write_chain(tmp_path / "c")
    drift = compute_drift(pack_record(build_pack(snaps[1])), None)
    assert drift.baseline and [p.month for p in drift.trend][-2:] == ["2026-09", "2026-10"]
    assert drift.trend[-2].root_events is None and drift.current.root_events == 3
    assert MONTHS[1] == drift.month
