"""A stable share of the accounts, for organizations that outgrow one machine.

`collect --shard K/N` takes the accounts whose id hashes to K: the same account always lands in
the same shard, whatever else joins or leaves the organization, and no coordinator is needed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_SHARDS = 1024


def shard_of(account_id: str, count: int) -> int:
    """The shard (1…count) an account belongs to: SHA-256 of its id, modulo count, plus one."""
    return int(hashlib.sha256(account_id.encode()).hexdigest(), 16) % count + 1


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS:
            raise ValueError(f"--shard K/N: N must be between 1 and {MAX_SHARDS}, not {self.count}")
        if not 1 <= self.index <= self.count:
            raise ValueError(f"--shard K/N: K must be between 1 and N ({self.count}), not {self.index}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if match is None:
            raise ValueError(f"--shard {text!r}: expected K/N, e.g. 2/8")
        return cls(int(match[1]), int(match[2]))

    @property
    def walks_organization(self) -> bool:
        """Only the first shard collects the organization's structure (OUs, SCPs, targets)."""
        return self.index == 1

    def select(self, accounts: Iterable[str]) -> tuple[str, ...]:
        return tuple(a for a in accounts if shard_of(a, self.count) == self.index)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
