"""findings.ocsf.jsonl: every finding as an OCSF 1.5 Compliance Finding (class 2003), one a line.

JSON Lines rather than one array: SIEM collectors (Splunk, Elastic, Security Lake's Firehose
loaders, Fluent Bit) take an event per line and stream it, so a large organization's file never
has to be parsed whole, and a line cut off in transit loses one event, not the document.

Status words map exactly: PASS → Pass, FAIL → Fail. NOT_ASSESSED (and NOT_APPLICABLE, MANUAL) is
`Other` (99) with the product's own word in `compliance.checks[].status` and the reason in
`status_detail`, never Pass; OCSF's `Warning` is left alone because consumers read it as a
softened pass. A PASS event is Informational (as in ASFF), the check's severity kept on the check.
Byte-stable: times come from the snapshot's as_of, ids from the content.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson

from reporter import __version__
from reporter.core.status import Severity, Status
from reporter.pack.model import Pack
from reporter.render.finding_export import FINDING_NAMESPACE, Exported, exported_findings, resource_type
from reporter.snapshot.writer import atomic_write

OCSF_VERSION = "1.5.0"
CLASS_UID = 2003  # Compliance Finding
CATEGORY_UID = 2  # Findings
ACTIVITY_CREATE = 1
FILE_NAME = "findings.ocsf.jsonl"

_COMPLIANCE = {Status.PASS: (1, "Pass"), Status.FAIL: (3, "Fail")}
_OTHER = 99
_SEVERITY = {
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
_INFORMATIONAL = (1, "Informational")
# The event's own (workflow) status: New 1, Suppressed 3, Resolved 4.
_WORKFLOW = {"NEW": (1, "New"), "SUPPRESSED": (3, "Suppressed"), "RESOLVED": (4, "Resolved")}
_AWS_ACCOUNT = 10  # account.type_id


def compliance_status(status: Status) -> tuple[int, str]:
    """(status_id, status): only PASS is Pass; the words OCSF lacks stay as the product says them."""
    return _COMPLIANCE.get(status, (_OTHER, status.value))


def ocsf_event(item: Exported, model: Pack) -> dict[str, Any]:
    f, check = item.finding, item.check
    # `cloud` is the cloud profile's (metadata.profiles); the rest is the Compliance Finding class.
    as_of_ms = int(model.snapshot.manifest.as_of.timestamp() * 1000)
    status_id, status = compliance_status(f.status)
    severity_id, severity = _SEVERITY[f.severity]
    # A pass is Informational, as in ASFF (and Security Hub's own passed controls), so a rule on
    # severity never fires on one; the check's severity stays in compliance.checks[].
    event_severity = _INFORMATIONAL if f.status is Status.PASS else (severity_id, severity)
    workflow_id, workflow = _WORKFLOW[item.workflow]
    account: dict[str, Any] = {"uid": f.account_id, "type_id": _AWS_ACCOUNT, "type": "AWS Account"}
    account["name"] = item.account_name or f.account_id
    cloud: dict[str, Any] = {"provider": "AWS", "region": item.region, "account": account}
    if model.snapshot.manifest.organization_id:
        cloud["org"] = {"uid": model.snapshot.manifest.organization_id}
    compliance: dict[str, Any] = {
        "control": f.check_id,
        "status_id": status_id,
        # The check as OCSF's check object, whose `status` carries the word (Pass, Fail, NOT_ASSESSED).
        "checks": [
            {
                "uid": f.check_id,
                "name": check.title if check is not None else f.check_id,
                "status_id": status_id,
                "status": status,
                "severity_id": severity_id,
                "severity": severity,
            }
        ],
        "requirements": [r.label for r in item.requirements],
        "standards": sorted({r.standard for r in item.requirements}),
    }
    if check is not None and check.fails_when:
        compliance["desc"] = check.fails_when
    event: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": as_of_ms,
        "severity_id": event_severity[0],
        "severity": event_severity[1],
        "status_id": workflow_id,
        "status": workflow,
        "status_detail": f.reason,
        "message": item.title,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "reporter", "vendor_name": "compliance-reporter", "version": __version__},
            "profiles": ["cloud"],
            # One event per finding per pack: the same finding next month is a new event.
            "uid": str(uuid.uuid5(FINDING_NAMESPACE, f"{item.uid}\x1f{model.snapshot.digest}")),
        },
        "finding_info": {
            "uid": item.uid,
            "title": item.title,
            "desc": f.statement(),
            "types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
            "created_time": as_of_ms,
            "data_sources": sorted({path for path, _, _ in item.artifacts}),
        },
        "compliance": compliance,
        "cloud": cloud,
        "resources": [
            {
                "uid": f.resource,
                "type": resource_type(f),
                "cloud_partition": item.partition,
                "region": item.region,
            }
        ],
        "evidences": [
            {"name": path, "data": {"path": path, "row": row, "sha256": sha256}} for path, row, sha256 in item.artifacts
        ],
        "unmapped": {
            "reporter": {
                "finding_id": f.finding_id,
                "status": f.status.value,
                "limits": dict(f.limits),
                "framework_limits": f.framework_limits,
                "accepted": item.accepted,
                "manifest_sha256": model.snapshot.digest,
            }
        },
    }
    if check is not None and check.remediation:
        event["remediation"] = {"desc": " ".join(check.remediation), "references": list(check.references)}
    return event


# orjson escapes the C0 controls but writes these raw (valid JSON), and Unicode-aware line
# readers (Python's str.splitlines, for one) end a line at each, so they are escaped as JSON too.
# Their UTF-8 bytes occur only inside a string (the rest of the JSON is ASCII).
_LINE_BREAKS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"), (b"\xc2\x85", b"\\u0085"))


def _one_line(event: dict[str, Any]) -> bytes:
    line = orjson.dumps(event, option=orjson.OPT_SORT_KEYS)
    for raw, escaped in _LINE_BREAKS:
        line = line.replace(raw, escaped)
    return line


def render_ocsf(model: Pack) -> bytes:
    # So a hostile name or message can never break an event in two.
    return b"".join(_one_line(ocsf_event(item, model)) + b"\n" for item in exported_findings(model))


def write_ocsf(model: Pack, out_dir: Path) -> Path:
    path = out_dir / FILE_NAME
    atomic_write(path, render_ocsf(model))
    return path
