"""The history store: every pack's findings, framework results and root-event counts, month after month.

An embedded SQLite database (standard library `sqlite3`), by default
`$XDG_DATA_HOME/reporter/history.db` (`~/.local/share/reporter/history.db`). It is what drift
(reporter/drift.py) compares a pack with, and what `verify` walks to check the evidence chain.

Guarantees:

* **Versioned schema.** `PRAGMA user_version` holds the schema version; `MIGRATIONS` lists the
  steps from an empty file to the current version. Opening an older database migrates it, one
  transaction per step; a database written by a newer reporter is refused with a clear error
  (we cannot know what its columns mean), and so is an SQLite file that is not a history.
* **One transaction per pack.** `record()` writes the pack and all its rows in a single
  `BEGIN IMMEDIATE … COMMIT` with a rollback journal and `synchronous=FULL`: a crash or a kill at
  any instant leaves the database exactly as it was before the call (SQLite rolls the hot journal
  back on the next open).
* **Idempotent by manifest digest.** A pack is identified by the SHA-256 of its snapshot's
  manifest. Recording the same digest with the same content again changes nothing
  (`RecordOutcome.UNCHANGED`); with different content (the same snapshot re-rendered with a
  corrected exceptions file or other frameworks) it replaces that pack's rows in one
  transaction (`RecordOutcome.REPLACED`). Either way there is one row per digest.

Times are stored as `YYYY-MM-DDTHH:MM:SSZ` text, which sorts as time does.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from reporter.core.period import month_label, month_offset
from reporter.history.records import (
    FindingRecord,
    MonthPoint,
    PackRecord,
    PackSummary,
    RecordOutcome,
    RequirementRecord,
    RootEventCount,
    scope_key_for,
)
from reporter.snapshot.manifest import iso_utc

# "RPTR": marks the file as a reporter history, so a stray SQLite file is refused, not migrated.
APPLICATION_ID = 0x52505452


class HistoryError(Exception):
    """The history database cannot be used (unreadable, not a history, newer schema). `str(e)`
    names the file."""


# --------------------------------------------------------------------------------------------
# Schema and migrations
# --------------------------------------------------------------------------------------------

# MIGRATIONS[i] takes a database from version i to version i + 1. Append, never edit: a
# database in the field was built by exactly these statements.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: packs, their accounts, findings, requirement results, root-event counts.
    (
        """CREATE TABLE packs (
            id INTEGER PRIMARY KEY,
            manifest_sha256 TEXT NOT NULL UNIQUE,
            previous_manifest_sha256 TEXT,
            scope_key TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            as_of TEXT NOT NULL,
            tool_version TEXT NOT NULL)""",
        """CREATE TABLE pack_accounts (
            pack_id INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
            account_id TEXT NOT NULL,
            PRIMARY KEY (pack_id, account_id))""",
        """CREATE TABLE findings (
            pack_id INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
            finding_key TEXT NOT NULL,
            check_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            resource TEXT NOT NULL,
            status TEXT NOT NULL,
            severity TEXT NOT NULL,
            reason TEXT NOT NULL)""",
        "CREATE INDEX findings_by_pack ON findings(pack_id, status, finding_key)",
        """CREATE TABLE requirement_results (
            pack_id INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
            framework_id TEXT NOT NULL,
            framework_version TEXT NOT NULL,
            requirement_id TEXT NOT NULL,
            status TEXT NOT NULL,
            status_by_account TEXT NOT NULL)""",
        "CREATE INDEX requirements_by_pack ON requirement_results(pack_id, framework_id)",
        """CREATE TABLE root_event_counts (
            pack_id INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
            account_id TEXT NOT NULL,
            events INTEGER,
            PRIMARY KEY (pack_id, account_id))""",
    ),
    # 2: risk-acceptance state of findings, completeness of root-event counts, where the
    # snapshot folder was (for chain verification), a content digest (idempotent re-record).
    (
        "ALTER TABLE packs ADD COLUMN snapshot_tool_version TEXT",
        "ALTER TABLE packs ADD COLUMN snapshot_path TEXT",
        "ALTER TABLE packs ADD COLUMN content_sha256 TEXT",
        "ALTER TABLE findings ADD COLUMN acceptance TEXT",
        # NULL for counts recorded by version 1: their completeness was not kept.
        "ALTER TABLE root_event_counts ADD COLUMN complete INTEGER",
        "CREATE INDEX packs_by_scope ON packs(scope_key, period_start, as_of)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

# Test hook: called inside record()'s transaction after each table's rows are written, so a test
# can kill the process at a known point mid-transaction. None in normal use.
_after_rows_hook: Callable[[str], None] | None = None


def default_history_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/reporter/history.db`, or `~/.local/share/reporter/history.db`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or ""
    # The XDG spec says a relative value is invalid and must be ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "reporter" / "history.db"


def _time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


_PACK_COLUMNS = (
    "id, scope_key, period_start, period_end, as_of, manifest_sha256, previous_manifest_sha256,"
    " tool_version, snapshot_tool_version, snapshot_path"
)


def _summary(row: Sequence[Any]) -> PackSummary:
    return PackSummary(
        row[0], row[1], _time(row[2]), _time(row[3]), _time(row[4]), row[5], row[6], row[7], row[8], row[9]
    )


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


class History:
    """An open history database. Use as a context manager, or call `close()`.

    `History(path)` creates the file (and its folder) if needed and migrates it to
    `SCHEMA_VERSION`; `History(path, create=False)` refuses a missing file (for `verify`).
    """

    def __init__(self, path: Path | str | None = None, *, create: bool = True, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        if not self.path.exists():
            if not create:
                raise HistoryError(f"{self.path}: no such history database")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: no implicit transactions; every write below says BEGIN itself.
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=busy_timeout_s)
            self._conn.execute("PRAGMA foreign_keys = ON")
            # Rollback journal + FULL sync: a killed writer leaves a hot journal that the next
            # opener rolls back, and a committed pack survives power loss.
            self._conn.execute("PRAGMA journal_mode = DELETE")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise HistoryError(f"{self.path}: not a usable SQLite database ({exc})") from None
        except HistoryError:
            self._close_quietly()
            raise

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def _close_quietly(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front: two monthly jobs never interleave a pack.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        version = self.schema_version
        app_id = int(self._conn.execute("PRAGMA application_id").fetchone()[0])
        tables = self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID and (version or tables):
            raise HistoryError(
                f"{self.path}: an SQLite database, but not a reporter history"
                f" (application_id {app_id:#x}, expected {APPLICATION_ID:#x})"
            )
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.path}: history schema version {version} is newer than this reporter"
                f" understands ({SCHEMA_VERSION}); use a newer reporter"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction() as conn:
                for statement in MIGRATIONS[target - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                # PRAGMA takes no parameters; `target` is an int from range().
                conn.execute(f"PRAGMA user_version = {target}")

    # -- writing ---------------------------------------------------------------------------

    def record(self, pack: PackRecord) -> RecordOutcome:
        """Store one pack, atomically. See the module docstring for repeated digests."""
        content = pack.content_sha256()
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT id, content_sha256 FROM packs WHERE manifest_sha256 = ?", (pack.manifest_sha256,)
            ).fetchone()
            if row is not None and row[1] == content:
                return RecordOutcome.UNCHANGED
            if row is not None:
                conn.execute("DELETE FROM packs WHERE id = ?", (row[0],))  # rows cascade
            pack_id = conn.execute(
                "INSERT INTO packs (manifest_sha256, previous_manifest_sha256, scope_key, period_start,"
                " period_end, as_of, tool_version, snapshot_tool_version, snapshot_path, content_sha256)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pack.manifest_sha256,
                    pack.previous_manifest_sha256,
                    pack.scope_key,
                    iso_utc(pack.period_start),
                    iso_utc(pack.period_end),
                    iso_utc(pack.as_of),
                    pack.tool_version,
                    pack.snapshot_tool_version,
                    pack.snapshot_path,
                    content,
                ),
            ).lastrowid
            conn.executemany(
                "INSERT INTO pack_accounts (pack_id, account_id) VALUES (?, ?)",
                ((pack_id, a) for a in sorted(set(pack.accounts))),
            )
            conn.executemany(
                "INSERT INTO findings (pack_id, finding_key, check_id, account_id, resource, status,"
                " severity, reason, acceptance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        pack_id,
                        f.key,
                        f.check_id,
                        f.account_id,
                        f.resource,
                        str(f.status),
                        str(f.severity),
                        f.reason,
                        f.acceptance,
                    )
                    for f in pack.findings
                ),
            )
            self._hook("findings")
            conn.executemany(
                "INSERT INTO requirement_results (pack_id, framework_id, framework_version, requirement_id,"
                " status, status_by_account) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (
                        pack_id,
                        r.framework_id,
                        r.framework_version,
                        r.requirement_id,
                        str(r.status),
                        orjson.dumps(dict(r.status_by_account), option=orjson.OPT_SORT_KEYS).decode(),
                    )
                    for r in pack.requirements
                ),
            )
            self._hook("requirement_results")
            conn.executemany(
                "INSERT INTO root_event_counts (pack_id, account_id, events, complete) VALUES (?, ?, ?, ?)",
                (
                    (pack_id, c.account_id, c.events, None if c.complete is None else int(c.complete))
                    for c in pack.root_events
                ),
            )
            self._hook("root_event_counts")
        return RecordOutcome.ADDED if row is None else RecordOutcome.REPLACED

    @staticmethod
    def _hook(table: str) -> None:
        if _after_rows_hook is not None:
            _after_rows_hook(table)

    # -- reading ---------------------------------------------------------------------------

    def packs(self, scope_key: str | None = None) -> list[PackSummary]:
        """Every pack (of one scope), oldest period first; same period: earliest as_of first."""
        where, args = ("WHERE scope_key = ?", (scope_key,)) if scope_key is not None else ("", ())
        rows = self._conn.execute(f"SELECT {_PACK_COLUMNS} FROM packs {where} ORDER BY period_start, as_of, id", args)
        return [_summary(r) for r in rows]

    def scopes(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT scope_key FROM packs ORDER BY 1")]

    def summary(self, manifest_sha256: str) -> PackSummary | None:
        row = self._conn.execute(
            f"SELECT {_PACK_COLUMNS} FROM packs WHERE manifest_sha256 = ?", (manifest_sha256,)
        ).fetchone()
        return _summary(row) if row else None

    def load(self, manifest_sha256: str) -> PackRecord | None:
        """The full record of one pack, or None."""
        summary = self.summary(manifest_sha256)
        if summary is None:
            return None
        conn, pid = self._conn, summary.id
        accounts = tuple(
            r[0] for r in conn.execute("SELECT account_id FROM pack_accounts WHERE pack_id = ? ORDER BY 1", (pid,))
        )
        findings = tuple(
            FindingRecord(*r)
            for r in conn.execute(
                "SELECT check_id, account_id, resource, status, severity, reason, acceptance FROM findings"
                " WHERE pack_id = ? ORDER BY rowid",
                (pid,),
            )
        )
        requirements = tuple(
            RequirementRecord(r[0], r[1], r[2], r[3], orjson.loads(r[4]))
            for r in conn.execute(
                "SELECT framework_id, framework_version, requirement_id, status, status_by_account"
                " FROM requirement_results WHERE pack_id = ? ORDER BY rowid",
                (pid,),
            )
        )
        counts = tuple(
            RootEventCount(r[0], r[1], None if r[2] is None else bool(r[2]))
            for r in conn.execute(
                "SELECT account_id, events, complete FROM root_event_counts WHERE pack_id = ? ORDER BY 1", (pid,)
            )
        )
        return PackRecord(
            summary.scope_key,
            summary.period_start,
            summary.period_end,
            summary.as_of,
            summary.manifest_sha256,
            summary.previous_manifest_sha256,
            summary.tool_version,
            accounts,
            findings,
            requirements,
            counts,
            summary.snapshot_tool_version,
            summary.snapshot_path,
        )

    def _latest_per_month(self, scope_key: str, before: datetime) -> list[PackSummary]:
        """Newest month first, one pack per month (the latest as_of: a re-collection wins)."""
        by_month: dict[str, PackSummary] = {}
        for pack in self.packs(scope_key):
            if pack.period_start < before:
                by_month[pack.month] = pack  # ordered by as_of, so the last one stays
        return [by_month[m] for m in sorted(by_month, reverse=True)]

    def previous(self, scope_key: str, before: datetime) -> PackRecord | None:
        """The latest pack of `scope_key` whose period starts before `before` (the current
        pack's period_start), or None when this is the first pack of the scope."""
        earlier = self._latest_per_month(scope_key, before)
        return self.load(earlier[0].manifest_sha256) if earlier else None

    def previous_digest(self, scope_key: str, before: datetime) -> str | None:
        """The manifest digest a new snapshot of `scope_key` for the period starting `before`
        should record as `previous_manifest_sha256` (None: first pack of the scope)."""
        earlier = self._latest_per_month(scope_key, before)
        return earlier[0].manifest_sha256 if earlier else None

    def fail_keys(self, manifest_sha256: str) -> set[str]:
        return {
            r[0]
            for r in self._conn.execute(
                "SELECT f.finding_key FROM findings f JOIN packs p ON p.id = f.pack_id"
                " WHERE p.manifest_sha256 = ? AND f.status = 'FAIL'",
                (manifest_sha256,),
            )
        }

    def fail_streaks(self, scope_key: str, before: datetime, keys: Iterable[str]) -> dict[str, int]:
        """For each key: how many calendar months immediately before `before`'s month had it FAIL
        in a row. A month without a pack ends every streak (we cannot say it stayed open)."""
        pending = set(keys)
        streaks = dict.fromkeys(pending, 0)
        expected = month_offset(month_label(before), -1)
        for pack in self._latest_per_month(scope_key, before):
            if not pending or pack.month != expected:
                break
            still = pending & self.fail_keys(pack.manifest_sha256)
            for key in still:
                streaks[key] += 1
            pending = still
            expected = month_offset(expected, -1)
        return streaks

    def month_point(self, pack: PackSummary) -> MonthPoint:
        conn = self._conn
        counts = conn.execute("SELECT events, complete FROM root_event_counts WHERE pack_id = ?", (pack.id,)).fetchall()
        known = [e for e, _ in counts if e is not None]
        complete = bool(counts) and all(e is not None and c == 1 for e, c in counts)
        fails = conn.execute(
            "SELECT count(*) FROM findings WHERE pack_id = ? AND status = 'FAIL'", (pack.id,)
        ).fetchone()[0]
        per_framework = {
            r[0]: int(r[1])
            for r in conn.execute(
                "SELECT framework_id, sum(status = 'FAIL') FROM requirement_results WHERE pack_id = ?"
                " GROUP BY framework_id",
                (pack.id,),
            )
        }
        return MonthPoint(
            pack.month, pack.manifest_sha256, sum(known) if counts else None, complete, int(fails), per_framework
        )

    def series(self, scope_key: str, before: datetime, months: int = 12) -> list[MonthPoint]:
        """The `months` calendar months before `before`'s month, oldest first; a month without a
        pack is a MonthPoint with `manifest_sha256=None` (a gap in the chart, never a zero)."""
        current = month_label(before)
        wanted = [month_offset(current, -i) for i in range(months, 0, -1)]
        packs = {p.month: p for p in self._latest_per_month(scope_key, before) if p.month in wanted}
        return [self.month_point(packs[m]) if m in packs else MonthPoint(m) for m in wanted]


def chain_lookup(path: Path, period_start: datetime) -> Callable[[str | None, tuple[str, ...]], str | None]:
    """For the collector's chain link: the manifest digest of the previous pack of a scope,
    read from the history at `path` once the scope is known."""

    def previous(organization_id: str | None, account_ids: tuple[str, ...]) -> str | None:
        if not path.exists():
            return None  # no pack recorded yet: this one starts the chain
        with History(path, create=False) as history:
            return history.previous_digest(scope_key_for(organization_id, account_ids), period_start)

    return previous
