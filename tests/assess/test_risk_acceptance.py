"""Risk acceptances: validation that names file, entry and field; applied then expired across months;
judged against the snapshot's as_of; break-glass root sign-ins tied to tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from monthly import A, B, C, write_chain

from reporter.assess.risk_acceptance import (
    AcceptanceState,
    RiskAcceptanceError,
    RiskAcceptances,
    apply,
    load_risk_acceptances,
)
from reporter.checks.finding import Finding
from reporter.core.status import Severity, Status
from reporter.evidence.row_ids import event_row_id
from reporter.history.store import History
from reporter.pack.model import build_pack
from reporter.pack.record import pack_record

EXCEPTIONS = f"""\
acceptances:
  - check: iam_access_keys_rotated
    account: "{A}"
    resource: "arn:aws:iam::*:user/ali*"
    justification: Legacy batch job; key replaced by a role in October.
    approver: Jane Doe (CISO)
    approved_on: 2026-09-15
    expires_on: 2026-10-15
    ticket: SEC-101
  - check: iam_user_console_mfa
    account: "*"
    resource: "arn:aws:iam::*:user/bo*"
    justification: Hardware token on order.
    approver: Jane Doe (CISO)
    approved_on: 2026-10-01
    expires_on: 2027-06-30
    ticket: SEC-102
  - check: root_hardware_mfa_enabled
    account: "{B}"
    justification: Approved after the October evidence was collected.
    approver: Jane Doe (CISO)
    approved_on: 2026-11-20
    expires_on: 2027-01-31
    ticket: SEC-103
  - check: root_mfa_enabled
    account: "999999999999"
    justification: Matches nothing.
    approver: Jane Doe (CISO)
    approved_on: 2026-01-01
    expires_on: 2027-01-01
    ticket: SEC-104
break_glass:
  - account: "{A}"
    event_id: "ev-2026-10-03T10:15:00Z"
    justification: Restore the lost root MFA device.
    approver: Jane Doe (CISO)
    approved_on: 2026-10-03
    ticket: INC-7
  - account: "{A}"
    start: 2026-10-03T11:00:00Z
    end: 2026-10-03T12:00:00Z
    justification: Close the old support plan (root only).
    approver: Jane Doe (CISO)
    approved_on: 2026-10-03
    ticket: INC-8
  - account: "{A}"
    start: 2026-08-01T00:00:00Z
    end: 2026-08-02T00:00:00Z
    justification: A ticket whose sign-in is not in the evidence.
    approver: Jane Doe (CISO)
    approved_on: 2026-08-01
    ticket: INC-9
