"""Attestations: a person's signed statement that a requirement (or a check's subject) holds,
the only thing that satisfies a MANUAL requirement."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictStr, ValidationError

from reporter.assess.framework_model import Framework, FrameworkError, Requirement
from reporter.assess.yaml_files import describe_error, loc_path, read_yaml
from reporter.checks.registry import CHECKS
from reporter.core.validators import AccountOrAny, CheckId, OneLine, StrictModel, Text, account_list


class _AttestationRecord(StrictModel):
    requirement: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9._-]*:\S.*$")] | None = None
    check: CheckId | None = None
    accounts: Annotated[list[AccountOrAny], BeforeValidator(account_list), Field(min_length=1)]
    statement: Text
    attested_by: OneLine
    date: dt.date
    expires: dt.date
    evidence_file: OneLine | None = None


@dataclass(frozen=True)
class Attestation:
    """A person's signed statement that a requirement (or a check's subject) holds.

    `requirement` is "<framework id>:<requirement id>" (e.g. "cis-aws-5.0.0:1.5"); `check` is a
    check id. Exactly one of them is set. `accounts` is a tuple of account ids, or ("*",).
    """

    accounts: tuple[str, ...]
    statement: str
    attested_by: str
    date: dt.date
    expires: dt.date
    requirement: str | None = None
    check: str | None = None
    evidence_file: str | None = None
    # SHA-256 of the evidence file when it was read: the pack pins the exact document attested to.
    evidence_sha256: str | None = None
    # Where it was read from (file, 0-based record index); empty for attestations built in code.
    source: str = ""
    index: int | None = None

    def __post_init__(self) -> None:
        if (self.requirement is None) == (self.check is None):
            raise ValueError("an attestation names exactly one of `requirement` or `check`")
        if self.requirement is not None and ":" not in self.requirement:
            raise ValueError("`requirement` must be '<framework id>:<requirement id>'")

    @property
    def framework_id(self) -> str | None:
        return self.requirement.split(":", 1)[0] if self.requirement else None

    @property
    def requirement_id(self) -> str | None:
        return self.requirement.split(":", 1)[1] if self.requirement else None

    def is_expired(self, on: dt.date) -> bool:
        """Valid through its `expires` day; expired from the day after."""
        return self.expires < on

    def covers(self, account_id: str) -> bool:
        return "*" in self.accounts or account_id in self.accounts

    def covers_any(self, account_ids: Iterable[str]) -> bool:
        return "*" in self.accounts or any(a in self.accounts for a in account_ids)

    def targets(self, framework_id: str, requirement: Requirement) -> bool:
        if self.requirement is not None:
            return self.framework_id == framework_id and self.requirement_id == requirement.id
        return self.check in requirement.check_ids

    def sort_key(self) -> tuple:
        return (
            self.requirement or "",
            self.check or "",
            self.accounts,
            self.date,
            self.expires,
            self.attested_by,
            self.statement,
            self.source,
            -1 if self.index is None else self.index,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "check": self.check,
            "accounts": list(self.accounts),
            "statement": self.statement,
            "attested_by": self.attested_by,
            "date": self.date.isoformat(),
            "expires": self.expires.isoformat(),
            "evidence_file": self.evidence_file,
            "evidence_sha256": self.evidence_sha256,
            "source": self.source,
            "index": self.index,
        }


def load_attestations(path: Path) -> list[Attestation]:
    """Read a YAML list of attestation records.

    Errors name the file, the record (0-based index) and the field. A relative `evidence_file`
    is resolved against the attestation file's folder and must exist: an attestation that
    points at missing evidence is not evidence.
    """
    path = Path(path)
    display = str(path)
    data, _ = read_yaml(path, display)
    if not isinstance(data, list):
        raise FrameworkError(
            f"{display}: (top level): expected a YAML list of attestation records; found {type(data).__name__}"
        )
    out: list[Attestation] = []
    for index, item in enumerate(data):
        where = f"{display}: record {index}"
        if not isinstance(item, dict):
            raise FrameworkError(f"{where}: (record): expected a mapping, found {type(item).__name__}")
        try:
            rec = _AttestationRecord.model_validate(item)
        except ValidationError as exc:
            errors = exc.errors()
            err = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise FrameworkError(
                f"{where}: {loc_path(err['loc']) or '(record)'}: {describe_error(err)}{more}"
            ) from None
        if (rec.requirement is None) == (rec.check is None):
            raise FrameworkError(f"{where}: requirement: give exactly one of 'requirement' or 'check'")
        if "*" in rec.accounts and len(rec.accounts) > 1:
            raise FrameworkError(f"{where}: accounts: '*' cannot be combined with account ids")
        if rec.expires < rec.date:
            raise FrameworkError(f"{where}: expires: {rec.expires.isoformat()} is before date {rec.date.isoformat()}")
        evidence_sha256 = None
        if rec.evidence_file is not None:
            evidence = Path(rec.evidence_file)
            if not evidence.is_absolute():
                evidence = path.parent / evidence
            if not evidence.is_file():
                raise FrameworkError(f"{where}: evidence_file: file not found: {rec.evidence_file}")
            evidence_sha256 = hashlib.sha256(evidence.read_bytes()).hexdigest()
        out.append(
            Attestation(
                accounts=tuple(rec.accounts),
                statement=rec.statement,
                attested_by=rec.attested_by,
                date=rec.date,
                expires=rec.expires,
                requirement=rec.requirement,
                check=rec.check,
                evidence_file=rec.evidence_file,
                evidence_sha256=evidence_sha256,
                source=display,
                index=index,
            )
        )
    return out


def validate_attestations(
    attestations: Sequence[Attestation],
    frameworks: dict[str, Framework],
    known_check_ids: set[str] | None = None,
) -> None:
    """Raise FrameworkError for an attestation that points at nothing (a typo'd requirement or
    check would otherwise be silently ignored). `known_check_ids=None` uses the check registry."""
    known = known_check_ids if known_check_ids is not None else set(CHECKS)
    for att in attestations:
        where = f"{att.source or '(attestation)'}: record {att.index if att.index is not None else '?'}"
        if att.requirement is not None:
            fw = frameworks.get(att.framework_id or "")
            if fw is None:
                raise FrameworkError(f"{where}: requirement: unknown framework '{att.framework_id}'")
            try:
                fw.requirement(att.requirement_id or "")
            except KeyError:
                raise FrameworkError(
                    f"{where}: requirement: framework '{fw.id}' has no requirement '{att.requirement_id}'"
                ) from None
        elif att.check not in known:
            raise FrameworkError(f"{where}: check: unknown check '{att.check}'")
