"""The history store: schema versions and migrations, atomic pack writes, idempotent records, queries."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from monthly import MONTHS, ORG, A, C, write_chain

from reporter.core.period import month_offset
from reporter.core.status import Status
from reporter.history.records import FindingRecord, PackRecord, RecordOutcome, RequirementRecord, RootEventCount
from reporter.history.store import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    History,
    HistoryError,
    default_history_path,
)
from reporter.pack.model import build_pack
from reporter.pack.record import pack_record

TESTS = Path(__file__).resolve().parent


def _pack(
    month: str = "2026-10",
    digest: str = "a" * 64,
    *,
    findings: int = 2,
    previous: str | None = None,
    scope: str = "org:o-x",
) -> PackRecord:
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=UTC)
    return PackRecord(
        scope_key=scope,
        period_start=start,
        period_end=end,
        as_of=end,
        manifest_sha256=digest,
        previous_manifest_sha256=previous,
        tool_version="9.9",
        accounts=("111111111111",),
        findings=tuple(
            FindingRecord(
                "iam_access_keys_rotated",
                "111111111111",
                f"arn:aws:iam::111111111111:user/u{i}",
                "FAIL",
                "high",
                f"user {i}",
            )
            for i in range(findings)
        ),
        requirements=(
            RequirementRecord("cis", "5.0.0", "1.14", "FAIL", {"111111111111": "FAIL"}),
            RequirementRecord("cis", "5.0.0", "1.15", "PASS", {"111111111111": "PASS"}),
        ),
        root_events=(RootEventCount("111111111111", 4, True),),
    )


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_default_path_follows_xdg(tmp_path: Path) -> None:
    assert default_history_path({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "reporter" / "history.db"
    home = Path.home() / ".local" / "share" / "reporter" / "history.db"
    assert default_history_path({}) == home
    # The XDG spec: a relative XDG_DATA_HOME is invalid and ignored.
    assert default_history_path({"XDG_DATA_HOME": "relative/dir"}) == home


def test_new_database_has_current_schema_and_marks_itself(tmp_path: Path) -> None:
    with History(tmp_path / "sub" / "h.db") as history:
        assert history.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    conn = sqlite3.connect(tmp_path / "sub" / "h.db")
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_record_roundtrip_and_repeat_is_idempotent(tmp_path: Path) -> None:
    pack = _pack()
    with History(tmp_path / "h.db") as history:
        assert history.record(pack) is RecordOutcome.ADDED
        before = _dump(tmp_path / "h.db")
        assert history.record(pack) is RecordOutcome.UNCHANGED
        assert _dump(tmp_path / "h.db") == before
        loaded = history.load(pack.manifest_sha256)
        assert loaded == pack
        # Same snapshot, re-rendered with different results: one row per digest, replaced.
        changed = dataclasses.replace(pack, findings=pack.findings[:1])
        assert history.record(changed) is RecordOutcome.REPLACED
        assert history.load(pack.manifest_sha256) == changed
        assert [p.manifest_sha256 for p in history.packs()] == [pack.manifest_sha256]
        assert history.fail_keys(pack.manifest_sha256) == {pack.findings[0].key}


def test_previous_series_and_streaks(tmp_path: Path) -> None:
    with History(tmp_path / "h.db") as history:
        history.record(_pack("2026-07", "7" * 64, findings=1))
        history.record(_pack("2026-09", "9" * 64, findings=2))
        history.record(_pack("2026-10", "0" * 64, findings=3))
        history.record(_pack("2026-10", "1" * 64, findings=2, scope="org:other"))
        nov = datetime(2026, 11, 1, tzinfo=UTC)
        assert history.previous("org:o-x", nov).manifest_sha256 == "0" * 64
        assert history.previous("org:o-x", datetime(2026, 7, 1, tzinfo=UTC)) is None
        assert history.previous("org:nobody", nov) is None
        series = history.series("org:o-x", nov, months=5)
        assert [p.month for p in series] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
        assert [p.manifest_sha256 is None for p in series] == [True, False, True, False, False]
        assert [p.fail_findings for p in series] == [None, 1, None, 2, 3]
        assert series[-1].fail_requirements == {"cis": 1} and series[-1].root_events == 4
        assert series[0].root_events is None  # no pack: a gap, not zero
        keys = {f"iam_access_keys_rotated|111111111111|arn:aws:iam::111111111111:user/u{i}" for i in range(3)}
        streaks = history.fail_streaks("org:o-x", nov, keys)
        # u0 and u1 failed in Oct and Sep; August has no pack, so the count stops there.
        assert sorted(streaks.values()) == [1, 2, 2]
        assert history.scopes() == ["org:o-x", "org:other"]


def test_pack_from_model_records_everything(tmp_path: Path) -> None:
    snaps = write_chain(tmp_path / "c")
    model = build_pack(snaps[2])
    pack = pack_record(model, snapshot_path=snaps[2].root, tool_version="1.2.3")
    assert pack.scope_key == f"org:{ORG}" and pack.month == MONTHS[2]
    assert pack.manifest_sha256 == snaps[2].digest
    assert pack.previous_manifest_sha256 == snaps[1].digest
    assert pack.accounts == (A, C)
    assert len(pack.findings) == len(model.findings)
    assert len(pack.requirements) == sum(len(r.requirements) for r in model.frameworks)
    # C's root-event lookup failed: its count is unknown, not zero.
    assert pack.root_events == (RootEventCount(A, 2, True), RootEventCount(C, None, None))
    with History(tmp_path / "h.db") as history:
        history.record(pack)
        assert history.load(pack.manifest_sha256) == pack
        point = history.month_point(history.summary(pack.manifest_sha256))
        assert point.root_events == 2 and point.root_events_complete is False
        assert point.fail_findings == 2
        assert point.fail_requirements == {r.framework_id: r.counts[Status.FAIL] for r in model.frameworks}


def _make_v1(path: Path) -> None:
    """A database as reporter with schema version 1 left it, with one pack in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO packs VALUES (1, ?, NULL, 'org:o-x', '2026-09-01T00:00:00Z',"
        " '2026-10-01T00:00:00Z', '2026-10-01T06:00:00Z', '0.1')",
        ("b" * 64,),
    )
    conn.execute("INSERT INTO pack_accounts VALUES (1, '111111111111')")
    conn.execute(
        "INSERT INTO findings VALUES (1, 'root_not_used|111111111111|arn:aws:iam::111111111111:root',"
        " 'root_not_used', '111111111111', 'arn:aws:iam::111111111111:root', 'FAIL', 'critical', 'used')"
    )
    conn.execute("INSERT INTO requirement_results VALUES (1, 'cis', '5.0.0', '1.7', 'FAIL', '{}')")
    conn.execute("INSERT INTO root_event_counts VALUES (1, '111111111111', 5)")
    conn.close()


