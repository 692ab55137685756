"""manifest.json: what was collected, when, from which API call, with which digest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
# The `api` of the error artifact that records a bug in reporter's own code during collection
# (what it stopped, the exception): no AWS call failed, yet evidence is missing.
INTERNAL_ERROR_API = "reporter:collect"


def iso_utc(value: datetime) -> str:
    """Render an aware datetime as `2026-11-01T06:00:12Z` (second precision, UTC)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: every time in a snapshot must carry its zone")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # strftime would do; this runs for every artifact of a manifest, and is several times faster.
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArtifactError(_Model):
    code: str
    message: str


class Artifact(_Model):
    path: str | None
    sha256: str | None = None
    size: int | None = None
    api: str
    params: dict[str, Any] = Field(default_factory=dict)
    account: str | None = None
    region: str | None = None
    collected_at: datetime
    status: Literal["ok", "error"]
    error: ArtifactError | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Artifact:
        if self.status == "ok" and (self.path is None or self.sha256 is None or self.size is None):
            raise ValueError("an 'ok' artifact needs path, sha256 and size")
        if self.status == "error" and self.error is None:
            raise ValueError("an 'error' artifact needs error.code and error.message")
        return self

    @field_serializer("collected_at")
    def _ser_time(self, value: datetime) -> str:
        return iso_utc(value)


class ScopeAccount(_Model):
    id: str
    name: str | None = None
    regions: list[str] = Field(default_factory=list)
    is_management: bool = False


class Incomplete(_Model):
    """Why a snapshot is incomplete: collection stopped (a bug in reporter, an interruption)
    before every piece was collected. What was collected is listed and verifiable; the journal
    (snapshot/journal.py) lets `collect --resume` collect the rest."""

    reason: str
    journal: str | None = None  # the journal file beside the manifest, when one was kept


class ShardInfo(_Model):
    """This snapshot is shard `index` of `count` (collect --shard K/N): the accounts of the scope
    whose id hashes to `index` (core/shard.py), to be merged with the others."""

    index: int = Field(ge=1)
    count: int = Field(ge=1)
    # Every account of the scope as this shard saw it, before taking its share; None when the
    # organization's account list could not be read (its error artifact says why).
    accounts_seen: list[str] | None


class MergedShard(_Model):
    """One shard a merged snapshot was made of: its manifest, pinned by digest and kept (a copy
    of its bytes) at `manifest`, listed as an artifact like any file."""

    index: int
    count: int
    manifest: str
    manifest_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    as_of: datetime
    collected_at: datetime
    caller_arn: str | None = None
    accounts: list[str]

    @field_serializer("as_of", "collected_at")
    def _ser_time(self, value: datetime) -> str:
        return iso_utc(value)


class Manifest(_Model):
    format_version: int = FORMAT_VERSION
    tool_version: str
    period_start: datetime
    period_end: datetime
    as_of: datetime
    collected_at: datetime
    caller_arn: str | None = None
    organization_id: str | None = None
    accounts: list[ScopeAccount]
    regions: list[str] = Field(default_factory=list)
    artifacts: list[Artifact]
    # SHA-256 of the previous pack's manifest.json bytes: a hash chain across months. Absent
    # (not null) from the canonical bytes when unset, so snapshots written before the chain
    # existed keep their digest.
    previous_manifest_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    # Set only when collection stopped early; absent from the canonical bytes otherwise.
    incomplete: Incomplete | None = None
    # collect --shard: which share of the scope this is. reporter merge: the shards it was made of.
    shard: ShardInfo | None = None
    merged_from: list[MergedShard] | None = None

    @field_serializer("period_start", "period_end", "as_of", "collected_at")
    def _ser_time(self, value: datetime) -> str:
        return iso_utc(value)

    @model_validator(mode="after")
    def _times_are_aware(self) -> Manifest:
        for name in ("period_start", "period_end", "as_of", "collected_at"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} has no time zone")
        if self.period_end <= self.period_start:
            raise ValueError("period_end is not after period_start")
        return self

    def to_bytes(self) -> bytes:
        """Canonical bytes: sorted keys, artifacts in path/api order, so a digest is stable."""
        data = self.model_dump(mode="json")
        for optional in _OPTIONAL:
            if data.get(optional) is None:
                data.pop(optional, None)
        data["artifacts"].sort(key=_artifact_sort_key)
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"

    def artifacts_for(self, account: str | None = None, api: str | None = None) -> list[Artifact]:
        return [
            a for a in self.artifacts if (account is None or a.account == account) and (api is None or a.api == api)
        ]


# Fields added after format 1 shipped: omitted when unset, so older manifests keep their digest.
_OPTIONAL = ("previous_manifest_sha256", "incomplete", "shard", "merged_from")


def _artifact_sort_key(a: dict[str, Any]) -> tuple[str, ...]:
    return (
        a.get("account") or "",
        a.get("path") or "~",
        a["api"],
        a.get("region") or "",
        orjson.dumps(a.get("params") or {}, option=orjson.OPT_SORT_KEYS).decode(),
    )
