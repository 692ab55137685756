"""Framework mappings: load `frameworks/*.yaml`, and turn findings into requirement results.

A framework file names one version of one framework (CIS AWS Foundations 5.0.0, SOC 2 TSC 2017,
...) and lists the requirements this product can speak to. Each requirement names the checks
that evidence it, with a one-line rationale per mapping; a requirement with no check is MANUAL
and can only be satisfied by a person's attestation.

Evaluation (`evaluate`) is pure: findings and attestations in, results out. Its one rule is the
product's rule: **missing evidence is never PASS**. For every requirement and every account in
scope, each mapped check must have produced at least one finding; a check that produced none for
an account leaves the requirement NOT_ASSESSED there (unless something already FAILs).

Statuses combine with this precedence, over the findings of the requirement's checks:
FAIL > NOT_ASSESSED > MANUAL > PASS > NOT_APPLICABLE
(PASS needs at least one PASS; NOT_APPLICABLE only when every finding is NOT_APPLICABLE).
A MANUAL *finding* counts as PASS for an account that a valid attestation covers, either one
attached to the finding's check or one attached to the requirement. Attestations never change a
FAIL, NOT_ASSESSED or NOT_APPLICABLE finding; on a requirement with automated checks they are
listed as context only.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictStr,
    ValidationError,
)

from reporter.checks.registry import CHECKS
from reporter.findings import Finding, Status
from reporter.resources import shipped_dir

__all__ = [
    "STATUS_ORDER",
    "Attestation",
    "CheckMapping",
    "Framework",
    "FrameworkError",
    "FrameworkResult",
    "Requirement",
    "RequirementResult",
    "evaluate",
    "load_attestations",
    "load_framework_file",
    "load_frameworks",
    "validate_attestations",
]

# The order statuses are listed in (counts, JSON); also the display order of a control matrix.
STATUS_ORDER: tuple[Status, ...] = (
    Status.PASS,
    Status.FAIL,
    Status.NOT_ASSESSED,
    Status.NOT_APPLICABLE,
    Status.MANUAL,
)

FRAMEWORK_SUFFIXES = (".yaml", ".yml")


class FrameworkError(Exception):
    """A framework or attestation file is unusable. `str(e)` is one line naming the file, the
    requirement (or attestation record) when there is one, and the field."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line")
    if not value.strip():
        raise ValueError("must not be empty")
    if value != value.strip():
        raise ValueError("must not start or end with white space")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _text_date(value: Any) -> Any:
    # YAML reads an unquoted 2025-03-31 as a date; accept it and keep the ISO text.
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


_TEXT_DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def _check_text_date(value: str) -> str:
    if not _TEXT_DATE_RE.match(value):
        raise ValueError(
            "must be an ISO date (YYYY-MM-DD), a year-month (YYYY-MM) or a year (YYYY)"
        )
    if value.count("-") == 2:
        date.fromisoformat(value)  # rejects 2025-02-30
    return value


def _check_url(value: str) -> str:
    if not re.match(r"^https?://\S+$", value):
        raise ValueError("must be an http(s) URL")
    return value


OneLine = Annotated[StrictStr, AfterValidator(_one_line)]
Text = Annotated[StrictStr, AfterValidator(_non_empty)]
FrameworkId = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)]
CheckId = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
RequirementId = Annotated[StrictStr, AfterValidator(_one_line), Field(max_length=80)]
TextDate = Annotated[StrictStr, BeforeValidator(_text_date), AfterValidator(_check_text_date)]
Url = Annotated[StrictStr, AfterValidator(_check_url)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckMapping(_Model):
    """One requirement → check mapping and why the check evidences the requirement."""

    id: CheckId
    rationale: OneLine


class Requirement(_Model):
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
            "checks": [{"id": c.id, "rationale": c.rationale} for c in self.checks],
        }


class Framework(_Model):
    id: FrameworkId
    name: OneLine
    version: OneLine
    publisher: OneLine
    source_url: Url
    text_date: TextDate
    notes: Text | None = None
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


