"""Credentials, clients and call counting: one boto3 Session per account, clients reused.

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

from reporter import __version__
from reporter.collect.ratelimit import RateLimiter

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


class ClientPool:
    """The clients of one account: created under a lock, reused per (service, region)."""

    def __init__(self, account: str, session: boto3.Session, *, config: Config,
                 counter: ApiCounter, limiter: RateLimiter | None = None) -> None:
        self.account = account
        self.session = session
        self._config = config
        self._counter = counter
        self._limiter = limiter
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._instrument(
                    self.session.client(service, region_name=region, config=self._config), service, region)
            return self._clients[key]

    def put(self, service: str, region: str, client: Any) -> Any:
        """Use `client` for (service, region): tests hand in clients wired to a botocore Stubber."""
        with self._lock:
            self._clients[(service, region)] = self._instrument(client, service, region)
            return client

    def _instrument(self, client: Any, service: str, region: str) -> Any:
        counter = self._counter

        def count(model: Any, **_: Any) -> None:
            # self.account, read at call time: the caller's pool learns its account from its first call.
            counter.add(self.account, f"{service}:{model.name}")

        # before-parameter-build fires once per API call (retries do not fire it again) and,
        # unlike before-call, is emitted to every handler, so a Stubber cannot hide a call.
        client.meta.events.register("before-parameter-build", count)
        if self._limiter is not None and service == RATE_LIMITED[0]:
            limiter = self._limiter
            # request-created fires before every HTTP attempt, retries included: the quota
            # counts requests, so the limiter does too.
            client.meta.events.register(f"request-created.{service}.{RATE_LIMITED[1]}",
                                        lambda **_: limiter.acquire((self.account, region)))
        return client


def caller_session(profile: str | None) -> boto3.Session:
    return boto3.Session(profile_name=profile) if profile else boto3.Session()


def assumed_session(sts: Any, *, role_arn: str, external_id: str | None, region: str,
                    profile: str | None) -> boto3.Session:
    """A Session on `role_arn`'s credentials, refreshed by AssumeRole again before they expire.

    Raises the ClientError of the first AssumeRole (e.g. AccessDenied) for the caller to record.
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
    return boto3.Session(botocore_session=core, region_name=region)
