"""Evidence that arrives as several artifacts of one API, one per region, trail or policy.

`_load_table` in tables.py wants one artifact per table; GetTrailStatus (one call per trail),
DescribeMetricFilters (one per region) or DescribePolicy (one per SCP) give many, and one of
them failing must not hide the others. A `Documents` keeps each answer under its key, and
each failure (an error artifact, or a file that could not be read) under the same key, so a
check can say "the status of trail X could not be read" and still use trail Y.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reporter.evidence.iam_documents import DocumentError
from reporter.evidence.problems import ParseProblem
from reporter.snapshot.manifest import Artifact
from reporter.snapshot.reader import ArtifactUnreadable, Snapshot

Parse = Callable[[bytes, str], tuple[Any, list[ParseProblem]]]
KeyOf = Callable[[Artifact], str | None]


def list_of_objects(doc: dict[str, Any], key: str, source: str) -> list[dict[str, Any]]:
    items = doc.get(key)
    if not isinstance(items, list):
        raise DocumentError(f"{source}: no {key} list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise DocumentError(f"{source}: {key}[{i}] is not an object")
    return items


def describe_error(artifact: Artifact) -> str:
    where = f" in {artifact.region}" if artifact.region else ""
    if artifact.error is None:
        return f"{artifact.api}{where} failed"
    return f"{artifact.api}{where} failed: {artifact.error.code}: {artifact.error.message}"


def artifacts_of(snapshot: Snapshot, account: str | None, api: str) -> list[Artifact]:
    """Artifacts of one API for exactly this account (None: the organization-level ones)."""
    return snapshot.artifacts_of(account, api)


@dataclass
class Documents:
    items: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def known(self, key: str) -> bool:
        return key in self.items or key in self.errors


def load_documents(
    snapshot: Snapshot, account: str | None, api: str, key_of: KeyOf, parse: Parse
) -> tuple[Documents, list[ParseProblem], list[str]]:
    """Each artifact's parsed content under its key; failures under the same key, never lost."""
    docs = Documents()
    problems: list[ParseProblem] = []
    for artifact in artifacts_of(snapshot, account, api):
        key = key_of(artifact)
        if key is None:
            problems.append(
                ParseProblem(
                    artifact.path or "manifest.json",
                    "artifact",
                    f"{api} artifact does not say which resource it is about",
                )
            )
            continue
        if artifact.status == "error":
            # An answer for the key beats a failed retry of it.
            if key not in docs.items:
                docs.errors[key] = describe_error(artifact)
            continue
        assert artifact.path is not None
        if key in docs.items:
            docs.errors[key] = (
                f"two artifacts answer {api} for {key} ({docs.sources[key]}, {artifact.path}); "
                "the snapshot does not say which to believe"
            )
            del docs.items[key]
            continue
        try:
            docs.items[key], found = parse(snapshot.read(artifact), artifact.path)
        except (ArtifactUnreadable, DocumentError, ValueError) as exc:
            docs.errors[key] = str(exc)
            problems.append(ParseProblem(artifact.path, "file", str(exc)))
            continue
        problems.extend(found)
        docs.errors.pop(key, None)
        docs.sources[key] = artifact.path
        docs.params[key] = dict(artifact.params)
    return docs, problems, sorted(docs.sources.values())
