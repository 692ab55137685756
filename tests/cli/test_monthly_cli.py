"""Month after month through the CLI: three packs with a history, drift in JSON / XLSX / PDF, an
exception applied then expired, break-glass tickets, the evidence chain, exit codes, reporter.toml.

The story is tests/monthly.py (organization o-test, accounts A/B/C, Sep-Nov 2026).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pypdf
import pytest
from monthly import MONTHS, A, B, C, write_chain, write_month
from openpyxl import load_workbook
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.history.store import History
from reporter.snapshot.signing import generate_keypair, sign_manifest

runner = CliRunner()

EXCEPTIONS = f"""
acceptances:
  - check: root_not_used
    account: "{A}"
    resource: "arn:aws:iam::{A}:root"
    justification: Break-glass rehearsal, tracked in the runbook.
    approver: Jane Doe (CISO)
    approved_on: 2026-09-01
    expires_on: 2026-11-15
    ticket: SEC-1
  - check: iam_user_console_mfa
    account: "*"
    resource: "arn:aws:iam::*:user/nobody-*"
    justification: Matches nothing.
    approver: Jane Doe (CISO)
    approved_on: 2026-09-01
    expires_on: 2027-01-31
    ticket: SEC-2
break_glass:
  - account: "{A}"
    event_id: ev-2026-10-03T10:15:00Z
    justification: Restore root MFA after device loss.
    approver: Jane Doe (CISO)
    approved_on: 2026-10-03
    ticket: INC-777
"""


def invoke(*args: str) -> Any:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three monthly packs built by `reporter report` with one history and one exceptions file.
    Only the last month renders a PDF (the slow part)."""
    base = tmp_path_factory.mktemp("monthly")
    write_chain(base / "snap")
    (base / "exceptions.yaml").write_text(EXCEPTIONS)
    results = {}
    for month in MONTHS:
        formats = ["-f", "json", "-f", "xlsx"] + (["-f", "pdf"] if month == MONTHS[-1] else [])
        results[month] = invoke(
            "report",
            base / "snap" / month,
            "--out",
            base / "packs" / "{period}",
            *formats,
            "--history",
            base / "history.db",
            "--exceptions",
            base / "exceptions.yaml",
        )
    docs = {m: json.loads((base / "packs" / m / "findings.json").read_text()) for m in MONTHS}
    return {"base": base, "results": results, "docs": docs}


def fail_keys(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["check_id"], f["account_id"], f["resource"]) for f in doc["findings"] if f["status"] == "FAIL"}


