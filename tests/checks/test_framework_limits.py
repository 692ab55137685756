"""Each framework's own number judges its own requirement (issue #15, item 6): a check takes its
limits as parameters, a framework row may state them, and the pack judges the check once per
distinct set, so one credential can FAIL CIS 1.11 (45 days) and PASS PCI DSS 8.2.6 (over 90)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from factory import ACCOUNT, AS_OF, AccountSpec, cr_row, report, write_snapshot
from typer.testing import CliRunner

from reporter.assess.framework_files import load_framework_file, load_frameworks
from reporter.assess.framework_model import FrameworkError
from reporter.checks.limits import PARAMETERS, Thresholds, describe_limits
from reporter.checks.registry import CHECKS
from reporter.checks.runner import limit_variants
from reporter.cli.app import app
from reporter.core.resources import demo_snapshot_dir
from reporter.core.status import Status
from reporter.pack.model import Pack, PackOptions, build_pack

SECOND = timedelta(seconds=1)
USER = f"arn:aws:iam::{ACCOUNT}:user/idle"
FRAMEWORKS = load_frameworks()
CIS, PCI, SOC2 = FRAMEWORKS["cis-aws-5.0.0"], FRAMEWORKS["pci-dss-4.0.1"], FRAMEWORKS["soc2-tsc-2017"]


def stamp(age: timedelta) -> str:
    return (AS_OF - age).strftime("%Y-%m-%dT%H:%M:%SZ")


def pack_for(tmp_path: Path, unused_for: timedelta, thresholds: Thresholds | None = None) -> Pack:
    row = cr_row("idle", password_last_used=stamp(unused_for), password_last_changed="2020-01-01T00:00:00Z")
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=report(cr_row(), row)))
    options = PackOptions(thresholds=thresholds or Thresholds(), frameworks=[CIS, PCI, SOC2])
    return build_pack(snapshot, options)


def row_status(pack: Pack, framework_id: str, requirement_id: str) -> Status:
    (result,) = [r for r in pack.frameworks if r.framework_id == framework_id]
    return next(r for r in result.requirements if r.requirement.id == requirement_id).status


def unused_finding(findings: list, **limits: int):
    (found,) = [f for f in findings if f.check_id == "iam_unused_credentials_disabled" and f.resource == USER]
    assert found.limits == limits
    return found


def test_sixty_days_unused_fails_cis_and_passes_pci(tmp_path: Path) -> None:
    pack = pack_for(tmp_path, timedelta(days=60))
    assert row_status(pack, "cis-aws-5.0.0", "1.11") is Status.FAIL
    assert row_status(pack, "pci-dss-4.0.1", "8.2.6") is Status.PASS
    # SOC 2 states no number: the pack's (CIS-based) default judges it.
    assert row_status(pack, "soc2-tsc-2017", "CC6.2") is Status.FAIL
    # The pack's own findings (counts, drift) are the product limits'; PCI's are apart.
    assert unused_finding(pack.findings, unused_credentials_days=45).status is Status.FAIL
    pci = unused_finding(pack.framework_findings, unused_credentials_over_days=90)
    assert pci.status is Status.PASS and pci.framework_limits
    (result,) = [r for r in pack.frameworks if r.framework_id == "pci-dss-4.0.1"]
    req = next(r for r in result.requirements if r.requirement.id == "8.2.6")
    assert pci.finding_id in req.finding_ids
    assert not set(req.finding_ids) & {f.finding_id for f in pack.findings}
    assert req.limits == {"iam_unused_credentials_disabled": {"unused_credentials_over_days": 90}}
    assert req.limits_text == "iam_unused_credentials_disabled: FAIL if unused > 90 days"


@pytest.mark.parametrize(
    ("age", "cis", "pci"),
    [
        (timedelta(days=45) - SECOND, Status.PASS, Status.PASS),
        (timedelta(days=45), Status.FAIL, Status.PASS),  # CIS: "unused for 45 days or more"
        (timedelta(days=90) - SECOND, Status.FAIL, Status.PASS),
        (timedelta(days=90), Status.FAIL, Status.PASS),  # PCI: inactive means "not used in over 90 days"
        (timedelta(days=90) + SECOND, Status.FAIL, Status.FAIL),
    ],
)
def test_each_framework_limit_to_the_second(tmp_path: Path, age: timedelta, cis: Status, pci: Status) -> None:
    pack = pack_for(tmp_path, age)
    assert (row_status(pack, "cis-aws-5.0.0", "1.11"), row_status(pack, "pci-dss-4.0.1", "8.2.6")) == (cis, pci)


def test_a_framework_number_is_not_moved_by_the_cli_default(tmp_path: Path) -> None:
    # --unused-days 30 is the pack's default; CIS's row still says 45, PCI's still over 90.
    pack = pack_for(tmp_path, timedelta(days=40), Thresholds(unused_credentials_days=30))
    assert unused_finding(pack.findings, unused_credentials_days=30).status is Status.FAIL
    assert row_status(pack, "soc2-tsc-2017", "CC6.2") is Status.FAIL
    assert row_status(pack, "cis-aws-5.0.0", "1.11") is Status.PASS
    assert row_status(pack, "pci-dss-4.0.1", "8.2.6") is Status.PASS


def test_each_distinct_set_of_limits_is_judged_once() -> None:
    stated: dict[str, list[dict[str, int]]] = {}
    for fw in FRAMEWORKS.values():
        for check_id, sets in fw.stated_limits().items():
            stated.setdefault(check_id, []).extend(sets)
    # Five CIS versions state 45 days, 14 and 24 (the defaults); PCI states its two.
    assert len(stated["iam_unused_credentials_disabled"]) == 6
    variants = limit_variants(Thresholds(), stated)
    assert [(c.id, dict(k)) for c, k in variants] == [
        ("iam_unused_credentials_disabled", {"unused_credentials_over_days": 90}),
        ("iam_password_policy_strong", {"password_min_length": 12, "password_reuse_prevention": 4}),
    ]
    # With other defaults the CIS numbers become variants of their own, once for all versions.
    moved = limit_variants(Thresholds(unused_credentials_days=30), stated)
    assert sum(c.id == "iam_unused_credentials_disabled" for c, _ in moved) == 2


def test_checks_declare_only_known_limits_and_every_default_has_one() -> None:
    assert set(Thresholds().as_dict()) <= set(PARAMETERS)
    declared = {name for check in CHECKS.values() for name in check.limits}
    assert declared == set(PARAMETERS)
    assert describe_limits({"password_reuse_prevention": 4, "password_min_length": 12}) == (
        "length ≥ 12 characters; remembered passwords ≥ 4"
    )


def write_framework(tmp_path: Path, limits: object, check: str = "iam_unused_credentials_disabled") -> Path:
    doc = {
        "id": "acme-1",
        "name": "Acme baseline",
        "version": "1",
        "publisher": "Acme",
        "source_url": "https://example.com/acme",
        "text_date": "2026-01-01",
        "requirements": [
            {
                "id": "A.1",
                "title": "Idle credentials are disabled",
                "section": "A",
                "checks": [{"id": check, "rationale": "It finds idle credentials.", "limits": limits}],
            }
        ],
    }
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("limits", "check", "message"),
    [
        ({"unused_credentials_days": 0}, "iam_unused_credentials_disabled", "between 1 and 3650, not 0"),
        ({"unused_credentials_days": "90"}, "iam_unused_credentials_disabled", "valid integer"),
        ({"unused_credentials_days": 9.5}, "iam_unused_credentials_disabled", "valid integer"),
        ({"unused_days": 90}, "iam_unused_credentials_disabled", "unknown limit 'unused_days'"),
        ({"password_reuse_prevention": 25}, "iam_password_policy_strong", "between 1 and 24, not 25"),
        (
            {"unused_credentials_days": 45, "unused_credentials_over_days": 90},
            "iam_unused_credentials_disabled",
            "two wordings of one limit",
        ),
        ({"key_rotation_days": 90}, "iam_unused_credentials_disabled", "does not take this limit"),
        ({"root_window_days": 30}, "root_mfa_enabled", "it takes: none"),
    ],
)
def test_a_bad_limit_is_refused_in_one_line(tmp_path: Path, limits: object, check: str, message: str) -> None:
    path = write_framework(tmp_path, limits, check)
    with pytest.raises(FrameworkError) as caught:
        load_framework_file(path, set(CHECKS))
    text = str(caught.value)
    assert "\n" not in text and "acme.yaml" in text and message in text, text


def test_a_bad_limit_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write_framework(tmp_path, {"unused_credentials_days": -1})
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(demo_snapshot_dir()),
            "--out",
            str(tmp_path / "out"),
            "--no-history",
            "--frameworks-dir",
            str(path),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "between 1 and 3650, not -1" in result.output


def test_the_limit_is_shown_beside_the_verdict(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        # PCI DSS is not in the default selection: it is named, beside the default frameworks.
        ["report", str(demo_snapshot_dir()), "--out", str(out), "--no-history", "--format", "json", "--format", "xlsx"]
        + ["--framework", "default,pci-dss-4.0.1"],
    )
    assert result.exit_code in (0, 1), result.output
    (found,) = out.rglob("findings.json")
    doc = json.loads(found.read_text())
    pci = next(f for f in doc["frameworks"] if f["framework"]["id"] == "pci-dss-4.0.1")
    row = next(r for r in pci["requirements"] if r["id"] == "8.2.6")
    assert row["checks"][0]["limits"] == {"unused_credentials_over_days": 90}
    variants = {f["id"]: f for f in doc["framework_findings"]}
    assert row["finding_ids"] and set(row["finding_ids"]) <= set(variants)
    assert all(variants[i]["limits"] == {"unused_credentials_over_days": 90} for i in row["finding_ids"])

    from openpyxl import load_workbook

    (workbook,) = out.rglob("*.xlsx")
    sheet = load_workbook(workbook, read_only=True)["Frameworks"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    pci_row = next(
        r
        for r in rows
        if r[header.index("framework_id")] == "pci-dss-4.0.1" and r[header.index("requirement_id")] == "8.2.6"
    )
    assert pci_row[header.index("limits")] == "iam_unused_credentials_disabled: FAIL if unused > 90 days"
