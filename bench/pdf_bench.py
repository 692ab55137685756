"""PDF benchmark: synthetic organizations through `write_pdf`, side by side with a naive baseline.

    .venv/bin/python bench/pdf_bench.py [--quick] [--accounts N ...] [--cap N] [--frameworks IDS|default|all]
                                        [--naive all|first|none] [--outputs] [--cli] [--profile]
                                        [--json out.json]

Builds (once, in a temp folder) organization snapshots with SnapshotWriter (bench/org_snapshot.py):
100 and 1,000 accounts by default (`--quick`: 5, 10, 20) in OUs, 50 IAM users each, 20 root events
per account in the period (the 1,000-account org: 51,000 credential-report rows, 20,000 root
events, 16 OUs). Each measurement runs in a fresh subprocess and reports wall time, CPU time
(user + sys) and peak RSS (the child's VmHWM) of the child, interpreter start and imports included,
and the pack's stages in CPU seconds: build_pack, build_view, and the rest of write_pdf (HTML +
WeasyPrint). "pack s" and "cpu s" run from the interpreter's start to the written PDF; the bench's
own work after it (the view again, for its row counts, and pypdf counting the pages) is in the
child's total ("child s") only. ms per account and the marginal ms of one more account are of CPU time too. The
pack is rendered at the default table cap (500). "rows" counts every table row the pack lays out.
The baseline renders one naive HTML table (auto layout, `overflow-wrap: anywhere`, default GC) of
the same number of evidence rows through WeasyPrint. `--outputs` also times the workbook and
findings.json of each size (one child: build_pack, write_xlsx, write_json); `--cli` runs the
whole `reporter report` (json, xlsx, pdf) of the largest size; `--profile` runs the pack under
cProfile (bench/out/pdf-profile-N.txt; its times are then not comparable). `uptime` is recorded before each
size: the machine is shared. Results are in bench/PDF.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from org_snapshot import build_org_snapshot  # noqa: E402

# `default`: the pack's own selection (newest CIS, SOC 2, HIPAA, Well-Architected, FTR);
# `all`: every shipped framework file, as every pack printed before that selection.
USERS, EVENTS_PER_ACCOUNT = 50, 20


def _options(frameworks: str) -> Any:
    from reporter.assess.framework_files import load_frameworks
    from reporter.pack.model import PackOptions

    if frameworks == "default":
        return PackOptions()
    shipped = load_frameworks()
    if frameworks == "all":
        return PackOptions(frameworks=list(shipped.values()))
    return PackOptions(frameworks=[shipped[i] for i in frameworks.split(",")])


def _table_rows(view: dict[str, Any]) -> dict[str, int]:
    """Rows of each long table the PDF lays out (the findings' affected-resource rows included)."""
    return {
        "timeline": len(view["timeline"]["rows"]),
        "users": len(view["credentials"]["users"]),
        "root": len(view["credentials"]["root"]),
        "manifest": len(view["manifest"]["rows"]),
        "findings": sum(len(g["rows"]) for g in view["findings"]["groups"]),
        "accounts": len(view["scope"]["accounts"]) + len(view["summary"]["accounts"]),
        "not_covered": len(view["scope"]["not_covered"]),
        "org_units": len(view.get("org", {}).get("units", ())),
        "matrix": sum(len(fw["requirements"]) for fw in view["frameworks"]),
    }


# ------------------------------------------------------------------------------ child processes


def child_pack(snapshot: str, out: str, cap: int, frameworks: str) -> dict[str, Any]:
    from reporter.pack.model import build_pack
    from reporter.render.pdf import build_view, write_pdf
    from reporter.snapshot.reader import Snapshot

    # Wall and CPU per stage: on a shared machine the CPU times are the comparable ones. The
    # bench's own work (a second view for the row counts, pypdf counting the pages) comes after
    # the PDF is written and is reported apart ("after_pdf"): the pack's figure is up to the PDF.
    t0, c0 = time.perf_counter(), time.process_time()
    model = build_pack(Snapshot.open(snapshot), _options(frameworks))
    t1, c1 = time.perf_counter(), time.process_time()
    path = write_pdf(model, Path(out), table_cap=cap)
    t2, c2 = time.perf_counter(), time.process_time()
    view = build_view(model, table_cap=cap)  # as write_pdf built it: weasyprint_s = write_pdf's rest
    t3, c3 = time.perf_counter(), time.process_time()
    import pypdf

    rows = _table_rows(view)
    pages = len(pypdf.PdfReader(path).pages)
    return {
        "model_cpu_s": c1 - c0,
        "view_cpu_s": c3 - c2,
        "weasyprint_cpu_s": (c2 - c1) - (c3 - c2),
        "model_s": t1 - t0,
        "view_s": t3 - t2,
        "weasyprint_s": (t2 - t1) - (t3 - t2),
        "render_s": t2 - t1,
        "total_s": t2 - t0,
        "after_pdf_s": time.perf_counter() - t2,
        "after_pdf_cpu_s": time.process_time() - c2,
        "table_rows": sum(rows.values()),
        "rows": rows,
        "findings": len(model.all_findings),
        "findings_shown": view["findings"]["total"],
        "pages": pages,
        "bytes": path.stat().st_size,
    }


def child_profile(snapshot: str, out: str, cap: int, frameworks: str) -> dict[str, Any]:
    """child_pack under cProfile (slower: its times are not the pack's); the top functions by own
    time and by cumulative time go to bench/out/pdf-profile-<accounts>.txt."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    result: dict[str, Any] = profiler.runcall(child_pack, snapshot, out, cap, frameworks)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)
    target = ROOT / "bench" / "out" / f"pdf-profile-{Path(snapshot).name.removeprefix('snap-')}.txt"
    target.parent.mkdir(exist_ok=True)
    target.write_text(text.getvalue())
    result["profile"] = str(target)
    return result


def child_outputs(snapshot: str, out: str, cap: int, frameworks: str) -> dict[str, Any]:
    """The workbook and findings.json of the same pack, each timed."""
    from reporter.pack.model import build_pack
    from reporter.render.json_report import write_json
    from reporter.render.xlsx import write_xlsx
    from reporter.snapshot.reader import Snapshot

    t0 = time.perf_counter()
    model = build_pack(Snapshot.open(snapshot), _options(frameworks))
    t1 = time.perf_counter()
    xlsx = write_xlsx(model, Path(out))
    t2 = time.perf_counter()
    findings = write_json(model, Path(out))
    t3 = time.perf_counter()
    return {
        "model_s": t1 - t0,
        "xlsx_s": t2 - t1,
        "json_s": t3 - t2,
        "xlsx_mb": xlsx.stat().st_size / 1e6,
        "json_mb": findings.stat().st_size / 1e6,
    }


def child_cli(snapshot: str, out: str, cap: int, frameworks: str) -> dict[str, Any]:
    """The whole `reporter report SNAPSHOT -f json,xlsx,pdf`, in this process (so VmHWM is its own)."""
    from reporter.cli.app import cli

    argv = ["reporter", "report", snapshot, "--out", out, "--format", "json,xlsx,pdf", "--table-cap", str(cap)]
    if frameworks != "default":
        argv += ["--framework", frameworks]
    sys.argv = argv
    try:
        cli()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 70
    return {"exit_code": code, "files": sorted(p.name for p in Path(out).iterdir())}


def child_naive(snapshot: str, out: str, rows: int, frameworks: str) -> dict[str, Any]:
    """Baseline: every row of the credential reports and root events in one auto-layout table."""
    import html

    from weasyprint import HTML

    from reporter.pack.model import build_pack
    from reporter.snapshot.reader import Snapshot

    model = build_pack(Snapshot.open(snapshot), _options(frameworks))
    t0 = time.perf_counter()
    cells = []
    for r in model.root_events().astype(str).to_dict("records") + model.credential_rows().astype(str).to_dict(
        "records"
    ):
        cells.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in list(r.values())[:9]) + "</tr>")
        if len(cells) >= rows:
            break
    doc = (
        "<html><head><style>td{overflow-wrap:anywhere;font-size:7pt;border:1px solid #999}"
        "table{border-collapse:collapse}</style></head><body><table>" + "".join(cells) + "</table></body></html>"
    )
    data = HTML(string=doc).write_pdf()
    t1 = time.perf_counter()
    Path(out, "naive.pdf").write_bytes(data)
    return {"render_s": t1 - t0, "table_rows": len(cells), "bytes": len(data)}


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM): its own, unlike ru_maxrss, which a fork+exec child
    inherits from its parent (the bench parent holds the snapshots it built)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def run_child(kind: str, snapshot: Path, out: Path, size: int, frameworks: str) -> dict[str, Any]:
    paths = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]
    code = (
        f"import json,resource,sys; sys.path[:0]={paths!r}; from pdf_bench import child_{kind}, peak_rss_mb;"
        f"r=child_{kind}({str(snapshot)!r},{str(out)!r},{size},{frameworks!r});"
        f"u=resource.getrusage(resource.RUSAGE_SELF);"
        f"r['peak_rss_mb']=peak_rss_mb(); r['cpu_s']=u.ru_utime+u.ru_stime; print(json.dumps(r))"
    )
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    # Interpreter start and imports to the written PDF: the child's wall and CPU less the bench's
    # work after it (a pack's only; the naive and output children do none).
    result["pdf_wall_s"] = wall - result.get("after_pdf_s", 0.0)
    result["pdf_cpu_s"] = result["cpu_s"] - result.get("after_pdf_cpu_s", 0.0)
    return result


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


# ------------------------------------------------------------------------------ the run


def _line(accounts: int, pack: dict[str, Any], naive: dict[str, Any] | None, previous: tuple[int, float] | None) -> str:
    """One size: "pack s" and "cpu s" up to the written PDF, "child s" the whole child (the bench's
    row count and page count after the PDF included); the stages are CPU seconds; ms/ac and Δms/ac
    (between this size and the one before: the cost of one more account) are of CPU time too,
    the comparable figure."""
    per_account = 1000 * pack["pdf_cpu_s"] / accounts
    marginal = (
        f"{1000 * (pack['pdf_cpu_s'] - previous[1]) / (accounts - previous[0]):>6.1f}" if previous else f"{'':>6}"
    )
    line = (
        f"{accounts:>5} {pack['table_rows']:>5} {pack['pages']:>5} | {pack['pdf_wall_s']:>6.1f} "
        f"{pack['pdf_cpu_s']:>6.1f} {pack['process_wall_s']:>7.1f} {pack['peak_rss_mb']:>5.0f} {per_account:>6.1f} "
        f"{marginal} | "
        f"{pack['model_cpu_s']:>5.1f} {pack['view_cpu_s']:>5.1f} {pack['weasyprint_cpu_s']:>5.1f} | "
    )
    if naive:
        line += (
            f"{naive['process_wall_s']:>7.1f} {naive['cpu_s']:>6.1f} {naive['peak_rss_mb']:>5.0f} "
            f"{1000 * naive['render_s'] / naive['table_rows']:>6.1f}"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller organizations (5, 10, 20 accounts)")
    parser.add_argument("--cap", type=int, default=500, help="table cap of the pack (default 500)")
    parser.add_argument("--accounts", type=int, nargs="+", help="organization sizes (default 100 1000)")
    parser.add_argument("--frameworks", default="default", help="framework ids, comma-separated, 'default' or 'all'")
    parser.add_argument(
        "--naive", choices=("all", "first", "none"), default="all", help="naive baseline at every size, the first, none"
    )
    parser.add_argument("--outputs", action="store_true", help="also time the workbook and findings.json")
    parser.add_argument("--cli", action="store_true", help="also run the whole `reporter report` at the largest size")
    parser.add_argument("--profile", action="store_true", help="cProfile the pack (bench/out/pdf-profile-N.txt)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    # The synthetic throttled LookupEvents would each log a warning while the snapshots are written.
    logging.disable(logging.WARNING)
    frameworks = args.frameworks
    sizes = tuple(args.accounts) if args.accounts else (5, 10, 20) if args.quick else (100, 1000)
    results: dict[str, Any] = {
        "users_per_account": USERS,
        "root_events_per_account": EVENTS_PER_ACCOUNT,
        "cap": args.cap,
        "frameworks": frameworks,
        "runs": [],
    }
    print(
        f"{'accts':>5} {'rows':>5} {'pages':>5} | {'pack s':>6} {'cpu s':>6} {'child s':>7} {'MB':>5} {'ms/ac':>6} "
        f"{'Δms/ac':>6} | "
        f"{'model':>5} {'view':>5} {'weasy':>5} | {'naive s':>7} {'cpu s':>6} {'MB':>5} {'ms/row':>6}"
    )
    previous: tuple[int, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for index, accounts in enumerate(sizes):
            snapshot = build_org_snapshot(
                Path(tmp, f"snap-{accounts}"), accounts=accounts, users=USERS, events=accounts * EVENTS_PER_ACCOUNT
            )
            load = uptime()
            pack = run_child(
                "profile" if args.profile else "pack", snapshot, Path(tmp, f"out-{accounts}"), args.cap, frameworks
            )
            naive = None
            if args.naive == "all" or (args.naive == "first" and index == 0):
                naive = run_child("naive", snapshot, Path(tmp, f"naive-{accounts}"), pack["table_rows"], frameworks)
            run: dict[str, Any] = {"accounts": accounts, "uptime": load, "pack": pack, "naive": naive}
            print(
                _line(accounts, pack, naive, previous) + f"   ({pack['findings_shown']} FAIL/NOT_ASSESSED of "
                f"{pack['findings']} findings; rows {pack['rows']})\n      uptime: {load}",
                flush=True,
            )
            if args.outputs:
                run["outputs"] = run_child("outputs", snapshot, Path(tmp, f"wb-{accounts}"), args.cap, frameworks)
                o = run["outputs"]
                print(
                    f"      workbook {o['xlsx_s']:.1f} s ({o['xlsx_mb']:.1f} MB), findings.json {o['json_s']:.1f} s "
                    f"({o['json_mb']:.1f} MB), build_pack {o['model_s']:.1f} s; child {o['process_wall_s']:.1f} s "
                    f"wall, {o['peak_rss_mb']:.0f} MB peak",
                    flush=True,
                )
            if args.cli and index == len(sizes) - 1:
                run["cli"] = run_child("cli", snapshot, Path(tmp, f"cli-{accounts}"), args.cap, frameworks)
                c = run["cli"]
                print(
                    f"      reporter report -f json,xlsx,pdf: exit {c['exit_code']}, {c['process_wall_s']:.1f} s wall, "
                    f"{c['cpu_s']:.1f} s CPU, {c['peak_rss_mb']:.0f} MB peak ({', '.join(c['files'])})",
                    flush=True,
                )
            results["runs"].append(run)
            previous = (accounts, pack["pdf_cpu_s"])
    biggest = results["runs"][-1]["pack"]
    ok = biggest["pdf_wall_s"] <= 60 and biggest["peak_rss_mb"] <= 1536 and biggest["pages"] <= 150
    print(
        f"budget at {sizes[-1]} accounts (<= 60 s wall, <= 1.5 GB, <= 150 pages): {'OK' if ok else 'OVER'} "
        f"({biggest['pdf_wall_s']:.1f} s wall, {biggest['pdf_cpu_s']:.1f} s CPU, {biggest['peak_rss_mb']:.0f} MB, "
        f"{biggest['pages']} pages)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
