"""What the parsers say about input they could not use: which file, where, why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class ParseProblem:
    file: str
    location: str  # "line 7", "record 12", "file"
    reason: str
    # The principal or record the bad input was about, when it can still be told (e.g. the
    # `user` field of a malformed credential-report row), so its checks can be named.
    subject: str | None = None

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "location": self.location, "reason": self.reason, "subject": self.subject}
