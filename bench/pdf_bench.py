"""PDF benchmark: synthetic organizations through `write_pdf`, side by side with a naive baseline.

    .venv/bin/python bench/pdf_bench.py [--quick] [--accounts N ...] [--cap N] [--no-naive] [--json out.json]

Builds (once, in a temp folder) organization snapshots with SnapshotWriter: 25, 50 and 100 accounts
(`--quick`: 5, 10, 20), 50 IAM users each, 20 root events per account in the period (the 100-account
org: 5,100 credential-report rows, 2,000 root events). Each measurement runs in a fresh subprocess
and reports wall time, CPU time (user + sys) and peak RSS (ru_maxrss) of the child, interpreter
start and imports included. The pack is rendered at the default table cap (500). "rows" counts
every table row the pack lays out (timeline, IAM users, root rows, manifest, affected resources in
the findings). The baseline renders one naive HTML table (auto layout, `overflow-wrap: anywhere`,
default GC) of the same number of evidence rows through WeasyPrint. Results are in bench/PDF.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PERIOD = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "aws-cli/2.17.52 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0-1015-aws md/arch#x86_64 lang/python#3.12.6",
    "AWS Internal",
    "python-requests/2.32.3",
)


def build_org_snapshot(out: Path, *, accounts: int = 100, users: int = 50, events: int = 2000, seed: int = 11) -> Path:
    from factory import cr_row, jsonl, report, root_record

    from reporter.snapshot.writer import SnapshotWriter, dumps_json

    rng = random.Random(seed)
    writer = SnapshotWriter(
        out,
        tool_version="bench",
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        as_of=AS_OF,
        caller_arn="arn:aws:sts::100000000000:assumed-role/ReporterAudit/bench",
        organization_id="o-bench00001",
    )
    ids = [f"{100000000000 + i * 1111:012d}" for i in range(accounts)]
    per_account = [events // accounts + (1 if i < events % accounts else 0) for i in range(accounts)]

    def stamp(days: float) -> str:
        return (AS_OF - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    for index, account in enumerate(ids):
        writer.add_account(
            account, name=f"bench-{index:03d}", regions=["eu-west-1", "us-east-1"], is_management=index == 0
        )
        meta = {"account": account, "region": "us-east-1", "collected_at": AS_OF}
        rows = [
            cr_row(
                account=account,
                mfa=rng.choice(["true", "true", "false"]),
                password_last_used=stamp(rng.uniform(1, 200)),
            )
        ]
        for u in range(users):
            pw = rng.random() < 0.6
            key_days = rng.uniform(1, 400)
            rows.append(
                cr_row(
                    f"user-{u:03d}",
                    account,
                    password_enabled="true" if pw else "false",
                    password_last_used=stamp(rng.uniform(0, 120)) if pw else "N/A",
                    mfa="true" if rng.random() < 0.8 else "false",
                    key1=("true", stamp(key_days), stamp(rng.uniform(0, key_days)))
                    if rng.random() < 0.5
                    else ("false", "N/A", "N/A"),
                )
            )
        base = f"accounts/{account}/"
        writer.add_bytes(
            base + "iam/credential_report.csv",
            report(*rows),
            api="iam:GetCredentialReport",
            params={"GeneratedTime": stamp(0.1)},
            **meta,
        )
        writer.add_bytes(
            base + "iam/account_summary.json",
            dumps_json({"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}}),
            api="iam:GetAccountSummary",
            **meta,
        )
        writer.add_json(
            base + "iam/virtual_mfa_devices.json", {"VirtualMFADevices": []}, api="iam:ListVirtualMFADevices", **meta
        )
        writer.add_json(
            base + "iam/password_policy.json",
            {"PasswordPolicy": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24}},
            api="iam:GetAccountPasswordPolicy",
            **meta,
        )
        records = []
        for e in range(per_account[index]):
            when = (PERIOD[0] + timedelta(seconds=rng.uniform(0, 30 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ")
            if rng.random() < 0.3:
                records.append(
                    root_record(
                        when,
                        mfa=rng.choice(["Yes", "No"]),
                        agent=rng.choice(AGENTS),
                        event_id=f"{account}-{e}",
                        account=account,
                    )
                )
            else:
                records.append(
                    root_record(
                        when,
                        rng.choice(["ListUsers", "GetAccountSummary", "ListBuckets"]),
                        key="ASIABENCH0000001",
                        agent=rng.choice(AGENTS),
                        event_id=f"{account}-{e}",
                        account=account,
                    )
                )
        writer.add_bytes(
            base + "cloudtrail/root_events.jsonl",
            jsonl(*records),
            api="cloudtrail:LookupEvents",
            params={"regions": ["eu-west-1", "us-east-1"]},
            account=account,
            collected_at=AS_OF,
        )
        if index % 10 == 9:
            writer.add_error(
                api="cloudtrail:LookupEvents",
                code="ThrottlingException",
                message="Rate exceeded",
                account=account,
                region="eu-west-1",
                collected_at=AS_OF,
            )
    writer.finalize(collected_at=AS_OF)
    return out


# ------------------------------------------------------------------------------ child processes


def child_pack(snapshot: str, out: str, cap: int) -> dict:
    from reporter.pack.model import build_pack
    from reporter.render.pdf import build_view, write_pdf
    from reporter.snapshot.reader import Snapshot

    t0 = time.perf_counter()
    model = build_pack(Snapshot.open(snapshot))
    t1 = time.perf_counter()
    view = build_view(model, table_cap=cap)
    finding_rows = sum(len(g["rows"]) for g in view["findings"]["groups"])
    rows = (
        len(view["timeline"]["rows"])
        + len(view["credentials"]["users"])
        + len(view["credentials"]["root"])
        + len(view["manifest"]["rows"])
        + finding_rows
    )
    t2 = time.perf_counter()
    path = write_pdf(model, Path(out), table_cap=cap)
    t3 = time.perf_counter()
    import pypdf

    pages = len(pypdf.PdfReader(path).pages)
    return {
        "model_s": t1 - t0,
        "render_s": t3 - t2,
        "total_s": t3 - t0,
        "table_rows": rows,
        "finding_rows": finding_rows,
        "findings_shown": view["findings"]["total"],
        "pages": pages,
        "bytes": path.stat().st_size,
    }


def child_naive(snapshot: str, out: str, rows: int) -> dict:
    """Baseline: every row of the credential reports and root events in one auto-layout table."""
    import html

    from weasyprint import HTML

    from reporter.pack.model import build_pack
    from reporter.snapshot.reader import Snapshot

    model = build_pack(Snapshot.open(snapshot))
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


def run_child(kind: str, snapshot: Path, out: Path, size: int) -> dict:
    paths = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]
    code = (
        f"import json,resource,sys; sys.path[:0]={paths!r}; from pdf_bench import child_{kind};"
        f"r=child_{kind}({str(snapshot)!r},{str(out)!r},{size});"
        f"u=resource.getrusage(resource.RUSAGE_SELF);"
        f"r['peak_rss_mb']=u.ru_maxrss/1024; r['cpu_s']=u.ru_utime+u.ru_stime; print(json.dumps(r))"
    )
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller organizations (5, 10, 20 accounts)")
    parser.add_argument("--cap", type=int, default=500, help="table cap of the pack (default 500)")
    parser.add_argument("--accounts", type=int, nargs="+", help="organization sizes (default 25 50 100)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    sizes = tuple(args.accounts) if args.accounts else (5, 10, 20) if args.quick else (25, 50, 100)
    users, events_per_account = 50, 20
    results: dict = {
        "users_per_account": users,
        "root_events_per_account": events_per_account,
        "cap": args.cap,
        "runs": [],
    }
    header = (
        f"{'accts':>5} {'rows':>5} {'pages':>5} | {'pack s':>6} {'cpu s':>6} {'MB':>5} {'ms/row':>6} | "
        f"{'naive s':>7} {'cpu s':>6} {'MB':>5} {'ms/row':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        print(header)
        for accounts in sizes:
            snapshot = build_org_snapshot(
                Path(tmp, f"snap-{accounts}"), accounts=accounts, users=users, events=accounts * events_per_account
            )
            pack = run_child("pack", snapshot, Path(tmp, f"out-{accounts}"), args.cap)
            naive = (
                None
                if args.no_naive
                else run_child("naive", snapshot, Path(tmp, f"naive-{accounts}"), pack["table_rows"])
            )
            results["runs"].append({"accounts": accounts, "pack": pack, "naive": naive})
            line = (
                f"{accounts:>5} {pack['table_rows']:>5} {pack['pages']:>5} | {pack['process_wall_s']:>6.1f} "
                f"{pack['cpu_s']:>6.1f} {pack['peak_rss_mb']:>5.0f} "
                f"{1000 * pack['render_s'] / pack['table_rows']:>6.1f} | "
            )
            if naive:
                line += (
                    f"{naive['process_wall_s']:>7.1f} {naive['cpu_s']:>6.1f} {naive['peak_rss_mb']:>5.0f} "
                    f"{1000 * naive['render_s'] / naive['table_rows']:>6.1f}"
                )
            print(
                line + f"   (pack: model {pack['model_s']:.1f} s, render {pack['render_s']:.1f} s, "
                f"{pack['finding_rows']} of {pack['findings_shown']} findings listed)",
                flush=True,
            )
    biggest = results["runs"][-1]["pack"]
    ok = biggest["process_wall_s"] <= 30 and biggest["peak_rss_mb"] <= 1024
    print(
        f"budget at {sizes[-1]} accounts (<= 30 s wall, <= 1 GB): {'OK' if ok else 'OVER'} "
        f"({biggest['process_wall_s']:.1f} s wall, {biggest['cpu_s']:.1f} s CPU, {biggest['peak_rss_mb']:.0f} MB)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    _ = resource  # imported for the children's ru_maxrss
    main()
