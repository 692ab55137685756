"""The HTTP/1.1 plumbing of the test proxies in front of a ThreadedMotoServer: the collection
benchmark's latency proxy (bench/collect_bench.py) and the chaos suite's fault injector
(tests/chaos/). Keep-alive, a thread per connection; what each proxy does with a request is its own.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

# SigV4: Credential=<access key>/<date>/<region>/<service>/aws4_request
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/")
# What the proxy sets itself on an answer it forwards (the body may be replaced or cut).
HOP_HEADERS = ("transfer-encoding", "content-length", "connection")


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    headers: list[tuple[str, str]]  # as sent, in order
    fields: dict[str, str]  # lower-cased names
    body: bytes

    def signer(self) -> tuple[str, str, str]:
        """(access key, region, service) of the SigV4 signature; empty strings when unsigned."""
        match = CREDENTIAL.search(self.fields.get("authorization", ""))
        return (match[1], match[2], match[3]) if match else ("", "", "")


def read_request(reader: BinaryIO) -> Request | None:
    """The next request on a keep-alive connection; None when the client closed it."""
    line = reader.readline(65537)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: list[tuple[str, str]] = []
    while (header := reader.readline(65537)) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    fields = {n.lower(): v for n, v in headers}
    body = reader.read(int(fields.get("content-length", "0")))
    return Request(method, target, headers, fields, body)


def forward(upstream: http.client.HTTPConnection, request: Request) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """Send `request` upstream as it came; its answer (status, reason, headers, body)."""
    upstream.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
    for name, value in request.headers:
        upstream.putheader(name, value)
    upstream.endheaders(request.body)
    response = upstream.getresponse()
    return response.status, response.reason, response.getheaders(), response.read()


def response_head(status: int, reason: str, headers: list[tuple[str, str]], length: int) -> bytes:
    """Status line and headers of an answer whose Content-Length says `length` bytes."""
    out = [f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1")]
    out += [f"{n}: {v}\r\n".encode("latin-1") for n, v in headers if n.lower() not in HOP_HEADERS]
    out.append(f"Content-Length: {length}\r\n\r\n".encode("latin-1"))
    return b"".join(out)


def serve(listener: socket.socket, handle: Callable[[socket.socket], None]) -> threading.Thread:
    """Accept connections on `listener` for ever (a daemon thread), each handled on its own thread."""

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed: the proxy is done
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=handle, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return thread