# --------------------------------------------------------------------------------------------
# YAML reading
# --------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one, which
    in a mapping file would drop a requirement's checks without a word)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable mapping key", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, display: str) -> tuple[Any, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FrameworkError(f"{display}: cannot read file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FrameworkError(f"{display}: not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise FrameworkError(f"{display}: file is empty")
    try:
        return yaml.load(text, Loader=_StrictLoader), raw  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(p for p in (exc.context, exc.problem) if p) or "unparsable"
        if mark is None:
            raise FrameworkError(f"{display}: invalid YAML: {what}") from exc
        req_id, key = _yaml_context(text, mark.line)
        where = f": requirement '{req_id}'" if req_id else ""
        where += f": {key}" if key else ""
        position = f"line {mark.line + 1}, column {mark.column + 1}"
        raise FrameworkError(f"{display}{where}: {position}: invalid YAML: {what}") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{display}: invalid YAML: {exc}") from exc


_ITEM_ID_RE = re.compile(r"""^(\s*)-\s+id:\s*["']?(.*?)["']?\s*(#.*)?$""")
_KEY_RE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:")


def _yaml_context(text: str, line: int) -> tuple[str | None, str | None]:
    """Best effort for a file YAML cannot parse: the requirement and the key around `line`
    (0-based), read from the raw text, so even a truncated file names where it broke."""
    lines = text.splitlines()[: line + 1]
    key = None
    for candidate in reversed(lines):
        m = _KEY_RE.match(candidate)
        if m:
            key = m.group(1)
            break
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("requirements:"))
    except StopIteration:
        return None, key
    items = [
        (len(m.group(1)), m.group(2)) for ln in lines[start + 1 :] if (m := _ITEM_ID_RE.match(ln))
    ]
    if not items:
        return None, key
    indent = min(i for i, _ in items)  # requirement items sit shallower than their checks
    req_id = next(rid for i, rid in reversed(items) if i == indent)
    return (req_id or None), key


