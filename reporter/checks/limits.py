"""The numbers checks are judged by: each check declares the limits it takes, the product has a
default for each (the CIS number, or the CLI option), and a framework row may state its own.

A limit is an integer in a range IAM or the calendar allows; anything else in a framework file
is refused when the file is read, so a typo cannot quietly judge a requirement by the default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class LimitParameter:
    name: str
    # How the pack names the limit beside a verdict ("unused ≥ 90 days").
    label: str
    unit: str
    minimum: int
    maximum: int
    # Another wording of the limit `replaces` names, which a row states instead of it: CIS fails a
    # credential "unused for 45 days or greater", PCI DSS one "not used in over 90 days".
    replaces: str | None = None
    # Where the product's default comes from, for the sentence stating a requirement.
    origin: str = ""

    def describe(self, value: int) -> str:
        return f"{self.label} {value}{' ' + self.unit if self.unit else ''}"

    def problem(self, value: object) -> str | None:
        """Why `value` cannot be this limit, or None."""
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{self.name} must be a whole number, not {value!r}"
        if not self.minimum <= value <= self.maximum:
            return f"{self.name} must be between {self.minimum} and {self.maximum}, not {value}"
        return None


# Bounds: ages up to ten years; IAM accepts password lengths 6-128 and remembers 1-24 passwords.
PARAMETERS: dict[str, LimitParameter] = {
    p.name: p
    for p in (
        LimitParameter("root_window_days", "root-use window", "days", 1, 3650),
        LimitParameter(
            "unused_credentials_days", "FAIL if unused ≥", "days", 1, 3650, origin="CIS AWS Foundations v5.0.0 1.11"
        ),
        LimitParameter(
            "unused_credentials_over_days", "FAIL if unused >", "days", 1, 3650, replaces="unused_credentials_days"
        ),
        LimitParameter(
            "key_rotation_days", "FAIL if key age >", "days", 1, 3650, origin="CIS AWS Foundations v5.0.0 1.13"
        ),
        LimitParameter(
            "password_min_length", "length ≥", "characters", 6, 128, origin="CIS AWS Foundations v5.0.0 1.7"
        ),
        LimitParameter(
            "password_reuse_prevention", "remembered passwords ≥", "", 1, 24, origin="CIS AWS Foundations v5.0.0 1.8"
        ),
    )
}


def limit_problem(name: str, value: object) -> str | None:
    parameter = PARAMETERS.get(name)
    if parameter is None:
        return f"unknown limit '{name}' (known: {', '.join(PARAMETERS)})"
    return parameter.problem(value)


def limits_problem(limits: Mapping[str, object]) -> str | None:
    """Why a row's `limits` cannot be used, or None: each must be known and in range, and a
    limit and its other wording cannot both be stated."""
    for name, value in limits.items():
        problem = limit_problem(name, value)
        if problem is not None:
            return problem
        replaces = PARAMETERS[name].replaces
        if replaces is not None and replaces in limits:
            return f"{name} and {replaces} are two wordings of one limit; state one"
    return None


def describe_limits(limits: Mapping[str, int]) -> str:
    """ "FAIL if unused ≥ 45 days; …" in the order of PARAMETERS."""
    return "; ".join(PARAMETERS[name].describe(limits[name]) for name in PARAMETERS if name in limits)


LimitKey = tuple[tuple[str, int], ...]


def limit_key(limits: Mapping[str, int]) -> LimitKey:
    """A hashable, ordered form of a check's limits (the order of PARAMETERS)."""
    return tuple((name, limits[name]) for name in PARAMETERS if name in limits)


@dataclass(frozen=True)
class Thresholds:
    """The product's defaults: CIS AWS Foundations' numbers, or the report's CLI options. They
    judge every requirement that states no number of its own, and the findings of the pack."""

    root_window_days: int = 90
    unused_credentials_days: int = 45
    key_rotation_days: int = 90
    password_min_length: int = 14
    password_reuse_prevention: int = 24

    def __post_init__(self) -> None:
        for f in fields(self):
            problem = limit_problem(f.name, getattr(self, f.name))
            if problem is not None:
                raise ValueError(problem)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def for_check(self, parameters: Iterable[str], stated: Mapping[str, int] | None = None) -> dict[str, int]:
        """The limits a check taking `parameters` is judged by: `stated` (a framework row's) where
        given, these defaults for the rest, except a default whose other wording is stated."""
        stated = stated or {}
        taken = list(parameters)
        replaced = {PARAMETERS[name].replaces for name in taken if name in stated}
        defaults = self.as_dict()
        out = {name: stated[name] for name in taken if name in stated}
        out |= {
            name: defaults[name] for name in taken if name not in stated and name not in replaced and name in defaults
        }
        return {name: out[name] for name in PARAMETERS if name in out}


def limits_origin(limits: Mapping[str, int], framework_limits: bool) -> str:
    """Whose limits judged a finding, for its expected sentence ("" when it takes none): a framework
    row's own, the product's defaults (and the benchmark they come from), or the report's options."""
    if not limits:
        return ""
    if framework_limits:
        return "the limit stated by the framework row judged here, not the pack's own"
    defaults = Thresholds().as_dict()
    if any(defaults.get(name) != value for name, value in limits.items()):
        return "the pack's limit, as set by the report's options"
    # "CIS AWS Foundations v5.0.0 1.7" and "… 1.8" read as one source: "… v5.0.0 1.7 and 1.8".
    items: dict[str, list[str]] = {}
    for name in limits:
        if PARAMETERS[name].origin:
            source, item = PARAMETERS[name].origin.rsplit(" ", 1)
            items.setdefault(source, []).append(item)
    origins = [f"{source} {' and '.join(dict.fromkeys(found))}" for source, found in items.items()]
    return "the product's default" + (f", from {'; '.join(origins)}" if origins else "")
