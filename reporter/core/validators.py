"""The text people write in YAML (framework mappings, attestations, risk acceptances): one rule per
concept, so an account id or a one-line text is judged the same in every file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictStr


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo'd key would otherwise be ignored); values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _encodable(value: str) -> str:
    """YAML's "\\ud800" escape gives a lone surrogate, which no output (UTF-8 JSON, XML, PDF) can
    hold: refused here, as the file's mistake, rather than failing the render."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"holds {value[exc.start]!r}, a lone surrogate, which is not a character") from None
    return value


def one_line(value: str) -> str:
    """One non-empty line; white space around it is dropped."""
    value = _encodable(value).strip()
    if not value:
        raise ValueError("must not be empty")
    # Every line break str.splitlines knows (U+2028, U+0085, VT, FF…), not only CR and LF: each
    # starts a new line in some output.
    if len(value.splitlines()) > 1:
        raise ValueError("must be a single line")
    return value


def _non_empty(value: str) -> str:
    if not _encodable(value).strip():
        raise ValueError("must not be empty")
    return value


def not_a_number(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"account id {value!r} was read as a number: quote it (quote account ids: YAML drops leading zeros)"
        )
    return value


def account_list(value: Any) -> Any:
    if isinstance(value, list):
        for item in value:
            not_a_number(item)
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
        raise ValueError("must be an ISO date (YYYY-MM-DD), a year-month (YYYY-MM) or a year (YYYY)")
    if value.count("-") == 2:
        date.fromisoformat(value)  # rejects 2025-02-30
    return value


def _check_url(value: str) -> str:
    if not re.match(r"^https?://\S+$", value):
        raise ValueError("must be an http(s) URL")
    return value


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone (end it with Z for UTC)")
    return value.astimezone(UTC)


OneLine = Annotated[StrictStr, AfterValidator(one_line)]
Text = Annotated[StrictStr, AfterValidator(_non_empty)]
CheckId = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
AccountId = Annotated[StrictStr, BeforeValidator(not_a_number), Field(pattern=r"^\d{12}$")]
# An account id, or "*" for every account in scope.
AccountOrAny = Annotated[StrictStr, BeforeValidator(not_a_number), Field(pattern=r"^(\d{12}|\*)$")]
TextDate = Annotated[StrictStr, BeforeValidator(_text_date), AfterValidator(_check_text_date)]
Url = Annotated[StrictStr, AfterValidator(_check_url)]
AwareTime = Annotated[datetime, AfterValidator(_aware_utc)]
