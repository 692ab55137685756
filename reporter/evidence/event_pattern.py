"""EventBridge event patterns: validate one, and decide whether it matches an event.

Like metric filters, a rule is judged by what it matches: sample root events are run through
its pattern. Supported (the EventBridge content-filter language): exact strings, numbers,
booleans and null; `prefix`, `suffix` (either may hold `{"equals-ignore-case": ...}`),
`anything-but` (a value, a list, or `prefix` / `suffix` / `equals-ignore-case` / `wildcard`),
`exists`, `numeric`, `equals-ignore-case`, `wildcard`, `cidr`; `$or`; nested objects; and arrays
in the event (a field matches when any element does).

Absent fields match only `{"exists": false}`; `anything-but` needs the field to be present, as
in EventBridge.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import orjson

__all__ = ["EventPatternError", "compile_event_pattern", "event_pattern_matches"]


class EventPatternError(ValueError):
    """The pattern is not one EventBridge would accept (or not one this matcher knows)."""


_MISSING = object()
_NUMERIC_OPS = {"<", "<=", "=", ">", ">="}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _wildcard(pattern: str) -> re.Pattern[str]:
    # `\*` is a literal star, `*` any run of characters.
    parts = re.split(r"(\\\*|\*)", pattern)
    regex = "".join(".*" if p == "*" else re.escape("*" if p == "\\*" else p) for p in parts)
    return re.compile(regex, re.DOTALL)


# --- validation ----------------------------------------------------------------------------------


def _validate_object(pattern: Any, where: str) -> None:
    if not isinstance(pattern, dict) or not pattern:
        raise EventPatternError(f"{where or 'pattern'}: must be a non-empty JSON object")
    for key, sub in pattern.items():
        here = f"{where}.{key}" if where else key
        if key == "$or":
            if not isinstance(sub, list) or len(sub) < 2:
                raise EventPatternError(f"{here}: must be an array of at least two patterns")
            for i, alternative in enumerate(sub):
                _validate_object(alternative, f"{here}[{i}]")
        elif isinstance(sub, dict):
            _validate_object(sub, here)
        elif isinstance(sub, list):
            if not sub:
                raise EventPatternError(f"{here}: an empty array matches nothing")
            for i, condition in enumerate(sub):
                _validate_condition(condition, f"{here}[{i}]")
        else:
            raise EventPatternError(f"{here}: values in a pattern must be arrays, found {sub!r}")


def _strings(value: Any, here: str, what: str) -> None:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise EventPatternError(f"{here}: {what} needs a string or a list of strings")


def _validate_condition(condition: Any, here: str) -> None:
    if condition is None or isinstance(condition, str | bool) or _is_number(condition):
        return
    if not isinstance(condition, dict) or len(condition) != 1:
        raise EventPatternError(f"{here}: a condition is a value or an object with one operator")
    ((op, arg),) = condition.items()
    if op in ("prefix", "suffix"):
        if isinstance(arg, dict) and list(arg) == ["equals-ignore-case"] and isinstance(arg["equals-ignore-case"], str):
            return
        if not isinstance(arg, str):
            raise EventPatternError(f"{here}: {op} needs a string")
    elif op in ("equals-ignore-case", "wildcard"):
        if not isinstance(arg, str):
            raise EventPatternError(f"{here}: {op} needs a string")
    elif op == "exists":
        if not isinstance(arg, bool):
            raise EventPatternError(f"{here}: exists needs true or false")
    elif op == "numeric":
        if not isinstance(arg, list) or len(arg) not in (2, 4):
            raise EventPatternError(f"{here}: numeric needs [op, number] or [op, number, op, number]")
        for i in range(0, len(arg), 2):
            if arg[i] not in _NUMERIC_OPS or not _is_number(arg[i + 1]):
                raise EventPatternError(f"{here}: numeric has a bad comparison {arg[i : i + 2]!r}")
    elif op == "cidr":
        try:
            ipaddress.ip_network(arg, strict=False)
        except (TypeError, ValueError):
            raise EventPatternError(f"{here}: cidr needs a network like 10.0.0.0/8") from None
    elif op == "anything-but":
        if isinstance(arg, dict):
            if len(arg) != 1 or next(iter(arg)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
                raise EventPatternError(f"{here}: anything-but takes prefix, suffix, equals-ignore-case or wildcard")
            ((inner, value),) = arg.items()
            _strings(value, here, f"anything-but {inner}")
        elif isinstance(arg, list):
            if not arg or not all(isinstance(v, str) or _is_number(v) for v in arg):
                raise EventPatternError(f"{here}: anything-but needs strings or numbers")
        elif not (isinstance(arg, str) or _is_number(arg)):
            raise EventPatternError(f"{here}: anything-but needs a string, a number or a list")
    else:
        raise EventPatternError(f"{here}: unknown operator {op!r}")


# --- matching ------------------------------------------------------------------------------------


def _scalar_matches(condition: Any, value: Any) -> bool:
    """One condition against one (present, non-array) value."""
    if condition is None:
        return value is None
    if isinstance(condition, bool):
        return isinstance(value, bool) and value is condition
    if _is_number(condition):
        return _is_number(value) and float(value) == float(condition)
    if isinstance(condition, str):
        return isinstance(value, str) and value == condition
    ((op, arg),) = condition.items()
    text = value if isinstance(value, str) else None
    if op in ("prefix", "suffix"):
        if text is None:
            return False
        if isinstance(arg, dict):
            text, arg = text.casefold(), arg["equals-ignore-case"].casefold()
        return text.startswith(arg) if op == "prefix" else text.endswith(arg)
    if op == "equals-ignore-case":
        return text is not None and text.casefold() == arg.casefold()
    if op == "wildcard":
        return text is not None and bool(_wildcard(arg).fullmatch(text))
    if op == "numeric":
        if not _is_number(value):
            return False
        checks = {"<": float.__lt__, "<=": float.__le__, "=": float.__eq__, ">": float.__gt__, ">=": float.__ge__}
        return all(checks[arg[i]](float(value), float(arg[i + 1])) for i in range(0, len(arg), 2))
    if op == "cidr":
        try:
            return text is not None and ipaddress.ip_address(text) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    if op == "anything-but":
        if isinstance(arg, dict):
            ((inner, values),) = arg.items()
            values = values if isinstance(values, list) else [values]
            if text is None:
                return False
            if inner == "prefix":
                return not any(text.startswith(v) for v in values)
            if inner == "suffix":
                return not any(text.endswith(v) for v in values)
            if inner == "equals-ignore-case":
                return text.casefold() not in {v.casefold() for v in values}
            return not any(_wildcard(v).fullmatch(text) for v in values)
        values = arg if isinstance(arg, list) else [arg]
        return not any(_scalar_matches(v, value) for v in values)
    raise EventPatternError(f"unknown operator {op!r}")  # validation makes this unreachable


def _field_matches(conditions: list[Any], value: Any) -> bool:
    for condition in conditions:
        if isinstance(condition, dict) and "exists" in condition:
            if (value is not _MISSING) == condition["exists"]:
                return True
            continue
        if value is _MISSING:
            continue
        elements = value if isinstance(value, list) else [value]
        if any(_scalar_matches(condition, element) for element in elements):
            return True
    return False


def _object_matches(pattern: dict[str, Any], event: Any) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_object_matches(alternative, event) for alternative in sub):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(sub, dict):
            if not _object_matches(sub, value):
                return False
        elif not _field_matches(sub, value):
            return False
    return True


def compile_event_pattern(pattern: str | dict[str, Any]) -> dict[str, Any]:
    """The pattern as a checked object (from the JSON text a rule stores, or an object)."""
    if isinstance(pattern, str):
        try:
            pattern = orjson.loads(pattern)
        except orjson.JSONDecodeError as exc:
            raise EventPatternError(f"not valid JSON ({exc})") from None
    _validate_object(pattern, "")
    assert isinstance(pattern, dict)
    return pattern


def event_pattern_matches(pattern: str | dict[str, Any], event: dict[str, Any]) -> bool:
    return _object_matches(compile_event_pattern(pattern), event)
