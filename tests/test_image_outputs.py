"""The files a built container wrote (issue #18's acceptance), checked from the host: `make image-smoke`
runs `reporter demo` and `reporter report … --format ocsf,asff,oscal,junit,html` in the image, then these
tests with REPORTER_IMAGE_OUT naming the volume it mounted. Without it (every other run) they skip:
building an image needs root and an engine, and takes minutes."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import orjson
import pytest
from format_validators import assert_valid_asff, assert_valid_ocsf_event, html_problems, junit_schema, valid_oscal
from lxml import etree

from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import build_pack
from reporter.snapshot.reader import Snapshot

OUT = os.environ.get("REPORTER_IMAGE_OUT")
pytestmark = pytest.mark.skipif(not OUT, reason="REPORTER_IMAGE_OUT unset: run `make image-smoke`")
SAMPLES = Path(__file__).parent.parent / "sample_reports"


@pytest.fixture(scope="module")
def out() -> Path:
    assert OUT
    return Path(OUT)


@pytest.fixture(scope="module")
def findings_count() -> int:
    return len(build_pack(Snapshot.open(demo_snapshot_dir())).all_findings)


def test_the_image_holds_this_trees_code(out: Path) -> None:
    """Every file of the installed package is the tree's own: a build cache that kept an older
    install (buildah once did, for a `RUN --mount=from=build` step) fails here by file name."""
    installed = orjson.loads((out / "installed-package.json").read_bytes())
    package = Path(__file__).parent.parent / "reporter"
    tree = {
        str(p.relative_to(package)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert sorted(n for n in tree if installed.get(n) != tree[n]) == []
    assert sorted(n for n in installed if n.endswith(".py") and n not in tree) == []


def test_the_demo_pack_is_the_committed_sample_byte_for_byte(out: Path) -> None:
    """The pack manifest pins every output's SHA-256, so one comparison covers PDF, workbook and JSON:
    the image's pinned Pango and HarfBuzz lay out the same PDF as the machine that wrote the samples."""
    written = sorted(p.name for p in (out / "demo").iterdir())
    assert written == ["audit-pack-2026-10.pdf", "evidence-2026-10.xlsx", "findings.json", "pack-manifest.json"]
    for name in written:
        assert (out / "demo" / name).read_bytes() == (SAMPLES / name).read_bytes(), name


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm missing (apt-get install poppler-utils)")
def test_the_demo_pdf_renders(out: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", out / "demo" / "audit-pack-2026-10.pdf", tmp_path / "p"],
        check=True,
    )
    (page,) = tmp_path.glob("p-*.png")
    assert page.stat().st_size > 10_000  # a blank A4 page at 50 dpi is a few hundred bytes


def test_the_report_wrote_the_five_formats_and_its_manifest(out: Path) -> None:
    assert sorted(p.name for p in (out / "report").iterdir()) == [
        "assessment-results-2026-10.oscal.json",
        "findings.asff.json",
        "findings.ocsf.jsonl",
        "junit-2026-10.xml",
        "pack-manifest.json",
        "report-2026-10.html",
    ]
    html = (out / "report" / "report-2026-10.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "</html>" in html


def test_the_history_is_on_the_volume(out: Path) -> None:
    assert (out / "reporter" / "history.db").stat().st_size > 0


def test_ocsf(out: Path, findings_count: int) -> None:
    events = [orjson.loads(line) for line in (out / "report" / "findings.ocsf.jsonl").read_bytes().splitlines()]
    assert len(events) == findings_count
    for event in events:
        assert_valid_ocsf_event(event)


def test_asff(out: Path, findings_count: int) -> None:
    findings = orjson.loads((out / "report" / "findings.asff.json").read_bytes())
    assert len(findings) == findings_count
    assert_valid_asff(findings)


def test_oscal(out: Path) -> None:
    model = valid_oscal(orjson.loads((out / "report" / "assessment-results-2026-10.oscal.json").read_bytes()))
    assert len(model.results) == 1


def test_junit(out: Path) -> None:
    schema = junit_schema()
    assert schema.validate(etree.parse(out / "report" / "junit-2026-10.xml")), schema.error_log


def test_html(out: Path) -> None:
    assert html_problems((out / "report" / "report-2026-10.html").read_bytes()) == []
