"""Benchmark: parse a 5,000-user credential report and a 100,000-record root-event file, run
every check, render the JSON, and report wall time (best of N) and peak memory.

    make bench                       # .venv/bin/python bench/run.py
    python bench/run.py --quick      # 20x smaller, a smoke run of a few seconds
    python bench/run.py --profile    # also cProfile each stage, top functions by own time

Each operation is timed in this process (best of --repeats, after gc.collect()); its peak
memory is measured in a fresh child process (`--child OP SNAPSHOT`) that imports everything,
reads its input, resets the peak-RSS mark, runs the operation once and reads the peak again.
Peak RSS is Linux's VmHWM from /proc/self/status: ru_maxrss is not usable in a child started
by fork+exec because it inherits the parent's peak (recorded in results.json as ru_maxrss_mb).
A further child runs the whole pipeline under tracemalloc for the Python-heap peak.
Results go to stdout as a table and to bench/out/results.json (results-quick.json for --quick).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
try:
    import reporter  # noqa: F401
except ModuleNotFoundError:  # run from a checkout whose package is not installed in this Python
    sys.path.insert(1, str(BENCH.parent))

import orjson  # noqa: E402
import pandas as pd  # noqa: E402
import synthetic  # noqa: E402

from reporter.assess.evaluate import evaluate  # noqa: E402
from reporter.assess.framework_files import load_frameworks  # noqa: E402
from reporter.checks.limits import Thresholds  # noqa: E402
from reporter.checks.runner import run_checks  # noqa: E402
from reporter.evidence.cloudtrail import (  # noqa: E402
    is_root_record,
    parse_root_events,
    root_event_row,
    root_events_frame,
)
from reporter.evidence.credential_report import parse_credential_report  # noqa: E402
from reporter.evidence.tables import load_evidence  # noqa: E402
from reporter.pack.model import build_pack  # noqa: E402
from reporter.render.json_report import render_json  # noqa: E402
from reporter.snapshot.reader import Snapshot  # noqa: E402

FULL = {"users": 5000, "events": 100_000}
QUICK_FACTOR = 20
CR_PATH = f"accounts/{synthetic.ACCOUNT}/iam/credential_report.csv"
CT_PATH = f"accounts/{synthetic.ACCOUNT}/cloudtrail/root_events.jsonl"


# --- the operations ------------------------------------------------------------------------------


def naive_root_events(data: bytes, source: str) -> pd.DataFrame:
    """Baseline: stdlib json.loads per line, the same filter and rows, the same frame."""
    rows = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        if is_root_record(record):
            rows.append(root_event_row(record, source, f"line {number}"))
    return root_events_frame(rows)


def orjson_only(data: bytes) -> int:
    """Lower bound for any orjson-based reader: decode every line, keep nothing."""
    count = 0
    for line in data.splitlines():
        if line.strip():
            orjson.loads(line)
            count += 1
    return count


def pandas_read_csv(data: bytes) -> pd.DataFrame:
    """Lower bound for 'just reading the CSV': pandas' C parser, every column as text."""
    return pd.read_csv(io.BytesIO(data), dtype=str)


def framework_stage(model: Any) -> Callable[[], list[Any]]:
    """The framework mapping build_pack runs after the checks."""
    as_of = model.snapshot.manifest.as_of
    return lambda: [evaluate(fw, model.findings, (), as_of=as_of) for fw in load_frameworks().values()]


# --- measuring -----------------------------------------------------------------------------------


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, float, list[float], Any]:
    """Best wall time, best CPU time (of this process; steadier on a shared machine), all walls."""
    times, cpu, result = [], [], None
    for _ in range(repeats):
        result = None
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(times), min(cpu), times, result


def _status_mb(field: str) -> float | None:
    """A `Vm…` line of /proc/self/status (Linux), in MiB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def ru_maxrss_mb() -> float:
    """ru_maxrss of RUSAGE_SELF in MiB (KiB on Linux). Caveat: on Linux a child started by
    fork+exec inherits its parent's peak here, so it is only recorded, not reported."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    """Peak RSS of this process image: VmHWM (reset by exec), else ru_maxrss."""
    found = _status_mb("VmHWM")
    return ru_maxrss_mb() if found is None else found


