"""`reporter doctor`: one line per item, exit 2 when anything must be fixed, never a traceback.

moto answers STS and IAM; it does not implement iam:SimulatePrincipalPolicy, so the happy path
answers that one operation from a before-call handler that plays IAM's policy simulator.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto import mock_aws
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.cli.doctor import Status, local
from reporter.cli.doctor.aws import AwsTarget, Caller, aws_findings, principal_arn
from reporter.collect.iam_policy import actions, policy_document

runner = CliRunner()


@pytest.fixture
def nothing_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)


def test_nothing_configured_is_a_fix_line_per_aws_item_and_exit_2(nothing_configured: None) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[-3:]] == ["FIX", "FIX", "FIX"]
    assert "no AWS credentials found" in lines[-3] and "aws configure" in lines[-3]
    assert lines[0].startswith("OK   python")
    assert "Traceback" not in result.output


def test_json_format_lists_every_finding(nothing_configured: None) -> None:
    result = runner.invoke(app, ["doctor", "--format", "json"])
    findings = json.loads(result.stdout)
    assert result.exit_code == 2
    assert {f["item"] for f in findings} >= {"python", "weasyprint", "fonts", "aws credentials", "permissions"}
    assert {f["status"] for f in findings} <= {"OK", "FIX", "NOTE"}


def test_unknown_profile_is_a_fix_line(nothing_configured: None) -> None:
    result = runner.invoke(app, ["doctor", "--profile", "nope"])
    assert result.exit_code == 2
    assert "FIX  aws credentials" in result.stdout and "ProfileNotFound" in result.stdout


def test_unreachable_endpoint_is_a_fix_line_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key-000000000000000000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    found = aws_findings(AwsTarget(region="eu-west-1"))
    assert [f.status for f in found] == [Status.OK, Status.FIX, Status.FIX]
    assert found[0].detail == "from env"
    assert "EndpointConnectionError" in found[1].detail
    assert "not-a-real-secret" not in " ".join(f.detail for f in found)


class FakeSimulator:
    """IAM's SimulatePrincipalPolicy for one principal: every action allowed but `denied`."""

    def __init__(self, denied: set[str] = frozenset(), error: str | None = None) -> None:  # type: ignore[assignment]
        self.denied, self.error = denied, error
        self.asked: list[dict[str, Any]] = []

    def ask(self, params: dict[str, Any], **_: Any) -> None:
        self.asked.append(params)

    def answer(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        (params, *_) = self.asked[-1:]
        if self.error:
            error = {"Error": {"Code": self.error, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 403}}
            return AWSResponse("", 403, {}, None), error
        results = [
            {
                "EvalActionName": a,
                "EvalResourceName": "*",
                "EvalDecision": "implicitDeny" if a in self.denied else "allowed",
            }
            for a in params["ActionNames"]
        ]
        meta = {"HTTPStatusCode": 200}
        return AWSResponse("", 200, {}, None), {
            "EvaluationResults": results,
            "IsTruncated": False,
            "ResponseMetadata": meta,
        }


@pytest.fixture
def audit_user(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        user = iam.create_user(UserName="auditor")["User"]
        iam.put_user_policy(UserName="auditor", PolicyName="audit", PolicyDocument=json.dumps(policy_document()))
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        yield user["Arn"], {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def _session_with(simulator: FakeSimulator, keys: dict[str, str]) -> Any:
    def make(_profile: str | None) -> boto3.Session:
        session = boto3.Session(region_name="us-east-1", **keys)
        session.events.register("before-parameter-build.iam.SimulatePrincipalPolicy", simulator.ask)
        session.events.register("before-call.iam.SimulatePrincipalPolicy", simulator.answer)
        return session

    return make


def test_happy_path_simulates_the_collectors_actions_for_the_caller(audit_user: tuple[str, dict[str, str]]) -> None:
    user_arn, keys = audit_user
    simulator = FakeSimulator()
    found = aws_findings(AwsTarget(), _session_with(simulator, keys))
    assert [f.status for f in found] == [Status.OK] * 3, found
    assert user_arn in found[1].detail and "partition aws" in found[1].detail
    (asked,) = simulator.asked
    assert asked["PolicySourceArn"] == user_arn
    assert asked["ActionNames"] == actions("lookup")
    assert f"all {len(actions('lookup'))} actions" in found[2].detail


def test_denied_actions_are_listed(audit_user: tuple[str, dict[str, str]]) -> None:
    _, keys = audit_user
    simulator = FakeSimulator(denied={"cloudtrail:LookupEvents", "sts:AssumeRole"})
    found = aws_findings(AwsTarget(role_name="Audit"), _session_with(simulator, keys))
    assert found[2].status is Status.FIX
    assert "denied cloudtrail:LookupEvents, sts:AssumeRole" in found[2].detail
    assert "reporter iam-policy --root-events lookup" in found[2].detail


def test_simulation_denied_says_how_to_check_by_hand(audit_user: tuple[str, dict[str, str]]) -> None:
    _, keys = audit_user
    found = aws_findings(AwsTarget(root_events="s3"), _session_with(FakeSimulator(error="AccessDenied"), keys))
    assert found[2].status is Status.FIX
    assert "iam:SimulatePrincipalPolicy is denied" in found[2].detail
    assert "reporter iam-policy --root-events s3" in found[2].detail


def test_assume_role_in_a_member_account(audit_user: tuple[str, dict[str, str]]) -> None:
    _, keys = audit_user
    found = aws_findings(AwsTarget(role_name="Audit", account="210987654321"), _session_with(FakeSimulator(), keys))
    assert found[3].item == "sts:AssumeRole"
    assert found[3].status is Status.OK and ":iam::210987654321:role/Audit" in found[3].detail


class NoIam:
    def get_role(self, **_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")


def test_an_assumed_role_session_is_simulated_as_its_role_in_its_partition() -> None:
    caller = Caller("123456789012", "arn:aws-us-gov:sts::123456789012:assumed-role/Auditor/me", "aws-us-gov")
    assert principal_arn(caller, NoIam()) == "arn:aws-us-gov:iam::123456789012:role/Auditor"


def test_an_assumed_role_keeps_its_path_when_get_role_is_allowed() -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="Auditor", Path="/audit/", AssumeRolePolicyDocument="{}")["Role"]
        caller = Caller("123456789012", "arn:aws:sts::123456789012:assumed-role/Auditor/me", "aws")
        assert principal_arn(caller, iam) == role["Arn"]
    assert role["Arn"].endswith(":role/audit/Auditor")


def test_root_and_federated_users_are_not_simulated() -> None:
    federated = Caller("123456789012", "arn:aws:sts::123456789012:federated-user/bob", "aws")
    assert principal_arn(federated, NoIam()) is None


class BrokenLibrary:
    """A meta path finder that fails like WeasyPrint does when pango cannot be loaded."""

    def find_spec(self, name: str, *_: Any) -> None:
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")


def test_missing_pango_names_the_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(sys, "meta_path", [BrokenLibrary(), *sys.meta_path])
    found = local.weasyprint()[0]
    assert found.status is Status.FIX
    assert (
        "libpango-1.0-0" in found.detail and "apt-get install" in found.detail and "brew install pango" in found.detail
    )


def test_a_missing_font_is_a_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "pack.css").write_text('@font-face { src: url("fonts/Gone.ttf"); }')
    monkeypatch.setattr(local, "shipped_dir", lambda _name: tmp_path)
    found = local.fonts()
    assert found.status is Status.FIX and "fonts/Gone.ttf missing" in found.detail


def test_the_shipped_fonts_are_found() -> None:
    found = local.fonts()
    assert found.status is Status.OK and found.detail.startswith("5 shipped fonts")
