"""The benchmark code works: generator + pipeline at a tiny size, asserting on outputs, not times."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import orjson

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_run():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)  # puts bench/ on sys.path, so `synthetic` imports
    return module


run = _load_run()
synthetic = sys.modules["synthetic"]


def test_generator_is_deterministic_and_realistic(tmp_path):
    a = synthetic.build_snapshot(tmp_path / "a", users=50, events=200, seed=3)
    b = synthetic.build_snapshot(tmp_path / "b", users=50, events=200, seed=3)
    assert a.credential_report.read_bytes() == b.credential_report.read_bytes()
    assert a.root_events.read_bytes() == b.root_events.read_bytes()

    lines = a.root_events.read_bytes().splitlines()
    assert len(lines) == 200
    records = [orjson.loads(line) for line in lines]
    types = Counter(r["userIdentity"].get("type") for r in records)
    assert types["Root"] == a.root_events_count and 100 < a.root_events_count < 180  # ~70 % root
    assert len(types) > 2  # non-root identities too
    assert 700 < len(a.root_events.read_bytes()) / 200 < 1600  # real-sized records
    report = a.credential_report.read_text().splitlines()
    assert len(report) == 1 + 1 + 50 and report[1].startswith("<root_account>,")
    assert all(len(line.split(",")) == 22 for line in report)


def test_bench_pipeline_at_tiny_size(tmp_path):
    results = run.run_bench(tmp_path / "snapshot", users=50, events=200, repeats=1, memory="none")
    ops = {op["operation"]: op for op in results["operations"]}
    expected = results["expected"]

    assert ops["credential_report.parse"]["rows_out"] == 51
    assert ops["credential_report.pandas_read_csv"]["rows_out"] == 51
    root_rows = expected["root_records"]
    assert ops["root_events.parse"]["rows_out"] == root_rows
    assert ops["root_events.naive_json"]["rows_out"] == root_rows  # (and the frames are equal)
    assert ops["root_events.orjson_loads_only"]["rows_out"] == 200
    assert all(op["seconds"] > 0 for op in ops.values())

    # Each per-user check gives one finding per user in its scope.
    by_check = Counter()
    for key, count in results["outputs"]["findings_by_check_status"].items():
        by_check[key.split(":")[0]] += count
    statuses = results["outputs"]["findings_by_check_status"]
    assert by_check["iam_unused_credentials_disabled"] == 50
    assert by_check["iam_user_console_mfa"] == max(expected["password_users"], 1)
    assert statuses.get("iam_user_console_mfa:FAIL", 0) == expected["password_users_without_mfa"]
    assert by_check["iam_access_keys_rotated"] == max(expected["key_users"], 1)
    assert by_check["iam_single_active_access_key"] == max(expected["key_users"], 1)
    assert statuses.get("iam_single_active_access_key:FAIL", 0) == expected["two_key_users"]
    assert statuses["root_not_used:FAIL"] == 1
    assert results["outputs"]["findings"] == ops["build_pack"]["rows_out"] == sum(by_check.values())
    assert results["outputs"]["json_bytes"] == ops["render_json"]["rows_out"] > 0

    assert "build_pack" in run.table(results) and "parse_root_events" in run.summary(results)

    # The memory probe: one fresh child process running the whole pipeline (under tracemalloc).
    pipe = run.in_child("pipeline", tmp_path / "snapshot", trace=True)
    assert pipe["findings"] == results["outputs"]["findings"]
    assert pipe["json_bytes"] == results["outputs"]["json_bytes"]
    assert pipe["peak_rss_mb"] >= pipe["build_pack"]["peak_rss_mb"] >= pipe["rss_before_mb"] > 0
    assert pipe["tracemalloc_peak_mb"] > 0


def test_cli_quick_writes_results(tmp_path):
    out = tmp_path / "results.json"
    assert run.main(["--users", "20", "--events", "60", "--repeats", "1", "--memory", "none", "--out", str(out)]) == 0
    saved = orjson.loads(out.read_bytes())
    assert saved["config"]["users"] == 20 and saved["outputs"]["credential_report_rows"] == 21
