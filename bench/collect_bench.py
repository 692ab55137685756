"""Collection benchmark: `collect()` against an N-account organization (100 by default) on a
ThreadedMotoServer, behind a proxy that makes every request take 50 ms (a stand-in for AWS's
latency; moto's own time, a few ms, is inside the 50 ms unless moto is slower).

Three processes, so that what is measured is the collector as it would run against AWS:
- moto (child): moto_gaps + the organization of tests/moto_scenario.py `big_organization`, its
  per-account backends built beforehand (moto builds them on first use: ~170 ms of CPU for EC2);
- the proxy (child): accepts the collector's connections, stamps the arrival of every request
  (a process doing nothing else, so the stamp is not delayed by moto's or the collector's CPU),
  forwards it to moto, answers 50 ms after the arrival, and counts the requests in flight;
- the collector (this process).

Reports API calls per account, wall time against the ideal (calls x latency / concurrency, every
permitted request slot always busy waiting on the network), the peak number of requests in flight
(the concurrency actually used), and checks that LookupEvents never exceeded 2 requests/second per
(account, region), from the proxy's arrival stamps.

With --replay the proxy records moto's answers, and the same collection runs a second time
against the recording (50 ms after each arrival, moto idle): the collector alone, as against AWS,
whose CPU is not on this machine.

    python bench/collect_bench.py --replay   # 100 accounts x 2 regions, live then replayed
    python bench/collect_bench.py --quick    # 10 accounts: a smoke run
    python bench/collect_bench.py --accounts 1000 --workers 32 --replay --shards 8
                                             # then as 8 shards in 8 processes, merged, compared
    python bench/collect_bench.py --accounts 1000 --workers 32 --replay --processes 2
                                             # then as one collect --processes 2, compared
    options: --accounts N --regions r1,r2 --workers N --latency-ms N --pages N --replay --shards N
             --processes N --out FILE
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # moto_gaps, moto_scenario, http_proxy

import boto3  # noqa: E402
from http_proxy import Request, forward, read_request, response_head, serve  # noqa: E402

from reporter.collect import CollectOptions, collect  # noqa: E402
from reporter.collect.options import CollectSummary  # noqa: E402
from reporter.core.shard import Shard  # noqa: E402

DEFAULT_WORKERS = CollectOptions.__dataclass_fields__["max_workers"].default
# Issue #15's number at 32 workers (the first target, at 16 workers, was 1.5).
TARGET_RATIO = 1.3


class Proxy:
    """HTTP/1.1 keep-alive proxy (thread per connection): stamps, delays, forwards to moto."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream, self.delay = upstream, delay
        self._lock = threading.Lock()
        # forward: to moto; record: to moto, keeping each answer; replay: the kept answers, moto idle
        self.mode = "forward"
        self.recorded: dict[tuple[Any, ...], tuple[int, str, list[tuple[str, str]], bytes]] = {}
        self.reset("forward")

    def reset(self, mode: str) -> None:
        with self._lock:
            self.mode = mode
            self._asked: Counter[tuple[Any, ...]] = Counter()
            self.missed = 0
            self.repeats = 0  # replayed from the first answer: the same read asked by several shards
            self.lookups: dict[tuple[str, str], list[float]] = defaultdict(list)  # (access key, region)
            self.requests = 0
            self.in_flight = 0
            self.peak_in_flight = 0
            self.busy = 0.0  # sum of request durations, arrival to response written
            self.upstream_s = 0.0  # of which moto's own time
            self.upstream_max = 0.0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "lookups": [[k, r, s] for (k, r), s in self.lookups.items()],
                "requests": self.requests,
                "peak_in_flight": self.peak_in_flight,
                "busy": self.busy,
                "moto": self.upstream_s,
                "moto_max": self.upstream_max,
                "cpu": time.process_time(),
                "missed": self.missed,
                "repeats": self.repeats,
            }

    def handle(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        upstream = http.client.HTTPConnection(*self.upstream, timeout=300)
        try:
            while (request := read_request(reader)) is not None:
                arrived = time.monotonic()
                key = self._arrived(arrived, request)
                asked = time.monotonic()
                if self.mode.startswith("replay"):
                    status, reason, answer_headers, payload = self._replayed(key)
                else:
                    status, reason, answer_headers, payload = forward(upstream, request)
                    if self.mode == "record":
                        self.recorded[key] = (status, reason, answer_headers, payload)
                answered = time.monotonic()
                # AWS-like: the answer leaves `delay` after the request arrived; moto's own time
                # (a few ms, more when it is busy) is inside that delay, not added to it.
                time.sleep(max(0.0, arrived + self.delay - answered))
                head = response_head(status, reason, answer_headers, len(payload))
                # Done before sending: the collector may send its next request (and the proxy see
                # it arrive) as soon as it has read this answer.
                self._done(arrived, asked, answered)
                client.sendall(head + payload)
        except (ConnectionError, OSError):
            return
        finally:
            upstream.close()
            client.close()

    def _arrived(self, arrived: float, request: Request) -> tuple[Any, ...]:
        """Count the request; return its replay key: what it asks, as whom, and how many times
        the same was asked before (a credential report is asked for until it is ready)."""
        access_key, region, _ = request.signer()
        target = request.fields.get("x-amz-target", "")
        what = (access_key, region, request.method, request.target, target, request.body)
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            if target.endswith(".LookupEvents") and access_key:
                self.lookups[(access_key, region)].append(arrived)
            self._asked[what] += 1
            return (*what, self._asked[what])

    def _replayed(self, key: tuple[Any, ...]) -> tuple[int, str, list[tuple[str, str]], bytes]:
        if key in self.recorded:
            return self.recorded[key]
        first = (*key[:-1], 1)
        if self.mode == "replay-shards" and first in self.recorded:
            # Every shard asks the caller's reads (GetCallerIdentity, DescribeOrganization, the
            # account list) that one run asks once; each account's calls are in one shard only.
            with self._lock:
                self.repeats += 1
            return self.recorded[first]
        with self._lock:
            self.missed += 1  # the run asked something the recorded run did not: reported
        return 500, "Not Recorded", [("Content-Type", "text/plain")], b"not in the recorded run"

    def _done(self, arrived: float, asked: float, answered: float) -> None:
        with self._lock:
            self.in_flight -= 1
            self.busy += time.monotonic() - arrived
            self.upstream_s += answered - asked
            self.upstream_max = max(self.upstream_max, answered - asked)


def _proxy(conn: Connection, upstream_port: int, latency_ms: int) -> None:
    """Child process: the proxy; answers its port, then obeys 'reset' / 'stats' / 'exit'."""
    proxy = Proxy(("127.0.0.1", upstream_port), latency_ms / 1000)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.listen(256)
    serve(listener, proxy.handle)
    conn.send(listener.getsockname()[1])
    while (command := conn.recv()) != "exit":
        if command in ("forward", "record", "replay", "replay-shards"):
            proxy.reset(command)
            conn.send(None)
        else:
            conn.send(proxy.stats())


def max_per_second(stamps: list[float]) -> int:
    """The most requests in any 1-second window [t, t+1)."""
    stamps, best, lo = sorted(stamps), 0, 0
    for hi, t in enumerate(stamps):
        while stamps[lo] <= t - 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@contextmanager
def _moto_world(accounts: int, regions: tuple[str, ...], pages: int) -> Iterator[tuple[str, float]]:
    """moto_gaps + the big organization on a ThreadedMotoServer (this process): URL, setup time."""
    import moto_gaps
    import moto_scenario as ms

    ms.fake_aws_env()
    moto_gaps.install()
    moto_gaps.reset()
    try:
        with ms.fixed_ids(ms.MGMT), ms.moto_server() as url:
            started = time.monotonic()
            org = ms.big_organization(ms.Scenario(endpoint_url=url), accounts, root_events=pages * 50 - 10)
            _warm_backends([ms.MGMT, *org.accounts.values()], regions)
            _warm_apps(url, regions)
            yield url, time.monotonic() - started
    finally:
        moto_gaps.reset()


def _warm_backends(accounts: list[str], regions: tuple[str, ...]) -> None:
    """Create moto's per-account backends now: moto builds them on first use, and its EC2 backend
    costs ~170 ms of CPU per account and region (AMIs, instance types), which AWS does not charge."""
    from moto.backends import get_backend

    for service in ("ec2", "cloudtrail", "events", "logs", "cloudwatch", "sns"):
        backends = get_backend(service)  # type: ignore[call-overload]
        for account in accounts:
            for region in {"us-east-1", *regions}:
                backends[account][region]


def _warm_apps(url: str, regions: tuple[str, ...]) -> None:
    """One request per service and region: moto's server builds a Flask app per service, and
    loads its botocore models, on the first request of each."""
    session = boto3.Session()
    for region in {"us-east-1", *regions}:
        session.client("ec2", region_name=region, endpoint_url=url).describe_regions()
        session.client("cloudtrail", region_name=region, endpoint_url=url).describe_trails()
        session.client("cloudtrail", region_name=region, endpoint_url=url).lookup_events(MaxResults=1)
        session.client("events", region_name=region, endpoint_url=url).list_rules()
        session.client("logs", region_name=region, endpoint_url=url).describe_metric_filters()
        session.client("cloudwatch", region_name=region, endpoint_url=url).describe_alarms()
        session.client("sns", region_name=region, endpoint_url=url).list_topics()
    iam = session.client("iam", region_name="us-east-1", endpoint_url=url)
    iam.get_account_summary()
    iam.list_virtual_mfa_devices()
    session.client("organizations", region_name="us-east-1", endpoint_url=url).list_roots()


def _moto(conn: Connection, accounts: int, regions: tuple[str, ...], pages: int) -> None:
    """Child process: the moto world; answers (url, setup), then maps access keys to accounts."""
    from moto.iam.models import get_account_id_from

    with _moto_world(accounts, regions, pages) as (url, setup):
        conn.send((url, setup))
        while (keys := conn.recv()) != "exit":
            if keys == "cpu":  # CPU seconds used so far, to charge moto's share of a run
                conn.send(time.process_time())
            else:
                conn.send({key: get_account_id_from(key) for key in keys})


@dataclass
class Servers:
    url: str  # the proxy's: what the collector talks to
    setup_s: float
    latency_ms: int
    ask_moto: Callable[[Any], Any]
    ask_proxy: Callable[[Any], Any]


@contextmanager
def servers(accounts: int, regions: tuple[str, ...], pages: int, latency_ms: int) -> Iterator[Servers]:
    # spawn: fresh interpreters, nothing of this process's threads or patches inherited.
    context = multiprocessing.get_context("spawn")
    processes, pipes = [], []
    moto_url = ""  # set by the first (moto) iteration, read by the second (the proxy)
    try:
        for target, args in ((_moto, (accounts, regions, pages)), (_proxy, None)):
            parent, child = context.Pipe()
            if args is None:  # the proxy needs moto's port
                args = (int(moto_url.rsplit(":", 1)[1]), latency_ms)
            process = context.Process(target=target, args=(child, *args), daemon=True)
            process.start()
            processes.append(process)
            pipes.append(parent)
            if target is _moto:
                moto_url, setup = parent.recv()
        port = pipes[1].recv()

        def asker(pipe: Connection) -> Callable[[Any], Any]:
            def ask(message: Any) -> Any:
                pipe.send(message)
                return pipe.recv()

            return ask

        yield Servers(f"http://127.0.0.1:{port}", setup, latency_ms, asker(pipes[0]), asker(pipes[1]))
        for pipe in pipes:
            pipe.send("exit")
        for process in processes:
            process.join(30)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()


def run(
    accounts: int,
    regions: tuple[str, ...],
    workers: int,
    latency_ms: int,
    pages: int,
    replay: bool = False,
    shards: int = 0,
    processes: int = 0,
) -> dict[str, Any]:
    """One collection against moto (recorded when `replay`), then, with `replay`, the same
    collection again against the recorded answers: the collector alone, moto idle. With `shards`,
    then the same again as that many shards in as many processes (`workers` shared among them),
    merged, and the merged findings compared with the single run's. With `processes`, the same again
    as one `collect --processes` (one snapshot, no merge), its findings compared too."""
    import moto_scenario as ms

    ms.fake_aws_env()
    with servers(accounts, regions, pages, latency_ms) as world, tempfile.TemporaryDirectory() as tmp:
        os.environ["AWS_ENDPOINT_URL"] = world.url
        live = _collect_once(world, "record" if replay else "forward", regions, workers)
        single = Path(tmp) / "single"
        again = _collect_once(world, "replay", regions, workers, keep=single) if replay else None
        sharded = _collect_shards(world, regions, workers, shards, Path(tmp), single) if replay and shards else None
        split, split_same = None, False
        if replay and processes:
            split = _collect_once(world, "replay", regions, workers, keep=Path(tmp) / "split", processes=processes)
            split_same = _verdict_bytes(Path(tmp) / "split") == _verdict_bytes(single)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        keys = {key for done in (live, again, split) if done for key, _, _ in done[2]["lookups"]}
        accounts_of = world.ask_moto(sorted(keys))
    result = {
        "accounts": live[0].accounts,
        "regions": list(regions),
        "workers": workers,
        "latency_ms": latency_ms,
        "lookup_pages_per_account_us_east_1": pages,
        "setup_s": round(world.setup_s, 1),
        **_figures(*live, accounts_of, workers, latency_ms / 1000),
    }
    if again:
        result["replay"] = _figures(*again, accounts_of, workers, latency_ms / 1000)
    if sharded:
        result["shards"] = sharded
    if split:
        result["processes"] = {
            "processes": processes,
            **_figures(*split, accounts_of, workers, latency_ms / 1000),
            "findings_identical_to_one_process": split_same,
        }
    return result


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss, which a spawned child inherits
    from the parent it was forked from (exec keeps it), so every shard would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# as_of and every collected_at: the single run and the shards must measure ages from one instant
# for their findings to be compared byte for byte.
BENCH_CLOCK = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def bench_clock() -> datetime:
    return BENCH_CLOCK  # a module's function, not a lambda: collect --processes hands it to its children


def _collect(
    out: Path, regions: tuple[str, ...], workers: int, shard: Shard | None = None, processes: int = 1
) -> CollectSummary:
    """The benchmark's collection: the whole organization (or one `shard` of it), quiet, at
    BENCH_CLOCK, in `processes` processes."""
    import moto_scenario as ms

    options = CollectOptions(
        out=out,
        period_start=ms.PERIOD_START,
        period_end=ms.PERIOD_END,
        organization=True,
        regions=regions,
        max_workers=workers,
        quiet=True,
        shard=shard,
        processes=processes,
    )
    return collect(options, session=boto3.Session(region_name="us-east-1"), clock=bench_clock)


def _shard_child(
    conn: Connection, url: str, index: int, count: int, workers: int, regions: tuple[str, ...], out: str
) -> None:
    """Child process: collect shard index/count once told to start; send back its figures."""
    import moto_scenario as ms

    ms.fake_aws_env()
    os.environ["AWS_ENDPOINT_URL"] = url
    conn.send("ready")
    conn.recv()
    cpu_start, started = time.process_time(), time.monotonic()
    summary = _collect(Path(out), regions, workers, Shard(index, count))
    conn.send(
        {
            "shard": f"{index}/{count}",
            "accounts": summary.accounts,
            "api_calls": summary.api_calls,
            "errors": summary.errors,
            "wall_s": round(time.monotonic() - started, 2),
            "cpu_s": round(time.process_time() - cpu_start, 2),
            "peak_rss_mb": round(peak_rss_mb()),
        }
    )


def _collect_shards(
    world: Servers, regions: tuple[str, ...], workers: int, count: int, tmp: Path, single: Path
) -> dict[str, Any]:
    """The replayed collection again as `count` shards, one process each, `workers` in flight in
    all; then `reporter merge`, and the merged findings against the single run's."""
    from reporter.snapshot.merge import merge_snapshots

    world.ask_proxy("replay-shards")
    context = multiprocessing.get_context("spawn")
    per_shard = max(1, workers // count)
    children = []
    for index in range(1, count + 1):
        parent, child = context.Pipe()
        out = tmp / f"shard-{index}"
        process = context.Process(
            target=_shard_child, args=(child, world.url, index, count, per_shard, regions, str(out)), daemon=True
        )
        process.start()
        children.append((process, parent, out))
    for _, pipe, _ in children:
        pipe.recv()  # every interpreter started and imported: the clock starts with the work
    started = time.monotonic()
    for _, pipe, _ in children:
        pipe.send("go")
    shards = [pipe.recv() for _, pipe, _ in children]
    collected = time.monotonic() - started
    for process, _, _ in children:
        process.join(60)
    merge_started = time.monotonic()
    merged = tmp / "merged"
    merge_snapshots([out for _, _, out in children], merged)
    merge_s = time.monotonic() - merge_started
    stats = world.ask_proxy("stats")
    calls = sum(s["api_calls"] for s in shards)
    ideal = calls * world.latency_ms / 1000 / (per_shard * count)
    same = _verdict_bytes(single) == _verdict_bytes(merged)
    return {
        "shards": count,
        "workers_per_shard": per_shard,
        "api_calls": calls,
        "repeated_caller_reads": stats["repeats"],
        "replay_misses": stats["missed"],
        "errors": sum(s["errors"] for s in shards),
        "collect_wall_s": round(collected, 2),
        "merge_s": round(merge_s, 2),
        "wall_s": round(collected + merge_s, 2),
        "ideal_s": round(ideal, 2),
        "ratio_to_ideal": round((collected + merge_s) / ideal, 2),
        "collect_ratio_to_ideal": round(collected / ideal, 2),
        "cpu_s": round(sum(s["cpu_s"] for s in shards), 2),
        "peak_rss_mb_per_shard": max(s["peak_rss_mb"] for s in shards),
        "peak_in_flight": stats["peak_in_flight"],
        "merged_findings_identical": same,
        "per_shard": shards,
    }


def _verdict_bytes(root: Path) -> bytes:
    """findings.json of the snapshot, less what names the snapshot itself (its manifest digest)."""
    import orjson

    from reporter.pack.model import PackOptions, build_pack
    from reporter.render.json_report import findings_document
    from reporter.snapshot.reader import Snapshot

    snapshot = Snapshot.open(root)
    doc = findings_document(build_pack(snapshot, PackOptions()))
    doc.pop("snapshot")
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).replace(snapshot.digest.encode(), b"<snapshot>")


def _collect_once(
    world: Servers, mode: str, regions: tuple[str, ...], workers: int, keep: Path | None = None, processes: int = 1
) -> tuple[CollectSummary, dict[str, float], dict[str, Any]]:
    """One collection; its CPU is this process's and its children's (collect --processes)."""

    world.ask_proxy(mode)
    proxy_cpu, moto_cpu = world.ask_proxy("stats")["cpu"], world.ask_moto("cpu")
    with tempfile.TemporaryDirectory() as tmp:
        cpu_start, started = _cpu(), time.monotonic()
        summary = _collect(keep or Path(tmp) / "snap", regions, workers, processes=processes)
        wall = time.monotonic() - started
        cpu = _cpu() - cpu_start
    rss = peak_rss_mb()
    stats = world.ask_proxy("stats")
    times = {
        "wall": wall,
        "collector": cpu,
        "moto": world.ask_moto("cpu") - moto_cpu,
        "proxy": stats["cpu"] - proxy_cpu,
        "rss_mb": rss,
    }
    return summary, times, stats


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (os.times)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _figures(
    summary: CollectSummary,
    times: dict[str, float],
    stats: dict[str, Any],
    accounts_of: dict[str, str],
    workers: int,
    latency: float,
) -> dict[str, Any]:
    lookups: dict[str, list[float]] = defaultdict(list)
    for key, region, stamps in stats["lookups"]:
        lookups[f"{accounts_of[key]}/{region}"] += stamps
    wall = times["wall"]
    per_account = sorted(summary.calls_by_account.values())
    ideal = max(summary.api_calls * latency / workers, 1e-9)
    peaks = {key: max_per_second(s) for key, s in lookups.items()}
    gaps = [b - a for s in lookups.values() for a, b in zip(sorted(s), sorted(s)[1:], strict=False)]
    return {
        "api_calls": summary.api_calls,
        "http_requests": stats["requests"],
        "errors": summary.errors,
        "replay_misses": stats["missed"],
        "calls_per_account": {
            "min": per_account[0],
            "median": per_account[len(per_account) // 2],
            "max": per_account[-1],
            "mean": round(summary.api_calls / summary.accounts, 1),
        },
        "calls_by_api": summary.calls_by_api,
        "wall_s": round(wall, 2),
        "collector_cpu_s": round(times["collector"], 2),
        "moto_cpu_s": round(times["moto"], 2),
        "proxy_cpu_s": round(times["proxy"], 2),
        # The process's peak so far (this run and those before it in the same process).
        "collector_peak_rss_mb": round(times["rss_mb"]),
        "concurrency": workers,
        "peak_requests_in_flight": stats["peak_in_flight"],
        "mean_requests_in_flight": round(stats["busy"] / wall, 1),
        "moto_ms_per_request": {
            "mean": round(stats["moto"] / max(stats["requests"], 1) * 1000, 1),
            "max": round(stats["moto_max"] * 1000, 1),
        },
        "ideal_s": round(ideal, 2),
        "ratio_to_ideal": round(wall / ideal, 2),
        "target_ratio": TARGET_RATIO,
        "within_target": wall / ideal <= TARGET_RATIO,
        "lookup_events_requests": sum(len(s) for s in lookups.values()),
        "lookup_events_keys": len(peaks),
        "lookup_events_max_per_second_any_key": max(peaks.values(), default=0),
        "lookup_events_min_gap_s": round(min(gaps), 3) if gaps else None,
        "lookup_rate_respected": max(peaks.values(), default=0) <= 2,
        "concurrency_respected": stats["peak_in_flight"] <= workers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 accounts: a smoke run")
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--regions", default="eu-west-1,us-east-1")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--pages", type=int, default=3, help="LookupEvents pages per account in us-east-1")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="then collect again against the recorded answers (moto idle): the collector alone",
    )
    parser.add_argument(
        "--shards", type=int, default=0, help="with --replay: then as N shards in N processes, merged and compared"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="with --replay: then as one collect --processes N (one snapshot), its findings compared",
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    args = parser.parse_args(argv)
    accounts = args.accounts or (10 if args.quick else 100)
    regions = tuple(r for r in args.regions.split(",") if r)
    result = run(accounts, regions, args.workers, args.latency_ms, args.pages, args.replay, args.shards, args.processes)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    runs = [result, *(result[k] for k in ("replay", "processes") if k in result)]
    ok = all(
        r["lookup_rate_respected"] and r["errors"] == 0 and r["concurrency_respected"] and not r["replay_misses"]
        for r in runs
    )
    if "shards" in result:
        sharded = result["shards"]
        ok = ok and sharded["merged_findings_identical"] and not sharded["errors"] and not sharded["replay_misses"]
    if "processes" in result:
        ok = ok and result["processes"]["findings_identical_to_one_process"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