def test_migrates_version_1_to_current_keeping_data(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    _make_v1(db)
    with History(db) as history:
        assert history.schema_version == SCHEMA_VERSION
        old = history.load("b" * 64)
        assert old is not None and old.tool_version == "0.1" and old.snapshot_path is None
        assert old.findings[0].acceptance is None and old.findings[0].status == "FAIL"
        # Version 1 did not keep completeness: unknown, not "complete".
        assert old.root_events == (RootEventCount("111111111111", 5, None),)
        assert history.record(_pack("2026-10", previous="b" * 64)) is RecordOutcome.ADDED
        assert history.previous("org:o-x", datetime(2026, 10, 1, tzinfo=UTC)).manifest_sha256 == "b" * 64
        point = history.series("org:o-x", datetime(2026, 10, 1, tzinfo=UTC), months=1)[0]
        assert point.root_events == 5 and point.root_events_complete is False


def test_newer_schema_and_foreign_files_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    History(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match=rf"newer.db: history schema version {SCHEMA_VERSION + 1} is newer"):
        History(newer)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(HistoryError, match="other.db: an SQLite database, but not a reporter history"):
        History(other)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="garbage.db: not a usable SQLite database"):
        History(garbage)
    with pytest.raises(HistoryError, match="no such history database"):
        History(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_a_failed_write_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reporter.history.store as history_module

    db = tmp_path / "h.db"
    with History(db) as history:
        history.record(_pack("2026-09", "9" * 64))
        before = _dump(db)

        def boom(table: str) -> None:
            if table == "root_event_counts":
                raise OSError("disk full")

        monkeypatch.setattr(history_module, "_after_rows_hook", boom)
        with pytest.raises(OSError, match="disk full"):
            history.record(_pack("2026-10", "0" * 64))
        assert _dump(db) == before


_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    import reporter.history.store as h
    from test_history import _pack

    marker = Path(sys.argv[2])

    def stall(table):
        if table == "requirement_results":   # findings are written, the rest is not: mid-transaction
            marker.write_text("inside")
            time.sleep(120)

    h._after_rows_hook = stall
    with h.History(sys.argv[1]) as history:
        history.record(_pack("2026-10", "0" * 64, findings=20000, previous="9" * 64))
""")


def test_killing_the_writer_mid_transaction_leaves_the_database_unchanged(tmp_path: Path) -> None:
    db, marker = tmp_path / "h.db", tmp_path / "inside"
    with History(db) as history:
        history.record(_pack("2026-09", "9" * 64))
    before = _dump(db)
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db), str(marker), str(TESTS)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parents[1]), str(TESTS.parent)])},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the writer exited before reaching the transaction"
            assert time.monotonic() < deadline, "the writer never reached the transaction"
            time.sleep(0.05)
        # 20,000 finding rows are in the open transaction: the rollback journal is hot.
        assert (tmp_path / "h.db-journal").exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with History(db) as history:  # opening rolls the hot journal back
        assert history._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [p.manifest_sha256 for p in history.packs()] == ["9" * 64]
        assert history.load("0" * 64) is None
    assert _dump(db) == before
    with History(db) as history:  # and it is writable again
        assert history.record(_pack("2026-10", "0" * 64, previous="9" * 64)) is RecordOutcome.ADDED


def test_month_offset() -> None:
    assert month_offset("2026-01", -1) == "2025-12"
    assert month_offset("2026-12", 1) == "2027-01"
    assert month_offset("2026-10", -12) == "2025-10"


def test_previous_digest_chains_a_new_collection(tmp_path: Path) -> None:
    """What the collector asks before finalizing: the digest to record as previous_manifest_sha256."""
    from monthly import as_of, period

    from reporter.history.records import scope_key_for
    from reporter.snapshot.writer import SnapshotWriter

    snaps = write_chain(tmp_path / "c")
    scope = scope_key_for(ORG, [A, C])
    assert scope == f"org:{ORG}" and scope_key_for(None, ["2", "1", "2"]) == "accounts:1,2"
    with History(tmp_path / "h.db") as history:
        for snap in snaps:
            history.record(pack_record(build_pack(snap)))
        start, end = period("2026-12")
        digest = history.previous_digest(scope, start)
        assert digest == snaps[2].digest
        assert history.previous_digest(scope, period("2026-09")[0]) is None
    writer = SnapshotWriter(
        tmp_path / "dec",
        tool_version="t",
        period_start=start,
        period_end=end,
        as_of=as_of("2026-12"),
        organization_id=ORG,
    )
    writer.add_account(A)
    manifest = writer.finalize(collected_at=as_of("2026-12"), previous_manifest_sha256=digest)
    assert manifest.previous_manifest_sha256 == snaps[2].digest
