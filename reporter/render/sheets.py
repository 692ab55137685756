"""The evidence sheets (findings, frameworks, root events, credential report, manifest, summary):
one description shared by the XLSX and CSV renderers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from reporter import __version__
from reporter.checks.finding import Finding
from reporter.checks.limits import describe_limits
from reporter.checks.registry import CHECKS
from reporter.evidence.row_ids import artifact_row_id
from reporter.pack.integrity import STAMP, Integrity
from reporter.pack.model import Pack
from reporter.render.column_meanings import CREDENTIAL_REPORT, ROOT_EVENTS
from reporter.render.sheet_links import WorkbookRows, citations_table, evidence_ids_cell
from reporter.render.sheet_table import (
    BOOL,
    DATETIME,
    INT,
    STATUS_MEANING,
    STATUS_ORDER,
    Column,
    Link,
    SheetTable,
    decisions_by_finding,
    frame_columns,
    frame_table,
    json_text,
    text_value,
    utc_naive,
)
from reporter.render.sheets_accounts import accounts_table


def _judged_for(finding: Finding) -> str | None:
    if finding.framework_limits:
        return "framework rows stating these limits"
    return "pack (product limits)" if finding.limits else None


def findings_table(model: Pack, links: WorkbookRows) -> SheetTable:
    columns = [
        Column(
            "finding_id",
            description="The finding's stable id, F-<check>-<account>[-<hash of the resource>][-L<hash of limits>]: "
            "the same every month for the same check, account and resource; the PDF and findings.json cite it.",
        ),
        Column("check_id", description="The check that produced the finding (see the PDF's auditor's guide)."),
        Column("check_title", description="The check's title."),
        Column("account_id", description="The AWS account the finding is about."),
        Column("resource", description="The principal or resource judged (an ARN or name), if the check names one."),
        Column("status", description=STATUS_MEANING),
        Column("severity", description="The check's severity (critical, high, medium, low, informational)."),
        Column("limits", description="The limits the check was judged with (e.g. a key's maximum age in days)."),
        Column("judged_for", description="Whose limits: the pack's own, or framework rows stating their own."),
        Column("reason", description="One sentence saying why the finding has its status."),
        Column(
            "observed",
            description="What the evidence shows, with its values (times in UTC, ages against as_of), as the "
            "PDF and findings.json (observed_text) say it.",
        ),
        Column(
            "expected",
            description="The requirement, with the limit the finding was judged by and whose limit it is "
            "(findings.json expected_text).",
        ),
        Column("observed (JSON)", description="The values the decision used, as a JSON object."),
        Column("evidence", description="The snapshot artifacts (and rows in them) the decision read."),
        Column(
            "evidence_ids",
            description="The stable ids of those evidence rows, linked to the first one's row (the Evidence cited "
            "sheet links each).",
        ),
        Column("aggregate", BOOL, description="Whether the finding sums up several resources of the account."),
        Column("acceptance_state", description="The risk acceptance (--exceptions) state, if one matched."),
        Column("approver", description="Who approved the matching risk acceptance."),
        Column("expires_on", description="The day (YYYY-MM-DD) the matching risk acceptance expires."),
        Column("ticket", description="The ticket the matching risk acceptance cites."),
    ]
    decided = decisions_by_finding(model)

    def rows() -> Iterator[list[Any]]:
        for f in model.all_findings:
            check = CHECKS.get(f.check_id)
            evidence = "; ".join(ref.path + (f" ({ref.row})" if ref.row else "") for ref in f.evidence)
            d = decided.get(f.finding_id)
            acc = d.acceptance if d is not None else None
            yield (
                [
                    text_value(v)
                    for v in (
                        f.finding_id,
                        f.check_id,
                        check.title if check else None,
                        f.account_id,
                        f.resource,
                        f.status.value,
                        f.severity.value,
                        describe_limits(f.limits) or None,
                        _judged_for(f),
                        f.reason,
                        f.observed_text,
                        f.expected_text,
                        json_text(f.observed),
                        evidence,
                    )
                ]
                + [evidence_ids_cell(f, links), bool(f.aggregate)]
                + [
                    text_value(v)
                    for v in (
                        d.state.value if d else None,
                        acc.approver if acc else None,
                        acc.expires_on.isoformat() if acc else None,
                        acc.ticket if acc else None,
                    )
                ]
            )

    return SheetTable(
        "findings",
        "Findings",
        "Findings",
        columns,
        len(model.all_findings),
        rows,
        status_column="status",
        widths={
            "finding_id": 50,
            "reason": 80,
            "observed": 80,
            "expected": 60,
            "observed (JSON)": 60,
            "evidence": 60,
            "evidence_ids": 45,
        },
        description="Every finding (PASS included), id F-…; then those judged under a framework row's own limits.",
    )


def frameworks_table(model: Pack, links: WorkbookRows) -> SheetTable:
    columns = [
        Column("framework_id", description="The framework file's id (e.g. cis-aws-foundations-3.0.0)."),
        Column("framework", description="The framework's name."),
        Column("framework_version", description="The framework's version."),
        Column("requirement_id", description="The requirement's id within the framework."),
        Column("section", description="The framework section the requirement belongs to."),
        Column("title", description="The requirement's title."),
        Column("level", description="The requirement's level or profile, where the framework has one."),
        Column("assessment", description="The framework's assessment type (e.g. automated, manual), if stated."),
        Column("status", description=STATUS_MEANING + " MANUAL: satisfied only by a person's attestation."),
        Column("reason", description="Why the requirement has its status."),
        Column("check_ids", description="The checks the requirement is mapped to."),
        Column("limits", description="The limits this requirement's row states for its checks, if any."),
        Column(
            "finding_ids",
            description="The findings (Findings sheet) the status was decided from, linked to the first one's row.",
        ),
        Column("status_by_account", description="The requirement's status in each account."),
    ]
    n = sum(len(r.requirements) for r in model.frameworks)
    linked = [c.name for c in columns].index("finding_ids")

    def rows() -> Iterator[list[Any]]:
        for result in model.frameworks:
            fw = result.framework
            for r in result.requirements:
                req = r.requirement
                by_account = "; ".join(f"{a}: {s.value}" for a, s in sorted(r.status_by_account.items()))
                finding_ids = ", ".join(r.finding_ids)
                values: list[Any] = [
                    text_value(v)
                    for v in (
                        fw.id,
                        fw.name,
                        fw.version,
                        req.id,
                        req.section,
                        req.title,
                        req.level,
                        req.assessment,
                        r.status.value,
                        r.reason,
                        ", ".join(r.check_ids),
                        r.limits_text or None,
                        finding_ids,
                        by_account,
                    )
                ]
                first = links.finding(r.finding_ids[0]) if r.finding_ids else None
                if first is not None:
                    values[linked] = Link(finding_ids, first.sheet, first.row)
                yield values

    return SheetTable(
        "frameworks",
        "Frameworks",
        "Frameworks",
        columns,
        n,
        rows,
        status_column="status",
        widths={"title": 60, "reason": 80, "finding_ids": 40},
        description="One row per framework requirement, with its status, checks and findings.",
    )


def root_events_table(model: Pack, frame: pd.DataFrame | None = None) -> SheetTable:
    frame = model.root_events() if frame is None else frame
    if "ticket" not in frame.columns:
        # The break-glass ticket (--exceptions) that authorised each root event, if any.
        tickets = {
            e.evidence_id: e.break_glass.ticket
            for e in (model.acceptances.root_events if model.acceptances else ())
            if e.break_glass is not None
        }
        frame = frame.assign(
            ticket=pd.Series([tickets.get(r) for r in frame["evidence_id"]], index=frame.index, dtype=object)
        )
    # `account` (the snapshot folder) repeats what `source` already says; every normalized column stays.
    columns = frame_columns(frame, skip=["account"], meanings=ROOT_EVENTS)
    return frame_table(
        "root_events",
        "Root events",
        "RootEvents",
        frame,
        columns,
        widths={"user_agent": 50, "source": 50},
        description="Every root CloudTrail event of the period, one row per record, id E-evt-<eventID>.",
    )


def credential_report_table(model: Pack, frame: pd.DataFrame | None = None) -> SheetTable:
    frame = model.credential_rows() if frame is None else frame
    return frame_table(
        "credential_report",
        "Credential report",
        "CredentialReport",
        frame,
        frame_columns(frame, meanings=CREDENTIAL_REPORT),
        widths={"arn": 45, "source": 45},
        description="Every credential-report row of every account (root included), id E-cred-….",
    )


def manifest_table(model: Pack) -> SheetTable:
    columns = [
        Column(
            "evidence_id",
            description="The artifact's stable evidence id, E-doc-<account>-<hash of the path> (empty for a call that "
            "failed); a finding citing a key in it (E-doc-…-<hash of the key>) links to this row.",
        ),
        Column("path", description="The artifact's path in the snapshot folder; empty for a call that failed."),
        Column("sha256", description="The SHA-256 of the artifact's bytes, as manifest.json records it."),
        Column("size", INT, description="The artifact's size in bytes."),
        Column("api", description="The AWS API call that produced it (e.g. iam:GetCredentialReport)."),
        Column("params (JSON)", description="The call's parameters, as a JSON object."),
        Column("account", description="The AWS account the call was made in."),
        Column("region", description="The Region the call was made to."),
        Column("collected_at (UTC)", DATETIME, description="When the artifact was collected."),
        Column(
            "status", description="ok, or error when the call failed (the evidence of why a check is NOT_ASSESSED)."
        ),
        Column("error_code", description="The AWS error code of a failed call (e.g. AccessDenied)."),
        Column("error_message", description="The AWS error message of a failed call."),
    ]
    artifacts = model.snapshot.manifest.artifacts

    def rows() -> Iterator[list[Any]]:
        for a in artifacts:
            yield [
                text_value(artifact_row_id(a.path) if a.path else None),
                text_value(a.path),
                text_value(a.sha256),
                a.size,
                text_value(a.api),
                text_value(json_text(a.params)),
                text_value(a.account),
                text_value(a.region),
                utc_naive(a.collected_at),
                text_value(a.status),
                text_value(a.error.code if a.error else None),
                text_value(a.error.message if a.error else None),
            ]

    return SheetTable(
        "manifest",
        "Manifest",
        "Manifest",
        columns,
        len(artifacts),
        rows,
        freeze_first_column=False,
        widths={"sha256": 66, "error_message": 80, "path": 60},
        description="Every artifact of the snapshot (and every failed call), with its SHA-256 and API call.",
    )


def _integrity_text(integrity: Integrity) -> str:
    if integrity.failures:
        state = f"{STAMP}: {len(integrity.failures)} failure(s)"
    else:
        state = "verified" if integrity.verified else "not verified (built without a check)"
    return f"{state}; checked: {', '.join(integrity.checks())}"


def summary_table(model: Pack, sheets: Sequence[SheetTable] = ()) -> SheetTable:
    """The Summary sheet; its last rows describe and link to each of `sheets`."""
    columns = [
        Column("section", description="report, findings, requirements by framework (and by account), or sheet."),
        Column("item", description="What the row states or counts."),
        Column("value", description="The item's value (text, a UTC date-time or a number)."),
        *(Column(s, INT, description=f"How many findings or requirements are {s}.") for s in STATUS_ORDER),
        Column("total", INT, description="The sum of the status counts."),
        Column("link", description="A link to the sheet holding the rows counted."),
    ]
    manifest = model.snapshot.manifest

    def info(item: str, value: Any) -> list[Any]:
        v = utc_naive(value) if isinstance(value, datetime) else value if isinstance(value, int) else text_value(value)
        return ["report", item, v, *([None] * (len(STATUS_ORDER) + 1)), None]

    def counted(section: str, item: str, value: Any, counts: dict[str, int], link: str) -> list[Any]:
        nums = [counts.get(s, 0) for s in STATUS_ORDER]
        return [section, text_value(item), text_value(value), *nums, sum(nums), Link(link, link)]

    def rows() -> Iterator[list[Any]]:
        yield info("period", model.period_label)
        yield info("period_start (UTC)", manifest.period_start)
        yield info("period_end (UTC)", manifest.period_end)
        yield info("as_of (UTC)", manifest.as_of)
        yield info("collected_at (UTC)", manifest.collected_at)
        yield info("accounts", len(model.accounts))
        yield info("snapshot digest (SHA-256 of manifest.json)", model.snapshot.digest)
        yield info("caller_arn", manifest.caller_arn)
        yield info("organization_id", manifest.organization_id)
        yield info("snapshot tool_version", manifest.tool_version)
        yield info("rendered by", f"reporter {__version__}")
        yield info("previous_manifest_sha256 (evidence chain)", manifest.previous_manifest_sha256)
        yield info("drift compared with", _compared_with(model))
        integrity = model.integrity
        yield info("evidence integrity", _integrity_text(integrity))
        for failure in integrity.failures:
            yield info("integrity failure", str(failure))
        yield info("coverage", model.coverage_text())
        yield info("root events in the period", str(model.root_event_count()))
        yield counted("findings", "all accounts", None, model.counts(), "Findings")
        for a in model.accounts:
            state = a.coverage.label + (f": {a.reason}" if a.reason else "")
            label = f"{a.id} ({a.name})" if a.name else a.id
            kind = "management account" if a.is_management else "member account"
            yield counted("findings by account", label, f"{kind}; {state}", model.counts(a.id), "Findings")
        for result in model.frameworks:
            name = f"{result.framework.name} {result.framework.version}"
            yield counted(
                "requirements by framework",
                name,
                result.framework.id,
                {s.value: n for s, n in result.counts.items()},
                "Frameworks",
            )
        for result in model.frameworks:
            name = f"{result.framework.name} {result.framework.version}"
            for account, counts in sorted(result.counts_by_account.items()):
                yield counted(
                    "requirements by framework and account",
                    f"{name} / {account}",
                    result.framework.id,
                    {s.value: n for s, n in counts.items()},
                    "Frameworks",
                )
        for t in sheets:
            yield [
                "sheet",
                t.sheet,
                text_value(t.description),
                *([None] * (len(STATUS_ORDER) + 1)),
                Link(t.sheet, t.sheet),
            ]

    n = (
        16
        + len(model.integrity.failures)
        + 1
        + len(model.accounts)
        + len(model.frameworks)
        + sum(len(r.counts_by_account) for r in model.frameworks)
        + len(sheets)
    )
    return SheetTable(
        "summary",
        "Summary",
        "Summary",
        columns,
        n,
        rows,
        freeze_first_column=False,
        widths={"item": 50, "value": 66},
        description="The pack at a glance: scope, period, digest, integrity, status counts, links to each sheet.",
    )


def _compared_with(model: Pack) -> str:
    drift = model.drift
    if drift is None or drift.baseline:
        return "baseline: first pack of this scope"
    gap = "" if drift.previous_is_last_month else " (months without a pack in between)"
    return f"{drift.previous_month} (manifest sha256 {drift.previous_manifest_sha256}){gap}"


def evidence_tables(model: Pack) -> list[SheetTable]:
    """The evidence sheets, which the CSV export writes too."""
    credentials, events = model.credential_rows(), model.root_events()
    links = WorkbookRows.of(model, credentials, events)
    return [
        findings_table(model, links),
        frameworks_table(model, links),
        accounts_table(model),
        root_events_table(model, events),
        credential_report_table(model, credentials),
        manifest_table(model),
        citations_table(model, links),
    ]
