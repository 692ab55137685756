"""Service control policies: does a statement deny every action to an account's root user?

A statement counts only when, for the account's root principal `arn:<partition>:iam::<id>:root`, it
denies everything, everywhere, with nothing that could switch it off:
- `Effect` is `Deny`;
- `Action` holds a pattern that matches every action (`*`, `*:*`); `NotAction` never counts
  (it leaves the listed actions allowed);
- `Resource` holds `*`; `NotResource` never counts;
- every condition is on `aws:PrincipalArn` (key names are case-insensitive, as in IAM) with
  ArnLike / ArnEquals / StringLike / StringEquals (their `Not` and `IfExists` forms too), and
  holds for the root ARN. A condition on any other key narrows the statement (a region, a tag,
  MFA...) and the statement does not count.
ARN operators compare each of the six colon-separated parts on its own with `*` / `?`
wildcards; StringLike matches the whole string; the Equals forms of String match exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson

__all__ = ["PolicyError", "StatementVerdict", "denies_root", "parse_policy"]


class PolicyError(ValueError):
    """The policy text is not a policy document."""


@dataclass(frozen=True)
class StatementVerdict:
    index: int
    sid: str | None
    counts: bool
    reason: str


_PRINCIPAL_ARN = "aws:principalarn"
_OPERATORS = {
    "arnlike": ("arn", False),
    "arnequals": ("arn", False),
    "arnnotlike": ("arn", True),
    "arnnotequals": ("arn", True),
    "stringlike": ("like", False),
    "stringnotlike": ("like", True),
    "stringequals": ("exact", False),
    "stringnotequals": ("exact", True),
    "stringequalsignorecase": ("icase", False),
    "stringnotequalsignorecase": ("icase", True),
}


def parse_policy(text: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(text, dict):
        doc: Any = text
    else:
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise PolicyError(f"policy content is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise PolicyError("policy content has no Statement")
    statements = doc["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise PolicyError("Statement must be an object or a list of objects")
    return {**doc, "Statement": statements}


def _glob(pattern: str) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.DOTALL)


def _arn_like(pattern: str, arn: str) -> bool:
    want, have = pattern.split(":", 5), arn.split(":", 5)
    return len(want) == len(have) == 6 and all(_glob(w).fullmatch(h) for w, h in zip(want, have, strict=True))


def _substitute(value: str, account_id: str) -> str:
    # Policy variables an SCP may use in the root ARN; an unknown one stays and will not match.
    for name, text in (("aws:PrincipalAccount", account_id), ("*", "*"), ("?", "?"), ("$", "$")):
        value = re.sub(
            r"\$\{" + re.escape(name) + r"\}",
            cast("Callable[[re.Match[str]], str]", lambda _m, t=text: t),
            value,
            flags=re.IGNORECASE,
        )
    return value


def _values(raw: Any) -> list[str] | None:
    items = raw if isinstance(raw, list) else [raw]
    return items if items and all(isinstance(v, str) for v in items) else None


def _condition_holds(condition: Any, principal_arn: str, account_id: str) -> tuple[bool, str]:
    """Whether the Condition block applies the statement to `principal_arn` without narrowing."""
    if not isinstance(condition, dict):
        return False, "its Condition is not an object"
    for operator, keys in condition.items():
        base = operator.removesuffix("IfExists").lower() if isinstance(operator, str) else ""
        if base not in _OPERATORS or ":" in operator:
            return False, f"its condition operator {operator} is not one that can only name principals"
        if not isinstance(keys, dict):
            return False, f"its {operator} condition is not an object"
        kind, negated = _OPERATORS[base]
        for key, raw in keys.items():
            if not isinstance(key, str) or key.lower() != _PRINCIPAL_ARN:
                return False, f"its condition on {key} narrows it beyond the principal"
            values = _values(raw)
            if values is None:
                return False, f"its {operator} values for {key} are not strings"
            values = [_substitute(v, account_id) for v in values]
            if kind == "arn":
                hit = any(_arn_like(v, principal_arn) for v in values)
            elif kind == "like":
                hit = any(_glob(v).fullmatch(principal_arn) for v in values)
            elif kind == "exact":
                hit = principal_arn in values
            else:
                hit = principal_arn.casefold() in {v.casefold() for v in values}
            if hit == negated:
                return False, f"its {operator} condition on {key} does not match {principal_arn}"
    return True, ""


def _covers_all(patterns: list[str]) -> bool:
    return any(re.fullmatch(r"\*+(:\*+)?", p) for p in patterns)


def _verdict(index: int, statement: dict[str, Any], root_arn: str) -> StatementVerdict:
    sid = statement.get("Sid") if isinstance(statement.get("Sid"), str) else None

    def no(reason: str) -> StatementVerdict:
        return StatementVerdict(index, sid, False, reason)

    if statement.get("Effect") != "Deny":
        return no(f"Effect is {statement.get('Effect')!r}, not Deny")
    if "NotAction" in statement:
        return no("it uses NotAction, so the actions it lists stay allowed")
    actions = _values(statement.get("Action"))
    if actions is None or not _covers_all(actions):
        return no(f"Action {statement.get('Action')!r} does not cover every action")
    if "NotResource" in statement:
        return no("it uses NotResource, so some resources stay allowed")
    resources = _values(statement.get("Resource"))
    if resources is None or "*" not in resources:
        return no(f"Resource {statement.get('Resource')!r} is not every resource")
    if "Principal" in statement or "NotPrincipal" in statement:
        return no("it names a Principal, which SCPs do not support")
    account_id = root_arn.split(":")[4]
    if "Condition" in statement:
        holds, why = _condition_holds(statement["Condition"], root_arn, account_id)
        if not holds:
            return no(why)
        return StatementVerdict(index, sid, True, f"denies every action to {root_arn} (aws:PrincipalArn condition)")
    return StatementVerdict(index, sid, True, f"denies every action to every principal, {root_arn} included")


def denies_root(document: dict[str, Any], root_arn: str) -> list[StatementVerdict]:
    """A verdict for each statement of a parsed policy (see `parse_policy`), for the root user
    `root_arn` (`arn:<partition>:iam::<account>:root`: a pattern must match its partition too)."""
    return [_verdict(i, s, root_arn) for i, s in enumerate(document["Statement"])]
