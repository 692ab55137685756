"""Write the bundled demo snapshot (reporter/demo_snapshot/) by running the real collector
against a local moto organization, so the demo is the pipeline's own output.

The organization (tests/moto_demo_org.py), October 2026, as_of 2026-11-01T06:00Z, org
o-a1b2c3d4e5, collected as assumed-role/ReporterAudit/monthly in eu-west-1 and us-east-1. Twelve
accounts, mostly compliant: centralized root access is enabled; every account has a multi-region
trail, root alerting, a strong password policy and no root access key; people sign in through IAM
Identity Center (the few IAM users left have MFA or are machines); the SCP deny-root-user is
attached to every top-level OU. What each account shows:
- 111122223333 acme-management (root of the organization): the organization trail into CloudWatch
  Logs with the CIS root-usage metric filter, alarm and a confirmed SNS subscriber; root behind
  hardware MFA, signed in once (with MFA) on 2026-10-14 to delete a bucket policy that locked out
  every principal: root_not_used FAILs, and reporter/demo_exceptions.yaml accepts it under change
  CHG-2291 and ties both root events of the session to that ticket (the break-glass case);
- Security OU: 333344445555 acme-log-archive (clean); 555566667777 acme-security-tooling
  (clean, alerting by metric filter and alarm, an auditor IAM user with MFA);
- Infrastructure OU: 666677778888 acme-network, whose alarm notifies a topic without a
  subscriber: root_usage_alerting FAILs; 777788889999 acme-shared-services, whose CI user
  ci-legacy has an access key 262 days old: iam_access_keys_rotated FAILs;
- Workloads/Prod OU: 222233334444 acme-prod and 888899990000 acme-payments-prod (clean, root
  alerting by EventBridge); 101020203030 acme-data-prod, created after centralized root access,
  so its root has no credentials (root MFA checks NOT_APPLICABLE);
- Workloads/Non-prod OU: 999900001111 acme-staging (root without credentials, like data-prod);
  121234345656 acme-dev (clean, a developer IAM user with MFA);
- Sandbox OU: 444455556666 acme-sandbox, partly assessed: its audit role lacks
  iam:ListVirtualMFADevices (AccessDenied) and LookupEvents is throttled in eu-west-1, so
  root_hardware_mfa_enabled and root_not_used are NOT_ASSESSED (each saying what to grant or
  retry) and cloudtrail_root_evidence_complete FAILs (its root-event record has a hole);
  131314141515 acme-sandbox-ml, whose root still holds an active access key from 2024:
  root_no_access_keys FAILs.

Three FAILs and the break-glass one, each on its own requirement, so the requirement charts show
mostly PASS: a framework requirement is as bad as its worst account, and a refusal that removed
a whole artifact such as the credential report would leave most requirements NOT_ASSESSED.

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

import moto_demo_org  # noqa: E402
import moto_gaps  # noqa: E402
import moto_scenario as ms  # noqa: E402
from moto import mock_aws  # noqa: E402

from reporter.collect import CollectOptions, collect  # noqa: E402

PERIOD_START, PERIOD_END, AS_OF = ms.PERIOD_START, ms.PERIOD_END, ms.AS_OF
MGMT, ORG = ms.MGMT, ms.ORG_ID
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
            world = moto_demo_org.demo_organization(ms.Scenario(), clock)
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
