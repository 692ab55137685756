"""`reporter doctor`: is this machine ready to collect and render? One finding per item."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "OK"
    FIX = "FIX"  # reporter cannot do its job until this is fixed: exit 2
    NOTE = "NOTE"  # optional and absent (an extra): works without it, says what it would add


@dataclass(frozen=True)
class Finding:
    item: str
    status: Status
    detail: str  # OK/NOTE: what was found; FIX: what to do

    def as_dict(self) -> dict[str, str]:
        return {"item": self.item, "status": self.status.value, "detail": self.detail}


def ok(item: str, detail: str) -> Finding:
    return Finding(item, Status.OK, detail)


def fix(item: str, detail: str) -> Finding:
    return Finding(item, Status.FIX, detail)


def failure(exc: BaseException) -> str:
    """An exception as one line: its class (what to search for) and its message."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