def _loc_path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe_error(err: dict[str, Any]) -> str:
    msg = err["msg"]
    value = err.get("input")
    if (
        err["type"] == "string_type"
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        msg += f" (YAML read {value!r} as a number: quote it)"
    elif err["type"] == "missing":
        msg = "missing required field"
    elif err["type"] == "extra_forbidden":
        msg = "unknown field"
    return msg


def _validation_message(display: str, data: Any, exc: ValidationError) -> str:
    errors = exc.errors()
    err = errors[0]
    loc = list(err["loc"])
    prefix = display
    if len(loc) >= 2 and loc[0] == "requirements" and isinstance(loc[1], int):
        index = loc[1]
        req_id = None
        with contextlib.suppress(AttributeError, IndexError, KeyError, TypeError):
            req_id = data["requirements"][index].get("id")
        if isinstance(req_id, str) and req_id.strip():
            prefix += f": requirement '{req_id}'"
        else:
            prefix += f": requirements[{index}]"
        loc = loc[2:]
    field_path = _loc_path(loc) or "(top level)"
    more = (
        f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
        if len(errors) > 1
        else ""
    )
    return f"{prefix}: {field_path}: {_describe_error(err)}{more}"


def load_framework_file(
    path: Path, known_check_ids: set[str] | None = None, *, display: str | None = None
) -> Framework:
    """Read and validate one framework file. `known_check_ids=None` skips the check-id test."""
    display = display or str(path)
    data, raw = _read_yaml(path, display)
    if not isinstance(data, dict):
        raise FrameworkError(
            f"{display}: (top level): expected a mapping with id, name, version, ..., requirements;"
            f" found {type(data).__name__}"
        )
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(_validation_message(display, data, exc)) from None

    first_seen: dict[str, int] = {}
    for index, req in enumerate(framework.requirements):
        if req.id in first_seen:
            raise FrameworkError(
                f"{display}: requirement '{req.id}': id: duplicate requirement id"
                f" (also requirements[{first_seen[req.id]}]; this is requirements[{index}])"
            )
        first_seen[req.id] = index
        seen_checks: set[str] = set()
        for ci, mapping in enumerate(req.checks):
            if mapping.id in seen_checks:
                raise FrameworkError(
                    f"{display}: requirement '{req.id}': checks[{ci}].id:"
                    f" check '{mapping.id}' is mapped twice"
                )
            seen_checks.add(mapping.id)
            if known_check_ids is not None and mapping.id not in known_check_ids:
                raise FrameworkError(
                    f"{display}: requirement '{req.id}': checks[{ci}].id:"
                    f" unknown check '{mapping.id}'"
                )
    framework._source = display
    framework._sha256 = hashlib.sha256(raw).hexdigest()
    return framework


def _framework_files(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in FRAMEWORK_SUFFIXES
    )


def _load_dir(paths: list[Path], known: set[str] | None, display_of: Any) -> dict[str, Framework]:
    out: dict[str, Framework] = {}
    for path in paths:
        fw = load_framework_file(path, known, display=display_of(path))
        if fw.id in out:
            raise FrameworkError(
                f"{fw.source}: id: framework id '{fw.id}' is also defined in {out[fw.id].source}"
            )
        out[fw.id] = fw
    return out


def load_frameworks(
    extra_dirs: Sequence[Path] = (), known_check_ids: set[str] | None = None
) -> dict[str, Framework]:
    """Load the shipped frameworks, then each folder (or single file) of `extra_dirs` in order.

    A file whose id matches an earlier one replaces it (a user can override a shipped mapping);
    two files with the same id in the *same* folder are an error. `known_check_ids` defaults to
    the ids of the check registry. Returns the frameworks sorted by id.
    """
    known = known_check_ids if known_check_ids is not None else set(CHECKS)
    shipped = shipped_dir("frameworks")
    frameworks = _load_dir(_framework_files(shipped), known, lambda p: f"frameworks/{p.name}")
    for extra in extra_dirs:
        extra = Path(extra)
        if extra.is_dir():
            files = _framework_files(extra)
        elif extra.is_file():
            files = [extra]
        else:
            raise FrameworkError(f"{extra}: no such framework file or folder")
        frameworks.update(_load_dir(files, known, str))
    return dict(sorted(frameworks.items()))


# --------------------------------------------------------------------------------------------
# Attestations
# --------------------------------------------------------------------------------------------


def _account_list(value: Any) -> Any:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, int) and not isinstance(item, bool):
                raise ValueError(
                    f"account id {item!r} was read as a number: quote account ids"
                    " (YAML drops leading zeros)"
                )
    return value


AccountId = Annotated[StrictStr, Field(pattern=r"^(\d{12}|\*)$")]


class _AttestationRecord(_Model):
    requirement: Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9._-]*:\S.*$")] | None = None
    check: CheckId | None = None
    accounts: Annotated[list[AccountId], BeforeValidator(_account_list), Field(min_length=1)]
    statement: Text
    attested_by: OneLine
    date: date
    expires: date
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
    date: date
    expires: date
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

    def is_expired(self, on: date) -> bool:
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
    data, _ = _read_yaml(path, display)
    if not isinstance(data, list):
        raise FrameworkError(
            f"{display}: (top level): expected a YAML list of attestation records;"
            f" found {type(data).__name__}"
        )
    out: list[Attestation] = []
    for index, item in enumerate(data):
        where = f"{display}: record {index}"
        if not isinstance(item, dict):
            raise FrameworkError(
                f"{where}: (record): expected a mapping, found {type(item).__name__}"
            )
        try:
            rec = _AttestationRecord.model_validate(item)
        except ValidationError as exc:
            errors = exc.errors()
            err = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise FrameworkError(
                f"{where}: {_loc_path(err['loc']) or '(record)'}: {_describe_error(err)}{more}"
            ) from None
        if (rec.requirement is None) == (rec.check is None):
            raise FrameworkError(
                f"{where}: requirement: give exactly one of 'requirement' or 'check'"
            )
        if "*" in rec.accounts and len(rec.accounts) > 1:
            raise FrameworkError(f"{where}: accounts: '*' cannot be combined with account ids")
        if rec.expires < rec.date:
            raise FrameworkError(
                f"{where}: expires: {rec.expires.isoformat()} is before date {rec.date.isoformat()}"
            )
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
        where = (
            f"{att.source or '(attestation)'}: record {att.index if att.index is not None else '?'}"
        )
        if att.requirement is not None:
            fw = frameworks.get(att.framework_id or "")
            if fw is None:
                raise FrameworkError(
                    f"{where}: requirement: unknown framework '{att.framework_id}'"
                )
            try:
                fw.requirement(att.requirement_id or "")
            except KeyError:
                raise FrameworkError(
                    f"{where}: requirement: framework '{fw.id}' has no requirement"
                    f" '{att.requirement_id}'"
                ) from None
        elif att.check not in known:
            raise FrameworkError(f"{where}: check: unknown check '{att.check}'")


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@functools.cache
def _finding_sort_key(finding_id: str) -> tuple:
    # "F-0012" < "F-0100" < "F-10000": compare the digits as numbers, the rest as text.
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.findall(r"\d+|\D+", finding_id)
    )


