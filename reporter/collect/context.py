"""What every collecting function gets: clients, the writer, the clock, and failure handling.

A failed AWS call is evidence, not a crash: `attempt` turns whatever a call raises into a
`Failure`, and `error` writes it as an error artifact. Whatever: botocore's errors, its parser's
(an HTML error page from a proxy or load balancer is no `BotoCoreError`, and a tidy one that
parses as XML fails with a KeyError inside botocore), socket and HTTP errors below it. `attempt`
wraps only the call and the picking of its answer, so a bug in the code that writes evidence
still propagates (the CLI's crash handler: exit 70).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson
from botocore.exceptions import ClientError

from reporter.collect.session import ClientPool
from reporter.snapshot.writer import SnapshotWriter

T = TypeVar("T")
MAX_MESSAGE = 500


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    attempts: int | None = None  # HTTP attempts botocore made, when it says (for the log line)

    @classmethod
    def of(cls, exc: Exception) -> Failure:
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "Unknown")
            message = str(error.get("Message") or exc)
            attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0
            if attempts:
                message += f" (gave up after {attempts + 1} attempts)"
            return cls(code, message, attempts + 1)
        # A parser error quotes the whole body (an HTML page from a proxy): keep its head.
        text = str(exc)
        return cls(type(exc).__name__, text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " […]")


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def all_pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """Every item of `key` over all pages of `operation`."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key) or [])
    return items


@dataclass
class Context:
    """One account's collection (or the organization's, with `account` None in artifacts)."""

    account: str  # whose credentials the clients use
    clients: ClientPool
    writer: SnapshotWriter
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    home_region: str
    artifact_account: str | None = None  # the manifest's `account`; None for organization artifacts
    regions: tuple[str, ...] = ()

    def client(self, service: str, region: str | None = None) -> Any:
        return self.clients.client(service, region or self.home_region)

    @staticmethod
    def attempt(call: Callable[[], T]) -> T | Failure:
        try:
            return call()
        except Exception as exc:  # every class a call raises is a failed call (module doc)
            return Failure.of(exc)

    def json(self, path: str, obj: Any, *, api: str, region: str | None, params: dict[str, Any] | None = None) -> None:
        self.writer.add_json(
            path,
            obj,
            api=api,
            params=params or {},
            account=self.artifact_account,
            region=region,
            collected_at=self.clock(),
        )

    def bytes(
        self, path: str, data: bytes, *, api: str, region: str | None, params: dict[str, Any] | None = None
    ) -> None:
        self.writer.add_bytes(
            path,
            data,
            api=api,
            params=params or {},
            account=self.artifact_account,
            region=region,
            collected_at=self.clock(),
        )

    def error(self, failure: Failure, *, api: str, region: str | None, params: dict[str, Any] | None = None) -> None:
        self.writer.add_error(
            api=api,
            code=failure.code,
            message=failure.message,
            params=params or {},
            account=self.artifact_account,
            region=region,
            collected_at=self.clock(),
            attempts=failure.attempts,
        )

    def fetch_json(
        self, path: str, call: Callable[[], Any], *, api: str, region: str | None, params: dict[str, Any] | None = None
    ) -> Any | Failure:
        """Run `call`; write its result at `path`, or the failure as an error artifact. On a
        resume, the interrupted run's verified answer at `path` instead, without a call."""
        reused = self.writer.reuse(path, api, params or {})
        if reused is not None:
            return orjson.loads(reused)
        result = self.attempt(call)
        if isinstance(result, Failure):
            self.error(result, api=api, region=region, params=params)
        else:
            self.json(path, result, api=api, region=region, params=params)
        return result
