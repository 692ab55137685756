"""The guards of ARCHITECTURE.md that no linter checks: the top level of the package and module size."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

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


def _pins(text: str) -> dict[str, Version]:
    """name → version of each `name==version[ ; marker]` line of a constraints file."""
    pins: dict[str, Version] = {}
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            req = Requirement(line)
            (spec,) = req.specifier
            pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


def test_the_lock_pins_every_dependency_within_what_pyproject_asks():
    """make and CI install with `-c constraints.txt`; a dependency added or narrowed in
    pyproject.toml without `make lock` would install untested versions (or fail to resolve)."""
    root = PACKAGE.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins((root / "constraints.txt").read_text(encoding="utf-8"))
    wanted = [Requirement(r) for r in project["dependencies"]]
    wanted += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    problems = []
    for req in wanted:
        name = canonicalize_name(req.name)
        if name == canonicalize_name(project["name"]):
            continue  # the dev extra's reference to the project's own extras
        if name not in pins:
            problems.append(f"{req.name}: not in constraints.txt")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{req.name}: pinned {pins[name]}, pyproject asks {req.specifier}")
    assert problems == [], "run `make lock`: " + "; ".join(problems)


def test_the_image_installs_the_system_libraries_the_makefile_names_and_runs_as_a_user():
    """`make syslibs` and the Dockerfile must agree on what WeasyPrint loads; the container
    must not run the collector as root."""
    root = PACKAGE.parent
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    (syslibs,) = re.findall(r"^SYSLIBS := (.+)$", makefile, re.MULTILINE)
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    pinned = dict(re.findall(r"^\s+([a-z0-9.+-]+)=(\S+) \\$", runtime, re.MULTILINE))
    assert set(pinned) == set(syslibs.split())
    assert all(pinned.values())
    (user,) = re.findall(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert not user.startswith(("0", "root"))
    assert "-c constraints.txt" in dockerfile
    # The default history ($XDG_DATA_HOME/reporter/history.db) must land on the volume the recipes mount.
    (workdir,) = re.findall(r"^WORKDIR (\S+)$", runtime, re.MULTILINE)
    assert f"XDG_DATA_HOME={workdir}" in runtime.split()


def test_every_source_the_image_copies_is_in_the_build_context():
    root = PACKAGE.parent
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    sources = [s for line in re.findall(r"^COPY (?!--)(.+) \S+$", dockerfile, re.MULTILINE) for s in line.split()]
    assert "pyproject.toml" in sources
    ignored = {line.strip().rstrip("/") for line in (root / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    assert [s for s in sources if not (root / s).exists() or s in ignored] == []


def test_openpyxl_writes_through_lxml_in_every_install():
    """openpyxl picks lxml or ElementTree at import, and the two serialise differently: a core
    install without lxml would write other workbook bytes than the committed sample_reports."""
    import openpyxl.xml

    assert openpyxl.xml.LXML
    requires = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(Requirement(r).name == "lxml" for r in requires)
