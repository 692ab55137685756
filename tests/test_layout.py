"""The guards of ARCHITECTURE.md that no linter checks: the top level of the package and module size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import reporter

PACKAGE = Path(reporter.__file__).parent
MAX_MODULE_LINES = 600
STAGES = {"core", "snapshot", "collect", "evidence", "checks", "assess", "history", "pack", "render", "publish", "cli"}


def test_top_level_holds_only_the_package_files_and_the_stages():
    entries = {p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"}
    modules = {n for n in entries if n.endswith(".py")}
    assert modules == {"__init__.py", "__main__.py"}
    packages = {n for n in entries if (PACKAGE / n).is_dir() and n not in ("demo_snapshot", "_shipped")}
    assert packages == STAGES


def test_no_module_is_over_the_limit():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_python_dash_m_reporter_prints_the_version():
    done = subprocess.run([sys.executable, "-m", "reporter", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"reporter {reporter.__version__}"