def current_rss_mb() -> float:
    found = _status_mb("VmRSS")
    return peak_rss_mb() if found is None else found


def reset_peak_rss() -> bool:
    """Set VmHWM to the current RSS (Linux >= 4.0), so the next peak is one stage's own."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def child(op: str, root: Path, trace: bool) -> dict[str, Any]:
    """Run one operation once in this (fresh) process and report its memory."""
    # Read only this operation's input (the pipeline reads its own) before the "before" mark.
    cr = (root / CR_PATH).read_bytes() if op.startswith("credential_report") else b""
    ct = (root / CT_PATH).read_bytes() if op.startswith("root_events") else b""
    runs: dict[str, Callable[[], Any]] = {
        "credential_report.parse": lambda: parse_credential_report(cr, CR_PATH),
        "credential_report.pandas_read_csv": lambda: pandas_read_csv(cr),
        "root_events.parse": lambda: parse_root_events(ct, CT_PATH),
        "root_events.naive_json": lambda: naive_root_events(ct, CT_PATH),
    }
    gc.collect()
    out: dict[str, Any] = {"op": op, "peak_reset": reset_peak_rss(), "rss_before_mb": current_rss_mb()}
    if trace:
        tracemalloc.start()
    start, start_cpu = time.perf_counter(), time.process_time()
    if op == "pipeline":
        model = build_pack(Snapshot.open(root))
        out["build_pack"] = {"rss_before_mb": out["rss_before_mb"], "peak_rss_mb": peak_rss_mb()}
        if trace:
            current, peak = tracemalloc.get_traced_memory()
            out["build_pack"] |= {"tracemalloc_peak_mb": peak / 2**20, "tracemalloc_kept_mb": current / 2**20}
            tracemalloc.reset_peak()
        reset_peak_rss()
        out["render_json"] = {"rss_before_mb": current_rss_mb()}
        document = render_json(model)
        out["render_json"]["peak_rss_mb"] = peak_rss_mb()
        if trace:
            out["render_json"]["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            out["tracemalloc_peak_mb"] = max(
                out["build_pack"]["tracemalloc_peak_mb"], out["render_json"]["tracemalloc_peak_mb"]
            )
        out["findings"] = len(model.findings)
        out["json_bytes"] = len(document)
        # Both stages together: the higher of the two stage peaks (each measured from a reset).
        out["peak_rss_mb"] = max(out["build_pack"]["peak_rss_mb"], out["render_json"]["peak_rss_mb"])
    else:
        runs[op]()
        out["peak_rss_mb"] = peak_rss_mb()
    out["seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = time.process_time() - start_cpu
    if trace:
        tracemalloc.stop()
    out["ru_maxrss_mb"] = ru_maxrss_mb()
    return out


def in_child(op: str, root: Path, trace: bool = False) -> dict[str, Any]:
    args = [sys.executable, str(Path(__file__).resolve()), "--child", op, str(root)]
    if trace:
        args.append("--tracemalloc")
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {op} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile(root: Path, out_dir: Path, top: int = 15) -> str:
    """cProfile each stage; return (and write) the top functions by own time."""
    cr, ct = (root / CR_PATH).read_bytes(), (root / CT_PATH).read_bytes()
    snapshot = Snapshot.open(root)
    evidence = load_evidence(snapshot)
    as_of = pd.Timestamp(snapshot.manifest.as_of)
    model = build_pack(snapshot)
    stages: list[tuple[str, Callable[[], Any]]] = [
        ("parse_credential_report", lambda: parse_credential_report(cr, CR_PATH)),
        ("parse_root_events", lambda: parse_root_events(ct, CT_PATH)),
        ("build_pack", lambda: build_pack(Snapshot.open(root))),
        ("run_checks", lambda: run_checks(evidence, as_of, Thresholds())),
        ("render_json", lambda: render_json(model)),
    ]
    stages.insert(3, ("evaluate_frameworks", framework_stage(model)))
    text = io.StringIO()
    for name, fn in stages:
        profiler = cProfile.Profile()
        profiler.enable()
        fn()
        profiler.disable()
        stats = pstats.Stats(profiler, stream=text)
        text.write(f"\n===== {name}: top {top} by own time (tottime) =====\n")
        stats.sort_stats("tottime").print_stats(top)
        text.write(f"\n----- {name}: top {top} by cumulative time -----\n")
        stats.sort_stats("cumulative").print_stats(top)
    report = text.getvalue()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "profile.txt").write_text(report)
    return report


def run_bench(
    snapshot_dir: Path, *, users: int, events: int, repeats: int = 3, seed: int = 7, memory: str = "all"
) -> dict[str, Any]:
    """Generate the snapshot into `snapshot_dir`, time every operation, measure memory.

    memory: "all" (a child per operation), "pipeline" (only the whole-pipeline children), "none".
    """
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    start = time.perf_counter()
    info = synthetic.build_snapshot(snapshot_dir, users=users, events=events, seed=seed)
    generate_s = time.perf_counter() - start
    root = info.root
    cr, ct = (root / CR_PATH).read_bytes(), (root / CT_PATH).read_bytes()
    ops: list[dict[str, Any]] = []

    def measure(
        name: str, fn: Callable[[], Any], rows: int, nbytes: int | None, rows_out: Callable[[Any], int], note: str = ""
    ) -> Any:
        best, cpu, times, result = best_of(fn, repeats)
        ops.append(
            {
                "operation": name,
                "rows": rows,
                "rows_out": rows_out(result),
                "bytes": nbytes,
                "seconds": best,
                "cpu_seconds": cpu,
                "all_seconds": times,
                "rows_per_s": rows / best if best else None,
                "mb_per_s": nbytes / 1e6 / best if nbytes and best else None,
                "note": note,
            }
        )
        return result

    frame_cr, problems_cr = measure(
        "credential_report.parse",
        lambda: parse_credential_report(cr, CR_PATH),
        users + 1,
        len(cr),
        lambda r: len(r[0]),
        "product (csv + typed rows)",
    )
    measure(
        "credential_report.pandas_read_csv",
        lambda: pandas_read_csv(cr),
        users + 1,
        len(cr),
        len,
        "baseline: pd.read_csv(dtype=str)",
    )
    frame_ct, problems_ct = measure(
        "root_events.parse",
        lambda: parse_root_events(ct, CT_PATH),
        events,
        len(ct),
        lambda r: len(r[0]),
        "product (orjson)",
    )
    naive = measure(
        "root_events.naive_json",
        lambda: naive_root_events(ct, CT_PATH),
        events,
        len(ct),
        len,
        "baseline: stdlib json.loads + same rows",
    )
    measure(
        "root_events.orjson_loads_only",
        lambda: orjson_only(ct),
        events,
        len(ct),
        lambda r: r,
        "lower bound: decode only",
    )
    if problems_cr or problems_ct:
        raise RuntimeError(f"the synthetic input has parse problems: {(problems_cr + problems_ct)[:3]}")
    pd.testing.assert_frame_equal(naive, frame_ct)  # the baseline builds the very same table

    snapshot = Snapshot.open(root)
    model = measure(
        "build_pack",
        lambda: build_pack(Snapshot.open(root)),
        events + users + 1,
        None,
        lambda m: len(m.findings),
        "open + load evidence + all checks",
    )
    evidence = measure(
        "  load_evidence",
        lambda: load_evidence(snapshot),
        events + users + 1,
        None,
        lambda e: sum(len(t.data) for t in e[0].tables.values() if isinstance(getattr(t, "data", None), pd.DataFrame)),
        "(part of build_pack)",
    )
    as_of = pd.Timestamp(snapshot.manifest.as_of)
    measure(
        "  run_checks",
        lambda: run_checks(evidence, as_of, Thresholds()),
        events + users + 1,
        None,
        len,
        "(part of build_pack)",
    )
    measure(
        "  evaluate_frameworks",
        framework_stage(model),
        len(model.findings),
        None,
        len,
        "(part of build_pack) load + evaluate all frameworks",
    )
    document = measure(
        "render_json", lambda: render_json(model), len(model.findings), None, len, "rows = findings, out = bytes"
    )
    ops[-1]["mb_per_s"] = len(document) / 1e6 / ops[-1]["seconds"]  # output MB/s

    memory_results: dict[str, Any] = {}
    if memory == "all":
        for op in (
            "credential_report.parse",
            "credential_report.pandas_read_csv",
            "root_events.parse",
            "root_events.naive_json",
        ):
            memory_results[op] = in_child(op, root)
    if memory in ("all", "pipeline"):
        memory_results["pipeline"] = in_child("pipeline", root)
        memory_results["pipeline_tracemalloc"] = in_child("pipeline", root, trace=True)
        pipe = memory_results["pipeline"]
        memory_results["build_pack"] = pipe["build_pack"]
        memory_results["render_json"] = pipe["render_json"]
    for op in ops:
        found = memory_results.get(op["operation"])
        if found:
            op["peak_rss_mb"] = found["peak_rss_mb"]
            op["rss_delta_mb"] = found["peak_rss_mb"] - found["rss_before_mb"]

    by_check = Counter(f"{f.check_id}:{f.status.value}" for f in model.findings)
    return {
        "config": {
            "users": users,
            "events": events,
            "repeats": repeats,
            "seed": seed,
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "orjson": orjson.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            # Other processes' load: wall times inflate when it exceeds the CPU count.
            "loadavg_1m_before": load_before[0] if load_before else None,
            "loadavg_1m_after": os.getloadavg()[0] if load_before else None,
        },
        "inputs": {
            "credential_report_bytes": len(cr),
            "root_events_bytes": len(ct),
            "mean_record_bytes": len(ct) / events if events else 0,
            "root_records": info.root_events_count,
            "cis_counted_root_records": info.cis_counted_root_events,
            "user_kinds": info.kinds,
            "generate_seconds": generate_s,
        },
        "operations": ops,
        "memory": memory_results,
        "outputs": {
            "credential_report_rows": len(frame_cr),
            "root_event_rows": len(frame_ct),
            "findings": len(model.findings),
            "findings_by_check_status": dict(sorted(by_check.items())),
            "json_bytes": len(document),
        },
        "expected": {
            "users": users,
            "password_users": info.password_users,
            "password_users_without_mfa": info.password_users_without_mfa,
            "key_users": info.key_users,
            "two_key_users": info.two_key_users,
            "root_records": info.root_events_count,
        },
    }


# --- output --------------------------------------------------------------------------------------


def _si(value: float | None) -> str:
    if value is None:
        return "-"
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f}{unit}"
    return f"{value:.0f}"


def _load(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def table(results: dict[str, Any]) -> str:
    head = ("operation", "rows", "out", "best s", "cpu s", "rows/s", "MB/s", "peak RSS MB", "+RSS MB", "note")
    lines = []
    for op in results["operations"]:
        peak = op.get("peak_rss_mb")
        lines.append(
            (
                op["operation"],
                _si(op["rows"]),
                _si(op["rows_out"]),
                f"{op['seconds']:.3f}",
                f"{op['cpu_seconds']:.3f}",
                _si(op["rows_per_s"]),
                f"{op['mb_per_s']:.1f}" if op["mb_per_s"] else "-",
                f"{peak:.0f}" if peak else "-",
                f"{op['rss_delta_mb']:.0f}" if peak else "-",
                op["note"],
            )
        )
    widths = [max(len(str(row[i])) for row in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:{'<' if i in (0, len(head) - 1) else '>'}{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*row) for row in lines]
    return "\n".join(line.rstrip() for line in out)


def summary(results: dict[str, Any]) -> str:
    ops = {op["operation"]: op for op in results["operations"]}
    cfg, inputs, outputs, mem = results["config"], results["inputs"], results["outputs"], results["memory"]
    lines = [
        f"inputs: {cfg['users']:,} users ({inputs['credential_report_bytes'] / 1e6:.2f} MB CSV), "
        f"{cfg['events']:,} CloudTrail records ({inputs['root_events_bytes'] / 1e6:.1f} MB, "
        f"{inputs['mean_record_bytes']:.0f} B/record, {inputs['root_records']:,} Root); "
        f"best of {cfg['repeats']}; Python {cfg['python']}, pandas {cfg['pandas']}, orjson {cfg['orjson']}, "
        f"{cfg['cpus']} CPUs, load average {_load(cfg['loadavg_1m_before'])} -> {_load(cfg['loadavg_1m_after'])}",
        f"outputs: {outputs['credential_report_rows']:,} report rows, {outputs['root_event_rows']:,} root-event rows, "
        f"{outputs['findings']:,} findings, findings.json {outputs['json_bytes'] / 1e6:.1f} MB",
        f"parse_root_events speed-up over the stdlib-json baseline: {ops['root_events.naive_json']['seconds'] / ops['root_events.parse']['seconds']:.2f}x; "
        f"decode-only share: {ops['root_events.orjson_loads_only']['seconds'] / ops['root_events.parse']['seconds']:.0%}",
        f"parse_credential_report vs pd.read_csv(dtype=str): {ops['credential_report.parse']['seconds'] / ops['credential_report.pandas_read_csv']['seconds']:.1f}x slower",
    ]
    if "pipeline" in mem:
        pipe, traced = mem["pipeline"], mem["pipeline_tracemalloc"]
        lines.append(
            f"whole pipeline in a fresh process (open + build_pack + render_json): {pipe['seconds']:.2f} s "
            f"({pipe['cpu_seconds']:.2f} s CPU), "
            f"peak RSS {pipe['peak_rss_mb']:.0f} MB (after imports {pipe['rss_before_mb']:.0f} MB); "
            f"tracemalloc peak {traced['tracemalloc_peak_mb']:.0f} MB (build_pack "
            f"{traced['build_pack']['tracemalloc_peak_mb']:.0f} MB, of which the model keeps "
            f"{traced['build_pack']['tracemalloc_kept_mb']:.0f} MB; render_json "
            f"{traced['render_json']['tracemalloc_peak_mb']:.0f} MB including that model)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_FACTOR}x smaller inputs (smoke run)")
    parser.add_argument("--users", type=int, help=f"IAM users (default {FULL['users']})")
    parser.add_argument("--events", type=int, help=f"CloudTrail records (default {FULL['events']})")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per operation; the best counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory", choices=("all", "pipeline", "none"), default="all")
    parser.add_argument("--profile", action="store_true", help="also cProfile each stage (bench/out/profile.txt)")
    parser.add_argument("--keep", type=Path, help="write the snapshot here and keep it (must not exist)")
    parser.add_argument("--out", type=Path, help="results JSON (default bench/out/results.json)")
    parser.add_argument("--child", nargs=2, metavar=("OP", "SNAPSHOT"), help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]), args.tracemalloc)))
        return 0

    scale = QUICK_FACTOR if args.quick else 1
    users = args.users or FULL["users"] // scale
    events = args.events or FULL["events"] // scale
    out = args.out or BENCH / "out" / ("results-quick.json" if args.quick else "results.json")
    with tempfile.TemporaryDirectory(prefix="reporter-bench-") as tmp:
        snapshot_dir = args.keep or Path(tmp) / "snapshot"
        results = run_bench(
            snapshot_dir, users=users, events=events, repeats=args.repeats, seed=args.seed, memory=args.memory
        )
        print(table(results))
        print()
        print(summary(results))
        if args.profile:
            print(profile(snapshot_dir, out.parent))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
