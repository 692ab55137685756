"""Benchmark of the CloudTrail log scanner (issue #7): one command, same files, both cores.

    .venv/bin/python bench/trail_logs_bench.py            # ~1 GB of synthetic logs (cached in bench/out/)
    .venv/bin/python bench/trail_logs_bench.py --quick    # ~60 MB smoke run

Measures, on the same files with `--workers` (default 2) processes/threads:
  (a) isal decompression alone (the ceiling; read + decompress with the same call and output
      buffer hint as the scanner, nothing else);
  (b) this scanner: scan_local_files (the --trail-dir path, sha256 of every file included) and
      scan_blob alone (the per-object work of the S3 path);
  (c) DuckDB: read_json_objects + a contains/regexp pre-filter (the best found), and typed read_json;
  (d) zcat | jq with the same filter (one pipeline per worker);
(a), (b) and (b2) run interleaved, `--repeats` times (default 3), and are reported as medians
(wall and CPU seconds; the VM is shared, so CPU seconds are the steadier figure). It checks that
(b), (c) and (d) return the same Root records as the generator wrote, and measures peak RSS of
the scanner at two file counts. `--stages` adds a one-process profile of the scanner's stages
(read, sha256, decompress, each pre-filter pass per search backend, parse) and the pool's
overhead. Results: bench/out/trail_logs_results[-quick].json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trail_logs_synth import generate

from reporter.collect.trail_logs import prefilter
from reporter.collect.trail_logs.scan import (
    DECOMPRESSOR,
    ObjectScan,
    decompress,
    output_size_hint,
    scan_blob,
    scan_local_files,
    scan_text,
)

OUT = Path(__file__).resolve().parent / "out"
ROOT_FILTER_SQL = "json_extract_string(r, '$.userIdentity.type') = 'Root'"


def _decompress_batch(paths: list[str]) -> int:
    from isal import isal_zlib

    total = 0
    for p in paths:
        blob = Path(p).read_bytes()
        total += len(isal_zlib.decompress(blob, 31, output_size_hint(blob)))
    return total


def _decompress_batch_unhinted(paths: list[str]) -> int:
    # The ceiling as first measured: without the size hint, isal grows its output buffer by
    # copies, which costs ~30 % more CPU on this data.
    from isal import isal_zlib

    return sum(len(isal_zlib.decompress(Path(p).read_bytes(), 31)) for p in paths)


def _scan_blob_batch(paths: list[str]) -> list[dict[str, Any]]:
    roots: list[dict[str, Any]] = []
    for p in paths:
        roots += scan_blob(p, Path(p).read_bytes()).roots
    return roots


def _batches(paths: list[str], n: int) -> list[list[str]]:
    size = max(1, min(16, len(paths) // (n * 8) or 1))
    return [paths[i : i + size] for i in range(0, len(paths), size)]


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


CPU: dict[str, float] = {}
RUNS: dict[str, dict[str, list[float]]] = {}


def _cpu() -> float:
    # This process (DuckDB threads) + reaped children (pool workers exit when their pool shuts
    # down, zcat/jq when they end): CPU seconds are a fairer figure than wall time on a shared VM.
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(label: str, fn: Any, repeats: int) -> tuple[float, Any]:
    """Median wall seconds of `repeats` runs; the median CPU seconds go to CPU[label's tag]."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        c0, t0 = _cpu(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    tag = label[:4].strip("() ")
    CPU[tag] = statistics.median(cpus)
    RUNS[tag] = {"wall": [round(w, 3) for w in walls], "cpu": [round(c, 3) for c in cpus]}
    spread = (
        f" (runs {min(walls):.2f}-{max(walls):.2f} s wall, {min(cpus):.2f}-{max(cpus):.2f} s CPU)"
        if repeats > 1
        else ""
    )
    print(f"  {label}: {statistics.median(walls):.2f} s wall, {CPU[tag]:.2f} s CPU{spread}", flush=True)
    return statistics.median(walls), result


def interleaved(steps: list[tuple[str, Any]], repeats: int) -> list[tuple[float, Any]]:
    """Run the steps round-robin `repeats` times, so that load from other jobs hits all alike."""
    walls: dict[str, list[float]] = {label: [] for label, _ in steps}
    cpus: dict[str, list[float]] = {label: [] for label, _ in steps}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for label, fn in steps:
            c0, t0 = _cpu(), time.perf_counter()
            results[label] = fn()
            walls[label].append(time.perf_counter() - t0)
            cpus[label].append(_cpu() - c0)
    out = []
    for label, _ in steps:
        tag = label[:4].strip("() ")
        w, c = walls[label], cpus[label]
        CPU[tag] = statistics.median(c)
        RUNS[tag] = {"wall": [round(x, 3) for x in w], "cpu": [round(x, 3) for x in c]}
        print(
            f"  {label}: median {statistics.median(w):.2f} s wall, {CPU[tag]:.2f} s CPU "
            f"(runs {min(w):.2f}-{max(w):.2f} s wall, {min(c):.2f}-{max(c):.2f} s CPU)",
            flush=True,
        )
        out.append((statistics.median(w), results[label]))
    return out


def profile_stages(paths: list[str]) -> dict[str, Any]:
    """One process, CPU seconds per stage over all files: where the scanner's time goes."""
    stages: dict[str, float] = {}

    def stage(name: str, fn: Any, *args: Any) -> Any:
        c0 = time.process_time()
        value = fn(*args)
        stages[name] = stages.get(name, 0.0) + time.process_time() - c0
        return value

    import hashlib

    parsed = 0
    for p in paths:
        blob = stage("read", Path(p).read_bytes)
        stage("sha256 (--trail-dir only)", lambda blob=blob: hashlib.sha256(blob).hexdigest())
        text = stage("decompress", decompress, blob, p)
        for name, find in prefilter.BACKENDS.items():
            stage(f'filter {name}: "Root" pass', prefilter._literal_type_root, text, find)
            if name == "stringzilla":
                stage(f"filter {name}: \\u00 pass", prefilter._has_root_escape_search, text, find)
        stage("filter numpy: \\u00 pass (fallback)", prefilter._has_root_escape_numpy, text)
        maybe = stage("filter, as the scanner runs it", prefilter.may_hold_root, text)
        if maybe:
            parsed += 1
            stage("parse the candidate files", scan_text, text, ObjectScan(key=p, size=len(blob)))
    print(f"  stages, one process, {len(paths)} files ({parsed} parsed), CPU seconds:", flush=True)
    for name, secs in stages.items():
        print(f"    {name:42s} {secs:6.3f}", flush=True)
    return {
        "files": len(paths),
        "parsed": parsed,
        "backend": prefilter.BACKEND,
        "cpu_seconds": {k: round(v, 3) for k, v in stages.items()},
    }


def canon(records: list[dict[str, Any]]) -> list[bytes]:
    return sorted(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in records)


def run_decompress(paths: list[str], workers: int) -> int:
    with _pool(workers) as pool:
        return sum(pool.map(_decompress_batch, _batches(paths, workers)))


def run_decompress_unhinted(paths: list[str], workers: int) -> int:
    with _pool(workers) as pool:
        return sum(pool.map(_decompress_batch_unhinted, _batches(paths, workers)))


def run_scanner(files: list[Path], workers: int) -> list[dict[str, Any]]:
    roots: list[dict[str, Any]] = []
    for result in scan_local_files([(p, p.name) for p in files], workers=workers):
        if result.error:
            raise RuntimeError(f"{result.key}: {result.error}")
        roots += result.roots
    return roots


def run_scan_blob(paths: list[str], workers: int) -> list[dict[str, Any]]:
    with _pool(workers) as pool:
        return [r for batch in pool.map(_scan_blob_batch, _batches(paths, workers)) for r in batch]


def _duckdb_list(paths: list[str]) -> str:
    return "[" + ",".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def run_duckdb_objects(paths: list[str], workers: int) -> list[dict[str, Any]]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={workers}")
    con.execute("SET memory_limit='8GB'")
    con.execute("SET preserve_insertion_order=false")
    # The same sound pre-filter as the scanner's, on the whole document text, then the parsed test.
    sql = f"""
        WITH docs AS (
          SELECT json FROM read_json_objects({_duckdb_list(paths)}, format='unstructured',
                                             compression='gzip', maximum_object_size=16777216)
          WHERE contains(json::VARCHAR, '"Root"') OR regexp_matches(json::VARCHAR, '\\\\u00(52|6[fF]|74)')
        ), recs AS (SELECT unnest(json_extract(json, '$.Records[*]')) AS r FROM docs)
        SELECT r::VARCHAR FROM recs WHERE {ROOT_FILTER_SQL}"""
    return [orjson.loads(row[0]) for row in con.execute(sql).fetchall()]


def run_duckdb_typed(paths: list[str], workers: int) -> list[str]:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={workers}")
    con.execute("SET memory_limit='8GB'")
    con.execute("SET preserve_insertion_order=false")
    sql = f"""
        SELECT r.eventID FROM (
          SELECT unnest(Records) AS r FROM read_json({_duckdb_list(paths)}, compression='gzip',
                                                     maximum_object_size=16777216, union_by_name=true))
        WHERE r.userIdentity.type = 'Root'"""
    return [row[0] for row in con.execute(sql).fetchall()]


def run_jq(paths: list[str], workers: int) -> list[dict[str, Any]]:
    halves = [paths[i::workers] for i in range(workers)]
    filt = '.Records[] | select(.userIdentity.type == "Root")'
    procs = [
        subprocess.Popen(
            f"zcat {' '.join(shlex.quote(p) for p in h)} | jq -c {shlex.quote(filt)}",
            shell=True,
            stdout=subprocess.PIPE,
        )
        for h in halves
        if h
    ]
    out: list[dict[str, Any]] = []
    for proc in procs:
        data, _ = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"zcat | jq exited {proc.returncode}")
        out += [orjson.loads(line) for line in data.splitlines() if line.strip()]
    return out


