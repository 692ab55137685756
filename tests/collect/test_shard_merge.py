"""collect --shard K/N and reporter merge (issue #15, item 7), against the three-account moto
organization: the merged shards give the same findings, byte for byte, as one run; every
misfit (overlap, gap, another period, a tampered file) is refused with its exit code."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from moto_world import START, World, fixed_clock, no_sleep, options
from typer.testing import CliRunner

from reporter.cli.app import app
from reporter.collect import CollectError, collect
from reporter.collect.resume import check_resumable, journal_parameters
from reporter.core.shard import Shard, shard_of
from reporter.pack.model import PackOptions, build_pack
from reporter.render.json_report import findings_document
from reporter.snapshot.manifest import MANIFEST_NAME
from reporter.snapshot.merge import MERGE_API, MergeError, MergeIntegrityError, merge_snapshots
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot

N = 3


@pytest.fixture(scope="module")
def single(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single") / "snap"
    collect(options(out), clock=fixed_clock, sleep=no_sleep)
    return out


@pytest.fixture(scope="module")
def shards(world: World, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("shards")
    paths = []
    for k in range(1, N + 1):
        out = root / f"shard-{k}"
        collect(options(out, shard=Shard(k, N)), clock=fixed_clock, sleep=no_sleep)
        paths.append(out)
    return paths


@pytest.fixture(scope="module")
def merged(shards: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("merged") / "snap"
    merge_snapshots(list(reversed(shards)), out)  # any order
    return out


def verdict_bytes(root: Path) -> bytes:
    """findings.json without what names the snapshot itself (the snapshot block, and its manifest
    digest wherever it appears), which by nature differs between one run and a merge."""
    snapshot = Snapshot.open(root)
    doc = findings_document(build_pack(snapshot, PackOptions()))
    doc.pop("snapshot")
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS).replace(snapshot.digest.encode(), b"<this snapshot>")


def test_each_shard_takes_its_stable_share(world: World, shards: list[Path]) -> None:
    everyone = sorted([world.mgmt, world.prod, world.sandbox])
    for k, path in enumerate(shards, start=1):
        manifest = Snapshot.open(path).manifest
        assert manifest.shard is not None and (manifest.shard.index, manifest.shard.count) == (k, N)
        assert manifest.shard.accounts_seen == everyone
        assert sorted(a.id for a in manifest.accounts) == [a for a in everyone if shard_of(a, N) == k]
        walked = any(
            a.api == "organizations:ListPoliciesForTarget" or a.path == "organization/roots.json"
            for a in manifest.artifacts
        )
        assert walked is (k == 1), "only shard 1 walks the organization"


def test_merged_shards_give_the_findings_of_one_run(single: Path, merged: Path) -> None:
    assert verify_snapshot(Snapshot.open(merged)) == []
    assert verdict_bytes(merged) == verdict_bytes(single)


def test_the_merged_manifest_pins_every_shard(shards: list[Path], merged: Path) -> None:
    snapshot = Snapshot.open(merged)
    manifest = snapshot.manifest
    assert manifest.merged_from is not None and [m.index for m in manifest.merged_from] == [1, 2, 3]
    for entry, path in zip(manifest.merged_from, shards, strict=True):
        shard = Snapshot.open(path)
        assert entry.manifest_sha256 == shard.digest
        (copy,) = [a for a in manifest.artifacts if a.api == MERGE_API and a.path == entry.manifest]
        assert (merged / entry.manifest).read_bytes() == shard.manifest_bytes and copy.sha256 == shard.digest
    # A file changed after the merge is caught by its digest, and by the shard manifest that pins it.
    victim = next(a for a in manifest.artifacts if a.account is not None and a.status == "ok")
    target = merged / victim.path
    original = target.read_bytes()
    try:
        target.write_bytes(original + b" ")
        problems = [str(p) for p in verify_snapshot(Snapshot.open(merged))]
        assert any("modified" in p and victim.path in p for p in problems)
        # Rewriting the merged manifest to match does not help: the shard's manifest still pins the old digest.
        doc = json.loads((merged / MANIFEST_NAME).read_text())
        for a in doc["artifacts"]:
            if a["path"] == victim.path:
                a["sha256"] = hashlib.sha256(original + b" ").hexdigest()
                a["size"] = len(original) + 1
        saved = (merged / MANIFEST_NAME).read_bytes()
        (merged / MANIFEST_NAME).write_text(json.dumps(doc))
        problems = [str(p) for p in verify_snapshot(Snapshot.open(merged))]
        assert any("shard" in p and "pins sha256" in p and victim.path in p for p in problems)
        (merged / MANIFEST_NAME).write_bytes(saved)
    finally:
        target.write_bytes(original)
    assert verify_snapshot(Snapshot.open(merged)) == []


def run_merge(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["merge", *args])
    return result.exit_code, result.output


def test_merge_refuses_gaps_overlaps_and_misfits(shards: list[Path], tmp_path: Path) -> None:
    code, text = run_merge(str(shards[0]), str(shards[1]), "--out", str(tmp_path / "a"))
    assert code == 2 and "gap: shard(s) 3/3 missing" in text and "Traceback" not in text
    code, text = run_merge(*map(str, shards), str(shards[1]), "--out", str(tmp_path / "b"))
    assert code == 2 and "overlap: shard(s) 2/3" in text
    # another month
    other = tmp_path / "other"
    shutil.copytree(shards[2], other)
    doc = json.loads((other / MANIFEST_NAME).read_text())
    doc["period_start"] = START.replace(month=START.month - 1).strftime("%Y-%m-%dT%H:%M:%SZ")
    (other / MANIFEST_NAME).write_text(json.dumps(doc))
    code, text = run_merge(str(shards[0]), str(shards[1]), str(other), "--out", str(tmp_path / "c"))
    assert code == 2 and "differ in period" in text
    # a snapshot that is not a shard
    plain = tmp_path / "plain"
    shutil.copytree(shards[0], plain)
    doc = json.loads((plain / MANIFEST_NAME).read_text())
    del doc["shard"]
    (plain / MANIFEST_NAME).write_text(json.dumps(doc))
    with pytest.raises(MergeError, match="not a shard"):
        merge_snapshots([plain, shards[1], shards[2]], tmp_path / "d")
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()


def test_merge_refuses_a_tampered_shard_with_exit_5(shards: list[Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(shards[1], bad)
    victim = next(a for a in Snapshot.open(bad).manifest.artifacts if a.status == "ok" and a.path)
    (bad / victim.path).write_bytes(b"tampered")
    code, text = run_merge(str(shards[0]), str(bad), str(shards[2]), "--out", str(tmp_path / "out"))
    assert code == 5 and victim.path in text and "nothing merged" in text
    assert not (tmp_path / "out").exists()
    with pytest.raises(MergeIntegrityError):
        merge_snapshots([shards[0], bad, shards[2]], tmp_path / "out2")


def test_a_shard_alone_is_not_reported(shards: list[Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(shards[1]), "--out", str(tmp_path / "pack"), "--no-history"])
    assert result.exit_code == 2 and "is shard 2/3" in result.output and "reporter merge" in result.output
    assert not (tmp_path / "pack").exists()


def test_a_resume_must_keep_its_shard(world: World, tmp_path: Path) -> None:
    earlier = journal_parameters(options(tmp_path, shard=Shard(2, 3)), world.mgmt, "aws")
    assert earlier["shard"] == "2/3"
    interrupted = SimpleNamespace(parameters=earlier, root=tmp_path)
    check_resumable(interrupted, journal_parameters(options(tmp_path, shard=Shard(2, 3)), world.mgmt, "aws"))
    with pytest.raises(CollectError, match="shard='2/3', this run asks '3/3'"):
        check_resumable(interrupted, journal_parameters(options(tmp_path, shard=Shard(3, 3)), world.mgmt, "aws"))


def test_shard_option_is_checked() -> None:
    with pytest.raises(ValueError, match="K must be between 1 and N"):
        Shard.parse("4/3")
    with pytest.raises(ValueError, match="expected K/N"):
        Shard.parse("two of three")
    assert str(Shard.parse(" 2 / 8 ")) == "2/8"
    # the hash is stable: the same account is in the same shard on every machine, every month
    assert shard_of("111122223333", 8) == int(hashlib.sha256(b"111122223333").hexdigest(), 16) % 8 + 1
