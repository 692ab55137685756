"""Collector pieces without moto: the rate limiter (injected clock), the credential-report
state machine and IAM error paths (botocore Stubber), periods, failure messages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from botocore.utils import parse_timestamp

from reporter.collect import CollectOptions
from reporter.collect.context import Context, Failure
from reporter.collect.iam import MAX_WAIT, collect_iam
from reporter.collect.monitoring import trail_log_groups
from reporter.collect.ratelimit import ConcurrencyGate, RateLimiter
from reporter.collect.session import (
    SESSION_NAME,
    ApiCounter,
    ClientPool,
    SharedClients,
    SignedAsAnother,
    assumed_credentials,
    client_config,
    utc_timestamp,
)
from reporter.core.period import month_period
from reporter.snapshot.manifest import Manifest
from reporter.snapshot.writer import SnapshotWriter, dumps_json

ACCOUNT = "111122223333"
NOW = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)


# ---------------------------------------------------------------- rate limiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def max_in_window(times: list[float], width: float = 1.0) -> int:
    times = sorted(times)
    return max(sum(1 for u in times if t <= u < t + width) for t in times)


@pytest.mark.parametrize(("rate", "margin"), [(2.0, 0.0), (2.0, 0.1), (5.0, 0.0), (0.5, 0.1)])
def test_limiter_never_exceeds_rate_per_second(rate: float, margin: float) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate, margin=margin, clock=clock, sleep=clock.sleep)
    starts = [limiter.acquire(("a", "us-east-1")) for _ in range(25)]
    assert max_in_window(starts) <= max(1, int(rate))
    assert starts[0] == 100.0 and clock.slept  # first request immediate, later ones waited
    assert starts[-1] - starts[0] == pytest.approx(24 * (1 / rate + margin))  # and no slower than that


def test_limiter_keys_are_independent_and_threads_share_a_key_safely() -> None:
    frozen = FakeClock()  # time that never advances by itself: only the limiter's waits move it
    limiter = RateLimiter(2.0, clock=frozen, sleep=lambda s: frozen.slept.append(s))
    starts: dict[str, list[float]] = {"us-east-1": [], "eu-west-1": []}
    lock = threading.Lock()

    def worker(region: str) -> None:
        for _ in range(10):
            t = limiter.acquire(("a", region))
            with lock:
                starts[region].append(t)

    threads = [threading.Thread(target=worker, args=(r,)) for r in starts for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for times in starts.values():
        times.sort()
        assert len(times) == 40 and max_in_window(times) <= 2  # no slot doubled
        assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.5 - 1e-9
    # an idle key may start at once again: spacing never accumulates into a burst
    clock = FakeClock()
    assert RateLimiter(2.0, clock=clock, sleep=clock.sleep).acquire("x") == clock.now


def test_a_skipped_sleep_counts_as_waited() -> None:
    """Tests and the demo build pass a no-op sleep: the limiter must not spin on the real clock."""
    calls: list[float] = []
    limiter = RateLimiter(2.0, margin=0.1, sleep=calls.append)  # real clock, no-op sleep
    starts = [limiter.acquire("k") for _ in range(5)]
    assert calls == pytest.approx([0.6] * 4, abs=0.01)  # one pause per request, as asked
    assert all(b - a >= 0.6 - 1e-9 for a, b in zip(starts, starts[1:], strict=False))


def test_gate_bounds_requests_in_flight_and_serves_priority_first() -> None:
    gate = ConcurrencyGate(3)
    now_in: list[int] = []
    lock = threading.Lock()
    inside = 0

    def request() -> None:
        nonlocal inside
        gate.enter()
        gate.enter()  # idempotent: one permit per thread
        with lock:
            inside += 1
            now_in.append(inside)
        time.sleep(0.01)
        with lock:
            inside -= 1
        gate.leave()
        gate.leave()  # a second leave releases nothing

    threads = [threading.Thread(target=request) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(now_in) == 3 == gate.peak and gate.in_flight == 0

    one = ConcurrencyGate(1)
    one.enter()
    order: list[str] = []

    def waiter(name: str, priority: bool) -> None:
        one.enter(priority=priority)
        order.append(name)
        one.leave()

    normal = threading.Thread(target=waiter, args=("normal", False))
    normal.start()
    time.sleep(0.05)  # the normal request queues first …
    urgent = threading.Thread(target=waiter, args=("urgent", True))
    urgent.start()
    time.sleep(0.05)
    one.leave()  # … the urgent one still goes first
    normal.join()
    urgent.join()
    assert order == ["urgent", "normal"]


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def test_lookup_events_take_their_slot_at_send_so_arrivals_keep_the_rate() -> None:
    """Requests that are delayed after they were built (signing, a thread waiting for the GIL)
    must not arrive closer together: the slot is taken at before-send, the last handler."""
    clock = FakeClock()
    limiter = RateLimiter(2.0, margin=0.1, clock=clock, sleep=clock.sleep)
    gate = ConcurrencyGate(4)
    session = boto3.Session(aws_access_key_id="AKIDTEST", aws_secret_access_key="not-a-secret", region_name="us-east-1")
    pool = ClientPool(
        ACCOUNT, SharedClients(session, config=client_config(1, 1), counter=ApiCounter(), limiter=limiter, gate=gate)
    )
    cloudtrail = pool.client("cloudtrail", "us-east-1")
    delays = iter([0.0, 0.45, 0.0, 0.3, 0.0, 0.0, 0.55, 0.0])
    arrivals: list[float] = []
    held: list[bool] = []

    def slow_before_send(**_: Any) -> None:  # what happens between building and sending
        clock.now += next(delays)

    def arrive(request: Any, **_: Any) -> AWSResponse:  # the server: records when a request arrives
        arrivals.append(clock.now)
        held.append(gate.holds())
        return AWSResponse(request.url, 200, {}, _Body(b'{"Events": []}'))

    cloudtrail.meta.events.register_first("request-created.cloudtrail.LookupEvents", slow_before_send)
    cloudtrail.meta.events.register_last("before-send", arrive)
    for _ in range(8):
        cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "root"}])
    assert len(arrivals) == 8 and all(held) and gate.in_flight == 0
    assert max_in_window(arrivals) <= 2
    assert min(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 0.6 - 1e-9
    # other operations are not paced
    clock.slept.clear()
    cloudtrail.meta.events.unregister("before-send", arrive)
    cloudtrail.meta.events.register_last(
        "before-send", lambda request, **_: AWSResponse(request.url, 200, {}, _Body(b'{"trailList": []}'))
    )
    cloudtrail.describe_trails()
    cloudtrail.describe_trails()
    assert clock.slept == [] and gate.in_flight == 0


# ---------------------------------------------------------------- IAM with a Stubber


def context(tmp_path: Path, slept: list[float]) -> tuple[Context, Stubber, SnapshotWriter]:
    writer = SnapshotWriter(tmp_path / "snap", tool_version="t", period_start=START, period_end=END, as_of=NOW)
    session = boto3.Session(aws_access_key_id="AKIDTEST", aws_secret_access_key="not-a-secret", region_name="us-east-1")
    counter = ApiCounter()
    pool = ClientPool(ACCOUNT, SharedClients(session, config=client_config(1, 1), counter=counter))
    iam = pool.client("iam", "us-east-1")
    ctx = Context(ACCOUNT, pool, writer, lambda: NOW, slept.append, "us-east-1", artifact_account=ACCOUNT)
    return ctx, Stubber(iam), writer


def finish(writer: SnapshotWriter) -> Manifest:
    writer.add_account(ACCOUNT)
    return writer.finalize(collected_at=NOW)


CSV = b"user,arn\n<root_account>,arn:aws:iam::111122223333:root\n"
REPORT = {"Content": CSV, "ReportFormat": "text/csv", "GeneratedTime": datetime(2026, 11, 1, 5, 58, 41, tzinfo=UTC)}
SUMMARY = {"SummaryMap": {"AccountMFAEnabled": 1}}
MFA = {"VirtualMFADevices": [], "IsTruncated": False}
POLICY = {"PasswordPolicy": {"MinimumPasswordLength": 14}}


def stub_rest(stub: Stubber, *, summary: Any = SUMMARY, policy: Any = POLICY) -> None:
    for operation, answer in (
        ("get_account_summary", summary),
        ("list_virtual_mfa_devices", MFA),
        ("get_account_password_policy", policy),
    ):
        if isinstance(answer, tuple):
            stub.add_client_error(
                operation, service_error_code=answer[0], service_message=answer[1], http_status_code=answer[2]
            )
        else:
            stub.add_response(operation, answer)


def ok(manifest: Manifest, api: str) -> Any:
    (artifact,) = manifest.artifacts_for(api=api)
    return artifact


def test_report_in_progress_is_polled_with_backoff(tmp_path: Path) -> None:
    slept: list[float] = []
    ctx, stub, writer = context(tmp_path, slept)
    stub.add_response("generate_credential_report", {"State": "STARTED"})
    stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_client_error("get_credential_report", "ReportInProgress", "in progress", 404)
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", REPORT)
    stub_rest(stub)
    with stub:
        collect_iam(ctx)
    stub.assert_no_pending_responses()
    manifest = finish(writer)
    report = ok(manifest, "iam:GetCredentialReport")
    assert report.status == "ok" and report.params == {"GeneratedTime": "2026-11-01T05:58:41Z"}
    assert (tmp_path / "snap" / report.path).read_bytes() == CSV
    assert slept == [1.0, 2.0, 4.0]
    assert report.collected_at == NOW


def test_expired_report_is_generated_again(tmp_path: Path) -> None:
    slept: list[float] = []
    ctx, stub, writer = context(tmp_path, slept)
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_client_error("get_credential_report", "ReportExpired", "expired", 410)
    stub.add_response("generate_credential_report", {"State": "STARTED"})
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", REPORT)
    stub_rest(stub)
    with stub:
        collect_iam(ctx)
    stub.assert_no_pending_responses()
    assert ok(finish(writer), "iam:GetCredentialReport").status == "ok"


def test_report_that_never_completes_is_an_error_after_the_wait(tmp_path: Path) -> None:
    slept: list[float] = []
    ctx, stub, writer = context(tmp_path, slept)
    for _ in range(15):
        stub.add_response("generate_credential_report", {"State": "INPROGRESS"})
    stub_rest(stub)
    with stub:
        collect_iam(ctx)
    report = ok(finish(writer), "iam:GetCredentialReport")
    assert report.status == "error" and report.error.code == "ReportInProgress"
    assert MAX_WAIT <= sum(slept) < MAX_WAIT + 60 and max(slept) == 30.0


def test_access_denied_on_one_call_leaves_the_others(tmp_path: Path) -> None:
    ctx, stub, writer = context(tmp_path, [])
    message = "User: arn:aws:sts::111122223333:assumed-role/Audit/x is not authorized to perform: iam:GenerateCredentialReport"  # noqa: E501 - the message as AWS words it
    stub.add_client_error("generate_credential_report", "AccessDenied", message, 403)
    stub_rest(stub, summary=("AccessDenied", "no summary for you", 403))
    with stub:
        collect_iam(ctx)
    manifest = finish(writer)
    report, summary = ok(manifest, "iam:GetCredentialReport"), ok(manifest, "iam:GetAccountSummary")
    assert (report.status, report.error.code, report.error.message) == ("error", "AccessDenied", message)
    assert report.path is None and report.region == "us-east-1" and report.account == ACCOUNT
    assert (summary.status, summary.error.code) == ("error", "AccessDenied")
    assert ok(manifest, "iam:ListVirtualMFADevices").status == "ok"
    assert ok(manifest, "iam:GetAccountPasswordPolicy").status == "ok"


def test_missing_password_policy_is_evidence(tmp_path: Path) -> None:
    ctx, stub, writer = context(tmp_path, [])
    stub.add_response("generate_credential_report", {"State": "COMPLETE"})
    stub.add_response("get_credential_report", REPORT)
    text = f"The Password Policy with domain name {ACCOUNT} cannot be found."
    stub_rest(stub, policy=("NoSuchEntity", text, 404))
    with stub:
        collect_iam(ctx)
    policy = ok(finish(writer), "iam:GetAccountPasswordPolicy")
    assert policy.status == "ok"
    assert (tmp_path / "snap" / policy.path).read_bytes() == (
        b'{\n  "Error": {\n    "Code": "NoSuchEntity",\n    "Message": "' + text.encode() + b'"\n  }\n}\n'
    )


def test_calls_are_counted_per_account_and_api(tmp_path: Path) -> None:
    ctx, _, _ = context(tmp_path, [])
    counter = ApiCounter()
    pool = ClientPool(ACCOUNT, SharedClients(ctx.clients.shared.session, config=client_config(1, 1), counter=counter))
    iam = pool.client("iam", "us-east-1")
    with Stubber(iam) as s:
        s.add_response("get_account_summary", SUMMARY)
        s.add_response("get_account_summary", SUMMARY)
        iam.get_account_summary()
        iam.get_account_summary()
    assert counter.total == 2 and counter.by_api == {"iam:GetAccountSummary": 2} and counter.by_account[ACCOUNT] == 2


# ---------------------------------------------------------------- small pure pieces


def test_failure_of_a_throttled_call_says_how_often_it_tried() -> None:
    exc = ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"RetryAttempts": 9},
        },
        "LookupEvents",
    )
    assert Failure.of(exc) == Failure("ThrottlingException", "Rate exceeded (gave up after 10 attempts)", attempts=10)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("2026-10", NOW, (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))),
        ("2026-12", NOW, (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))),
        ("last-month", NOW, (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))),
        (
            "last-month",
            datetime(2027, 1, 3, tzinfo=UTC),
            (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ),
    ],
)
def test_month_period(text: str, now: datetime, expected: tuple[datetime, datetime]) -> None:
    assert month_period(text, now) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "october", ""])
def test_bad_period(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        month_period(text, NOW)


def test_options_validate() -> None:
    with pytest.raises(ValueError, match="12 digits"):
        CollectOptions(out=Path("x"), period_start=START, period_end=END, accounts=("1234",))
    with pytest.raises(ValueError, match="time zone"):
        CollectOptions(out=Path("x"), period_start=datetime(2026, 10, 1), period_end=END)


def test_trail_log_groups_keep_own_account_and_parse_the_arn() -> None:
    trails = [
        {"CloudWatchLogsLogGroupArn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:aws/ct:with:colons:*"},
        {"CloudWatchLogsLogGroupArn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:second:*"},
        {"CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:999999999999:log-group:org:*"},
        {"TrailARN": "no log group"},
    ]
    assert trail_log_groups(trails, ACCOUNT) == {"eu-west-1": ["aws/ct:with:colons", "second"]}


def _assumed(sts: Any, n: int, external_id: str | None = None) -> Any:
    role = f"arn:aws:iam::00000000000{n}:role/R"
    expected = {"RoleArn": role, "RoleSessionName": SESSION_NAME} | ({"ExternalId": external_id} if external_id else {})
    with Stubber(sts) as stub:
        stub.add_response(
            "assume_role",
            {
                "Credentials": {
                    "AccessKeyId": f"ASIATESTTESTTEST{n}",
                    "SecretAccessKey": "s",
                    "SessionToken": "t",
                    "Expiration": datetime(2030, 1, 1, tzinfo=UTC),
                }
            },
            expected,
        )
        return assumed_credentials(sts, role_arn=role, external_id=external_id)


@pytest.mark.parametrize("external_id", [None, "reporter-7f3a"])
def test_assume_role_sends_the_external_id_only_when_given(external_id: str | None) -> None:
    # Stubber refuses a call whose parameters differ from `expected`: a missing or extra
    # ExternalId fails here, as the deployed role's trust condition would.
    sts = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b").client("sts", region_name="us-east-1")
    credentials = _assumed(sts, 1, external_id)
    assert credentials.get_frozen_credentials().access_key == "ASIATESTTESTTEST1"


def _signed_with(client: Any, keys: list[str], body: str = '{"trailList": []}') -> None:
    """Answer every request of `client` locally, recording the access key it was signed with;
    `body` is formatted with the number of requests so far."""

    def answer(request: Any, **_: Any) -> AWSResponse:
        keys.append(request.headers["Authorization"].decode().split("Credential=")[1].split("/")[0])
        return AWSResponse(request.url, 200, {}, _Body(body.replace("{n}", str(len(keys))).encode()))

    client.meta.events.register_last("before-send", answer)


@pytest.mark.credential_hook
def test_accounts_share_one_client_and_each_request_is_signed_as_its_account() -> None:
    """A client per account (and a session) was most of the collector's CPU: one client per
    (service, region) now serves every account, each request signed with its account's key."""
    caller = boto3.Session(
        aws_access_key_id="AKIDCALLER", aws_secret_access_key="not-a-secret", region_name="us-east-1"
    )
    counter = ApiCounter()
    shared = SharedClients(caller, config=client_config(1, 1), counter=counter)
    me = ClientPool("caller", shared)
    sts = me.client("sts", "us-east-1")
    pools = [ClientPool(f"00000000000{n}", shared, credentials=_assumed(sts, n)) for n in range(2)]
    clients = [p.client("cloudtrail", "eu-west-1") for p in [me, *pools]]
    assert len({id(c._client) for c in clients}) == 1
    keys: list[str] = []
    _signed_with(clients[0]._client, keys)
    for client in [*clients, *reversed(clients)]:
        client.describe_trails()
    assert keys == [
        "AKIDCALLER",
        "ASIATESTTESTTEST0",
        "ASIATESTTESTTEST1",
        "ASIATESTTESTTEST1",
        "ASIATESTTESTTEST0",
        "AKIDCALLER",
    ]
    assert counter.by_account == {"caller": 4, "000000000000": 2, "000000000001": 2}


