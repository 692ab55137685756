"""A fault-injecting HTTP proxy in front of a ThreadedMotoServer (issue #15, item 2).

The collector reaches it through AWS_ENDPOINT_URL (or a session's endpoint). For a share `rate` of
requests it answers with a fault instead of moto's answer. Deterministic by seed: whether a request
is faulty, and how, depends only on the seed and a stable key of the request (account, region,
service, operation, body digest) and on how many times that same request was asked before (its
retries) — never on the order in which requests of different threads arrive.

Fault kinds:
- html_5xx     500 or 502 with a load balancer's HTML page
- dropped      the connection closed without an answer
- truncated    moto's answer with a Content-Length larger than the bytes sent, then closed
- storm_503    503 ServiceUnavailable for 2-4 consecutive attempts of the same request
- throttled    Throttling (query/XML), RequestLimitExceeded (EC2), ThrottlingException (JSON, CBOR)
- expired      ExpiredToken / RequestExpired (ExpiredTokenException in JSON)
- stalled      no answer for longer than the client's read timeout, then closed

The proxy logs every fault it injects and every request it answered from moto, so the oracle can
tell a fault retried to success from one that must be an error artifact. GetCallerIdentity is
spared: without the caller's identity no snapshot is started (a CollectError, exit 2, by design).
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from http_proxy import Request, forward, read_request, response_head, serve

KINDS = ("html_5xx", "dropped", "truncated", "storm_503", "throttled", "expired", "stalled")
SPARED = frozenset({"sts:GetCallerIdentity"})
# botocore's signing names that differ from the names in the manifest's `api`
SERVICE_NAMES = {"monitoring": "cloudwatch"}

HTML_PAGE = (
    b"<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1></center>\r\n"
    b"<hr><center>awselb/2.0</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Call:
    """What a request asks, stable from run to run (no access key: assumed ones are random)."""

    account: str
    region: str
    api: str  # service:Operation, as the manifest names it
    digest: str  # of the body (parameters, page tokens)

    def __str__(self) -> str:
        return f"{self.api} {self.account} {self.region} {self.digest[:8]}"


@dataclass(frozen=True)
class Injected:
    call: Call
    attempt: int  # 1 for the first time this call was asked
    kind: str


def _unit(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts`."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    head = bytes([0x60 | len(data)]) if len(data) < 24 else bytes([0x78, len(data)])
    return head + data


def _error_body(protocol: str, code: str, message: str) -> tuple[list[tuple[str, str]], bytes]:
    if protocol == "json":
        body = f'{{"__type":"{code}","message":"{message}"}}'.encode()
        return [("Content-Type", "application/x-amz-json-1.1")], body
    if protocol == "cbor":
        body = bytes([0xA2]) + _cbor_text("__type") + _cbor_text(code) + _cbor_text("message") + _cbor_text(message)
        return [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")], body
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>chaos</RequestID></Response>"
        ).encode()
        return [("Content-Type", "text/xml")], body
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>chaos</RequestId></ErrorResponse>"
    ).encode()
    return [("Content-Type", "text/xml")], body


def _protocol(request: Request, service: str) -> str:
    if "x-amz-target" in request.fields:
        return "json"
    if "smithy-protocol" in request.fields:
        return "cbor"
    return "ec2" if service == "ec2" else "query"


def _operation(request: Request) -> str:
    if target := request.fields.get("x-amz-target"):
        return target.rsplit(".", 1)[-1]
    if "/operation/" in request.target:  # smithy RPC v2: /service/<name>/operation/<op>
        return request.target.rsplit("/", 1)[-1]
    return parse_qs(request.body.decode("latin-1")).get("Action", [""])[0]


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        *,
        seed: int,
        rate: float,
        stall: float,
        account_of: Callable[[str], str],
        kinds: tuple[str, ...] = KINDS,
    ) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.seed, self.rate, self.stall, self.kinds = seed, rate, stall, kinds
        self._account_of = account_of
        self._lock = threading.Lock()
        self._asked: Counter[Call] = Counter()
        self._storms: dict[Call, int] = {}  # attempts of a storm still to come
        self.injected: list[Injected] = []
        self.answered: dict[Call, set[int]] = defaultdict(set)  # attempts answered by moto
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.listen(256)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        serve(self._listener, self.handle)

    def close(self) -> None:
        self._listener.close()

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(self._asked.values())

    def by_kind(self) -> Counter[str]:
        return Counter(fault.kind for fault in self.injected)

    def call_of(self, request: Request) -> tuple[Call, str]:
        access_key, region, service = request.signer()
        service = SERVICE_NAMES.get(service, service)
        digest = hashlib.sha256(request.body).hexdigest()
        api, account = f"{service}:{_operation(request)}", self._account_of(access_key)
        if api == "sts:AssumeRole":  # about the account whose role it asks for (its artifact's account)
            role = parse_qs(request.body.decode("latin-1")).get("RoleArn", [""])[0]
            account, region = role.split(":")[4] if role.count(":") >= 5 else account, ""
        return Call(account, region, api, digest), service

    def _decide(self, call: Call) -> tuple[int, str | None]:
        """This request's attempt number and its fault (None: moto answers)."""
        with self._lock:
            self._asked[call] += 1
            attempt = self._asked[call]
            if call.api in SPARED:
                return attempt, None
            if self._storms.get(call, 0) > 0:
                self._storms[call] -= 1
                kind: str | None = "storm_503"
            elif _unit(self.seed, call, attempt) < self.rate:
                kind = self.kinds[int(_unit(self.seed, call, attempt, "kind") * len(self.kinds))]
                if kind == "storm_503":
                    self._storms[call] = 1 + int(_unit(self.seed, call, "storm") * 3)  # 2-4 in all
            else:
                kind = None
            if kind is not None:
                self.injected.append(Injected(call, attempt, kind))
            return attempt, kind

    def handle(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        upstream = http.client.HTTPConnection(*self.upstream, timeout=300)
        try:
            while (request := read_request(reader)) is not None:
                call, service = self.call_of(request)
                attempt, kind = self._decide(call)
                if kind in ("dropped", "stalled"):
                    if kind == "stalled":
                        time.sleep(self.stall)
                    return
                if kind is None or kind == "truncated":
                    status, reason, headers, payload = forward(upstream, request)
                    if kind is None:
                        with self._lock:
                            self.answered[call].add(attempt)
                        client.sendall(response_head(status, reason, headers, len(payload)) + payload)
                        continue
                    client.sendall(response_head(status, reason, headers, len(payload)) + payload[: len(payload) // 2])
                    return
                status, reason, headers, payload = self._fault(kind, call, attempt, _protocol(request, service))
                client.sendall(response_head(status, reason, headers, len(payload)) + payload)
        except (ConnectionError, OSError):
            return
        finally:
            upstream.close()
            client.close()

    def _fault(
        self, kind: str, call: Call, attempt: int, protocol: str
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        pick = _unit(self.seed, call, attempt, "variant") < 0.5
        if kind == "html_5xx":
            status, reason = (500, "Internal Server Error") if pick else (502, "Bad Gateway")
            page = HTML_PAGE.replace(b"{status}", f"{status} {reason}".encode())
            return status, reason, [("Content-Type", "text/html")], page
        if kind == "storm_503":
            headers, body = _error_body(protocol, "ServiceUnavailable", "Service is unavailable, retry later")
            return 503, "Service Unavailable", headers, body
        if kind == "throttled":
            code = {"query": "Throttling", "ec2": "RequestLimitExceeded"}.get(protocol, "ThrottlingException")
            headers, body = _error_body(protocol, code, "Rate exceeded")
            return 400, "Bad Request", headers, body
        # expired: a session token that lapsed mid-run, or a request signed too long ago
        code = "RequestExpired" if pick else ("ExpiredTokenException" if protocol == "json" else "ExpiredToken")
        headers, body = _error_body(protocol, code, "The security token included in the request is expired")
        return 400, "Bad Request", headers, body
