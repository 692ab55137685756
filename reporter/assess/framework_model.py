"""The framework file's schema: a framework, its requirements and their check mappings.

A framework file names one version of one framework (CIS AWS Foundations 5.0.0, SOC 2 TSC 2017,
...) and lists the requirements this product can speak to. Each requirement names the checks
that evidence it, with a one-line rationale per mapping; a requirement with no check is MANUAL
and can only be satisfied by a person's attestation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PrivateAttr, StrictInt, StrictStr

from reporter.checks.limits import limits_problem
from reporter.core.validators import CheckId, OneLine, StrictModel, Text, TextDate, Url, one_line

FRAMEWORK_SUFFIXES = (".yaml", ".yml")
FrameworkId = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)]
RequirementId = Annotated[StrictStr, AfterValidator(one_line), Field(max_length=80)]


class FrameworkError(Exception):
    """A framework or attestation file is unusable. `str(e)` is one line naming the file, the
    requirement (or attestation record) when there is one, and the field."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def _known_limits(limits: dict[str, int]) -> dict[str, int]:
    problem = limits_problem(limits)
    if problem is not None:
        raise ValueError(problem)
    return limits


class CheckMapping(StrictModel):
    """One requirement → check mapping and why the check evidences the requirement.

    `limits` states the numbers the requirement's own text uses (PCI DSS 8.2.6: 90 days of
    inactivity); the check is judged by them for this row, by the product's for the rest."""

    id: CheckId
    rationale: OneLine
    limits: Annotated[dict[StrictStr, StrictInt], AfterValidator(_known_limits)] = Field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rationale": self.rationale, "limits": dict(self.limits)}


class Requirement(StrictModel):
    id: RequirementId
    title: OneLine
    section: OneLine
    level: OneLine | None = None
    assessment: Literal["Automated", "Manual"] | None = None
    notes: Text | None = None
    # Required (an explicit `checks: []` marks a MANUAL requirement), so a file cut short
    # after a requirement's title cannot silently turn that requirement MANUAL.
    checks: list[CheckMapping]

    @property
    def check_ids(self) -> list[str]:
        return [c.id for c in self.checks]

    @property
    def is_manual(self) -> bool:
        return not self.checks

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "level": self.level,
            "assessment": self.assessment,
            "notes": self.notes,
            "checks": [c.as_dict() for c in self.checks],
        }


class Framework(StrictModel):
    id: FrameworkId
    name: OneLine
    version: OneLine
    publisher: OneLine
    source_url: Url
    text_date: TextDate
    notes: Text | None = None
    # False: evaluated only when named with --framework (PCI DSS and NIST apply to some scopes
    # only). Of the files left that share a name and publisher, only the newest version is.
    selected_by_default: bool = True
    requirements: list[Requirement] = Field(min_length=1)

    # Where the file came from (set by the loader): a display name and the SHA-256 of its bytes,
    # so a pack can say exactly which mapping it was built with.
    _source: str = PrivateAttr(default="")
    _sha256: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        return self._source

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def check_ids(self) -> set[str]:
        return {c.id for r in self.requirements for c in r.checks}

    def stated_limits(self) -> dict[str, list[dict[str, int]]]:
        """Check id → the limits its rows state, for the rows that state any."""
        out: dict[str, list[dict[str, int]]] = {}
        for req in self.requirements:
            for mapping in req.checks:
                if mapping.limits:
                    out.setdefault(mapping.id, []).append(dict(mapping.limits))
        return out

    def requirement(self, requirement_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(requirement_id)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "publisher": self.publisher,
            "source_url": self.source_url,
            "text_date": self.text_date,
            "source": self.source,
            "sha256": self.sha256,
        }
