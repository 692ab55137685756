"""A check is one pure function plus its metadata and the evidence tables it reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from reporter.checks.finding import Finding
from reporter.checks.limits import PARAMETERS, limits_origin
from reporter.core.status import Severity

if TYPE_CHECKING:
    from reporter.checks.context import CheckContext

CheckFunction = Callable[["CheckContext"], list[Finding]]
Scope = Literal["root", "account", "principal"]
# The requirement as a sentence, from the limits a finding was judged by: a template naming them
# ("… within {key_rotation_days} days …"), or a function where the wording depends on which is set.
Expectation = str | Callable[[Mapping[str, int]], str]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: Severity
    # The tables whose absence, gaps or unreadable rows must stop a PASS. The runner, not the
    # check, enforces this, so no check can forget it.
    evidence: tuple[str, ...]
    rationale: str
    remediation: tuple[str, ...]
    references: tuple[str, ...]
    function: CheckFunction
    # What a finding is about: the root user, the account as a whole, or each IAM principal
    # (then unreadable credential-report rows become NOT_ASSESSED findings of their own).
    scope: Scope
    # The decision in one sentence ("FAIL when …"; markdown code spans allowed), for the README,
    # the auditor's guide and the PDF appendix.
    fails_when: str = ""
    # The limits (checks/limits.py) the decision depends on; a framework row may state its own.
    limits: tuple[str, ...] = ()
    expects: Expectation = ""

    def expected_text(self, limits: Mapping[str, int], framework_limits: bool) -> str:
        """The requirement a finding was judged against, with its limits and whose they are."""
        text = self.expects(limits) if callable(self.expects) else self.expects.format_map(limits)
        origin = limits_origin(limits, framework_limits)
        return f"{text} ({origin})." if origin else f"{text}."


CHECKS: dict[str, Check] = {}


def check(
    *,
    id: str,
    title: str,
    fails_when: str,
    expects: Expectation,
    severity: Severity,
    evidence: tuple[str, ...],
    scope: Scope,
    rationale: str,
    remediation: tuple[str, ...],
    references: tuple[str, ...] = (),
    limits: tuple[str, ...] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        if id in CHECKS:
            raise ValueError(f"check {id} registered twice")
        if not expects:
            raise ValueError(f"check {id} states no requirement (expects)")
        unknown = [name for name in limits if name not in PARAMETERS]
        if unknown:
            raise ValueError(f"check {id} takes unknown limit(s) {unknown}")
        CHECKS[id] = Check(
            id,
            title,
            severity,
            evidence,
            rationale,
            remediation,
            references,
            function,
            scope,
            fails_when,
            limits,
            expects,
        )
        return function

    return register
