"""Finding ids from content only, so a finding keeps its id from month to month.

`F-<check>-<account>` for a check that judges the root user or the account as a whole (one
finding per account); `F-<check>-<account>-<hash>` for a check judging each principal, the hash
being the first 8 hex digits of the SHA-256 of the finding's resource. A finding judged again
under a framework row's own limits ends in `-L<hash of those limits>`, so it never takes the id
of the product-limits finding it repeats.

Nothing before a finding changes its id: not a new IAM user, not a new account, not a check
added to the registry. Two findings never share an id: where two resources' hashes collide, the
colliding ids are lengthened (to the full 64 hex digits if need be); a check emitting the same
resource twice in one account cannot be told apart by any id, and by drift or a risk
acceptance neither, so it is refused as the check's defect (`DuplicateFinding`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from reporter.checks.finding import Finding
from reporter.checks.limits import limit_key
from reporter.checks.registry import CHECKS
from reporter.evidence.row_ids import HASH_HEX, short_hash

_FULL_HASH = 64


def finding_order(finding: Finding) -> tuple[Any, ...]:
    """The findings' one order, whatever order they arrive in: product-limits findings by
    account, check (registry order) and resource, then those judged under a framework row's
    limits by account, check, limits and resource. Ids carry no position; this does."""
    position = _check_positions(len(CHECKS)).get(finding.check_id, len(CHECKS))
    limits = limit_key(finding.limits) if finding.framework_limits else ()
    return finding.framework_limits, finding.account_id, position, finding.check_id, limits, finding.resource


@functools.cache
def _check_positions(registered: int) -> dict[str, int]:
    # Keyed on the registry's size: a check registered later (a test's) gets a place too.
    return {check_id: i for i, check_id in enumerate(CHECKS)}


class DuplicateFinding(ValueError):
    """One check emitted two findings for the same account, resource and limits."""


def _limits_suffix(finding: Finding) -> str:
    if not finding.framework_limits:
        return ""
    text = ";".join(f"{name}={value}" for name, value in limit_key(finding.limits))
    return f"-L{short_hash(text, 6)}"


def _one_per_account(check_id: str) -> bool:
    check = CHECKS.get(check_id)
    return check is not None and check.scope != "principal"


def _hashed(group: list[Finding], base: str, suffix: str) -> dict[int, str]:
    """Each finding of one (check, account, limits) its `base-<hash>` id, lengthening the hash of
    those whose short hashes collide."""
    resources = [f.resource for f in group]
    if len(set(resources)) != len(resources):
        twice = sorted({r for r in resources if resources.count(r) > 1})
        raise DuplicateFinding(f"{base.removeprefix('F-')}: the check emitted resource {twice[0]!r} more than once")
    ids: dict[int, str] = {}
    length = HASH_HEX
    pending = list(group)
    while pending:
        by_hash: dict[str, list[Finding]] = {}
        for f in pending:
            by_hash.setdefault(short_hash(f.resource, length), []).append(f)
        pending = []
        for digest, members in by_hash.items():
            if len(members) == 1 or length >= _FULL_HASH:
                ids.update({id(f): f"{base}-{digest}{suffix}" for f in members})
            else:
                pending += members
        length *= 2
    return ids


def finding_id_of(check_id: str, account_id: str, resource: str) -> str:
    """The id the scheme gives a product-limits finding of this check, account and resource: what
    drift names a finding by, including one no longer in the pack. (Only the lengthened id of a
    hash collision, a one-in-four-billion event per pair of one check's resources, differs.)"""
    base = f"F-{check_id}-{account_id}"
    return base if _one_per_account(check_id) else f"{base}-{short_hash(resource)}"


def assign_finding_ids(findings: Iterable[Finding]) -> None:
    """Set `finding_id` on every finding (see the module docstring for the scheme)."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.check_id, f.account_id, _limits_suffix(f)), []).append(f)
    for (check_id, account_id, suffix), group in groups.items():
        base = f"F-{check_id}-{account_id}"
        # A one-per-account check that ever emits more for an account is hashed like a principal
        # check rather than merged into one id.
        if len(group) == 1 and _one_per_account(check_id):
            group[0].finding_id = base + suffix
            continue
        ids = _hashed(group, base, suffix)
        for f in group:
            f.finding_id = ids[id(f)]
