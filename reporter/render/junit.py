"""junit-<YYYY-MM>.xml: the pack's findings as JUnit XML, for CI dashboards.

One <testsuite> per check, so a dashboard groups the accounts of one control together and a
check's suite keeps its name month to month; one <testcase> per check × account
(classname = check id, name = account id), stable across packs, holding the findings judged under
the pack's limits and under any framework row's own. A check × account with a FAIL no valid
exception covers is a <failure>, as the exit code counts it; one with nothing else failed but an
accepted FAIL, or something not assessed (or manual, or not applicable), is <skipped> with the
reasons and the exception — never a pass, because missing evidence is never PASS.
The document's timestamp is the snapshot's as_of: the same snapshot gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree as ET

from reporter.assess.risk_acceptance import Decision
from reporter.checks.finding import Finding
from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.render.codepoints import XML_ILLEGAL
from reporter.render.pdf.findings_view import decisions, exception_text
from reporter.snapshot.writer import atomic_write


def _clean(text: str) -> str:
    # A test report's text is read, not audited byte for byte: U+FFFD marks the spot.
    return XML_ILLEGAL.sub("\ufffd", text)


def junit_name(model: Pack) -> str:
    return f"junit-{model.period_label}.xml"


def _line(f: Finding, exceptions: dict[str, Decision]) -> str:
    line = f"{f.finding_id} {f.status.value} {f.resource}: {f.statement()}"
    decision = exceptions.get(f.finding_id)
    return f"{line} {exception_text(decision)}." if decision is not None else line


def _lines(findings: list[Finding], exceptions: dict[str, Decision]) -> str:
    return "\n".join(_clean(_line(f, exceptions)) for f in findings)


def _accepted(f: Finding, exceptions: dict[str, Decision]) -> bool:
    decision = exceptions.get(f.finding_id)
    return decision is not None and decision.applies


def _word(f: Finding, exceptions: dict[str, Decision]) -> str:
    return "FAIL (accepted exception)" if _accepted(f, exceptions) else f.status.value


def _case(
    suite: ET.Element, check_id: str, account_id: str, findings: list[Finding], exceptions: dict[str, Decision]
) -> str:
    case = ET.SubElement(suite, "testcase", classname=_clean(check_id), name=_clean(account_id), time="0")
    # A FAIL a valid exception covers does not fail the pack (exit code); it is still not a pass.
    failed = [f for f in findings if f.status is Status.FAIL and not _accepted(f, exceptions)]
    if failed:
        first = failed[0]
        element = ET.SubElement(case, "failure", message=_clean(first.statement()), type=first.severity.value)
        element.text = _lines(failed, exceptions)
        return "failure"
    open_ = [f for f in findings if f.status is not Status.PASS]
    if open_:
        message = "; ".join(sorted({f"{_word(f, exceptions)}: {f.observed_text}" for f in open_}))
        ET.SubElement(case, "skipped", message=_clean(message)).text = _lines(open_, exceptions)
        return "skipped"
    return "pass"


def render_junit(model: Pack) -> bytes:
    """The pack's findings as a JUnit XML document (UTF-8)."""
    grouped: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    # A framework row's own limits can FAIL what the pack's limits pass, and the exit code counts it.
    for finding in model.all_findings:
        grouped[finding.check_id][finding.account_id].append(finding)
    exceptions = decisions(model)
    timestamp = model.snapshot.manifest.as_of.strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites", name=_clean(f"reporter {model.period_label}"))
    totals = {"tests": 0, "failures": 0}
    for check_id in sorted(grouped):
        suite = ET.SubElement(root, "testsuite", name=_clean(check_id), timestamp=timestamp)
        cases = grouped[check_id]
        outcomes = [_case(suite, check_id, acct, cases[acct], exceptions) for acct in sorted(cases)]
        counts = {"tests": len(outcomes), "failures": outcomes.count("failure"), "skipped": outcomes.count("skipped")}
        for key, value in counts.items():
            suite.set(key, str(value))
            if key in totals:
                totals[key] += value
        suite.set("errors", "0")
        suite.set("time", "0")
    # The Jenkins/Surefire schema (junit-10.xsd) allows no `skipped` on <testsuites>: each suite
    # carries its own, and the root only the totals that schema names.
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(model: Pack, out_dir: Path) -> Path:
    """Write `junit-<YYYY-MM>.xml` into `out_dir` (atomically) and return its path."""
    path = Path(out_dir) / junit_name(model)
    atomic_write(path, render_junit(model))
    return path
