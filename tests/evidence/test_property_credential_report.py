"""Property tests: the credential-report parser and the checks behind it, fed damaged reports.

Each example starts from a valid report (a root row and a few users, old or new timestamp
format) and damages it: fields dropped, duplicated, inserted, swapped or replaced by junk
(weird booleans, invalid dates, NUL bytes, quotes, random unicode), rows deleted, extra
columns, header damage, text spliced in, random bytes, truncation, other encodings.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from factory import ACCOUNT, AccountSpec, checked, write_snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporter.checks.finding import Finding
from reporter.checks.registry import CHECKS
from reporter.core.status import Status
from reporter.evidence.credential_report import (
    BOOLEAN_COLUMNS,
    COLUMNS,
    ROOT_USER,
    SPECIAL_VALUES,
    TIMESTAMP_COLUMNS,
    CredentialReportError,
    is_root_subject,
    parse_credential_report,
)
from reporter.evidence.problems import ParseProblem

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
NAMES = ("alice", "bob", "carol", "dave", "erin", "ci-deploy")
SOURCE = "credential_report.csv"
CONCLUSIVE = (Status.PASS, Status.NOT_APPLICABLE)

# A modest budget: the whole file runs in well under 30 s on 2 cores. Each end-to-end example
# writes a snapshot (fsync'd) and builds a report, hence fewer of those.
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]
PARSER_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=_HEALTH)
VALID_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=_HEALTH)
E2E_SETTINGS = settings(max_examples=75, deadline=None, suppress_health_check=_HEALTH)
ROOT_E2E_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=_HEALTH)

# Times that parse as ISO-8601 but lie outside what a table can hold (they once escaped the
# parser as OverflowError); see also the tests at the end of this file.
OUT_OF_RANGE = ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2300-01-01T00:00:00Z"]
# Values a damaged or hand-edited report might hold. Every one must either parse into a typed
# value or make its row a reported problem.
WEIRD = (
    "maybe",
    "TRUE",
    "True",
    "FALSE",
    "False",
    " true ",
    "yes",
    "no",
    "1",
    "0",
    "",
    " ",
    "null",
    "N/A",
    "n/a",
    "NA",
    "no_information",
    "not_supported",
    "Not_Supported",
    "2022-13-45T00:00:00Z",
    "2022-02-30T10:00:00Z",
    "2022-12-21",
    "2022-12-21T16:19:23",
    "2022-12-21T16:19:23+00:00 ",
    "2022-12-21 16:19:23+00:00",
    "2022-12-21T16:19:23.5Z",
    "2022-12-21T16:19:23+05:30",
    "2022-12-21T16:19:23+25:00",
    "20221221T161923Z",
    "T16:19:23Z",
    "not a date",
    "\x00",
    "true\x00",
    '"',
    '""',
    '"true"',
    "'true'",
    "\ufeff",
    "é",
    "\u2028",
    ROOT_USER,
    ROOT_ARN,
    "arn:aws:iam::",
    "arn:aws:sts::123456789012:assumed-role/r/s",
    "arn:aws:iam::999999999999:user/mallory",
    "1000-01-01T00:00:00Z",
    *OUT_OF_RANGE,
)
JUNK = st.one_of(
    st.sampled_from(WEIRD),
    st.text(max_size=12),
    st.text(alphabet=',"\r\n\x00 ;\t', max_size=4),
)
# Values that carry CSV structure: when a mutation writes one, line numbers stop matching rows.
STRUCTURAL = re.compile('[,"\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]')


# ---------------------------------------------------------------- a valid report to start from


@dataclass(frozen=True)
class Principal:
    user: str
    arn: str

    @property
    def is_root(self) -> bool:
        return self.user == ROOT_USER


@st.composite
def stamps(draw: st.DrawFn, suffix: str) -> str:
    moment = draw(st.datetimes(min_value=datetime(2014, 1, 1), max_value=datetime(2026, 10, 31, 23, 59, 59)))
    return moment.replace(microsecond=0).isoformat() + suffix


@st.composite
def report_row(draw: st.DrawFn, principal: Principal, suffix: str) -> list[str]:
    stamp, flag = stamps(suffix), lambda v: draw(st.sampled_from(["true", "TRUE"] if v else ["false", "FALSE"]))
    never = "not_supported" if principal.is_root else "N/A"
    if principal.is_root and draw(st.booleans()):  # older reports: root's password is not_supported
        password = ["not_supported", draw(stamp | st.just("no_information")), "not_supported", "not_supported"]
    elif draw(st.booleans()):
        password = [flag(True), draw(stamp | st.just("no_information")), draw(stamp), never]
    else:
        password = [flag(False), "N/A", "N/A", never]
    keys: list[str] = []
    for _ in (1, 2):
        active = draw(st.booleans())
        if active or draw(st.booleans()):
            used = draw(stamp | st.just("N/A"))
            where = ["N/A", "N/A"] if used == "N/A" else [draw(st.sampled_from(["us-east-1", "eu-west-1"])), "s3"]
            keys += [flag(active), draw(stamp), used, *where]
        else:
            keys += [flag(False), "N/A", "N/A", "N/A", "N/A"]
    return [
        principal.user,
        principal.arn,
        draw(stamp),
        *password,
        flag(draw(st.booleans())),
        *keys,
        "false",
        "N/A",
        "false",
        "N/A",
    ]


@dataclass
class Report:
    principals: list[Principal]
    header: list[str]
    rows: list[list[str]]


@st.composite
def valid_reports(draw: st.DrawFn) -> Report:
    suffix = draw(st.sampled_from(["Z", "+00:00"]))
    users = draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True))
    principals = [Principal(ROOT_USER, ROOT_ARN)]
    principals += [Principal(u, f"arn:aws:iam::{ACCOUNT}:user/{u}") for u in users]
    rows = [draw(report_row(p, suffix)) for p in principals]
    return Report(principals, list(COLUMNS), rows)


# ---------------------------------------------------------------- damage

FIELD_OPS = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 23)),
    st.tuples(st.just("duplicate"), st.integers(0, 23)),
    st.tuples(st.just("insert"), st.integers(0, 23), JUNK),
    st.tuples(st.just("replace"), st.integers(0, 23), JUNK),
    st.tuples(st.just("swap"), st.integers(0, 23), st.integers(0, 23)),
    st.tuples(st.just("extra"), JUNK),
)
MUTATIONS = st.one_of(
    st.tuples(st.just("row"), st.integers(0, 4), FIELD_OPS),
    st.tuples(st.just("row"), st.integers(1, 4), FIELD_OPS),  # user rows too, not mostly root's
    st.tuples(st.just("delete_row"), st.integers(0, 4)),
    st.tuples(st.just("header"), FIELD_OPS),
    st.tuples(st.just("splice"), st.floats(0, 1), JUNK),
    st.tuples(st.just("bytes"), st.floats(0, 1), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("encoding"), st.sampled_from(["utf-8-sig", "utf-16", "latin-1", "crlf", "no_newline"])),
)


def apply_field_op(fields: list[str], op: tuple) -> bool:
    """Damage one row (or the header) in place; True when its text now carries CSV structure."""
    kind, *args = op
    n = len(fields)
    if kind == "drop" and n:
        del fields[args[0] % n]
    elif kind == "duplicate" and n:
        i = args[0] % n
        fields.insert(i, fields[i])
    elif kind == "insert":
        fields.insert(args[0] % (n + 1), args[1])
    elif kind == "replace" and n:
        fields[args[0] % n] = args[1]
    elif kind == "swap" and n:
        i, j = args[0] % n, args[1] % n
        fields[i], fields[j] = fields[j], fields[i]
    elif kind == "extra":
        fields.append(args[0])
    return any(STRUCTURAL.search(f) for f in fields)


@dataclass
class Damaged:
    report: Report
    data: bytes
    # The file's lines still map one-to-one onto report.rows (line n = rows[n - 2]).
    lines_match_rows: bool


def damage(report: Report, mutations: list[tuple]) -> Damaged:
    header, rows = list(report.header), [list(r) for r in report.rows]
    principals = list(report.principals)
    structural = False
    text_ops = []
    for mutation in mutations:
        kind = mutation[0]
        if kind == "row" and rows:
            structural |= apply_field_op(rows[mutation[1] % len(rows)], mutation[2])
        elif kind == "delete_row" and rows:
            i = mutation[1] % len(rows)
            del rows[i], principals[i]
        elif kind == "header":
            structural |= apply_field_op(header, mutation[1])
        else:
            text_ops.append(mutation)
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    encoding, newline = "utf-8", "\n"
    for kind, *args in text_ops:
        if kind == "splice":
            at = int(args[0] * len(text))
            text = text[:at] + args[1] + text[at:]
            structural = True
        elif kind == "encoding":
            if args[0] == "crlf":
                newline = "\r\n"
            elif args[0] == "no_newline":
                text = text.rstrip("\n")
            else:
                encoding = args[0]
    data = text.replace("\n", newline).encode(encoding, errors="replace")
    for kind, *args in text_ops:
        if kind == "bytes":
            at = int(args[0] * len(data))
            data = data[:at] + args[1] + data[at:]
            structural = True
        elif kind == "truncate":
            data = data[: int(args[0] * len(data))]
            structural = True
    return Damaged(Report(principals, header, rows), data, not structural and encoding != "utf-16")


DAMAGED = st.builds(damage, valid_reports(), st.lists(MUTATIONS, min_size=1, max_size=3))


# ---------------------------------------------------------------- what must hold


def problem_lines(problem: ParseProblem) -> range:
    found = re.fullmatch(r"lines? (\d+)(?:-(\d+))?", problem.location)
    assert found, problem
    first = int(found[1])
    return range(first, int(found[2] or first) + 1)


def assert_typed(frame: pd.DataFrame) -> None:
    for column in TIMESTAMP_COLUMNS:
        series, notes = frame[column], frame[f"{column}_note"]
        assert isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dtype.tz) == "UTC", series.dtype
        for value, note in zip(series, notes, strict=True):
            if value is pd.NaT:
                assert note in SPECIAL_VALUES, (column, note)
            else:
                assert isinstance(value, pd.Timestamp) and value.utcoffset() == pd.Timedelta(0)
                assert not isinstance(note, str), (column, value, note)
    for column in BOOLEAN_COLUMNS:
        series, notes = frame[column], frame[f"{column}_note"]
        assert series.dtype == "boolean", (column, series.dtype)
        for value, note in zip(series, notes, strict=True):
            if value is pd.NA:
                assert note in SPECIAL_VALUES, (column, note)
            else:
                assert value in (True, False) and not isinstance(note, str), (column, value, note)
    assert frame["is_root"].dtype == "boolean" and not frame["is_root"].isna().any()
    assert all(isinstance(u, str) and u for u in frame["user"])
    assert all(isinstance(a, str) for a in frame["account_id"])
    assert (frame["is_root"] == (frame["user"] == ROOT_USER)).all()
    assert (frame["is_root"] == frame["arn"].str.endswith(":root")).all()


def parse(data: bytes) -> tuple[pd.DataFrame, list[ParseProblem]] | None:
    """Parse, allowing only the documented error (None when the whole report was refused)."""
    try:
        return parse_credential_report(data, SOURCE)
    except CredentialReportError:
        return None


def assert_parser_properties(damaged: Damaged) -> None:
    parsed = parse(damaged.data)
    if parsed is None:
        return
    frame, problems = parsed
    assert_typed(frame)
    assert frame["line"].is_unique
    assert all(p.file == SOURCE for p in problems)
    # A row reported as a problem is never also in the frame.
    bad_lines = {n for p in problems for n in problem_lines(p)}
    assert not bad_lines & set(frame["line"]), (problems, list(frame["line"]))
    if not damaged.lines_match_rows:
        return
    rows = damaged.report.rows
    names = [v for r in rows for v in r[:3]]
    for problem in problems:
        (line,) = problem_lines(problem)
        row = rows[line - 2]
        # The problem names the principal of its own row: the row's ARN where one survived (the
        # name findings use), else its user; and that principal is not in the frame.
        arns = [v for v in row[:3] if v.startswith("arn:")]
        assert problem.subject == (arns[0] if arns else (row[0] if row else "") or None), (problem, row)
        if problem.subject and names.count(problem.subject) == 1:
            assert problem.subject not in set(frame["user"]) | set(frame["arn"]), problem
    # With the lines intact, every row is either in the frame or reported: none is lost silently.
    seen = set(frame["line"]) | bad_lines
    assert seen >= {n + 2 for n, r in enumerate(rows) if any(r)}, (seen, problems)


# ---------------------------------------------------------------- parser properties


@PARSER_SETTINGS
@given(DAMAGED)
def test_damaged_reports_parse_typed_or_raise_the_documented_error(damaged: Damaged) -> None:
    assert_parser_properties(damaged)


@PARSER_SETTINGS
@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_bytes_raise_only_the_documented_error(data: bytes) -> None:
    parsed = parse(data)
    if parsed is not None:
        frame, problems = parsed
        assert_typed(frame)
        assert not {n for p in problems for n in problem_lines(p)} & set(frame["line"])


@VALID_SETTINGS
@given(valid_reports(), st.data())
def test_a_valid_report_parses_completely_and_exactly(report: Report, data: st.DataObject) -> None:
    text = "\n".join(",".join(r) for r in [report.header, *report.rows]) + data.draw(st.sampled_from(["", "\n"]))
    frame, problems = parse_credential_report(text.encode(), SOURCE)
    assert problems == []
    assert_typed(frame)
    assert list(frame["arn"]) == [p.arn for p in report.principals]
    assert list(frame["line"]) == list(range(2, 2 + len(report.rows)))
    for (_, row), fields in zip(frame.iterrows(), report.rows, strict=True):
        raw = dict(zip(COLUMNS, fields, strict=True))
        for column in TIMESTAMP_COLUMNS:
            if raw[column] in SPECIAL_VALUES:
                assert row[column] is pd.NaT and row[f"{column}_note"] == raw[column]
            else:
                assert row[column] == pd.Timestamp(raw[column])
        for column in BOOLEAN_COLUMNS:
            if raw[column] in SPECIAL_VALUES:
                assert row[column] is pd.NA and row[f"{column}_note"] == raw[column]
            else:
                assert row[column] is (raw[column].lower() == "true")


# ---------------------------------------------------------------- end to end


def survivors(frame: pd.DataFrame | None) -> tuple[set[str], bool]:
    """ARNs of user rows in the frame, and whether a root row of the account is there."""
    if frame is None:
        return set(), False
    users = set(frame.loc[~frame["is_root"], "arn"])
    root = bool((frame["is_root"] & (frame["account_id"] == ACCOUNT)).any())
    return users, root


def assert_end_to_end(damaged: Damaged, findings: list[Finding]) -> None:
    parsed = parse(damaged.data)
    frame, problems = parsed if parsed is not None else (None, [])
    reads_report = {c.id for c in CHECKS.values() if "credential_report" in c.evidence}
    if parsed is None:
        # The whole report was refused: nothing that reads it can pass or be set aside.
        bad = [f for f in findings if f.check_id in reads_report and f.status in CONCLUSIVE]
        assert not bad, bad
        return
    user_arns, root_ok = survivors(frame)
    for principal in damaged.report.principals:
        if principal.is_root and not root_ok:
            bad = [
                f
                for f in findings
                if f.status is Status.PASS and (f.check_id.startswith("root_") or f.resource == ROOT_ARN)
            ]
            assert not bad, (bad, problems)
        elif not principal.is_root and principal.arn not in user_arns:
            bad = [f for f in findings if f.status is Status.PASS and f.resource == principal.arn]
            assert not bad, (bad, problems)
    if problems:
        # A conclusion about the whole report needs every row of it.
        bad = [f for f in findings if f.aggregate and f.check_id in reads_report and f.status in CONCLUSIVE]
        assert not bad, (bad, problems)
    # Each unreadable user row becomes a NOT_ASSESSED finding of every per-principal check.
    for problem in problems:
        if problem.subject is None or is_root_subject(problem.subject):
            continue
        for check in CHECKS.values():
            if check.scope == "principal":
                assert any(
                    f.check_id == check.id and f.resource == problem.subject and f.status is Status.NOT_ASSESSED
                    for f in findings
                ), (check.id, problem)


def report_findings(data: bytes) -> list[Finding]:
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = write_snapshot(Path(tmp) / "snap", AccountSpec(credential_report=data))
        return checked(snapshot).findings


@E2E_SETTINGS
@given(DAMAGED)
def test_no_pass_for_a_principal_whose_row_was_damaged(damaged: Damaged) -> None:
    assert_end_to_end(damaged, report_findings(damaged.data))


@ROOT_E2E_SETTINGS
@given(valid_reports(), st.integers(0, 21), JUNK)
def test_a_damaged_root_row_never_passes_a_root_check(report: Report, column: int, junk: str) -> None:
    rows = [list(r) for r in report.rows]
    rows[0][column] = junk  # root is row 0
    damaged = damage(Report(report.principals, report.header, rows), [])
    findings = report_findings(damaged.data)
    assert_end_to_end(damaged, findings)
    parsed = parse(damaged.data)
    if parsed is not None and not survivors(parsed[0])[1]:
        root = [f for f in findings if f.check_id.startswith("root_")]
        assert root and all(f.status is not Status.PASS for f in root), root


# ---------------------------------------------------------------- times outside what a table can hold


def one_user_report(created: str) -> bytes:
    header = ",".join(COLUMNS)
    root = [
        ROOT_USER,
        ROOT_ARN,
        "2020-01-01T00:00:00Z",
        "true",
        "no_information",
        "2024-01-01T00:00:00Z",
        "N/A",
        "true",
        *["false", "N/A", "N/A", "N/A", "N/A"] * 2,
        "false",
        "N/A",
        "false",
        "N/A",
    ]
    user = [
        "alice",
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        created,
        "false",
        "N/A",
        "N/A",
        "N/A",
        "false",
        *["false", "N/A", "N/A", "N/A", "N/A"] * 2,
        "false",
        "N/A",
        "false",
        "N/A",
    ]
    return "\n".join([header, ",".join(root), ",".join(user)]).encode() + b"\n"


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
def test_out_of_range_timestamp_is_a_row_problem(stamp: str) -> None:
    frame, problems = parse_credential_report(one_user_report(stamp), SOURCE)
    assert [p.subject for p in problems] == [f"arn:aws:iam::{ACCOUNT}:user/alice"]
    assert list(frame["user"]) == [ROOT_USER]


@pytest.mark.parametrize("stamp", OUT_OF_RANGE)
def test_out_of_range_timestamp_does_not_abort_the_report(stamp: str, tmp_path: Path) -> None:
    snapshot = write_snapshot(tmp_path / "snap", AccountSpec(credential_report=one_user_report(stamp)))
    findings = checked(snapshot).findings
    assert not [f for f in findings if f.status is Status.PASS and f.resource.endswith(":user/alice")]
