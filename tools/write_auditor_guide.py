"""Write docs/auditor-guide.md from the same source as the PDF's appendix (render/pdf/auditor.py,
the check registry and the demo snapshot's file names), so the two never drift apart.
`python tools/write_auditor_guide.py [OUT]`; a test keeps the committed file current."""

from __future__ import annotations

import sys
from pathlib import Path

from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.render.pdf.auditor import auditor_guide
from reporter.snapshot.reader import Snapshot

INTRO = """# Auditor's guide

How to rely on a reporter audit pack without relying on the people who made it: what the pack
proves and what it does not, how to verify it in three commands, how each check decides and
which evidence file holds each fact, so that any verdict can be recomputed by hand. The PDF
carries the same guide as its last chapter ("9 Auditor's guide").

A pack is `audit-pack-YYYY-MM.pdf`, `evidence-YYYY-MM.xlsx`, `findings.json` and
`pack-manifest.json` (plus `pack-manifest.json.sig` when signed). The evidence snapshot is a
folder of raw AWS answers with `manifest.json` (plus `manifest.json.sig`).
"""


def render() -> str:
    guide = auditor_guide(build_pack(Snapshot.open(demo_snapshot_dir())))
    out = [INTRO, "## What the pack proves\n"]
    out += [f"- {p}" for p in guide["proves"]]
    out += ["", "## What it does not prove\n"]
    out += [f"- {p}" for p in guide["does_not_prove"]]
    out += ["", "## Verification in three commands\n", "```sh"]
    out += [f"{cmd:<58} # {what}" for cmd, what in guide["verify"]]
    out += [
        "```",
        "",
        "Exit 0: verified; 5: a file changed, missing or added, or a signature or re-render differs",
        "(each file is named); 2: an input is missing. Without the tool: `sha256sum` each file against",
        "`pack-manifest.json`, and verify a signature with OpenSSL:",
        "`jq -r .signature pack-manifest.json.sig | base64 -d > sig.bin;",
        "openssl pkeyutl -verify -pubin -inkey reporter.key.pub -rawin -in pack-manifest.json -sigfile sig.bin`.",
        "",
        "## How each check decides, and from which evidence\n",
        "Ages are measured against the snapshot's evidence date (`as_of`), never the clock; the limits a",
        "pack used are printed in its workbook's Summary sheet and in the PDF (defaults: "
        + ", ".join(f"`{k}` = {v}" for k, v in guide["thresholds"].items())
        + ").",
        "",
        "| check | FAIL when | evidence file (workbook sheet) |",
        "|---|---|---|",
    ]
    for check in guide["checks"]:
        fails = "".join(f"`{t}`" if code else t for t, code in check["fails_when"])
        files = "<br>".join(f"`{', '.join(e['files'])}` ({e['sheet']})" for e in check["evidence"])
        out.append(f"| `{check['id']}`<br>{check['title']} ({check['severity']}) | {fails} | {files} |")
    out += ["", "## Recomputing a verdict by hand from the workbook\n"]
    out += [f"{i}. {step}" for i, step in enumerate(guide["recompute"], 1)]
    out += [
        "",
        "Missing evidence is never PASS: a check whose file is missing, unreadable or incompletely",
        "collected is NOT ASSESSED, and its reason names the file and the failed call. An account is",
        '"assessed" only when every check for it had its evidence; otherwise the pack says "partially',
        'assessed (k of n checks)" and names what is missing.',
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "auditor-guide.md"
    )
    target.write_text(render(), encoding="utf-8")
