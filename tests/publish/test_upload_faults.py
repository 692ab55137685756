"""Adversarial audit of the publishing path: --output-bucket when a call fails part-way or with an
exception class botocore does not root at BotoCoreError, and the error lines --to-security-hub and
--output-bucket print from text that the remote side (or CloudTrail, through it) chose."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ProfileNotFound
from botocore.parsers import ResponseParserError
from botocore.stub import Stubber

from reporter.cli import pack_commands
from reporter.cli.console import ExitCode
from reporter.cli.options import PublishArgs
from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.publish.security_hub import ImportResult, Refused, import_findings, sync_workflow
from reporter.publish.upload import UploadError, parse_target, upload_pack
from reporter.render.asff import asff_findings
from reporter.snapshot.reader import Snapshot

AS_OF = datetime(2026, 9, 30, tzinfo=UTC)


class FlakyS3:
    """An S3 client whose `fail_on`-th object fails with `exc`; records the keys it wrote."""

    def __init__(self, fail_on: int, exc: Exception) -> None:
        self.fail_on, self.exc, self.keys, self.calls = fail_on, exc, [], 0

    def _put(self, key: str) -> None:
        self.calls += 1
        if self.calls == self.fail_on:
            raise self.exc
        self.keys.append(key)

    def upload_file(self, filename: str, bucket: str, key: str, ExtraArgs: Any = None) -> None:
        self._put(key)

    def put_object(self, Bucket: str, Key: str, **_: Any) -> None:
        self._put(Key)


def files(tmp_path: Path, n: int = 3) -> list[Path]:
    out = []
    for i in range(n):
        path = tmp_path / f"f{i}.json"
        path.write_text("{}")
        out.append(path)
    return out


def test_a_response_parser_error_is_an_upload_failure(tmp_path: Path) -> None:
    """ResponseParserError (an HTML page where XML was expected) is no BotoCoreError: it escaped
    upload_pack as a crash (exit 70) instead of exit 4."""
    client = FlakyS3(1, ResponseParserError("Unable to parse response, invalid XML received: <html>"))
    with pytest.raises(UploadError, match="upload failed"):
        upload_pack(
            parse_target("s3://bkt/p"), files(tmp_path), period="2026-09", manifest_sha256="d",
            snapshot_dir=None, as_of=AS_OF, client=client,
        )  # fmt: skip


def test_a_partial_upload_names_what_was_written_and_tries_the_rest(tmp_path: Path) -> None:
    """The second of three objects fails: the first is in the bucket and the third is still tried;
    the error says which objects were written, which failed."""
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")
    client = FlakyS3(2, denied)
    with pytest.raises(UploadError) as caught:
        upload_pack(
            parse_target("s3://bkt/p"), files(tmp_path), period="2026-09", manifest_sha256="d",
            snapshot_dir=None, as_of=AS_OF, client=client,
        )  # fmt: skip
    assert client.keys == ["p/2026-09/f0.json", "p/2026-09/f2.json"]
    assert caught.value.written == ["s3://bkt/p/2026-09/f0.json", "s3://bkt/p/2026-09/f2.json"]
    assert "p/2026-09/f1.json" in str(caught.value) and "AccessDenied" in str(caught.value)


@pytest.fixture(scope="module")
def model() -> Any:
    return build_pack(Snapshot.open(demo_snapshot_dir()))


def test_a_missing_profile_is_exit_4_not_a_crash(
    model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """publish_client raises ProfileNotFound (a BotoCoreError) before any upload: to_bucket only
    caught UploadError, so `--profile typo --output-bucket ...` ended in a traceback / exit 70."""

    def no_profile(profile: str | None, service: str, region: str | None = None) -> Any:
        raise ProfileNotFound(profile=profile)

    monkeypatch.setattr(pack_commands, "publish_client", no_profile)
    args = PublishArgs(output_bucket="s3://bkt/p")
    assert pack_commands.to_bucket(model, files(tmp_path), tmp_path, args, "typo") == ExitCode.UPLOAD
    assert "typo" in capsys.readouterr().err


def test_the_uploaded_objects_are_said_even_when_one_failed(
    model: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = FlakyS3(2, ClientError({"Error": {"Code": "SlowDown", "Message": "x"}}, "PutObject"))
    monkeypatch.setattr(pack_commands, "publish_client", lambda *a, **k: client)
    args = PublishArgs(output_bucket="s3://bkt/p")
    assert pack_commands.to_bucket(model, files(tmp_path), tmp_path, args, None) == ExitCode.UPLOAD
    said = capsys.readouterr()
    assert f"uploaded s3://bkt/p/{model.period_label}/f0.json" in said.out
    assert "SlowDown" in said.err


HOSTILE = "bad [bold]x[/bold]\x1b[2J\x1b]0;pwned\x07\nsecurity hub (eu-west-1): 999 of 999 imported\u202e" + "A" * 5000


def test_refusal_lines_hold_no_control_characters_and_stay_one_short_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A refusal's message (from Security Hub, which may echo finding text taken from CloudTrail)
    was printed raw: ANSI escapes reached the terminal, a newline forged a second line."""
    result = ImportResult("eu-west-1", calls=1)
    result.refused = [Refused("reporter/x/1", "InvalidInput", HOSTILE), Refused("r2", "Throttled", HOSTILE, True)]
    result.workflow_failed = [Refused("reporter/x/1", "Bad", HOSTILE)]
    pack_commands.report_refusals(result)
    said = capsys.readouterr().err
    assert "\x1b" not in said and "\x07" not in said and "\u202e" not in said
    lines = said.splitlines()
    assert not any(line.startswith("security hub (") for line in lines)
    assert all(len(line) < 1200 for line in lines)
    assert "[bold]x[/bold]" in said  # markup is shown, not applied