@pytest.mark.credential_hook
def test_paginated_calls_are_bound_page_by_page_across_interleaved_accounts() -> None:
    caller = boto3.Session(aws_access_key_id="AKIDCALLER", aws_secret_access_key="x", region_name="us-east-1")
    shared = SharedClients(caller, config=client_config(1, 1), counter=ApiCounter())
    sts = ClientPool("caller", shared).client("sts", "us-east-1")
    first, second = (ClientPool(f"00000000000{n}", shared, credentials=_assumed(sts, n)) for n in range(2))
    keys: list[str] = []
    _signed_with(shared.client("cloudtrail", "us-east-1"), keys, '{"Events": [], "NextToken": "page{n}"}')
    pages = [p.client("cloudtrail", "us-east-1").get_paginator("lookup_events").paginate() for p in (first, second)]
    iterators = [iter(p) for p in pages]
    for _ in range(2):
        for it in iterators:
            next(it)  # the other account's pages run in between
    assert keys == ["ASIATESTTESTTEST0", "ASIATESTTESTTEST1"] * 2


def test_a_shared_client_called_without_an_account_refuses() -> None:
    caller = boto3.Session(aws_access_key_id="AKIDCALLER", aws_secret_access_key="x", region_name="us-east-1")
    shared = SharedClients(caller, config=client_config(1, 1), counter=ApiCounter())
    with pytest.raises(RuntimeError, match="no account bound"):
        shared.client("cloudtrail", "us-east-1").describe_trails()


