"""The default framework selection: the newest version of each framework selected by default,
computed from the files; older versions and opt-out files only when named with --framework."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from factory import AccountSpec, write_snapshot
from typer.testing import CliRunner

from reporter.assess.framework_files import _version_key, default_frameworks, load_frameworks
from reporter.assess.framework_model import Framework
from reporter.cli.app import app
from reporter.core.resources import shipped_dir
from reporter.pack.model import build_pack

runner = CliRunner()
CIS = "Center for Internet Security"


def test_the_shipped_default_is_one_version_per_framework_and_the_newest_cis() -> None:
    available = load_frameworks()
    chosen = default_frameworks(available)
    cis = [fw for fw in available.values() if fw.publisher == CIS]
    newest = max(cis, key=_version_key)
    assert len(cis) > 1 and [fw.id for fw in chosen if fw.publisher == CIS] == [newest.id]
    numbers = {fw.id: tuple(map(int, fw.version.split("."))) for fw in cis}
    assert all(numbers[fid] < numbers[newest.id] for fid in numbers if fid != newest.id)
    names = " | ".join(fw.name for fw in chosen)
    for expected in ("SOC 2", "HIPAA", "Well-Architected", "Foundational Technical Review"):
        assert expected in names
    assert not {"pci-dss-4.0.1", "nist-800-53-r5"} & {fw.id for fw in chosen}
    assert len({(fw.publisher, fw.name) for fw in chosen}) == len(chosen)
    assert [fw.id for fw in chosen] == sorted(fw.id for fw in chosen)


def test_versions_compare_by_their_numbers_and_opt_outs_stay_out() -> None:
    base = load_frameworks()["soc2-tsc-2017"]

    def variant(fid: str, version: str, **update: object) -> Framework:
        return base.model_copy(update={"id": fid, "name": "ACME cloud baseline", "version": version, **update})

    # "10.0" sorts before "9.0" as text, not as a number.
    older, newer = variant("acme-9", "9.0"), variant("acme-10", "10.0")
    opted_out = variant("acme-cards", "1", name="ACME card rules", selected_by_default=False)
    chosen = {fw.id for fw in default_frameworks({fw.id: fw for fw in (newer, older, opted_out)})}
    assert chosen == {"acme-10"}


def test_a_file_can_opt_out_of_the_default(tmp_path: Path) -> None:
    data = yaml.safe_load((shipped_dir("frameworks") / "soc2-tsc-2017.yaml").read_text())
    (tmp_path / "soc2.yaml").write_text(yaml.safe_dump({**data, "selected_by_default": False}, sort_keys=False))
    available = load_frameworks([tmp_path])
    assert not available["soc2-tsc-2017"].selected_by_default
    assert "soc2-tsc-2017" not in {fw.id for fw in default_frameworks(available)}


def test_a_pack_built_without_frameworks_uses_the_default(tmp_path: Path) -> None:
    pack = build_pack(write_snapshot(tmp_path / "s", AccountSpec()))
    assert [r.framework.id for r in pack.frameworks] == [fw.id for fw in default_frameworks(load_frameworks())]


def _report_frameworks(tmp_path: Path, *args: str) -> list[str]:
    snap = write_snapshot(tmp_path / "s", AccountSpec())
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(snap.root), "--out", str(out), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    doc = orjson.loads((out / "findings.json").read_bytes())
    return [f["framework"]["id"] for f in doc["frameworks"]]


def test_report_without_framework_evaluates_the_default(tmp_path: Path) -> None:
    assert _report_frameworks(tmp_path) == [fw.id for fw in default_frameworks(load_frameworks())]


def test_report_framework_names_an_older_cis_and_default_adds_to_the_selection(tmp_path: Path) -> None:
    default = [fw.id for fw in default_frameworks(load_frameworks())]
    assert "cis-aws-1.4.0" not in default
    assert _report_frameworks(tmp_path / "a", "--framework", "cis-aws-1.4.0") == ["cis-aws-1.4.0"]
    assert _report_frameworks(tmp_path / "b", "--framework", "default,cis-aws-1.4.0,pci-dss-4.0.1") == [
        *default,
        "cis-aws-1.4.0",
        "pci-dss-4.0.1",
    ]
    assert _report_frameworks(tmp_path / "c", "--framework", "all") == list(load_frameworks())


@pytest.mark.parametrize("ids", ["cis-aws-0.1", "default,nope"])
def test_an_unknown_framework_is_one_line_and_exit_2(tmp_path: Path, ids: str) -> None:
    snap = write_snapshot(tmp_path / "s", AccountSpec())
    result = runner.invoke(app, ["report", str(snap.root), "--out", str(tmp_path / "o"), "--framework", ids])
    assert result.exit_code == 2 and "unknown framework" in result.output and "Traceback" not in result.output


def test_frameworks_list_says_which_are_in_the_default() -> None:
    result = runner.invoke(app, ["frameworks", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    cells = [line.split("│") for line in result.output.splitlines() if line.count("│") > 3]
    rows = {c[1].strip(): c[3].strip() for c in cells if c[1].strip()}
    default = {fw.id for fw in default_frameworks(load_frameworks())}
    assert rows == {fid: "yes" if fid in default else "no" for fid in load_frameworks()}
