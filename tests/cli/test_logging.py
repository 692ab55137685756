"""Operator logs (issue #18 item 5): -v/-vv/--log-level precedence, JSON lines on stderr with their
fields, one WARNING per failed AWS call, stdout untouched by -v, and no secret in any log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import moto_gaps
import pytest
from botocore.exceptions import ConnectionClosedError
from moto import mock_aws
from typer.testing import CliRunner

from reporter.cli import logs
from reporter.cli.app import app
from reporter.core.resources import demo_snapshot_dir

runner = CliRunner()
ACCOUNT = "123456789012"  # moto's default account
# fakes shaped like the real thing: 40 base64 characters, and a session token's IQoJb3JpZ2lu prefix
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEHUaCXVzLWVhc3QtMSJHMEUCIQDfakefakefakefake" + "Zm9vYmFy" * 12
KEY_ID = "ASIAIOSFODNN7EXAMPLE"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Each invocation configures the root logger; put it back for the other tests."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, logs.StderrHandler)]:
        root.removeHandler(handler)
    for name in ("reporter", "botocore", *logs.WIRE_LOGGERS):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.parametrize(
    ("flags", "env", "level"),
    [
        ([], {}, logging.WARNING),
        (["-v"], {}, logging.INFO),
        (["-vv"], {}, logging.DEBUG),
        (["-v", "-v", "-v"], {}, logging.DEBUG),
        (["-vv", "--log-level", "error"], {}, logging.ERROR),
        (["--log-level", "DEBUG", "-v"], {}, logging.DEBUG),
        ([], {"REPORTER_LOG_LEVEL": "INFO"}, logging.INFO),
        (["--log-level", "WARNING"], {"REPORTER_LOG_LEVEL": "DEBUG"}, logging.WARNING),
    ],
)
def test_log_level_precedence(flags: list[str], env: dict[str, str], level: int) -> None:
    result = runner.invoke(app, [*flags, "checks", "list"], env=env)
    assert result.exit_code == 0, result.output
    assert logging.getLogger("reporter").level == level
    # botocore speaks only under -vv (or DEBUG), and its wire loggers never below WARNING
    assert logging.getLogger("botocore").level == (logging.DEBUG if level == logging.DEBUG else logging.WARNING)
    assert {logging.getLogger(n).level for n in logs.WIRE_LOGGERS} == {logging.WARNING}


@pytest.mark.parametrize(
    ("flags", "env"),
    [(["--log-level", "LOUD"], {}), ([], {"REPORTER_LOG_LEVEL": "verbose"}), (["--log-format", "xml"], {})],
)
def test_a_bad_log_option_is_a_one_line_usage_error(flags: list[str], env: dict[str, str]) -> None:
    result = runner.invoke(app, [*flags, "checks", "list"], env=env)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --log-") and "choose one of" in lines[0], result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def _report(out: Path, *flags: str) -> Any:
    return runner.invoke(
        app, [*flags, "report", str(demo_snapshot_dir()), "--out", str(out), "-f", "json", "--no-history"]
    )


def _json_lines(stderr: str) -> list[dict[str, Any]]:
    # every line, the command's own too (an error, the verdict, the collect summary), is one object
    records = [json.loads(line) for line in stderr.splitlines()]
    assert records
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
        assert record["time"].endswith("Z") and datetime.fromisoformat(record["time"]).tzinfo == UTC
    return records


def test_json_logs_of_report_name_the_snapshot_and_each_output(tmp_path: Path) -> None:
    result = _report(tmp_path / "pack", "--log-format", "json", "-v")
    assert result.exit_code in (0, 1), result.output  # the demo has FAILs
    records = _json_lines(result.stderr)
    info = [r for r in records if r["level"] == "INFO" and r["logger"] == "reporter.cli.pack_commands"]
    assert info[0]["snapshot"] == str(demo_snapshot_dir()) and len(info[0]["snapshot_digest"]) == 64
    written = {Path(r["output"]).name for r in info[1:]}
    assert written == {"findings.json", "pack-manifest.json"}


def test_json_logs_carry_the_commands_own_lines_and_a_usage_error(tmp_path: Path) -> None:
    """Under --log-format json stderr is a log stream: the verdict line and a user error are records
    too (markup stripped), at WARNING and ERROR, whatever --log-level says."""
    result = _report(tmp_path / "pack", "--log-format", "json", "--log-level", "error")
    assert result.exit_code == 1, result.output
    (verdict,) = _json_lines(result.stderr)  # --log-level error hides INFO, not the command's own line
    assert verdict["logger"] == "reporter.console" and verdict["level"] == "WARNING"
    assert verdict["message"].startswith("exit 1: ") and "FAIL(s) without a valid exception" in verdict["message"]
    bad = runner.invoke(app, ["--log-format", "json", "report", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert bad.exit_code == 2
    (error,) = _json_lines(bad.stderr)
    assert error["level"] == "ERROR" and error["exit_code"] == 2
    assert error["message"].startswith("error: ") and "[bold red]" not in error["message"]
    text = runner.invoke(app, ["report", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert text.stderr.startswith("error: ") and not text.stderr.startswith("{")


def test_verbose_leaves_stdout_as_it_was(tmp_path: Path) -> None:
    quiet = _report(tmp_path / "a")
    loud = _report(tmp_path / "b", "-v")
    assert quiet.stdout.replace(str(tmp_path / "a"), "OUT") == loud.stdout.replace(str(tmp_path / "b"), "OUT")
    assert "reporter.cli.pack_commands" not in loud.stdout and "reporter.cli.pack_commands" in loud.stderr
    assert "reporter.cli.pack_commands" not in quiet.stderr  # INFO is off by default


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_in_a_message_its_args_or_an_extra(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(logging.DEBUG, fmt)
    log = logging.getLogger("reporter.test")
    log.warning("aws_secret_access_key=%s in a message; key id %s", SECRET_KEY, KEY_ID)
    log.warning("bare in args: %s and %s", SECRET_KEY, SESSION_TOKEN)
    log.warning(
        "headers %s",
        {"Authorization": f"AWS4-HMAC-SHA256 Credential={KEY_ID}/20261207/us-east-1/sts/aws4_request, Signature=ab12"},
    )
    log.warning("X-Amz-Security-Token: %s", SESSION_TOKEN)
    log.warning("response %s", {"Credentials": {"SecretAccessKey": SECRET_KEY, "SessionToken": SESSION_TOKEN}})
    log.warning("in extras", extra={"session_token": "short-but-named", "note": f"key {SECRET_KEY}", "api": "sts:X"})
    try:
        raise RuntimeError(f"failed with {SECRET_KEY}")
    except RuntimeError:
        log.exception("a traceback")
    written = capsys.readouterr()
    assert written.out == ""
    for secret in (SECRET_KEY, SESSION_TOKEN, "short-but-named", "Signature=ab12", "AWS4-HMAC-SHA256 Credential"):
        assert secret not in written.err
    assert written.err.count(logs.REDACTED) >= 9
    assert KEY_ID in written.err  # an access key id names a key and grants nothing: kept (README "Logs")
    assert "api" in written.err and "sts:X" in written.err
    if fmt == "json":
        records = [json.loads(line) for line in written.err.splitlines() if line.startswith("{")]
        assert len(records) == 7 and records[5]["session_token"] == logs.REDACTED


def _dropped(request: Any, **_: Any) -> None:
    raise ConnectionClosedError(endpoint_url=request.url)


@pytest.fixture
def faulty_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto with iam:GetAccountSummary failing at the connection, and credentials shaped like real ones."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
    ):
        monkeypatch.setenv(name, value)
    session = boto3.Session(region_name="us-east-1")
    session.events.register("before-send.iam.GetAccountSummary", _dropped)
    monkeypatch.setattr("reporter.collect.runner.caller_session", lambda profile: session)
    moto_gaps.install()
    moto_gaps.reset()
    moto_gaps.set_root(ACCOUNT, created=datetime(2020, 1, 1, tzinfo=UTC), mfa_active=True)
    with mock_aws():
        yield
    moto_gaps.reset()


COLLECT = ["collect", "--period", "2026-10", "--regions", "us-east-1", "--max-attempts", "1", "--no-history"]


def test_collect_logs_one_warning_per_failed_call_and_each_account(faulty_aws: None, tmp_path: Path) -> None:
    result = runner.invoke(app, ["--log-format", "json", "-v", *COLLECT, "--out", str(tmp_path / "snap")])
    assert result.exit_code == 0, result.output
    records = _json_lines(result.stderr)
    assert "━" not in result.stderr  # no progress bar in a JSON stream
    warnings = [r for r in records if r["level"] == "WARNING" and r["logger"] != "reporter.console"]
    (failed,) = [r for r in warnings if r["api"] == "iam:GetAccountSummary"]
    assert failed["account"] == ACCOUNT and failed["region"] == "us-east-1"
    assert failed["error_code"] == "ConnectionClosedError" and failed["logger"] == "reporter.snapshot.writer"
    # outside an organization DescribeOrganization fails too; nothing else did
    assert sorted(r["api"] for r in warnings) == ["iam:GetAccountSummary", "organizations:DescribeOrganization"]
    done = [r for r in records if r["logger"] == "reporter.collect.runner" and "done" in r["message"]]
    assert [(r["account"], r["failed"]) for r in done] == [(ACCOUNT, 1)] and done[0]["calls"] > 5
    (summary,) = [r for r in records if r["message"].startswith("collected ") and r["logger"] != "reporter.console"]
    assert summary["failed"] == 2 and summary["calls"] >= done[0]["calls"]
    # the command's own lines, as records of their own logger: each recorded failure a WARNING
    console = [r for r in records if r["logger"] == "reporter.console"]
    recorded = [r["message"] for r in console if r["level"] == "WARNING"]
    assert sorted(recorded) == [
        f"recorded failure: iam:GetAccountSummary {ACCOUNT} us-east-1: ConnectionClosedError",
        "recorded failure: organizations:DescribeOrganization us-east-1: AWSOrganizationsNotInUseException",
    ], recorded
    assert any(r["level"] == "INFO" and r["message"].startswith("collected 1 account(s)") for r in console)


def test_debug_logs_botocore_but_not_its_wire(faulty_aws: None, tmp_path: Path) -> None:
    result = runner.invoke(app, ["-vv", *COLLECT, "-q", "--out", str(tmp_path / "snap")])
    assert result.exit_code == 0, result.output
    assert " DEBUG botocore." in result.stderr  # botocore's own lines: credentials found, retries, …
    for wire in logs.WIRE_LOGGERS:
        assert f" {wire} " not in result.stderr
    for secret in (SECRET_KEY, SESSION_TOKEN, "Signature="):
        assert secret not in result.stderr and secret not in result.stdout
