"""`--to-security-hub`: import the pack's ASFF findings with Security Hub's BatchImportFindings.

The findings are those of findings.asff.json, rendered for the region they are imported into
(`--security-hub-region`, else the home region of the snapshot's partition: us-east-1,
us-gov-west-1, cn-north-1), in batches of 100 (the API's limit). Security Hub answers each batch
with the findings it refused (`FailedFindings`); a batch whose call fails has all its findings
refused with the call's error (`call_failed`: the CLI says such a failure once, not once per
finding). Every refusal is kept by finding id with its code and message; nothing else of the call
(credentials, request) is ever written.

BatchImportFindings sets a finding's Workflow only when it creates it: on every later import
Security Hub keeps the Workflow it has (its investigation state) and resets RESOLVED or NOTIFIED to
NEW only when Compliance turns from PASSED to anything else. So a FAIL whose risk acceptance has
expired would stay SUPPRESSED, and a FAIL fixed since would stay NEW. After the import,
`sync_workflow` reads the Workflow of the findings it imported (GetFindings) and sets, with
BatchUpdateFindings and a Note naming the pack, only the states the pack decides:

- a FAIL a valid risk acceptance covers: SUPPRESSED;
- any other FAIL and every NOT_ASSESSED or MANUAL: NEW, when it is SUPPRESSED or RESOLVED (a
  NOTIFIED finding is somebody's triage of an open finding, and stays);
- PASS and NOT_APPLICABLE: RESOLVED, when it is NEW or NOTIFIED (a SUPPRESSED one stays).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

BATCH_SIZE = 100  # BatchImportFindings takes at most 100 findings a call
# Two letters in most partitions, four in the European Sovereign Cloud's (eusc-de-east-1).
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")


# What a call is said to have failed with when its answer lacks the fields the API always returns.
_MALFORMED = ("MalformedAnswer", "the answer lacks the result fields the API returns")
# ... and when an answer accounts for fewer findings than the batch sent.
_UNACCOUNTED = ("UnaccountedFindings", "the answer neither counts these findings done nor names them refused")


class SecurityHubError(Exception):
    """The region given is not a region name. `str(e)` says so in one line."""


@dataclass(frozen=True)
class Refused:
    finding_id: str
    code: str
    message: str
    call_failed: bool = False  # the whole call failed (credentials, throttling), not this finding

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.code}: {self.message}"


@dataclass
class ImportResult:
    region: str
    imported: int = 0
    refused: list[Refused] = field(default_factory=list)
    calls: int = 0
    workflow_set: dict[str, int] = field(default_factory=dict)  # status -> findings set to it
    workflow_failed: list[Refused] = field(default_factory=list)  # imported, but left in a state the pack contradicts


def check_region(region: str | None) -> str | None:
    if region is not None and not _REGION.fullmatch(region):
        raise SecurityHubError(f"--security-hub-region {region!r}: not a region name (e.g. eu-west-1)")
    return region


def _call_error(exc: Exception) -> tuple[str, str]:
    """The code and message of a failed call, whatever its exception class."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 - botocore loads slowly

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return str(error.get("Code", "ClientError")), str(error.get("Message", ""))
    return type(exc).__name__, str(exc)


def _call_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415
    from botocore.parsers import ResponseParserError  # noqa: PLC0415 - not a BotoCoreError

    return (ClientError, BotoCoreError, ResponseParserError)


def import_findings(findings: Sequence[dict[str, Any]], client: Any, region: str) -> ImportResult:
    """BatchImportFindings in batches of BATCH_SIZE; the result names every finding refused."""
    result = ImportResult(region)
    for start in range(0, len(findings), BATCH_SIZE):
        batch = findings[start : start + BATCH_SIZE]
        result.calls += 1
        try:
            answer = client.batch_import_findings(Findings=list(batch))
        except _call_errors() as exc:
            code, message = _call_error(exc)
            result.refused += [Refused(str(f["Id"]), code, message, call_failed=True) for f in batch]
            continue
        if "SuccessCount" not in answer:  # an answer without its result is no proof of an import
            result.refused += [Refused(str(f["Id"]), *_MALFORMED, call_failed=True) for f in batch]
            continue
        failed = answer.get("FailedFindings", [])
        result.refused += [
            Refused(str(f.get("Id", "?")), str(f.get("ErrorCode", "?")), str(f.get("ErrorMessage", ""))) for f in failed
        ]
        result.imported += int(answer["SuccessCount"])
        # Every finding of the batch is imported or named refused; when the answer accounts for fewer
        # (a refusal without its Id, a count short), which of the others were imported is unknown:
        # none is taken for imported (nor has its Workflow set), each is said refused.
        named = {str(f.get("Id")) for f in failed} & {str(f["Id"]) for f in batch}
        if int(answer["SuccessCount"]) + len(named) < len(batch):
            result.refused += [
                Refused(str(f["Id"]), *_UNACCOUNTED, call_failed=True) for f in batch if str(f["Id"]) not in named
            ]
    return result


