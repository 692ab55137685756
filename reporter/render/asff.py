"""findings.asff.json: every finding in the AWS Security Finding Format (SchemaVersion 2018-10-08).

A JSON array, the shape `aws securityhub batch-import-findings --findings file://…` and
`reporter report --to-security-hub` send. Each finding's ProductArn is the default product of its
own account in its partition's home region (`--to-security-hub` renders them again for the region
it imports into). Status words: PASS → PASSED, FAIL → FAILED; NOT_ASSESSED, NOT_APPLICABLE and
MANUAL → NOT_AVAILABLE with the product's word as the StatusReason code and the reason as its
description, so nothing unassessed reads as compliant. A PASS is INFORMATIONAL and RESOLVED, as
Security Hub files its own passed controls; the check's severity stays in Severity.Original.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from reporter.core.partition import arn
from reporter.core.status import Status
from reporter.pack.model import Pack
from reporter.render.finding_export import Exported, exported_findings, resource_type
from reporter.snapshot.manifest import iso_utc
from reporter.snapshot.writer import atomic_write

SCHEMA_VERSION = "2018-10-08"
FILE_NAME = "findings.asff.json"
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
# Security Hub's limits on the fields filled from text (API reference, AwsSecurityFinding).
TITLE_MAX, DESCRIPTION_MAX, RECOMMENDATION_MAX, FIELD_VALUE_MAX = 256, 1024, 512, 2048
REQUIREMENTS_MAX, TYPES_MAX = 32, 50

_COMPLIANCE = {Status.PASS: "PASSED", Status.FAIL: "FAILED"}


def clip(text: str, limit: int, where: str) -> str:
    """`text` within `limit` characters; a cut one says so and where the whole text is."""
    if len(text) <= limit:
        return text
    note = f" … [truncated; full text: {where}]"
    return text[: limit - len(note)] + note


def product_arn(partition: str, region: str, account: str) -> str:
    return arn(partition, "securityhub", region, account, f"product/{account}/default")


def asff_finding(item: Exported, model: Pack, region: str | None = None) -> dict[str, Any]:
    f, check = item.finding, item.check
    region = region or item.region
    at = iso_utc(model.snapshot.manifest.as_of)
    where = f"findings.json {f.finding_id}"
    compliance: dict[str, Any] = {"Status": _COMPLIANCE.get(f.status, "NOT_AVAILABLE")}
    if f.status not in _COMPLIANCE:
        compliance["StatusReasons"] = [{"ReasonCode": f.status.value, "Description": clip(f.reason, 2048, where)}]
    labels = [r.label for r in item.requirements]
    if labels:
        compliance["RelatedRequirements"] = labels[:REQUIREMENTS_MAX]
    standards = sorted({r.standard for r in item.requirements})
    resources: list[dict[str, Any]] = [
        {"Type": "AwsAccount", "Id": f"AWS::::Account:{f.account_id}", "Partition": item.partition, "Region": region}
    ]
    if resource_type(f) != "AwsAccount":
        resources.append({"Type": resource_type(f), "Id": f.resource, "Partition": item.partition, "Region": region})
    cited = "; ".join(path + (f" ({row})" if row else "") for path, row, _ in item.artifacts) or "none"
    fields = {
        "reporter/finding_id": f.finding_id,
        "reporter/status": f.status.value,
        "reporter/manifest_sha256": model.snapshot.digest,
        "reporter/requirements": str(len(labels)),  # all of them, when RelatedRequirements is cut at 32
        "reporter/accepted": "true" if item.accepted else "false",
        "reporter/evidence": clip(cited, FIELD_VALUE_MAX, where),
    }
    if f.limits:
        fields["reporter/limits"] = ",".join(f"{k}={v}" for k, v in sorted(f.limits.items()))
    finding: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"reporter/{f.check_id}/{item.uid}",
        "ProductArn": product_arn(item.partition, region, f.account_id),
        "ProductName": "reporter",
        "CompanyName": "compliance-reporter",
        "GeneratorId": f.check_id,
        "AwsAccountId": f.account_id,
        "Types": [FINDING_TYPE, *(f"{FINDING_TYPE}/{s}" for s in standards)][:TYPES_MAX],
        "CreatedAt": at,
        "UpdatedAt": at,
        "Severity": {
            "Label": "INFORMATIONAL" if f.status is Status.PASS else f.severity.value.upper(),
            "Original": f.severity.value,
        },
        "Title": clip(item.title, TITLE_MAX, where),
        "Description": clip(f.statement(), DESCRIPTION_MAX, where),
        "Compliance": compliance,
        "Resources": resources,
        "ProductFields": fields,
        "Workflow": {"Status": item.workflow},
        "RecordState": "ACTIVE",
    }
    if check is not None and check.remediation:
        recommendation = {"Text": clip(" ".join(check.remediation), RECOMMENDATION_MAX, "the check's remediation")}
        url = next((r for r in check.references if r.startswith("https://")), None)
        if url is not None:  # a reference may name a benchmark section rather than a page
            recommendation["Url"] = url
        finding["Remediation"] = {"Recommendation": recommendation}
    return finding


def asff_findings(model: Pack, region: str | None = None) -> list[dict[str, Any]]:
    """Every finding of the Pack; `region` (the import's) replaces each partition's home region."""
    return [asff_finding(item, model, region) for item in exported_findings(model)]


def render_asff(model: Pack) -> bytes:
    return orjson.dumps(asff_findings(model), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def write_asff(model: Pack, out_dir: Path) -> Path:
    path = out_dir / FILE_NAME
    atomic_write(path, render_asff(model))
    return path
