"""An answer whose body is shorter than its Content-Length is a failed attempt, never an answer.

botocore reads bodies with urllib3's `enforce_content_length` off, so a connection closed mid-body
(a proxy or load balancer dropping it) reaches the parser as half a document. Half a JSON object
parses as `{"message": ...}`, with none of the result's fields: a DescribeTrails cut short reads
as "no trails", a LookupEvents page as "no root events" — a PASS made of missing evidence (found
by the chaos suite). Before parsing, such an answer is turned into a bodiless 500 (so no parser
chokes on half a document), and it is retried with backoff up to the run's attempts (botocore's
policy would not: it judges the status on the wire, 200); if the last attempt is cut short too,
the call raises IncompleteBody (an error artifact, like a dropped connection), never the placeholder.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError


class IncompleteBody(BotoCoreError):  # type: ignore[misc]  # botocore ships no type hints
    fmt = "the answer was cut short: {received} of the {expected} bytes its Content-Length announced"


def _shortfall(headers: Any, body: bytes | None) -> tuple[int, int] | None:
    """(received, expected) when the body is shorter than Content-Length says."""
    announced = headers.get("content-length") if headers is not None else None
    if announced is None or body is None or not announced.isdigit():
        return None
    return (len(body), int(announced)) if len(body) < int(announced) else None


def _before_parse(response_dict: dict[str, Any], **_: Any) -> None:
    body = response_dict.get("body")
    # a streaming answer (S3 GetObject) is read by its caller, which sees a short read itself
    if isinstance(body, bytes) and _shortfall(response_dict.get("headers"), body) is not None:
        response_dict["status_code"] = 500
        response_dict["body"] = b""


def _retry(max_attempts: int) -> Any:
    def needs_retry(response: Any, attempts: int, operation: Any, **_: Any) -> float | None:
        if response is None or attempts >= max_attempts or operation.has_streaming_output:
            return None
        http_response = response[0]
        if _shortfall(http_response.headers, http_response.content) is None:
            return None
        return float(min(0.05 * 2**attempts, 2.0))

    return needs_retry


def _after_call(http_response: Any, model: Any, **_: Any) -> None:
    if http_response is None or getattr(http_response, "raw", None) is None or model.has_streaming_output:
        return  # a stubbed answer has no wire body to measure; reading a stream's would consume it
    short = _shortfall(http_response.headers, http_response.content)
    if short is not None:
        raise IncompleteBody(received=short[0], expected=short[1])


def refuse_cut_bodies(events: Any, max_attempts: int) -> None:
    """Register the three handlers on a client's event system."""
    events.register_first("before-parse", _before_parse)
    events.register_first("needs-retry", _retry(max_attempts))
    events.register_first("after-call", _after_call)