def changes(doc: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    return {(c["check_id"], c["account_id"]) for c in doc["drift"]["findings"][kind]}


def test_three_months_drift_in_json(packs: dict[str, Any]) -> None:
    docs = packs["docs"]
    for month in MONTHS:
        # A FAIL without a valid exception in every month: exit 1 (default --fail-on fail)
        assert packs["results"][month].exit_code == 1, packs["results"][month].output
        assert docs[month]["schema_version"] == "1.7"
    sep, oct_, nov = (docs[m]["drift"] for m in MONTHS)
    assert sep["baseline"] is True and sep["previous"] is None and sep["counts"]["new"] == 0
    assert oct_["previous"]["month"] == "2026-09" and oct_["previous"]["is_last_month"] is True
    assert oct_["previous"]["manifest_sha256"] == docs["2026-09"]["snapshot"]["manifest_sha256"]
    # The monthly.py story, one change at a time.
    assert ("iam_user_console_mfa", C) in changes(docs["2026-10"], "new")
    assert ("root_mfa_enabled", B) in changes(docs["2026-10"], "resolved")
    assert {("root_not_used", A), ("iam_access_keys_rotated", A), ("root_hardware_mfa_enabled", B)} <= changes(
        docs["2026-10"], "still_open"
    )
    assert oct_["accounts"] == {"added": [C], "removed": []}
    assert ("iam_access_keys_rotated", A) in changes(docs["2026-11"], "resolved")
    assert ("root_hardware_mfa_enabled", B) in changes(docs["2026-11"], "no_longer_assessed")
    assert ("root_hardware_mfa_enabled", B) not in changes(docs["2026-11"], "resolved")
    assert nov["accounts"] == {"added": [], "removed": [B]}
    months_open = {(c["check_id"], c["account_id"]): c["months_open"] for c in nov["findings"]["still_open"]}
    assert months_open[("root_not_used", A)] == 3 and months_open[("iam_user_console_mfa", C)] == 2
    # counts agree with the lists, and with the FAIL sets of the two packs
    for doc in (docs["2026-10"], docs["2026-11"]):
        d = doc["drift"]
        assert d["counts"] == {
            **{k: len(v) for k, v in d["findings"].items()},
            "accounts_added": len(d["accounts"]["added"]),
            "accounts_removed": len(d["accounts"]["removed"]),
        }
    assert nov["counts"]["still_open"] + nov["counts"]["new"] == len(fail_keys(docs["2026-11"]))
    # root events: Sep 1, Oct 3, Nov 2 (C's lookup failed: a lower bound)
    trend = {p["month"]: p for p in nov["trend"]}
    assert [trend[m]["root_events"] for m in MONTHS] == [1, 3, 2]
    assert trend["2026-11"]["root_events_complete"] is False
    assert trend["2026-08"]["root_events"] is None and trend["2026-08"]["manifest_sha256"] is None
    assert nov["root_events"]["prior_max"] == 3 and nov["root_events"]["prior_mean"] == 2
    assert len(nov["trend"]) == 13


def test_exception_applied_then_expired_and_break_glass(packs: dict[str, Any]) -> None:
    docs = packs["docs"]

    def root_acceptance(month: str) -> dict[str, Any]:
        (finding,) = [
            f
            for f in docs[month]["findings"]
            if f["check_id"] == "root_not_used" and f["account_id"] == A and f["status"] == "FAIL"
        ]
        return finding["acceptance"]

    assert root_acceptance("2026-10")["state"] == "accepted"  # as_of 2026-11-01 <= expires 2026-11-15
    assert root_acceptance("2026-11")["state"] == "expired"  # as_of 2026-12-01
    assert root_acceptance("2026-11")["ticket"] == "SEC-1"
    ra_oct, ra_nov = docs["2026-10"]["risk_acceptances"], docs["2026-11"]["risk_acceptances"]
    assert ra_oct["counts"]["accepted"] == 1 and ra_nov["counts"]["expired"] == 1
    assert ra_nov["unaccepted_fails"] == len(fail_keys(docs["2026-11"]))  # expired: no longer applies
    assert ra_oct["unaccepted_fails"] == len(fail_keys(docs["2026-10"])) - 1
    assert [u["ticket"] for u in ra_oct["unused"]] == ["SEC-2"]
    tickets = {e["event_id"]: e["ticket"] for e in ra_oct["root_events"]}
    assert tickets["ev-2026-10-03T10:15:00Z"] == "INC-777" and tickets["ev-2026-10-21T09:00:00Z"] is None
    # drift records the acceptance state of a still-open finding
    still = {(c["check_id"], c["account_id"]): c for c in docs["2026-10"]["drift"]["findings"]["still_open"]}
    assert still[("root_not_used", A)]["acceptance"] == "accepted"


def test_finding_ids_hold_from_month_to_month_and_drift_cites_them(packs: dict[str, Any]) -> None:
    docs = packs["docs"]

    def ids(month: str) -> dict[tuple[str, str, str], str]:
        return {(f["check_id"], f["account_id"], f["resource"]): f["id"] for f in docs[month]["findings"]}

    months = sorted(docs)
    for before, after in zip(months, months[1:]):
        kept = ids(before).keys() & ids(after).keys()
        assert kept and all(ids(before)[k] == ids(after)[k] for k in kept), (before, after)
    drift = docs["2026-10"]["drift"]["findings"]
    for change in drift["still_open"] + drift["new"]:
        assert change["finding_id"] == ids("2026-10")[(change["check_id"], change["account_id"], change["resource"])]
    assert drift["resolved"]
    for change in drift["resolved"]:  # gone this month: the id it had last month
        assert change["finding_id"] == ids("2026-09")[(change["check_id"], change["account_id"], change["resource"])]


def test_workbook_drift_trend_exceptions_and_ticket_columns(packs: dict[str, Any]) -> None:
    base = packs["base"]
    book = load_workbook(base / "packs/2026-10/evidence-2026-10.xlsx")
    assert {"Drift", "Trend", "Exceptions"} <= set(book.sheetnames)
    drift = list(book["Drift"].values)
    assert drift[0][:4] == ("finding_id", "change", "check_id", "account_id")
    by_change: dict[str, int] = {}
    for row in drift[1:]:
        by_change[row[1]] = by_change.get(row[1], 0) + 1
    counts = packs["docs"]["2026-10"]["drift"]["counts"]
    assert by_change == {k: v for k, v in counts.items() if k in ("new", "resolved", "still_open") and v}
    trend = list(book["Trend"].values)
    assert trend[0][:5] == ("month", "manifest_sha256", "root_events", "root_events_complete", "fail_findings")
    assert [r[2] for r in trend[1:]][-2:] == [1, 3] and trend[1][2] is None  # a month without a pack: empty
    exceptions = list(book["Exceptions"].values)
    states = sorted((r[0], r[1]) for r in exceptions[1:])
    assert states == [("acceptance", "accepted"), ("acceptance (matched no FAIL)", "unused")]
    findings = list(book["Findings"].values)
    header = findings[0]
    assert header[-4:] == ("acceptance_state", "approver", "expires_on", "ticket")
    accepted = [r for r in findings[1:] if r[header.index("acceptance_state")] == "accepted"]
    assert len(accepted) == 1 and accepted[0][header.index("ticket")] == "SEC-1"
    events = list(book["Root events"].values)
    ticket = events[0].index("ticket")
    assert sorted(str(r[ticket]) for r in events[1:]) == ["INC-777", "None", "None"]


def test_pdf_changes_section_numbers_and_exceptions(packs: dict[str, Any]) -> None:
    data = (packs["base"] / "packs/2026-11/audit-pack-2026-11.pdf").read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = " ".join(text.split())
    doc = packs["docs"]["2026-11"]
    counts = doc["drift"]["counts"]
    assert f"compared with 2026-10 (manifest sha256 {doc['drift']['previous']['manifest_sha256']})" in flat
    for label, key in (
        ("New findings", "new"),
        ("Resolved", "resolved"),
        ("Still open", "still_open"),
        ("No longer assessed", "no_longer_assessed"),
        ("Accounts removed", "accounts_removed"),
    ):
        assert f"{label} {counts[key]}" in flat, label
    assert "Root events this month: at least 2 (prior 12 months, 2 with a pack: max 3, mean 2)." in flat
    assert "Exception EXPIRED on 2026-11-15" in flat and "no longer applies" in flat
    assert "root_hardware_mfa_enabled" in flat and "FAIL \u2192 absent" in flat
    assert "no break-glass ticket" in flat
    assert f"Previous pack's manifest SHA-256 {doc['drift']['previous']['manifest_sha256']}" in flat

    def titles(outline: list[Any]) -> list[str]:
        out: list[str] = []
        for item in outline:
            out += titles(item) if isinstance(item, list) else [item.title]
        return out

    found = titles(reader.outline)
    # A second month: the changes chapter follows the findings and holds the risk acceptances.
    changes = next(t for t in found if t.endswith(" Changes since last month"))
    n = changes.split(" ", 1)[0]
    findings = next(t for t in found if t.endswith(" Findings")).split(" ", 1)[0]
    assert int(n) == int(findings) + 1
    assert [t for t in found if t.startswith(f"{n}.")] == [
        f"{n}.1 Finding changes",
        f"{n}.2 Trends over 12 months",
        f"{n}.3 Risk acceptances (exceptions)",
    ]
    for title in ("Root activity timeline", "Evidence appendix", "Sign-off"):
        assert any(t.endswith(f" {title}") for t in found), title


def test_same_inputs_same_bytes_and_history_is_idempotent(packs: dict[str, Any], tmp_path: Path) -> None:
    base = packs["base"]
    again = invoke(
        "report",
        base / "snap/2026-11",
        "--out",
        tmp_path,
        "-f",
        "json",
        "-f",
        "xlsx",
        "--history",
        base / "history.db",
        "--exceptions",
        base / "exceptions.yaml",
    )
    assert again.exit_code == 1 and "history: unchanged pack" in again.output
    for name in ("findings.json", "evidence-2026-11.xlsx"):
        assert (tmp_path / name).read_bytes() == (base / "packs/2026-11" / name).read_bytes()
    with History(base / "history.db", create=False) as history:
        assert [p.month for p in history.packs()] == list(MONTHS)


def test_verify_chain_names_the_changed_month_and_file(packs: dict[str, Any], tmp_path: Path) -> None:
    chain = tmp_path / "chain"
    shutil.copytree(packs["base"] / "snap", chain)
    folders = [chain / m for m in MONTHS]
    ok = invoke("verify", *folders)
    assert ok.exit_code == 0 and "every file and every link verified" in ok.output
    target = chain / "2026-10" / f"accounts/{A}/iam/credential_report.csv"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one changed byte in the middle month
    target.write_bytes(bytes(data))
    broken = invoke("verify", *folders)
    assert broken.exit_code == 5
    assert f"first broken link: 2026-10: accounts/{A}/iam/credential_report.csv" in broken.output
    single = invoke("verify", chain / "2026-10")
    assert single.exit_code == 5 and "credential_report.csv" in single.output
    # the history knows where each month's snapshot was: it names the same month
    history = invoke("verify", "--history", packs["base"] / "history.db")
    assert history.exit_code == 0, history.output
    assert "scope org:o-test: 3 month(s)" in history.output


def test_verify_history_detects_a_changed_recorded_snapshot(tmp_path: Path) -> None:
    write_chain(tmp_path / "snap")
    db = tmp_path / "h.db"
    for month in MONTHS:
        result = invoke(
            "report",
            tmp_path / "snap" / month,
            "--out",
            tmp_path / "out" / month,
            "-f",
            "json",
            "--history",
            db,
            "--fail-on",
            "never",
        )
        assert result.exit_code == 0, result.output
    target = tmp_path / "snap/2026-10/manifest.json"
    target.write_bytes(target.read_bytes().replace(b'"o-test"', b'"o-tesT"'))
    result = invoke("verify", "--history", db)
    assert result.exit_code == 5
    assert "first broken link: 2026-10: manifest.json" in result.output


def test_signing_keygen_and_verify_public_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTER_SIGN_KEY_PASSPHRASE", "correct horse")
    made = invoke("keygen", "--out", tmp_path / "k.key")
    assert made.exit_code == 0, made.output
    assert (tmp_path / "k.key.pub").exists() and "key id" in made.output
    assert oct((tmp_path / "k.key").stat().st_mode & 0o777) == "0o600"
    assert b"ENCRYPTED" in (tmp_path / "k.key").read_bytes()
    snap = write_month(tmp_path / "snap", "2026-09")
    sign_manifest(snap.root, tmp_path / "k.key", b"correct horse")
    good = invoke("verify", snap.root, "--public-key", tmp_path / "k.key.pub")
    assert good.exit_code == 0 and "signature ok" in good.output
    _, other, _ = generate_keypair(tmp_path / "other.key")
    wrong = invoke("verify", snap.root, "--public-key", other)
    assert wrong.exit_code == 5 and "wrong key" in wrong.output
    # the pack shows the signature's key id (a claim; verify checks it)
    report = invoke("report", snap.root, "--out", tmp_path / "out", "-f", "json", "--no-history")
    doc = json.loads((tmp_path / "out/findings.json").read_text())
    assert doc["snapshot"]["signature"]["key_id"] in made.output and report.exit_code == 1
    # a wrong passphrase fails before any AWS call, with exit 2
    monkeypatch.setenv("REPORTER_SIGN_KEY_PASSPHRASE", "wrong")
    refused = invoke("collect", "--out", tmp_path / "c", "--sign-key", tmp_path / "k.key", "--quiet")
    assert refused.exit_code == 2 and "REPORTER_SIGN_KEY_PASSPHRASE" in refused.output
    assert not (tmp_path / "c").exists()


def test_exit_codes(tmp_path: Path) -> None:
    snap = write_month(tmp_path / "snap", "2026-09")
    first = invoke("report", snap.root, "--out", tmp_path / "a", "-f", "json", "--no-history")
    assert first.exit_code == 1 and "without a valid exception" in first.output
    doc = json.loads((tmp_path / "a/findings.json").read_text())
    # accept every FAIL: exit 0 even though the findings stay FAIL
    entries = "".join(
        f"""  - check: {check}\n    account: "{account}"\n    resource: "{resource}"\n"""
        "    justification: Accepted for the test.\n    approver: QA\n    approved_on: 2026-09-01\n"
        "    expires_on: 2026-12-31\n    ticket: T-1\n"
        for check, account, resource in sorted(fail_keys(doc))
    )
    (tmp_path / "all.yaml").write_text("acceptances:\n" + entries)
    accepted = invoke(
        "report",
        snap.root,
        "--out",
        tmp_path / "b",
        "-f",
        "json",
        "--no-history",
        "--exceptions",
        tmp_path / "all.yaml",
    )
    assert accepted.exit_code == 0, accepted.output
    accepted_doc = json.loads((tmp_path / "b/findings.json").read_text())
    assert fail_keys(accepted_doc) == fail_keys(doc)
    strict = invoke(
        "report",
        snap.root,
        "--out",
        tmp_path / "c",
        "-f",
        "json",
        "--no-history",
        "--exceptions",
        tmp_path / "all.yaml",
        "--fail-on",
        "not-assessed",
    )
    assert strict.exit_code == 1 and "NOT ASSESSED" in strict.output
    never = invoke("report", snap.root, "--out", tmp_path / "d", "-f", "json", "--no-history", "--fail-on", "never")
    assert never.exit_code == 0
    # usage and configuration errors: 2, nothing written
    (tmp_path / "bad.yaml").write_text("acceptances:\n  - check: root_not_used\n")
    bad = invoke("report", snap.root, "--out", tmp_path / "e", "--exceptions", tmp_path / "bad.yaml")
    assert bad.exit_code == 2 and "bad.yaml: acceptances[0]" in bad.output and not (tmp_path / "e").exists()
    (tmp_path / "nothistory.db").write_bytes(b"not sqlite at all" * 100)
    bad_history = invoke("report", snap.root, "--out", tmp_path / "f", "--history", tmp_path / "nothistory.db")
    assert bad_history.exit_code == 2 and "nothistory.db" in bad_history.output
    both = invoke("report", snap.root, "--history", tmp_path / "h.db", "--no-history")
    assert both.exit_code == 2
    bucket = invoke("report", snap.root, "--out", tmp_path / "g", "--output-bucket", "https://x")
    assert bucket.exit_code == 2 and "s3://bucket" in bucket.output


def test_config_file_defaults_and_flags_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = write_month(tmp_path / "snap", "2026-09")
    config = tmp_path / "reporter.toml"
    config.write_text(
        f'format = ["json"]\nno-history = true\n\n[report]\nfail_on = "never"\nout = "{tmp_path}/packs/{{period}}"\n'
    )
    result = invoke("report", snap.root, "--config", config)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "packs/2026-09").iterdir()) == ["findings.json", "pack-manifest.json"]
    assert "history:" not in result.output  # no-history from the file
    flag = invoke("report", snap.root, "--config", config, "--fail-on", "fail")
    assert flag.exit_code == 1  # the command line wins
    # ./reporter.toml is read when present
    monkeypatch.chdir(tmp_path)
    implicit = invoke("report", snap.root, "--out", tmp_path / "implicit")
    assert implicit.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "implicit").iterdir()) == ["findings.json", "pack-manifest.json"]
    # errors name the file and the key, exit 2
    config.write_text('colour = "blue"\n')
    unknown = invoke("report", snap.root)
    assert unknown.exit_code == 2 and "reporter.toml: colour: no such option" in unknown.output
    config.write_text('[report]\nrole-name = "X"\n')
    wrong_command = invoke("report", snap.root)
    assert wrong_command.exit_code == 2 and "has no --role-name option" in wrong_command.output
    config.write_text('[report]\ntable-cap = "many"\n')
    bad_type = invoke("report", snap.root)
    assert bad_type.exit_code == 2 and "many" in bad_type.output
    config.write_text("this is = = not toml")
    broken = invoke("report", snap.root)
    assert broken.exit_code == 2 and "invalid TOML" in broken.output