"""


@pytest.fixture
def acceptances(tmp_path: Path) -> RiskAcceptances:
    path = tmp_path / "exceptions.yaml"
    path.write_text(EXCEPTIONS)
    return load_risk_acceptances(path)


def test_file_loads(acceptances: RiskAcceptances) -> None:
    assert len(acceptances.acceptances) == 4 and len(acceptances.break_glass) == 3
    first = acceptances.acceptances[0]
    assert first.approved_on == date(2026, 9, 15) and first.index == 0
    assert first.source.endswith("exceptions.yaml")
    assert acceptances.break_glass[1].start == datetime(2026, 10, 3, 11, tzinfo=UTC)


def test_accepted_then_expired_across_months(tmp_path: Path, acceptances: RiskAcceptances) -> None:
    snaps = write_chain(tmp_path / "c")
    models = [build_pack(s) for s in snaps]
    reports = [
        apply(m.findings, acceptances, m.snapshot.manifest.as_of, m.root_events().to_dict("records")) for m in models
    ]

    def state(i: int, check: str, account: str) -> AcceptanceState:
        return next(d.state for d in reports[i].decisions if d.check_id == check and d.account_id == account)

    # September (as_of 2026-10-01): alice's old key is an accepted exception.
    sep = next(d for d in reports[0].decisions if d.check_id == "iam_access_keys_rotated")
    assert sep.state is AcceptanceState.ACCEPTED and sep.applies
    assert (sep.acceptance.approver, sep.acceptance.expires_on, sep.acceptance.ticket) == (
        "Jane Doe (CISO)",
        date(2026, 10, 15),
        "SEC-101",
    )
    # October (as_of 2026-11-01): the same acceptance expired on 2026-10-15; it no longer applies.
    oct_ = next(d for d in reports[1].decisions if d.check_id == "iam_access_keys_rotated")
    assert oct_.state is AcceptanceState.EXPIRED and not oct_.applies
    assert oct_.as_dict()["expires_on"] == "2026-10-15" and oct_.as_dict()["state"] == "expired"
    # The FAIL stays FAIL either way.
    alice = [f for m in models[:2] for f in m.findings if f.check_id == "iam_access_keys_rotated" and f.account_id == A]
    assert [f.status for f in alice] == [Status.FAIL, Status.FAIL]
    # bob's exception (account "*", resource glob) holds in October and November.
    assert state(1, "iam_user_console_mfa", C) is AcceptanceState.ACCEPTED
    assert state(2, "iam_user_console_mfa", C) is AcceptanceState.ACCEPTED
    # Approved after October's evidence was collected: not valid for that pack.
    assert state(1, "root_hardware_mfa_enabled", B) is AcceptanceState.NOT_YET_VALID
    assert state(1, "root_not_used", A) is AcceptanceState.NONE
    assert reports[1].counts() == {"accepted": 1, "expired": 1, "not_yet_valid": 1, "none": 1}
    assert reports[1].unaccepted_fails == 3
    assert reports[2].unaccepted_fails == 1  # only root_not_used in A
    assert [a.ticket for a in reports[1].unused] == ["SEC-104"]
    # The history keeps each FAIL's acceptance state, month by month.
    with History(tmp_path / "h.db") as history:
        for model, rep in zip(models, reports, strict=True):
            history.record(pack_record(model, acceptances=rep))
        states = [
            {
                f.check_id: f.acceptance
                for f in history.load(m.snapshot.digest).findings
                if f.check_id == "iam_access_keys_rotated" and f.account_id == A
            }
            for m in models[:2]
        ]
    assert states == [{"iam_access_keys_rotated": "accepted"}, {"iam_access_keys_rotated": "expired"}]


def test_expiry_is_judged_on_as_of_not_today(acceptances: RiskAcceptances) -> None:
    finding = Finding(
        "iam_access_keys_rotated",
        A,
        f"arn:aws:iam::{A}:user/alice",
        Status.FAIL,
        Severity.HIGH,
        "old key",
        finding_id="F-0001",
    )
    on_last_day = apply([finding], acceptances, datetime(2026, 10, 15, 23, 59, tzinfo=UTC))
    day_after = apply([finding], acceptances, datetime(2026, 10, 16, 0, 0, tzinfo=UTC))
    assert on_last_day.decisions[0].state is AcceptanceState.ACCEPTED
    assert day_after.decisions[0].state is AcceptanceState.EXPIRED
    # Non-FAIL findings are not annotated; the resource glob is case-sensitive.
    passing = Finding("iam_access_keys_rotated", A, f"arn:aws:iam::{A}:user/alice", Status.PASS, Severity.HIGH, "ok")
    other = Finding("iam_access_keys_rotated", A, f"arn:aws:iam::{A}:user/Alice", Status.FAIL, Severity.HIGH, "x")
    out = apply([passing, other], acceptances, date(2026, 10, 1))
    assert [d.state for d in out.decisions] == [AcceptanceState.NONE]


def test_a_valid_acceptance_wins_over_an_expired_one(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    entry = (
        "  - {{check: root_not_used, account: '{a}', justification: j, approver: p,"
        " approved_on: {on}, expires_on: {until}, ticket: {t}}}\n"
    )
    path.write_text(
        "acceptances:\n"
        + entry.format(a=A, on="2026-01-01", until="2026-06-30", t="OLD")
        + entry.format(a="*", on="2026-07-01", until="2026-12-31", t="NEW")
    )
    finding = Finding("root_not_used", A, f"arn:aws:iam::{A}:root", Status.FAIL, Severity.CRITICAL, "used")
    decision = apply([finding], load_risk_acceptances(path), date(2026, 11, 1)).decisions[0]
    assert decision.state is AcceptanceState.ACCEPTED and decision.acceptance.ticket == "NEW"


def test_break_glass_ties_root_events_to_tickets(tmp_path: Path, acceptances: RiskAcceptances) -> None:
    model = build_pack(write_chain(tmp_path / "c")[1])
    report = apply(model.findings, acceptances, model.snapshot.manifest.as_of, model.root_events().to_dict("records"))
    tickets = {
        (e.evidence_id, e.event_time.strftime("%H:%M")): e.break_glass.ticket if e.break_glass else None
        for e in report.root_events
    }

    def evidence_id(when: str) -> str:
        # The chain's eventIDs ("ev-2026-10-03T10:15:00Z") hold ':', outside the safe charset: hashed.
        return event_row_id(f"ev-2026-10-{when}:00Z", "", "")

    assert all(e.evidence_id and e.evidence_id.startswith("E-evt-h") for e in report.root_events)
    assert tickets == {
        (evidence_id("03T10:15"), "10:15"): "INC-7",  # by event id
        (evidence_id("03T11:40"), "11:40"): "INC-8",  # by time range
        (evidence_id("21T09:00"), "09:00"): None,
    }  # no ticket: the pack lists it as unexplained
    assert [b.ticket for b in report.unused_break_glass] == ["INC-9"]
    doc = report.as_dict()
    assert doc["root_events"][0]["ticket"] == "INC-7" and doc["root_events"][2]["ticket"] is None


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "acceptances:\n  - {check: root_not_used, account: 123456789012, justification: j, approver: p,"
            " approved_on: 2026-01-01, expires_on: 2026-02-01, ticket: T}\n",
            r"e.yaml: acceptances\[0\]: account: .*read as a number: quote it",
        ),
        (
            "acceptances:\n  - {check: root_not_used, account: '*', justification: j, approver: p,"
            " approved_on: 2026-01-01, ticket: T}\n",
            r"e.yaml: acceptances\[0\]: expires_on: missing required field",
        ),
        (
            "acceptances:\n  - {check: root_not_used, account: '*', justification: j, approver: p,"
            " approved_on: 2026-01-01, expires_on: 2026-02-01, ticket: T}\n"
            "  - {check: root_not_used, account: '*', justification: j, approver: p,"
            " approved_on: 2026-03-01, expires_on: 2026-02-01, ticket: T}\n",
            r"e.yaml: acceptances\[1\]: \(entry\): expires_on 2026-02-01 is before approved_on 2026-03-01",
        ),
        (
            "acceptances:\n  - {check: root_not_used, account: '*', justification: j, approver: p,"
            " approved_on: 2026-01-01, expires_on: 2026-02-01, ticket: T, tciket: X}\n",
            r"e.yaml: acceptances\[0\]: tciket: unknown field",
        ),
        (
            "break_glass:\n  - {account: '123456789012', start: 2026-10-03T11:00:00Z, justification: j,"
            " approver: p, approved_on: 2026-10-03, ticket: T}\n",
            r"e.yaml: break_glass\[0\]: \(entry\): a time range needs both start and end",
        ),
        (
            "break_glass:\n  - {event_id: abc, start: 2026-10-03T11:00:00Z, end: 2026-10-03T12:00:00Z,"
            " justification: j, approver: p, approved_on: 2026-10-03, ticket: T}\n",
            r"e.yaml: break_glass\[0\]: \(entry\): give either event_id, or account with start and end",
        ),
        (
            "break_glass:\n  - {start: 2026-10-03T11:00:00Z, end: 2026-10-03T12:00:00Z,"
            " justification: j, approver: p, approved_on: 2026-10-03, ticket: T}\n",
            r"e.yaml: break_glass\[0\]: \(entry\): a time range needs the account",
        ),
        (
            "break_glass:\n  - {account: '123456789012', start: '2026-10-03T11:00:00', end: 2026-10-03T12:00:00Z,"
            " justification: j, approver: p, approved_on: 2026-10-03, ticket: T}\n",
            r"e.yaml: break_glass\[0\]: start: needs a time zone",
        ),
        ("exceptions: []\n", r"e.yaml: \(top level\): unknown key\(s\) exceptions"),
        ("- check: x\n", r"e.yaml: \(top level\): expected a mapping"),
        ("acceptances: [\n", r"e.yaml: line 2, column 1: invalid YAML"),
    ],
)
def test_errors_name_file_entry_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(text)
    with pytest.raises(RiskAcceptanceError, match=message):
        load_risk_acceptances(path)


def test_empty_or_missing_file(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    assert load_risk_acceptances(tmp_path / "empty.yaml").acceptances == ()
    with pytest.raises(RiskAcceptanceError, match="nope.yaml: cannot read file"):
        load_risk_acceptances(tmp_path / "nope.yaml")