def _as_of_date(as_of: datetime) -> date:
    if as_of.tzinfo is not None:
        return as_of.astimezone(UTC).date()
    return as_of.date()


def _empty_counts() -> dict[Status, int]:
    return {s: 0 for s in STATUS_ORDER}


@dataclass
class RequirementResult:
    requirement: Requirement
    status: Status
    reason: str
    finding_ids: list[str]
    check_ids: list[str]
    attestations: list[Attestation]
    expired_attestations: list[Attestation]
    status_by_account: dict[str, Status] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        req = self.requirement
        return {
            "id": req.id,
            "title": req.title,
            "section": req.section,
            "level": req.level,
            "assessment": req.assessment,
            "status": self.status.value,
            "reason": self.reason,
            "check_ids": list(self.check_ids),
            "checks": [
                {"id": c.id, "rationale": c.rationale}
                for c in sorted(req.checks, key=lambda c: c.id)
            ],
            "finding_ids": list(self.finding_ids),
            "status_by_account": {a: s.value for a, s in sorted(self.status_by_account.items())},
            "attestations": [a.as_dict() for a in self.attestations],
            "expired_attestations": [a.as_dict() for a in self.expired_attestations],
            "notes": req.notes,
        }


@dataclass
class FrameworkResult:
    framework: Framework
    as_of: date
    accounts: list[str]
    requirements: list[RequirementResult]
    counts: dict[Status, int]
    counts_by_account: dict[str, dict[Status, int]]

    @property
    def framework_id(self) -> str:
        return self.framework.id

    @property
    def name(self) -> str:
        return self.framework.name

    @property
    def version(self) -> str:
        return self.framework.version

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework.describe(),
            "as_of": self.as_of.isoformat(),
            "accounts": list(self.accounts),
            "counts": {s.value: self.counts[s] for s in STATUS_ORDER},
            "counts_by_account": {
                acct: {s.value: counts[s] for s in STATUS_ORDER}
                for acct, counts in sorted(self.counts_by_account.items())
            },
            "requirements": [r.as_dict() for r in self.requirements],
        }


def _combine(statuses: Iterable[Status]) -> Status:
    present = set(statuses)
    for status in (Status.FAIL, Status.NOT_ASSESSED, Status.MANUAL, Status.PASS):
        if status in present:
            return status
    return Status.NOT_APPLICABLE


def _status_for_account(
    requirement: Requirement,
    by_check_account: dict[tuple[str, str], list[Finding]],
    account: str,
    valid: list[Attestation],
) -> tuple[Status, str]:
    """Status of one requirement in one account, and a one-line reason."""
    if requirement.is_manual:
        if any(a.requirement is not None and a.covers(account) for a in valid):
            return Status.PASS, "attested"
        return Status.MANUAL, "no automated check; needs an attestation"
    statuses: list[Status] = []
    missing: list[str] = []
    for check_id in requirement.check_ids:
        mine = by_check_account.get((check_id, account), [])
        if not mine:
            missing.append(check_id)
        for f in mine:
            status = Status(f.status)
            if status is Status.MANUAL and any(
                a.covers(account) and (a.check == check_id or a.requirement is not None)
                for a in valid
            ):
                status = Status.PASS
            statuses.append(status)
    status = _combine(statuses)
    if missing and status is not Status.FAIL:
        return Status.NOT_ASSESSED, f"no finding from {', '.join(missing)}"
    return status, ""