def test_an_import_answer_that_accounts_for_fewer_findings_is_no_success(model: Any) -> None:
    """BatchImportFindings answers SuccessCount 0 and no FailedFindings for a batch of 3 (or names a
    refusal without its Id): the findings neither imported nor refused were not reported, the run
    exited 0 saying "0 of 3 imported", and sync_workflow would then have updated them."""
    client = boto3.client("securityhub", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    findings = [{**f, "Id": f"id-{i}"} for i, f in enumerate(asff_findings(model, "eu-west-1")[:3])]
    with Stubber(client) as stub:
        stub.add_response("batch_import_findings", {"SuccessCount": 0, "FailedCount": 0, "FailedFindings": []})
        nameless = {"Id": "", "ErrorCode": "InvalidInput", "ErrorMessage": "bad"}
        stub.add_response("batch_import_findings", {"SuccessCount": 2, "FailedCount": 1, "FailedFindings": [nameless]})
        first = import_findings(findings, client, "eu-west-1")
        second = import_findings(findings, client, "eu-west-1")
    assert sorted(r.finding_id for r in first.refused) == ["id-0", "id-1", "id-2"]
    assert first.imported == 0 and not any(r.code == "ParamValidation" for r in first.refused)
    # one of the three was refused, which one Security Hub did not say: none is counted as imported
    assert {"id-0", "id-1", "id-2"} <= {r.finding_id for r in second.refused}


class ShortUpdate:
    """GetFindings answers the findings in the opposite Workflow of the pack's; BatchUpdateFindings
    answers that it processed none and left none unprocessed."""

    def __init__(self, findings: list[dict[str, Any]]) -> None:
        opposite = {"NEW": "RESOLVED", "RESOLVED": "NEW", "SUPPRESSED": "NEW"}
        self.found = [
            {"Id": f["Id"], "ProductArn": f["ProductArn"], "Workflow": {"Status": opposite[f["Workflow"]["Status"]]}}
            for f in findings
        ]

    def get_paginator(self, name: str) -> Any:
        found = self.found

        class Pages:
            def paginate(self, **_: Any) -> Any:
                return [{"Findings": found}]

        return Pages()

    def batch_update_findings(self, **_: Any) -> dict[str, Any]:
        return {"ProcessedFindings": [], "UnprocessedFindings": []}


def test_a_workflow_update_that_accounts_for_fewer_findings_is_a_failure(model: Any) -> None:
    """sync_workflow counted only ProcessedFindings: findings neither processed nor named
    unprocessed were silently left in the Workflow the pack contradicts, and the run exited 0."""
    findings = asff_findings(model, "eu-west-1")[:4]
    result = ImportResult("eu-west-1", imported=4, calls=1)
    sync_workflow(findings, ShortUpdate(findings), result)
    assert sorted(r.finding_id for r in result.workflow_failed) == sorted(f["Id"] for f in findings)
    assert sum(result.workflow_set.values()) == 0
