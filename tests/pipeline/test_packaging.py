"""A plain (non-editable) wheel carries the package data: frameworks, templates, demo snapshot."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import hatchling"]).returncode != 0,
    reason="hatchling (a dev dependency) is not installed",
)
def test_wheel_ships_data_and_runs_the_demo_from_elsewhere(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
    )
    wheel = next((tmp_path / "dist").glob("compliance_reporter-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"reporter/demo_snapshot/manifest.json", "reporter/demo_exceptions.yaml"} <= names
    assert {n.rsplit("/", 1)[-1] for n in names if n.startswith("reporter/_shipped/frameworks/")} == {
        p.name for p in (REPO / "frameworks").iterdir()
    }
    # Install the wheel's files alone (no repo on the path) and run the demo from another folder.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    out = tmp_path / "pack"
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    where = subprocess.run(
        [sys.executable, "-c", "import reporter.core.resources as r; print(r.shipped_dir('frameworks'))"],
        check=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(target)), where
    subprocess.run(
        [sys.executable, "-c", "from reporter.cli.app import app; app()", "demo", "--out", str(out)],
        check=True,
        cwd=tmp_path,
        env=env,
    )
    assert (out / "findings.json").stat().st_size > 1000
