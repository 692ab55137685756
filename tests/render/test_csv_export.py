"""CSV evidence tables: one file per table, UTF-8, formula-safe, same bytes every time."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import orjson
from factory import AccountSpec, cr_row, jsonl, report, root_record, write_snapshot

from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.render.csv_export import write_csv
from reporter.render.json_report import render_json
from reporter.snapshot.reader import Snapshot

TABLES = ["findings", "frameworks", "accounts", "root_events", "credential_report", "manifest", "evidence_cited"]
HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1+1", "-2+3", "\t=1+1", "\r=1+1"]


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))


def test_demo_csv_files_rows_and_types(tmp_path: Path) -> None:
    model = build_pack(Snapshot.open(demo_snapshot_dir()))
    paths = write_csv(model, tmp_path)
    assert [p.name for p in paths] == [f"evidence-2026-10-{t}.csv" for t in TABLES]
    by = {t: read(p) for t, p in zip(TABLES, paths, strict=True)}
    doc = orjson.loads(render_json(model))
    assert [r["finding_id"] for r in by["findings"]] == [f["id"] for f in doc["findings"] + doc["framework_findings"]]
    events = by["root_events"]
    assert [r["evidence_id"] for r in events] == list(model.root_events()["evidence_id"])
    assert events[0]["event_time (UTC)"].endswith("Z") and events[0]["success"] in ("TRUE", "FALSE")
    creds = by["credential_report"]
    assert creds[0]["evidence_id"] == f"E-cred-{creds[0]['account_id']}-root"
    assert creds[0]["password_next_rotation (UTC)"] == "not_supported"
    assert len(by["manifest"]) == len(model.snapshot.manifest.artifacts)
    assert [r["account_id"] for r in by["accounts"]] == [a.id for a in model.accounts]
    assert len(by["frameworks"]) == sum(len(r.requirements) for r in model.frameworks)
    raw = paths[0].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw


def test_csv_is_byte_stable(tmp_path: Path) -> None:
    model = build_pack(Snapshot.open(demo_snapshot_dir()))
    first = [p.read_bytes() for p in write_csv(model, tmp_path / "a")]
    time.sleep(1.1)
    second = [p.read_bytes() for p in write_csv(model, tmp_path / "b")]
    assert first == second


def test_csv_hostile_strings_are_inert(tmp_path: Path) -> None:
    events = [
        root_record(f"2026-10-{d:02d}T10:00:00Z", agent=agent, event_id=f"evt-{d}")
        for d, agent in enumerate([*HOSTILE, "bell\x07agent"], 1)
    ]
    creds = report(cr_row(), cr_row("=cmd|' /C calc'!A0"), cr_row("@SUM(A1)"))
    snap = write_snapshot(tmp_path / "snap", AccountSpec(root_events=jsonl(*events), credential_report=creds))
    paths = write_csv(build_pack(snap), tmp_path / "out")
    by = dict(zip(TABLES, paths, strict=True))
    agents = [r["user_agent"] for r in read(by["root_events"])]
    assert agents == ["'" + a for a in HOSTILE] + ["bell\\x07agent"]
    for path in paths:
        for row in csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")):
            for value in row:
                assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), (path.name, value)
    users = [r["user"] for r in read(by["credential_report"])]
    assert "'=cmd|' /C calc'!A0" in users and "'@SUM(A1)" in users
