"""bench/install_size.py explains each package of an install correctly: the figures it reports
are only as good as its reading of the dependency metadata, extras and markers included."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "install_size.py"
_spec = importlib.util.spec_from_file_location("install_size", BENCH)
assert _spec is not None and _spec.loader is not None
install_size = importlib.util.module_from_spec(_spec)
sys.modules["install_size"] = install_size
_spec.loader.exec_module(install_size)


def _install(requires: dict[str, tuple[str, ...]], sizes: dict[str, int]) -> object:
    dists = {n: install_size.Dist(n, "1", sizes.get(n, 1), r) for n, r in requires.items()}
    return install_size.Install("t", sum(d.bytes for d in dists.values()), dists)


def test_needed_by_follows_requested_extras_and_skips_unmet_markers():
    inst = _install(
        {
            "proj": ("a", "b[x]", "pandas"),
            "a": ("e; python_version < '3'",),
            "b": ("c; extra == 'x'", "d; extra == 'y'"),
            "c": (),
            "d": (),
            "e": (),
            "pandas": ("numpy",),
            "numpy": (),
            "pip": (),
        },
        {"pandas": 3 * install_size.MIB, "numpy": 2 * install_size.MIB, "pip": install_size.MIB},
    )
    why = install_size.needed_by(inst, "proj")
    assert why["a"] == why["b"] == why["pandas"] == "direct"
    assert why["c"] == "via b"  # asked for through b[x]
    assert why["d"] == "(not required)"  # b's [y] extra was never asked for
    assert why["e"] == "(not required)"  # its marker is false on this interpreter
    assert why["numpy"] == "via pandas"
    assert why["pip"].startswith("(installer")
    summary = inst.summary()
    assert summary["packages_without_installer"] == 8
    assert summary["pandas_numpy_mib"] == 5.0
    assert summary["without_installer_mib"] == round((inst.prefix_bytes - install_size.MIB) / install_size.MIB, 1)


def test_measure_reads_this_interpreter_and_counts_its_files():
    inst = install_size.measure(Path(sys.executable), "here")
    assert "compliance-reporter" in inst.dists and "pandas" in inst.dists
    pandas = inst.dists["pandas"]
    assert pandas.bytes > 10 * install_size.MIB
    assert any(r.startswith("numpy") for r in pandas.requires)
    # Every distribution here lives under the prefix, so the prefix holds at least their sum.
    assert inst.prefix_bytes >= sum(d.bytes for d in inst.dists.values() if d.name != "compliance-reporter")