@pytest.mark.credential_hook
def test_a_request_signed_with_another_key_fails_instead_of_being_filed_under_the_account() -> None:
    """If botocore ever ignored the per-request credentials, the caller's key would sign the
    member account's request: the answer (the caller's data) must not become its evidence."""
    caller = boto3.Session(aws_access_key_id="AKIDCALLER", aws_secret_access_key="x", region_name="us-east-1")
    shared = SharedClients(caller, config=client_config(1, 1), counter=ApiCounter())
    sts = ClientPool("caller", shared).client("sts", "us-east-1")
    pool = ClientPool("000000000000", shared, credentials=_assumed(sts, 0))
    cloudtrail = pool.client("cloudtrail", "us-east-1")
    cloudtrail.meta.events.register("before-sign", lambda request, **_: request.context["signing"].clear())
    keys: list[str] = []
    _signed_with(shared.client("cloudtrail", "us-east-1"), keys)
    with pytest.raises(SignedAsAnother, match="000000000000"):
        cloudtrail.describe_trails()
    assert keys == []


TIMESTAMPS = [
    1727740800,
    1727740800.123,
    "1727740800",
    "2026-10-01T00:00:00Z",
    "2026-10-01T00:00:00.123Z",
    "2026-10-01T00:00:00+02:00",
    "2026-10-01T00:00:00",
    "2026-10-01",
    "Tue, 01 Oct 2026 00:00:00 GMT",
]


@pytest.fixture
def time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("value", TIMESTAMPS)
def test_timestamps_are_stored_as_botocore_reads_them(value: object, time_zone: Callable[[str], None]) -> None:
    time_zone("UTC")
    assert dumps_json(utc_timestamp(value)) == dumps_json(parse_timestamp(value))


@pytest.mark.parametrize("value", [v for v in TIMESTAMPS if str(v).replace(".", "").isdigit()])
def test_epoch_timestamps_are_utc_wherever_the_collector_runs(value: object, time_zone: Callable[[str], None]) -> None:
    time_zone("America/New_York")
    read = utc_timestamp(value)
    assert read.utcoffset() == timedelta(0) and read == parse_timestamp(value)  # botocore's: -04:00
