"""Credentials, clients and call counting: one set of clients for the whole run, every call
made as one account, and the pacing hooks (rate limiter, in-flight gate).

A botocore client costs ~10-50 ms of CPU to build (its service model, ~700 methods for EC2, a
copy of the session's event handlers, an HTTP pool), and a session ~15 ms more: per account, that
was most of the collector's CPU (bench/COLLECT.md). So the run builds one client per (service,
region), from the caller's session (its profile, endpoint and CA settings apply), and every
account speaks through it with its own credentials: `ClientPool.client` returns a `BoundClient`
that binds the account to the thread for each call (and each page), and a `before-call` handler
puts the account's credentials in the request's signing context (`request_credentials`, what
botocore's own S3 Express support uses). A check at send time makes sure the request was signed
with the account's key: evidence can never be collected as one account and filed under another.

Credentials come from boto3's default chain (environment, profiles including SSO, instance
roles); assumed roles are refreshed by AssumeRole again before they expire. They live only in
memory: nothing here logs or returns them.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, cast

import boto3
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.exceptions import BotoCoreError
from botocore.utils import parse_timestamp

from reporter import __version__
from reporter.collect.options import CONNECT_TIMEOUT, READ_TIMEOUT
from reporter.collect.ratelimit import ConcurrencyGate, RateLimiter
from reporter.core.truncation import refuse_cut_bodies

SESSION_NAME = "reporter-collect"
# Operations held to the LookupEvents quota, per (account, region).
RATE_LIMITED = ("cloudtrail", "LookupEvents")


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

    def absorb(self, by_api: dict[str, int], by_account: dict[str, int]) -> None:
        """Add the counts of a child process (collect --processes)."""
        with self._lock:
            self.by_api.update(by_api)
            self.by_account.update(by_account)
            self.total += sum(by_api.values())

    def add(self, account: str, api: str) -> None:
        with self._lock:
            self.by_api[api] += 1
            self.by_account[account] += 1
            self.total += 1
            total = self.total
        if self._on_call is not None:
            self._on_call(total)


def client_config(
    max_attempts: int, max_workers: int, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT
) -> Config:
    # Adaptive mode adds client-side rate limiting on top of retries with backoff: the right
    # response to the throttling that a whole organization's worth of calls provokes.
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        max_pool_connections=max(10, max_workers),
        user_agent_extra=f"reporter/{__version__}",
    )


class SignedAsAnother(BotoCoreError):
    fmt = "request for account {account} was not signed with its credentials ({reason})"


class ClientPool:
    """One account's view of the run's clients: what it calls through is bound to `account`.

    `credentials` None: the session's own (the caller). `priority` puts this account's requests
    first in the gate's queue (the caller's: the organization walk is on the critical path).
    """

    def __init__(
        self, account: str, clients: SharedClients, *, credentials: Credentials | None = None, priority: bool = False
    ) -> None:
        self.account = account  # the caller's pool learns its account from its first call
        self.shared = clients
        self.credentials = credentials
        self.priority = priority

    @property
    def region(self) -> str | None:
        return self.shared.session.region_name

    def client(self, service: str, region: str) -> BoundClient:
        return BoundClient(self.shared.client(service, region), self)

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`method(*args, **kwargs)` with this account bound to the thread."""
        previous = getattr(_speaker, "pool", None)
        _speaker.pool = self
        try:
            return method(*args, **kwargs)
        finally:
            _speaker.pool = previous


_speaker = threading.local()  # the ClientPool whose call this thread is making


def speaker() -> ClientPool:
    pool = getattr(_speaker, "pool", None)
    if pool is None:
        # A shared client called directly would sign with the caller's credentials.
        raise RuntimeError("AWS call made outside ClientPool.client: no account bound to it")
    return cast(ClientPool, pool)


class BoundClient:
    """A run-wide client speaking as one account: each API method call, and each page fetched
    from one of its paginators, runs with that account bound to the thread."""

    __slots__ = ("_client", "_pool")

    def __init__(self, client: Any, pool: ClientPool) -> None:
        self._client = client
        self._pool = pool

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        pool = self._pool
        if name == "get_paginator":
            return lambda operation: _BoundPaginator(attr(operation), pool)
        if name in self._client.meta.method_to_api_mapping:
            return functools.partial(pool.call, attr)
        return attr


class _BoundPaginator:
    def __init__(self, paginator: Any, pool: ClientPool) -> None:
        self._paginator, self._pool = paginator, pool

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        pages = iter(self._paginator.paginate(**params))
        while (page := self._pool.call(next, pages, None)) is not None:
            yield page


