"""The auditor's guide (issue #16): docs/auditor-guide.md and the PDF's last chapter come from the
check registry, so every check is explained, with its evidence files, in both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reporter.checks.registry import CHECKS
from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.render.pdf.auditor import auditor_guide
from reporter.snapshot.reader import Snapshot

ROOT = Path(__file__).resolve().parents[2]


def test_committed_guide_is_what_the_tool_writes(tmp_path: Path) -> None:
    tool = ROOT / "tools" / "write_auditor_guide.py"
    subprocess.run([sys.executable, str(tool), str(tmp_path / "guide.md")], check=True)
    assert (tmp_path / "guide.md").read_text() == (ROOT / "docs" / "auditor-guide.md").read_text(), (
        "regenerate: python tools/write_auditor_guide.py"
    )


def test_guide_lists_every_check_with_its_decision_and_evidence() -> None:
    text = (ROOT / "docs" / "auditor-guide.md").read_text()
    for check in CHECKS.values():
        assert check.fails_when, f"{check.id} has no fails_when"
        assert f"| `{check.id}`<br>{check.title}" in text
    for command in ("reporter verify PACK_DIR", "reporter verify SNAPSHOT", "--snapshot SNAPSHOT"):
        assert command in text


def test_every_evidence_table_is_located() -> None:
    guide = auditor_guide(build_pack(Snapshot.open(demo_snapshot_dir())))
    assert [c["id"] for c in guide["checks"]] == list(CHECKS)
    for check in guide["checks"]:
        for evidence in check["evidence"]:
            assert evidence["files"] != ["not in this snapshot"], (check["id"], evidence["table"])
            assert all("111122223333" not in f for f in evidence["files"])  # generalised to <account>
    code = dict(next(c for c in guide["checks"] if c["id"] == "root_not_used")["fails_when"][1:2])
    assert code == {"password_last_used": True}
