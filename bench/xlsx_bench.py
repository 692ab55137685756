"""Benchmark: the streaming XLSX writer vs XlsxWriter (constant_memory) on N root-event rows.

    .venv/bin/python bench/xlsx_bench.py               # 500,000 rows x 12 columns
    .venv/bin/python bench/xlsx_bench.py --rows 20000  # a quick run

Both writers get the same synthetic rows (12 columns: ids, a tz-aware event time, realistic
CloudTrail strings, a boolean), generated chunk by chunk as pandas frames and converted by the
product's own `frame_rows` (types, UTC, formula safety), so they differ only in how they write.
Ours is the product path: `new_workbook` + `write_table_sheet` (write-only openpyxl sheet with
table, frozen panes, widths) + `save_workbook` (fixed zip timestamps). XlsxWriter writes the
same rows with `{'constant_memory': True}` and a date format on the time column.

Each writer runs in its own fresh subprocess; we report wall time of the write and ru_maxrss
(peak RSS of that process, imports included). Results: stdout and bench/out/xlsx-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from reporter.render.sheet_table import DATETIME, SheetTable, frame_columns, frame_rows  # noqa: E402
from reporter.render.xlsx import new_workbook, save_workbook, write_table_sheet  # noqa: E402

CHUNK = 10_000
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    "aws-cli/2.18.5 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#iam.list-users",
    "Boto3/1.35.40 md/Botocore#1.35.40 ua/2.0 os/linux#5.10.226 md/arch#x86_64 lang/python#3.11.10 cfg/retry-mode#legacy Botocore/1.35.40",
    "AWS Internal",
    "console.amazonaws.com",
    "signin.amazonaws.com",
    "terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/iam#1.37.2",
]
EVENTS = [
    ("signin.amazonaws.com", "ConsoleLogin"),
    ("iam.amazonaws.com", "GetAccountSummary"),
    ("iam.amazonaws.com", "ListUsers"),
    ("billingconsole.amazonaws.com", "GetBillingPreferences"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("iam.amazonaws.com", "CreateAccessKey"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("ec2.amazonaws.com", "DescribeInstances"),
]
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
ACCOUNTS = [f"{n:012d}" for n in (111122223333, 222233334444, 444455556666, 555566667777)]


def chunk_frame(start: int, n: int, seed: int = 7) -> pd.DataFrame:
    """Rows start … start+n-1 of the synthetic root-event table (12 columns), deterministic."""
    rng = np.random.default_rng(seed + start)
    idx = np.arange(start, start + n)
    ev = rng.integers(0, len(EVENTS), n)
    times = pd.Timestamp("2026-10-01", tz="UTC") + pd.to_timedelta(idx * 5 + rng.integers(0, 5, n), unit="s")
    return pd.DataFrame(
        {
            "row_id": [f"E-root-{i + 1:06d}" for i in idx],
            "event_id": [
                f"{a:016x}-{b:04x}-4{c:03x}-{d:04x}-{e:012x}"
                for a, b, c, d, e in zip(
                    rng.integers(0, 2**63, n),
                    rng.integers(0, 2**16, n),
                    rng.integers(0, 2**12, n),
                    rng.integers(0, 2**16, n),
                    rng.integers(0, 2**47, n),
                    strict=True,
                )
            ],
            "event_time": times,
            "account_id": [ACCOUNTS[i] for i in rng.integers(0, len(ACCOUNTS), n)],
            "region": [REGIONS[i] for i in rng.integers(0, len(REGIONS), n)],
            "event_source": [EVENTS[i][0] for i in ev],
            "event_name": [EVENTS[i][1] for i in ev],
            "success": rng.random(n) > 0.05,
            "source_ip": [
                f"203.0.{a}.{b}" for a, b in zip(rng.integers(0, 256, n), rng.integers(1, 255, n), strict=True)
            ],
            "user_agent": [AGENTS[i] for i in rng.integers(0, len(AGENTS), n)],
            "access_key_id": [f"ASIAXMPL{k:012d}" for k in rng.integers(0, 10**12, n)],
            "location": [f"line {i + 1}" for i in idx],
        }
    )


def synthetic_table(rows: int) -> SheetTable:
    columns = frame_columns(chunk_frame(0, 1))

    def gen() -> Iterator[list[Any]]:
        for start in range(0, rows, CHUNK):
            yield from frame_rows(chunk_frame(start, min(CHUNK, rows - start)), columns)

    return SheetTable("root_events", "Root events", "RootEvents", columns, rows, gen, widths={"user_agent": 50})


def run_ours(table: SheetTable, path: Path) -> None:
    wb = new_workbook(AS_OF)
    write_table_sheet(wb, table)
    save_workbook(wb, path, AS_OF)


def run_xlsxwriter(table: SheetTable, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet(table.sheet)
    date_format = wb.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
    dates = {i for i, c in enumerate(table.columns) if c.kind == DATETIME}
    ws.write_row(0, 0, table.headers)
    for r, row in enumerate(table.rows(), 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if c in dates:
                ws.write_datetime(r, c, value, date_format)
            else:
                ws.write(r, c, value)
    ws.freeze_panes(1, 1)
    wb.close()


def child(writer: str, rows: int, out: Path) -> None:
    table = synthetic_table(rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    (run_ours if writer == "ours" else run_xlsxwriter)(table, out)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "writer": writer,
                "rows": rows,
                "seconds": round(seconds, 2),
                "rss_before_mb": round(rss_before / 1024, 1),
                "peak_rss_mb": round(peak / 1024, 1),
                "file_mb": round(out.stat().st_size / 2**20, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--child", choices=["ours", "xlsxwriter"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.out)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for writer in ("ours", "xlsxwriter"):
            out = Path(tmp) / f"{writer}.xlsx"
            proc = subprocess.run(
                [sys.executable, __file__, "--child", writer, "--rows", str(args.rows), "--out", str(out)],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    ours, ref = results
    verdict = {
        "time_ratio": round(ours["seconds"] / ref["seconds"], 2),
        "time_ok (<= 1.3x)": ours["seconds"] <= 1.3 * ref["seconds"],
        "memory_ok (< 300 MB)": ours["peak_rss_mb"] < 300,
        "cpus": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    print(f"\n{'writer':<12}{'rows':>9}{'seconds':>10}{'peak RSS MB':>13}{'file MB':>9}")
    for r in results:
        print(f"{r['writer']:<12}{r['rows']:>9}{r['seconds']:>10}{r['peak_rss_mb']:>13}{r['file_mb']:>9}")
    print(json.dumps(verdict))
    out_dir = BENCH / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "xlsx-results.json").write_text(json.dumps({"results": results, **verdict}, indent=2) + "\n")


if __name__ == "__main__":
    main()
