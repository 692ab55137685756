"""`--to-security-hub`: import the pack's ASFF findings with Security Hub's BatchImportFindings.

The findings are those of findings.asff.json, rendered for the region they are imported into
(`--security-hub-region`, else the home region of the snapshot's partition: us-east-1,
us-gov-west-1, cn-north-1), in batches of 100 (the API's limit). Security Hub answers each batch
with the findings it refused (`FailedFindings`); a batch whose call fails has all its findings
refused with the call's error (`call_failed`: the CLI says such a failure once, not once per
finding). Every refusal is kept by finding id with its code and message; nothing else of the call
(credentials, request) is ever written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

BATCH_SIZE = 100  # BatchImportFindings takes at most 100 findings a call
# Two letters in most partitions, four in the European Sovereign Cloud's (eusc-de-east-1).
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")


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


def check_region(region: str | None) -> str | None:
    if region is not None and not _REGION.fullmatch(region):
        raise SecurityHubError(f"--security-hub-region {region!r}: not a region name (e.g. eu-west-1)")
    return region


def import_findings(findings: Sequence[dict[str, Any]], client: Any, region: str) -> ImportResult:
    """BatchImportFindings in batches of BATCH_SIZE; the result names every finding refused."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - botocore loads slowly
    from botocore.parsers import ResponseParserError  # noqa: PLC0415 - not a BotoCoreError

    result = ImportResult(region)
    for start in range(0, len(findings), BATCH_SIZE):
        batch = findings[start : start + BATCH_SIZE]
        result.calls += 1
        try:
            answer = client.batch_import_findings(Findings=list(batch))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "ClientError")), str(error.get("Message", ""))
            result.refused += [Refused(str(f["Id"]), code, message, call_failed=True) for f in batch]
            continue
        except (BotoCoreError, ResponseParserError) as exc:
            result.refused += [Refused(str(f["Id"]), type(exc).__name__, str(exc), call_failed=True) for f in batch]
            continue
        failed = answer.get("FailedFindings", [])
        result.refused += [
            Refused(str(f.get("Id", "?")), str(f.get("ErrorCode", "?")), str(f.get("ErrorMessage", ""))) for f in failed
        ]
        result.imported += int(answer.get("SuccessCount", len(batch) - len(failed)))
    return result
