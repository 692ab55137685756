"""Verification benchmark: what verifying the evidence adds to `report`, and what `verify PACK_DIR` costs.

    .venv/bin/python bench/verify_bench.py [--accounts N] [--repeats N]     # make bench-verify

For the bundled demo snapshot and a synthetic organization (bench/pdf_bench.py's builder: 100
accounts, 50 IAM users each, 2,000 root events), in this process, best of --repeats after
gc.collect():

- verify: `check_integrity` (every artifact's SHA-256 and size, unlisted files) — what `report`
  now runs before rendering; side by side with
- report: `build_pack` + every output (JSON, XLSX, PDF) + pack-manifest.json, the work it guards;
- verify pack: `verify_pack` (the outputs' digests and the PDF's attachments) and, with the
  snapshot, `rerender` (the pack rendered again and compared).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from pdf_bench import build_org_snapshot  # noqa: E402

from reporter.core.resources import demo_snapshot_dir  # noqa: E402
from reporter.pack.integrity import check_integrity  # noqa: E402
from reporter.pack.model import PackOptions, build_pack  # noqa: E402
from reporter.publish.pack_manifest import RenderInputs, write_pack_manifest  # noqa: E402
from reporter.publish.verify_pack import rerender, verify_pack  # noqa: E402
from reporter.render.outputs import write_outputs  # noqa: E402
from reporter.snapshot.reader import Snapshot  # noqa: E402

FORMATS = ("json", "xlsx", "pdf")


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(name: str, root: Path, out: Path, repeats: int) -> dict[str, Any]:
    snapshot = Snapshot.open(root)
    artifacts = sum(1 for a in snapshot.manifest.artifacts if a.status == "ok")
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    verify = best_of(lambda: check_integrity(Snapshot.open(root), None, None), repeats)

    def report() -> None:
        opened = Snapshot.open(root)
        model = build_pack(opened, PackOptions(integrity=check_integrity(opened, None, None)))
        written = write_outputs(model, out, FORMATS)
        write_pack_manifest(model, out, written, RenderInputs(FORMATS))

    full = best_of(report, repeats)
    pack_check = best_of(lambda: verify_pack(out), repeats)

    def with_rerender() -> None:
        result = verify_pack(out)
        rerender(result, Snapshot.open(root), lambda s, i: build_pack(s, PackOptions(integrity=i)))
        assert result.ok, result.problems

    again = best_of(with_rerender, 1)
    return {
        "name": name,
        "artifacts": artifacts,
        "snapshot_mb": size / 2**20,
        "verify_s": verify,
        "report_s": full,
        "share": verify / full,
        "verify_pack_s": pack_check,
        "verify_pack_rerender_s": again,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="reporter-verify-bench-") as tmp:
        base = Path(tmp)
        demo = demo_snapshot_dir()
        rows.append(
            measure(
                f"demo ({len(Snapshot.open(demo).manifest.accounts)} accounts)", demo, base / "demo-pack", args.repeats
            )
        )
        org = build_org_snapshot(base / "org", accounts=args.accounts)
        rows.append(measure(f"{args.accounts} accounts", org, base / "org-pack", args.repeats))
    print(
        "| snapshot | artifacts | MB | verify (s) | report incl. verify (s) | verify share "
        "| verify PACK_DIR (s) | verify PACK_DIR --snapshot (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['name']} | {r['artifacts']} | {r['snapshot_mb']:.1f} | {r['verify_s']:.3f} | {r['report_s']:.2f} "
            f"| {r['share']:.1%} | {r['verify_pack_s']:.3f} | {r['verify_pack_rerender_s']:.2f} |"
        )


if __name__ == "__main__":
    main()
