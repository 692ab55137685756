"""Operator logs: the stdlib `logging` set-up behind `-v`, `--log-level` and `--log-format`.

Every module logs through `logging.getLogger(__name__)`; this module alone decides where records
go (stderr, so stdout stays for results), how they look (text or one JSON object per line) and
what they may not carry. The redaction filter sits on the handler, not on a logger, because a
logger's filters do not see the records that botocore's loggers propagate to the root.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
REDACTED = "[redacted]"

# botocore loggers that print what the wire carries: `endpoint` the request with its
# Authorization and X-Amz-Security-Token headers, `auth` the canonical request and its signed
# headers, `parsers` whole response bodies (an AssumeRole answer holds a SecretAccessKey). They
# stay at WARNING under -vv: a redaction pattern is a second line of defence, not the first.
WIRE_LOGGERS = ("botocore.endpoint", "botocore.auth", "botocore.parsers", "urllib3.connectionpool")

# The attribute names every LogRecord has; anything else on a record came from `extra={...}`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_SECRET_KEY = re.compile(r"secret|token|password|passphrase|authorization|signature|credential|external_?id", re.I)
_SECRETS = (
    # a named secret, in a header, an INI line, a query string or a JSON/repr dump: keep the name
    re.compile(
        r"(?i)((?:aws_secret_access_key|aws_session_token|secret_?access_?key|session_?token|x-amz-security-token"
        r"|x-amz-signature|signature|authorization|password)[\"']?\s*[:=]\s*[\"']?)"
        r"(?:AWS4-HMAC-SHA256 [^\"'\n]*|Bearer \S+|[^\s\"',;&}]+)"
    ),
    # a bare secret access key: 40 characters of base64 that no other AWS value looks like
    re.compile(r"(?<![A-Za-z0-9+/=])()[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])"),
    # a bare session token: long base64 (AWS's start with IQoJb3JpZ2lu or FwoGZXIvYXdz)
    re.compile(r"(?<![A-Za-z0-9+/=])()[A-Za-z0-9+/]{100,}={0,2}"),
)


def redact(text: str) -> str:
    """`text` without any secret access key, session token, signature or Authorization value.
    An access key id (AKIA…/ASIA…) is kept: it names a key without granting anything, and an
    operator needs it to tell which credentials a run used."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed in `extra={...}`, a secret-looking key's value redacted."""
    found = {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS and not k.startswith("_")}
    return {k: REDACTED if _SECRET_KEY.search(k) else _clean(v) for k, v in found.items()}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(str(value))


class RedactSecrets(logging.Filter):
    """Rewrites the record in place, its arguments merged into the message, so that neither
    formatter (nor a handler added later) can print a secret the message or its args carried."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        if record.exc_info:
            message += "\n" + redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = message, None
        for key, value in extras(record).items():
            setattr(record, key, value)
        return True


def _utc(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what CloudWatch Logs Insights and most collectors parse."""

    def format(self, record: logging.LogRecord) -> str:
        base = {"time": _utc(record), "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        extra = {k: v for k, v in extras(record).items() if k not in base}
        return orjson.dumps({**base, **extra}, default=str).decode()


class TextFormatter(logging.Formatter):
    """`time level logger message key=value …`: one line a person reads and grep finds."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in sorted(extras(record).items()))
        line = f"{_utc(record)} {record.levelname} {record.name} {record.getMessage()}"
        return f"{line} {fields}" if fields else line


class StderrHandler(logging.StreamHandler):
    """Writes to the sys.stderr of the moment: Rich's progress display swaps it while it runs, to
    print lines above the bar, and a test runner swaps it per invocation."""

    def __init__(self, fmt: str) -> None:
        super().__init__(sys.stderr)
        self.log_format = fmt
        self.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        self.addFilter(RedactSecrets())

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def level_of(verbose: int, log_level: str | None) -> int:
    """--log-level wins over -v; -v is INFO, -vv (or more) DEBUG; WARNING without either. Raises
    ValueError naming the choices for a level that is not one."""
    if log_level is not None:
        name = log_level.strip().upper()
        if name not in LEVELS:
            raise ValueError(f"--log-level (or REPORTER_LOG_LEVEL) {log_level!r}: choose one of {', '.join(LEVELS)}")
        return int(logging.getLevelName(name))
    return (logging.WARNING, logging.INFO)[verbose] if verbose < 2 else logging.DEBUG


def configure(level: int, fmt: str) -> None:
    """Send reporter's records at `level` and up (and every library's warnings) to stderr in `fmt`;
    botocore's own records too at DEBUG, except its wire loggers (WIRE_LOGGERS)."""
    if fmt not in FORMATS:
        raise ValueError(f"--log-format {fmt!r}: choose one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(StderrHandler(fmt))
    root.setLevel(logging.WARNING)
    logging.getLogger("reporter").setLevel(level)
    # The CLI's own lines (console.StderrConsole) print whatever the level, as they do as text.
    logging.getLogger("reporter.console").setLevel(logging.DEBUG)
    logging.getLogger("botocore").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def json_logs() -> bool:
    """Is stderr a JSON log stream (no progress bar then: a log collector reads it)?"""
    return any(isinstance(h, StderrHandler) and h.log_format == "json" for h in logging.getLogger().handlers)
