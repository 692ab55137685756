"""Collection benchmark: `collect()` against a 100-account organization on a ThreadedMotoServer
that adds 50 ms to every request (a stand-in for AWS's latency; moto answers in ~1 ms).

Reports API calls per account, wall time against the ideal (calls x 50 ms / workers: every
worker always busy waiting on the network), and checks that LookupEvents never exceeded
2 requests/second per (account, region), from request timestamps recorded server-side.

    python bench/collect_bench.py            # 100 accounts x 2 regions, 16 workers
    python bench/collect_bench.py --quick    # 10 accounts: a smoke run (seconds)
    options: --accounts N --regions r1,r2 --workers N --latency-ms N --pages N --out FILE
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # moto_gaps, moto_scenario

import boto3  # noqa: E402
import moto_gaps  # noqa: E402
import moto_scenario as ms  # noqa: E402

from reporter.collect import CollectOptions, collect  # noqa: E402

_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/")


class Latency:
    """WSGI middleware: sleeps `delay` s before every request (when on) and records the time of
    every cloudtrail LookupEvents request per (account, region)."""

    def __init__(self, app: Any, delay: float) -> None:
        self.app, self.delay, self.on = app, delay, False
        self.lookups: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.on:
            arrived = time.monotonic()
            if environ.get("HTTP_X_AMZ_TARGET", "").endswith(".LookupEvents"):
                match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
                if match:
                    from moto.iam.models import get_account_id_from
                    key = (get_account_id_from(match.group(1)), match.group(2))
                    with self._lock:
                        self.lookups[key].append(arrived)
            with self._lock:
                self.requests += 1
            time.sleep(self.delay)
        return self.app(environ, start_response)


def max_per_second(stamps: list[float]) -> int:
    """The most requests in any 1-second window [t, t+1)."""
    stamps, best, lo = sorted(stamps), 0, 0
    for hi, t in enumerate(stamps):
        while stamps[lo] <= t - 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def run(accounts: int, regions: tuple[str, ...], workers: int, latency_ms: int, pages: int) -> dict[str, Any]:
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    moto_gaps.install()
    moto_gaps.reset()
    holder: dict[str, Latency] = {}

    def wrap(app: Any) -> Any:
        holder["mw"] = Latency(app, latency_ms / 1000)
        return holder["mw"]

    with ms.fixed_ids(ms.MGMT), ms.moto_server(wrap=wrap) as url:
        os.environ["AWS_ENDPOINT_URL"] = url
        started = time.monotonic()
        ms.big_organization(ms.Scenario(endpoint_url=url), accounts, root_events=pages * 50 - 10)
        setup = time.monotonic() - started
        middleware = holder["mw"]
        middleware.on = True
        with tempfile.TemporaryDirectory() as tmp:
            started = time.monotonic()
            summary = collect(CollectOptions(out=Path(tmp) / "snap", period_start=ms.PERIOD_START,
                                             period_end=ms.PERIOD_END, organization=True, regions=regions,
                                             max_workers=workers, quiet=True),
                              session=boto3.Session(region_name="us-east-1"),
                              clock=lambda: datetime.now(UTC))
            wall = time.monotonic() - started
        middleware.on = False
        os.environ.pop("AWS_ENDPOINT_URL", None)
    moto_gaps.reset()

    per_account = sorted(summary.calls_by_account.values())
    ideal = max(summary.api_calls * latency_ms / 1000 / workers, 1e-9)
    peaks = {f"{a}/{r}": max_per_second(s) for (a, r), s in middleware.lookups.items()}
    gaps = [b - a for s in middleware.lookups.values() for a, b in zip(sorted(s), sorted(s)[1:], strict=False)]
    return {
        "accounts": summary.accounts, "regions": list(regions), "workers": workers, "latency_ms": latency_ms,
        "lookup_pages_per_account_us_east_1": pages, "setup_s": round(setup, 1),
        "api_calls": summary.api_calls, "http_requests": middleware.requests, "errors": summary.errors,
        "calls_per_account": {"min": per_account[0], "median": per_account[len(per_account) // 2],
                              "max": per_account[-1], "mean": round(summary.api_calls / summary.accounts, 1)},
        "calls_by_api": summary.calls_by_api,
        "wall_s": round(wall, 2), "ideal_s": round(ideal, 2), "ratio_to_ideal": round(wall / ideal, 2),
        "target_ratio": 1.5, "within_target": wall / ideal <= 1.5,
        "lookup_events_requests": sum(len(s) for s in middleware.lookups.values()),
        "lookup_events_keys": len(peaks),
        "lookup_events_max_per_second_any_key": max(peaks.values(), default=0),
        "lookup_events_min_gap_s": round(min(gaps), 3) if gaps else None,
        "lookup_rate_respected": max(peaks.values(), default=0) <= 2,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 accounts: a smoke run")
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--regions", default="eu-west-1,us-east-1")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--pages", type=int, default=3, help="LookupEvents pages per account in us-east-1")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = parser.parse_args(argv)
    accounts = args.accounts or (10 if args.quick else 100)
    result = run(accounts, tuple(r for r in args.regions.split(",") if r), args.workers, args.latency_ms,
                 args.pages)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if result["lookup_rate_respected"] and result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
