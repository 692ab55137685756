"""Finding and evidence-row ids: derived from content, stable month to month, never shared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from factory import ACCOUNT, AccountSpec, checked, cr_row, jsonl, report, root_record, write_snapshot

from reporter.checks import finding_ids
from reporter.checks.finding import Finding
from reporter.checks.finding_ids import DuplicateFinding, assign_finding_ids
from reporter.core.status import Severity, Status
from reporter.evidence.row_ids import artifact_row_id, credential_row_id, event_row_id, short_hash

OTHER = "210987654321"
SAFE_ID = re.compile(r"[A-Za-z0-9_.-]+")


def _ids(tmp_path: Path, *specs: AccountSpec) -> dict[tuple[str, str, str], str]:
    found = checked(write_snapshot(tmp_path, *specs)).findings
    return {(f.check_id, f.account_id, f.resource): f.finding_id for f in found}


def _cited(tmp_path: Path, *specs: AccountSpec) -> dict[str, list[str]]:
    found = checked(write_snapshot(tmp_path, *specs)).findings
    return {f.finding_id: [ref.id for ref in f.evidence] for f in found}


def _users(*names: str, account: str = ACCOUNT) -> bytes:
    return report(cr_row(account=account), *(cr_row(n, account=account, mfa="false") for n in names))


def test_ids_name_check_account_and_a_hash_of_the_resource(tmp_path: Path) -> None:
    ids = _ids(tmp_path, AccountSpec(credential_report=_users("alice")))
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert ids[("root_mfa_enabled", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")] == f"F-root_mfa_enabled-{ACCOUNT}"
    assert ids[("iam_user_console_mfa", ACCOUNT, alice)] == f"F-iam_user_console_mfa-{ACCOUNT}-{short_hash(alice)}"
    assert len(set(ids.values())) == len(ids)


def test_same_snapshot_same_ids(tmp_path: Path) -> None:
    spec = AccountSpec(credential_report=_users("alice", "bob"))
    assert _ids(tmp_path / "a", spec) == _ids(tmp_path / "b", spec)


def test_ids_do_not_move_when_a_user_or_an_account_is_added_before_them(tmp_path: Path) -> None:
    before = _ids(tmp_path / "before", AccountSpec(credential_report=_users("mallory")))
    # "aaron" sorts before "mallory", and OTHER's account (sorted first) adds findings of every check.
    after = _ids(
        tmp_path / "after",
        AccountSpec(id=OTHER, credential_report=_users("zed", account=OTHER)),
        AccountSpec(credential_report=_users("aaron", "mallory")),
    )
    assert len(after) > len(before)
    changed = {key: (fid, after.get(key)) for key, fid in before.items() if after.get(key) != fid}
    assert changed == {}


def test_evidence_ids_do_not_move_when_rows_are_added_before_them(tmp_path: Path) -> None:
    # mallory's credential-report row moves from line 3 to line 4; its evidence id stays.
    before = _cited(tmp_path / "before", AccountSpec(credential_report=_users("mallory")))
    after = _cited(tmp_path / "after", AccountSpec(credential_report=_users("aaron", "mallory")))
    mallory = f"F-iam_user_console_mfa-{ACCOUNT}-{short_hash(f'arn:aws:iam::{ACCOUNT}:user/mallory')}"
    assert before[mallory] == after[mallory] == [credential_row_id(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/mallory")]
    assert all(after[fid] == refs for fid, refs in before.items())


def _finding(resource: str, check_id: str = "iam_user_console_mfa") -> Finding:
    return Finding(check_id, ACCOUNT, resource, Status.FAIL, Severity.HIGH, "r")


def test_two_resources_whose_short_hashes_collide_get_longer_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    real = finding_ids.short_hash
    # Every resource collides in its first 8 hex digits; longer hashes are the real ones.
    monkeypatch.setattr(
        finding_ids, "short_hash", lambda text, length=8: "0" * 8 if length == 8 else real(text, length)
    )
    one, two, three = _finding("arn:one"), _finding("arn:two"), _finding("arn:three", "iam_access_keys_rotated")
    assign_finding_ids([one, two, three])
    assert one.finding_id == f"F-iam_user_console_mfa-{ACCOUNT}-{real('arn:one', 16)}"
    assert two.finding_id == f"F-iam_user_console_mfa-{ACCOUNT}-{real('arn:two', 16)}"
    # Alone in its (check, account): its short hash collides with nothing.
    assert three.finding_id == f"F-iam_access_keys_rotated-{ACCOUNT}-{'0' * 8}"


def test_a_check_emitting_the_same_resource_twice_is_refused_not_merged() -> None:
    with pytest.raises(DuplicateFinding, match="arn:same"):
        assign_finding_ids([_finding("arn:same"), _finding("arn:same")])


def test_a_one_per_account_check_with_two_findings_in_one_account_gets_hashed_ids() -> None:
    first, second = _finding("a", "root_mfa_enabled"), _finding("b", "root_mfa_enabled")
    assign_finding_ids([first, second])
    assert first.finding_id == f"F-root_mfa_enabled-{ACCOUNT}-{short_hash('a')}"
    assert second.finding_id == f"F-root_mfa_enabled-{ACCOUNT}-{short_hash('b')}"


def test_framework_limit_findings_get_a_suffix_of_their_limits() -> None:
    product = _finding("arn:u", "iam_unused_credentials_disabled")
    product.limits = {"unused_credentials_days": 45}
    pci = _finding("arn:u", "iam_unused_credentials_disabled")
    pci.limits, pci.framework_limits = {"unused_credentials_over_days": 90}, True
    other = _finding("arn:u", "iam_unused_credentials_disabled")
    other.limits, other.framework_limits = {"unused_credentials_days": 30}, True
    assign_finding_ids([product, pci, other])
    assert pci.finding_id.startswith(product.finding_id + "-L")
    assert other.finding_id.startswith(product.finding_id + "-L")
    assert len({product.finding_id, pci.finding_id, other.finding_id}) == 3


def test_findings_cite_evidence_rows_by_stable_ids(tmp_path: Path) -> None:
    event = root_record("2026-10-20T10:00:00Z", event_id="4a1d8a4e-0d7e-4b4f-9a51-0c1f2f3e4d5a")
    found = checked(
        write_snapshot(tmp_path, AccountSpec(credential_report=_users("alice"), root_events=jsonl(event)))
    ).findings
    by = {(f.check_id, f.resource): f for f in found}
    root = by[("root_not_used", f"arn:aws:iam::{ACCOUNT}:root")]
    assert [r.id for r in root.evidence] == [
        f"E-cred-{ACCOUNT}-root",
        "E-evt-4a1d8a4e-0d7e-4b4f-9a51-0c1f2f3e4d5a",
    ]
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert [r.id for r in by[("iam_user_console_mfa", alice)].evidence] == [credential_row_id(ACCOUNT, alice)]
    # Every reference has an id, and every id is plain text.
    assert all(SAFE_ID.fullmatch(r.id) for f in found for r in f.evidence)


@pytest.mark.parametrize(
    "hostile",
    ["../../etc", "<script>alert(1)</script>", '=HYPERLINK("http://x")', "a b\nc", "x" * 200, "évènement", ""],
)
def test_hostile_values_cannot_break_an_id(hostile: str) -> None:
    for made in (
        event_row_id(hostile or None, "accounts/1/cloudtrail/root_events.jsonl", "line 3"),
        credential_row_id(hostile, hostile),
        artifact_row_id(f"accounts/{hostile}/x.json", hostile),
    ):
        assert SAFE_ID.fullmatch(made) and len(made) < 80, made


def test_an_event_without_an_id_is_named_by_where_it_was_read() -> None:
    one = event_row_id(None, "accounts/1/cloudtrail/root_events.jsonl", "line 3")
    assert one == event_row_id(None, "accounts/1/cloudtrail/root_events.jsonl", "line 3")
    assert one != event_row_id(None, "accounts/1/cloudtrail/root_events.jsonl", "line 4")


def test_artifact_ids_share_their_artifacts_prefix() -> None:
    whole = artifact_row_id("accounts/111122223333/iam/account_summary.json")
    key = artifact_row_id("accounts/111122223333/iam/account_summary.json", "SummaryMap.AccountMFAEnabled")
    assert whole.startswith("E-doc-111122223333-") and key.startswith(whole + "-")
    assert artifact_row_id("organization/policies.json").startswith("E-doc-org-")
