"""The auditor's guide: what the pack proves, how to verify it, and how each check decides, from
which evidence file, recomputable by hand from the workbook. Generated from the check registry
and the snapshot's manifest, so it can never name a check or a file the pack does not have."""

from __future__ import annotations

import re
from typing import Any

from reporter.checks.registry import CHECKS
from reporter.evidence.organization import LIST_CHILDREN, LIST_PARENTS
from reporter.evidence.tables import KEYED_SPECS, ORG_KEYED_SPECS, ORG_SPECS, ORG_TREE, TABLE_SPECS
from reporter.pack.model import Pack

# Where a person reads each evidence table in the workbook (the others are raw JSON artifacts,
# listed with their SHA-256 in the "Manifest" sheet).
WORKBOOK_SHEETS = {"credential_report": "Credential report", "root_events": "Root events"}

PROVES = (
    "Every verdict was computed from the evidence files listed in the manifest, pinned by SHA-256; "
    "the same snapshot always yields the same findings and the same bytes.",
    "A check whose evidence was missing, unreadable or incompletely collected is NOT ASSESSED with the "
    "reason, never PASS; an account is \u201cassessed\u201d only when every check for it had its evidence.",
    "The snapshot was verified (digests, and signature and chain link when a key or a history was given) "
    "before this pack was rendered; the cover says which checks were made.",
)
DOES_NOT_PROVE = (
    "That the AWS answers were complete or true: the pack records what the IAM, CloudTrail, CloudWatch, "
    "SNS, EventBridge and Organizations APIs returned to the collecting role at collection time.",
    "Anything outside the root user and IAM credentials: workloads, data, network and other controls.",
    "Alerting outside AWS (an external SIEM) or procedures on paper: those are MANUAL requirements, "
    "evidenced by attestations.",
    "Who collected the evidence, unless the snapshot and the pack are signed and you hold the public key "
    "(or the PDF is signed by a certificate that chains to a CA you trust).",
)
VERIFY = (
    ("reporter verify PACK_DIR --public-key reporter.key.pub", "every file of the pack against pack-manifest.json,"
     " its signature, the PDF's attachments (manifest.json, findings.json) and its PAdES signature, if any"
     " (--pdf-trust-root CA.pem: the signer must chain to that CA)"),
    ("reporter verify SNAPSHOT --public-key reporter.key.pub", "every evidence file against manifest.json and"
     " the snapshot's signature"),
    ("reporter verify PACK_DIR --snapshot SNAPSHOT", "the pack rendered again from the snapshot, byte for byte"),
)  # fmt: skip
RECOMPUTE = (
    "Open the workbook's Findings sheet and filter on check_id; each row gives the status, the reason, what "
    "was observed and what was expected (as sentences), the observed values and the evidence file and row.",
    "Credential-report checks: in the Credential report sheet, find the row (E-cred-…) of the account and user and "
    "compare its dates with the evidence date (as_of) and the limits printed in the Summary sheet.",
    "Root-event checks: the Root events sheet lists every root event of the period (E-evt-<eventID>) with time, "
    "source IP and user agent.",
    "Any other evidence: the Manifest sheet names the JSON file and its SHA-256; open it in the snapshot.",
)


def _segments(text: str) -> list[tuple[str, bool]]:
    """Markdown code spans as (text, is_code) pieces, so the template can set them in mono."""
    parts = re.split(r"`([^`]*)`", text.replace("**", ""))
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def _evidence_files(model: Pack) -> dict[str, list[str]]:
    """Each evidence table's file names in this snapshot, with account ids and regions generalised."""
    apis: dict[str, tuple[str, ...]] = {s.name: s.apis for s in (*TABLE_SPECS, *ORG_SPECS)}
    apis.update({s.name: (s.api,) for s in (*KEYED_SPECS, *ORG_KEYED_SPECS)})
    apis[ORG_TREE] = (LIST_PARENTS, LIST_CHILDREN)  # the OU tree, read either way up or down
    manifest = model.snapshot.manifest
    regions = {r for a in manifest.accounts for r in a.regions}
    files: dict[str, set[str]] = {}
    for artifact in manifest.artifacts:
        if artifact.status != "ok" or artifact.path is None:
            continue
        path = artifact.path
        if artifact.account:
            path = path.replace(artifact.account, "<account>")
        for region in regions:
            path = path.replace(f"/{region}/", "/<region>/")
        for table, table_apis in apis.items():
            if artifact.api in table_apis:
                files.setdefault(table, set()).add(re.sub(r"/[^/]*[0-9a-f]{8,}[^/]*\.json$", "/….json", path))
    return {table: sorted(paths)[:3] for table, paths in files.items()}


def auditor_guide(model: Pack) -> dict[str, Any]:
    files = _evidence_files(model)
    checks = []
    for check in CHECKS.values():
        evidence = [
            {
                "table": table,
                "files": files.get(table, ["not in this snapshot"]),
                "sheet": WORKBOOK_SHEETS.get(table, "Manifest"),
            }
            for table in check.evidence
        ]
        checks.append(
            {
                "id": check.id,
                "title": check.title,
                "severity": check.severity.value,
                "fails_when": _segments(check.fails_when),
                "evidence": evidence,
            }
        )
    return {
        "proves": PROVES,
        "does_not_prove": DOES_NOT_PROVE,
        "verify": VERIFY,
        "recompute": RECOMPUTE,
        "checks": checks,
        "thresholds": model.thresholds.as_dict(),
    }
