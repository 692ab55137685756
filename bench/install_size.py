"""Install size: this tree's core install beside a baseline ref's, each in a fresh venv, one run.

    .venv/bin/python bench/install_size.py                       # this tree vs BASELINE_REF
    .venv/bin/python bench/install_size.py --baseline-ref v0.1.0 --keep /tmp/sizes

Each side is `pip install -c constraints.txt SOURCE` into a new `python -m venv`, so packages the
two share resolve to the same versions and only the dependency lists differ. Sizes are disk usage
(`st_blocks`, as `du` counts them) in MiB, byte-compiled files included, as pip leaves them.
"Installer" is pip and setuptools, which `python -m venv` adds and `pipx`/`uv tool install`
do not leave in the tool's venv; the figures are given with and without them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# The last commit before issue #18 changed the dependency list: the install the issue measured.
BASELINE_REF = "5f17474"
INSTALLER = frozenset({"pip", "setuptools", "wheel"})
# The design's evidence-table engine (DESIGN.md, "evidence"): the floor no packaging change removes.
TABLE_ENGINE = ("pandas", "numpy")
MIB = 1024 * 1024

# Runs inside each venv's own interpreter: the distributions it holds, what each file takes on
# disk and what each requires, as JSON on stdout. Only the standard library is importable there.
_MEASURE = r"""
import importlib.metadata as md, json, os, sys
seen, dists = set(), []
for dist in md.distributions():
    size = 0
    for f in dist.files or ():
        path = os.path.realpath(dist.locate_file(f))
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        size += os.stat(path).st_blocks * 512
    dists.append({"name": dist.metadata["Name"], "version": dist.version,
                  "bytes": size, "requires": dist.requires or []})
total = 0
for base, dirs, files in os.walk(sys.prefix):
    for name in dirs + files:
        path = os.path.join(base, name)
        if not os.path.islink(path):
            total += os.lstat(path).st_blocks * 512
print(json.dumps({"prefix_bytes": total, "distributions": dists}))
"""


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    bytes: int
    requires: tuple[str, ...]  # Requires-Dist lines as the metadata gives them


@dataclass(frozen=True)
class Install:
    label: str
    prefix_bytes: int
    dists: dict[str, Dist]

    def packages(self) -> list[Dist]:
        return [d for d in self.dists.values() if d.name not in INSTALLER]

    def installer_bytes(self) -> int:
        return sum(d.bytes for d in self.dists.values() if d.name in INSTALLER)

    def summary(self) -> dict[str, float | int]:
        engine = sum(self.dists[n].bytes for n in TABLE_ENGINE if n in self.dists)
        without_installer = self.prefix_bytes - self.installer_bytes()
        return {
            "venv_mib": round(self.prefix_bytes / MIB, 1),
            "distributions": len(self.dists),
            "without_installer_mib": round(without_installer / MIB, 1),
            "packages_without_installer": len(self.packages()),
            "pandas_numpy_mib": round(engine / MIB, 1),
            "without_installer_or_pandas_numpy_mib": round((without_installer - engine) / MIB, 1),
        }


def _requires(raw: Iterable[str], extras: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """What a distribution needs on this interpreter and platform with these extras of it
    requested: each needed name, with the extras asked of it in turn."""
    needs: dict[str, frozenset[str]] = {}
    for line in raw:
        req = Requirement(line)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
            name = canonicalize_name(req.name)
            needs[name] = needs.get(name, frozenset()) | frozenset(req.extras)
    return needs


def measure(python: Path, label: str) -> Install:
    out = subprocess.run([str(python), "-c", _MEASURE], check=True, capture_output=True, text=True)
    data = json.loads(out.stdout)
    dists = {
        canonicalize_name(d["name"]): Dist(canonicalize_name(d["name"]), d["version"], d["bytes"], tuple(d["requires"]))
        for d in data["distributions"]
    }
    return Install(label, data["prefix_bytes"], dists)


def install(source: Path, venv: Path, constraints: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-c", str(constraints), str(source)], check=True)
    return python


def export_ref(ref: str, into: Path) -> Path:
    """The tree at `ref`, as `git archive` writes it: what a clone at that commit installs."""
    into.mkdir(parents=True, exist_ok=True)
    archive = into / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, stdout=out)
    tree = into / "tree"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def needed_by(inst: Install, root: str) -> dict[str, str]:
    """Why each distribution is installed: required by the project itself, or through whom
    (following the extras one asks of another, as weasyprint asks fonttools for [woff])."""
    parents: dict[str, set[str]] = {name: set() for name in inst.dists}
    asked: dict[str, frozenset[str]] = {name: frozenset() for name in inst.dists}
    todo = [root]
    while todo:
        name = todo.pop()
        for child, extras in _requires(inst.dists[name].requires, asked[name]).items():
            if child not in inst.dists:
                continue
            fresh = name not in parents[child] or not extras <= asked[child]
            parents[child].add(name)
            asked[child] |= extras
            if fresh:
                todo.append(child)
    why = {}
    for name, by in parents.items():
        if name == root:
            why[name] = "(the project)"
        elif name in INSTALLER:
            why[name] = "(installer: python -m venv)"
        elif root in by:
            why[name] = "direct"
        else:
            why[name] = "via " + ", ".join(sorted(by)) if by else "(not required)"
    return why


def report(base: Install, head: Install, why: dict[str, str]) -> str:
    rows = sorted(head.dists.values(), key=lambda d: (-d.bytes, d.name))
    lines = [f"{'distribution':<26}{'version':>12}{'MiB':>8}{'baseline MiB':>14}  needed"]
    for d in rows:
        old = base.dists.get(d.name)
        old_mib = f"{old.bytes / MIB:.1f}" if old else "-"
        lines.append(f"{d.name:<26}{d.version:>12}{d.bytes / MIB:>8.1f}{old_mib:>14}  {why[d.name]}")
    gone = sorted(set(base.dists) - set(head.dists), key=lambda n: -base.dists[n].bytes)
    if gone:
        lines.append("only in the baseline: " + ", ".join(f"{n} {base.dists[n].bytes / MIB:.1f}" for n in gone))
    lines.append("")
    lines.append(f"{'':<44}{base.label:>18}{head.label:>18}")
    a, b = base.summary(), head.summary()
    for key in a:
        lines.append(f"{key:<44}{a[key]:>18}{b[key]:>18}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref whose core install is the baseline")
    parser.add_argument("--keep", type=Path, help="build the venvs here and keep them")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "install-results.json")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="install-size-"))
    work.mkdir(parents=True, exist_ok=True)
    constraints = ROOT / "constraints.txt"
    root = canonicalize_name("compliance-reporter")
    try:
        base_src = export_ref(args.baseline_ref, work / "baseline-src")
        base = measure(install(base_src, work / "baseline-venv", constraints), f"baseline {args.baseline_ref}")
        head = measure(install(ROOT, work / "head-venv", constraints), "this tree")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    why = needed_by(head, root)
    print(report(base, head, why))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = {
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "baseline_ref": args.baseline_ref,
        "constraints": "constraints.txt",
        "baseline": base.summary(),
        "this_tree": head.summary(),
        "distributions": {
            d.name: {
                "version": d.version,
                "mib": round(d.bytes / MIB, 2),
                "baseline_mib": round(base.dists[d.name].bytes / MIB, 2) if d.name in base.dists else None,
                "needed": why[d.name],
            }
            for d in head.dists.values()
        },
        "only_in_baseline": {n: round(base.dists[n].bytes / MIB, 2) for n in set(base.dists) - set(head.dists)},
    }
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"\nwritten: {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
