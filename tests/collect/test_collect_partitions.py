"""The collector in GovCloud and China (issue #15, item 3): the partition is the caller's (STS
GetCallerIdentity), global services are asked in that partition's home region, and regions of
another partition are refused before any collection."""

from __future__ import annotations

from pathlib import Path

import moto_gaps
import pytest
from moto import mock_aws
from moto_world import END, START, fixed_clock, no_sleep

from reporter.collect import collect
from reporter.collect.options import CollectOptions
from reporter.collect.runner import CollectError
from reporter.snapshot.reader import Snapshot
from reporter.snapshot.verify import verify_snapshot


def options(out: Path, regions: tuple[str, ...]) -> CollectOptions:
    return CollectOptions(
        out=out, period_start=START, period_end=END, regions=regions, quiet=True, lookup_rate=1000.0, max_attempts=2
    )


@pytest.mark.parametrize(("partition", "home"), [("aws-us-gov", "us-gov-west-1"), ("aws-cn", "cn-north-1")])
def test_collect_in_another_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partition: str, home: str
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", home)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    moto_gaps.install()
    moto_gaps.reset()
    with mock_aws():
        collect(options(tmp_path / "snap", (home,)), clock=fixed_clock, sleep=no_sleep)
        with pytest.raises(CollectError, match=f"--regions eu-west-1: not in the caller's partition {partition}"):
            collect(options(tmp_path / "refused", ("eu-west-1", home)), clock=fixed_clock, sleep=no_sleep)
    moto_gaps.reset()
    snapshot = Snapshot.open(tmp_path / "snap")
    assert verify_snapshot(snapshot) == []
    assert snapshot.manifest.caller_arn and snapshot.manifest.caller_arn.startswith(f"arn:{partition}:")
    iam = [a for a in snapshot.manifest.artifacts if a.api.startswith("iam:")]
    assert iam and {a.region for a in iam} == {home}  # the partition's home region, never us-east-1
    assert not (tmp_path / "refused").exists()