def probe_rss(folder: str, count: int, workers: int) -> None:
    """Child mode: scan the first `count` files, print peak RSS of this process and its workers."""
    files = sorted(Path(folder).rglob("*.json.gz"))
    files = [f for f in files if "CloudTrail-Digest" not in str(f)][:count]
    run_scanner(files, workers)
    # VmHWM, not ru_maxrss: ru_maxrss survives execve and would report the benchmark's own peak.
    status = Path("/proc/self/status").read_text()
    me = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(orjson.dumps({"files": len(files), "parent_kib": me, "largest_worker_kib": kids}).decode())


def measure_rss(folder: Path, counts: list[int], workers: int) -> list[dict[str, Any]]:
    results = []
    for count in counts:
        out = subprocess.run(
            [sys.executable, __file__, "--probe-rss", str(folder), str(count), str(workers)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(orjson.loads(out.strip().splitlines()[-1]))
        print(f"  peak RSS with {count} files: {results[-1]}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="~60 MB instead of ~1 GB")
    parser.add_argument("--size", type=int, default=None, help="uncompressed bytes to generate")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stages", action="store_true", help="also profile the scanner's stages in one process")
    parser.add_argument("--only-ab", action="store_true", help="measure (a) and (b) only: no DuckDB, jq or RSS")
    parser.add_argument("--skip-typed", action="store_true", help="skip DuckDB typed read_json (slow)")
    parser.add_argument("--probe-rss", nargs=3, metavar=("DIR", "COUNT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_rss:
        probe_rss(args.probe_rss[0], int(args.probe_rss[1]), int(args.probe_rss[2]))
        return
    size = args.size or (60_000_000 if args.quick else 1_000_000_000)
    folder = OUT / f"trail_logs_{size}"
    print(f"generating ~{size / 1e6:.0f} MB of synthetic CloudTrail logs in {folder} (cached)", flush=True)
    t0 = time.perf_counter()
    # In a quick run, put a Root record every 20,000 records so that there are a few to compare.
    gen = generate(folder, target_bytes=size, root_every=20_000 if args.quick else 200_000)
    print(
        f"  {len(gen.files)} files, {gen.records:,} records, {gen.uncompressed_bytes / 1e6:.0f} MB "
        f"({gen.compressed_bytes / 1e6:.0f} MB gzipped), {len(gen.root_event_ids)} Root records "
        f"[{time.perf_counter() - t0:.1f} s]",
        flush=True,
    )
    paths = [str(p) for p in gen.files]
    w, reps = args.workers, args.repeats
    mb = gen.uncompressed_bytes / 1e6
    res: dict[str, Any] = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "workers": w,
        "decompressor": DECOMPRESSOR,
        "files": len(paths),
        "records": gen.records,
        "uncompressed_mb": round(mb, 1),
        "compressed_mb": round(gen.compressed_bytes / 1e6, 1),
        "root_records": len(gen.root_event_ids),
        "prefilter_backend": prefilter.BACKEND,
    }
    run_decompress(paths[:4], w)  # warm the page cache and the pools
    print("measuring", flush=True)
    (t_a0, _), (t_a, total), (t_b, roots_b), (t_b2, roots_b2) = interleaved(
        [
            ("(a0) isal decompression alone, no size hint", lambda: run_decompress_unhinted(paths, w)),
            ("(a) isal decompression alone", lambda: run_decompress(paths, w)),
            ("(b) scanner, scan_local_files (with sha256)", lambda: run_scanner(gen.files, w)),
            ("(b2) scanner, scan_blob per object", lambda: run_scan_blob(paths, w)),
        ],
        reps,
    )
    assert total == gen.uncompressed_bytes
    res["runs"] = RUNS
    res["b_over_a_by_cpu"] = round(CPU["a"] / CPU["b"], 3)
    res["b2_over_a_by_cpu"] = round(CPU["a"] / CPU["b2"], 3)
    res["b_over_a0_by_cpu"] = round(CPU["a0"] / CPU["b"], 3)
    print(
        f"  (b)/(a) by CPU: {res['b_over_a_by_cpu']}, (b2)/(a) by CPU: {res['b2_over_a_by_cpu']}, "
        f"by wall: {t_a / t_b:.3f}, {t_a / t_b2:.3f}",
        flush=True,
    )
    if args.stages:
        res["stages"] = profile_stages(paths)
        one = sum(
            v
            for k, v in res["stages"]["cpu_seconds"].items()
            if k
            in (
                "read",
                "sha256 (--trail-dir only)",
                "decompress",
                "filter, as the scanner runs it",
                "parse the candidate files",
            )
        )
        cpu1 = res["stages"]["cpu_seconds"]
        # Two processes cost more CPU than one for the same work (shared caches, and on a VM
        # maybe SMT siblings): (a) shows that part; what (b) adds beyond it is its own pool cost.
        over_a = CPU["a"] - cpu1["read"] - cpu1["decompress"]
        res["stages"]["two_process_overhead_cpu_seconds"] = {"a": round(over_a, 3), "b": round(CPU["b"] - one, 3)}
        print(f"    two processes and pool vs one process: (a) {over_a:6.3f}, (b) {CPU['b'] - one:6.3f}", flush=True)
    if args.only_ab:
        print(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode())
        return
    t_a1, _ = timed("(a1) isal decompression alone, 1 process", lambda: run_decompress(paths, 1), 1)
    t_c, roots_c = timed("(c) DuckDB read_json_objects + contains pre-filter", lambda: run_duckdb_objects(paths, w), 1)
    t_c2, ids_c2 = (None, None)
    if not args.skip_typed:
        try:
            t_c2, ids_c2 = timed("(c2) DuckDB typed read_json", lambda: run_duckdb_typed(paths, w), 1)
        except Exception as exc:  # report, do not hide: the figure is then missing
            print(f"  (c2) DuckDB typed read_json failed: {exc}")
            res["duckdb_typed_error"] = str(exc)[:500]
    t_d, roots_d = timed("(d) zcat | jq", lambda: run_jq(paths, w), 1)

    truth = sorted(gen.root_event_ids)
    same = {
        "b_matches_generator": sorted(r["eventID"] for r in roots_b) == truth,
        "b_equals_b2": canon(roots_b) == canon(roots_b2),
        "b_equals_c": canon(roots_b) == canon(roots_c),
        "b_equals_d": canon(roots_b) == canon(roots_d),
        "c2_ids_match": None if ids_c2 is None else sorted(ids_c2) == truth,
    }
    for key, value in [
        ("a_unhinted", t_a0),
        ("a", t_a),
        ("a_one_process", t_a1),
        ("b", t_b),
        ("b_scan_blob", t_b2),
        ("c", t_c),
        ("c_typed", t_c2),
        ("d", t_d),
    ]:
        if value is not None:
            res[f"{key}_seconds"] = round(value, 3)
            res[f"{key}_mb_per_s"] = round(mb / value, 1)
    res["cpu_seconds"] = {k: round(v, 3) for k, v in CPU.items()}
    res["b_over_a"] = round(t_a / t_b, 3)
    res["b_scan_blob_over_a"] = round(t_a / t_b2, 3)
    res["b_speedup_over_c"] = round(t_c / t_b, 2)
    res["same_root_records"] = same
    counts = [max(1, len(paths) // 4), len(paths)]
    res["peak_rss"] = measure_rss(folder, counts, w)
    print(orjson.dumps(res, option=orjson.OPT_INDENT_2).decode())
    target = OUT / ("trail_logs_results-quick.json" if args.quick else "trail_logs_results.json")
    target.write_bytes(orjson.dumps(res, option=orjson.OPT_INDENT_2))
    print(f"written {target}")
    if not all(v for v in same.values() if v is not None):
        sys.exit("the scanners disagree on the Root records")


if __name__ == "__main__":
    main()