class SharedClients:
    """The run's clients, one per (service, region), made from the caller's `session` and
    instrumented once: calls counted per account, requests paced and bounded in flight.

    With a `gate`, every HTTP request holds one of the run's in-flight permits from `before-send`
    (after signing, just before the socket) until its response is received. Rate-limited
    operations take their limiter slot, per (account, region), at the same moment, with the permit
    held, and give the permit back while they wait for the slot.

    Adaptive retry state (the client-side send rate and the retry quota) is per client, so the
    accounts of a (service, region) share it: one throttled account slows the others' calls
    there too. That errs on the side of fewer requests; the retries themselves still follow
    each request's own throttling answers.
    """

    def __init__(
        self,
        session: boto3.Session,
        *,
        config: Config,
        counter: ApiCounter,
        limiter: RateLimiter | None = None,
        gate: ConcurrencyGate | None = None,
    ) -> None:
        self.session = session
        # Every response of the run's clients is parsed from this session's factory.
        session._session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)
        self._config = config
        self._counter = counter
        self._limiter = limiter
        self._gate = gate
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()  # boto3 Sessions are not safe to make clients from concurrently
        self._paced = threading.local()  # set when this thread's next request is a rate-limited one

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        client = self._clients.get(key)
        if client is None:
            with self._lock:
                if (client := self._clients.get(key)) is None:
                    client = self._instrument(
                        self.session.client(service, region_name=region, config=self._config), service, region
                    )
                    self._clients[key] = client
        return client

    def _instrument(self, client: Any, service: str, region: str) -> Any:
        events = client.meta.events
        counter, gate, limiter, paced = self._counter, self._gate, self._limiter, self._paced

        def count(model: Any, **_: Any) -> None:
            counter.add(speaker().account, f"{service}:{model.name}")

        def bind(context: dict[str, Any], **_: Any) -> None:
            credentials = speaker().credentials
            if credentials is not None:
                # After endpoint resolution, which replaces context["signing"]; read by the signer
                # on every attempt.
                context.setdefault("signing", {})["request_credentials"] = credentials

        def pace(pool: ClientPool) -> None:
            assert limiter is not None
            key = (pool.account, region)
            while True:
                if gate is not None:
                    gate.enter(priority=pool.priority)
                wait = limiter.take(key)
                if wait <= 0:
                    return
                if gate is not None:
                    gate.leave()  # no other request waits behind a paced page
                limiter.pause(wait)

        def send(request: Any, **_: Any) -> None:
            pool = speaker()
            if pool.credentials is not None:
                _check_signature(request, pool)
            if getattr(paced, "on", False):
                paced.on = False
                pace(pool)
            elif gate is not None:
                gate.enter(priority=pool.priority)

        # before-parameter-build fires once per API call (retries do not fire it again) and,
        # unlike before-call, is emitted to every handler, so a Stubber cannot hide a call.
        events.register("before-parameter-build", count)
        refuse_cut_bodies(events, _attempts(self._config))
        events.register_first("before-call", bind)
        if limiter is not None and service == RATE_LIMITED[0]:
            # request-created fires before every HTTP attempt (retries included: the quota
            # counts requests) but before signing; the slot itself is taken in `send`.
            events.register(f"request-created.{service}.{RATE_LIMITED[1]}", lambda **_: setattr(paced, "on", True))
        # The last before-send handler: after botocore's own (adaptive retries may wait there),
        # immediately before the request goes to the socket. AWS counts requests as they arrive.
        events.register_last("before-send", send)
        if gate is not None:
            # response-received follows every attempt, even a failed one; after-call-error
            # covers an exception anywhere else. leave() is a no-op without a held permit.
            events.register("response-received", lambda **_: gate.leave())
            events.register("after-call-error", lambda **_: gate.leave())
        return client


def utc_timestamp(value: Any) -> datetime:
    """An AWS timestamp as a datetime, as botocore's parser reads it, but epoch seconds (the JSON
    protocols: CloudTrail's EventTime, EventBridge) in UTC rather than the machine's time zone, so
    the snapshot's bytes do not depend on where it was collected; and ISO-8601 (the query
    protocols) read by `fromisoformat`. botocore's (dateutil's) path cost ~8% of the collector's
    CPU at 1,000 accounts (bench/COLLECT.md); RFC 822 and other forms still go to it."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError):
        pass
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed: datetime = parse_timestamp(value)
        return parsed


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def _check_signature(request: Any, pool: ClientPool) -> None:
    """Raise unless `request` was signed (SigV4) with `pool`'s access key.

    A refresh between signing and this check would also differ: it fails the call (an error
    artifact), which is safe; filing one account's answer under another is not.
    """
    assert pool.credentials is not None
    header = request.headers.get("Authorization")
    if header is None:
        raise SignedAsAnother(account=pool.account, reason="no Authorization header")
    text = header.decode("latin-1") if isinstance(header, bytes) else str(header)
    match = _CREDENTIAL.search(text)
    if match is None or match.group(1) != pool.credentials.get_frozen_credentials().access_key:
        raise SignedAsAnother(account=pool.account, reason="another access key")


def caller_session(profile: str | None) -> boto3.Session:
    return boto3.Session(profile_name=profile) if profile else boto3.Session()


def assumed_credentials(sts: Any, *, role_arn: str, external_id: str | None) -> RefreshableCredentials:
    """`role_arn`'s credentials, refreshed by AssumeRole again before they expire.

    `sts` is the caller's (bound) STS client. Raises the ClientError of the first AssumeRole
    (e.g. AccessDenied) for the caller to record.
    """
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
    if external_id:
        params["ExternalId"] = external_id

    def fetch() -> dict[str, str]:
        credentials = sts.assume_role(**params)["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    return RefreshableCredentials.create_from_metadata(fetch(), refresh_using=fetch, method="sts-assume-role")


def _attempts(config: Config) -> int:
    """The attempts a call gets in all: botocore's `max_attempts` counts retries, and building a
    client rewrites it in place to `total_max_attempts` (one more)."""
    retries = config.retries or {}
    return int(retries.get("total_max_attempts") or retries.get("max_attempts", 0) + 1)
