"""`--format oscal|junit|html` through the CLI, pinned by the pack manifest and re-rendered by verify."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.core.resources import demo_exceptions_file, demo_snapshot_dir

NAMES = ["assessment-results-2026-10.oscal.json", "junit-2026-10.xml", "report-2026-10.html"]


def test_report_verify_and_an_unlisted_output_is_flagged(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "pack"
    made = runner.invoke(app, ["demo", "--out", str(out), "--format", "oscal", "--format", "junit", "--format", "html"])
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in out.iterdir()) == sorted([*NAMES, "pack-manifest.json"])
    snapshot = str(demo_snapshot_dir())
    # the demo pack was built with the shipped exceptions file: verify asks for it, by path
    refused = runner.invoke(app, ["verify", str(out), "--snapshot", snapshot])
    hint = f"give that file with --exceptions (the demo's: {demo_exceptions_file()})"
    assert refused.exit_code == 2 and hint in refused.output
    checked = runner.invoke(
        app, ["verify", str(out), "--snapshot", snapshot, "--exceptions", str(demo_exceptions_file())]
    )
    assert checked.exit_code == 0, checked.output
    assert "3 file(s) identical byte for byte" in checked.output
    shutil.copy(out / NAMES[1], out / "junit-2026-09.xml")
    flagged = runner.invoke(app, ["verify", str(out)])
    assert flagged.exit_code == 5 and "junit-2026-09.xml" in flagged.output