# What the pack decides of a finding's Workflow, by the Workflow it asks for: the current states it
# changes. The states not named are left as Security Hub (or a person) set them.
_OVERRIDES = {
    "SUPPRESSED": frozenset({"NEW", "NOTIFIED", "RESOLVED"}),
    "NEW": frozenset({"SUPPRESSED", "RESOLVED"}),
    "RESOLVED": frozenset({"NEW", "NOTIFIED"}),
}
_NOTES = {
    "SUPPRESSED": "a valid risk acceptance covers this FAIL",
    "NEW": "open: no valid risk acceptance covers it",
    "RESOLVED": "passes",
}
NOTE_MAX = 512  # BatchUpdateFindings' Note.Text


FILTER_VALUES_MAX = 20  # GetFindings: "for each attribute, you can provide up to 20 filter values"


def _stored_pages(client: Any, accounts: list[str]) -> Iterator[dict[str, Any]]:
    """The pages of this tool's findings of these accounts (a delegated administrator's hub holds
    every member's: reading only the accounts imported keeps an organization's run to its own)."""
    for start in range(0, len(accounts), FILTER_VALUES_MAX):
        filters = {
            "Id": [{"Value": "reporter/", "Comparison": "PREFIX"}],
            "AwsAccountId": [{"Value": a, "Comparison": "EQUALS"} for a in accounts[start : start + FILTER_VALUES_MAX]],
        }
        yield from client.get_paginator("get_findings").paginate(Filters=filters, PaginationConfig={"PageSize": 100})


def sync_workflow(findings: Sequence[dict[str, Any]], client: Any, result: ImportResult) -> None:
    """Bring the Workflow of the findings just imported to what the pack decides (module docstring)."""
    refused = {r.finding_id for r in result.refused}
    wanted = {(f["Id"], f["ProductArn"]): f for f in findings if f["Id"] not in refused}
    if not wanted:
        return
    changes: dict[str, list[dict[str, str]]] = {}
    try:
        for page in _stored_pages(client, sorted({f["AwsAccountId"] for f in wanted.values()})):
            if "Findings" not in page:
                result.workflow_failed.append(Refused("GetFindings", *_MALFORMED, call_failed=True))
                return
            for found in page["Findings"]:
                key = (found.get("Id"), found.get("ProductArn"))
                finding = wanted.get(key)  # GetFindings may answer more than these: only they are touched
                if finding is None:
                    continue
                status = finding["Workflow"]["Status"]
                if found.get("Workflow", {}).get("Status", "NEW") in _OVERRIDES[status]:
                    changes.setdefault(status, []).append({"Id": key[0], "ProductArn": key[1]})
    except _call_errors() as exc:
        code, message = _call_error(exc)
        result.workflow_failed.append(Refused("GetFindings", code, message, call_failed=True))
        return
    for status, identifiers in changes.items():
        digest = wanted[identifiers[0]["Id"], identifiers[0]["ProductArn"]]["ProductFields"]["reporter/manifest_sha256"]
        note = f"compliance-reporter: {_NOTES[status]} in the pack of snapshot {digest} (manifest sha256)"
        for start in range(0, len(identifiers), BATCH_SIZE):
            batch = identifiers[start : start + BATCH_SIZE]
            try:
                answer = client.batch_update_findings(
                    FindingIdentifiers=batch,
                    Workflow={"Status": status},
                    Note={"Text": note[:NOTE_MAX], "UpdatedBy": "compliance-reporter"},
                )
            except _call_errors() as exc:
                code, message = _call_error(exc)
                result.workflow_failed += [Refused(i["Id"], code, message, call_failed=True) for i in batch]
                continue
            if "ProcessedFindings" not in answer:
                result.workflow_failed += [Refused(i["Id"], *_MALFORMED, call_failed=True) for i in batch]
                continue
            unprocessed = answer.get("UnprocessedFindings", [])
            result.workflow_failed += [
                Refused(
                    str(u.get("FindingIdentifier", {}).get("Id", "?")),
                    str(u.get("ErrorCode", "?")),
                    str(u.get("ErrorMessage", "")),
                )
                for u in unprocessed
            ]
            processed = {(str(i.get("Id")), str(i.get("ProductArn"))) for i in answer["ProcessedFindings"]}
            named = processed | {
                (str(u.get("FindingIdentifier", {}).get("Id")), str(u.get("FindingIdentifier", {}).get("ProductArn")))
                for u in unprocessed
            }
            # neither processed nor named unprocessed: not known to be set, so said left as it was
            result.workflow_failed += [
                Refused(i["Id"], *_UNACCOUNTED, call_failed=True)
                for i in batch
                if (i["Id"], i["ProductArn"]) not in named
            ]
            done = len(processed & {(i["Id"], i["ProductArn"]) for i in batch})
            result.workflow_set[status] = result.workflow_set.get(status, 0) + done
