"""One index of the findings serves every framework: the results are those of each framework
evaluated over the findings themselves."""

from __future__ import annotations

from reporter.assess.evaluate import JudgedFindings, evaluate
from reporter.assess.framework_files import load_frameworks
from reporter.core.resources import demo_snapshot_dir
from reporter.pack.model import PackOptions, build_pack
from reporter.snapshot.reader import Snapshot


def test_every_framework_over_one_index_is_each_over_its_findings() -> None:
    frameworks = list(load_frameworks().values())  # every shipped file: rows with limits of their own too
    model = build_pack(Snapshot.open(demo_snapshot_dir()), PackOptions(frameworks=frameworks))
    assert any(f.framework_limits for f in model.all_findings)  # a row judged under its own limits
    scope = [a.id for a in model.snapshot.manifest.accounts]
    as_of = model.snapshot.manifest.as_of
    indexed = JudgedFindings.index(model.all_findings)
    for fw, packed in zip(frameworks, model.frameworks, strict=True):
        alone = evaluate(fw, model.all_findings, as_of=as_of, accounts=scope)
        shared = evaluate(fw, indexed, as_of=as_of, accounts=scope)
        assert shared.as_dict() == alone.as_dict() == packed.as_dict()
    # The index names each account that has a finding; scope adds those that have none.
    assert indexed.accounts == {f.account_id for f in model.all_findings}