def test_demo_stays_without_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    from reporter.pack.model import build_pack
    from reporter.render.pdf import build_view

    snap = write_month(tmp_path / "snap", "2026-09")
    view = build_view(build_pack(snap))
    assert view["drift"]["compared"] == "baseline: first pack of this scope"
    assert not xdg.exists()  # building a report never creates the history


def test_hostile_exception_text_is_inert(tmp_path: Path) -> None:
    from reporter.assess.risk_acceptance import load_risk_acceptances
    from reporter.pack.model import PackOptions, build_pack
    from reporter.render.pdf import build_view, render_html
    from reporter.render.sheets import evidence_tables
    from reporter.render.sheets_monthly import exceptions_table

    snap = write_month(tmp_path / "snap", "2026-10")
    (tmp_path / "x.yaml").write_text(f"""acceptances:
  - check: root_not_used
    account: "{A}"
    justification: '=HYPERLINK("http://evil","x") <script>alert(1)</script>'
    approver: "@SUM(A1) <b>boss</b>"
    approved_on: 2026-09-01
    expires_on: 2026-12-31
    ticket: "-1+1"
""")
    model = build_pack(snap, PackOptions(risk_acceptances=load_risk_acceptances(tmp_path / "x.yaml")))
    (row,) = list(exceptions_table(model).rows())
    assert row[6] == "'@SUM(A1) <b>boss</b>" and row[9] == "'-1+1" and row[10].startswith("'=HYPERLINK")
    table = evidence_tables(model)[0]  # the Findings sheet
    ticket = table.headers.index("ticket")
    assert [r[ticket] for r in table.rows() if r[ticket]] == ["'-1+1"]
    html, _ = render_html(build_view(model))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>boss</b>" not in html
