"""Credentials, clients and call counting: one boto3 Session per account, clients reused,
one botocore data loader for all, and the pacing hooks (rate limiter, in-flight gate).

boto3 Sessions are not safe to create clients from concurrently, so every client of an account
is made under that account's lock, once per (service, region), and then shared: botocore
clients themselves are thread-safe. Credentials come from boto3's default chain (environment,
profiles including SSO, instance roles) and AWS_ENDPOINT_URL is honoured by boto3 itself. They
live only in memory: nothing here logs or returns them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.loaders import Loader, create_loader

from reporter import __version__
from reporter.collect.ratelimit import ConcurrencyGate, RateLimiter

# IAM, Organizations and the region list are global services answered in one region per partition.
HOME_REGIONS = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}
SESSION_NAME = "reporter-collect"
# Operations held to the LookupEvents quota, per (account, region).
RATE_LIMITED = ("cloudtrail", "LookupEvents")


def home_region(partition: str) -> str:
    return HOME_REGIONS.get(partition, "us-east-1")


def partition_of(arn: str) -> str:
    return arn.split(":")[1] if arn.count(":") >= 5 else "aws"


class ApiCounter:
    """Counts API calls (not HTTP attempts) per account and per `service:Operation`."""

    def __init__(self, on_call: Callable[[int], None] | None = None) -> None:
        self._lock = threading.Lock()
        self.by_api: Counter[str] = Counter()
        self.by_account: Counter[str] = Counter()
        self.total = 0
        self._on_call = on_call

    def rename(self, old: str, new: str) -> None:
        """Move `old`'s calls to `new` (the caller's account is known only after its first call)."""
        with self._lock:
            if old in self.by_account:
                self.by_account[new] += self.by_account.pop(old)

    def add(self, account: str, api: str) -> None:
        with self._lock:
            self.by_api[api] += 1
            self.by_account[account] += 1
            self.total += 1
            total = self.total
        if self._on_call is not None:
            self._on_call(total)


def client_config(max_attempts: int, max_workers: int) -> Config:
    # Adaptive mode adds client-side rate limiting on top of retries with backoff: the right
    # response to the throttling that a whole organization's worth of calls provokes.
    return Config(retries={"mode": "adaptive", "max_attempts": max_attempts},
                  max_pool_connections=max(10, max_workers),
                  user_agent_extra=f"reporter/{__version__}")


class ClientFactory:
    """Makes the clients of every account of a run from one botocore data loader.

    A loader caches the service models, endpoint rulesets and partition data it has read; each new
    botocore session otherwise builds its own loader and re-reads and re-parses those JSON files
    (~40 ms of CPU per client on a small VM, under the GIL: most of the collector's CPU, see
    bench/COLLECT.md). The first client of each service is made under a lock, so that threads
    entering accounts at the same time do not all parse the same model before it is cached.
    """

    def __init__(self) -> None:
        self.loader: Loader = create_loader()
        self._ready: set[str] = set()
        self._lock = threading.Lock()

    def adopt(self, core: botocore.session.Session) -> None:
        """Make `core` use the shared loader (call after wrapping it in a boto3.Session, which
        appends its resource-model path to the session's loader: once per account otherwise)."""
        core.register_component("data_loader", self.loader)

    def create(self, session: boto3.Session, service: str, region: str, config: Config) -> Any:
        if service in self._ready:
            return session.client(service, region_name=region, config=config)
        with self._lock:
            client = session.client(service, region_name=region, config=config)
            self._ready.add(service)
            return client


class ClientPool:
    """The clients of one account: created under a lock, reused per (service, region).

    With a `gate`, every HTTP request of these clients holds one of the run's in-flight permits
    from `before-send` (after signing, just before the socket) until its response is received;
    `priority` puts this pool's requests first in the gate's queue (the caller's: the
    organization walk is sequential). Rate-limited operations take their limiter slot at the
    same moment, with the permit held, and give the permit back while they wait for the slot.
    """

    def __init__(self, account: str, session: boto3.Session, *, config: Config,
                 counter: ApiCounter, limiter: RateLimiter | None = None, gate: ConcurrencyGate | None = None,
                 factory: ClientFactory | None = None, priority: bool = False) -> None:
        self.account = account
        self.session = session
        self._config = config
        self._counter = counter
        self._limiter = limiter
        self._gate = gate
        self._factory = factory
        self._priority = priority
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                made = (self._factory.create(self.session, service, region, self._config) if self._factory
                        else self.session.client(service, region_name=region, config=self._config))
                self._clients[key] = self._instrument(made, service, region)
            return self._clients[key]

    def put(self, service: str, region: str, client: Any) -> Any:
        """Use `client` for (service, region): tests hand in clients wired to a botocore Stubber."""
        with self._lock:
            self._clients[(service, region)] = self._instrument(client, service, region)
            return client

    def _instrument(self, client: Any, service: str, region: str) -> Any:
        counter = self._counter
        events = client.meta.events

        def count(model: Any, **_: Any) -> None:
            # self.account, read at call time: the caller's pool learns its account from its first call.
            counter.add(self.account, f"{service}:{model.name}")

        # before-parameter-build fires once per API call (retries do not fire it again) and,
        # unlike before-call, is emitted to every handler, so a Stubber cannot hide a call.
        events.register("before-parameter-build", count)
        gate, limiter, priority = self._gate, self._limiter, self._priority
        paced = threading.local()  # set when this thread's next request is a rate-limited one

        def pace() -> None:
            assert limiter is not None
            key = (self.account, region)
            while True:
                if gate is not None:
                    gate.enter(priority=priority)
                wait = limiter.take(key)
                if wait <= 0:
                    return
                if gate is not None:
                    gate.leave()  # no other request waits behind a paced page
                limiter.pause(wait)

        def send(**_: Any) -> None:
            if getattr(paced, "on", False):
                paced.on = False
                pace()
            elif gate is not None:
                gate.enter(priority=priority)

        if limiter is not None and service == RATE_LIMITED[0]:
            # request-created fires before every HTTP attempt (retries included: the quota
            # counts requests) but before signing; the slot itself is taken in `send`.
            events.register(f"request-created.{service}.{RATE_LIMITED[1]}", lambda **_: setattr(paced, "on", True))
        if gate is not None or limiter is not None:
            # The last before-send handler: after botocore's own (adaptive retries may wait there),
            # immediately before the request goes to the socket. AWS counts requests as they arrive.
            events.register_last("before-send", send)
        if gate is not None:
            # response-received follows every attempt, even a failed one; after-call-error
            # covers an exception anywhere else. leave() is a no-op without a held permit.
            events.register("response-received", lambda **_: gate.leave())
            events.register("after-call-error", lambda **_: gate.leave())
        return client


def caller_session(profile: str | None) -> boto3.Session:
    return boto3.Session(profile_name=profile) if profile else boto3.Session()


def assumed_session(sts: Any, *, role_arn: str, external_id: str | None, region: str,
                    profile: str | None, factory: ClientFactory | None = None) -> boto3.Session:
    """A Session on `role_arn`'s credentials, refreshed by AssumeRole again before they expire.

    With `factory`, the session uses the run's shared data loader. Raises the ClientError of the
    first AssumeRole (e.g. AccessDenied) for the caller to record.
    """
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id

    def fetch() -> dict[str, str]:
        credentials = sts.assume_role(**params)["Credentials"]
        return {"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"], "expiry_time": credentials["Expiration"].isoformat()}

    refreshable = RefreshableCredentials.create_from_metadata(fetch(), refresh_using=fetch,
                                                              method="sts-assume-role")
    core = botocore.session.Session(profile=profile)
    # botocore has no public setter for ready-made refreshable credentials; this private
    # attribute is what its own credential resolver fills, and the usual way to do it.
    core._credentials = refreshable
    session = boto3.Session(botocore_session=core, region_name=region)
    if factory is not None:
        factory.adopt(core)
    return session
