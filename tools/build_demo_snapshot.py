"""Write the bundled demo snapshot (reporter/demo_snapshot/) by running the real collector
against a local moto organization, so the demo is the pipeline's own output.

The organization (tests/moto_scenario.py, `acme`), October 2026, as_of 2026-11-01T06:00Z,
org o-a1b2c3d4e5, collected as assumed-role/ReporterAudit/monthly in eu-west-1 and us-east-1:
- 111122223333 acme-management: root signed in twice without MFA, root has an active access key
  that was used, IAM users covering each credential-hygiene case, a weak password policy; an
  organization trail logging since 2024 into CloudWatch Logs with the CIS root-usage metric
  filter, alarm and a confirmed SNS subscriber; centralized root access NOT enabled;
- 222233334444 acme-prod: clean, root behind hardware MFA, people sign in through SSO only; its
  own multi-region trail; an EventBridge rule routes root activity to SNS; it sits in the OU
  "workloads", which carries an SCP denying the root user;
- 444455556666 acme-sandbox: GetCredentialReport is refused (AccessDenied) and LookupEvents is
  throttled in eu-west-1, so its IAM checks are NOT_ASSESSED; it has no password policy, no
  trail, no alerting, and sits outside the OU (no root-deny SCP).

Output is byte-identical on every run: fixed account/organization ids, seeded moto ids, moto's
clock fixed (tests/moto_scenario.py says how), and the collector's clock fixed at as_of.

Run: python tools/build_demo_snapshot.py [OUT]   (default: reporter/demo_snapshot, replaced)
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # moto_gaps and moto_scenario live with the tests

import moto_gaps  # noqa: E402
import moto_scenario as ms  # noqa: E402
from moto import mock_aws  # noqa: E402

from reporter.collect import CollectOptions, collect  # noqa: E402

PERIOD_START, PERIOD_END, AS_OF = ms.PERIOD_START, ms.PERIOD_END, ms.AS_OF
MGMT, PROD, SANDBOX, ORG = ms.MGMT, ms.PROD, ms.SANDBOX, ms.ORG_ID
# botocore retries a throttled call; 2 retries keep the build to seconds (the error artifact
# then says "gave up after 3 attempts").
MAX_ATTEMPTS = 2


def _as_of() -> datetime:
    return AS_OF


def _no_sleep(_: float) -> None:
    pass


def build(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    # No real credentials or endpoint may leak in from the environment.
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    moto_gaps.install()
    moto_gaps.reset()
    ms.seed_random()
    with mock_aws(), ms.fixed_ids(MGMT, ORG):
        clock = ms.MotoClock(AS_OF)
        try:
            world = ms.acme(ms.Scenario(), clock)
            collect(
                CollectOptions(
                    out=out,
                    period_start=PERIOD_START,
                    period_end=PERIOD_END,
                    organization=True,
                    role_name=ms.AUDIT_ROLE,
                    regions=ms.REGIONS,
                    quiet=True,
                    max_workers=4,
                    max_attempts=MAX_ATTEMPTS,
                ),
                session=world.caller,
                clock=_as_of,
                sleep=_no_sleep,
            )
        finally:
            clock.restore()
            moto_gaps.reset()


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "reporter" / "demo_snapshot")