def _summarise(
    requirement: Requirement,
    per_account: dict[str, tuple[Status, str]],
    findings: list[Finding],
    valid: list[Attestation],
) -> tuple[Status, str]:
    if not per_account:  # no account in scope at all
        if requirement.is_manual:
            if any(a.requirement is not None for a in valid):
                return Status.PASS, "attested"
            return Status.MANUAL, "no automated check; needs an attestation"
        return Status.NOT_ASSESSED, "no findings for any of its checks"
    status = _combine(s for s, _ in per_account.values())
    if requirement.is_manual:
        if status is Status.PASS:
            return status, "attested for every account in scope"
        covered = sorted(a for a, (s, _) in per_account.items() if s is Status.PASS)
        if covered:
            return Status.MANUAL, f"attested for {len(covered)} of {len(per_account)} accounts"
        return Status.MANUAL, "no automated check; needs an attestation"
    tally: dict[Status, int] = defaultdict(int)
    for f in findings:
        tally[Status(f.status)] += 1
    parts = [f"{tally[s]} {s.value}" for s in STATUS_ORDER if tally[s]]
    reason = ", ".join(parts) if parts else "no findings"
    gaps = sorted(
        f"{acct}: {why}"
        for acct, (s, why) in per_account.items()
        if why and s is Status.NOT_ASSESSED
    )
    if gaps and status is Status.NOT_ASSESSED:
        reason += "; " + "; ".join(gaps)
    return status, reason


def evaluate(
    framework: Framework,
    findings: Sequence[Finding],
    attestations: Sequence[Attestation] = (),
    *,
    as_of: datetime,
    accounts: Iterable[str] | None = None,
) -> FrameworkResult:
    """Evaluate every requirement of `framework` against `findings`.

    The accounts in scope are those that appear in `findings`, plus `accounts` if given (an
    account with no findings at all then shows NOT_ASSESSED for every automated requirement).
    `as_of` (the snapshot's) decides which attestations have expired; never the clock.
    """
    on = _as_of_date(as_of)
    scope = sorted({f.account_id for f in findings} | set(accounts or ()))
    by_check: dict[str, list[Finding]] = defaultdict(list)
    # Indexed once: requirements × accounts lookups would otherwise rescan every finding.
    by_check_account: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        by_check[f.check_id].append(f)
        by_check_account[(f.check_id, f.account_id)].append(f)

    results: list[RequirementResult] = []
    counts = _empty_counts()
    counts_by_account = {acct: _empty_counts() for acct in scope}
    for req in framework.requirements:
        applicable = [
            a
            for a in attestations
            if a.targets(framework.id, req) and (not scope or a.covers_any(scope))
        ]
        valid = sorted((a for a in applicable if not a.is_expired(on)), key=Attestation.sort_key)
        expired = sorted((a for a in applicable if a.is_expired(on)), key=Attestation.sort_key)
        per_account = {acct: _status_for_account(req, by_check_account, acct, valid) for acct in scope}
        req_findings = [f for c in req.check_ids for f in by_check.get(c, ())]
        status, reason = _summarise(req, per_account, req_findings, valid)
        if expired and status is Status.MANUAL:
            reason += f"; {len(expired)} attestation(s) expired"
        finding_ids = sorted(
            {f.finding_id for f in req_findings if f.finding_id}, key=_finding_sort_key
        )
        results.append(
            RequirementResult(
                requirement=req,
                status=status,
                reason=reason,
                finding_ids=finding_ids,
                check_ids=sorted(req.check_ids),
                attestations=valid,
                expired_attestations=expired,
                status_by_account={acct: s for acct, (s, _) in per_account.items()},
            )
        )
        counts[status] += 1
        for acct, (s, _) in per_account.items():
            counts_by_account[acct][s] += 1
    return FrameworkResult(
        framework=framework,
        as_of=on,
        accounts=scope,
        requirements=results,
        counts=counts,
        counts_by_account=counts_by_account,
    )
