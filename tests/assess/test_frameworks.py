"""Framework mapping files, their loader, attestations and requirement evaluation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from reporter.assess import framework_files as fwmod
from reporter.assess.attestations import Attestation, load_attestations, validate_attestations
from reporter.assess.evaluate import evaluate
from reporter.assess.framework_files import load_framework_file, load_frameworks
from reporter.assess.framework_model import Framework, FrameworkError
from reporter.checks.finding import Finding
from reporter.checks.limits import Thresholds
from reporter.checks.registry import CHECKS
from reporter.core.resources import shipped_dir
from reporter.core.status import Severity, Status

CURRENT_CHECKS = {
    "root_not_used",
    "root_no_access_keys",
    "root_mfa_enabled",
    "root_hardware_mfa_enabled",
    "iam_user_console_mfa",
    "iam_unused_credentials_disabled",
    "iam_access_keys_rotated",
    "iam_single_active_access_key",
    "iam_password_policy_strong",
    "root_usage_alerting",
    "cloudtrail_root_evidence_complete",
    "root_scp_deny",
    "root_credentials_centrally_managed",
    "evidence_consistent",
}
FUTURE_CHECKS: set[str] = set()


def known_check_ids() -> set[str]:
    return set(CHECKS)


SHIPPED = shipped_dir("frameworks")
SHIPPED_FILES = sorted(SHIPPED.glob("*.yaml"))
A1, A2 = "111122223333", "444455556666"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Framework]:
    return load_frameworks(known_check_ids=known_check_ids())


# --------------------------------------------------------------------------------------------
# Shipped files
# --------------------------------------------------------------------------------------------


def test_the_expected_frameworks_ship(shipped):
    for fw_id in (
        "cis-aws-1.4.0",
        "cis-aws-3.0.0",
        "cis-aws-5.0.0",
        "cis-aws-6.0.0",
        "soc2-tsc-2017",
        "hipaa-security-rule-2013",
        "aws-wa-security-2024-11-06",
        "pci-dss-4.0.1",
        "nist-800-53-r5",
    ):
        assert fw_id in shipped
    assert list(shipped) == sorted(shipped)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_every_shipped_file_validates_and_is_named_after_its_id(path):
    fw = load_framework_file(path, known_check_ids())
    assert path.name == f"{fw.id}.yaml"
    assert fw.requirements
    assert len(fw.sha256) == 64


def test_every_referenced_check_exists(shipped):
    known = known_check_ids()
    for fw in shipped.values():
        for req in fw.requirements:
            for mapping in req.checks:
                assert mapping.id in known, f"{fw.id} {req.id} references {mapping.id}"


def test_no_future_check_is_referenced_before_it_exists(shipped):
    known = known_check_ids()
    referenced = set().union(*(fw.check_ids for fw in shipped.values()))
    assert not (referenced & (FUTURE_CHECKS - known))


def test_every_current_check_is_mapped_somewhere(shipped):
    referenced = set().union(*(fw.check_ids for fw in shipped.values()))
    assert CURRENT_CHECKS <= referenced


def test_every_mapping_has_a_real_rationale(shipped):
    for fw in shipped.values():
        for req in fw.requirements:
            for mapping in req.checks:
                words = mapping.rationale.split()
                assert len(words) >= 6, (fw.id, req.id, mapping.id)
                assert mapping.rationale.lower() != req.title.lower()
                assert "\n" not in mapping.rationale


def test_manual_requirements_say_why(shipped):
    for fw in shipped.values():
        for req in fw.requirements:
            if not req.checks:
                assert req.notes, f"{fw.id} {req.id} has no checks and no notes"


def test_root_alarm_requirements_are_automated_by_root_usage_alerting(shipped):
    """The CIS root-usage alarm items, once MANUAL, now rest on root_usage_alerting alone."""
    alarm = {
        "cis-aws-1.4.0": "4.3",
        "cis-aws-3.0.0": "4.3",
        "cis-aws-5.0.0": "4.3",
        "cis-aws-6.0.0": "5.3",
        "cis-aws-7.0.0": "5.3",
    }
    for fw_id, req_id in alarm.items():
        req = shipped[fw_id].requirement(req_id)
        assert req.check_ids == ["root_usage_alerting"]


def test_trail_and_organization_requirements_are_mapped(shipped):
    for version, number in (("1.4.0", "3.1"), ("3.0.0", "3.1"), ("5.0.0", "3.1"), ("6.0.0", "4.1")):
        req = shipped[f"cis-aws-{version}"].requirement(number)
        assert "CloudTrail" in req.title and req.check_ids == ["cloudtrail_root_evidence_complete"]
    cis7 = shipped["cis-aws-7.0.0"]
    assert cis7.requirement("2.1.1").check_ids == ["root_credentials_centrally_managed"]
    assert cis7.requirement("2.1.2").check_ids == ["root_scp_deny"]
    assert "root_usage_alerting" in shipped["soc2-tsc-2017"].requirement("CC7.2").check_ids
    assert shipped["hipaa-security-rule-2013"].requirement("164.312(b)").check_ids == [
        "cloudtrail_root_evidence_complete"
    ]
    assert shipped["aws-wa-security-2024-11-06"].requirement("SEC03-BP05").check_ids == ["root_scp_deny"]


# The numbering of each recommendation per CIS version (reference notes §1.1).
CIS_NUMBERS = {
    # check:                          v1.4.0   v3.0.0  v5.0.0  v6.0.0
    "root_no_access_keys": ("1.4", "1.4", "1.3", "2.3"),
    "root_not_used": ("1.7", "1.7", "1.6", "2.6"),
    "root_mfa_enabled": ("1.5", "1.5", "1.4", "2.4"),
    "root_hardware_mfa_enabled": ("1.6", "1.6", "1.5", "2.5"),
    "iam_user_console_mfa": ("1.10", "1.10", "1.9", "2.9"),
    "iam_unused_credentials_disabled": ("1.12", "1.12", "1.11", "2.11"),
    "iam_single_active_access_key": ("1.13", "1.13", "1.12", "2.12"),
    "iam_access_keys_rotated": ("1.14", "1.14", "1.13", "2.13"),
}
CIS_VERSIONS = ("1.4.0", "3.0.0", "5.0.0", "6.0.0")


@pytest.mark.parametrize("check_id", sorted(CIS_NUMBERS))
@pytest.mark.parametrize("index,version", list(enumerate(CIS_VERSIONS)))
def test_cis_numbers_per_version(shipped, check_id, index, version):
    fw = shipped[f"cis-aws-{version}"]
    mapped_to = sorted(r.id for r in fw.requirements if check_id in r.check_ids)
    assert mapped_to == [CIS_NUMBERS[check_id][index]]


@pytest.mark.parametrize(
    "version,length,reuse,init_key,alarm",
    [
        ("1.4.0", "1.8", "1.9", "1.11", "4.3"),
        ("3.0.0", "1.8", "1.9", "1.11", "4.3"),
        ("5.0.0", "1.7", "1.8", "1.10", "4.3"),
        ("6.0.0", "2.7", "2.8", "2.10", "5.3"),
    ],
)
def test_cis_password_initial_key_and_alarm_numbers(shipped, version, length, reuse, init_key, alarm):
    fw = shipped[f"cis-aws-{version}"]
    pw = sorted(r.id for r in fw.requirements if "iam_password_policy_strong" in r.check_ids)
    assert pw == sorted([length, reuse])
    assert "length" in fw.requirement(length).title
    assert "reuse" in fw.requirement(reuse).title
    assert "initial" in fw.requirement(init_key).title and fw.requirement(init_key).checks == []
    assert "root" in fw.requirement(alarm).title
    assert fw.requirement(alarm).check_ids == ["root_usage_alerting"]


def test_cis_levels_and_assessment(shipped):
    for version in CIS_VERSIONS:
        fw = shipped[f"cis-aws-{version}"]
        for req in fw.requirements:
            assert req.level in ("Level 1", "Level 2")
        hw = next(r for r in fw.requirements if "root_hardware_mfa_enabled" in r.check_ids)
        assert hw.level == "Level 2"
    # v1.4.0 still marked root use Automated; v3.0.0 on it is Manual (steampipe/Cloudaware).
    assert shipped["cis-aws-1.4.0"].requirement("1.7").assessment == "Automated"
    assert shipped["cis-aws-3.0.0"].requirement("1.7").assessment == "Manual"
    assert shipped["cis-aws-5.0.0"].requirement("1.6").assessment == "Manual"


def test_hipaa_uses_the_right_label_for_access_establishment(shipped):
    fw = shipped["hipaa-security-rule-2013"]
    req = fw.requirement("164.308(a)(4)(ii)(C)")
    assert req.title == "Access establishment and modification"
    with pytest.raises(KeyError):
        fw.requirement("164.308(a)(4)(ii)(B)")


def test_soc2_and_wa_cover_the_expected_criteria(shipped):
    soc2 = {r.id for r in shipped["soc2-tsc-2017"].requirements}
    assert {"CC6.1", "CC6.2", "CC6.3", "CC6.6", "CC7.2"} <= soc2
    wa = {r.id for r in shipped["aws-wa-security-2024-11-06"].requirements}
    assert {"SEC01-BP02", "SEC02-BP01", "SEC02-BP02", "SEC02-BP05"} <= wa
    assert any(r.startswith("SEC04-") for r in wa)


# --------------------------------------------------------------------------------------------
# User frameworks
# --------------------------------------------------------------------------------------------

MINIMAL = {
    "id": "acme-baseline-1",
    "name": "ACME cloud baseline",
    "version": "1",
    "publisher": "ACME GRC",
    "source_url": "https://grc.example.com/baseline",
    "text_date": "2026-10",
    "requirements": [
        {
            "id": "R1",
            "title": "No root access keys",
            "section": "Root",
            "checks": [
                {
                    "id": "root_no_access_keys",
                    "rationale": "Direct test of the control in every account.",
                }
            ],
        },
        {"id": "R2", "title": "Break-glass procedure documented", "section": "Root", "checks": []},
    ],
}


def write_yaml(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_user_framework_in_an_extra_dir_shows_up(tmp_path):
    write_yaml(tmp_path / "acme.yaml", MINIMAL)
    fws = load_frameworks([tmp_path], known_check_ids=CURRENT_CHECKS)
    assert "acme-baseline-1" in fws
    assert "cis-aws-5.0.0" in fws
    assert fws["acme-baseline-1"].source == str(tmp_path / "acme.yaml")
    assert list(fws) == sorted(fws)


def test_user_framework_overrides_shipped_one_with_the_same_id(tmp_path):
    data = dict(MINIMAL, id="cis-aws-5.0.0", name="Our tailored CIS 5")
    write_yaml(tmp_path / "my-cis.yaml", data)
    fws = load_frameworks([tmp_path], known_check_ids=CURRENT_CHECKS)
    assert fws["cis-aws-5.0.0"].name == "Our tailored CIS 5"
    assert [r.id for r in fws["cis-aws-5.0.0"].requirements] == ["R1", "R2"]
    # The shipped file is untouched for everybody else.
    assert load_frameworks(known_check_ids=CURRENT_CHECKS)["cis-aws-5.0.0"].name.startswith("CIS")


def test_later_extra_dir_wins_and_a_single_file_is_accepted(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    write_yaml(a / "x.yaml", dict(MINIMAL, name="from a"))
    write_yaml(b / "x.yml", dict(MINIMAL, name="from b"))
    assert load_frameworks([a, b], known_check_ids=CURRENT_CHECKS)["acme-baseline-1"].name == "from b"
    only_file = load_frameworks([a / "x.yaml"], known_check_ids=CURRENT_CHECKS)
    assert only_file["acme-baseline-1"].name == "from a"


def test_same_id_twice_in_one_dir_is_an_error(tmp_path):
    write_yaml(tmp_path / "one.yaml", MINIMAL)
    write_yaml(tmp_path / "two.yaml", MINIMAL)
    with pytest.raises(
        FrameworkError,
        match=r"two\.yaml: id: framework id 'acme-baseline-1' is also defined in .*one\.yaml",
    ):
        load_frameworks([tmp_path], known_check_ids=CURRENT_CHECKS)


def test_missing_extra_dir_is_an_error(tmp_path):
    with pytest.raises(FrameworkError, match="no such framework file or folder"):
        load_frameworks([tmp_path / "nope"], known_check_ids=CURRENT_CHECKS)


def test_check_ids_default_to_the_registry(tmp_path, monkeypatch):
    data = dict(MINIMAL)
    data["requirements"] = [
        dict(MINIMAL["requirements"][0], checks=[{"id": "made_up_check", "rationale": "x y z a b c"}])
    ]
    write_yaml(tmp_path / "acme.yaml", data)
    monkeypatch.setattr(fwmod, "CHECKS", {cid: CHECKS[cid] for cid in CURRENT_CHECKS})
    with pytest.raises(FrameworkError, match="unknown check 'made_up_check'"):
        load_frameworks([tmp_path])
    # An explicit set wins over the registry.
    assert "acme-baseline-1" in load_frameworks([tmp_path], known_check_ids=CURRENT_CHECKS | {"made_up_check"})


# --------------------------------------------------------------------------------------------
# Malformed files
# --------------------------------------------------------------------------------------------


def assert_one_line(exc: FrameworkError, *parts: str) -> str:
    msg = str(exc)
    assert "\n" not in msg
    for part in parts:
        assert part in msg, f"{part!r} not in {msg!r}"
    return msg


def load_one(path: Path) -> Framework:
    return load_framework_file(path, CURRENT_CHECKS)


def test_bad_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nname: [unclosed\n")
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), "line 3", "invalid YAML")


def test_missing_field_names_requirement_and_field(tmp_path):
    data = json.loads(json.dumps(MINIMAL))
    del data["requirements"][1]["section"]
    path = write_yaml(tmp_path / "f.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), "requirement 'R2'", "section", "missing required field")


def test_missing_checks_key_is_an_error_not_a_manual_requirement(tmp_path):
    data = json.loads(json.dumps(MINIMAL))
    del data["requirements"][0]["checks"]
    path = write_yaml(tmp_path / "f.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, "requirement 'R1'", "checks: missing required field")


def test_missing_top_level_field(tmp_path):
    data = {k: v for k, v in MINIMAL.items() if k != "publisher"}
    path = write_yaml(tmp_path / "f.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), "publisher", "missing required field")


def test_unknown_check_id(tmp_path):
    data = json.loads(json.dumps(MINIMAL))
    data["requirements"][0]["checks"][0]["id"] = "root_nope"
    path = write_yaml(tmp_path / "x.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert str(exc.value) == f"{path}: requirement 'R1': checks[0].id: unknown check 'root_nope'"


def test_duplicate_requirement_id(tmp_path):
    data = json.loads(json.dumps(MINIMAL))
    data["requirements"][1]["id"] = "R1"
    path = write_yaml(tmp_path / "f.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), "requirement 'R1'", "id: duplicate requirement id")


def test_same_check_twice_in_one_requirement(tmp_path):
    data = json.loads(json.dumps(MINIMAL))
    data["requirements"][0]["checks"].append(dict(data["requirements"][0]["checks"][0]))
    path = write_yaml(tmp_path / "f.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, "requirement 'R1'", "checks[1].id", "mapped twice")


def test_duplicate_yaml_key_is_an_error(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        (SHIPPED / "cis-aws-5.0.0.yaml")
        .read_text()
        .replace(
            '    section: "1 Identity and Access Management"\n',
            '    section: "1 Identity and Access Management"\n    section: "again"\n',
            1,
        )
    )
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), "requirement '1.3'", "duplicate key 'section'")


def test_unquoted_numeric_requirement_id_is_refused(tmp_path):
    # YAML reads 1.10 as the float 1.1: exactly the error prowler's CIS 5.0 file contains.
    path = tmp_path / "f.yaml"
    path.write_text((SHIPPED / "cis-aws-5.0.0.yaml").read_text().replace('id: "1.10"', "id: 1.10"))
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, "requirements[7]", "id", "quote it")


def test_unknown_field_is_refused(tmp_path):
    data = json.loads(json.dumps(MINIMAL))
    data["requirements"][0]["severity"] = "high"
    path = write_yaml(tmp_path / "f.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, "requirement 'R1'", "severity", "unknown field")


@pytest.mark.parametrize(
    "field,value,expect",
    [
        ("id", "CIS 5", "id"),
        ("text_date", "March 2025", "text_date"),
        ("source_url", "cisecurity.org", "source_url"),
        ("requirements", [], "requirements"),
    ],
)
def test_bad_top_level_values(tmp_path, field, value, expect):
    path = write_yaml(tmp_path / "f.yaml", dict(MINIMAL, **{field: value}))
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), f": {expect}:")


def test_multiline_title_is_refused(tmp_path):
    data = json.loads(json.dumps(MINIMAL))
    data["requirements"][0]["title"] = "two\nlines"
    path = write_yaml(tmp_path / "f.yaml", data)
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, "requirement 'R1'", "title", "single line")


@pytest.mark.parametrize(
    "content,expect",
    [("", "file is empty"), ("- a\n- b\n", "expected a mapping"), (b"\xff\xfe", "not UTF-8")],
)
def test_empty_list_and_binary_files(tmp_path, content, expect):
    path = tmp_path / "f.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), expect)


def test_truncated_file_names_file_requirement_and_field(tmp_path):
    text = (SHIPPED / "cis-aws-5.0.0.yaml").read_text()
    cut = text.index("the condition the CIS audit tests")  # inside 1.4's quoted rationale
    path = tmp_path / "cut.yaml"
    path.write_text(text[:cut])
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), "requirement '1.4'", "rationale", "invalid YAML")


def test_truncated_inside_a_requirement_names_the_missing_field(tmp_path):
    text = (SHIPPED / "cis-aws-5.0.0.yaml").read_text()
    cut = text.index('    level: "Level 1"', text.index('id: "1.9"'))
    path = tmp_path / "cut.yaml"
    path.write_text(text[:cut])
    with pytest.raises(FrameworkError) as exc:
        load_one(path)
    assert_one_line(exc.value, str(path), "requirement '1.9'", "checks: missing required field")


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_truncation_anywhere_never_yields_more_or_different_requirements(tmp_path, path):
    """Cut a shipped file at many points: loading raises FrameworkError (one line, naming the
    file) or yields a prefix of the original requirements, each with a prefix of its checks.
    Never another exception, never a requirement that was not in the file."""
    text = path.read_text()
    full = load_one(path)
    target = tmp_path / path.name
    step = max(1, len(text) // 150)
    for cut in range(1, len(text), step):
        target.write_text(text[:cut])
        try:
            got = load_one(target)
        except FrameworkError as exc:
            msg = str(exc)
            assert "\n" not in msg and str(target) in msg
            continue
        assert [r.id for r in got.requirements] == [r.id for r in full.requirements][: len(got.requirements)]
        for mine, orig in zip(got.requirements, full.requirements, strict=False):
            assert orig.check_ids[: len(mine.check_ids)] == mine.check_ids


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

AS_OF = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def make_framework(requirements) -> Framework:
    return Framework.model_validate(dict(MINIMAL, id="test-fw", requirements=requirements))


def req(rid, *checks):
    return {
        "id": rid,
        "title": f"Requirement {rid}",
        "section": "S",
        "checks": [{"id": c, "rationale": "Evidence for this requirement, in test."} for c in checks],
    }


_counter = iter(range(1, 10_000))


def finding(check, status, account=A1, fid=None):
    return Finding(
        check_id=check,
        account_id=account,
        resource=f"arn:aws:iam::{account}:root",
        status=Status(status),
        severity=Severity.HIGH,
        reason="test",
        finding_id=fid or f"F-{next(_counter):04d}",
        # As the runner does: a check that takes limits is judged by the defaults.
        limits=Thresholds().for_check(CHECKS[check].limits) if check in CHECKS else {},
    )


def attestation(
    *,
    requirement=None,
    check=None,
    accounts=("*",),
    expires=date(2027, 1, 31),
    when=date(2026, 10, 1),
):
    return Attestation(
        accounts=tuple(accounts),
        statement="Reviewed and confirmed.",
        attested_by="Jane Doe, CISO",
        date=when,
        expires=expires,
        requirement=requirement,
        check=check,
    )


def status_of(result, rid):
    return next(r for r in result.requirements if r.requirement.id == rid)


@pytest.mark.parametrize(
    "statuses,expected",
    [
        (["PASS", "PASS"], Status.PASS),
        (["PASS", "FAIL"], Status.FAIL),
        (["NOT_ASSESSED", "FAIL"], Status.FAIL),
        (["PASS", "NOT_ASSESSED"], Status.NOT_ASSESSED),
        (["PASS", "NOT_APPLICABLE"], Status.PASS),
        (["NOT_APPLICABLE", "NOT_APPLICABLE"], Status.NOT_APPLICABLE),
        (["NOT_APPLICABLE", "NOT_ASSESSED"], Status.NOT_ASSESSED),
        (["PASS", "MANUAL"], Status.MANUAL),
    ],
)
def test_status_rule_over_findings(statuses, expected):
    fw = make_framework([req("R1", "root_no_access_keys")])
    findings = [finding("root_no_access_keys", s, account=acct) for s, acct in zip(statuses, (A1, A2), strict=True)]
    assert status_of(evaluate(fw, findings, as_of=AS_OF), "R1").status is expected


def test_findings_of_all_mapped_checks_combine_across_accounts():
    fw = make_framework([req("R1", "root_mfa_enabled", "root_no_access_keys")])
    findings = [
        finding("root_mfa_enabled", "PASS", A1),
        finding("root_no_access_keys", "PASS", A1),
        finding("root_mfa_enabled", "PASS", A2),
        finding("root_no_access_keys", "FAIL", A2),
        finding("iam_user_console_mfa", "FAIL", A1),  # not mapped: ignored
    ]
    result = evaluate(fw, findings, as_of=AS_OF)
    r1 = status_of(result, "R1")
    assert r1.status is Status.FAIL
    assert r1.status_by_account == {A1: Status.PASS, A2: Status.FAIL}
    assert r1.check_ids == ["root_mfa_enabled", "root_no_access_keys"]
    assert len(r1.finding_ids) == 4


def test_no_findings_at_all_is_not_assessed_never_pass():
    fw = make_framework([req("R1", "root_no_access_keys")])
    result = evaluate(fw, [], as_of=AS_OF)
    assert status_of(result, "R1").status is Status.NOT_ASSESSED
    # Findings from other checks do not help.
    result = evaluate(fw, [finding("root_mfa_enabled", "PASS")], as_of=AS_OF)
    assert status_of(result, "R1").status is Status.NOT_ASSESSED


def test_a_mapped_check_without_findings_in_an_account_is_not_assessed_there():
    fw = make_framework([req("R1", "root_mfa_enabled", "root_no_access_keys")])
    findings = [
        finding("root_mfa_enabled", "PASS", A1),
        finding("root_no_access_keys", "PASS", A1),
        finding("root_mfa_enabled", "PASS", A2),  # root_no_access_keys never ran in A2
    ]
    r1 = status_of(evaluate(fw, findings, as_of=AS_OF), "R1")
    assert r1.status_by_account == {A1: Status.PASS, A2: Status.NOT_ASSESSED}
    assert r1.status is Status.NOT_ASSESSED
    assert "root_no_access_keys" in r1.reason and A2 in r1.reason


def test_an_account_in_scope_without_findings_is_not_assessed():
    fw = make_framework([req("R1", "root_no_access_keys")])
    result = evaluate(fw, [finding("root_no_access_keys", "PASS", A1)], as_of=AS_OF, accounts=[A1, A2])
    assert status_of(result, "R1").status is Status.NOT_ASSESSED
    assert result.counts_by_account[A2][Status.NOT_ASSESSED] == 1


def test_manual_requirement_without_attestation_is_manual():
    fw = make_framework([req("R2")])
    r2 = status_of(evaluate(fw, [finding("root_no_access_keys", "PASS")], as_of=AS_OF), "R2")
    assert r2.status is Status.MANUAL
    assert r2.finding_ids == [] and r2.attestations == []


def test_valid_attestation_turns_manual_into_pass_and_is_recorded():
    fw = make_framework([req("R2")])
    att = attestation(requirement="test-fw:R2")
    r2 = status_of(evaluate(fw, [finding("root_no_access_keys", "PASS")], [att], as_of=AS_OF), "R2")
    assert r2.status is Status.PASS
    assert r2.attestations == [att]
    assert r2.expired_attestations == []


def test_expired_attestation_does_not_count_and_is_reported():
    fw = make_framework([req("R2")])
    old = attestation(requirement="test-fw:R2", expires=date(2026, 10, 31))
    r2 = status_of(evaluate(fw, [finding("root_no_access_keys", "PASS")], [old], as_of=AS_OF), "R2")
    assert r2.status is Status.MANUAL
    assert r2.attestations == []
    assert r2.expired_attestations == [old]
    assert "expired" in r2.reason


def test_attestation_is_valid_through_its_expiry_day():
    fw = make_framework([req("R2")])
    att = attestation(requirement="test-fw:R2", expires=date(2026, 11, 1))
    findings = [finding("root_no_access_keys", "PASS")]
    assert status_of(evaluate(fw, findings, [att], as_of=AS_OF), "R2").status is Status.PASS
    nextday = AS_OF + timedelta(days=1)
    assert status_of(evaluate(fw, findings, [att], as_of=nextday), "R2").status is Status.MANUAL
    # as_of is read in UTC: 2026-11-01 23:30 at UTC-05:00 is already 2 November.
    late = datetime(2026, 11, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert status_of(evaluate(fw, findings, [att], as_of=late), "R2").status is Status.MANUAL


def test_evaluate_needs_the_snapshots_as_of_not_the_clock():
    fw = make_framework([req("R2")])
    with pytest.raises(TypeError):
        evaluate(fw, [finding("root_no_access_keys", "PASS")])  # type: ignore[call-arg]


def test_attestation_for_some_accounts_only():
    fw = make_framework([req("R2")])
    findings = [
        finding("root_no_access_keys", "PASS", A1),
        finding("root_no_access_keys", "PASS", A2),
    ]
    att = attestation(requirement="test-fw:R2", accounts=[A1])
    result = evaluate(fw, findings, [att], as_of=AS_OF)
    r2 = status_of(result, "R2")
    assert r2.status is Status.MANUAL
    assert r2.status_by_account == {A1: Status.PASS, A2: Status.MANUAL}
    assert result.counts_by_account[A1][Status.PASS] == 1
    assert result.counts_by_account[A2][Status.MANUAL] == 1


def test_attestation_for_another_framework_or_account_does_not_apply():
    fw = make_framework([req("R2")])
    findings = [finding("root_no_access_keys", "PASS", A1)]
    others = [
        attestation(requirement="other-fw:R2"),
        attestation(requirement="test-fw:R1"),
        attestation(requirement="test-fw:R2", accounts=["999999999999"]),
    ]
    r2 = status_of(evaluate(fw, findings, others, as_of=AS_OF), "R2")
    assert r2.status is Status.MANUAL
    assert r2.attestations == []


def test_check_attestation_never_turns_fail_into_pass():
    fw = make_framework([req("R1", "root_no_access_keys")])
    att = attestation(check="root_no_access_keys")
    r1 = status_of(evaluate(fw, [finding("root_no_access_keys", "FAIL")], [att], as_of=AS_OF), "R1")
    assert r1.status is Status.FAIL
    assert r1.attestations == [att]  # listed as context


def test_requirement_attestation_never_overrides_automated_results():
    fw = make_framework([req("R1", "root_no_access_keys")])
    att = attestation(requirement="test-fw:R1")
    for status in ("FAIL", "NOT_ASSESSED"):
        r1 = status_of(evaluate(fw, [finding("root_no_access_keys", status)], [att], as_of=AS_OF), "R1")
        assert r1.status is Status(status)
        assert r1.attestations == [att]
    assert status_of(evaluate(fw, [], [att], as_of=AS_OF), "R1").status is Status.NOT_ASSESSED


def test_check_attestation_satisfies_a_manual_finding():
    fw = make_framework([req("R1", "root_no_access_keys")])
    findings = [
        finding("root_no_access_keys", "MANUAL", A1),
        finding("root_no_access_keys", "MANUAL", A2),
    ]
    att = attestation(check="root_no_access_keys", accounts=[A1])
    r1 = status_of(evaluate(fw, findings, [att], as_of=AS_OF), "R1")
    assert r1.status_by_account == {A1: Status.PASS, A2: Status.MANUAL}
    assert r1.status is Status.MANUAL
    expired = attestation(check="root_no_access_keys", expires=date(2026, 1, 1), when=date(2025, 12, 1))
    r1 = status_of(evaluate(fw, findings, [expired], as_of=AS_OF), "R1")
    assert r1.status is Status.MANUAL
    assert r1.expired_attestations == [expired]


def test_check_attestation_only_covers_its_own_check():
    fw = make_framework([req("R1", "root_no_access_keys", "root_mfa_enabled")])
    findings = [finding("root_no_access_keys", "MANUAL"), finding("root_mfa_enabled", "PASS")]
    other = attestation(check="root_mfa_enabled")
    assert status_of(evaluate(fw, findings, [other], as_of=AS_OF), "R1").status is Status.MANUAL
    own = attestation(check="root_no_access_keys")
    assert status_of(evaluate(fw, findings, [own], as_of=AS_OF), "R1").status is Status.PASS


def test_counts_cover_all_statuses_and_every_requirement():
    fw = make_framework([req("R1", "root_no_access_keys"), req("R2"), req("R3", "iam_access_keys_rotated")])
    result = evaluate(fw, [finding("root_no_access_keys", "PASS")], as_of=AS_OF)
    assert list(result.counts) == [
        Status.PASS,
        Status.FAIL,
        Status.NOT_ASSESSED,
        Status.NOT_APPLICABLE,
        Status.MANUAL,
    ]
    assert result.counts == {
        Status.PASS: 1,
        Status.FAIL: 0,
        Status.NOT_ASSESSED: 1,
        Status.NOT_APPLICABLE: 0,
        Status.MANUAL: 1,
    }
    assert sum(result.counts.values()) == len(fw.requirements)


def test_counts_by_account_use_each_accounts_findings_only():
    fw = make_framework([req("R1", "root_no_access_keys"), req("R3", "iam_access_keys_rotated")])
    findings = [
        finding("root_no_access_keys", "FAIL", A1),
        finding("iam_access_keys_rotated", "PASS", A1),
        finding("root_no_access_keys", "PASS", A2),
        finding("iam_access_keys_rotated", "NOT_APPLICABLE", A2),
    ]
    result = evaluate(fw, findings, as_of=AS_OF)
    assert result.accounts == [A1, A2]
    assert result.counts_by_account[A1] == {
        Status.PASS: 1,
        Status.FAIL: 1,
        Status.NOT_ASSESSED: 0,
        Status.NOT_APPLICABLE: 0,
        Status.MANUAL: 0,
    }
    assert result.counts_by_account[A2] == {
        Status.PASS: 1,
        Status.FAIL: 0,
        Status.NOT_ASSESSED: 0,
        Status.NOT_APPLICABLE: 1,
        Status.MANUAL: 0,
    }
    # Overall: R1 fails (A1), R3 passes (A1 PASS, A2 not applicable).
    assert result.counts[Status.FAIL] == 1 and result.counts[Status.PASS] == 1


def test_finding_ids_follow_the_findings_order_not_their_text():
    # Ids carry no position: a requirement names its findings by account, then check (registry
    # order), whatever order they arrive in and however their ids would sort as text.
    fw = make_framework([req("R1", "root_no_access_keys", "root_mfa_enabled")])
    findings = [
        finding("root_mfa_enabled", "PASS", A2, fid="F-a"),
        finding("root_no_access_keys", "PASS", A2, fid="F-b"),
        finding("root_mfa_enabled", "PASS", A1, fid="F-c"),
        finding("root_no_access_keys", "PASS", A1, fid="F-d"),
    ]
    assert A1 < A2
    for given in (findings, list(reversed(findings))):
        assert status_of(evaluate(fw, given, as_of=AS_OF), "R1").finding_ids == ["F-d", "F-c", "F-b", "F-a"]


def test_as_dict_is_json_ready_and_deterministic():
    fw = make_framework([req("R1", "root_no_access_keys", "root_mfa_enabled"), req("R2")])
    findings = [
        finding("root_mfa_enabled", "PASS", A2, fid="F-0002"),
        finding("root_no_access_keys", "FAIL", A1, fid="F-0001"),
        finding("root_mfa_enabled", "PASS", A1, fid="F-0003"),
        finding("root_no_access_keys", "PASS", A2, fid="F-0004"),
    ]
    atts = [
        attestation(requirement="test-fw:R2", accounts=[A2]),
        attestation(requirement="test-fw:R2", accounts=[A1]),
        attestation(requirement="test-fw:R2", expires=date(2026, 1, 1), when=date(2025, 1, 1)),
    ]
    one = evaluate(fw, findings, atts, as_of=AS_OF).as_dict()
    two = evaluate(fw, list(reversed(findings)), list(reversed(atts)), as_of=AS_OF).as_dict()
    assert json.dumps(one) == json.dumps(two)
    assert list(one) == [
        "framework",
        "as_of",
        "accounts",
        "counts",
        "counts_by_account",
        "requirements",
    ]
    assert one["framework"]["id"] == "test-fw"
    assert one["counts"] == {
        "PASS": 1,
        "FAIL": 1,
        "NOT_ASSESSED": 0,
        "NOT_APPLICABLE": 0,
        "MANUAL": 0,
    }
    r1, r2 = one["requirements"]
    # By account, then check: the findings' order, not their ids'.
    assert r1["status"] == "FAIL" and r1["finding_ids"] == ["F-0001", "F-0003", "F-0004", "F-0002"]
    assert r1["status_by_account"] == {A1: "FAIL", A2: "PASS"}
    assert r2["status"] == "PASS"
    assert [a["accounts"] for a in r2["attestations"]] == [[A1], [A2]]
    assert [a["expires"] for a in r2["expired_attestations"]] == ["2026-01-01"]


def test_every_shipped_framework_passes_when_every_check_passes(shipped):
    """With a PASS finding from every check in two accounts, each automated requirement is PASS
    and each requirement without checks is MANUAL: the mappings evaluate end to end."""
    findings = [finding(c, "PASS", acct) for c in sorted(known_check_ids()) for acct in (A1, A2)]
    for fw in shipped.values():
        # A row that states its own limits is judged only by findings made under them.
        own = [
            replace(finding(c, "PASS", acct), limits=Thresholds().for_check(CHECKS[c].limits, limits))
            for c, sets in fw.stated_limits().items()
            for limits in sets
            for acct in (A1, A2)
        ]
        without = evaluate(fw, findings, as_of=AS_OF)
        differ = {
            r.requirement.id
            for r in without.requirements
            if any(limits != Thresholds().for_check(CHECKS[c].limits) for c, limits in r.limits.items())
        }
        assert {r.requirement.id for r in without.requirements if r.status is Status.NOT_ASSESSED} == differ
        assert differ == ({"8.2.6", "8.3.7"} if fw.id == "pci-dss-4.0.1" else set()), fw.id
        result = evaluate(fw, findings + own, as_of=AS_OF)
        for r in result.requirements:
            assert r.status is (Status.MANUAL if not r.requirement.checks else Status.PASS), (
                fw.id,
                r.requirement.id,
            )
        json.dumps(result.as_dict())


# --------------------------------------------------------------------------------------------
# Attestation files
# --------------------------------------------------------------------------------------------

GOOD_RECORDS = [
    {
        "requirement": "cis-aws-5.0.0:4.3",
        "accounts": ["*"],
        "statement": "Root sign-ins page the on-call through our SIEM rule 'root-login'.",
        "attested_by": "Jane Doe, Head of Security",
        "date": "2026-10-02",
        "expires": "2027-04-01",
        "evidence_file": "siem-rule.pdf",
    },
    {
        "check": "root_hardware_mfa_enabled",
        "accounts": ["111122223333"],
        "statement": "The YubiKey is kept in the office safe.",
        "attested_by": "John Roe",
        "date": "2026-10-02",
        "expires": "2026-12-31",
    },
]


def test_load_attestations(tmp_path):
    (tmp_path / "siem-rule.pdf").write_bytes(b"%PDF-1.4")
    path = write_yaml(tmp_path / "att.yaml", GOOD_RECORDS)
    atts = load_attestations(path)
    assert len(atts) == 2
    first, second = atts
    assert first.requirement == "cis-aws-5.0.0:4.3"
    assert first.framework_id == "cis-aws-5.0.0" and first.requirement_id == "4.3"
    assert first.accounts == ("*",) and first.covers("123456789012")
    assert first.evidence_sha256 == hashlib.sha256(b"%PDF-1.4").hexdigest()
    assert second.evidence_sha256 is None
    assert first.date == date(2026, 10, 2) and first.expires == date(2027, 4, 1)
    assert (first.source, first.index) == (str(path), 0)
    assert second.check == "root_hardware_mfa_enabled" and not second.covers("123456789012")
    assert second.index == 1


def test_unquoted_yaml_dates_are_accepted(tmp_path):
    path = tmp_path / "att.yaml"
    path.write_text(
        "- check: root_mfa_enabled\n  accounts: ['111122223333']\n  statement: ok then\n"
        "  attested_by: J\n  date: 2026-10-02\n  expires: 2027-10-02\n"
    )
    assert load_attestations(path)[0].expires == date(2027, 10, 2)


def bad_record(tmp_path, **change):
    record = dict(GOOD_RECORDS[1])
    for key, value in change.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return write_yaml(tmp_path / "att.yaml", [GOOD_RECORDS[1], record])


@pytest.mark.parametrize(
    "change,field,text",
    [
        ({"statement": None}, "statement", "missing required field"),
        ({"expires": "soon"}, "expires", "date"),
        ({"check": None}, "requirement", "exactly one"),
        ({"requirement": "cis-aws-5.0.0:1.5"}, "requirement", "exactly one"),
        ({"accounts": [111122223333]}, "accounts", "quote account ids"),
        ({"accounts": ["1234"]}, "accounts[0]", "pattern"),
        ({"accounts": ["*", "111122223333"]}, "accounts", "'*' cannot be combined"),
        ({"accounts": []}, "accounts", "at least 1"),
        ({"expires": "2026-01-01"}, "expires", "before date"),
        ({"evidence_file": "missing.pdf"}, "evidence_file", "file not found"),
        ({"signed": True}, "signed", "unknown field"),
    ],
)
def test_attestation_errors_name_file_record_and_field(tmp_path, change, field, text):
    path = bad_record(tmp_path, **change)
    with pytest.raises(FrameworkError) as exc:
        load_attestations(path)
    assert_one_line(exc.value, str(path), "record 1", f": {field}", text)


def test_attestation_file_must_be_a_list(tmp_path):
    path = write_yaml(tmp_path / "att.yaml", GOOD_RECORDS[1])
    with pytest.raises(FrameworkError) as exc:
        load_attestations(path)
    assert_one_line(exc.value, str(path), "expected a YAML list")


def test_validate_attestations_catches_typos(tmp_path, shipped):
    (tmp_path / "siem-rule.pdf").write_bytes(b"%PDF-1.4")
    good = load_attestations(write_yaml(tmp_path / "att.yaml", GOOD_RECORDS))
    validate_attestations(good, shipped, known_check_ids())
    for change, text in (
        ({"requirement": "cis-aws-9.9.9:1.1"}, "unknown framework 'cis-aws-9.9.9'"),
        ({"requirement": "cis-aws-5.0.0:1.55"}, "has no requirement '1.55'"),
    ):
        rec = dict(GOOD_RECORDS[0], **change)
        atts = load_attestations(write_yaml(tmp_path / "att.yaml", [rec]))
        with pytest.raises(FrameworkError) as exc:
            validate_attestations(atts, shipped, known_check_ids())
        assert_one_line(exc.value, "record 0", "requirement", text)
    rec = dict(GOOD_RECORDS[1], check="root_mfa_enabld")
    atts = load_attestations(write_yaml(tmp_path / "att.yaml", [rec]))
    with pytest.raises(FrameworkError) as exc:
        validate_attestations(atts, shipped, known_check_ids())
    assert_one_line(exc.value, "record 0", "check", "unknown check 'root_mfa_enabld'")


def test_attestation_built_in_code_must_name_one_target():
    with pytest.raises(ValueError):
        attestation()
    with pytest.raises(ValueError):
        attestation(requirement="no-colon")
